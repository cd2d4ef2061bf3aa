//! Public-API tests: detection, streaming reads, writers, hostile input.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rust_xlsxwriter::{Format, Formula, Workbook};
use wangqian_sheets::{write_csv, write_xlsx, Row, RowReader, SheetError, SheetKind};

/// A file in the system temp dir, removed on drop (no tempfile dev-dependency needed).
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("wangqian-sheets-{}-{n}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("write temp file");
        TempFile(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Detects like the upload handler does, then reads every row.
fn read_all(name: &str, bytes: &[u8]) -> Result<Vec<Row>, SheetError> {
    let kind = SheetKind::detect(name, &bytes[..bytes.len().min(8192)])?;
    let file = TempFile::new(name, bytes);
    RowReader::open(file.path(), kind)?.collect()
}

fn row(number: usize, cells: &[&str]) -> Row {
    Row {
        number,
        cells: cells.iter().map(|c| c.to_string()).collect(),
    }
}

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

const HEADERS: [&str; 4] = ["姓名", "身份证号", "学号", "备注"];

fn roster() -> Vec<Vec<String>> {
    vec![
        strings(&[
            "张三",
            "11010519491231002X",
            "2022001",
            "计算机科学与技术, 2026届",
        ]),
        strings(&["李四", "110105200001010011", "0022002", ""]),
        strings(&["王五", "", "2022003", "多行\n备注"]),
    ]
}

#[test]
fn row_reader_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<RowReader>();
}

#[test]
fn xlsx_round_trip_keeps_text() {
    let bytes = write_xlsx("2026届/毕业生", &HEADERS, roster()).expect("write");
    assert_eq!(
        SheetKind::detect("名单.xlsx", &bytes).ok(),
        Some(SheetKind::Xlsx)
    );
    let file = TempFile::new("roundtrip.xlsx", &bytes);
    let reader = RowReader::open(file.path(), SheetKind::Xlsx).expect("open");
    assert_eq!(reader.estimated_rows(), Some(4));
    let rows: Vec<Row> = reader.collect::<Result<_, _>>().expect("rows");
    assert_eq!(
        rows,
        vec![
            row(1, &HEADERS),
            row(
                2,
                &[
                    "张三",
                    "11010519491231002X",
                    "2022001",
                    "计算机科学与技术, 2026届"
                ]
            ),
            // Leading zero kept; trailing empty cell dropped.
            row(3, &["李四", "110105200001010011", "0022002"]),
            row(4, &["王五", "", "2022003", "多行\n备注"]),
        ]
    );
    assert_eq!(rows[3].cell(1), "");
    assert_eq!(rows[3].cell(9), "");
}

#[test]
fn xlsx_template_without_rows() {
    let bytes = write_xlsx("模板", &HEADERS, Vec::new()).expect("write");
    let rows = read_all("模板.xlsx", &bytes).expect("read");
    assert_eq!(rows, vec![row(1, &HEADERS)]);
}

#[test]
fn xlsx_numeric_and_typed_cells() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    sheet.write_string(0, 0, "年份").unwrap();
    sheet.write_number(1, 0, 2026).unwrap();
    sheet.write_number(1, 1, 13_300_000_000_f64).unwrap();
    sheet.write_number(1, 2, 3.75).unwrap();
    sheet.write_number(1, 3, -12).unwrap();
    sheet.write_number(1, 4, 0.1 + 0.2).unwrap();
    sheet.write_boolean(1, 5, true).unwrap();
    sheet.write_number_with_format(1, 6, 46_023, &date).unwrap();
    sheet
        .write_number_with_format(1, 7, 46_023.5, &stamp)
        .unwrap();
    sheet
        .write_formula(1, 8, Formula::new("NA()").set_result("#N/A"))
        .unwrap();
    sheet.write_string(1, 9, " \u{3000}张三\u{a0} ").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    let rows = read_all("numbers.xlsx", &bytes).expect("read");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[1],
        row(
            2,
            &[
                "2026",
                "13300000000",
                "3.75",
                "-12",
                "0.3",
                "TRUE",
                "2026-01-01",
                "2026-01-01 12:00:00",
                "#N/A",
                "张三"
            ]
        )
    );
}

#[test]
fn xlsx_skips_empty_rows_and_fills_gaps() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let text = Format::new().set_num_format("@");
    sheet.write_string(0, 0, "h1").unwrap();
    sheet.write_string(0, 1, "h2").unwrap();
    // Row 2: only formatted blanks and whitespace -> skipped.
    sheet.write_blank(1, 0, &text).unwrap();
    sheet.write_string(1, 1, "   ").unwrap();
    // Row 5: gap in the middle.
    sheet.write_string(4, 0, "a").unwrap();
    sheet.write_string(4, 3, "d").unwrap();
    // Row 9: first column empty.
    sheet.write_string(8, 2, "c").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    let rows = read_all("gaps.xlsx", &bytes).expect("read");
    assert_eq!(
        rows,
        vec![
            row(1, &["h1", "h2"]),
            row(5, &["a", "", "", "d"]),
            row(9, &["", "", "c"]),
        ]
    );
}

#[test]
fn xlsx_reads_first_visible_worksheet() {
    let mut workbook = Workbook::new();
    let hidden = workbook.add_worksheet();
    hidden.set_name("字典").unwrap();
    hidden.write_string(0, 0, "隐藏").unwrap();
    hidden.set_hidden(true);
    let visible = workbook.add_worksheet();
    visible.set_name("名单").unwrap();
    visible.write_string(0, 0, "姓名").unwrap();
    visible.set_active(true);
    let bytes = workbook.save_to_buffer().unwrap();

    let rows = read_all("two.xlsx", &bytes).expect("read");
    assert_eq!(rows, vec![row(1, &["姓名"])]);
}

/// Opening succeeded or not, some error must surface and nothing may panic or hang.
fn assert_fails(bytes: &[u8], what: &str) {
    let file = TempFile::new("broken.xlsx", bytes);
    let started = Instant::now();
    let outcome: Result<Vec<Row>, SheetError> =
        RowReader::open(file.path(), SheetKind::Xlsx).and_then(|r| r.collect());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{what}: took too long"
    );
    match outcome {
        Err(SheetError::Corrupt(detail)) => {
            let shown = SheetError::Corrupt(detail).to_string();
            assert!(shown.contains("XLSX 文件已损坏或不完整"), "{what}: {shown}");
        }
        other => panic!("{what}: expected Corrupt, got {other:?}"),
    }
}

#[test]
fn truncated_xlsx_is_corrupt() {
    let rows = (0..300).map(|i| {
        vec![
            format!("学生{i}"),
            format!("11010519491231{i:04}"),
            format!("2022{i:03}"),
        ]
    });
    let bytes = write_xlsx("名单", &HEADERS, rows).expect("write");
    let len = bytes.len();
    for cut in [
        4,
        30,
        100,
        500,
        len / 4,
        len / 2,
        len * 3 / 4,
        len - 100,
        len - 22,
        len - 1,
    ] {
        assert_fails(&bytes[..cut], &format!("cut at {cut} of {len}"));
    }
}

#[test]
fn zip_garbage_is_corrupt() {
    let mut garbage = b"PK\x03\x04".to_vec();
    garbage.extend((0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    assert_fails(&garbage, "garbage after PK");
}

#[test]
fn damaged_xlsx_never_panics() {
    let rows = (0..200).map(|i| vec![format!("学生{i}"), format!("{i}")]);
    let bytes = write_xlsx("名单", &["姓名", "学号"], rows).expect("write");
    // Flip bytes at spread-out offsets; some damage may go unnoticed (stored metadata),
    // but reading must finish without panicking the caller.
    for offset in (10..bytes.len()).step_by(bytes.len() / 37) {
        let mut damaged = bytes.clone();
        damaged[offset] ^= 0x5A;
        let file = TempFile::new("damaged.xlsx", &damaged);
        let outcome = RowReader::open(file.path(), SheetKind::Xlsx).map(|r| r.count());
        drop(outcome);
    }
}

#[test]
fn text_named_xlsx_is_rejected() {
    let err = SheetKind::detect("名单.xlsx", "姓名,学号\n张三,2022001\n".as_bytes())
        .expect_err("text is not xlsx");
    assert!(matches!(err, SheetError::NotASpreadsheet(_)));
    assert!(err
        .to_string()
        .contains("文件扩展名为 .xlsx，但内容不是有效的 XLSX 文件"));

    // Forcing the XLSX reader on text still fails cleanly.
    let file = TempFile::new("text.xlsx", "姓名,学号\n".as_bytes());
    assert!(matches!(
        RowReader::open(file.path(), SheetKind::Xlsx),
        Err(SheetError::Corrupt(_))
    ));
}

#[test]
fn png_is_not_a_spreadsheet() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    for name in ["照片.png", "名单.xlsx", "名单.csv", "upload"] {
        assert!(
            matches!(
                SheetKind::detect(name, png),
                Err(SheetError::NotASpreadsheet(_))
            ),
            "{name}"
        );
    }
}

#[test]
fn zip_without_workbook_is_not_a_spreadsheet() {
    // A ZIP whose only entry is not a workbook (rust_xlsxwriter can't make one, so build
    // a minimal stored ZIP by hand).
    let zip = stored_zip(&[("word/document.xml", b"<w:document/>")]);
    assert_eq!(
        SheetKind::detect("a.docx", &zip).ok(),
        Some(SheetKind::Xlsx)
    );
    let file = TempFile::new("a.docx", &zip);
    let err = RowReader::open(file.path(), SheetKind::Xlsx).expect_err("no workbook");
    assert!(matches!(err, SheetError::NotASpreadsheet(_)), "{err:?}");
}

#[test]
fn csv_with_bom_and_quotes() {
    let text = "\u{feff}姓名,身份证号,学号,备注\r\n\
                张三,11010519491231002X,2022001,\"计算机, 2026届\"\r\n\
                \" 李四 \",110105200001010011,0022002\r\n\
                王五,,2022003,\"多行\r\n备注\"\r\n";
    let file = TempFile::new("bom.csv", text.as_bytes());
    let reader = RowReader::open(file.path(), SheetKind::Csv).expect("open");
    assert_eq!(reader.estimated_rows(), Some(5));
    let rows: Vec<Row> = reader.collect::<Result<_, _>>().expect("rows");
    assert_eq!(
        rows,
        vec![
            row(1, &HEADERS),
            row(
                2,
                &["张三", "11010519491231002X", "2022001", "计算机, 2026届"]
            ),
            row(3, &["李四", "110105200001010011", "0022002"]),
            row(4, &["王五", "", "2022003", "多行\n备注"]),
        ]
    );
}

#[test]
fn csv_gb18030_is_decoded() {
    // Chinese text first appears after a long ASCII stretch, beyond the first read chunk.
    let mut text = String::from("name,id\n");
    for i in 0..5000 {
        text.push_str(&format!("student{i},2022{i:04}\n"));
    }
    text.push_str("张三,11010519491231002X\n“引号”与【括号】,𠀀\n");
    let (gb, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gb).is_err());

    let rows = read_all("gbk.csv", &gb).expect("read");
    assert_eq!(rows.len(), 5003);
    assert_eq!(rows[5001], row(5002, &["张三", "11010519491231002X"]));
    assert_eq!(rows[5002], row(5003, &["“引号”与【括号】", "𠀀"]));
}

#[test]
fn csv_in_unknown_encoding_is_rejected() {
    let file = TempFile::new("bad.csv", b"a,b\n\xFF\xFE\xFD,c\n");
    assert!(matches!(
        RowReader::open(file.path(), SheetKind::Csv),
        Err(SheetError::Encoding)
    ));
    // Declared UTF-8 (BOM) but broken.
    let file = TempFile::new("bad-bom.csv", b"\xEF\xBB\xBFa,b\n\xB0\xA1,c\n");
    assert!(matches!(
        RowReader::open(file.path(), SheetKind::Csv),
        Err(SheetError::Encoding)
    ));
    assert!(SheetError::Encoding.to_string().contains("GB18030"));
}

#[test]
fn csv_empty_rows_keep_numbering() {
    let lf = "h1,h2\n\n,,\na,b\n\"x\ny\" ,z\n\n\nlast";
    let expected = vec![
        row(1, &["h1", "h2"]),
        row(4, &["a", "b"]),
        row(5, &["x\ny", "z"]),
        row(8, &["last"]),
    ];
    let crlf = lf.replace('\n', "\r\n");
    let cr = lf.replace('\n', "\r");
    for (name, text) in [
        ("lf.csv", lf.to_owned()),
        ("crlf.csv", crlf),
        ("cr.csv", cr),
    ] {
        let file = TempFile::new(name, text.as_bytes());
        let reader = RowReader::open(file.path(), SheetKind::Csv).expect("open");
        // The estimate counts physical lines, including the one inside quotes.
        assert_eq!(reader.estimated_rows(), Some(9), "{name}");
        let rows: Vec<Row> = reader.collect::<Result<_, _>>().expect("rows");
        assert_eq!(rows, expected, "{name}");
    }
}

#[test]
fn csv_tab_separated_and_empty_file() {
    let rows = read_all("export.txt", "姓名\t学号\n张三\t2022001\n".as_bytes()).expect("tsv");
    assert_eq!(
        rows,
        vec![row(1, &["姓名", "学号"]), row(2, &["张三", "2022001"])]
    );

    let file = TempFile::new("empty.csv", b"\xEF\xBB\xBF");
    let reader = RowReader::open(file.path(), SheetKind::Csv).expect("open");
    assert_eq!(reader.estimated_rows(), Some(0));
    assert_eq!(reader.count(), 0);
}

#[test]
fn write_csv_has_bom_and_round_trips() {
    let bytes = write_csv(&HEADERS, roster()).expect("write");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF\xE5\xA7\x93"));
    assert!(bytes.windows(2).any(|w| w == b"\r\n"));
    let rows = read_all("export.csv", &bytes).expect("read");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1].cells, roster()[0]);
    assert_eq!(rows[2], row(3, &["李四", "110105200001010011", "0022002"]));
    assert_eq!(rows[3].cells, roster()[2]);
    // Formula-looking text is defused for Excel.
    let bytes = write_csv(&["x"], vec![strings(&["=HYPERLINK(\"http://evil\")"])]).unwrap();
    let rows = read_all("evil.csv", &bytes).expect("read");
    assert_eq!(rows[1].cells, strings(&["'=HYPERLINK(\"http://evil\")"]));
}

#[test]
fn missing_file_is_io_error() {
    let path = std::env::temp_dir().join("wangqian-sheets-definitely-missing.xlsx");
    for kind in [SheetKind::Csv, SheetKind::Xlsx] {
        let err = RowReader::open(&path, kind).expect_err("missing");
        assert!(matches!(err, SheetError::Io(_)));
        assert!(err.to_string().starts_with("读取文件失败"));
    }
}

const BIG: usize = 100_000;

#[test]
fn large_csv_streams() {
    let mut text = String::with_capacity(BIG * 48);
    text.push_str("姓名,身份证号,学号,专业\n");
    for i in 0..BIG {
        text.push_str(&format!(
            "学生{i},1101051949123{i:05},2022{i:06},软件工程\n"
        ));
    }
    let file = TempFile::new("big.csv", text.as_bytes());
    let started = Instant::now();
    let reader = RowReader::open(file.path(), SheetKind::Csv).expect("open");
    assert_eq!(reader.estimated_rows(), Some(BIG + 1));
    let mut count = 0;
    let mut last = 0;
    for row in reader {
        let row = row.expect("row");
        count += 1;
        last = row.number;
    }
    assert_eq!((count, last), (BIG + 1, BIG + 1));
    eprintln!("csv {BIG} rows read in {:?}", started.elapsed());
}

#[test]
fn large_xlsx_streams() {
    // Hand-made and uncompressed: rust_xlsxwriter + deflate take seconds in debug builds.
    let mut data = String::with_capacity(BIG * 120);
    data.push_str(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>学号</t></is></c></row>"#);
    for i in 2..=BIG + 1 {
        data.push_str(&format!(
            r#"<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>学生{i}</t></is></c><c r="B{i}"><v>2022{i:06}</v></c></row>"#
        ));
    }
    let bytes = handmade_xlsx(Some(&format!("A1:B{}", BIG + 1)), &data);
    let file = TempFile::new("big.xlsx", &bytes);

    let started = Instant::now();
    let reader = RowReader::open(file.path(), SheetKind::Xlsx).expect("open");
    assert_eq!(reader.estimated_rows(), Some(BIG + 1));
    let mut count = 0;
    let mut last = None;
    for row in reader {
        count += 1;
        last = Some(row.expect("row"));
    }
    assert_eq!(count, BIG + 1);
    let n = BIG + 1;
    assert_eq!(
        last,
        Some(row(n, &[&format!("学生{n}"), &format!("2022{n:06}")]))
    );
    eprintln!("xlsx {BIG} rows read in {:?}", started.elapsed());

    // Dropping a reader mid-stream must not block (the worker notices and exits).
    let mut reader = RowReader::open(file.path(), SheetKind::Xlsx).expect("open");
    assert_eq!(
        reader.next().and_then(Result::ok).map(|r| r.number),
        Some(1)
    );
    drop(reader);
}

#[test]
fn large_export_round_trips() {
    // Exports of a whole graduating class go through write_xlsx; keep it modest for debug.
    let rows = (0..5_000).map(|i| vec![format!("学生{i}"), format!("11010519491231{i:04}")]);
    let bytes = write_xlsx("导出", &["姓名", "身份证号"], rows).expect("write");
    let rows = read_all("export.xlsx", &bytes).expect("read");
    assert_eq!(rows.len(), 5_001);
    assert_eq!(rows[5_000], row(5_001, &["学生4999", "110105194912314999"]));
}

#[test]
fn handmade_xlsx_without_refs_or_dimension() {
    // Other writers may omit `r` on rows/cells and the <dimension> element.
    let data = r#"<row><c t="inlineStr"><is><t>姓名</t></is></c><c t="inlineStr"><is><t>学号</t></is></c></row><row><c t="inlineStr"><is><t>张三</t></is></c><c><v>2022001</v></c></row><row r="5"><c r="B5" t="b"><v>0</v></c><c r="C5" t="e"><v>#DIV/0!</v></c></row>"#;
    let bytes = handmade_xlsx(None, data);
    let file = TempFile::new("plain.xlsx", &bytes);
    let reader = RowReader::open(file.path(), SheetKind::Xlsx).expect("open");
    assert_eq!(reader.estimated_rows(), None);
    let rows: Vec<Row> = reader.collect::<Result<_, _>>().expect("rows");
    assert_eq!(
        rows,
        vec![
            row(1, &["姓名", "学号"]),
            row(2, &["张三", "2022001"]),
            row(5, &["", "FALSE", "#DIV/0!"]),
        ]
    );
}

#[test]
fn overflowing_row_number_does_not_panic_the_caller() {
    // calamine's reference parser overflows u32 here (a panic with overflow checks on);
    // the worker thread contains it.
    let data = r#"<row r="1"><c r="A99999999999" t="inlineStr"><is><t>x</t></is></c></row>"#;
    let bytes = handmade_xlsx(Some("A1"), data);
    let file = TempFile::new("overflow.xlsx", &bytes);
    let outcome: Result<Vec<Row>, SheetError> =
        RowReader::open(file.path(), SheetKind::Xlsx).and_then(|r| r.collect());
    assert!(
        matches!(outcome, Ok(_) | Err(SheetError::Corrupt(_))),
        "{outcome:?}"
    );
}

#[test]
fn hostile_cell_reference_is_rejected() {
    let data = r#"<row r="1"><c r="ZZZZ1" t="inlineStr"><is><t>x</t></is></c></row>"#;
    let bytes = handmade_xlsx(Some("A1"), data);
    let file = TempFile::new("wide.xlsx", &bytes);
    let outcome: Result<Vec<Row>, SheetError> =
        RowReader::open(file.path(), SheetKind::Xlsx).and_then(|r| r.collect());
    assert!(
        matches!(outcome, Err(SheetError::Corrupt(_))),
        "{outcome:?}"
    );
}

/// A ZIP with stored (uncompressed) entries: lets tests hand-craft workbooks cheaply.
fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let table: Vec<u32> = (0..256u32)
        .map(|n| {
            (0..8).fold(n, |c, _| {
                if c & 1 == 1 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                }
            })
        })
        .collect();
    let crc32 = |data: &[u8]| {
        !data.iter().fold(!0u32, |crc, &b| {
            table[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8)
        })
    };
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let (crc, offset) = (crc32(data), out.len() as u32);
        let (name_len, size) = (name.len() as u16, data.len() as u32);
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for field in [crc, size, size] {
            out.extend_from_slice(&field.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for field in [crc, size, size] {
            central.extend_from_slice(&field.to_le_bytes());
        }
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let (central_offset, count) = (out.len() as u32, entries.len() as u16);
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// The smallest workbook calamine accepts, with the given `<sheetData>` content.
fn handmade_xlsx(dimension: Option<&str>, sheet_data: &str) -> Vec<u8> {
    const NS: &str = "http://schemas.openxmlformats.org";
    let rels = format!(
        r#"<?xml version="1.0"?><Relationships xmlns="{NS}/package/2006/relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let workbook = format!(
        r#"<?xml version="1.0"?><workbook xmlns="{NS}/spreadsheetml/2006/main" xmlns:r="{NS}/officeDocument/2006/relationships"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let workbook_rels = format!(
        r#"<?xml version="1.0"?><Relationships xmlns="{NS}/package/2006/relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
    );
    let dimension = dimension.map_or(String::new(), |d| format!(r#"<dimension ref="{d}"/>"#));
    let sheet = format!(
        r#"<?xml version="1.0"?><worksheet xmlns="{NS}/spreadsheetml/2006/main">{dimension}<sheetData>{sheet_data}</sheetData></worksheet>"#
    );
    stored_zip(&[
        ("_rels/.rels", rels.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ])
}
