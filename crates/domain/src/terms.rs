//! The terms of an agreement (邀请函 fields, SPEC §5) and the employer data a graduate types into
//! a paper agreement (SPEC §7), with their validation.

use serde::{Deserialize, Serialize};

use crate::codes::{INDUSTRY, UNIT_NATURE};
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
    /// 工作职位类别
    pub position_category: String,
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
        text(
            &mut e,
            "position_category",
            &self.position_category,
            true,
            SHORT,
        );
        text(&mut e, "position", &self.position, true, SHORT);
        text(&mut e, "report_place", &self.report_place, true, LONG);
        text(&mut e, "work_location", &self.work_location, true, LONG);
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
            position_category: "软件开发".into(),
            position: "后端工程师".into(),
            probation_months: 3,
            probation_salary_yuan: 8000,
            regular_salary_yuan: 10000,
            breach_penalty_yuan: 5000,
            report_place: "合肥市高新区".into(),
            report_deadline: "2027-07-15".into(),
            work_location: "安徽省合肥市蜀山区".into(),
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
}
