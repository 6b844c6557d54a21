//! A JSON column typed in its entity: stored as text (the same text as before, so no data
//! migration), read back as `T`. The value and its text are made together ([`JsonText::new`]),
//! so writing one cannot fail; a stored text that does not parse fails the read with a logged
//! error naming the column and, where the row has one, its id: never a default.

use std::ops::Deref;

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonText<T> {
    value: T,
    text: String,
}

impl<T: Serialize> JsonText<T> {
    pub fn new(value: T) -> Result<Self, serde_json::Error> {
        let text = serde_json::to_string(&value)?;
        Ok(JsonText { value, text })
    }

    pub fn of(value: &T) -> Result<Self, serde_json::Error>
    where
        T: Clone,
    {
        JsonText::new(value.clone())
    }
}

impl<T> JsonText<T> {
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The text as stored.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl<T> Deref for JsonText<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: DeserializeOwned> JsonText<T> {
    fn parse(text: String) -> Result<Self, serde_json::Error> {
        Ok(JsonText { value: serde_json::from_str(&text)?, text })
    }
}

impl<T> From<JsonText<T>> for Value {
    fn from(j: JsonText<T>) -> Value {
        Value::String(Some(j.text))
    }
}

impl<T> Nullable for JsonText<T> {
    fn null() -> Value {
        Value::String(None)
    }
}

impl<T: DeserializeOwned> TryGetable for JsonText<T> {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        let text = String::try_get_by(res, index)?;
        JsonText::parse(text).map_err(|_| {
            let column = index.as_str().unwrap_or("(by position)");
            match res.try_get::<uuid::Uuid>("", "id") {
                Ok(id) => tracing::error!(column, %id, "a stored JSON value does not parse"),
                Err(_) => tracing::error!(column, "a stored JSON value does not parse"),
            }
            TryGetError::DbErr(DbErr::Type(format!("unreadable JSON in column {column}")))
        })
    }
}

impl<T: DeserializeOwned> ValueType for JsonText<T> {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        let text = <String as ValueType>::try_from(v)?;
        JsonText::parse(text).map_err(|_| ValueTypeErr)
    }

    fn type_name() -> String {
        "JsonText".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::String
    }

    fn column_type() -> ColumnType {
        ColumnType::Text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_the_value_as_json_and_a_bad_text_is_refused() {
        let j = JsonText::new(vec!["Ashworth".to_string()]).unwrap();
        assert_eq!(j.text(), r#"["Ashworth"]"#);
        assert_eq!(Value::from(j.clone()), Value::String(Some(r#"["Ashworth"]"#.into())));
        let back = <JsonText<Vec<String>> as ValueType>::try_from(Value::String(Some(r#"["Ashworth"]"#.into()))).unwrap();
        assert_eq!(back, j);
        assert!(<JsonText<Vec<String>> as ValueType>::try_from(Value::String(Some(r#"["Ashworth""#.into()))).is_err());
        assert!(<JsonText<Vec<String>> as ValueType>::try_from(Value::String(Some(r#"{"a": 1}"#.into()))).is_err());
    }
}
