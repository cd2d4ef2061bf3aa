//! One row of a school's roster import (生源信息, SPEC §4): the template's columns, header
//! matching, and validation of a row into a [`RosterRecord`] with every error of the row.
//!
//! Reading CSV/XLSX is not done here; the caller hands over the header row and each data row as
//! strings.

use crate::codes::{CodeTable, EDUCATION_LEVEL, ETHNICITY, POLITICAL_STATUS, TRAINING_MODE};
use crate::contact::{Email, MobileNumber};
use crate::id_number::{Gender, IdKind, IdNumber};

/// One column of the roster template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RosterColumn {
    /// Chinese header, e.g. "学号".
    pub header: &'static str,
    pub required: bool,
    /// A valid example value, used in the downloadable template.
    pub example: &'static str,
    /// A short hint for the template.
    pub note: &'static str,
}

const fn col(
    header: &'static str,
    required: bool,
    example: &'static str,
    note: &'static str,
) -> RosterColumn {
    RosterColumn {
        header,
        required,
        example,
        note,
    }
}

/// The roster template's columns, in template order (the private `Field` enum follows it).
pub const ROSTER_COLUMNS: &[RosterColumn] = &[
    col("学号", true, "2022010101", "字母、数字或短横线，最多32位"),
    col("姓名", true, "张三", "汉字或字母，少数民族姓名用间隔号“·”"),
    col("性别", true, "男", "男/女 或 1/2，须与身份证号一致"),
    col("民族", false, "汉族", "名称或代码，如 汉族 或 01"),
    col(
        "政治面貌",
        false,
        "共青团员",
        "名称或代码，如 共青团员 或 03",
    ),
    col(
        "身份证号",
        true,
        "340104200403150018",
        "18位，末位可为X；不接受15位旧号码",
    ),
    col(
        "学历",
        true,
        "本科生毕业",
        "名称或代码，如 本科生毕业 或 31",
    ),
    col(
        "培养方式",
        true,
        "非定向",
        "非定向/定向/委培 或 1/2/3；定向、委培不能网签",
    ),
    col("院系", true, "计算机科学与技术学院", "最多100字"),
    col("专业", true, "软件工程", "最多100字"),
    col("班级", false, "软件2201", "最多100字"),
    col("学制", true, "4", "1至8年，如 4 或 4年"),
    col(
        "生源所在地",
        true,
        "安徽省合肥市蜀山区",
        "到县级，最多100字",
    ),
    col("手机号码", false, "13812345678", "11位手机号码"),
    col("电子邮箱", false, "zhangsan@example.com", "常用电子邮箱"),
    col(
        "家庭地址",
        false,
        "安徽省合肥市蜀山区长江西路100号",
        "最多200字",
    ),
    col("毕业年度", true, "2026", "如 2026 或 2026届"),
];

/// The roster fields, in [`ROSTER_COLUMNS`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    StudentNo,
    Name,
    Gender,
    Ethnicity,
    PoliticalStatus,
    IdNumber,
    EducationLevel,
    TrainingMode,
    Department,
    Major,
    ClassName,
    YearsOfSchooling,
    OriginLocation,
    Mobile,
    Email,
    HomeAddress,
    GraduationYear,
}

const FIELD_COUNT: usize = 17;

const FIELDS: [Field; FIELD_COUNT] = [
    Field::StudentNo,
    Field::Name,
    Field::Gender,
    Field::Ethnicity,
    Field::PoliticalStatus,
    Field::IdNumber,
    Field::EducationLevel,
    Field::TrainingMode,
    Field::Department,
    Field::Major,
    Field::ClassName,
    Field::YearsOfSchooling,
    Field::OriginLocation,
    Field::Mobile,
    Field::Email,
    Field::HomeAddress,
    Field::GraduationYear,
];

impl Field {
    fn column(self) -> &'static RosterColumn {
        &ROSTER_COLUMNS[self as usize]
    }

    fn header(self) -> &'static str {
        self.column().header
    }

    /// Header texts accepted for this field besides the template's own (other provinces'
    /// templates and hand-made sheets use these).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::StudentNo => &[],
            Field::Name => &["学生姓名"],
            Field::Gender => &[],
            Field::Ethnicity => &[],
            Field::PoliticalStatus => &[],
            Field::IdNumber => &["身份证号码", "学生身份证号", "公民身份号码"],
            Field::EducationLevel => &["学历层次"],
            Field::TrainingMode => &[],
            Field::Department => &["学院", "院系名称"],
            Field::Major => &["专业名称"],
            Field::ClassName => &[],
            Field::YearsOfSchooling => &[],
            Field::OriginLocation => &["生源地"],
            Field::Mobile => &["手机号", "手机"],
            Field::Email => &["邮箱", "电子邮件"],
            Field::HomeAddress => &["家庭住址"],
            Field::GraduationYear => &["毕业年份", "毕业届别"],
        }
    }

    fn matches(self, normalised_header: &str) -> bool {
        self.header() == normalised_header || self.aliases().contains(&normalised_header)
    }
}

/// A validation problem in one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The column's Chinese header, e.g. "身份证号".
    pub column: &'static str,
    /// Chinese explanation, e.g. "必填".
    pub reason: String,
}

/// One validated roster row. Code columns hold codes (the sheet may give code or name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRecord {
    pub student_no: String,
    pub name: String,
    pub gender: Gender,
    pub ethnicity_code: Option<String>,
    pub political_status_code: Option<String>,
    pub id_number: IdNumber,
    pub education_level_code: String,
    pub training_mode_code: String,
    pub department: String,
    pub major: String,
    pub class_name: Option<String>,
    pub years_of_schooling: u8,
    pub origin_location: String,
    pub mobile: Option<MobileNumber>,
    pub email: Option<Email>,
    pub home_address: Option<String>,
    pub graduation_year: u16,
}

/// Where each field is in the sheet, built from its header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterHeader {
    index: [Option<usize>; FIELD_COUNT],
}

impl RosterHeader {
    /// Matches header cells to fields, ignoring a UTF-8 BOM, half- and full-width spaces,
    /// required-markers (`*`, "（必填）") and unknown extra columns. When a header appears
    /// twice, the first one is used. `Err` lists the missing required columns' Chinese names.
    pub fn parse(headers: &[String]) -> Result<RosterHeader, Vec<String>> {
        let mut index = [None; FIELD_COUNT];
        for (i, h) in headers.iter().enumerate() {
            let h = normalise_header(h);
            if let Some(f) = FIELDS.iter().find(|f| f.matches(&h)) {
                let slot = &mut index[*f as usize];
                if slot.is_none() {
                    *slot = Some(i);
                }
            }
        }
        let missing: Vec<String> = FIELDS
            .iter()
            .filter(|f| f.column().required && index[**f as usize].is_none())
            .map(|f| f.header().to_owned())
            .collect();
        if missing.is_empty() {
            Ok(RosterHeader { index })
        } else {
            Err(missing)
        }
    }

    /// The sheet column index of a template column (by its header in [`ROSTER_COLUMNS`]),
    /// if present in the sheet.
    pub fn index_of(&self, header: &str) -> Option<usize> {
        FIELDS
            .iter()
            .find(|f| f.header() == header)
            .and_then(|f| self.index[*f as usize])
    }

    /// Validates one data row and returns the record, or every error found in the row.
    /// Cells beyond the end of a short row count as empty.
    pub fn record(&self, cells: &[String]) -> Result<RosterRecord, Vec<FieldError>> {
        let mut v = RowValidator {
            header: self,
            cells,
            errors: Vec::new(),
        };

        let student_no = v.student_no();
        let name = v.name();
        let gender = v.required(Field::Gender).and_then(|s| {
            let g = Gender::parse(s);
            if g.is_none() {
                v.fail(Field::Gender, format!("不是有效的性别代码或名称：{s}"));
            }
            g
        });
        let ethnicity_code = v.optional_code(Field::Ethnicity, &ETHNICITY);
        let political_status_code = v.optional_code(Field::PoliticalStatus, &POLITICAL_STATUS);
        let id_number = v
            .required(Field::IdNumber)
            .and_then(|s| match IdNumber::parse(s) {
                Ok(id) => Some(id),
                Err(e) => {
                    v.fail(Field::IdNumber, e.to_string());
                    None
                }
            });
        // The roster's gender must agree with the ID number's sequence digit. Foreigners'
        // permanent residence numbers are skipped: their sequence rules are not verified here.
        if let (Some(g), Some(id)) = (gender, &id_number) {
            if id.kind() != IdKind::ForeignPermanentResident && id.gender() != g {
                v.fail(
                    Field::Gender,
                    format!("与身份证号不一致（身份证号显示为{}）", id.gender().label()),
                );
            }
        }
        let education_level_code = v.required_code(Field::EducationLevel, &EDUCATION_LEVEL);
        let training_mode_code = v.required_code(Field::TrainingMode, &TRAINING_MODE);
        let department = v.required_text(Field::Department, 100);
        let major = v.required_text(Field::Major, 100);
        let class_name = v.optional_text(Field::ClassName, 100);
        let years_of_schooling = v.years_of_schooling();
        let origin_location = v.required_text(Field::OriginLocation, 100);
        let mobile = v
            .optional(Field::Mobile)
            .and_then(|s| match MobileNumber::parse(s) {
                Ok(m) => Some(m),
                Err(e) => {
                    v.fail(Field::Mobile, e.to_string());
                    None
                }
            });
        let email = v
            .optional(Field::Email)
            .and_then(|s| match Email::parse(s) {
                Ok(m) => Some(m),
                Err(e) => {
                    v.fail(Field::Email, e.to_string());
                    None
                }
            });
        let home_address = v.optional_text(Field::HomeAddress, 200);
        let graduation_year = v.graduation_year();

        if !v.errors.is_empty() {
            return Err(v.errors);
        }
        // With no errors every required value is present; the `None` arm is unreachable but
        // kept instead of a panic.
        match (
            student_no,
            name,
            gender,
            id_number,
            education_level_code,
            training_mode_code,
            department,
            major,
            years_of_schooling,
            origin_location,
            graduation_year,
        ) {
            (
                Some(student_no),
                Some(name),
                Some(gender),
                Some(id_number),
                Some(education_level_code),
                Some(training_mode_code),
                Some(department),
                Some(major),
                Some(years_of_schooling),
                Some(origin_location),
                Some(graduation_year),
            ) => Ok(RosterRecord {
                student_no,
                name,
                gender,
                ethnicity_code,
                political_status_code,
                id_number,
                education_level_code,
                training_mode_code,
                department,
                major,
                class_name,
                years_of_schooling,
                origin_location,
                mobile,
                email,
                home_address,
                graduation_year,
            }),
            _ => Err(vec![FieldError {
                column: Field::StudentNo.header(),
                reason: "本行数据不完整".to_owned(),
            }]),
        }
    }
}

/// Collects the errors of one row while its cells are read.
struct RowValidator<'a> {
    header: &'a RosterHeader,
    cells: &'a [String],
    errors: Vec<FieldError>,
}

impl<'a> RowValidator<'a> {
    fn cell(&self, f: Field) -> &'a str {
        self.header.index[f as usize]
            .and_then(|i| self.cells.get(i))
            .map_or("", |s| s.trim())
    }

    fn fail(&mut self, f: Field, reason: String) {
        self.errors.push(FieldError {
            column: f.header(),
            reason,
        });
    }

    /// The trimmed cell, or `None` with a "必填" error when it is empty.
    fn required(&mut self, f: Field) -> Option<&'a str> {
        let s = self.cell(f);
        if s.is_empty() {
            self.fail(f, "必填".to_owned());
            None
        } else {
            Some(s)
        }
    }

    /// The trimmed cell, or `None` when it is empty.
    fn optional(&self, f: Field) -> Option<&'a str> {
        Some(self.cell(f)).filter(|s| !s.is_empty())
    }

    fn text(&mut self, f: Field, s: &str, max_chars: usize) -> Option<String> {
        if s.chars().any(char::is_control) {
            self.fail(f, "不能包含换行等控制字符".to_owned());
            return None;
        }
        if s.chars().count() > max_chars {
            self.fail(f, format!("不能超过{max_chars}个字"));
            return None;
        }
        Some(s.to_owned())
    }

    fn required_text(&mut self, f: Field, max_chars: usize) -> Option<String> {
        let s = self.required(f)?;
        self.text(f, s, max_chars)
    }

    /// `None` both when empty and when invalid (the error is recorded).
    fn optional_text(&mut self, f: Field, max_chars: usize) -> Option<String> {
        let s = self.optional(f)?;
        self.text(f, s, max_chars)
    }

    fn code(&mut self, f: Field, table: &CodeTable, s: &str) -> Option<String> {
        let entry = table.resolve(s).or_else(|| {
            // Ethnicities are often written without the trailing 族 ("汉").
            if f == Field::Ethnicity && !s.ends_with('族') {
                table.by_name(&format!("{s}族"))
            } else {
                None
            }
        });
        match entry {
            Some(e) => Some(e.code.to_owned()),
            None => {
                self.fail(f, format!("不是有效的{}代码或名称：{s}", table.title));
                None
            }
        }
    }

    fn required_code(&mut self, f: Field, table: &CodeTable) -> Option<String> {
        let s = self.required(f)?;
        self.code(f, table, s)
    }

    fn optional_code(&mut self, f: Field, table: &CodeTable) -> Option<String> {
        let s = self.optional(f)?;
        self.code(f, table, s)
    }

    fn student_no(&mut self) -> Option<String> {
        let f = Field::StudentNo;
        let s = self.required(f)?;
        if s.chars().count() > 32 {
            self.fail(f, "学号不能超过32个字符".to_owned());
            return None;
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            self.fail(f, "学号只能包含字母、数字和短横线".to_owned());
            return None;
        }
        Some(s.to_owned())
    }

    fn name(&mut self) -> Option<String> {
        let f = Field::Name;
        let s = self.required(f)?;
        let name = normalize_person_name(s);
        if name.chars().count() > 50 {
            self.fail(f, "姓名不能超过50个字".to_owned());
            return None;
        }
        if !name
            .chars()
            .all(|c| is_han(c) || c.is_ascii_alphabetic() || c == '·' || c == ' ')
        {
            self.fail(f, "姓名只能包含汉字、字母、间隔号“·”和空格".to_owned());
            return None;
        }
        Some(name)
    }

    fn years_of_schooling(&mut self) -> Option<u8> {
        let f = Field::YearsOfSchooling;
        let s = self.required(f)?;
        let n = s.strip_suffix('年').unwrap_or(s).trim().parse::<u8>().ok();
        match n {
            Some(n) if (1..=8).contains(&n) => Some(n),
            _ => {
                self.fail(f, format!("学制应为1至8年的整数，如 4 或 4年：{s}"));
                None
            }
        }
    }

    fn graduation_year(&mut self) -> Option<u16> {
        let f = Field::GraduationYear;
        let s = self.required(f)?;
        let digits = s
            .strip_suffix('届')
            .or_else(|| s.strip_suffix('年'))
            .unwrap_or(s)
            .trim();
        match digits.parse::<u16>() {
            Ok(y) if (2000..=2100).contains(&y) => Some(y),
            _ => {
                self.fail(
                    f,
                    format!("毕业年度应为2000至2100年，如 2026 或 2026届：{s}"),
                );
                None
            }
        }
    }
}

/// Why a re-import may not change a record whose graduate has bound an account: the account
/// logs in by the record, so a new name or ID number would hand it another person's record.
/// `None` when nothing of the identity changes (or the record is not bound).
pub fn bound_identity_change(
    bound: bool,
    name_changed: bool,
    id_number_changed: bool,
) -> Option<(&'static str, &'static str)> {
    if !bound {
        return None;
    }
    const AFTER: &str = "请核实；确需更正的，先在生源信息中解除该生的绑定，再重新导入";
    match (name_changed, id_number_changed) {
        (false, false) => None,
        (true, false) => Some(("姓名", AFTER)),
        (false, true) => Some(("身份证号", AFTER)),
        (true, true) => Some(("姓名、身份证号", AFTER)),
    }
}

/// Normalises a person's name for storage and matching: trims, turns the look-alike dots that
/// keyboards produce (•, ・, ･, ‧, ．) into the interpunct "·", and collapses runs of half- or
/// full-width spaces into one space. Binding compares names after this normalisation.
pub fn normalize_person_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.trim().chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(match c {
            '\u{2022}' | '\u{30FB}' | '\u{FF65}' | '\u{2027}' | '\u{FF0E}' => '·',
            other => other,
        });
    }
    out
}

/// CJK ideographs, including the extension blocks that rare name characters come from.
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3007}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}'
        | '\u{30000}'..='\u{323AF}')
}

/// Strips the BOM, every kind of space and required-markers from a header cell.
fn normalise_header(h: &str) -> String {
    let mut s: String = h
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{FEFF}' | '*' | '＊'))
        .collect();
    for marker in ["（必填）", "(必填)", "（选填）", "(选填)"] {
        s = s.replace(marker, "");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn template_headers() -> Vec<String> {
        ROSTER_COLUMNS.iter().map(|c| c.header.to_owned()).collect()
    }

    fn example_row() -> Vec<String> {
        ROSTER_COLUMNS
            .iter()
            .map(|c| c.example.to_owned())
            .collect()
    }

    /// Sets one cell of a template-ordered row.
    fn with(mut row: Vec<String>, header: &str, value: &str) -> Vec<String> {
        let i = ROSTER_COLUMNS
            .iter()
            .position(|c| c.header == header)
            .expect("known header");
        row[i] = value.to_owned();
        row
    }

    #[test]
    fn columns_are_in_the_documented_order() {
        let headers: Vec<_> = ROSTER_COLUMNS.iter().map(|c| c.header).collect();
        assert_eq!(
            headers,
            [
                "学号",
                "姓名",
                "性别",
                "民族",
                "政治面貌",
                "身份证号",
                "学历",
                "培养方式",
                "院系",
                "专业",
                "班级",
                "学制",
                "生源所在地",
                "手机号码",
                "电子邮箱",
                "家庭地址",
                "毕业年度"
            ]
        );
        let optional: Vec<_> = ROSTER_COLUMNS
            .iter()
            .filter(|c| !c.required)
            .map(|c| c.header)
            .collect();
        assert_eq!(
            optional,
            [
                "民族",
                "政治面貌",
                "班级",
                "手机号码",
                "电子邮箱",
                "家庭地址"
            ]
        );
        for (f, c) in FIELDS.iter().zip(ROSTER_COLUMNS) {
            assert_eq!(f.header(), c.header);
        }
    }

    #[test]
    fn template_examples_form_a_valid_row() {
        let header = RosterHeader::parse(&template_headers()).expect("all columns");
        let r = header.record(&example_row()).expect("examples are valid");
        assert_eq!(r.student_no, "2022010101");
        assert_eq!(r.name, "张三");
        assert_eq!(r.gender, Gender::Male);
        assert_eq!(r.ethnicity_code.as_deref(), Some("01"));
        assert_eq!(r.political_status_code.as_deref(), Some("03"));
        assert_eq!(r.id_number.as_str(), "340104200403150018");
        assert_eq!(r.education_level_code, "31");
        assert_eq!(r.training_mode_code, "1");
        assert_eq!(r.department, "计算机科学与技术学院");
        assert_eq!(r.major, "软件工程");
        assert_eq!(r.class_name.as_deref(), Some("软件2201"));
        assert_eq!(r.years_of_schooling, 4);
        assert_eq!(r.origin_location, "安徽省合肥市蜀山区");
        assert_eq!(r.mobile.as_ref().map(|m| m.as_str()), Some("13812345678"));
        assert_eq!(
            r.email.as_ref().map(|e| e.as_str()),
            Some("zhangsan@example.com")
        );
        assert_eq!(
            r.home_address.as_deref(),
            Some("安徽省合肥市蜀山区长江西路100号")
        );
        assert_eq!(r.graduation_year, 2026);
    }

    #[test]
    fn accepts_codes_suffixes_and_blank_optionals() {
        let header = RosterHeader::parse(&template_headers()).expect("all columns");
        let mut row = example_row();
        row = with(row, "性别", "1");
        row = with(row, "民族", "汉");
        row = with(row, "政治面貌", "");
        row = with(row, "学历", "11");
        row = with(row, "培养方式", "定向");
        row = with(row, "学制", "3年");
        row = with(row, "毕业年度", "2027届");
        row = with(row, "手机号码", "  ");
        row = with(row, "姓名", "阿依古丽•买买提");
        let r = header.record(&row).expect("valid");
        assert_eq!(r.gender, Gender::Male);
        assert_eq!(r.ethnicity_code.as_deref(), Some("01"));
        assert_eq!(r.political_status_code, None);
        assert_eq!(r.education_level_code, "11");
        assert_eq!(r.training_mode_code, "2");
        assert_eq!(r.years_of_schooling, 3);
        assert_eq!(r.graduation_year, 2027);
        assert_eq!(r.mobile, None);
        assert_eq!(r.name, "阿依古丽·买买提");
    }

    #[test]
    fn a_bad_row_reports_every_error() {
        let header = RosterHeader::parse(&template_headers()).expect("all columns");
        let row = strings(&[
            "2022 0101",          // 学号: space
            "",                   // 姓名: missing
            "女",                 // 性别: disagrees with the ID
            "火星族",             // 民族
            "团员x",              // 政治面貌
            "340104200403150013", // 身份证号: bad check
            "博士后",             // 学历
            "",                   // 培养方式: missing
            "计算机学院",         // 院系
            "软件工程",           // 专业
            "",                   // 班级
            "九",                 // 学制
            "安徽省合肥市",       // 生源所在地
            "1381234567",         // 手机号码: too short
            "not-an-email",       // 电子邮箱
            "",                   // 家庭地址
            "1999",               // 毕业年度
        ]);
        let errors = header.record(&row).expect_err("invalid");
        let columns: Vec<_> = errors.iter().map(|e| e.column).collect();
        assert_eq!(
            columns,
            [
                "学号",
                "姓名",
                "民族",
                "政治面貌",
                "身份证号",
                "学历",
                "培养方式",
                "学制",
                "手机号码",
                "电子邮箱",
                "毕业年度"
            ]
        );
        let reason = |col: &str| {
            errors
                .iter()
                .find(|e| e.column == col)
                .map(|e| e.reason.clone())
                .unwrap_or_default()
        };
        assert_eq!(reason("姓名"), "必填");
        assert_eq!(reason("身份证号"), "身份证号校验位错误");
        assert_eq!(reason("学历"), "不是有效的学历代码或名称：博士后");
        assert_eq!(reason("民族"), "不是有效的民族代码或名称：火星族");
    }

    #[test]
    fn gender_must_agree_with_the_id_number() {
        let header = RosterHeader::parse(&template_headers()).expect("all columns");
        let row = with(example_row(), "性别", "女");
        let errors = header.record(&row).expect_err("mismatch");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].column, "性别");
        assert!(errors[0].reason.contains("身份证号"));

        let row = with(
            with(example_row(), "性别", "女"),
            "身份证号",
            "11010519491231002x",
        );
        let r = header.record(&row).expect("female ID");
        assert_eq!(r.gender, Gender::Female);
    }

    #[test]
    fn header_reports_missing_required_columns() {
        let headers = strings(&["学号", "姓名", "民族", "专业", "备注"]);
        let missing = RosterHeader::parse(&headers).expect_err("missing");
        assert_eq!(
            missing,
            [
                "性别",
                "身份证号",
                "学历",
                "培养方式",
                "院系",
                "学制",
                "生源所在地",
                "毕业年度"
            ]
        );
    }

    #[test]
    fn header_tolerates_bom_spaces_markers_and_aliases() {
        let mut headers = template_headers();
        headers[0] = "\u{FEFF}学号".to_owned();
        headers[1] = " 姓　名 ".to_owned();
        headers[5] = "*身份证号码".to_owned();
        headers[16] = "毕业年度（必填）".to_owned();
        headers.push("备注".to_owned());
        let header = RosterHeader::parse(&headers).expect("all columns");
        assert_eq!(header.index_of("学号"), Some(0));
        assert_eq!(header.index_of("身份证号"), Some(5));
        assert!(header.record(&example_row()).is_ok());
    }

    #[test]
    fn column_order_does_not_matter() {
        let mut headers = template_headers();
        let mut row = example_row();
        headers.reverse();
        row.reverse();
        headers.insert(3, "备注".to_owned());
        row.insert(3, "随便写".to_owned());
        let shuffled = RosterHeader::parse(&headers).expect("all columns");
        let ordered = RosterHeader::parse(&template_headers()).expect("all columns");
        assert_eq!(
            shuffled.record(&row).expect("valid"),
            ordered.record(&example_row()).expect("valid")
        );
    }

    #[test]
    fn optional_columns_may_be_absent_and_short_rows_count_as_empty() {
        let headers: Vec<String> = ROSTER_COLUMNS
            .iter()
            .filter(|c| c.required)
            .map(|c| c.header.to_owned())
            .collect();
        let header = RosterHeader::parse(&headers).expect("required columns");
        assert_eq!(header.index_of("民族"), None);
        let row: Vec<String> = ROSTER_COLUMNS
            .iter()
            .filter(|c| c.required)
            .map(|c| c.example.to_owned())
            .collect();
        let r = header.record(&row).expect("valid");
        assert_eq!(r.ethnicity_code, None);
        assert_eq!(r.email, None);

        // Only the first three cells: everything after is missing.
        let errors = header.record(&row[..3]).expect_err("short row");
        assert!(errors.iter().all(|e| e.reason == "必填"));
        assert_eq!(errors.len(), headers.len() - 3);
    }

    #[test]
    fn text_limits_and_control_characters() {
        let header = RosterHeader::parse(&template_headers()).expect("all columns");
        let row = with(example_row(), "家庭地址", &"路".repeat(201));
        let errors = header.record(&row).expect_err("too long");
        assert_eq!(errors[0].column, "家庭地址");
        let row = with(example_row(), "专业", "软件\n工程");
        let errors = header.record(&row).expect_err("newline");
        assert_eq!(errors[0].column, "专业");
        let row = with(example_row(), "学号", &"1".repeat(33));
        assert!(header.record(&row).is_err());
        let row = with(example_row(), "学制", "9");
        assert!(header.record(&row).is_err());
        let row = with(example_row(), "姓名", "张三3");
        assert!(header.record(&row).is_err());
    }

    #[test]
    fn name_normalisation() {
        assert_eq!(normalize_person_name("  张　三 "), "张 三");
        assert_eq!(normalize_person_name("Li  Lei"), "Li Lei");
        assert_eq!(
            normalize_person_name("迪丽热巴・迪力木拉提"),
            "迪丽热巴·迪力木拉提"
        );
    }

    #[test]
    fn a_bound_records_identity_is_not_rewritten_by_an_import() {
        assert_eq!(bound_identity_change(false, true, true), None);
        assert_eq!(bound_identity_change(true, false, false), None);
        assert_eq!(bound_identity_change(true, true, false).unwrap().0, "姓名");
        assert_eq!(
            bound_identity_change(true, false, true).unwrap().0,
            "身份证号"
        );
        assert_eq!(
            bound_identity_change(true, true, true).unwrap().0,
            "姓名、身份证号"
        );
    }
}
