//! The terms of an agreement (邀请函 fields, SPEC §5) and the employer data a graduate types into
//! a paper agreement (SPEC §7), with their validation.

use serde::{Deserialize, Serialize};

use crate::codes::{INDUSTRY, JOB_CATEGORY, UNIT_NATURE};
use crate::contact::Postcode;
use crate::credit_code::CreditCode;

/// One invalid field, named as in the struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermsError {
    pub field: &'static str,
    pub reason: &'static str,
}

/// What the employer offers and the graduate accepts. Money is whole yuan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementTerms {
    /// 工作职位类别: a name (or code) of the 工作职位类别 table on every new write; terms stored
    /// before the table may hold free text, which stays readable.
    pub position_category: String,
    /// The table code of `position_category`, filled in when the terms are normalised. Absent
    /// in older terms (and omitted when absent, so their stored JSON is unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_category_code: Option<String>,
    /// 拟聘用职位
    pub position: String,
    /// 试用期（月）: the labour law allows at most six months.
    #[serde(default)]
    #[schema(maximum = 255)]
    pub probation_months: u8,
    /// 试用起薪（元/月）
    #[serde(default)]
    pub probation_salary_yuan: u32,
    /// 转正起薪（元/月）
    pub regular_salary_yuan: u32,
    /// 违约金（元）
    #[serde(default)]
    pub breach_penalty_yuan: u32,
    /// 报到地点
    pub report_place: String,
    /// 报到期限, "YYYY-MM-DD".
    pub report_deadline: String,
    /// 实际工作地点 (to county level)
    pub work_location: String,
    /// 报到地点, structured: a county of the region table and the street. When present,
    /// `report_place` holds its full name plus the street. Absent in older terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_region: Option<RegionAddress>,
    /// 实际工作地点, structured (the street may be empty); `work_location` holds its summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_region: Option<RegionAddress>,
    /// 签约联系人 and phone
    pub contact_name: String,
    pub contact_phone: String,
    /// 档案接收单位及地址
    #[serde(default)]
    pub archive_receiver: String,
    /// 户口接收类型/地址
    #[serde(default)]
    pub household_receiver: String,
    /// 档案接收, structured. Absent in terms written before it existed (and omitted when
    /// absent, so the stored JSON and its trail hash stay as they were); when present,
    /// `archive_receiver` holds its readable summary for pages and PDFs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<ArchiveReceiving>,
    /// 户口接收, structured; `household_receiver` holds its summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household: Option<HouseholdReceiving>,
    /// 约定条款: labour contract, breach and other agreed terms (free text).
    #[serde(default)]
    pub agreed_terms: String,
}

const SHORT: usize = 50;
const LONG: usize = 200;
const FREE_TEXT: usize = 2000;

fn text(
    errors: &mut Vec<TermsError>,
    field: &'static str,
    value: &str,
    required: bool,
    max: usize,
) {
    let v = value.trim();
    if required && v.is_empty() {
        errors.push(TermsError {
            field,
            reason: "必填",
        });
    } else if v.chars().count() > max {
        errors.push(TermsError {
            field,
            reason: "内容过长",
        });
    }
}

impl AgreementTerms {
    /// Trims every text field.
    pub fn normalised(mut self) -> AgreementTerms {
        for f in [
            &mut self.position_category,
            &mut self.position,
            &mut self.report_place,
            &mut self.report_deadline,
            &mut self.work_location,
            &mut self.contact_name,
            &mut self.contact_phone,
            &mut self.archive_receiver,
            &mut self.household_receiver,
            &mut self.agreed_terms,
        ] {
            *f = f.trim().to_string();
        }
        let category = match (
            &self.position_category_code,
            self.position_category.is_empty(),
        ) {
            (Some(code), true) => JOB_CATEGORY.by_code(code),
            _ => JOB_CATEGORY.resolve(&self.position_category),
        };
        if let Some(c) = category {
            self.position_category = c.name.to_string();
            self.position_category_code = Some(c.code.to_string());
        } else {
            // Kept as typed for the error message; a stale code must not vouch for it.
            self.position_category_code = None;
        }
        if let Some(r) = self.report_region.take() {
            let r = r.normalised();
            self.report_place = r.summary();
            self.report_region = Some(r);
        }
        if let Some(r) = self.work_region.take() {
            let r = r.normalised();
            self.work_location = r.summary();
            self.work_region = Some(r);
        }
        if let Some(a) = self.archive.take() {
            let a = a.normalised();
            self.archive_receiver = a.summary();
            self.archive = Some(a);
        }
        if let Some(h) = self.household.take() {
            let h = h.normalised();
            self.household_receiver = h.summary();
            self.household = Some(h);
        }
        self
    }

    pub fn validate(&self) -> Result<(), Vec<TermsError>> {
        let mut e = Vec::new();
        if self.position_category.trim().is_empty() {
            text(&mut e, "position_category", "", true, SHORT);
        } else if JOB_CATEGORY.by_name(&self.position_category).is_none() {
            e.push(TermsError {
                field: "position_category",
                reason: "请从工作职位类别列表中选择",
            });
        }
        text(&mut e, "position", &self.position, true, SHORT);
        // With a region the street is checked, not its summary (the region's name comes on top).
        match &self.report_region {
            Some(r) => r.check(&mut e, REPORT_REGION_FIELDS, true),
            None => text(&mut e, "report_place", &self.report_place, true, LONG),
        }
        match &self.work_region {
            Some(r) => r.check(&mut e, WORK_REGION_FIELDS, false),
            None => text(&mut e, "work_location", &self.work_location, true, LONG),
        }
        text(&mut e, "contact_name", &self.contact_name, true, SHORT);
        text(
            &mut e,
            "archive_receiver",
            &self.archive_receiver,
            false,
            LONG,
        );
        text(
            &mut e,
            "household_receiver",
            &self.household_receiver,
            false,
            LONG,
        );
        text(&mut e, "agreed_terms", &self.agreed_terms, false, FREE_TEXT);
        if let Some(a) = &self.archive {
            a.check(&mut e);
        }
        if let Some(h) = &self.household {
            h.check(&mut e);
        }
        if self.probation_months > 6 {
            e.push(TermsError {
                field: "probation_months",
                reason: "试用期不能超过6个月",
            });
        }
        if self.regular_salary_yuan == 0 || self.regular_salary_yuan > 10_000_000 {
            e.push(TermsError {
                field: "regular_salary_yuan",
                reason: "请填写转正起薪（元/月）",
            });
        }
        if self.probation_salary_yuan > self.regular_salary_yuan {
            e.push(TermsError {
                field: "probation_salary_yuan",
                reason: "试用起薪不能高于转正起薪",
            });
        }
        if self.breach_penalty_yuan > 1_000_000 {
            e.push(TermsError {
                field: "breach_penalty_yuan",
                reason: "违约金数额不合理",
            });
        }
        if !phone_ok(&self.contact_phone) {
            e.push(TermsError {
                field: "contact_phone",
                reason: "请填写正确的联系电话",
            });
        }
        let date_format = time::macros::format_description!("[year]-[month]-[day]");
        if time::Date::parse(self.report_deadline.trim(), date_format).is_err() {
            e.push(TermsError {
                field: "report_deadline",
                reason: "报到期限应为日期（如 2027-07-15）",
            });
        }
        if e.is_empty() {
            Ok(())
        } else {
            Err(e)
        }
    }
}

/// A place to county level from the region table, and the street (free text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionAddress {
    /// Six-digit GB/T 2260 code of a county-level division (a leaf of the region table, e.g.
    /// `340104` 合肥市蜀山区, or `441900` 东莞市 which has no counties).
    #[schema(example = "340104", min_length = 6, max_length = 6)]
    pub county_code: String,
    /// 街道地址 after the county, e.g. "长江西路1号".
    #[serde(default)]
    #[schema(max_length = 200)]
    pub street: String,
}

/// The error fields of the structured 报到地点 and 实际工作地点: (code, street).
pub const REPORT_REGION_FIELDS: (&str, &str) =
    ("report_region.county_code", "report_region.street");
pub const WORK_REGION_FIELDS: (&str, &str) = ("work_region.county_code", "work_region.street");

impl RegionAddress {
    pub fn normalised(self) -> RegionAddress {
        RegionAddress {
            county_code: self.county_code.trim().to_string(),
            street: self.street.trim().to_string(),
        }
    }

    pub(crate) fn check(
        &self,
        e: &mut Vec<TermsError>,
        fields: (&'static str, &'static str),
        street_required: bool,
    ) {
        if !crate::regions::is_leaf(&self.county_code) {
            e.push(TermsError {
                field: fields.0,
                reason: "请选择省、市和区县",
            });
        }
        text(e, fields.1, &self.street, street_required, LONG);
    }

    /// "安徽省合肥市蜀山区长江西路1号": the readable line kept in the free-text field.
    pub fn summary(&self) -> String {
        format!(
            "{}{}",
            crate::regions::full_name(&self.county_code),
            self.street
        )
    }
}

/// A landline or mobile number: 7 to 20 digits with `-`, spaces or `+`.
fn phone_ok(phone: &str) -> bool {
    let phone = phone.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    (7..=20).contains(&digits)
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+'))
}

/// 档案接收方式 (002 §2.1.1 签约信息确认, the invitation's 档案信息).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveMode {
    /// 转寄单位: the employer holds personnel files itself.
    ForwardToEmployer,
    /// 转寄人才服务机构
    ForwardToTalentCentre,
    /// 存放学校
    KeepAtSchool,
    /// 转回生源地
    ReturnToOrigin,
    /// 单位不接收 (the manual's default on the invitation form)
    NotReceived,
}

impl ArchiveMode {
    pub const ALL: [ArchiveMode; 5] = [
        ArchiveMode::ForwardToEmployer,
        ArchiveMode::ForwardToTalentCentre,
        ArchiveMode::KeepAtSchool,
        ArchiveMode::ReturnToOrigin,
        ArchiveMode::NotReceived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveMode::ForwardToEmployer => "forward_to_employer",
            ArchiveMode::ForwardToTalentCentre => "forward_to_talent_centre",
            ArchiveMode::KeepAtSchool => "keep_at_school",
            ArchiveMode::ReturnToOrigin => "return_to_origin",
            ArchiveMode::NotReceived => "not_received",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ArchiveMode::ForwardToEmployer => "转寄单位",
            ArchiveMode::ForwardToTalentCentre => "转寄人才服务机构",
            ArchiveMode::KeepAtSchool => "存放学校",
            ArchiveMode::ReturnToOrigin => "转回生源地",
            ArchiveMode::NotReceived => "单位不接收",
        }
    }

    pub fn parse(code: &str) -> Option<ArchiveMode> {
        ArchiveMode::ALL
            .into_iter()
            .find(|m| m.as_str() == code.trim())
    }

    /// Forwarding needs the whole 档案转寄 address block; the others need none.
    pub fn forwards(self) -> bool {
        matches!(
            self,
            ArchiveMode::ForwardToEmployer | ArchiveMode::ForwardToTalentCentre
        )
    }
}

/// 档案接收: the mode and, when forwarding, where the file goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveReceiving {
    pub mode: ArchiveMode,
    /// 档案转寄单位名称
    #[serde(default)]
    pub unit_name: String,
    /// 档案转递地址
    #[serde(default)]
    pub address: String,
    /// 档案转递邮编
    #[serde(default)]
    pub postcode: String,
    /// 档案转递联系人
    #[serde(default)]
    pub contact_name: String,
    /// 档案转递联系电话
    #[serde(default)]
    pub contact_phone: String,
}

/// The form field and label of each part of the archive block, as errors name them.
pub const ARCHIVE_FIELDS: [(&str, &str); 6] = [
    ("archive_mode", "档案接收"),
    ("archive_unit_name", "档案转寄单位名称"),
    ("archive_address", "档案转递地址"),
    ("archive_postcode", "档案转递邮编"),
    ("archive_contact_name", "档案转递联系人"),
    ("archive_contact_phone", "档案转递联系电话"),
];

impl ArchiveReceiving {
    /// Trims, and drops the address block when the mode does not forward (a value left over
    /// from another choice must not reach the agreement).
    pub fn normalised(mut self) -> ArchiveReceiving {
        for f in [
            &mut self.unit_name,
            &mut self.address,
            &mut self.postcode,
            &mut self.contact_name,
            &mut self.contact_phone,
        ] {
            *f = if self.mode.forwards() {
                f.trim().to_string()
            } else {
                String::new()
            };
        }
        self
    }

    fn check(&self, e: &mut Vec<TermsError>) {
        if !self.mode.forwards() {
            return;
        }
        text(e, "archive_unit_name", &self.unit_name, true, 100);
        text(e, "archive_address", &self.address, true, LONG);
        if Postcode::parse(self.postcode.trim()).is_err() {
            e.push(TermsError {
                field: "archive_postcode",
                reason: "邮政编码应为6位数字",
            });
        }
        text(e, "archive_contact_name", &self.contact_name, true, SHORT);
        if !phone_ok(&self.contact_phone) {
            e.push(TermsError {
                field: "archive_contact_phone",
                reason: "请填写正确的联系电话",
            });
        }
    }

    /// The readable line kept in `archive_receiver` (pages, PDFs, older readers).
    pub fn summary(&self) -> String {
        if self.mode.forwards() {
            format!(
                "{}：{}，{}（邮编 {}），联系人 {} {}",
                self.mode.label(),
                self.unit_name,
                self.address,
                self.postcode,
                self.contact_name,
                self.contact_phone
            )
        } else {
            self.mode.label().to_string()
        }
    }
}

/// 户口接收类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdKind {
    /// 迁入单位所在地
    MoveToEmployerCity,
    /// 迁回生源地
    ReturnToOrigin,
    /// 不迁 (the manual's 不接收)
    NotMoved,
}

impl HouseholdKind {
    pub const ALL: [HouseholdKind; 3] = [
        HouseholdKind::MoveToEmployerCity,
        HouseholdKind::ReturnToOrigin,
        HouseholdKind::NotMoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HouseholdKind::MoveToEmployerCity => "move_to_employer_city",
            HouseholdKind::ReturnToOrigin => "return_to_origin",
            HouseholdKind::NotMoved => "not_moved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HouseholdKind::MoveToEmployerCity => "迁入单位所在地",
            HouseholdKind::ReturnToOrigin => "迁回生源地",
            HouseholdKind::NotMoved => "不迁（单位不接收）",
        }
    }

    pub fn parse(code: &str) -> Option<HouseholdKind> {
        HouseholdKind::ALL
            .into_iter()
            .find(|k| k.as_str() == code.trim())
    }
}

/// 户口接收: the kind and, when moving in, the address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdReceiving {
    pub kind: HouseholdKind,
    /// 户口接收地址
    #[serde(default)]
    pub address: String,
}

impl HouseholdReceiving {
    pub fn normalised(mut self) -> HouseholdReceiving {
        self.address = if self.kind == HouseholdKind::MoveToEmployerCity {
            self.address.trim().to_string()
        } else {
            String::new()
        };
        self
    }

    fn check(&self, e: &mut Vec<TermsError>) {
        if self.kind == HouseholdKind::MoveToEmployerCity {
            text(e, "household_address", &self.address, true, LONG);
        }
    }

    pub fn summary(&self) -> String {
        if self.kind == HouseholdKind::MoveToEmployerCity {
            format!("{}：{}", self.kind.label(), self.address)
        } else {
            self.kind.label().to_string()
        }
    }
}

/// 签约信息确认 (002 §2.1.1): what a company confirms once and every invitation starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningDefaults {
    /// 单位性质, a code of the 单位性质 table (e.g. `39` 其他企业).
    pub unit_nature_code: String,
    /// 单位所在地 (to county level)
    pub location: String,
    pub archive: ArchiveReceiving,
    pub household: HouseholdReceiving,
}

impl SigningDefaults {
    pub fn normalised(self) -> SigningDefaults {
        SigningDefaults {
            unit_nature_code: self.unit_nature_code.trim().to_string(),
            location: self.location.trim().to_string(),
            archive: self.archive.normalised(),
            household: self.household.normalised(),
        }
    }

    /// Every problem at once, each on its field.
    pub fn validate(&self) -> Result<(), Vec<TermsError>> {
        let mut e = Vec::new();
        if UNIT_NATURE.by_code(self.unit_nature_code.trim()).is_none() {
            e.push(TermsError {
                field: "unit_nature_code",
                reason: "请选择单位性质",
            });
        }
        text(&mut e, "location", &self.location, true, LONG);
        self.archive.check(&mut e);
        self.household.check(&mut e);
        if e.is_empty() {
            Ok(())
        } else {
            Err(e)
        }
    }
}

/// The employer of a paper agreement, as the graduate copies it from the signed paper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaperEmployer {
    pub name: String,
    pub credit_code: String,
    pub unit_nature_code: String,
    pub industry_code: String,
    /// 单位所在地 (to county level)
    pub location: String,
    pub address: String,
    pub postcode: String,
}

impl PaperEmployer {
    pub fn validate(&self) -> Result<(), Vec<TermsError>> {
        let mut e = Vec::new();
        text(&mut e, "name", &self.name, true, 100);
        text(&mut e, "location", &self.location, true, LONG);
        text(&mut e, "address", &self.address, true, LONG);
        if CreditCode::parse(self.credit_code.trim()).is_err() {
            e.push(TermsError {
                field: "credit_code",
                reason: "统一社会信用代码不正确",
            });
        }
        if UNIT_NATURE.by_code(self.unit_nature_code.trim()).is_none() {
            e.push(TermsError {
                field: "unit_nature_code",
                reason: "请选择单位性质",
            });
        }
        if INDUSTRY.by_code(self.industry_code.trim()).is_none() {
            e.push(TermsError {
                field: "industry_code",
                reason: "请选择单位行业",
            });
        }
        if Postcode::parse(self.postcode.trim()).is_err() {
            e.push(TermsError {
                field: "postcode",
                reason: "邮政编码应为6位数字",
            });
        }
        if e.is_empty() {
            Ok(())
        } else {
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample() -> AgreementTerms {
        AgreementTerms {
            position_category: "工程技术人员".into(),
            position_category_code: None,
            position: "后端工程师".into(),
            probation_months: 3,
            probation_salary_yuan: 8000,
            regular_salary_yuan: 10000,
            breach_penalty_yuan: 5000,
            report_place: "合肥市高新区".into(),
            report_deadline: "2027-07-15".into(),
            work_location: "安徽省合肥市蜀山区".into(),
            report_region: None,
            work_region: None,
            contact_name: "王经理".into(),
            contact_phone: "0551-65551234".into(),
            archive_receiver: "合肥市人才服务中心".into(),
            household_receiver: "合肥市集体户".into(),
            archive: None,
            household: None,
            agreed_terms: "签订三年劳动合同。".into(),
        }
    }

    #[test]
    fn a_complete_offer_passes() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn each_rule_names_its_field() {
        let fields = |t: AgreementTerms| -> Vec<&'static str> {
            t.validate()
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(
            fields(AgreementTerms {
                position: " ".into(),
                ..sample()
            }),
            ["position"]
        );
        assert_eq!(
            fields(AgreementTerms {
                probation_months: 7,
                ..sample()
            }),
            ["probation_months"]
        );
        assert_eq!(
            fields(AgreementTerms {
                probation_salary_yuan: 12000,
                ..sample()
            }),
            ["probation_salary_yuan"]
        );
        assert_eq!(
            fields(AgreementTerms {
                report_deadline: "2027-02-30".into(),
                ..sample()
            }),
            ["report_deadline"]
        );
        assert_eq!(
            fields(AgreementTerms {
                contact_phone: "电话".into(),
                ..sample()
            }),
            ["contact_phone"]
        );
        assert_eq!(
            fields(AgreementTerms {
                regular_salary_yuan: 0,
                probation_salary_yuan: 0,
                ..sample()
            }),
            ["regular_salary_yuan"]
        );
    }

    fn forwarding() -> ArchiveReceiving {
        ArchiveReceiving {
            mode: ArchiveMode::ForwardToTalentCentre,
            unit_name: "合肥市人才服务中心".into(),
            address: "合肥市蜀山区长江西路1号".into(),
            postcode: "230031".into(),
            contact_name: "李老师".into(),
            contact_phone: "0551-62220000".into(),
        }
    }

    #[test]
    fn choices_have_codes_and_chinese_labels_both_ways() {
        for m in ArchiveMode::ALL {
            assert_eq!(ArchiveMode::parse(m.as_str()), Some(m));
            assert_eq!(
                serde_json::to_value(m).unwrap(),
                serde_json::json!(m.as_str())
            );
            assert!(!m.label().is_empty());
        }
        for k in HouseholdKind::ALL {
            assert_eq!(HouseholdKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.as_str())
            );
        }
        assert_eq!(ArchiveMode::ForwardToEmployer.label(), "转寄单位");
        assert_eq!(HouseholdKind::MoveToEmployerCity.label(), "迁入单位所在地");
        assert_eq!(ArchiveMode::parse("post"), None);
    }

    #[test]
    fn defaults_report_every_missing_part_at_once() {
        let bad = SigningDefaults {
            unit_nature_code: "00".into(),
            location: " ".into(),
            archive: ArchiveReceiving {
                mode: ArchiveMode::ForwardToEmployer,
                unit_name: String::new(),
                address: String::new(),
                postcode: "12".into(),
                contact_name: String::new(),
                contact_phone: "电话".into(),
            },
            household: HouseholdReceiving {
                kind: HouseholdKind::MoveToEmployerCity,
                address: String::new(),
            },
        };
        let fields: Vec<_> = bad
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "unit_nature_code",
                "location",
                "archive_unit_name",
                "archive_address",
                "archive_postcode",
                "archive_contact_name",
                "archive_contact_phone",
                "household_address"
            ]
        );
        let ok = SigningDefaults {
            unit_nature_code: "39".into(),
            location: "安徽省合肥市蜀山区".into(),
            archive: forwarding(),
            household: HouseholdReceiving {
                kind: HouseholdKind::NotMoved,
                address: "忽略".into(),
            },
        }
        .normalised();
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(
            ok.household.address, "",
            "an address without moving is dropped"
        );
    }

    #[test]
    fn not_forwarding_needs_no_address_and_drops_one() {
        let a = ArchiveReceiving {
            mode: ArchiveMode::KeepAtSchool,
            ..forwarding()
        }
        .normalised();
        let mut e = Vec::new();
        a.check(&mut e);
        assert!(e.is_empty());
        assert_eq!((a.unit_name.as_str(), a.summary()), ("", "存放学校".into()));
    }

    #[test]
    fn structured_terms_write_their_summary_and_old_terms_still_read() {
        let t = AgreementTerms {
            archive: Some(forwarding()),
            household: Some(HouseholdReceiving {
                kind: HouseholdKind::MoveToEmployerCity,
                address: "合肥市集体户".into(),
            }),
            ..sample()
        }
        .normalised();
        assert_eq!(t.validate(), Ok(()));
        assert!(t
            .archive_receiver
            .starts_with("转寄人才服务机构：合肥市人才服务中心"));
        assert_eq!(t.household_receiver, "迁入单位所在地：合肥市集体户");
        // Terms stored before the structured fields: still read, and written back unchanged.
        let old = serde_json::to_value(sample()).unwrap();
        assert!(old.get("archive").is_none());
        let back: AgreementTerms = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(back.archive_receiver, "合肥市人才服务中心");
        assert_eq!(serde_json::to_value(&back).unwrap(), old);
        let broken = AgreementTerms {
            archive: Some(ArchiveReceiving {
                address: String::new(),
                ..forwarding()
            }),
            ..sample()
        };
        let fields: Vec<_> = broken
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["archive_address"]);
    }

    #[test]
    fn paper_employer_checks_code_tables_and_credit_code() {
        let ok = PaperEmployer {
            name: "合肥示例科技有限公司".into(),
            credit_code: "91350200776049653A".into(),
            unit_nature_code: "39".into(),
            industry_code: "34".into(),
            location: "安徽省合肥市".into(),
            address: "高新区创新大道1号".into(),
            postcode: "230088".into(),
        };
        assert_eq!(ok.validate(), Ok(()));
        let bad = PaperEmployer {
            credit_code: "91350200776049653B".into(),
            unit_nature_code: "00".into(),
            ..ok
        };
        let fields: Vec<_> = bad
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["credit_code", "unit_nature_code"]);
    }

    fn region(code: &str, street: &str) -> RegionAddress {
        RegionAddress {
            county_code: code.into(),
            street: street.into(),
        }
    }

    fn fields_of(t: &AgreementTerms) -> Vec<&'static str> {
        t.validate()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn regions_fill_the_readable_places() {
        let t = AgreementTerms {
            report_region: Some(region(" 340104 ", " 长江西路1号 ")),
            work_region: Some(region("441900", "")),
            ..sample()
        }
        .normalised();
        assert_eq!(fields_of(&t), Vec::<&str>::new());
        assert_eq!(t.report_place, "安徽省合肥市蜀山区长江西路1号");
        assert_eq!(t.work_location, "广东省东莞市");
        assert_eq!(t.report_region.as_ref().unwrap().county_code, "340104");
    }

    #[test]
    fn a_region_must_be_a_known_leaf_and_the_report_street_is_required() {
        for code in ["340100", "340000", "999999", ""] {
            let t = AgreementTerms {
                report_region: Some(region(code, "长江西路1号")),
                work_region: Some(region(code, "")),
                ..sample()
            }
            .normalised();
            assert_eq!(
                fields_of(&t),
                ["report_region.county_code", "work_region.county_code"],
                "{code}"
            );
        }
        let t = AgreementTerms {
            report_region: Some(region("110101", " ")),
            work_region: Some(region("110101", &"路".repeat(201))),
            ..sample()
        }
        .normalised();
        assert_eq!(
            fields_of(&t),
            ["report_region.street", "work_region.street"]
        );
    }

    #[test]
    fn the_category_comes_from_the_table() {
        let t = AgreementTerms {
            position_category: "软件开发".into(),
            ..sample()
        }
        .normalised();
        let e = t.validate().unwrap_err();
        assert_eq!(
            (e[0].field, e[0].reason),
            ("position_category", "请从工作职位类别列表中选择")
        );
        assert_eq!(t.position_category_code, None);
        let by_code = AgreementTerms {
            position_category: "13".into(),
            ..sample()
        }
        .normalised();
        assert_eq!(by_code.position_category, "工程技术人员");
        assert_eq!(by_code.position_category_code.as_deref(), Some("13"));
        let only_code = AgreementTerms {
            position_category: String::new(),
            position_category_code: Some("24".into()),
            ..sample()
        }
        .normalised();
        assert_eq!(only_code.position_category, "教学人员");
        assert_eq!(fields_of(&only_code), Vec::<&str>::new());
    }

    #[test]
    fn old_terms_with_free_text_read_and_write_back_byte_identical() {
        let old = r#"{"position_category":"软件开发","position":"后端工程师","probation_months":3,"probation_salary_yuan":8000,"regular_salary_yuan":10000,"breach_penalty_yuan":5000,"report_place":"合肥市高新区","report_deadline":"2027-07-15","work_location":"安徽省合肥市蜀山区","contact_name":"王经理","contact_phone":"0551-65551234","archive_receiver":"合肥市人才服务中心","household_receiver":"合肥市集体户","agreed_terms":"签订三年劳动合同。"}"#;
        let t: AgreementTerms = serde_json::from_str(old).unwrap();
        assert_eq!(t.position_category, "软件开发");
        assert!(t.report_region.is_none() && t.position_category_code.is_none());
        assert_eq!(serde_json::to_string(&t).unwrap(), old);
    }
}
