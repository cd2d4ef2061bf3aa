//! Streaming XLSX reading on a worker thread.
//!
//! calamine's `Xlsx::worksheet_cells_reader` borrows the workbook mutably, so the cell
//! reader cannot live next to its workbook in one struct without unsafe self-reference
//! (forbidden in this workspace). A worker thread owns both and sends rows through a
//! bounded channel, which keeps memory flat and also contains any panic calamine might
//! raise on hostile input (reported as `Corrupt`).

use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

use calamine::{
    DataRef, Dimensions, ExcelDateTime, Reader, SheetType, SheetVisible, Xlsx, XlsxError,
};

use crate::{clean, finish_row, Row, SheetError};

/// Rows per message: per-row sends would cost a thread wake-up each.
const BATCH_ROWS: usize = 128;
/// Batches buffered between the worker and the consumer (bounds memory).
const CHANNEL_BATCHES: usize = 4;
/// Excel's column limit (XFD); guards against absurd references in hostile files.
const MAX_COLUMNS: u32 = 16_384;

enum Msg {
    Ready(Option<usize>),
    Rows(Vec<Row>),
    Failed(SheetError),
    Done,
}

pub(crate) struct XlsxRows {
    rx: Receiver<Msg>,
    batch: std::vec::IntoIter<Row>,
    done: bool,
}

impl XlsxRows {
    pub(crate) fn open(path: &Path) -> Result<(XlsxRows, Option<usize>), SheetError> {
        // Opened here so a missing/unreadable file is a plain I/O error.
        let file = File::open(path)?;
        let (tx, rx) = sync_channel(CHANNEL_BATCHES);
        thread::Builder::new()
            .name("wangqian-sheets-xlsx".to_owned())
            .spawn(move || worker(file, tx))?;
        match rx.recv() {
            Ok(Msg::Ready(estimated)) => {
                let rows = XlsxRows {
                    rx,
                    batch: Vec::new().into_iter(),
                    done: false,
                };
                Ok((rows, estimated))
            }
            Ok(Msg::Failed(e)) => Err(e),
            Ok(Msg::Rows(_) | Msg::Done) | Err(_) => Err(aborted()),
        }
    }

    pub(crate) fn next(&mut self) -> Option<Result<Row, SheetError>> {
        loop {
            if let Some(row) = self.batch.next() {
                return Some(Ok(row));
            }
            if self.done {
                return None;
            }
            let item = match self.rx.recv() {
                Ok(Msg::Rows(rows)) => {
                    self.batch = rows.into_iter();
                    continue;
                }
                Ok(Msg::Done) => None,
                Ok(Msg::Failed(e)) => Some(Err(e)),
                // Disconnected without `Done`: the worker panicked.
                Ok(Msg::Ready(_)) | Err(_) => Some(Err(aborted())),
            };
            self.done = true;
            return item;
        }
    }
}

fn aborted() -> SheetError {
    SheetError::Corrupt("解析过程异常中止".to_owned())
}

/// Why the worker stopped early.
enum Stop {
    /// The `RowReader` was dropped; nobody is listening.
    Gone,
    Failed(SheetError),
}

impl From<SheetError> for Stop {
    fn from(e: SheetError) -> Self {
        Stop::Failed(e)
    }
}

fn worker(file: File, tx: SyncSender<Msg>) {
    let mut out = Batcher {
        tx,
        rows: Vec::with_capacity(BATCH_ROWS),
    };
    let result = stream(file, &mut out);
    // Rows read before an error are still valid and come first.
    let last = match result.and_then(|()| out.flush()) {
        Ok(()) => Msg::Done,
        Err(Stop::Gone) => return,
        Err(Stop::Failed(e)) => match out.flush() {
            Ok(()) => Msg::Failed(e),
            Err(_) => return,
        },
    };
    // The receiver may already be gone; nothing left to do then.
    let _ = out.tx.send(last);
}

struct Batcher {
    tx: SyncSender<Msg>,
    rows: Vec<Row>,
}

impl Batcher {
    fn send(&self, msg: Msg) -> Result<(), Stop> {
        self.tx.send(msg).map_err(|_| Stop::Gone)
    }

    fn push(&mut self, row: Row) -> Result<(), Stop> {
        self.rows.push(row);
        if self.rows.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Stop> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::replace(&mut self.rows, Vec::with_capacity(BATCH_ROWS));
        self.send(Msg::Rows(rows))
    }
}

fn stream(file: File, out: &mut Batcher) -> Result<(), Stop> {
    let mut workbook: Xlsx<BufReader<File>> =
        Xlsx::new(BufReader::new(file)).map_err(open_error)?;
    let name = first_worksheet(&workbook).ok_or(SheetError::NoWorksheet)?;
    let mut cells = workbook.worksheet_cells_reader(&name).map_err(read_error)?;
    out.send(Msg::Ready(estimate(cells.dimensions())))?;

    let mut current: Option<(u32, Vec<String>)> = None;
    while let Some(cell) = cells.next_cell().map_err(read_error)? {
        let (row, col) = cell.get_position();
        if col >= MAX_COLUMNS {
            return Err(SheetError::Corrupt(format!(
                "单元格列号超出 Excel 上限（第 {} 行）",
                u64::from(row) + 1
            ))
            .into());
        }
        if current.as_ref().is_some_and(|(r, _)| *r != row) {
            if let Some((r, values)) = current.take() {
                emit(out, r, values)?;
            }
        }
        let (_, values) = current.get_or_insert_with(|| (row, Vec::new()));
        let text = render(cell.get_value());
        if !text.is_empty() {
            let col = col as usize;
            if values.len() <= col {
                values.resize(col + 1, String::new());
            }
            values[col] = text;
        }
    }
    if let Some((r, values)) = current {
        emit(out, r, values)?;
    }
    Ok(())
}

fn emit(out: &mut Batcher, row: u32, values: Vec<String>) -> Result<(), Stop> {
    match finish_row(values) {
        Some(cells) => out.push(Row {
            number: row as usize + 1,
            cells,
        }),
        None => Ok(()),
    }
}

/// The first visible worksheet (what the clerk sees when opening the file), else the first
/// hidden one; chart sheets and macro sheets are skipped.
fn first_worksheet(workbook: &Xlsx<BufReader<File>>) -> Option<String> {
    let sheets = workbook.sheets_metadata();
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    worksheets()
        .find(|s| s.visible == SheetVisible::Visible)
        .or_else(|| worksheets().next())
        .map(|s| s.name.clone())
}

fn estimate(dims: Dimensions) -> Option<usize> {
    // No `<dimension>` element leaves the default; a genuine "A1" sheet is not worth a bar.
    (dims != Dimensions::default()).then(|| dims.end.0 as usize + 1)
}

fn open_error(e: XlsxError) -> SheetError {
    match e {
        XlsxError::Password => SheetError::NotASpreadsheet(
            "该 .xlsx 文件已设置打开密码（已加密），请在 Excel 中取消密码并重新保存后再上传"
                .to_owned(),
        ),
        // A valid ZIP without a workbook: .docx, .ods, .xlsb, an ordinary archive...
        XlsxError::FileNotFound(_) | XlsxError::RelationshipNotFound => {
            SheetError::NotASpreadsheet(
                "文件是压缩包格式，但其中没有 Excel 工作簿（可能是 Word 文档或其他压缩文件），请上传 .xlsx 或 .csv 文件"
                    .to_owned(),
            )
        }
        other => read_error(other),
    }
}

fn read_error(e: XlsxError) -> SheetError {
    match e {
        XlsxError::WorksheetNotFound(_) | XlsxError::NotAWorksheet(_) => SheetError::NoWorksheet,
        XlsxError::Io(io)
            if !matches!(
                io.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData
            ) =>
        {
            SheetError::Io(io)
        }
        other => SheetError::Corrupt(other.to_string()),
    }
}

/// Cell text as the clerk sees it in Excel (for the common formats).
fn render(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DurationIso(s) => clean(s).to_owned(),
        DataRef::SharedString(s) => clean(s).to_owned(),
        DataRef::DateTimeIso(s) => {
            let s = clean(s);
            s.strip_suffix("T00:00:00").unwrap_or(s).to_owned()
        }
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => format_number(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(dt) => format_datetime(dt),
        DataRef::Error(e) => e.to_string(),
    }
}

/// Integers without ".0" and never in exponent form (phone numbers stored as numbers);
/// other values rounded to Excel's 15 significant digits so 0.1+0.2 reads "0.3".
pub(crate) fn format_number(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return format!("{}", f as i64);
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    // `Display` for f64 never uses exponent notation.
    format!("{rounded}")
}

fn format_datetime(dt: &ExcelDateTime) -> String {
    if dt.is_duration() {
        return format_number(dt.as_f64());
    }
    let (y, mo, d, h, mi, s, _ms) = dt.to_ymd_hms_milli();
    let serial = dt.as_f64();
    if (0.0..1.0).contains(&serial) {
        // Time-only format, e.g. "8:30".
        format!("{h:02}:{mi:02}:{s:02}")
    } else if (h, mi, s) == (0, 0, 0) {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formatting() {
        assert_eq!(format_number(2026.0), "2026");
        assert_eq!(format_number(13_300_000_000.0), "13300000000");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(-42.0), "-42");
        assert_eq!(format_number(3.5), "3.5");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(1e-7), "0.0000001");
        assert_eq!(format_number(1.1e20), "110000000000000000000");
        // Like Excel, only 15 significant digits survive a numeric ID.
        assert_eq!(
            format_number(110_105_194_912_310_020.0),
            "110105194912310000"
        );
    }

    #[test]
    fn datetime_formatting() {
        let date = ExcelDateTime::new(46_023.0, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(format_datetime(&date), "2026-01-01");
        let stamp = ExcelDateTime::new(46_023.5, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(format_datetime(&stamp), "2026-01-01 12:00:00");
        let time = ExcelDateTime::new(0.25, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(format_datetime(&time), "06:00:00");
    }
}
