//! The other-destination form by category (002 §2.5.1, 003 §3, SPEC §8): for each category of
//! the national destination code table (毕业去向代码) its sub-categories and the fields it asks
//! for, with their Chinese labels, and one validator that names every problem at once.
//!
//! A registration keeps the category's "unit" (school, company, country's institution, project)
//! in its own column, because lists show it, and every other field in the details map under its
//! label, so that the record page shows what was asked without knowing the category.

use std::collections::BTreeMap;

use crate::codes::DESTINATION;
use crate::credit_code::CreditCode;
use crate::lifecycle::place_destination;
use crate::terms::RegionAddress;

/// Where a field's value is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The record's `unit_name` (the list's 单位 / 学校 / 项目 column).
    Unit,
    /// The details map, under the field's label.
    Detail,
}

/// What a field's value must be, besides present when required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Text,
    /// 统一社会信用代码 (GB 32100).
    CreditCode,
}

/// One field of a category's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormField {
    /// The field's name in forms, multipart requests and error answers: `unit_name` for the
    /// unit, `detail_<key>` for a detail.
    pub name: &'static str,
    pub label: &'static str,
    pub required: bool,
    pub slot: Slot,
    pub check: Check,
    /// A hint under the field.
    pub hint: &'static str,
}

/// One category's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryForm {
    /// The code in [`DESTINATION`].
    pub code: &'static str,
    /// The sub-categories to choose from (具体类型); none: the category has no second step.
    pub subcategories: &'static [&'static str],
    pub fields: &'static [FormField],
    /// Whether the form asks for 所在地 (到区县); categories without a place (待就业 …) do not.
    pub place: bool,
    /// What the proofs should show, as the page tells the graduate.
    pub proof_hint: &'static str,
}

impl CategoryForm {
    /// The category's Chinese name from the code table.
    pub fn name(&self) -> &'static str {
        DESTINATION.name_of(self.code).unwrap_or("")
    }

    /// The field with this form name.
    pub fn field(&self, name: &str) -> Option<&'static FormField> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The unit field, if the category has one.
    pub fn unit(&self) -> Option<&'static FormField> {
        self.fields.iter().find(|f| f.slot == Slot::Unit)
    }
}

const fn unit(label: &'static str, hint: &'static str) -> FormField {
    FormField {
        name: UNIT_NAME,
        label,
        required: true,
        slot: Slot::Unit,
        check: Check::Text,
        hint,
    }
}

const fn detail(name: &'static str, label: &'static str, required: bool) -> FormField {
    FormField {
        name,
        label,
        required,
        slot: Slot::Detail,
        check: Check::Text,
        hint: "",
    }
}

const fn credit_code(required: bool) -> FormField {
    FormField {
        name: "detail_credit_code",
        label: "统一社会信用代码",
        required,
        slot: Slot::Detail,
        check: Check::CreditCode,
        hint: "18 位，见营业执照",
    }
}

/// The form name of the unit field, whatever the category calls it.
pub const UNIT_NAME: &str = "unit_name";
/// The detail label of the graduate's free remark, offered in every category.
pub const NOTE_LABEL: &str = "补充说明";

const NO_SUB: &[&str] = &[];
const NOTE: FormField = detail("detail_note", NOTE_LABEL, false);

/// Every category a graduate may register here, in the code table's order. 10
/// (签就业协议形式就业) is not among them: it comes from an agreement, online or on paper.
pub static CATEGORIES: &[CategoryForm] = &[
    CategoryForm {
        code: "11",
        subcategories: NO_SUB,
        fields: &[
            unit("单位名称", "与劳动合同上的单位名称一致"),
            credit_code(false),
            detail("detail_position", "工作岗位", false),
            NOTE,
        ],
        place: true,
        proof_hint: "劳动合同首页及签字盖章页",
    },
    CategoryForm {
        code: "12",
        subcategories: NO_SUB,
        fields: &[
            unit("单位名称", "出具用人证明的单位"),
            credit_code(false),
            detail("detail_position", "工作岗位", false),
            NOTE,
        ],
        place: true,
        proof_hint: "单位盖章的用人证明或录用通知",
    },
    CategoryForm {
        code: "27",
        subcategories: &["科研助理", "管理助理"],
        fields: &[
            unit("聘用单位", "聘用的高校、科研院所或企业"),
            detail("detail_project", "所在课题组或项目", false),
            NOTE,
        ],
        place: true,
        proof_hint: "聘用协议或单位证明",
    },
    CategoryForm {
        code: "46",
        subcategories: NO_SUB,
        fields: &[unit("应征地人民武装部", "如：合肥市蜀山区人民武装部"), NOTE],
        place: true,
        proof_hint: "入伍通知书",
    },
    CategoryForm {
        code: "50",
        subcategories: &[
            "大学生志愿服务西部计划",
            "三支一扶",
            "农村义务教育阶段学校教师特设岗位计划",
            "选聘高校毕业生到村任职",
            "其他国家基层项目",
        ],
        fields: &[
            unit("项目名称", "如：2026 年大学生志愿服务西部计划"),
            detail("detail_service_unit", "服务单位", false),
            NOTE,
        ],
        place: true,
        proof_hint: "项目录取或派遣通知",
    },
    CategoryForm {
        code: "51",
        subcategories: NO_SUB,
        fields: &[
            unit("项目名称", "地方组织实施的基层服务项目"),
            detail("detail_service_unit", "服务单位", false),
            NOTE,
        ],
        place: true,
        proof_hint: "项目录取或派遣通知",
    },
    CategoryForm {
        code: "70",
        subcategories: &[
            "求职中",
            "签约中",
            "拟参加公招考试",
            "拟创业",
            "拟应征入伍",
            "就业见习",
        ],
        fields: &[NOTE],
        place: false,
        proof_hint: "无需证明材料",
    },
    CategoryForm {
        code: "71",
        subcategories: NO_SUB,
        fields: &[detail("detail_target_school", "拟报考学校", false), NOTE],
        place: false,
        proof_hint: "无需证明材料",
    },
    CategoryForm {
        code: "72",
        subcategories: &["暂不就业", "拟出国出境"],
        fields: &[NOTE],
        place: false,
        proof_hint: "无需证明材料",
    },
    CategoryForm {
        code: "75",
        subcategories: NO_SUB,
        fields: &[
            unit("公司名称", "与营业执照上的名称一致"),
            credit_code(true),
            detail("detail_role", "担任职务", false),
            NOTE,
        ],
        place: true,
        proof_hint: "营业执照",
    },
    CategoryForm {
        code: "76",
        subcategories: NO_SUB,
        fields: &[
            unit("工作内容/单位", "如：自由撰稿、网络主播、某平台骑手"),
            NOTE,
        ],
        place: true,
        proof_hint: "合作协议、收入证明等",
    },
    CategoryForm {
        code: "80",
        subcategories: &[
            "全日制",
            "非全日制（户档迁回原籍）",
            "非全日制（户档办理人事代理）",
            "非全日制（户档工作单位直接接收）",
            "非全日制（户档迁往就读高校）",
        ],
        fields: &[
            unit("录取学校", "录取通知书上的院校名称"),
            detail("detail_major", "录取专业", true),
            NOTE,
        ],
        place: true,
        proof_hint: "录取通知书",
    },
    CategoryForm {
        code: "85",
        subcategories: &["出国出境工作", "出国出境学习"],
        fields: &[
            detail("detail_country", "国家（地区）", true),
            unit("院校/单位", "就读院校或工作单位"),
            NOTE,
        ],
        place: false,
        proof_hint: "录取通知书、签证或工作合同",
    },
];

/// The form of a category code, if a graduate may register it here.
pub fn category(code: &str) -> Option<&'static CategoryForm> {
    let code = code.trim();
    CATEGORIES.iter().find(|c| c.code == code)
}

/// A destination as typed: in a registration, or in a draft.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestinationEntry {
    pub category_code: String,
    pub subcategory: String,
    pub unit_name: String,
    /// Label → value; the category's detail fields and 所在地 / 补充说明.
    pub details: BTreeMap<String, String>,
    /// 所在地 chosen by region (it replaces a free-text 所在地).
    pub place_region: Option<RegionAddress>,
    /// How many proof images come with it.
    pub proofs: usize,
}

impl DestinationEntry {
    /// A complete 升学 registration, for tests.
    #[cfg(test)]
    pub(crate) fn sample() -> DestinationEntry {
        DestinationEntry {
            category_code: "80".into(),
            subcategory: "全日制".into(),
            unit_name: "江淮大学".into(),
            details: [("录取专业".to_string(), "数学".to_string())].into(),
            place_region: None,
            proofs: 1,
        }
    }
}

/// A registration that passed: what the record keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedEntry {
    pub category_code: &'static str,
    pub subcategory: String,
    pub unit_name: String,
    pub details: BTreeMap<String, String>,
}

/// One field's problem: the field's form name and the message shown beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

fn problem(field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.to_string(),
        message: message.into(),
    }
}

pub const MAX_PROOFS: usize = 4;
const MAX_UNIT: usize = 100;
const MAX_DETAILS: usize = 20;
const MAX_LABEL: usize = 30;
const MAX_VALUE: usize = 200;

/// The form name under which a detail's problem is shown: its field's, or `details`.
fn detail_field(form: Option<&CategoryForm>, label: &str) -> &'static str {
    form.and_then(|f| f.fields.iter().find(|x| x.label == label))
        .map_or("details", |x| x.name)
}

/// Checks what any entry must be, draft or not: a known category and sub-category when given,
/// and bounded lengths. Returns the category's form when the category is known.
fn check_shape(
    e: &DestinationEntry,
    problems: &mut Vec<FieldProblem>,
    complete: bool,
) -> Option<&'static CategoryForm> {
    let code = e.category_code.trim();
    let form = category(code);
    match (code, form) {
        ("10", _) => problems.push(problem(
            "category_code",
            "签就业协议形式就业请通过网上签约或登记纸质协议书办理",
        )),
        ("", _) if !complete => {}
        (_, None) => problems.push(problem("category_code", "请选择毕业去向类别")),
        (_, Some(_)) => {}
    }
    let sub = e.subcategory.trim();
    if let Some(f) = form {
        if f.subcategories.is_empty() {
            if !sub.is_empty() {
                problems.push(problem("subcategory", "该类别没有具体类型，请勿填写"));
            }
        } else if sub.is_empty() {
            if complete {
                problems.push(problem("subcategory", "请选择具体类型"));
            }
        } else if !f.subcategories.contains(&sub) {
            problems.push(problem("subcategory", "请从列表中选择具体类型"));
        }
    } else if sub.chars().count() > 50 {
        problems.push(problem("subcategory", "具体类型过长"));
    }
    if e.unit_name.trim().chars().count() > MAX_UNIT {
        let label = form.and_then(|f| f.unit()).map_or("单位名称", |u| u.label);
        problems.push(problem(
            UNIT_NAME,
            format!("{label}不能超过 {MAX_UNIT} 个字"),
        ));
    }
    if e.details.len() > MAX_DETAILS {
        problems.push(problem("details", "补充信息过多"));
    }
    for (k, v) in &e.details {
        if k.chars().count() > MAX_LABEL {
            problems.push(problem("details", "补充信息的名称过长"));
        } else if v.trim().chars().count() > MAX_VALUE {
            problems.push(problem(
                detail_field(form, k),
                format!("{k}不能超过 {MAX_VALUE} 个字"),
            ));
        }
    }
    if e.proofs > MAX_PROOFS {
        problems.push(problem("proofs", "证明材料最多上传 4 张"));
    }
    form
}

/// A draft (暂存) may be incomplete, but whatever it holds must fit: every problem at once.
pub fn check_draft(e: &DestinationEntry) -> Result<(), Vec<FieldProblem>> {
    let mut problems = Vec::new();
    check_shape(e, &mut problems, false);
    if let Some(r) = &e.place_region {
        // An unfinished choice of region is kept only when it is a real county.
        let mut details = BTreeMap::new();
        if let Err(errs) = place_destination(&mut details, Some(r.clone())) {
            problems.extend(errs.into_iter().map(place_problem));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn place_problem(e: crate::terms::TermsError) -> FieldProblem {
    let label = match e.field {
        "place_region.county_code" => "所在地（省市区县）：",
        "place_region.street" => "所在地（街道地址）：",
        _ => "",
    };
    problem(e.field, format!("{label}{}", e.reason))
}

/// Checks a registration (保存并送审): the category and sub-category from the code table, every
/// field the category requires, a valid credit code where it asks for one, lengths and the
/// region. Every problem is returned at once, each under its field's form name.
pub fn check(e: &DestinationEntry) -> Result<CheckedEntry, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let form = check_shape(e, &mut problems, true);
    let mut details: BTreeMap<String, String> = e
        .details
        .iter()
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .collect();
    let unit_name = e.unit_name.trim().to_string();
    if let Some(form) = form {
        for f in form.fields {
            let value = match f.slot {
                Slot::Unit => unit_name.as_str(),
                Slot::Detail => details.get(f.label).map_or("", String::as_str),
            };
            if value.is_empty() {
                if f.required {
                    problems.push(problem(f.name, format!("请填写{}", f.label)));
                }
                continue;
            }
            if f.check == Check::CreditCode {
                match CreditCode::parse(value) {
                    Ok(code) => {
                        details.insert(f.label.to_string(), code.as_str().to_string());
                    }
                    Err(err) => problems.push(problem(f.name, err.to_string())),
                }
            }
        }
    }
    if let Err(errs) = place_destination(&mut details, e.place_region.clone()) {
        problems.extend(errs.into_iter().map(place_problem));
    }
    match form {
        Some(form) if problems.is_empty() => Ok(CheckedEntry {
            category_code: form.code,
            subcategory: e.subcategory.trim().to_string(),
            unit_name,
            details,
        }),
        _ => Err(problems),
    }
}

/// The detail label a form name stands for in a category (`detail_major` → 录取专业), so that
/// a plain form's fields land under the labels the record shows.
pub fn label_of(category_code: &str, name: &str) -> Option<&'static str> {
    category(category_code)
        .and_then(|f| f.field(name))
        .filter(|f| f.slot == Slot::Detail)
        .map(|f| f.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: &str, sub: &str, unit: &str, details: &[(&str, &str)]) -> DestinationEntry {
        DestinationEntry {
            category_code: code.into(),
            subcategory: sub.into(),
            unit_name: unit.into(),
            details: details
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            place_region: None,
            proofs: 0,
        }
    }

    fn fields(r: Result<CheckedEntry, Vec<FieldProblem>>) -> Vec<String> {
        let mut f: Vec<String> = r
            .expect_err("refused")
            .into_iter()
            .map(|p| p.field)
            .collect();
        f.sort();
        f
    }

    #[test]
    fn every_category_but_agreement_employment_has_a_form_and_every_form_a_code() {
        for c in DESTINATION.entries {
            assert_eq!(category(c.code).is_some(), c.code != "10", "{}", c.code);
        }
        for f in CATEGORIES {
            assert!(!f.name().is_empty(), "{}", f.code);
            let names: std::collections::HashSet<_> = f.fields.iter().map(|x| x.name).collect();
            assert_eq!(names.len(), f.fields.len(), "{}: duplicate field", f.code);
            assert!(f.fields.iter().filter(|x| x.slot == Slot::Unit).count() <= 1);
            for x in f.fields {
                assert_eq!(x.slot == Slot::Unit, x.name == UNIT_NAME, "{}", x.name);
                assert!(x.name == UNIT_NAME || x.name.starts_with("detail_"));
            }
        }
    }

    #[test]
    fn further_study_needs_sub_category_school_and_major_all_named_at_once() {
        assert_eq!(
            fields(check(&entry("80", "", "", &[]))),
            ["detail_major", "subcategory", "unit_name"]
        );
        let ok = check(&entry(
            "80",
            "全日制",
            " 江淮大学 ",
            &[("录取专业", "计算机科学与技术"), ("补充说明", " ")],
        ))
        .expect("complete");
        assert_eq!(ok.unit_name, "江淮大学");
        assert_eq!(ok.details.len(), 1, "an empty remark is not kept");
    }

    #[test]
    fn abroad_needs_country_and_institution() {
        assert_eq!(
            fields(check(&entry("85", "出国出境学习", "", &[]))),
            ["detail_country", "unit_name"]
        );
        assert!(check(&entry(
            "85",
            "出国出境学习",
            "University of Toronto",
            &[("国家（地区）", "加拿大")]
        ))
        .is_ok());
    }

    #[test]
    fn own_business_needs_company_and_a_valid_credit_code() {
        assert_eq!(
            fields(check(&entry("75", "", "", &[]))),
            ["detail_credit_code", "unit_name"]
        );
        let bad = check(&entry(
            "75",
            "",
            "合肥某某科技有限公司",
            &[("统一社会信用代码", "91440101MA5CJQ4N58")],
        ))
        .expect_err("bad check character");
        assert_eq!(bad[0].field, "detail_credit_code");
        assert!(
            bad[0].message.contains("统一社会信用代码"),
            "{}",
            bad[0].message
        );
        let ok = check(&entry(
            "75",
            "",
            "合肥某某科技有限公司",
            &[("统一社会信用代码", "91440101ma5cjq4n59")],
        ))
        .expect("valid code, lower case");
        assert_eq!(ok.details["统一社会信用代码"], "91440101MA5CJQ4N59");
    }

    #[test]
    fn grassroots_projects_flexible_work_and_others_ask_their_own_fields() {
        assert_eq!(
            fields(check(&entry("50", "", "", &[]))),
            ["subcategory", "unit_name"]
        );
        assert!(check(&entry("50", "三支一扶", "2026 年三支一扶计划", &[])).is_ok());
        assert_eq!(fields(check(&entry("51", "", "", &[]))), ["unit_name"]);
        assert_eq!(fields(check(&entry("76", "", "", &[]))), ["unit_name"]);
        assert_eq!(fields(check(&entry("11", "", "", &[]))), ["unit_name"]);
        assert_eq!(fields(check(&entry("46", "", "", &[]))), ["unit_name"]);
        assert_eq!(
            fields(check(&entry("27", "", "", &[]))),
            ["subcategory", "unit_name"]
        );
        // A labour contract's credit code is optional, but checked when given.
        assert_eq!(
            fields(check(&entry(
                "11",
                "",
                "某公司",
                &[("统一社会信用代码", "123")]
            ))),
            ["detail_credit_code"]
        );
        // Not yet employed: only the sub-category.
        assert_eq!(fields(check(&entry("70", "", "", &[]))), ["subcategory"]);
        assert!(check(&entry("70", "求职中", "", &[])).is_ok());
        assert!(check(&entry("71", "", "", &[])).is_ok());
    }

    #[test]
    fn category_and_sub_category_come_from_the_table() {
        assert_eq!(fields(check(&entry("", "", "", &[]))), ["category_code"]);
        assert_eq!(fields(check(&entry("99", "", "", &[]))), ["category_code"]);
        let ten = check(&entry("10", "", "", &[])).expect_err("agreement");
        assert!(ten[0].message.contains("网上签约"));
        assert_eq!(
            fields(check(&entry(
                "80",
                "博士后",
                "江淮大学",
                &[("录取专业", "数学")]
            ))),
            ["subcategory"]
        );
        assert_eq!(
            fields(check(&entry("76", "网络主播", "自由撰稿", &[]))),
            ["subcategory"]
        );
    }

    #[test]
    fn lengths_proofs_and_region_are_checked_with_the_rest() {
        let mut e = entry(
            "80",
            "全日制",
            &"学".repeat(101),
            &[("录取专业", &"长".repeat(201))],
        );
        e.proofs = 5;
        e.place_region = Some(RegionAddress {
            county_code: "340000".into(),
            street: String::new(),
        });
        assert_eq!(
            fields(check(&e)),
            [
                "detail_major",
                "place_region.county_code",
                "proofs",
                "unit_name"
            ]
        );
        e.place_region = Some(RegionAddress {
            county_code: "340104".into(),
            street: "长江西路1号".into(),
        });
        e.unit_name = "江淮大学".into();
        e.details.insert("录取专业".into(), "数学".into());
        e.proofs = 1;
        let ok = check(&e).expect("fine");
        assert!(ok.details["所在地"].ends_with("长江西路1号"));
        assert_eq!(ok.details["所在地代码"], "340104");
    }

    #[test]
    fn a_draft_may_be_incomplete_but_not_wrong() {
        assert!(check_draft(&entry("", "", "", &[])).is_ok());
        assert!(check_draft(&entry("80", "", "", &[])).is_ok());
        assert!(check_draft(&entry("75", "", "某公司", &[("统一社会信用代码", "12")])).is_ok());
        let bad = check_draft(&entry("80", "博士后", &"学".repeat(101), &[])).expect_err("refused");
        let f: Vec<_> = bad.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(f, ["subcategory", "unit_name"]);
        assert!(check_draft(&entry("10", "", "", &[])).is_err());
    }

    #[test]
    fn only_the_graduate_keeps_their_draft() {
        use crate::policy::{keep_destination_draft, Access};
        use crate::role::{Actor, EmployerRole, Role};
        let actor = |role, graduate: Option<&str>| Actor {
            account_id: "a1".into(),
            role,
            school_id: Some("s1".into()),
            department_id: Some("d1".into()),
            employer_id: None,
            employer_role: (role == Role::EmployerMember).then_some(EmployerRole::Manager),
            graduate_id: graduate.map(Into::into),
        };
        let g1 = "g1".into();
        assert_eq!(
            keep_destination_draft(&actor(Role::Graduate, Some("g1")), &g1),
            Access::Allowed
        );
        // Another graduate learns nothing, not even that a draft exists.
        assert_eq!(
            keep_destination_draft(&actor(Role::Graduate, Some("g2")), &g1),
            Access::NotFound
        );
        for role in [
            Role::EmployerMember,
            Role::DepartmentReviewer,
            Role::SchoolAdmin,
            Role::ProvincialAdmin,
        ] {
            assert_eq!(
                keep_destination_draft(&actor(role, None), &g1),
                Access::Forbidden,
                "{role:?}"
            );
        }
    }

    #[test]
    fn plain_form_names_map_to_the_category_labels() {
        assert_eq!(label_of("80", "detail_major"), Some("录取专业"));
        assert_eq!(label_of("85", "detail_country"), Some("国家（地区）"));
        assert_eq!(label_of("80", "unit_name"), None);
        assert_eq!(label_of("76", "detail_major"), None);
    }
}
