//! Cross-reference sections (classic tables and PDF 1.5 streams, following /Prev and
//! /XRefStm) and lookup of plain indirect objects.

use std::collections::{HashMap, HashSet};

use super::object::{malformed, rfind, Dict, Indirect, Object, Parser, Ref};
use crate::SealError;

/// A bound on /Prev chains, well above what real incremental-update histories reach.
const MAX_SECTIONS: usize = 4096;
/// A bound on an inflated cross-reference stream (20+ million entries).
const MAX_XREF_STREAM: usize = 256 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XrefEntry {
    Free,
    Plain { offset: usize, gen: u16 },
    InObjectStream { stream: u32 },
}

pub(crate) struct Document<'a> {
    pub buf: &'a [u8],
    /// Offset of the newest cross-reference section (the `startxref` value).
    pub startxref: usize,
    /// The newest trailer dictionary, or the newest cross-reference stream's dictionary.
    pub trailer: Dict,
    entries: HashMap<u32, XrefEntry>,
}

impl<'a> Document<'a> {
    pub fn parse(buf: &'a [u8]) -> Result<Self, SealError> {
        let startxref = find_startxref(buf)?;
        let mut doc = Document {
            buf,
            startxref,
            trailer: Dict::default(),
            entries: HashMap::new(),
        };
        let mut seen = HashSet::new();
        let mut next = Some(startxref);
        let mut newest = true;
        while let Some(offset) = next {
            if !seen.insert(offset) || seen.len() > MAX_SECTIONS {
                return Err(SealError::PdfSyntax("交叉引用表的 /Prev 链有循环".into()));
            }
            let trailer = doc.read_section(offset)?;
            next = match trailer.get(b"Prev") {
                Some(Object::Int(p)) => {
                    Some(usize::try_from(*p).map_err(|_| malformed(offset, "/Prev 无效"))?)
                }
                _ => None,
            };
            if newest {
                doc.trailer = trailer;
                newest = false;
            }
        }
        Ok(doc)
    }

    /// Reads one section into `entries` (older sections never override newer ones) and
    /// returns its trailer dictionary.
    fn read_section(&mut self, offset: usize) -> Result<Dict, SealError> {
        if offset >= self.buf.len() {
            return Err(malformed(offset, "没有交叉引用表（startxref 超出文件）"));
        }
        let mut p = Parser::new(self.buf, offset);
        p.skip_ws();
        if p.rest().starts_with(b"xref") {
            p.expect_word(b"xref")?;
            loop {
                p.skip_ws();
                if p.rest().starts_with(b"trailer") {
                    p.expect_word(b"trailer")?;
                    break;
                }
                let first = p.unsigned()?;
                let count = p.unsigned()?;
                for i in 0..count {
                    let at = p.pos;
                    let field1 = p.unsigned()?;
                    let gen = p.unsigned()?;
                    let entry = match p.word() {
                        b"n" => XrefEntry::Plain {
                            offset: usize::try_from(field1)
                                .map_err(|_| malformed(at, "对象偏移无效"))?,
                            gen: u16::try_from(gen).map_err(|_| malformed(at, "代号无效"))?,
                        },
                        b"f" => XrefEntry::Free,
                        _ => return Err(malformed(at, "交叉引用条目应以 n 或 f 结尾")),
                    };
                    let num =
                        u32::try_from(first + i).map_err(|_| malformed(at, "对象编号过大"))?;
                    self.entries.entry(num).or_insert(entry);
                }
            }
            p.skip_ws();
            let at = p.pos;
            let trailer = match p.object()? {
                Object::Dict(d) => d,
                _ => return Err(malformed(at, "trailer 后应为字典")),
            };
            // A hybrid file's table is completed by a stream; it ranks just below the table.
            if let Some(stm) = trailer.get(b"XRefStm").and_then(Object::as_int) {
                let stm = usize::try_from(stm).map_err(|_| malformed(at, "/XRefStm 无效"))?;
                let mut sp = Parser::new(self.buf, stm);
                let obj = sp.indirect()?;
                self.read_xref_stream(&obj)?;
            }
            Ok(trailer)
        } else {
            let obj = p.indirect()?;
            self.read_xref_stream(&obj)?;
            match obj.value {
                Object::Dict(d) => Ok(d),
                _ => unreachable!("read_xref_stream checked it is a dictionary"),
            }
        }
    }

    fn read_xref_stream(&mut self, obj: &Indirect) -> Result<(), SealError> {
        let at = obj.value_span.start;
        let (Object::Dict(dict), Some(data)) = (&obj.value, &obj.stream) else {
            return Err(malformed(at, "应为交叉引用表或交叉引用流"));
        };
        if !dict.name_is(b"Type", b"XRef") {
            return Err(malformed(at, "应为交叉引用流（/Type /XRef）"));
        }
        let widths: Vec<usize> = match dict.get(b"W") {
            Some(Object::Array(w)) if w.len() == 3 => w
                .iter()
                .map(|x| {
                    x.as_int()
                        .and_then(|v| usize::try_from(v).ok())
                        .filter(|v| *v <= 8)
                })
                .collect::<Option<_>>()
                .ok_or_else(|| malformed(at, "/W 无效"))?,
            _ => return Err(malformed(at, "交叉引用流缺少 /W")),
        };
        let size = dict
            .get(b"Size")
            .and_then(Object::as_int)
            .ok_or_else(|| malformed(at, "交叉引用流缺少 /Size"))?;
        let index: Vec<i64> = match dict.get(b"Index") {
            Some(Object::Array(ix)) => ix
                .iter()
                .map(Object::as_int)
                .collect::<Option<_>>()
                .ok_or_else(|| malformed(at, "/Index 无效"))?,
            _ => vec![0, size],
        };
        let raw = decode_stream(dict, &self.buf[data.clone()], at)?;
        let row = widths.iter().sum::<usize>();
        if row == 0 {
            return Err(malformed(at, "/W 无效"));
        }
        let mut rows = raw.chunks_exact(row);
        for pair in index.chunks(2) {
            let [first, count] = pair else {
                return Err(malformed(at, "/Index 应成对出现"));
            };
            for i in 0..*count {
                let Some(r) = rows.next() else {
                    return Err(malformed(at, "交叉引用流的数据比 /Index 短"));
                };
                let (f1, rest) = r.split_at(widths[0]);
                let (f2, f3) = rest.split_at(widths[1]);
                let kind = if widths[0] == 0 { 1 } else { be(f1) };
                let entry = match kind {
                    0 => XrefEntry::Free,
                    1 => XrefEntry::Plain {
                        offset: usize::try_from(be(f2)).map_err(|_| malformed(at, "偏移无效"))?,
                        gen: u16::try_from(be(f3)).map_err(|_| malformed(at, "代号无效"))?,
                    },
                    2 => XrefEntry::InObjectStream {
                        stream: u32::try_from(be(f2))
                            .map_err(|_| malformed(at, "对象流编号无效"))?,
                    },
                    // Unknown types are to be read as null references.
                    _ => XrefEntry::Free,
                };
                let num = u32::try_from(first + i).map_err(|_| malformed(at, "对象编号无效"))?;
                self.entries.entry(num).or_insert(entry);
            }
        }
        Ok(())
    }

    /// The plain indirect object `r`; a clear error for one kept in an object stream.
    pub fn get(&self, r: Ref) -> Result<Indirect, SealError> {
        match self.entries.get(&r.num) {
            Some(XrefEntry::Plain { offset, gen }) if *gen == r.gen => {
                let obj = Parser::new(self.buf, *offset)
                    .indirect()
                    .map_err(|e| SealError::PdfSyntax(format!("读取对象 {} 失败：{e}", r.num)))?;
                if obj.id != r {
                    return Err(SealError::PdfSyntax(format!(
                        "交叉引用表中对象 {} 的偏移 {offset} 处是对象 {}",
                        r.num, obj.id.num
                    )));
                }
                Ok(obj)
            }
            Some(XrefEntry::InObjectStream { stream }) => Err(SealError::Unsupported(format!(
                "对象 {} 存放在对象流（对象 {stream}）中",
                r.num
            ))),
            _ => Err(SealError::PdfSyntax(format!(
                "找不到对象 {} {} R",
                r.num, r.gen
            ))),
        }
    }

    /// Follows references (a bounded number of hops) to a direct object.
    pub fn resolve(&self, obj: &Object) -> Result<Object, SealError> {
        let mut current = obj.clone();
        for _ in 0..16 {
            match current {
                Object::Ref(r) => current = self.get(r)?.value,
                other => return Ok(other),
            }
        }
        Err(SealError::PdfSyntax("引用链过长".into()))
    }

    pub fn trailer_ref(&self, key: &[u8]) -> Result<Ref, SealError> {
        self.trailer
            .get(key)
            .and_then(Object::as_ref)
            .ok_or_else(|| {
                SealError::PdfSyntax(format!("trailer 中缺少 /{}", String::from_utf8_lossy(key)))
            })
    }
}

/// The offset after the last `startxref` keyword.
fn find_startxref(buf: &[u8]) -> Result<usize, SealError> {
    let at = rfind(buf, b"startxref")
        .ok_or_else(|| SealError::PdfSyntax("找不到 startxref（不是完整的 PDF 文件）".into()))?;
    let mut p = Parser::new(buf, at + b"startxref".len());
    let offset = p.unsigned()?;
    usize::try_from(offset).map_err(|_| malformed(at, "startxref 无效"))
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

fn single(obj: Option<&Object>) -> Option<&Object> {
    match obj {
        Some(Object::Array(a)) if a.len() == 1 => a.first(),
        Some(Object::Array(a)) if a.is_empty() => None,
        other => other,
    }
}

/// Undoes /FlateDecode with an optional PNG predictor: what writers use for xref streams.
fn decode_stream(dict: &Dict, data: &[u8], at: usize) -> Result<Vec<u8>, SealError> {
    let inflated = match single(dict.get(b"Filter")) {
        None => data.to_vec(),
        Some(Object::Name(n)) if n == b"FlateDecode" => {
            miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(data, MAX_XREF_STREAM)
                .map_err(|_| malformed(at, "交叉引用流解压失败"))?
        }
        Some(_) => {
            return Err(SealError::Unsupported(
                "交叉引用流使用了 FlateDecode 以外的编码".into(),
            ))
        }
    };
    let parms = match single(dict.get(b"DecodeParms")) {
        Some(Object::Dict(d)) => d.clone(),
        _ => Dict::default(),
    };
    let int = |key: &[u8], default: i64| parms.get(key).and_then(Object::as_int).unwrap_or(default);
    match int(b"Predictor", 1) {
        1 => Ok(inflated),
        p if p >= 10 => {
            let bits = int(b"Colors", 1) * int(b"BitsPerComponent", 8);
            let columns = int(b"Columns", 1);
            let (Ok(bits), Ok(columns)) = (usize::try_from(bits), usize::try_from(columns)) else {
                return Err(malformed(at, "/DecodeParms 无效"));
            };
            let bpp = bits.div_ceil(8).max(1);
            let row_len = (bits * columns).div_ceil(8);
            png_unpredict(&inflated, row_len, bpp).ok_or_else(|| malformed(at, "PNG 预测数据无效"))
        }
        _ => Err(SealError::Unsupported("交叉引用流使用了 TIFF 预测".into())),
    }
}

/// Reverses PNG row filters: each row is a filter-type byte followed by `row_len` bytes.
fn png_unpredict(data: &[u8], row_len: usize, bpp: usize) -> Option<Vec<u8>> {
    if row_len == 0 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row_len];
    for chunk in data.chunks(row_len + 1) {
        let (&kind, row) = chunk.split_first()?;
        if row.len() != row_len {
            return None;
        }
        let mut cur = vec![0u8; row_len];
        for i in 0..row_len {
            let left = if i >= bpp { cur[i - bpp] } else { 0 };
            let up = prev[i];
            let up_left = if i >= bpp { prev[i - bpp] } else { 0 };
            let predicted = match kind {
                0 => 0,
                1 => left,
                2 => up,
                3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                4 => paeth(left, up, up_left),
                _ => return None,
            };
            cur[i] = row[i].wrapping_add(predicted);
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    Some(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_up_predictor() {
        // Two rows of 3 bytes, both filtered with "Up".
        let data = [2, 1, 0, 5, 2, 0, 1, 1];
        assert_eq!(png_unpredict(&data, 3, 1).unwrap(), vec![1, 0, 5, 1, 1, 6]);
        assert!(png_unpredict(&[9, 0, 0, 0], 3, 1).is_none());
    }

    #[test]
    fn classic_table_with_prev_chain() {
        // Object 1 at 9 in the first section, replaced at `second` by the newer section.
        let mut pdf = b"%PDF-1.7\n1 0 obj\n(old)\nendobj\n".to_vec();
        let first_xref = pdf.len();
        pdf.extend_from_slice(
            b"xref\n0 2\n0000000000 65535 f\r\n0000000009 00000 n\r\ntrailer\n<< /Size 2 /Root 1 0 R >>\n",
        );
        let second = pdf.len();
        pdf.extend_from_slice(b"1 0 obj\n(new)\nendobj\n");
        let second_xref = pdf.len();
        pdf.extend_from_slice(
            format!(
                "xref\n1 1\n{second:010} 00000 n\r\ntrailer\n<< /Size 2 /Root 1 0 R /Prev {first_xref} >>\nstartxref\n{second_xref}\n%%EOF\n"
            )
            .as_bytes(),
        );
        let doc = Document::parse(&pdf).unwrap();
        assert_eq!(doc.startxref, second_xref);
        let one = doc.get(Ref { num: 1, gen: 0 }).unwrap();
        assert_eq!(one.value, Object::String(b"new".to_vec()));
        assert!(doc.get(Ref { num: 5, gen: 0 }).is_err());
    }

    #[test]
    fn object_stream_entries_are_reported() {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        let xref = pdf.len();
        // Object 0 free, object 1 in object stream 2; W [1 1 1], uncompressed.
        let rows = [0u8, 0, 0, 2, 2, 0, 1, 9, 0];
        pdf.extend_from_slice(
            b"3 0 obj\n<< /Type /XRef /Size 3 /W [1 1 1] /Index [0 3] /Root 1 0 R /Length 9 >>\nstream\n",
        );
        pdf.extend_from_slice(&rows);
        pdf.extend_from_slice(
            format!("\nendstream\nendobj\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        );
        let doc = Document::parse(&pdf).unwrap();
        assert_eq!(doc.trailer_ref(b"Root").unwrap(), Ref { num: 1, gen: 0 });
        let err = doc.get(Ref { num: 1, gen: 0 }).unwrap_err();
        assert!(matches!(err, SealError::Unsupported(_)), "{err}");
    }

    #[test]
    fn prev_loop_is_an_error() {
        let pdf = b"%PDF-1.7\nxref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 1 /Prev 9 >>\nstartxref\n9\n%%EOF\n";
        assert!(Document::parse(pdf).is_err());
    }
}
