//! Roster spreadsheets: streaming CSV/XLSX reading and XLSX/CSV writing.
//!
//! School clerks upload rosters either as `.xlsx` (Excel, WPS) or as CSV (often GB18030
//! from Chinese Excel). Reading streams rows so that large uploads never sit in memory;
//! writing produces templates and exports whose columns are text-formatted so ID numbers
//! and student numbers survive a round trip through Excel.

use std::fmt;
use std::iter::FusedIterator;
use std::path::Path;

mod csv_read;
mod write;
mod xlsx_read;

pub use write::{write_csv, write_xlsx};

/// How many leading bytes [`SheetKind::detect`] looks at for NUL bytes.
pub const SNIFF_LEN: usize = 8 * 1024;

/// The container format of an uploaded sheet, decided from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SheetKind {
    Csv,
    Xlsx,
}

impl SheetKind {
    /// Decide from the first bytes (magic), not from the file name: a ZIP local header
    /// `PK\x03\x04` => Xlsx; other ZIP/OLE/PDF/image/binary (NUL bytes in the first 8 KiB)
    /// => [`SheetError::NotASpreadsheet`]; otherwise text => Csv. An empty file is rejected too.
    ///
    /// The file name is only used to produce a better message, and to reject text content
    /// that claims to be an Excel workbook (e.g. an HTML table saved as `.xls`).
    pub fn detect(file_name: &str, first_bytes: &[u8]) -> Result<SheetKind, SheetError> {
        let head = &first_bytes[..first_bytes.len().min(SNIFF_LEN)];
        let ext = extension(file_name);
        if head.is_empty() {
            return Err(SheetError::NotASpreadsheet(
                "文件为空，请选择填写好的 .xlsx 或 .csv 文件".to_owned(),
            ));
        }
        if head.starts_with(b"PK\x03\x04") {
            return Ok(SheetKind::Xlsx);
        }
        if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            // OLE compound file: either a legacy .xls/.doc or a password-encrypted .xlsx.
            let msg = match ext.as_deref() {
                Some("xlsx" | "xlsm") => {
                    "该 .xlsx 文件已设置打开密码（已加密），请在 Excel 中取消密码并重新保存后再上传"
                }
                Some("xls" | "et") => {
                    "暂不支持旧版 Excel 97-2003（.xls）文件，请在 Excel 中“另存为” .xlsx 格式后再上传"
                }
                _ => "文件是旧版 Office 格式（如 .xls、.doc），不是可读取的表格，请另存为 .xlsx 或 CSV 后再上传",
            };
            return Err(SheetError::NotASpreadsheet(msg.to_owned()));
        }
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(SheetError::NotASpreadsheet(
                "文件是 UTF-16 编码的文本（Excel“Unicode 文本”格式），请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后再上传"
                    .to_owned(),
            ));
        }
        if let Some(what) = binary_kind(head) {
            let msg = match ext.as_deref() {
                Some(e @ ("xlsx" | "xlsm" | "xls" | "csv")) => {
                    format!("文件扩展名为 .{e}，但内容实际是{what}，不是有效的表格文件，请上传 .xlsx 或 .csv 文件")
                }
                _ => format!("文件内容是{what}，不是表格文件，请上传 .xlsx 或 .csv 文件"),
            };
            return Err(SheetError::NotASpreadsheet(msg));
        }
        // Text content. A workbook extension means the clerk picked the wrong file or a system
        // exported HTML/XML under an Excel name; CSV parsing would yield nonsense rows.
        if let Some(e @ ("xlsx" | "xlsm" | "xltx" | "xls" | "xlsb" | "et" | "ods")) = ext.as_deref()
        {
            let upper = e.to_ascii_uppercase();
            let hint = if looks_like_markup(head) {
                "（实际是网页或 XML 格式，常见于其他系统导出）"
            } else {
                "（实际是文本格式）"
            };
            return Err(SheetError::NotASpreadsheet(format!(
                "文件扩展名为 .{e}，但内容不是有效的 {upper} 文件{hint}，请用 Excel 打开后“另存为” .xlsx 再上传"
            )));
        }
        Ok(SheetKind::Csv)
    }
}

/// Lower-cased extension of an uploaded file name (browsers may send Windows paths).
fn extension(file_name: &str) -> Option<String> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let (stem, ext) = base.rsplit_once('.')?;
    if stem.is_empty() || ext.is_empty() {
        return None;
    }
    Some(ext.trim().to_ascii_lowercase())
}

/// Names well-known non-spreadsheet formats; `None` means "looks like text".
fn binary_kind(head: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"PK\x05\x06", "空的 ZIP 压缩包"),
        (b"PK\x07\x08", "ZIP 压缩包"),
        (b"%PDF", "PDF 文档"),
        (b"\x89PNG\r\n\x1a\n", "PNG 图片"),
        (b"\xFF\xD8\xFF", "JPEG 图片"),
        (b"GIF87a", "GIF 图片"),
        (b"GIF89a", "GIF 图片"),
        (b"Rar!\x1a\x07", "RAR 压缩包"),
        (b"7z\xBC\xAF\x27\x1C", "7z 压缩包"),
        (b"\x1F\x8B", "GZIP 压缩包"),
    ];
    if let Some((_, what)) = MAGIC.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Some(what);
    }
    if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        return Some("WebP 图片");
    }
    if head.contains(&0) {
        return Some("二进制文件");
    }
    None
}

fn looks_like_markup(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    text.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}

/// One non-empty row of a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based row number as Excel shows it (the header is row 1 in a normal roster).
    pub number: usize,
    /// Trimmed cell texts; gaps are empty strings and trailing empty cells are dropped,
    /// so a missing cell must be treated as empty.
    pub cells: Vec<String>,
}

impl Row {
    /// The trimmed text of column `index` (0-based), empty when absent.
    pub fn cell(&self, index: usize) -> &str {
        self.cells.get(index).map_or("", String::as_str)
    }
}

/// Errors shown to the school clerk; `Display` is Chinese.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// The upload is not a CSV/XLSX file; the message says what it is and what to do.
    #[error("{0}")]
    NotASpreadsheet(String),
    /// A truncated or broken XLSX; the payload is a technical detail for support.
    #[error("XLSX 文件已损坏或不完整，请用 Excel 打开并重新保存后再上传（{0}）")]
    Corrupt(String),
    #[error("工作簿中没有可读取的工作表")]
    NoWorksheet,
    /// CSV bytes are neither UTF-8 nor GB18030.
    #[error("无法识别 CSV 文件的编码（既不是 UTF-8 也不是 GB18030/GBK），请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后再上传")]
    Encoding,
    #[error("读取文件失败：{0}")]
    Io(#[from] std::io::Error),
    #[error("生成表格文件失败：{0}")]
    Write(String),
}

/// Streams rows of the first worksheet (XLSX) or of a CSV file without loading all rows
/// into memory. Completely empty rows are skipped but row numbers stay those Excel shows.
///
/// The iterator is fused and stops after the first error. It is `Send`, so it can be
/// moved into a blocking task.
pub struct RowReader {
    source: Source,
    estimated: Option<usize>,
}

enum Source {
    Csv(Box<csv_read::CsvRows>),
    Xlsx(xlsx_read::XlsxRows),
}

impl RowReader {
    /// Opens `path` as `kind` (see [`SheetKind::detect`]). XLSX structure errors (truncated
    /// archive, missing workbook, no worksheet) and CSV encoding errors are reported here.
    pub fn open(path: &Path, kind: SheetKind) -> Result<RowReader, SheetError> {
        match kind {
            SheetKind::Csv => {
                let (rows, estimated) = csv_read::CsvRows::open(path)?;
                Ok(RowReader {
                    source: Source::Csv(Box::new(rows)),
                    estimated,
                })
            }
            SheetKind::Xlsx => {
                let (rows, estimated) = xlsx_read::XlsxRows::open(path)?;
                Ok(RowReader {
                    source: Source::Xlsx(rows),
                    estimated,
                })
            }
        }
    }

    /// Approximate row count for progress display: the last row number of the sheet,
    /// header included (XLSX: the sheet's declared dimension; CSV: number of lines).
    /// Compare it with [`Row::number`].
    pub fn estimated_rows(&self) -> Option<usize> {
        self.estimated
    }
}

impl Iterator for RowReader {
    type Item = Result<Row, SheetError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.source {
            Source::Csv(rows) => rows.next(),
            Source::Xlsx(rows) => rows.next(),
        }
    }
}

impl FusedIterator for RowReader {}

impl fmt::Debug for RowReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.source {
            Source::Csv(_) => SheetKind::Csv,
            Source::Xlsx(_) => SheetKind::Xlsx,
        };
        f.debug_struct("RowReader")
            .field("kind", &kind)
            .field("estimated", &self.estimated)
            .finish_non_exhaustive()
    }
}

/// Trims whitespace (incl. full-width and no-break spaces) and invisible marks that
/// copy-pasting from web pages or Word leaves around cell values.
pub(crate) fn clean(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{feff}' | '\u{200b}'))
}

/// Drops trailing empty cells; `None` for a completely empty row.
pub(crate) fn finish_row(mut cells: Vec<String>) -> Option<Vec<String>> {
    while cells.last().is_some_and(String::is_empty) {
        cells.pop();
    }
    (!cells.is_empty()).then_some(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_sheet(name: &str, bytes: &[u8]) -> String {
        match SheetKind::detect(name, bytes) {
            Err(SheetError::NotASpreadsheet(msg)) => msg,
            other => panic!("expected NotASpreadsheet, got {other:?}"),
        }
    }

    #[test]
    fn detect_by_magic() {
        assert_eq!(
            SheetKind::detect("x.csv", b"PK\x03\x04rest").ok(),
            Some(SheetKind::Xlsx)
        );
        // Content wins over the name.
        assert_eq!(
            SheetKind::detect("roster.csv", b"PK\x03\x04").ok(),
            Some(SheetKind::Xlsx)
        );
        assert_eq!(
            SheetKind::detect("名单.CSV", "姓名,学号\n".as_bytes()).ok(),
            Some(SheetKind::Csv)
        );
        assert_eq!(
            SheetKind::detect("upload", b"\xEF\xBB\xBFa,b").ok(),
            Some(SheetKind::Csv)
        );
    }

    #[test]
    fn detect_rejects_binary() {
        assert!(not_sheet("a.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").contains("PNG"));
        assert!(not_sheet("a.xlsx", b"\x89PNG\r\n\x1a\n").contains(".xlsx"));
        assert!(not_sheet("a.pdf", b"%PDF-1.7\n").contains("PDF"));
        assert!(not_sheet("a.zip", b"PK\x05\x06\0\0").contains("ZIP"));
        assert!(not_sheet("a.bin", b"abc\0def").contains("二进制"));
        assert!(
            not_sheet("a.xls", &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]).contains(".xls")
        );
        assert!(
            not_sheet("a.xlsx", &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]).contains("密码")
        );
        assert!(not_sheet("a.txt", b"\xFF\xFEa\0b\0").contains("UTF-16"));
        assert!(not_sheet("a.csv", b"").contains("为空"));
    }

    #[test]
    fn detect_text_with_excel_name() {
        let msg = not_sheet("名单.xlsx", "姓名,学号\n".as_bytes());
        assert!(
            msg.contains("文件扩展名为 .xlsx，但内容不是有效的 XLSX 文件"),
            "{msg}"
        );
        let msg = not_sheet(r"C:\fakepath\导出.XLS", b"<html><table>");
        assert!(msg.contains(".xls") && msg.contains("网页"), "{msg}");
    }

    #[test]
    fn clean_trims_invisible_marks() {
        assert_eq!(clean("\u{3000} 张三\u{a0}\u{200b}"), "张三");
        assert_eq!(
            finish_row(vec!["a".into(), String::new()]),
            Some(vec!["a".into()])
        );
        assert_eq!(finish_row(vec![String::new(), String::new()]), None);
    }
}
