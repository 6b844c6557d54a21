//! Code lists: each an enum that serialises as its snake_case codes, so an unknown value is
//! refused at the edge. [`code_enum!`] defines one: the enum, its codes, and
//! `ALL`/`CODES`/`as_str`/`parse`. `code_enum!(stored ...)` makes it a column type too,
//! stored as the same codes: sea-orm's `DeriveValueType` for a string type, which writes
//! `as_str` and reads with `parse` (the table's CHECK constraint, where there is one, keeps the
//! column to them; a stored value outside them fails the read as [`UnknownCode`], never a
//! default). Not `DeriveActiveEnum`: it makes an identifier of every code, and one code
//! (a referral's source `self`) is a keyword.
//!
//! The codes are taken as `tt`, not `literal`: utoipa's derive does not see a `literal`
//! fragment in `#[serde(rename = ...)]` and would document the variant names instead.

/// A stored code that is not in its list: the read fails, naming the list, not the value.
#[derive(Debug)]
pub struct UnknownCode(pub &'static str);

impl std::fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a stored value is not one of the {} codes", self.0)
    }
}

impl std::error::Error for UnknownCode {}

/// A code list stored as a column (what `code_enum!(stored ...)` implements).
pub trait Code: Sized + Copy {
    const LIST: &'static str;
    fn code(self) -> &'static str;
    fn from_code(s: &str) -> Option<Self>;
}

/// How a stored code is read back (the column type's `from_str`).
pub fn from_code<T: Code>(s: &str) -> Result<T, UnknownCode> {
    T::from_code(s).ok_or(UnknownCode(T::LIST))
}

/// How a code is written (the column type's `to_str`).
pub fn to_code<T: Code>(value: &T) -> &'static str {
    value.code()
}

macro_rules! code_enum {
    (stored $(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            sea_orm::DeriveValueType,
        )]
        #[sea_orm(value_type = "String", from_str = "crate::codes::from_code", to_str = "crate::codes::to_code")]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant),+
        }
        impl $crate::codes::Code for $name {
            const LIST: &'static str = stringify!($name);
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn from_code(s: &str) -> Option<Self> {
                Self::parse(s)
            }
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
        }
    };
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant),+
        }
        $crate::codes::code_enum!(@impl $name { $($variant = $code),+ });
    };
}
pub(crate) use code_enum;
