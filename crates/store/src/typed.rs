//! Domain codes in TEXT columns, typed on both sides of the driver: a state, kind or party is
//! decoded into its enum when the row is read (a value the domain does not know fails the read
//! rather than being defaulted) and encoded from it when written. The columns' CHECK
//! constraints hold the same value sets.

use sqlx::any::{Any, AnyTypeInfo};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};
use wangqian_domain::lifecycle::{AgreementKind, AgreementState, DestinationState, Party};
use wangqian_domain::settings::BindingMoment;

/// A domain enum stored as its code.
pub trait Code: Sized + Copy + 'static {
    const NAME: &'static str;
    fn code(self) -> &'static str;
    fn from_code(s: &str) -> Option<Self>;
}

macro_rules! codes {
    ($($t:ty => $name:literal),* $(,)?) => {$(
        impl Code for $t {
            const NAME: &'static str = $name;
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn from_code(s: &str) -> Option<Self> {
                <$t>::parse(s)
            }
        }
    )*};
}

codes! {
    AgreementState => "agreement state",
    AgreementKind => "agreement kind",
    DestinationState => "destination state",
    Party => "party",
    BindingMoment => "binding moment",
}

/// A column holding a domain code, read and written as that code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Coded<T>(pub T);

impl<T> std::ops::Deref for Coded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Code> Type<Any> for Coded<T> {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r, T: Code> Decode<'r, Any> for Coded<T> {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let s = <String as Decode<Any>>::decode(value)?;
        T::from_code(&s)
            .map(Coded)
            .ok_or_else(|| format!("unknown {} {s:?} in the database", T::NAME).into())
    }
}

impl<'q, T: Code> Encode<'q, Any> for Coded<T> {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <&str as Encode<Any>>::encode(self.0.code(), buf)
    }
}

impl<T: Code> serde::Serialize for Coded<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_itself() {
        for s in AgreementState::ALL {
            assert_eq!(AgreementState::from_code(s.code()), Some(*s));
        }
        for p in Party::ALL {
            assert_eq!(Party::from_code(p.code()), Some(p));
        }
        assert_eq!(AgreementState::from_code("bogus"), None);
    }
}
