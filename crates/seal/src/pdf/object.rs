//! A small reader for the PDF object syntax (ISO 32000-1 §7.3): just enough to read
//! cross-reference sections, the catalog, the page tree and signature dictionaries.
//!
//! Dictionary entries keep the byte spans of their keys and values so that a dictionary can be
//! re-emitted in an incremental update by copying the original text of every entry we do not
//! change: nothing is re-serialised, so nothing can be subtly altered.

use std::ops::Range;

use crate::SealError;

/// Nesting deeper than this is treated as malformed, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Ref {
    pub num: u32,
    pub gen: u16,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Object {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    /// Literal or hexadecimal string, already decoded to its bytes.
    String(Vec<u8>),
    Array(Vec<Object>),
    Dict(Dict),
    Ref(Ref),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub key: Vec<u8>,
    pub key_span: Range<usize>,
    pub value: Object,
    pub value_span: Range<usize>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Dict {
    pub entries: Vec<Entry>,
}

impl Dict {
    pub fn entry(&self, key: &[u8]) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    pub fn get(&self, key: &[u8]) -> Option<&Object> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn name_is(&self, key: &[u8], name: &[u8]) -> bool {
        matches!(self.get(key), Some(Object::Name(n)) if n == name)
    }
}

impl Object {
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Object::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_ref(&self) -> Option<Ref> {
        match self {
            Object::Ref(r) => Some(*r),
            _ => None,
        }
    }
}

/// An indirect object `n g obj … endobj`, with the span of its value and, for a stream, of its
/// raw (still encoded) data.
#[derive(Clone, Debug)]
pub(crate) struct Indirect {
    pub id: Ref,
    pub value: Object,
    pub value_span: Range<usize>,
    pub stream: Option<Range<usize>>,
}

pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, 0 | 9 | 10 | 12 | 13 | 32)
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_ws(b) && !is_delim(b)
}

pub(crate) fn malformed(pos: usize, what: &str) -> SealError {
    SealError::PdfSyntax(format!("偏移 {pos} 处{what}"))
}

pub(crate) struct Parser<'a> {
    buf: &'a [u8],
    pub pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    pub fn new(buf: &'a [u8], pos: usize) -> Self {
        // Offsets come from the file and may point past its end; such a parser sees only EOF.
        Parser {
            buf,
            pos: pos.min(buf.len()),
            depth: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.buf.get(self.pos + ahead).copied()
    }

    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    /// Skips white space and comments.
    pub fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_ws(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// A run of regular characters (a keyword or a number), after white space.
    pub fn word(&mut self) -> &'a [u8] {
        self.skip_ws();
        let start = self.pos;
        while self.peek().is_some_and(is_regular) {
            self.pos += 1;
        }
        &self.buf[start..self.pos]
    }

    pub fn expect_word(&mut self, word: &[u8]) -> Result<(), SealError> {
        let at = self.pos;
        if self.word() == word {
            Ok(())
        } else {
            Err(malformed(
                at,
                &format!("应为“{}”", String::from_utf8_lossy(word)),
            ))
        }
    }

    pub fn unsigned(&mut self) -> Result<u64, SealError> {
        let at = self.pos;
        let w = self.word();
        if w.is_empty() || !w.iter().all(u8::is_ascii_digit) {
            return Err(malformed(at, "应为非负整数"));
        }
        std::str::from_utf8(w)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| malformed(at, "整数过大"))
    }

    /// One object, references `n g R` included.
    pub fn object(&mut self) -> Result<Object, SealError> {
        self.skip_ws();
        let at = self.pos;
        match self.peek() {
            None => Err(malformed(at, "文件意外结束")),
            Some(b'/') => Ok(Object::Name(self.name()?)),
            Some(b'(') => Ok(Object::String(self.literal_string()?)),
            Some(b'<') if self.peek_at(1) == Some(b'<') => Ok(Object::Dict(self.dict()?)),
            Some(b'<') => Ok(Object::String(self.hex_string()?)),
            Some(b'[') => self.array(),
            Some(b) if b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.') => self.number(),
            Some(b) if is_regular(b) => match self.word() {
                b"true" => Ok(Object::Bool(true)),
                b"false" => Ok(Object::Bool(false)),
                b"null" => Ok(Object::Null),
                _ => Err(malformed(at, "有无法识别的关键字")),
            },
            Some(_) => Err(malformed(at, "有意外的分隔符")),
        }
    }

    fn enter(&mut self) -> Result<(), SealError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(malformed(self.pos, "嵌套过深"))
        } else {
            Ok(())
        }
    }

    fn name(&mut self) -> Result<Vec<u8>, SealError> {
        self.pos += 1; // '/'
        let mut out = Vec::new();
        while let Some(b) = self.peek().filter(|b| is_regular(*b)) {
            if b == b'#' {
                let hex = self.buf.get(self.pos + 1..self.pos + 3);
                let byte = hex
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| malformed(self.pos, "名称中的 # 转义无效"))?;
                out.push(byte);
                self.pos += 3;
            } else {
                out.push(b);
                self.pos += 1;
            }
        }
        Ok(out)
    }

    fn literal_string(&mut self) -> Result<Vec<u8>, SealError> {
        let start = self.pos;
        self.pos += 1; // '('
        let mut out = Vec::new();
        let mut open = 1usize;
        loop {
            let Some(b) = self.peek() else {
                return Err(malformed(start, "字符串没有结束"));
            };
            self.pos += 1;
            match b {
                b'(' => {
                    open += 1;
                    out.push(b);
                }
                b')' => {
                    open -= 1;
                    if open == 0 {
                        return Ok(out);
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(e) = self.peek() else { continue };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        // A backslash before an end of line continues the string.
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
    }

    fn hex_string(&mut self) -> Result<Vec<u8>, SealError> {
        let start = self.pos;
        self.pos += 1; // '<'
        let mut nibbles = Vec::new();
        loop {
            match self.peek() {
                None => return Err(malformed(start, "十六进制字符串没有结束")),
                Some(b'>') => {
                    self.pos += 1;
                    break;
                }
                Some(b) if is_ws(b) => self.pos += 1,
                Some(b) => {
                    let v = (b as char)
                        .to_digit(16)
                        .ok_or_else(|| malformed(self.pos, "十六进制字符串中有非法字符"))?;
                    nibbles.push(v as u8);
                    self.pos += 1;
                }
            }
        }
        // An odd final digit is followed by an implied 0.
        if nibbles.len() % 2 == 1 {
            nibbles.push(0);
        }
        Ok(nibbles.chunks(2).map(|p| (p[0] << 4) | p[1]).collect())
    }

    fn array(&mut self) -> Result<Object, SealError> {
        let start = self.pos;
        self.enter()?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(malformed(start, "数组没有结束")),
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                Some(_) => items.push(self.object()?),
            }
        }
        self.depth -= 1;
        Ok(Object::Array(items))
    }

    pub fn dict(&mut self) -> Result<Dict, SealError> {
        let start = self.pos;
        self.enter()?;
        self.pos += 2; // '<<'
        let mut entries = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(malformed(start, "字典没有结束")),
                Some(b'>') if self.peek_at(1) == Some(b'>') => {
                    self.pos += 2;
                    break;
                }
                Some(b'/') => {
                    let key_start = self.pos;
                    let key = self.name()?;
                    let key_span = key_start..self.pos;
                    self.skip_ws();
                    let value_start = self.pos;
                    let value = self.object()?;
                    entries.push(Entry {
                        key,
                        key_span,
                        value,
                        value_span: value_start..self.pos,
                    });
                }
                Some(_) => return Err(malformed(self.pos, "字典的键应为名称")),
            }
        }
        self.depth -= 1;
        Ok(Dict { entries })
    }

    fn number(&mut self) -> Result<Object, SealError> {
        let at = self.pos;
        let w = self.word();
        let s = std::str::from_utf8(w).map_err(|_| malformed(at, "数字无效"))?;
        if !s.contains('.') {
            if let Ok(i) = s.parse::<i64>() {
                if !s.starts_with(['+', '-']) {
                    if let Some(r) = self.try_reference(i) {
                        return Ok(Object::Ref(r));
                    }
                }
                return Ok(Object::Int(i));
            }
        }
        // PDF reals have no exponent; Rust's parser accepts a superset, which is harmless here.
        let normalised = if s.starts_with('.') || s.starts_with("-.") || s.starts_with("+.") {
            s.replacen('.', "0.", 1)
        } else {
            s.to_string()
        };
        normalised
            .parse::<f64>()
            .map(Object::Real)
            .map_err(|_| malformed(at, "数字无效"))
    }

    /// After an integer, looks ahead for `g R`; leaves the position untouched if absent.
    fn try_reference(&mut self, num: i64) -> Option<Ref> {
        let saved = self.pos;
        let found = (|| {
            let num = u32::try_from(num).ok()?;
            self.skip_ws();
            let start = self.pos;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            if self.pos == start || self.peek().is_some_and(is_regular) {
                return None;
            }
            let gen: u16 = std::str::from_utf8(&self.buf[start..self.pos])
                .ok()?
                .parse()
                .ok()?;
            self.skip_ws();
            if self.peek() == Some(b'R') && !self.peek_at(1).is_some_and(is_regular) {
                self.pos += 1;
                Some(Ref { num, gen })
            } else {
                None
            }
        })();
        if found.is_none() {
            self.pos = saved;
        }
        found
    }

    /// `n g obj <object> [stream … endstream]` at the current position.
    pub fn indirect(&mut self) -> Result<Indirect, SealError> {
        let at = self.pos;
        let num = self.unsigned()?;
        let gen = self.unsigned()?;
        self.expect_word(b"obj")?;
        let id = Ref {
            num: u32::try_from(num).map_err(|_| malformed(at, "对象编号过大"))?,
            gen: u16::try_from(gen).map_err(|_| malformed(at, "代号过大"))?,
        };
        self.skip_ws();
        let value_start = self.pos;
        let value = self.object()?;
        let value_span = value_start..self.pos;
        let mut stream = None;
        if let Object::Dict(d) = &value {
            let save = self.pos;
            if self.word() == b"stream" {
                stream = Some(self.stream_data(d)?);
            } else {
                self.pos = save;
            }
        }
        Ok(Indirect {
            id,
            value,
            value_span,
            stream,
        })
    }

    /// The raw data after the `stream` keyword. Uses a direct /Length when it is consistent
    /// with an `endstream` after it; otherwise (an indirect /Length, a wrong one) searches.
    fn stream_data(&mut self, dict: &Dict) -> Result<Range<usize>, SealError> {
        if self.peek() == Some(b'\r') {
            self.pos += 1;
        }
        if self.peek() == Some(b'\n') {
            self.pos += 1;
        }
        let start = self.pos;
        if let Some(len) = dict
            .get(b"Length")
            .and_then(Object::as_int)
            .and_then(|l| usize::try_from(l).ok())
        {
            if let Some(end) = start.checked_add(len).filter(|e| *e <= self.buf.len()) {
                let mut after = Parser::new(self.buf, end);
                if after.word() == b"endstream" {
                    self.pos = after.pos;
                    return Ok(start..end);
                }
            }
        }
        let found = find(&self.buf[start..], b"endstream")
            .ok_or_else(|| malformed(start, "流没有 endstream"))?;
        let mut end = start + found;
        self.pos = end + b"endstream".len();
        // The end-of-line marker before `endstream` is not part of the data.
        if end > start && self.buf[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        Ok(start..end)
    }
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub(crate) fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Object {
        Parser::new(s.as_bytes(), 0).object().unwrap()
    }

    #[test]
    fn scalars_and_refs() {
        assert_eq!(parse("  42 "), Object::Int(42));
        assert_eq!(parse("-3"), Object::Int(-3));
        assert_eq!(parse(".5"), Object::Real(0.5));
        assert_eq!(parse("-.5"), Object::Real(-0.5));
        assert_eq!(parse("12 0 R"), Object::Ref(Ref { num: 12, gen: 0 }));
        assert_eq!(parse("true"), Object::Bool(true));
        assert_eq!(parse("null"), Object::Null);
        assert_eq!(parse("/A#20B"), Object::Name(b"A B".to_vec()));
        assert_eq!(
            parse("[1 2 3 0 R 4]"),
            Object::Array(vec![
                Object::Int(1),
                Object::Int(2),
                Object::Ref(Ref { num: 3, gen: 0 }),
                Object::Int(4)
            ])
        );
        // "1 0 Rx" is not a reference followed by a keyword boundary.
        assert!(Parser::new(b"[1 0 Rx]", 0).object().is_err());
    }

    #[test]
    fn strings() {
        assert_eq!(
            parse(
                r"(a(b)c\)\n\101\
d)"
            ),
            Object::String(b"a(b)c)\nAd".to_vec())
        );
        assert_eq!(
            parse("<FE FF 00 41>"),
            Object::String(vec![0xfe, 0xff, 0, 0x41])
        );
        assert_eq!(parse("<ABC>"), Object::String(vec![0xab, 0xc0]));
    }

    #[test]
    fn dict_spans_and_comments() {
        let text = "<< /Type /Catalog % comment\n /Pages 2 0 R /Nested << /A [1 (x)] >> >>";
        let Object::Dict(d) = parse(text) else {
            panic!("not a dict")
        };
        assert!(d.name_is(b"Type", b"Catalog"));
        assert_eq!(d.get(b"Pages"), Some(&Object::Ref(Ref { num: 2, gen: 0 })));
        let nested = d.entry(b"Nested").unwrap();
        assert_eq!(&text[nested.value_span.clone()], "<< /A [1 (x)] >>");
        assert_eq!(&text[d.entry(b"Pages").unwrap().key_span.clone()], "/Pages");
    }

    #[test]
    fn rejects_unbalanced_and_deep_input() {
        assert!(Parser::new(b"<< /A (x", 0).object().is_err());
        assert!(Parser::new(b"<< /A 1", 0).object().is_err());
        let deep = "[".repeat(1000);
        assert!(Parser::new(deep.as_bytes(), 0).object().is_err());
    }

    #[test]
    fn indirect_stream() {
        let text = b"7 0 obj\n<< /Length 5 >>\nstream\r\nhello\nendstream\nendobj";
        let o = Parser::new(text, 0).indirect().unwrap();
        assert_eq!(o.id, Ref { num: 7, gen: 0 });
        assert_eq!(&text[o.stream.unwrap()], b"hello");
        // A wrong /Length falls back to searching for endstream.
        let text = b"7 0 obj\n<< /Length 99 >>\nstream\nhello\nendstream\nendobj";
        let o = Parser::new(text, 0).indirect().unwrap();
        assert_eq!(&text[o.stream.unwrap()], b"hello");
    }
}
