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
        let phone = self.contact_phone.trim();
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        if !(7..=20).contains(&digits)
            || !phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+'))
        {
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
