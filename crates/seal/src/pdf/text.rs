//! PDF text strings and dates (ISO 32000-1 §7.9.2 and §7.9.4).

use der::DateTime;
use std::time::Duration;

use crate::SealError;

/// A text string as PDF source: a literal `( … )` for printable ASCII, otherwise UTF-16BE with
/// a byte-order mark in hex, which every reader decodes (PDFDocEncoding cannot hold Chinese).
pub(crate) fn encode_text(s: &str) -> String {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('(');
        for c in s.chars() {
            if matches!(c, '(' | ')' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push(')');
        out
    } else {
        let mut out = String::from("<FEFF");
        for unit in s.encode_utf16() {
            out.push_str(&format!("{unit:04X}"));
        }
        out.push('>');
        out
    }
}

/// Decodes a text string's bytes: UTF-16BE or UTF-8 by their marks, else PDFDocEncoding,
/// read as Latin-1 (identical for the ASCII that matters here).
pub(crate) fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
            .collect();
        String::from_utf16_lossy(&units)
    } else if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        bytes.iter().map(|&b| char::from(b)).collect()
    }
}

pub(crate) fn date_time(unix: i64) -> Result<DateTime, SealError> {
    u64::try_from(unix)
        .ok()
        .and_then(|s| DateTime::from_unix_duration(Duration::from_secs(s)).ok())
        .ok_or_else(|| SealError::InvalidOption(format!("时间 {unix} 超出 1970–9999 年")))
}

/// `D:YYYYMMDDHHmmSS+00'00'` in UTC.
pub(crate) fn encode_date(unix: i64) -> Result<String, SealError> {
    let t = date_time(unix)?;
    Ok(format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}+00'00'",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minutes(),
        t.seconds()
    ))
}

/// Parses a PDF date (fields after the year optional; `Z`, `+HH'mm'` or `-HH'mm'` zone).
pub(crate) fn decode_date(s: &str) -> Option<i64> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, zone) = s.split_at(digits_end);
    if digits.len() < 4 || digits.len() > 14 || digits.len() % 2 != 0 {
        return None;
    }
    let field = |from: usize, default: u8| -> Option<u8> {
        digits
            .get(from..from + 2)
            .map_or(Some(default), |f| f.parse().ok())
    };
    let year: u16 = digits[..4].parse().ok()?;
    let t = DateTime::new(
        year,
        field(4, 1)?,
        field(6, 1)?,
        field(8, 0)?,
        field(10, 0)?,
        field(12, 0)?,
    )
    .ok()?;
    let local = i64::try_from(t.unix_duration().as_secs()).ok()?;
    let offset = match zone.chars().next() {
        None | Some('Z') => 0,
        Some(sign @ ('+' | '-')) => {
            let z: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
            let hours: i64 = z.get(..2)?.parse().ok()?;
            let minutes: i64 = z.get(2..4).map_or(Some(0), |m| m.parse().ok())?;
            let secs = hours * 3600 + minutes * 60;
            if sign == '+' {
                secs
            } else {
                -secs
            }
        }
        Some(_) => return None,
    };
    Some(local - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip() {
        assert_eq!(encode_text("a(b)\\c"), r"(a\(b\)\\c)");
        assert_eq!(encode_text("中国"), "<FEFF4E2D56FD>");
        assert_eq!(decode_text(&[0xfe, 0xff, 0x4e, 0x2d, 0x56, 0xfd]), "中国");
        assert_eq!(decode_text(b"plain"), "plain");
        // Outside the BMP: a surrogate pair.
        assert_eq!(encode_text("𠀀"), "<FEFFD840DC00>");
    }

    #[test]
    fn dates() {
        // 2025-06-30 08:09:10 UTC
        let t = 1_751_270_950;
        assert_eq!(encode_date(t).unwrap(), "D:20250630080910+00'00'");
        assert_eq!(decode_date("D:20250630080910+00'00'"), Some(t));
        assert_eq!(decode_date("D:20250630160910+08'00'"), Some(t));
        assert_eq!(decode_date("D:20250630080910Z"), Some(t));
        assert_eq!(decode_date("D:2025"), Some(1_735_689_600));
        assert_eq!(decode_date("garbage"), None);
        assert!(encode_date(-1).is_err());
    }
}
