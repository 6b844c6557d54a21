//! Code lists: each an enum that serialises as its snake_case codes, so an unknown value is
//! refused at the edge. [`code_enum!`] defines one: the enum, its codes, and
//! `ALL`/`CODES`/`as_str`/`parse`/`stored`. `code_enum!(stored ...)` makes it a column type too: a sea-orm
//! active enum stored as the same codes (the table's CHECK constraint keeps the column to
//! them; a stored value outside them fails the read, never a default).
//!
//! The codes are taken as `tt`, not `literal`: utoipa's derive does not see a `literal`
//! fragment in `#[serde(rename = ...)]` and would document the variant names instead.

macro_rules! code_enum {
    (stored $(#[$meta:meta])* $name:ident { $($variant:ident = $code:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            sea_orm::EnumIter, sea_orm::DeriveActiveEnum,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::None)")]
        pub enum $name {
            $(#[serde(rename = $code)] #[sea_orm(string_value = $code)] $variant),+
        }
        $crate::codes::code_enum!(@impl $name { $($variant = $code),+ });
    };
    (@impl $name:ident { $($variant:ident = $code:tt),+ }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The codes, in order (for messages that say what a good value is).
            pub const CODES: &'static [&'static str] = &[$($code),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($code => Some($name::$variant),)+ _ => None }
            }

            /// A value read back from `table`.`column` of row `id`: one that does not parse
            /// is corruption, logged with where it lies and answered 500, never a default.
            pub fn stored(s: &str, table: &'static str, column: &'static str, id: uuid::Uuid) -> Result<Self, $crate::error::ApiError> {
                Self::parse(s).ok_or_else(|| $crate::error::ApiError::unreadable(table, column, id))
            }
        }
    };
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant),+
        }
        $crate::codes::code_enum!(@impl $name { $($variant = $code),+ });
    };
}
pub(crate) use code_enum;
