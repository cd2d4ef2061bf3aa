//! National ID numbers (居民身份证号码, GB 11643-1999) and the residence / permanent-residence
//! numbers built on the same scheme, plus the gender they encode.
//!
//! The number is personal data: [`IdNumber`] never prints its full value through `Debug`, and
//! [`mask_id_number`] masks values read back from storage the same way.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Date, Month};

/// ISO 7064 MOD 11-2 weights for positions 1..=17.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character indexed by `Σ digit·weight mod 11`.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Province-level codes (GB/T 2260) that may open a citizen's number.
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, // North
    21, 22, 23, // North-east
    31, 32, 33, 34, 35, 36, 37, // East
    41, 42, 43, 44, 45, 46, // Centre-south
    50, 51, 52, 53, 54, // South-west
    61, 62, 63, 64, 65, // North-west
    71, // Taiwan
];

/// Address codes of the Hong Kong / Macao / Taiwan residence permits (港澳台居民居住证).
const HMT_PREFIXES: [&str; 3] = ["810000", "820000", "830000"];

/// A validated 18-character national ID number.
///
/// Stored normalised: trimmed, with an upper-case `X` check character.
///
/// Legacy 15-digit numbers are rejected ([`IdNumberError::Legacy15Digits`]): every 15-digit
/// number was replaced by an 18-digit one when the 1999 standard took effect, so a roster must
/// carry the 18-digit number, and accepting both would let one person match two records.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

/// What kind of document the number belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// A mainland resident identity card (居民身份证).
    Mainland,
    /// A Hong Kong / Macao / Taiwan residents' residence permit (prefixes 810000, 820000, 830000).
    HongKongMacaoTaiwanResidencePermit,
    /// A foreigner's permanent residence ID card, 2023 edition (first character `9`).
    ForeignPermanentResident,
}

impl IdKind {
    /// Chinese name of the document.
    pub fn label(self) -> &'static str {
        match self {
            IdKind::Mainland => "居民身份证",
            IdKind::HongKongMacaoTaiwanResidencePermit => "港澳台居民居住证",
            IdKind::ForeignPermanentResident => "外国人永久居留身份证",
        }
    }
}

/// Why a string is not a valid ID number. Display texts are shown to users.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdNumberError {
    #[error("身份证号不能为空")]
    Empty,
    #[error("不支持15位旧身份证号，请填写18位身份证号")]
    Legacy15Digits,
    #[error("身份证号应为18位，实际为{len}位")]
    WrongLength { len: usize },
    /// `position` is 1-based.
    #[error("身份证号第{position}位字符无效（前17位应为数字，末位为数字或X）")]
    InvalidCharacter { position: usize },
    #[error("身份证号地区码无效")]
    UnknownRegion,
    #[error("身份证号中的出生日期无效")]
    InvalidBirthDate,
    #[error("身份证号校验位错误")]
    BadCheckDigit,
}

/// Gender as encoded in the ID number and in rosters (GB/T 2261.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    /// Chinese label: "男" / "女".
    pub fn label(self) -> &'static str {
        match self {
            Gender::Male => "男",
            Gender::Female => "女",
        }
    }

    /// GB/T 2261.1 code: "1" / "2".
    pub fn code(self) -> &'static str {
        match self {
            Gender::Male => "1",
            Gender::Female => "2",
        }
    }

    /// Accepts 男 / 女 / 男性 / 女性 / 1 / 2 (trimmed).
    pub fn parse(s: &str) -> Option<Gender> {
        match s.trim() {
            "男" | "男性" | "1" => Some(Gender::Male),
            "女" | "女性" | "2" => Some(Gender::Female),
            _ => None,
        }
    }
}

impl IdNumber {
    /// Validates and normalises an ID number (see the type's documentation for the rules).
    pub fn parse(s: &str) -> Result<IdNumber, IdNumberError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(IdNumberError::Empty);
        }
        let chars: Vec<char> = trimmed.chars().collect();
        if chars.len() == 15 && chars.iter().all(char::is_ascii_digit) {
            return Err(IdNumberError::Legacy15Digits);
        }
        if chars.len() != 18 {
            return Err(IdNumberError::WrongLength { len: chars.len() });
        }

        let mut normalised = String::with_capacity(18);
        for (i, &c) in chars.iter().enumerate() {
            let c = if i == 17 && c == 'x' { 'X' } else { c };
            let ok = c.is_ascii_digit() || (i == 17 && c == 'X');
            if !ok {
                return Err(IdNumberError::InvalidCharacter { position: i + 1 });
            }
            normalised.push(c);
        }

        if region_kind(&normalised).is_none() {
            return Err(IdNumberError::UnknownRegion);
        }
        if birth_date_of(&normalised).is_none() {
            return Err(IdNumberError::InvalidBirthDate);
        }
        if check_char(&normalised) != chars_at(&normalised, 17) {
            return Err(IdNumberError::BadCheckDigit);
        }
        Ok(IdNumber(normalised))
    }

    /// The full, normalised number. Only for storage and exact matching: never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Masked form for display: first 6, eight `*`, last 4 ("110101********0839").
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }

    /// The birth date encoded at positions 7..=14.
    pub fn birth_date(&self) -> Date {
        // Checked in `parse`; the fallback is never reached but avoids a panic path.
        birth_date_of(&self.0).unwrap_or(Date::MIN)
    }

    /// Gender from the parity of the 17th digit (odd = male).
    pub fn gender(&self) -> Gender {
        match self.0.as_bytes().get(16) {
            Some(d) if d.wrapping_sub(b'0') % 2 == 1 => Gender::Male,
            _ => Gender::Female,
        }
    }

    /// Which document this number belongs to.
    pub fn kind(&self) -> IdKind {
        region_kind(&self.0).unwrap_or(IdKind::Mainland)
    }
}

impl FromStr for IdNumber {
    type Err = IdNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdNumber::parse(s)
    }
}

impl TryFrom<&str> for IdNumber {
    type Error = IdNumberError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        IdNumber::parse(s)
    }
}

impl AsRef<str> for IdNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Prints only the masked form so that logs never carry the full number.
impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber").field(&self.masked()).finish()
    }
}

/// Masks any stored ID-like string: keeps the first 6 and last 4 characters and stars the rest
/// (eight stars for an 18-character value). Strings of 10 characters or fewer become all `*`.
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    let n = chars.len();
    if n <= 10 {
        return "*".repeat(n);
    }
    let mut out = String::with_capacity(n + 8);
    out.extend(&chars[..6]);
    out.push_str(&"*".repeat(n - 10));
    out.extend(&chars[n - 4..]);
    out
}

/// The kind implied by the leading characters, or `None` when they are not a real region.
/// Expects 18 ASCII characters.
fn region_kind(s: &str) -> Option<IdKind> {
    let bytes = s.as_bytes();
    let first = *bytes.first()?;
    if first == b'9' {
        // Foreigners' permanent residence numbers start with 9 followed by a digit.
        return bytes
            .get(1)
            .filter(|b| b.is_ascii_digit())
            .map(|_| IdKind::ForeignPermanentResident);
    }
    if HMT_PREFIXES.iter().any(|p| s.starts_with(p)) {
        return Some(IdKind::HongKongMacaoTaiwanResidencePermit);
    }
    // 81/82/83 are used only with the exact permit prefixes above.
    let province: u8 = s.get(..2)?.parse().ok()?;
    PROVINCES.contains(&province).then_some(IdKind::Mainland)
}

/// The birth date at positions 7..=14, if it is a real date in or after 1900.
fn birth_date_of(s: &str) -> Option<Date> {
    let year: i32 = s.get(6..10)?.parse().ok()?;
    let month: u8 = s.get(10..12)?.parse().ok()?;
    let day: u8 = s.get(12..14)?.parse().ok()?;
    if year < 1900 {
        return None;
    }
    let month = Month::try_from(month).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// The MOD 11-2 check character for the first 17 digits.
fn check_char(s: &str) -> char {
    let sum: u32 = s
        .bytes()
        .take(17)
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b.wrapping_sub(b'0')) * w)
        .sum();
    // `sum % 11` is always a valid index (0..=10).
    CHECK_CHARS[(sum % 11) as usize]
}

fn chars_at(s: &str, i: usize) -> char {
    s.as_bytes().get(i).map_or('\0', |&b| char::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const VALID: [&str; 4] = [
        "11010519491231002X",
        "34052419800101001X",
        "810000199408230021",
        "830000199201300022",
    ];

    #[test]
    fn accepts_reference_vectors() {
        for v in VALID {
            let id = IdNumber::parse(v).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(id.as_str(), v);
        }
    }

    #[test]
    fn rejects_bad_check_digit_vector() {
        assert_eq!(
            IdNumber::parse("340524198001010013"),
            Err(IdNumberError::BadCheckDigit)
        );
    }

    #[test]
    fn every_single_character_change_is_rejected() {
        let alphabet: Vec<char> = "0123456789X".chars().collect();
        for v in VALID {
            let original: Vec<char> = v.chars().collect();
            for pos in 0..original.len() {
                for &c in &alphabet {
                    if c == original[pos] {
                        continue;
                    }
                    let mut changed = original.clone();
                    changed[pos] = c;
                    let changed: String = changed.into_iter().collect();
                    assert!(
                        IdNumber::parse(&changed).is_err(),
                        "{changed} (from {v}) should be rejected"
                    );
                }
            }
        }
    }

    #[test]
    fn normalises_lowercase_x_and_whitespace() {
        let id = IdNumber::parse("  11010519491231002x ").expect("valid");
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id, IdNumber::parse("11010519491231002X").expect("valid"));
    }

    #[test]
    fn decodes_birth_date_gender_and_kind() {
        let id = IdNumber::parse("11010519491231002X").expect("valid");
        assert_eq!(id.birth_date(), date!(1949 - 12 - 31));
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.kind(), IdKind::Mainland);

        let id = IdNumber::parse("340104200403150018").expect("valid");
        assert_eq!(id.gender(), Gender::Male);

        let id = IdNumber::parse("810000199408230021").expect("valid");
        assert_eq!(id.kind(), IdKind::HongKongMacaoTaiwanResidencePermit);
        assert_eq!(id.birth_date(), date!(1994 - 08 - 23));
        let id = IdNumber::parse("830000199201300022").expect("valid");
        assert_eq!(id.kind(), IdKind::HongKongMacaoTaiwanResidencePermit);
    }

    #[test]
    fn accepts_foreign_permanent_resident_number() {
        // 9 + 11 (Beijing) + 156-style country code + birth date + sequence, check computed.
        let body = "91115619900101001";
        let full = format!("{body}{}", check_char(body));
        let id = IdNumber::parse(&full).expect("valid");
        assert_eq!(id.kind(), IdKind::ForeignPermanentResident);
    }

    #[test]
    fn error_variants() {
        assert_eq!(IdNumber::parse("   "), Err(IdNumberError::Empty));
        assert_eq!(
            IdNumber::parse("340524800101001"),
            Err(IdNumberError::Legacy15Digits)
        );
        assert_eq!(
            IdNumber::parse("3405241980010100"),
            Err(IdNumberError::WrongLength { len: 16 })
        );
        assert_eq!(
            IdNumber::parse("34052419800101X01X"),
            Err(IdNumberError::InvalidCharacter { position: 15 })
        );
        assert_eq!(
            IdNumber::parse("34０524198001010013"),
            Err(IdNumberError::InvalidCharacter { position: 3 })
        );
        // Region 99? No: 9x is foreign; 00 and 80 are not provinces; 81 needs 810000.
        for bad in [
            "00052419800101001X",
            "80052419800101001X",
            "81052419800101001X",
        ] {
            assert_eq!(IdNumber::parse(bad), Err(IdNumberError::UnknownRegion));
        }
        // 1899 and 30 February are not accepted, whatever the check character.
        for bad in ["340524189901010013", "340524200002300013"] {
            assert_eq!(IdNumber::parse(bad), Err(IdNumberError::InvalidBirthDate));
        }
    }

    #[test]
    fn messages_are_chinese() {
        assert_eq!(
            IdNumberError::BadCheckDigit.to_string(),
            "身份证号校验位错误"
        );
        assert!(IdNumberError::Legacy15Digits.to_string().contains("18位"));
    }

    #[test]
    fn masking() {
        let id = IdNumber::parse("11010519491231002X").expect("valid");
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(\"110105********002X\")");
        assert!(!format!("{id:?}").contains("19491231"));
        assert_eq!(mask_id_number("110101199003070839"), "110101********0839");
        assert_eq!(mask_id_number("12345"), "*****");
        assert_eq!(mask_id_number(""), "");
        assert_eq!(mask_id_number("340524800101001"), "340524*****1001");
    }

    #[test]
    fn gender_parse_and_codes() {
        assert_eq!(Gender::parse("男"), Some(Gender::Male));
        assert_eq!(Gender::parse(" 2 "), Some(Gender::Female));
        assert_eq!(Gender::parse("x"), None);
        assert_eq!(Gender::Male.code(), "1");
        assert_eq!(Gender::Female.label(), "女");
    }
}
