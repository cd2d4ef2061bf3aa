//! The terms of an offer as a page form (邀请函): shared by the invitation, its edit and resend,
//! the amendment and the paper agreement. Values typed in come back on an error page unchanged,
//! so that nobody types a whole offer twice.

use std::collections::HashMap;

use wangqian_domain::codes::{CodeEntry, JOB_CATEGORY};
use wangqian_domain::regions;
use wangqian_domain::terms::{
    AgreementTerms, ArchiveMode, ArchiveReceiving, HouseholdKind, HouseholdReceiving,
    RegionAddress, SigningDefaults,
};

use super::error::FormErrors;

/// The 工作职位类别 the select offers: the whole code table (the option value is the name,
/// as the terms store it).
pub const POSITION_CATEGORIES: &[CodeEntry] = JOB_CATEGORY.entries;

/// A place chosen as province → city → county plus the street, as typed. The county select is
/// empty for a city without counties (东莞市) and the city select for 香港/澳门/台湾: the
/// innermost chosen level is the code.
#[derive(Debug, Clone, Default)]
pub struct RegionForm {
    pub province: String,
    pub city: String,
    pub county: String,
    pub street: String,
}

/// One option of a region select: (code, name, selected).
pub type RegionOption = (&'static str, &'static str, bool);

impl RegionForm {
    pub(crate) fn from_form(f: &HashMap<String, String>, prefix: &str) -> RegionForm {
        let v = |k: &str| f.get(&format!("{prefix}_{k}")).cloned().unwrap_or_default();
        RegionForm {
            province: v("province"),
            city: v("city"),
            county: v("county"),
            street: v("street"),
        }
    }

    pub(crate) fn from_domain(r: &RegionAddress) -> RegionForm {
        let chain = regions::path(&r.county_code);
        let at = |i: usize| chain.get(i).map(|r| r.code.to_string()).unwrap_or_default();
        RegionForm {
            province: at(0),
            city: at(1),
            county: at(2),
            street: r.street.clone(),
        }
    }

    fn chosen(&self) -> bool {
        [&self.province, &self.city, &self.county]
            .iter()
            .any(|v| !v.trim().is_empty())
    }

    /// `None` when no province is chosen (the free-text field then stands, as in older offers).
    pub(crate) fn read(&self) -> Option<RegionAddress> {
        if !self.chosen() {
            return None;
        }
        let code = [&self.county, &self.city, &self.province]
            .into_iter()
            .map(|v| v.trim())
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        Some(RegionAddress {
            county_code: code.to_string(),
            street: self.street.clone(),
        })
    }

    fn options(parent: Option<&str>, chosen: &str) -> Vec<RegionOption> {
        regions::children(parent)
            .map(|r| (r.code, r.name, r.code == chosen.trim()))
            .collect()
    }

    /// The provinces, with the chosen one selected.
    pub fn provinces(&self) -> Vec<RegionOption> {
        RegionForm::options(None, &self.province)
    }

    /// The cities of the chosen province (empty before one is chosen): the page works on a
    /// form error or an edit without the script.
    pub fn cities(&self) -> Vec<RegionOption> {
        match self.province.trim() {
            "" => Vec::new(),
            p => RegionForm::options(Some(p), &self.city),
        }
    }

    pub fn counties(&self) -> Vec<RegionOption> {
        match self.city.trim() {
            "" => Vec::new(),
            c => RegionForm::options(Some(c), &self.county),
        }
    }
}

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
    /// The structured 档案接收 (empty mode: only the free text above, as older offers had).
    pub archive: ArchiveForm,
    /// The structured 户口接收 (empty kind: only the free text).
    pub household: HouseholdForm,
    /// 报到地点 by region (nothing chosen: the free text `report_place`, as older offers had).
    pub report: RegionForm,
    /// 实际工作地点 by region.
    pub work: RegionForm,
}

/// 档案接收 as typed: the mode code and the forwarding block. Shared with 签约信息确认.
#[derive(Debug, Clone, Default)]
pub struct ArchiveForm {
    pub mode: String,
    pub unit_name: String,
    pub address: String,
    pub postcode: String,
    pub contact_name: String,
    pub contact_phone: String,
}

/// 户口接收 as typed.
#[derive(Debug, Clone, Default)]
pub struct HouseholdForm {
    pub kind: String,
    pub address: String,
}

/// (code, label) of every 档案接收方式, for the select.
pub fn archive_modes() -> Vec<(&'static str, &'static str)> {
    ArchiveMode::ALL
        .iter()
        .map(|m| (m.as_str(), m.label()))
        .collect()
}

/// (code, label) of every 户口接收类型.
pub fn household_kinds() -> Vec<(&'static str, &'static str)> {
    HouseholdKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.label()))
        .collect()
}

impl ArchiveForm {
    pub fn from_form(f: &HashMap<String, String>) -> ArchiveForm {
        let v = |k: &str| f.get(k).cloned().unwrap_or_default();
        ArchiveForm {
            mode: v("archive_mode"),
            unit_name: v("archive_unit_name"),
            address: v("archive_address"),
            postcode: v("archive_postcode"),
            contact_name: v("archive_contact_name"),
            contact_phone: v("archive_contact_phone"),
        }
    }

    pub fn from_domain(a: &ArchiveReceiving) -> ArchiveForm {
        ArchiveForm {
            mode: a.mode.as_str().into(),
            unit_name: a.unit_name.clone(),
            address: a.address.clone(),
            postcode: a.postcode.clone(),
            contact_name: a.contact_name.clone(),
            contact_phone: a.contact_phone.clone(),
        }
    }

    /// `Ok(None)` when no mode is chosen; an unknown code is an error on `archive_mode`.
    pub fn read(&self, errors: &mut FormErrors) -> Option<ArchiveReceiving> {
        if self.mode.trim().is_empty() {
            return None;
        }
        let Some(mode) = ArchiveMode::parse(&self.mode) else {
            errors.add("archive_mode", "档案接收：请选择档案接收方式");
            return None;
        };
        Some(ArchiveReceiving {
            mode,
            unit_name: self.unit_name.clone(),
            address: self.address.clone(),
            postcode: self.postcode.clone(),
            contact_name: self.contact_name.clone(),
            contact_phone: self.contact_phone.clone(),
        })
    }
}

impl HouseholdForm {
    pub fn from_form(f: &HashMap<String, String>) -> HouseholdForm {
        let v = |k: &str| f.get(k).cloned().unwrap_or_default();
        HouseholdForm {
            kind: v("household_kind"),
            address: v("household_address"),
        }
    }

    pub fn from_domain(h: &HouseholdReceiving) -> HouseholdForm {
        HouseholdForm {
            kind: h.kind.as_str().into(),
            address: h.address.clone(),
        }
    }

    pub fn read(&self, errors: &mut FormErrors) -> Option<HouseholdReceiving> {
        if self.kind.trim().is_empty() {
            return None;
        }
        let Some(kind) = HouseholdKind::parse(&self.kind) else {
            errors.add("household_kind", "户口接收类型：请选择户口接收类型");
            return None;
        };
        Some(HouseholdReceiving {
            kind,
            address: self.address.clone(),
        })
    }
}

/// The labels of the terms, as the form and the agreement page show them.
pub const TERM_LABELS: [(&str, &str); 14] = [
    ("position_category", "工作职位类别"),
    ("position", "拟聘用职位"),
    ("probation_months", "试用期（月）"),
    ("probation_salary_yuan", "试用起薪（元/月）"),
    ("regular_salary_yuan", "转正起薪（元/月）"),
    ("breach_penalty_yuan", "违约金（元）"),
    ("report_place", "报到地点"),
    ("report_deadline", "报到期限"),
    ("work_location", "实际工作地点"),
    ("contact_name", "签约联系人"),
    ("contact_phone", "联系电话"),
    ("archive_receiver", "档案接收"),
    ("household_receiver", "户口接收"),
    ("agreed_terms", "约定条款"),
];

fn label_of(field: &str) -> &'static str {
    TERM_LABELS
        .iter()
        .chain(wangqian_domain::terms::ARCHIVE_FIELDS.iter())
        .chain(
            [
                ("household_kind", "户口接收类型"),
                ("household_address", "户口接收地址"),
                ("report_county", "报到地点（省市区县）"),
                ("report_street", "报到地点（街道地址）"),
                ("work_county", "实际工作地点（省市区县）"),
                ("work_street", "实际工作地点（街道地址）"),
            ]
            .iter(),
        )
        .find(|(k, _)| *k == field)
        .map_or("", |(_, l)| l)
}

/// Where a service's field error belongs on a terms form: `terms.position` under the
/// position box, `employer.name` under the paper's employer name, the rest as named.
pub fn form_field(field: &str) -> Option<String> {
    if let Some(f) = field.strip_prefix("terms.") {
        return Some(region_field(f).to_string());
    }
    if let Some(f) = field.strip_prefix("employer.") {
        return Some(format!("employer_{f}"));
    }
    Some(field.to_string())
}

/// The form's name for a region error of the terms ("report_region.county_code" sits under
/// the county select).
fn region_field(field: &str) -> &str {
    match field {
        "report_region.county_code" => "report_county",
        "report_region.street" => "report_street",
        "work_region.county_code" => "work_county",
        "work_region.street" => "work_street",
        other => other,
    }
}

fn whole_number<T: std::str::FromStr + Default>(
    errors: &mut FormErrors,
    field: &str,
    label: &str,
    raw: &str,
) -> T {
    let raw = raw.trim();
    if raw.is_empty() {
        return T::default();
    }
    raw.parse().unwrap_or_else(|_| {
        errors.add(field, format!("{label}：应填写不带小数的数字"));
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
            archive: ArchiveForm::from_form(f),
            household: HouseholdForm::from_form(f),
            report: RegionForm::from_form(f, "report"),
            work: RegionForm::from_form(f, "work"),
        }
    }

    pub fn position_categories(&self) -> &'static [CodeEntry] {
        POSITION_CATEGORIES
    }

    /// Whether the category on record is outside the table (free text from before it): the
    /// select then shows it as the current choice, so that it stays readable.
    pub fn legacy_category(&self) -> bool {
        !self.position_category.trim().is_empty()
            && JOB_CATEGORY.by_name(&self.position_category).is_none()
    }

    /// The choices, for the template's selects.
    pub fn archive_modes(&self) -> Vec<(&'static str, &'static str)> {
        archive_modes()
    }

    pub fn household_kinds(&self) -> Vec<(&'static str, &'static str)> {
        household_kinds()
    }

    /// A fresh invitation form, started from the company's 签约信息确认.
    pub fn from_defaults(d: &SigningDefaults) -> TermsForm {
        TermsForm {
            archive_receiver: d.archive.summary(),
            household_receiver: d.household.summary(),
            archive: ArchiveForm::from_domain(&d.archive),
            household: HouseholdForm::from_domain(&d.household),
            ..TermsForm::default()
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
            // Older terms have neither block: the form then shows only their free text.
            archive: serde_json::from_value::<ArchiveReceiving>(t["archive"].clone())
                .map(|a| ArchiveForm::from_domain(&a))
                .unwrap_or_default(),
            household: serde_json::from_value::<HouseholdReceiving>(t["household"].clone())
                .map(|h| HouseholdForm::from_domain(&h))
                .unwrap_or_default(),
            report: serde_json::from_value::<RegionAddress>(t["report_region"].clone())
                .map(|r| RegionForm::from_domain(&r))
                .unwrap_or_default(),
            work: serde_json::from_value::<RegionAddress>(t["work_region"].clone())
                .map(|r| RegionForm::from_domain(&r))
                .unwrap_or_default(),
        }
    }

    /// The typed terms and the validity in days (`None`: the school's default). The service
    /// judges the content; when a number cannot even be read the service is not asked, so the
    /// terms' own rules are applied here too and every problem shows at once.
    pub fn read(&self) -> Result<(AgreementTerms, Option<u8>), FormErrors> {
        let mut errors = FormErrors::default();
        let archive = self.archive.read(&mut errors);
        let household = self.household.read(&mut errors);
        let n = &mut errors;
        let terms = AgreementTerms {
            position_category: self.position_category.clone(),
            position_category_code: None,
            position: self.position.clone(),
            probation_months: whole_number(
                n,
                "probation_months",
                "试用期（月）",
                &self.probation_months,
            ),
            probation_salary_yuan: whole_number(
                n,
                "probation_salary_yuan",
                "试用起薪",
                &self.probation_salary_yuan,
            ),
            regular_salary_yuan: whole_number(
                n,
                "regular_salary_yuan",
                "转正起薪",
                &self.regular_salary_yuan,
            ),
            breach_penalty_yuan: whole_number(
                n,
                "breach_penalty_yuan",
                "违约金",
                &self.breach_penalty_yuan,
            ),
            report_place: self.report_place.clone(),
            report_deadline: self.report_deadline.clone(),
            work_location: self.work_location.clone(),
            report_region: self.report.read(),
            work_region: self.work.read(),
            contact_name: self.contact_name.clone(),
            contact_phone: self.contact_phone.clone(),
            archive_receiver: self.archive_receiver.clone(),
            household_receiver: self.household_receiver.clone(),
            agreed_terms: self.agreed_terms.clone(),
            archive,
            household,
        };
        let validity = match self.validity_days.trim() {
            "" => None,
            raw => match raw.parse::<u8>() {
                Ok(d) if (1..=30).contains(&d) => Some(d),
                _ => {
                    errors.add("validity_days", "反馈有效期应为 1 至 30 天");
                    None
                }
            },
        };
        if errors.is_empty() {
            return Ok((terms, validity));
        }
        let typed = terms.clone().normalised();
        for e in typed.validate().err().unwrap_or_default() {
            let field = region_field(e.field);
            if !errors.has(field) {
                errors.add(field, format!("{}：{}", label_of(field), e.reason));
            }
        }
        Err(errors)
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
        let errors = form.read().unwrap_err();
        assert_eq!(
            errors.of("probation_months"),
            "试用期（月）：应填写不带小数的数字"
        );
        // The other problems come with it, each on its field.
        assert_eq!(errors.of("position"), "拟聘用职位：必填");
        assert!(errors.has("contact_phone") && errors.has("report_deadline"));
        assert!(!errors.has("regular_salary_yuan"));
        let mut ok = f.clone();
        for (k, v) in [
            ("probation_months", "3"),
            ("position_category", "工程技术人员"),
            ("position", "测试工程师"),
            ("report_place", "合肥"),
            ("report_deadline", "2027-07-15"),
            ("work_location", "安徽省合肥市"),
            ("contact_name", "张经理"),
            ("contact_phone", "0551-65550000"),
        ] {
            ok.insert(k.to_string(), v.to_string());
        }
        let (terms, validity) = TermsForm::from_form(&ok).read().unwrap();
        assert_eq!(
            (terms.probation_months, terms.regular_salary_yuan),
            (3, 8000)
        );
        assert_eq!(
            terms.breach_penalty_yuan, 0,
            "an empty optional number is 0"
        );
        assert_eq!(validity, None, "empty: the school's default");
    }

    #[test]
    fn a_validity_outside_one_to_thirty_days_is_refused_on_its_field() {
        let mut f = HashMap::new();
        f.insert("validity_days".to_string(), "45".to_string());
        let errors = TermsForm::from_form(&f).read().unwrap_err();
        assert_eq!(errors.of("validity_days"), "反馈有效期应为 1 至 30 天");
    }

    #[test]
    fn structured_blocks_are_read_kept_and_prefilled() {
        let mut f = HashMap::new();
        f.insert("archive_mode".to_string(), "teleport".to_string());
        f.insert(
            "household_kind".to_string(),
            "move_to_employer_city".to_string(),
        );
        let form = TermsForm::from_form(&f);
        let errors = form.read().unwrap_err();
        assert_eq!(errors.of("archive_mode"), "档案接收：请选择档案接收方式");
        assert_eq!(errors.of("household_address"), "户口接收地址：必填");
        assert_eq!(form.archive.mode, "teleport", "typed value kept");
        // Terms on record with the blocks prefill them; older ones leave them empty.
        let v = serde_json::json!({
            "archive": {"mode": "keep_at_school"},
            "household": {"kind": "not_moved"},
            "archive_receiver": "存放学校"
        });
        let form = TermsForm::from_terms(&v);
        assert_eq!(
            (form.archive.mode.as_str(), form.household.kind.as_str()),
            ("keep_at_school", "not_moved")
        );
        let old = TermsForm::from_terms(&serde_json::json!({"archive_receiver": "人才中心"}));
        assert_eq!(
            (old.archive.mode.as_str(), old.archive_receiver.as_str()),
            ("", "人才中心")
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

    #[test]
    fn regions_are_read_innermost_first_and_prefilled_from_the_record() {
        let mut f = HashMap::new();
        for (k, v) in [
            ("report_province", "440000"),
            ("report_city", "441900"),
            ("report_county", ""),
            ("report_street", "南城街道1号"),
        ] {
            f.insert(k.to_string(), v.to_string());
        }
        let form = TermsForm::from_form(&f);
        let r = form.report.read().unwrap();
        assert_eq!(
            (r.county_code.as_str(), r.street.as_str()),
            ("441900", "南城街道1号")
        );
        assert!(
            form.work.read().is_none(),
            "nothing chosen: the free text stands"
        );
        assert!(form.report.cities().iter().any(|c| c.0 == "441900" && c.2));
        let on_record = TermsForm::from_terms(&serde_json::json!({
            "report_region": {"county_code": "340104", "street": "长江西路1号"},
            "position_category": "软件开发"
        }));
        assert_eq!(
            (
                on_record.report.province.as_str(),
                on_record.report.city.as_str(),
                on_record.report.county.as_str()
            ),
            ("340000", "340100", "340104")
        );
        assert!(on_record.legacy_category(), "old free text stays readable");
        assert_eq!(
            form_field("terms.work_region.county_code").as_deref(),
            Some("work_county")
        );
    }
}
