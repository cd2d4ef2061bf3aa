//! XLSX and CSV output for templates and exports.

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};

use crate::SheetError;

/// Excel limits (rows incl. header, columns, characters per cell).
const MAX_ROWS: usize = 1_048_576;
const MAX_COLUMNS: usize = 16_384;
const MAX_CELL_CHARS: usize = 32_767;
const MAX_SHEET_NAME_UTF16: usize = 31;

/// Column width bounds in Excel character units.
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 60;

fn xlsx_error(e: XlsxError) -> SheetError {
    SheetError::Write(e.to_string())
}

/// Writes one worksheet: bold header row, every column formatted as text ("@") so that
/// ID numbers and student numbers stay text when a clerk fills the template in Excel,
/// CJK-aware column widths and a frozen header row.
///
/// Empty strings leave the cell blank (still text-formatted). An invalid sheet name is
/// sanitised rather than rejected.
pub fn write_xlsx(
    sheet_name: &str,
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, SheetError> {
    if headers.len() > MAX_COLUMNS {
        return Err(SheetError::Write(format!(
            "列数超过 Excel 上限 {MAX_COLUMNS} 列"
        )));
    }
    let text = Format::new().set_num_format("@");
    let header_format = Format::new()
        .set_num_format("@")
        .set_bold()
        .set_background_color(Color::RGB(0xDD_EB_F7))
        .set_border_bottom(FormatBorder::Thin);

    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet
        .set_name(sheet_name_for_excel(sheet_name))
        .map_err(xlsx_error)?;

    // Header text is bold, so give it a little extra room.
    let mut widths: Vec<usize> = headers.iter().map(|h| display_width(h) + 2).collect();
    for (col, header) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *header, &header_format)
            .map_err(xlsx_error)?;
    }
    for (index, row) in rows.into_iter().enumerate() {
        let row_num = index + 1;
        if row_num >= MAX_ROWS {
            return Err(SheetError::Write(format!(
                "行数超过 Excel 上限 {MAX_ROWS} 行"
            )));
        }
        if row.len() > MAX_COLUMNS {
            return Err(SheetError::Write(format!(
                "第 {} 行的列数超过 Excel 上限 {MAX_COLUMNS} 列",
                row_num + 1
            )));
        }
        if widths.len() < row.len() {
            widths.resize(row.len(), 0);
        }
        for (col, value) in row.into_iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            if value.chars().count() > MAX_CELL_CHARS {
                return Err(SheetError::Write(format!(
                    "第 {} 行第 {} 列的内容超过 Excel 单元格上限 {MAX_CELL_CHARS} 个字符",
                    row_num + 1,
                    col + 1
                )));
            }
            widths[col] = widths[col].max(display_width(&value));
            sheet
                .write_string_with_format(row_num as u32, col as u16, value, &text)
                .map_err(xlsx_error)?;
        }
    }
    for (col, width) in widths.iter().enumerate() {
        // Whole-column text format: cells the clerk types later are text too.
        sheet
            .set_column_format(col as u16, &text)
            .map_err(xlsx_error)?;
        sheet
            .set_column_width(col as u16, (width + 2).clamp(MIN_WIDTH, MAX_WIDTH) as f64)
            .map_err(xlsx_error)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    workbook.save_to_buffer().map_err(xlsx_error)
}

/// CSV with UTF-8 BOM so Excel opens Chinese text correctly; CRLF line ends, quoting as
/// needed. Cells that Excel would run as a formula (leading `=`, `@`, or `+`/`-` followed by
/// more than a plain number) get a leading `'` to defuse CSV formula injection.
pub fn write_csv(
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, SheetError> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let mut write_row = |cells: &mut dyn Iterator<Item = &str>| -> Result<(), SheetError> {
        for cell in cells {
            writer
                .write_field(defuse(cell).as_bytes())
                .map_err(csv_write_error)?;
        }
        writer.write_record(None::<&[u8]>).map_err(csv_write_error)
    };
    write_row(&mut headers.iter().copied())?;
    for row in rows {
        write_row(&mut row.iter().map(String::as_str))?;
    }
    writer
        .into_inner()
        .map_err(|e| SheetError::Write(e.to_string()))
}

fn csv_write_error(e: csv::Error) -> SheetError {
    SheetError::Write(e.to_string())
}

fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    let mut chars = cell.chars();
    let risky = match chars.next() {
        Some('=' | '@') => true,
        Some('+' | '-') => {
            let rest = chars.as_str();
            // "-", "-5", "+86 133-0000-0000" are harmless; "-2+3" or "+cmd|..." are not.
            !rest
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | ' ' | '-'))
        }
        _ => false,
    };
    if risky {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Excel sheet names: 1..=31 UTF-16 units, none of `[]:*?/\`, no leading/trailing `'`.
fn sheet_name_for_excel(name: &str) -> String {
    let mut out = String::new();
    let mut units = 0;
    for c in name.trim().chars() {
        let c = if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') {
            '_'
        } else {
            c
        };
        if units + c.len_utf16() > MAX_SHEET_NAME_UTF16 {
            break;
        }
        units += c.len_utf16();
        out.push(c);
    }
    let trimmed = out.trim_matches('\'').trim();
    if trimmed.is_empty() {
        "Sheet1".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Approximate width in Excel character units: CJK and full-width characters take two.
fn display_width(s: &str) -> usize {
    s.lines()
        .map(|line| line.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum())
        .max()
        .unwrap_or(0)
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1FAFF
        | 0x20000..=0x3FFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_sanitised() {
        assert_eq!(sheet_name_for_excel("2026届/毕业生"), "2026届_毕业生");
        assert_eq!(sheet_name_for_excel("  '' "), "Sheet1");
        assert_eq!(sheet_name_for_excel(&"名".repeat(40)).chars().count(), 31);
    }

    #[test]
    fn widths_count_cjk_double() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("张三"), 4);
        assert_eq!(display_width("（注）"), 6);
        assert_eq!(display_width("短\n长一点的"), 8);
    }

    #[test]
    fn formula_injection_is_defused() {
        assert_eq!(defuse("=1+1"), "'=1+1");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("-2+3"), "'-2+3");
        assert_eq!(defuse("-"), "-");
        assert_eq!(defuse("-5.5"), "-5.5");
        assert_eq!(defuse("+86 133-0000-0000"), "+86 133-0000-0000");
        assert_eq!(defuse("张三"), "张三");
    }
}
