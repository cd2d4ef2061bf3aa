//! The terms of an offer as a page form (邀请函): shared by the invitation, its edit and resend,
//! the amendment and the paper agreement. Values typed in come back on an error page unchanged,
//! so that nobody types a whole offer twice.

use std::collections::HashMap;

use wangqian_domain::terms::AgreementTerms;

/// Common 工作职位类别, offered as suggestions; any other wording is accepted.
pub const POSITION_CATEGORIES: [&str; 12] = [
    "工程技术人员",
    "科学研究人员",
    "教学人员",
    "卫生专业技术人员",
    "经济业务人员",
    "金融业务人员",
    "法律专业人员",
    "文学艺术工作人员",
    "新闻出版和文化工作人员",
    "办事人员和有关人员",
    "商业和服务业人员",
    "生产和运输设备操作人员",
];

#[derive(Debug, Clone, Default)]
pub struct TermsForm {
    pub position_category: String,
    pub position: String,
    pub probation_months: String,
    pub probation_salary_yuan: String,
    pub regular_salary_yuan: String,
    pub breach_penalty_yuan: String,
    pub report_place: String,
    pub report_deadline: String,
    pub work_location: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub archive_receiver: String,
    pub household_receiver: String,
    pub agreed_terms: String,
    /// 反馈有效期（天）; only the invitation forms show it.
    pub validity_days: String,
}

fn whole_number<T: std::str::FromStr + Default>(
    errors: &mut Vec<String>,
    label: &str,
    raw: &str,
) -> T {
    let raw = raw.trim();
    if raw.is_empty() {
        return T::default();
    }
    raw.parse().unwrap_or_else(|_| {
        errors.push(format!("{label}：应填写不带小数的数字"));
        T::default()
    })
}

impl TermsForm {
    pub fn from_form(f: &HashMap<String, String>) -> TermsForm {
        let v = |k: &str| f.get(k).cloned().unwrap_or_default();
        TermsForm {
            position_category: v("position_category"),
            position: v("position"),
            probation_months: v("probation_months"),
            probation_salary_yuan: v("probation_salary_yuan"),
            regular_salary_yuan: v("regular_salary_yuan"),
            breach_penalty_yuan: v("breach_penalty_yuan"),
            report_place: v("report_place"),
            report_deadline: v("report_deadline"),
            work_location: v("work_location"),
            contact_name: v("contact_name"),
            contact_phone: v("contact_phone"),
            archive_receiver: v("archive_receiver"),
            household_receiver: v("household_receiver"),
            agreed_terms: v("agreed_terms"),
            validity_days: v("validity_days"),
        }
    }

    /// Prefills from terms already on record (edit, resend, amendment).
    pub fn from_terms(t: &serde_json::Value) -> TermsForm {
        let s = |k: &str| match &t[k] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        TermsForm {
            position_category: s("position_category"),
            position: s("position"),
            probation_months: s("probation_months"),
            probation_salary_yuan: s("probation_salary_yuan"),
            regular_salary_yuan: s("regular_salary_yuan"),
            breach_penalty_yuan: s("breach_penalty_yuan"),
            report_place: s("report_place"),
            report_deadline: s("report_deadline"),
            work_location: s("work_location"),
            contact_name: s("contact_name"),
            contact_phone: s("contact_phone"),
            archive_receiver: s("archive_receiver"),
            household_receiver: s("household_receiver"),
            agreed_terms: s("agreed_terms"),
            validity_days: String::new(),
        }
    }

    /// The typed terms; the service validates their content, this only reads the numbers.
    pub fn terms(&self) -> Result<AgreementTerms, Vec<String>> {
        let mut errors = Vec::new();
        let terms = AgreementTerms {
            position_category: self.position_category.clone(),
            position: self.position.clone(),
            probation_months: whole_number(&mut errors, "试用期（月）", &self.probation_months),
            probation_salary_yuan: whole_number(
                &mut errors,
                "试用起薪",
                &self.probation_salary_yuan,
            ),
            regular_salary_yuan: whole_number(&mut errors, "转正起薪", &self.regular_salary_yuan),
            breach_penalty_yuan: whole_number(&mut errors, "违约金", &self.breach_penalty_yuan),
            report_place: self.report_place.clone(),
            report_deadline: self.report_deadline.clone(),
            work_location: self.work_location.clone(),
            contact_name: self.contact_name.clone(),
            contact_phone: self.contact_phone.clone(),
            archive_receiver: self.archive_receiver.clone(),
            household_receiver: self.household_receiver.clone(),
            agreed_terms: self.agreed_terms.clone(),
        };
        if errors.is_empty() {
            Ok(terms)
        } else {
            Err(errors)
        }
    }

    /// The validity in days, or the school's default when left empty.
    pub fn validity_days(&self) -> Result<Option<u8>, String> {
        let raw = self.validity_days.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse()
            .map(Some)
            .map_err(|_| "反馈有效期应为 1 至 30 天".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_numbers_are_read_and_words_are_refused_in_chinese() {
        let mut f = HashMap::new();
        f.insert("regular_salary_yuan".to_string(), " 8000 ".to_string());
        f.insert("probation_months".to_string(), "三".to_string());
        let form = TermsForm::from_form(&f);
        let errors = form.terms().unwrap_err();
        assert_eq!(
            errors,
            vec!["试用期（月）：应填写不带小数的数字".to_string()]
        );
        f.insert("probation_months".to_string(), "3".to_string());
        let terms = TermsForm::from_form(&f).terms().unwrap();
        assert_eq!(
            (terms.probation_months, terms.regular_salary_yuan),
            (3, 8000)
        );
        assert_eq!(
            terms.breach_penalty_yuan, 0,
            "an empty optional number is 0"
        );
    }

    #[test]
    fn terms_on_record_prefill_the_form() {
        let v = serde_json::json!({"position": "软件工程师", "regular_salary_yuan": 9000});
        let form = TermsForm::from_terms(&v);
        assert_eq!(form.position, "软件工程师");
        assert_eq!(form.regular_salary_yuan, "9000");
        assert_eq!(form.report_place, "");
    }
}
