//! Unified social credit codes (统一社会信用代码, GB 32100-2015) identifying employers.
//!
//! The code is public company data, so it is displayed in full. Real registers contain codes
//! whose check character is wrong; [`CreditCode::parse_allowing_bad_check`] lets an
//! administrator accept such a code, with a warning the caller logs.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// The 31 symbols, in value order (no I, O, S, V, Z).
const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights for positions 1..=17: 3^(i-1) mod 31.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A syntactically valid unified social credit code (normalised: trimmed, upper case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

/// Why a string is not a valid credit code. Display texts are shown to users.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CreditCodeError {
    #[error("统一社会信用代码不能为空")]
    Empty,
    #[error("统一社会信用代码应为18位，实际为{len}位")]
    WrongLength { len: usize },
    /// `position` is 1-based.
    #[error(
        "统一社会信用代码第{position}位“{found}”无效（第3-8位为数字，其余为数字或大写字母，不使用 I、O、S、V、Z）"
    )]
    InvalidCharacter { position: usize, found: char },
    #[error("统一社会信用代码校验位错误（应为 {expected}）")]
    BadCheckCharacter { expected: char, found: char },
}

impl CreditCode {
    /// Strict parse: format and check character must both be right.
    pub fn parse(s: &str) -> Result<CreditCode, CreditCodeError> {
        match Self::parse_allowing_bad_check(s)? {
            (code, None) => Ok(code),
            (_, Some(warning)) => Err(warning),
        }
    }

    /// Format errors are errors; a wrong check character is returned as a warning
    /// (`Some(BadCheckCharacter { .. })`) for an administrator's override, which the caller logs.
    pub fn parse_allowing_bad_check(
        s: &str,
    ) -> Result<(CreditCode, Option<CreditCodeError>), CreditCodeError> {
        let normalised = s.trim().to_uppercase();
        if normalised.is_empty() {
            return Err(CreditCodeError::Empty);
        }
        let chars: Vec<char> = normalised.chars().collect();
        if chars.len() != 18 {
            return Err(CreditCodeError::WrongLength { len: chars.len() });
        }
        let mut sum = 0u32;
        for (i, &c) in chars.iter().enumerate() {
            // Positions 3..=8 are the administrative division code: digits only.
            let value = if (2..8).contains(&i) {
                c.to_digit(10)
            } else {
                value_of(c)
            };
            let Some(value) = value else {
                return Err(CreditCodeError::InvalidCharacter {
                    position: i + 1,
                    found: c,
                });
            };
            if let Some(w) = WEIGHTS.get(i) {
                sum += value * w;
            }
        }
        let expected = char_of((31 - sum % 31) % 31);
        let found = chars[17];
        let warning =
            (expected != found).then_some(CreditCodeError::BadCheckCharacter { expected, found });
        Ok((CreditCode(normalised), warning))
    }

    /// The full code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Positions 1-2: registering authority and kind of organisation, e.g. "91".
    pub fn kind_code(&self) -> &str {
        self.0.get(..2).unwrap_or("")
    }

    /// Chinese name of the kind of organisation, when the code is one of the known ones.
    pub fn kind_label(&self) -> Option<&'static str> {
        Some(match self.kind_code() {
            "11" => "机关",
            "12" => "事业单位",
            "13" => "群众团体",
            "19" => "其他（机构编制部门登记）",
            "51" => "社会团体",
            "52" => "民办非企业单位",
            "53" => "基金会",
            "59" => "其他（民政部门登记）",
            "91" => "企业",
            "92" => "个体工商户",
            "93" => "农民专业合作社",
            _ => return None,
        })
    }

    /// A starting value for the unit nature (a code of [`crate::codes::UNIT_NATURE`]); the
    /// employer or reviewer confirms it. The kind only narrows the nature down:
    /// - 11 机关 → "10" 机关;
    /// - 12 事业单位 → "29" 其他事业单位 (research, education or health cannot be told apart);
    /// - 91 企业, 92 个体工商户 → "39" 其他企业 (state-owned or foreign-invested cannot be told);
    /// - 13, 19, 51, 52, 53, 59, 93 (mass organisations, social organisations, cooperatives)
    ///   → "99" 其他, as the table has no closer entry;
    /// - anything else → `None`.
    pub fn suggested_unit_nature(&self) -> Option<&'static str> {
        match self.kind_code() {
            "11" => Some("10"),
            "12" => Some("29"),
            "91" | "92" => Some("39"),
            "13" | "19" | "51" | "52" | "53" | "59" | "93" => Some("99"),
            _ => None,
        }
    }
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreditCode::parse(s)
    }
}

impl TryFrom<&str> for CreditCode {
    type Error = CreditCodeError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        CreditCode::parse(s)
    }
}

impl AsRef<str> for CreditCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn value_of(c: char) -> Option<u32> {
    ALPHABET
        .chars()
        .position(|a| a == c)
        .and_then(|p| u32::try_from(p).ok())
}

fn char_of(value: u32) -> char {
    usize::try_from(value)
        .ok()
        .and_then(|v| ALPHABET.chars().nth(v))
        .unwrap_or('?')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::UNIT_NATURE;

    const VALID: [&str; 3] = [
        "91350200776049653A",
        "91440101MA5CJQ4N59",
        "913502000728319549",
    ];

    #[test]
    fn accepts_reference_vectors() {
        for v in VALID {
            let code = CreditCode::parse(v).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(code.as_str(), v);
            assert_eq!(code.to_string(), v);
            assert_eq!(code.kind_code(), "91");
            assert_eq!(code.kind_label(), Some("企业"));
        }
    }

    #[test]
    fn normalises_case_and_whitespace() {
        let code = CreditCode::parse(" 91440101ma5cjq4n59 ").expect("valid");
        assert_eq!(code.as_str(), "91440101MA5CJQ4N59");
    }

    #[test]
    fn bad_check_is_an_error_or_a_warning() {
        let bad = "91350203M0001QAY9B";
        let err = CreditCode::parse(bad).expect_err("bad check");
        assert!(matches!(
            err,
            CreditCodeError::BadCheckCharacter { found: 'B', .. }
        ));
        let (code, warning) = CreditCode::parse_allowing_bad_check(bad).expect("format ok");
        assert_eq!(code.as_str(), bad);
        assert_eq!(warning, Some(err.clone()));
        assert!(err
            .to_string()
            .starts_with("统一社会信用代码校验位错误（应为 "));

        let (_, warning) = CreditCode::parse_allowing_bad_check(VALID[0]).expect("valid");
        assert_eq!(warning, None);
    }

    #[test]
    fn every_single_character_change_is_rejected() {
        // Every alphabet symbol, the five excluded letters and a few strays.
        let candidates: Vec<char> = format!("{ALPHABET}IOSVZ-*中").chars().collect();
        for v in VALID {
            let original: Vec<char> = v.chars().collect();
            for pos in 0..original.len() {
                for &c in &candidates {
                    if c == original[pos] {
                        continue;
                    }
                    let mut changed = original.clone();
                    changed[pos] = c;
                    let changed: String = changed.into_iter().collect();
                    assert!(
                        CreditCode::parse(&changed).is_err(),
                        "{changed} (from {v}) should be rejected"
                    );
                }
            }
        }
    }

    #[test]
    fn format_errors() {
        assert_eq!(CreditCode::parse(""), Err(CreditCodeError::Empty));
        assert_eq!(
            CreditCode::parse("73893832-9"),
            Err(CreditCodeError::WrongLength { len: 10 })
        );
        assert_eq!(
            CreditCode::parse("91340207031104K"),
            Err(CreditCodeError::WrongLength { len: 15 })
        );
        assert_eq!(
            CreditCode::parse_allowing_bad_check("91350200O76049653A"),
            Err(CreditCodeError::InvalidCharacter {
                position: 9,
                found: 'O'
            })
        );
        assert_eq!(
            CreditCode::parse_allowing_bad_check("913502A0776049653A"),
            Err(CreditCodeError::InvalidCharacter {
                position: 7,
                found: 'A'
            })
        );
        let msg = CreditCodeError::InvalidCharacter {
            position: 9,
            found: 'O',
        }
        .to_string();
        assert!(msg.contains("I、O、S、V、Z"));
    }

    #[test]
    fn kinds_and_suggested_unit_nature() {
        for (kind, label, nature) in [
            ("11", "机关", Some("10")),
            ("12", "事业单位", Some("29")),
            ("51", "社会团体", Some("99")),
            ("92", "个体工商户", Some("39")),
            ("93", "农民专业合作社", Some("99")),
        ] {
            let body = format!("{kind}350200776049653");
            let (code, _) =
                CreditCode::parse_allowing_bad_check(&format!("{body}0")).expect("format ok");
            assert_eq!(code.kind_label(), Some(label));
            assert_eq!(code.suggested_unit_nature(), nature);
        }
        let (other, _) =
            CreditCode::parse_allowing_bad_check("Y1350200776049653A").expect("format ok");
        assert_eq!(other.kind_label(), None);
        assert_eq!(other.suggested_unit_nature(), None);
    }

    #[test]
    fn suggested_natures_exist_in_the_table() {
        for kind in [
            "11", "12", "13", "19", "51", "52", "53", "59", "91", "92", "93",
        ] {
            let (code, _) =
                CreditCode::parse_allowing_bad_check(&format!("{kind}3502007760496530"))
                    .expect("format ok");
            let nature = code.suggested_unit_nature().expect("suggestion");
            assert!(UNIT_NATURE.by_code(nature).is_some(), "{kind} → {nature}");
        }
    }
}
