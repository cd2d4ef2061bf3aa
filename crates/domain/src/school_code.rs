//! The 5-digit national school code (院校代码, e.g. "10357"), which identifies a school in the
//! ministry's systems and in this one.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A validated 5-digit school code (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchoolCode(String);

/// Why a string is not a valid school code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SchoolCodeError {
    #[error("院校代码不能为空")]
    Empty,
    #[error("院校代码应为5位，实际为{len}位")]
    WrongLength { len: usize },
    #[error("院校代码只能包含数字")]
    NotDigits,
}

impl SchoolCode {
    /// Trims and validates: exactly 5 ASCII digits.
    pub fn parse(s: &str) -> Result<SchoolCode, SchoolCodeError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(SchoolCodeError::Empty);
        }
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(SchoolCodeError::NotDigits);
        }
        if s.len() != 5 {
            return Err(SchoolCodeError::WrongLength { len: s.len() });
        }
        Ok(SchoolCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SchoolCode {
    type Err = SchoolCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SchoolCode::parse(s)
    }
}

impl TryFrom<&str> for SchoolCode {
    type Error = SchoolCodeError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        SchoolCode::parse(s)
    }
}

impl AsRef<str> for SchoolCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SchoolCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_five_digits() {
        let c = SchoolCode::parse(" 10357 ").expect("valid");
        assert_eq!(c.as_str(), "10357");
        assert_eq!(c.to_string(), "10357");
        assert_eq!(format!("{c:?}"), "SchoolCode(\"10357\")");
    }

    #[test]
    fn rejects_wrong_length_and_letters() {
        assert_eq!(SchoolCode::parse(""), Err(SchoolCodeError::Empty));
        assert_eq!(
            SchoolCode::parse("1035"),
            Err(SchoolCodeError::WrongLength { len: 4 })
        );
        assert_eq!(
            SchoolCode::parse("103570"),
            Err(SchoolCodeError::WrongLength { len: 6 })
        );
        assert_eq!(SchoolCode::parse("1O357"), Err(SchoolCodeError::NotDigits));
        assert_eq!(
            SchoolCode::parse("１０３５７"),
            Err(SchoolCodeError::NotDigits)
        );
        assert_eq!(SchoolCode::parse("10 357"), Err(SchoolCodeError::NotDigits));
    }

    #[test]
    fn every_single_change_to_a_non_digit_is_rejected() {
        let valid: Vec<char> = "10357".chars().collect();
        for pos in 0..valid.len() {
            for c in ['a', 'Z', 'O', 'l', '-', '.', ' ', '中', '５'] {
                let mut changed = valid.clone();
                changed[pos] = c;
                let changed: String = changed.into_iter().collect();
                // A space at either end is trimmed away, leaving four digits.
                assert!(SchoolCode::parse(&changed).is_err(), "{changed:?}");
            }
        }
    }

    #[test]
    fn messages_are_chinese() {
        assert_eq!(
            SchoolCodeError::WrongLength { len: 4 }.to_string(),
            "院校代码应为5位，实际为4位"
        );
    }
}
