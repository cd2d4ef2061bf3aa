//! Streaming CSV reading with UTF-8 / GB18030 detection.
//!
//! `open` makes one fast pass over the raw bytes to count lines (progress estimate), check
//! whether the whole file is valid UTF-8 and sniff the delimiter. The encoding has to be
//! decided for the whole file because Chinese text may first appear deep into a roster.

use std::error::Error as StdError;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::{clean, finish_row, Row, SheetError};

const CHUNK: usize = 64 * 1024;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

pub(crate) struct CsvRows {
    reader: csv::Reader<Box<dyn Read + Send>>,
    record: csv::StringRecord,
    last_row: usize,
    done: bool,
}

impl CsvRows {
    pub(crate) fn open(path: &Path) -> Result<(CsvRows, Option<usize>), SheetError> {
        let mut file = File::open(path)?;
        let scan = Scan::run(&mut file)?;
        if !scan.utf8 {
            // A BOM declares UTF-8; invalid bytes after it are not a GB18030 file.
            if scan.bom {
                return Err(SheetError::Encoding);
            }
            file.seek(SeekFrom::Start(0))?;
            io::copy(&mut Gb18030Reader::new(&mut file), &mut io::sink()).map_err(io_error)?;
        }

        file.seek(SeekFrom::Start(if scan.bom {
            UTF8_BOM.len() as u64
        } else {
            0
        }))?;
        let mut source: Box<dyn Read + Send> = if scan.utf8 {
            Box::new(file)
        } else {
            Box::new(Gb18030Reader::new(file))
        };
        // Classic Mac line endings: make them LF so the line arithmetic below holds.
        let cr_only = scan.lf == 0 && scan.cr > 0;
        if cr_only {
            source = Box::new(CrToLf(source));
        }
        let line_end = if cr_only { b'\r' } else { b'\n' };
        let has_content = scan.len > if scan.bom { UTF8_BOM.len() as u64 } else { 0 };
        let terminated = scan.last == Some(line_end);
        if has_content && !terminated {
            // Every record then ends with a consumed '\n', which `next` relies on.
            source = Box::new(source.chain(&b"\n"[..]));
        }
        let lines = if cr_only { scan.cr } else { scan.lf };
        let estimated = lines + usize::from(has_content && !terminated);

        // Only LF terminates records: '\r' of CRLF stays at the field end and is trimmed,
        // so every record consumes exactly its own newline (see `next`).
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(scan.delimiter)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(source);
        Ok((
            CsvRows {
                reader,
                record: csv::StringRecord::new(),
                last_row: 0,
                done: false,
            },
            Some(estimated),
        ))
    }

    pub(crate) fn next(&mut self) -> Option<Result<Row, SheetError>> {
        while !self.done {
            let before = self.reader.position().line();
            match self.reader.read_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Some(Err(csv_error(e)));
                }
            }
            if self.done {
                break;
            }
            // csv skips blank lines silently; Excel shows them as rows. Lines consumed =
            // skipped blank lines + newlines inside quoted fields + the terminator.
            let consumed = self.reader.position().line().saturating_sub(before);
            let embedded: u64 = if consumed > 1 {
                self.record
                    .iter()
                    .map(|f| f.bytes().filter(|&b| b == b'\n').count() as u64)
                    .sum()
            } else {
                0
            };
            let blank = consumed.saturating_sub(embedded + 1);
            self.last_row += 1 + usize::try_from(blank).unwrap_or(0);

            let cells = self.record.iter().map(cell_text).collect();
            if let Some(cells) = finish_row(cells) {
                return Some(Ok(Row {
                    number: self.last_row,
                    cells,
                }));
            }
        }
        None
    }
}

fn cell_text(field: &str) -> String {
    let text = clean(field);
    if text.contains('\r') {
        // Multi-line cells: use Excel's in-cell line break, as XLSX stores it.
        text.replace("\r\n", "\n")
    } else {
        text.to_owned()
    }
}

fn csv_error(e: csv::Error) -> SheetError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io_error(io),
        csv::ErrorKind::Utf8 { .. } => SheetError::Encoding,
        other => SheetError::Io(io::Error::other(format!("{other:?}"))),
    }
}

fn io_error(e: io::Error) -> SheetError {
    if e.get_ref().is_some_and(|inner| inner.is::<Malformed>()) {
        SheetError::Encoding
    } else {
        SheetError::Io(e)
    }
}

/// Facts gathered by one pass over the raw file.
struct Scan {
    len: u64,
    bom: bool,
    utf8: bool,
    lf: usize,
    cr: usize,
    last: Option<u8>,
    delimiter: u8,
}

impl Scan {
    fn run(file: &mut File) -> io::Result<Scan> {
        let mut scan = Scan {
            len: 0,
            bom: false,
            utf8: true,
            lf: 0,
            cr: 0,
            last: None,
            delimiter: b',',
        };
        // Room in front for up to 3 bytes of a UTF-8 sequence split across chunks.
        let mut buf = vec![0u8; CHUNK + 4];
        let mut carry = 0usize;
        let mut first = true;
        loop {
            let n = match file.read(&mut buf[carry..carry + CHUNK]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let fresh = &buf[carry..carry + n];
            if first {
                first = false;
                scan.bom = fresh.starts_with(UTF8_BOM);
                scan.delimiter = sniff_delimiter(fresh.strip_prefix(UTF8_BOM).unwrap_or(fresh));
            }
            scan.len += n as u64;
            scan.lf += fresh.iter().filter(|&&b| b == b'\n').count();
            scan.cr += fresh.iter().filter(|&&b| b == b'\r').count();
            scan.last = fresh.last().copied();

            if !scan.utf8 {
                continue;
            }
            let end = carry + n;
            match std::str::from_utf8(&buf[..end]) {
                Ok(_) => carry = 0,
                Err(e) if e.error_len().is_none() => {
                    // Incomplete sequence at the chunk end: validate it with the next chunk.
                    let start = e.valid_up_to();
                    buf.copy_within(start..end, 0);
                    carry = end - start;
                }
                Err(_) => {
                    scan.utf8 = false;
                    carry = 0;
                }
            }
        }
        if carry > 0 {
            scan.utf8 = false;
        }
        Ok(scan)
    }
}

/// Comma unless the header line clearly uses tabs or semicolons (some systems export
/// tab-separated text; European Excel uses ';').
fn sniff_delimiter(head: &[u8]) -> u8 {
    let line_end = head
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(head.len());
    let (mut commas, mut tabs, mut semis, mut quoted) = (0usize, 0usize, 0usize, false);
    for &b in &head[..line_end] {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b'\t' if !quoted => tabs += 1,
            b';' if !quoted => semis += 1,
            _ => {}
        }
    }
    if tabs > commas && tabs >= semis {
        b'\t'
    } else if semis > commas && semis > tabs {
        b';'
    } else {
        b','
    }
}

/// Marker inside an `io::Error` for malformed GB18030 input.
#[derive(Debug)]
struct Malformed;

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed GB18030 input")
    }
}

impl StdError for Malformed {}

/// Streams GB18030 bytes as UTF-8.
struct Gb18030Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Box<[u8]>,
    in_pos: usize,
    in_len: usize,
    in_eof: bool,
    output: Box<[u8]>,
    out_pos: usize,
    out_len: usize,
    finished: bool,
}

impl<R: Read> Gb18030Reader<R> {
    fn new(inner: R) -> Self {
        Gb18030Reader {
            inner,
            decoder: encoding_rs::GB18030.new_decoder_without_bom_handling(),
            input: vec![0; CHUNK].into_boxed_slice(),
            in_pos: 0,
            in_len: 0,
            in_eof: false,
            output: vec![0; CHUNK * 2].into_boxed_slice(),
            out_pos: 0,
            out_len: 0,
            finished: false,
        }
    }
}

impl<R: Read> Read for Gb18030Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_pos < self.out_len {
                let n = buf.len().min(self.out_len - self.out_pos);
                buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if self.finished || buf.is_empty() {
                return Ok(0);
            }
            if self.in_pos == self.in_len && !self.in_eof {
                self.in_len = self.inner.read(&mut self.input)?;
                self.in_pos = 0;
                self.in_eof = self.in_len == 0;
            }
            let last = self.in_eof;
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.in_pos..self.in_len],
                &mut self.output,
                last,
            );
            self.in_pos += read;
            self.out_pos = 0;
            self.out_len = written;
            match result {
                encoding_rs::DecoderResult::InputEmpty => self.finished = last,
                encoding_rs::DecoderResult::OutputFull => {}
                encoding_rs::DecoderResult::Malformed(..) => {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, Malformed));
                }
            }
        }
    }
}

/// Maps lone CR line endings to LF.
struct CrToLf<R>(R);

impl<R: Read> Read for CrToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        for b in &mut buf[..n] {
            if *b == b'\r' {
                *b = b'\n';
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_sniffing() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1\t2"), b',');
        assert_eq!(sniff_delimiter(b"a\tb\tc\r\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a;b;c"), b';');
        assert_eq!(sniff_delimiter(b"\"a;b\",c"), b',');
        assert_eq!(sniff_delimiter(b""), b',');
    }

    #[test]
    fn gb18030_reader_decodes_in_small_reads() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("姓名,学号\n张三,2022001\n");
        let mut reader = Gb18030Reader::new(&bytes[..]);
        let mut out = Vec::new();
        let mut small = [0u8; 3];
        loop {
            match reader.read(&mut small) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&small[..n]),
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(
            String::from_utf8(out).ok().as_deref(),
            Some("姓名,学号\n张三,2022001\n")
        );
    }

    #[test]
    fn gb18030_reader_reports_malformed() {
        // 0x81 0x20 is not a valid GB18030 sequence.
        let mut reader = Gb18030Reader::new(&b"ab\x81\x20cd"[..]);
        let err = io::copy(&mut reader, &mut io::sink()).err();
        assert!(matches!(err.map(io_error), Some(SheetError::Encoding)));
    }
}
