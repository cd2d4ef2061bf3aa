//! Record ids and instants as their own types, so that a graduate's id cannot be passed where an
//! agreement's is expected and a time is never confused with a count. Ids are opaque strings
//! (random UUIDs when this system creates them; imported ones keep their text).
//!
//! With the `sqlx` feature the types also encode and decode through the database driver; the
//! domain's logic never uses that, it only lets the storage layer read rows into these types.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        /// `Default` is the empty id, which matches no record.
        #[derive(
            Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        /// Reads as its text wherever a `&str` is wanted (SQL binds, links, logs).
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        #[cfg(feature = "sqlx")]
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(
                value: <sqlx::Any as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                <String as sqlx::Decode<sqlx::Any>>::decode(value).map($name)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<sqlx::Any>>::encode_by_ref(&self.0, buf)
            }
        }
    )*};
}

ids! {
    /// An agreement (网签协议 or paper agreement record).
    AgreementId,
    /// An other-destination record (其他去向).
    DestinationId,
    /// A graduate on a school's roster.
    GraduateId,
    /// A school (院校).
    SchoolId,
    /// A department (院系) of a school.
    DepartmentId,
    /// An employer (用人单位).
    EmployerId,
    /// A login account of any role.
    AccountId,
    /// A stored file (proof, scan, photo).
    BlobId,
}

/// An instant as unix milliseconds, the way every time column stores it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct Millis(pub i64);

impl Millis {
    pub const MINUTE: i64 = 60_000;
    pub const DAY: i64 = 86_400_000;

    pub fn get(self) -> i64 {
        self.0
    }

    /// `ms` milliseconds later (earlier when negative); saturates instead of wrapping.
    pub fn plus_ms(self, ms: i64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }

    pub fn plus_days(self, days: i64) -> Millis {
        self.plus_ms(days.saturating_mul(Self::DAY))
    }

    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn since(self, earlier: Millis) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl std::ops::Add<i64> for Millis {
    type Output = Millis;
    fn add(self, ms: i64) -> Millis {
        self.plus_ms(ms)
    }
}

impl std::ops::Sub<i64> for Millis {
    type Output = Millis;
    fn sub(self, ms: i64) -> Millis {
        self.plus_ms(ms.saturating_neg())
    }
}

/// The milliseconds between two instants.
impl std::ops::Sub<Millis> for Millis {
    type Output = i64;
    fn sub(self, earlier: Millis) -> i64 {
        self.since(earlier)
    }
}

impl From<i64> for Millis {
    fn from(ms: i64) -> Self {
        Millis(ms)
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(feature = "sqlx")]
impl sqlx::Type<sqlx::Any> for Millis {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

#[cfg(feature = "sqlx")]
impl<'r> sqlx::Decode<'r, sqlx::Any> for Millis {
    fn decode(
        value: <sqlx::Any as sqlx::Database>::ValueRef<'r>,
    ) -> Result<Self, sqlx::error::BoxDynError> {
        <i64 as sqlx::Decode<sqlx::Any>>::decode(value).map(Millis)
    }
}

#[cfg(feature = "sqlx")]
impl<'q> sqlx::Encode<'q, sqlx::Any> for Millis {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <i64 as sqlx::Encode<sqlx::Any>>::encode_by_ref(&self.0, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_as_their_text_and_compare_by_it() {
        let id = AgreementId::from("a-1");
        assert_eq!(&*id, "a-1");
        assert_eq!(id, "a-1");
        assert_eq!(id.to_string(), "a-1");
        assert_eq!(String::from(id.clone()), "a-1");
    }

    #[test]
    fn millis_move_by_days_and_saturate() {
        let t = Millis(1_000);
        assert_eq!(t.plus_days(1), Millis(1_000 + Millis::DAY));
        assert_eq!(t.plus_days(1).since(t), Millis::DAY);
        assert_eq!(Millis(i64::MAX).plus_ms(1), Millis(i64::MAX));
        assert!(Millis(1) < Millis(2));
    }
}
