//! Contact details: mainland mobile numbers, postcodes and email addresses, with the masking
//! rules used wherever the full value is not needed (SPEC §3: `133****5660`, `hjl***@qq.com`).
//!
//! Mobile numbers and email addresses are personal data: their `Debug` output is masked.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Longest email address accepted (RFC 5321 path limit).
const EMAIL_MAX_LEN: usize = 254;

/// A mainland mobile number: 11 digits matching `1[3-9]\d{9}`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MobileNumber(String);

/// Why a string is not a valid mobile number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MobileNumberError {
    #[error("手机号码不能为空")]
    Empty,
    #[error("手机号码只能包含数字")]
    NotDigits,
    #[error("手机号码应为11位，实际为{len}位")]
    WrongLength { len: usize },
    #[error("手机号码应以13至19开头")]
    InvalidPrefix,
}

impl MobileNumber {
    /// Strips spaces and hyphens and an optional "+86" / "86" country prefix, then validates.
    pub fn parse(s: &str) -> Result<MobileNumber, MobileNumberError> {
        let compact: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '－'))
            .collect();
        if compact.is_empty() {
            return Err(MobileNumberError::Empty);
        }
        let digits = compact.strip_prefix('+').unwrap_or(&compact);
        // A bare "86" is a country prefix only when it leaves exactly 11 characters:
        // no mobile number itself starts with 8.
        let digits = match digits.strip_prefix("86") {
            Some(rest) if rest.chars().count() == 11 => rest,
            _ if compact.starts_with('+') => return Err(MobileNumberError::InvalidPrefix),
            _ => digits,
        };
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(MobileNumberError::NotDigits);
        }
        if digits.len() != 11 {
            return Err(MobileNumberError::WrongLength { len: digits.len() });
        }
        let b = digits.as_bytes();
        if b.first() != Some(&b'1') || !matches!(b.get(1), Some(b'3'..=b'9')) {
            return Err(MobileNumberError::InvalidPrefix);
        }
        Ok(MobileNumber(digits.to_owned()))
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "133****5660": first 3, four `*`, last 4.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

impl FromStr for MobileNumber {
    type Err = MobileNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MobileNumber::parse(s)
    }
}

impl TryFrom<&str> for MobileNumber {
    type Error = MobileNumberError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        MobileNumber::parse(s)
    }
}

impl AsRef<str> for MobileNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Prints only the masked form so that logs never carry the full number.
impl fmt::Debug for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MobileNumber").field(&self.masked()).finish()
    }
}

/// Masks any stored phone string: keeps the first 3 and last 4 characters and stars the middle
/// ("133****5660" for 11 characters); strings of 7 characters or fewer become all `*`.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    let n = chars.len();
    if n <= 7 {
        return "*".repeat(n);
    }
    let mut out = String::with_capacity(n + 4);
    out.extend(&chars[..3]);
    out.push_str(&"*".repeat(n - 7));
    out.extend(&chars[n - 4..]);
    out
}

/// A mainland postcode (邮政编码): 6 digits, the first 0-8.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Postcode(String);

/// Why a string is not a valid postcode.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PostcodeError {
    #[error("邮政编码不能为空")]
    Empty,
    #[error("邮政编码应为6位数字，首位为0至8")]
    Invalid,
}

impl Postcode {
    /// Trims and validates.
    pub fn parse(s: &str) -> Result<Postcode, PostcodeError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(PostcodeError::Empty);
        }
        let b = s.as_bytes();
        let ok = b.len() == 6
            && b.iter().all(u8::is_ascii_digit)
            && matches!(b.first(), Some(b'0'..=b'8'));
        if !ok {
            return Err(PostcodeError::Invalid);
        }
        Ok(Postcode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Postcode {
    type Err = PostcodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Postcode::parse(s)
    }
}

impl AsRef<str> for Postcode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address, validated pragmatically (not RFC 5322): one `@`, a non-empty local part,
/// a dotted domain, no whitespace, at most 254 characters. The domain is stored lower-cased;
/// the local part is kept as typed because some servers treat it case-sensitively.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why a string is not a valid email address.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmailError {
    #[error("电子邮箱不能为空")]
    Empty,
    #[error("电子邮箱过长（最多254个字符）")]
    TooLong { len: usize },
    #[error("电子邮箱不能包含空格或特殊符号")]
    InvalidCharacter,
    #[error("电子邮箱应包含且只包含一个 @")]
    NotOneAt,
    #[error("电子邮箱 @ 前面不能为空")]
    EmptyLocalPart,
    #[error("电子邮箱 @ 后面的域名无效")]
    InvalidDomain,
}

impl Email {
    /// Trims, validates and lower-cases the domain.
    pub fn parse(s: &str) -> Result<Email, EmailError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        let len = s.chars().count();
        if len > EMAIL_MAX_LEN {
            return Err(EmailError::TooLong { len });
        }
        if s.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '"' | '\\'
                )
        }) {
            return Err(EmailError::InvalidCharacter);
        }
        let mut parts = s.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(EmailError::NotOneAt);
        };
        if local.is_empty() {
            return Err(EmailError::EmptyLocalPart);
        }
        let domain = domain.to_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels
                .iter()
                .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        if !domain_ok {
            return Err(EmailError::InvalidDomain);
        }
        Ok(Email(format!("{local}@{domain}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "hjl***@qq.com" (see [`mask_email`]).
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }
}

impl FromStr for Email {
    type Err = EmailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Email::parse(s)
    }
}

impl TryFrom<&str> for Email {
    type Error = EmailError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Email::parse(s)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Prints only the masked form so that logs never carry the full address.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Email").field(&self.masked()).finish()
    }
}

/// Masks any stored email string: keeps the first 3 characters of the local part (at most
/// all but one of them, so a short local part is never shown whole), then "***@domain".
/// A value without `@` is masked the same way as a bare local part.
pub fn mask_email(s: &str) -> String {
    let s = s.trim();
    let (local, domain) = match s.rsplit_once('@') {
        Some((l, d)) => (l, Some(d)),
        None => (s, None),
    };
    let keep = local.chars().count().saturating_sub(1).min(3);
    let mut out: String = local.chars().take(keep).collect();
    out.push_str("***");
    if let Some(d) = domain {
        out.push('@');
        out.push_str(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_accepts_valid_forms() {
        for v in [
            "13312345660",
            " 133 1234 5660 ",
            "133-1234-5660",
            "+8613312345660",
            "+86 133 1234 5660",
            "8613312345660",
            "19912345678",
        ] {
            let m = MobileNumber::parse(v).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(m.as_str().len(), 11);
        }
        assert_eq!(
            MobileNumber::parse("+86 133-1234-5660")
                .expect("valid")
                .as_str(),
            "13312345660"
        );
    }

    #[test]
    fn mobile_rejects_invalid_forms() {
        assert_eq!(MobileNumber::parse(" "), Err(MobileNumberError::Empty));
        assert_eq!(
            MobileNumber::parse("1331234566"),
            Err(MobileNumberError::WrongLength { len: 10 })
        );
        assert_eq!(
            MobileNumber::parse("133123456601"),
            Err(MobileNumberError::WrongLength { len: 12 })
        );
        assert_eq!(
            MobileNumber::parse("12312345660"),
            Err(MobileNumberError::InvalidPrefix)
        );
        assert_eq!(
            MobileNumber::parse("23312345660"),
            Err(MobileNumberError::InvalidPrefix)
        );
        assert_eq!(
            MobileNumber::parse("+1 13312345660"),
            Err(MobileNumberError::InvalidPrefix)
        );
        assert_eq!(
            MobileNumber::parse("1331234566a"),
            Err(MobileNumberError::NotDigits)
        );
        assert_eq!(
            MobileNumber::parse("021-12345678"),
            Err(MobileNumberError::InvalidPrefix)
        );
    }

    #[test]
    fn mobile_every_non_matching_single_change_is_rejected() {
        let valid: Vec<char> = "13312345660".chars().collect();
        let candidates: Vec<char> = "0123456789aZ#.+中".chars().collect();
        for pos in 0..valid.len() {
            for &c in &candidates {
                if c == valid[pos] {
                    continue;
                }
                let mut changed = valid.clone();
                changed[pos] = c;
                let changed: String = changed.into_iter().collect();
                let matches_pattern = changed.len() == 11
                    && changed.starts_with('1')
                    && changed.chars().all(|c| c.is_ascii_digit())
                    && matches!(changed.as_bytes()[1], b'3'..=b'9');
                assert_eq!(
                    MobileNumber::parse(&changed).is_ok(),
                    matches_pattern,
                    "{changed}"
                );
            }
        }
    }

    #[test]
    fn mobile_masking() {
        let m = MobileNumber::parse("13312345660").expect("valid");
        assert_eq!(m.masked(), "133****5660");
        assert_eq!(format!("{m:?}"), "MobileNumber(\"133****5660\")");
        assert_eq!(mask_phone("13312345660"), "133****5660");
        assert_eq!(mask_phone("0551-12345678"), "055******5678");
        assert_eq!(mask_phone("1234567"), "*******");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn postcode() {
        assert_eq!(
            Postcode::parse(" 230001 ").expect("valid").as_str(),
            "230001"
        );
        assert!(Postcode::parse("030000").is_ok());
        assert_eq!(Postcode::parse(""), Err(PostcodeError::Empty));
        for bad in ["23000", "2300011", "23000a", "930001", "２３０００１"] {
            assert_eq!(Postcode::parse(bad), Err(PostcodeError::Invalid), "{bad}");
        }
    }

    #[test]
    fn email_accepts_and_normalises() {
        let e = Email::parse(" HJL.Li+tag@QQ.Com ").expect("valid");
        assert_eq!(e.as_str(), "HJL.Li+tag@qq.com");
        assert!(Email::parse("a@b.cn").is_ok());
        assert!(Email::parse("zhang_san@mail.ustc.edu.cn").is_ok());
    }

    #[test]
    fn email_rejects_invalid() {
        assert_eq!(Email::parse(""), Err(EmailError::Empty));
        assert_eq!(
            Email::parse("hjl qq@qq.com"),
            Err(EmailError::InvalidCharacter)
        );
        assert_eq!(Email::parse("hjl.qq.com"), Err(EmailError::NotOneAt));
        assert_eq!(Email::parse("a@b@qq.com"), Err(EmailError::NotOneAt));
        assert_eq!(Email::parse("@qq.com"), Err(EmailError::EmptyLocalPart));
        for bad in [
            "a@qq",
            "a@.qq.com",
            "a@qq..com",
            "a@qq.com.",
            "a@-qq.com",
            "a@",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::InvalidDomain), "{bad}");
        }
        let long = format!("{}@qq.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong { len: 257 }));
        assert_eq!(Email::parse("hjl＠qq.com"), Err(EmailError::NotOneAt));
    }

    #[test]
    fn email_masking() {
        let e = Email::parse("hjl123@qq.com").expect("valid");
        assert_eq!(e.masked(), "hjl***@qq.com");
        assert_eq!(format!("{e:?}"), "Email(\"hjl***@qq.com\")");
        assert_eq!(mask_email("ab@qq.com"), "a***@qq.com");
        assert_eq!(mask_email("abc@qq.com"), "ab***@qq.com");
        assert_eq!(mask_email("abcd@qq.com"), "abc***@qq.com");
        assert_eq!(mask_email("a@qq.com"), "***@qq.com");
        assert_eq!(mask_email("张三丰的@qq.com"), "张三丰***@qq.com");
        assert_eq!(mask_email("nodomain"), "nod***");
    }

    #[test]
    fn messages_are_chinese() {
        assert_eq!(MobileNumberError::Empty.to_string(), "手机号码不能为空");
        assert!(PostcodeError::Invalid.to_string().contains("6位"));
        assert!(EmailError::NotOneAt.to_string().contains("@"));
    }
}
