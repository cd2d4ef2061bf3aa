//! The graduate confirms the source record (生源信息确认, seed 003 §2; SPEC §4): the fields the
//! graduate keeps (phone, e-mail, home address, 生源所在地 to county) are edited and confirmed
//! directly; the fields the school answers for are locked (grey) and change only through a
//! correction request (纠错) that the department reviews.
//!
//! Who may ask and who may decide is [`crate::policy`]; this module says what may be asked,
//! how the answer is checked and what a decision does.

use crate::codes::{self, CodeTable};
use crate::contact::{Email, MobileNumber};
use crate::regions;

/// One problem of a form, by its field name (the API's and the page's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.into(),
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// The unlocked fields

/// What the graduate sends to confirm the record.
#[derive(Debug, Clone, Default)]
pub struct SourceConfirmationInput<'a> {
    pub mobile: &'a str,
    pub email: &'a str,
    pub home_address: &'a str,
    /// The county-level region code (GB/T 2260) of 生源所在地.
    pub origin_county_code: &'a str,
}

/// The confirmed values, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceConfirmation {
    pub mobile: MobileNumber,
    pub email: Email,
    pub home_address: String,
    pub origin_code: String,
    /// "安徽省合肥市蜀山区": stored beside the code, as the roster writes it.
    pub origin_name: String,
}

/// Checks every unlocked field and names every problem at once. 生源所在地 must be a
/// county-level choice (seed 003 §2: 部分市级单位不接收毕业生档案, so a city is not enough).
pub fn check_source_confirmation(
    input: &SourceConfirmationInput<'_>,
) -> Result<SourceConfirmation, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mobile = MobileNumber::parse(input.mobile)
        .map_err(|e| problems.push(problem("mobile", e.to_string())))
        .ok();
    let email = Email::parse(input.email)
        .map_err(|e| problems.push(problem("email", e.to_string())))
        .ok();
    let home_address = input.home_address.trim().to_string();
    if !(5..=100).contains(&home_address.chars().count()) {
        problems.push(problem(
            "home_address",
            "请填写家庭住址（5–100 字，写到门牌号）",
        ));
    }
    let code = input.origin_county_code.trim();
    let origin = if code.is_empty() {
        problems.push(problem(
            "origin_county_code",
            "请选择生源所在地（省、市、区县）",
        ));
        None
    } else if !regions::is_leaf(code) {
        problems.push(problem(
            "origin_county_code",
            "生源所在地须选到区（县）一级：部分市级单位不接收毕业生档案",
        ));
        None
    } else {
        Some((code.to_string(), regions::full_name(code)))
    };
    match (mobile, email, origin) {
        (Some(mobile), Some(email), Some((origin_code, origin_name))) if problems.is_empty() => {
            Ok(SourceConfirmation {
                mobile,
                email,
                home_address,
                origin_code,
                origin_name,
            })
        }
        _ => Err(problems),
    }
}

// ---------------------------------------------------------------------------------------------
// The locked fields and the correction request (纠错)

/// A locked field a correction request may change. The ID number is not one of them: a record
/// with another person's ID number is not corrected but unbound (解除绑定), since the account
/// logs in by it. The student number is the school's key of the record and is not either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LockedField {
    Name,
    Gender,
    Ethnicity,
    PoliticalStatus,
    EducationLevel,
    Major,
    TrainingMode,
    YearsOfSchooling,
}

impl LockedField {
    pub const ALL: &'static [LockedField] = &[
        LockedField::Name,
        LockedField::Gender,
        LockedField::Ethnicity,
        LockedField::PoliticalStatus,
        LockedField::EducationLevel,
        LockedField::Major,
        LockedField::TrainingMode,
        LockedField::YearsOfSchooling,
    ];

    /// The key in a request's `changes` (the graduate record's column name).
    pub fn key(self) -> &'static str {
        match self {
            LockedField::Name => "name",
            LockedField::Gender => "gender",
            LockedField::Ethnicity => "ethnicity_code",
            LockedField::PoliticalStatus => "political_status_code",
            LockedField::EducationLevel => "education_level_code",
            LockedField::Major => "major",
            LockedField::TrainingMode => "training_mode_code",
            LockedField::YearsOfSchooling => "years_of_schooling",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LockedField::Name => "姓名",
            LockedField::Gender => "性别",
            LockedField::Ethnicity => "民族",
            LockedField::PoliticalStatus => "政治面貌",
            LockedField::EducationLevel => "学历",
            LockedField::Major => "专业",
            LockedField::TrainingMode => "培养方式",
            LockedField::YearsOfSchooling => "学制",
        }
    }

    pub fn parse(key: &str) -> Option<LockedField> {
        LockedField::ALL.iter().copied().find(|f| f.key() == key)
    }

    fn table(self) -> Option<&'static CodeTable> {
        match self {
            LockedField::Gender => Some(&codes::GENDER),
            LockedField::Ethnicity => Some(&codes::ETHNICITY),
            LockedField::PoliticalStatus => Some(&codes::POLITICAL_STATUS),
            LockedField::EducationLevel => Some(&codes::EDUCATION_LEVEL),
            LockedField::TrainingMode => Some(&codes::TRAINING_MODE),
            LockedField::Name | LockedField::Major | LockedField::YearsOfSchooling => None,
        }
    }

    /// The value as stored (a code for code-table fields, given as code or name), or why not.
    pub fn check(self, value: &str) -> Result<String, String> {
        let v = value.trim();
        if let Some(table) = self.table() {
            return table
                .resolve(v)
                .map(|e| e.code.to_string())
                .ok_or_else(|| format!("{}：请从{}代码表中选择", self.label(), table.title));
        }
        match self {
            LockedField::Name => {
                let n = v.chars().count();
                if (2..=50).contains(&n) && !v.chars().any(|c| c.is_control() || c.is_ascii_digit())
                {
                    Ok(v.to_string())
                } else {
                    Err("姓名：请填写 2–50 个字，不含数字".into())
                }
            }
            LockedField::Major => {
                if (2..=100).contains(&v.chars().count()) {
                    Ok(v.to_string())
                } else {
                    Err("专业：请填写专业名称（2–100 字）".into())
                }
            }
            LockedField::YearsOfSchooling => match v.parse::<i64>() {
                Ok(y) if (1..=8).contains(&y) => Ok(y.to_string()),
                _ => Err("学制：请填写 1–8 之间的整数（年）".into()),
            },
            _ => Err(format!("{}不能纠错", self.label())),
        }
    }

    /// A stored value as a clerk reads it (the name of a code).
    pub fn display(self, stored: &str) -> String {
        match self.table().and_then(|t| t.name_of(stored)) {
            Some(name) => name.to_string(),
            None if self == LockedField::YearsOfSchooling => format!("{stored}年"),
            None => stored.to_string(),
        }
    }
}

/// Why the ID number is never a correction.
pub const ID_NUMBER_NOT_CORRECTABLE: &str = "身份证号不能纠错：如果这不是你的记录，请在首页“解除绑定并重新绑定”，或请学校管理员解除绑定后更正名单";

/// One checked change of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: LockedField,
    /// As stored (a code for code-table fields).
    pub value: String,
}

/// Checks a request's changes against the record's current values (`current(field)`), and the
/// reason, every problem at once. A change to the value already on file is no change.
pub fn check_correction_request<'a>(
    changes: impl IntoIterator<Item = (&'a str, &'a str)>,
    reason: &str,
    current: impl Fn(LockedField) -> String,
) -> Result<(Vec<FieldChange>, String), Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut out: Vec<FieldChange> = Vec::new();
    for (key, value) in changes {
        if value.trim().is_empty() {
            continue;
        }
        let Some(field) = LockedField::parse(key) else {
            let message = match key {
                "id_number" => ID_NUMBER_NOT_CORRECTABLE.to_string(),
                "mobile" | "email" | "home_address" | "origin_location" | "origin_county_code" => {
                    "此项可在生源信息确认中直接修改，无需纠错".to_string()
                }
                _ => "此项不能纠错".to_string(),
            };
            problems.push(problem(format!("changes.{key}"), message));
            continue;
        };
        match field.check(value) {
            Ok(v) if v == current(field) => problems.push(problem(
                format!("changes.{key}"),
                format!("{}与现有信息相同，无需纠错", field.label()),
            )),
            Ok(v) => {
                out.retain(|c| c.field != field);
                out.push(FieldChange { field, value: v });
            }
            Err(m) => problems.push(problem(format!("changes.{key}"), m)),
        }
    }
    if out.is_empty() && problems.is_empty() {
        problems.push(problem("changes", "请至少填写一项要更正的信息"));
    }
    let reason = reason.trim();
    if !(2..=500).contains(&reason.chars().count()) {
        problems.push(problem(
            "reason",
            "请填写纠错原因（2–500 字），说明哪里有误、正确的是什么",
        ));
    }
    out.sort_by_key(|c| c.field);
    if problems.is_empty() {
        Ok((out, reason.to_string()))
    } else {
        Err(problems)
    }
}

/// The state of a correction request.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionState {
    /// 待审核: one at a time per graduate.
    Pending,
    /// 已通过: the change is in the record.
    Approved,
    /// 未通过: the record stays as it was; the graduate may ask again.
    Rejected,
}

impl CorrectionState {
    pub const ALL: &'static [CorrectionState] = &[
        CorrectionState::Pending,
        CorrectionState::Approved,
        CorrectionState::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionState::Pending => "pending",
            CorrectionState::Approved => "approved",
            CorrectionState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<CorrectionState> {
        CorrectionState::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            CorrectionState::Pending => "待审核",
            CorrectionState::Approved => "已通过",
            CorrectionState::Rejected => "未通过",
        }
    }
}

/// The reviewer's answer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionDecision {
    /// 同意更正: the change is applied to the record.
    Approve,
    /// 不同意 (with a reason the graduate reads).
    Reject,
}

/// What a decision does: the state it leads to, the reason kept, and whether the record
/// changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionOutcome {
    pub state: CorrectionState,
    pub reason: Option<String>,
    pub apply_changes: bool,
}

/// Decides a correction request: only a pending request is decided (a second click finds it
/// decided and changes nothing); a rejection needs a reason (2–200 characters), an approval's
/// remark is optional.
pub fn decide_correction(
    current: CorrectionState,
    decision: CorrectionDecision,
    reason: &str,
) -> Result<CorrectionOutcome, FieldProblem> {
    if current != CorrectionState::Pending {
        return Err(problem(
            "state",
            format!("该纠错申请{}，不能再次审核", current.label()),
        ));
    }
    let reason = reason.trim();
    match decision {
        CorrectionDecision::Approve => Ok(CorrectionOutcome {
            state: CorrectionState::Approved,
            reason: (!reason.is_empty()).then(|| reason.chars().take(200).collect()),
            apply_changes: true,
        }),
        CorrectionDecision::Reject if (2..=200).contains(&reason.chars().count()) => {
            Ok(CorrectionOutcome {
                state: CorrectionState::Rejected,
                reason: Some(reason.to_string()),
                apply_changes: false,
            })
        }
        CorrectionDecision::Reject => Err(problem(
            "reason",
            "请填写不同意的原因（2–200 字），毕业生据此重新申请",
        )),
    }
}

/// What the graduate is told when a request is already open (the database also refuses it).
pub const ONE_OPEN_REQUEST: &str = "你已有一条待审核的纠错申请，请等待学院审核后再提交";

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(mobile: &'a str, county: &'a str) -> SourceConfirmationInput<'a> {
        SourceConfirmationInput {
            mobile,
            email: "lin@example.cn",
            home_address: "安徽省合肥市蜀山区长江西路 1 号",
            origin_county_code: county,
        }
    }

    #[test]
    fn a_confirmation_names_every_problem() {
        let errs = check_source_confirmation(&SourceConfirmationInput {
            mobile: "123",
            email: "nope",
            home_address: "短",
            origin_county_code: "340100",
        })
        .expect_err("bad");
        let fields: Vec<&str> = errs.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["mobile", "email", "home_address", "origin_county_code"]
        );
        assert!(errs[3].message.contains("区（县）"));
        let errs = check_source_confirmation(&input("13312345660", "")).expect_err("empty");
        assert_eq!(errs[0].field, "origin_county_code");
        assert!(check_source_confirmation(&input("13312345660", "999999")).is_err());
    }

    #[test]
    fn a_county_is_stored_with_its_name() {
        let ok = check_source_confirmation(&input("133 1234 5660", "340104")).expect("ok");
        assert_eq!(ok.origin_code, "340104");
        assert_eq!(ok.origin_name, "安徽省合肥市蜀山区");
        assert_eq!(ok.mobile.as_str(), "13312345660");
    }

    fn current(f: LockedField) -> String {
        match f {
            LockedField::Name => "林晓".into(),
            LockedField::Gender => "2".into(),
            LockedField::YearsOfSchooling => "4".into(),
            _ => String::new(),
        }
    }

    #[test]
    fn a_request_checks_each_field_and_the_reason() {
        let (changes, reason) = check_correction_request(
            [("name", " 林小 "), ("gender", "男"), ("ethnicity_code", "")],
            " 姓名录入有误 ",
            current,
        )
        .expect("ok");
        assert_eq!(reason, "姓名录入有误");
        assert_eq!(
            changes,
            vec![
                FieldChange {
                    field: LockedField::Name,
                    value: "林小".into()
                },
                FieldChange {
                    field: LockedField::Gender,
                    value: "1".into()
                },
            ]
        );
        let errs = check_correction_request(
            [
                ("id_number", "110105194912310021"),
                ("gender", "其他"),
                ("years_of_schooling", "4"),
                ("mobile", "13312345660"),
            ],
            "",
            current,
        )
        .expect_err("bad");
        let fields: Vec<&str> = errs.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "changes.id_number",
                "changes.gender",
                "changes.years_of_schooling",
                "changes.mobile",
                "reason"
            ]
        );
        assert!(errs[0].message.contains("解除绑定"));
        let errs = check_correction_request([], "原因很充分", current).expect_err("none");
        assert_eq!(errs[0].field, "changes");
    }

    #[test]
    fn every_locked_field_has_a_key_a_label_and_a_check() {
        for f in LockedField::ALL {
            assert_eq!(LockedField::parse(f.key()), Some(*f));
            assert!(!f.label().is_empty());
            assert!(f.check("").is_err(), "{f:?}");
        }
        assert_eq!(LockedField::EducationLevel.display("31"), "本科生毕业");
        assert_eq!(
            LockedField::YearsOfSchooling.check("9"),
            Err("学制：请填写 1–8 之间的整数（年）".into())
        );
    }

    #[test]
    fn only_a_pending_request_is_decided() {
        use CorrectionDecision::*;
        use CorrectionState::*;
        let ok = decide_correction(Pending, Approve, "").expect("approve");
        assert_eq!(
            (ok.state, ok.apply_changes, ok.reason),
            (Approved, true, None)
        );
        let no = decide_correction(Pending, Reject, " 证明不清 ").expect("reject");
        assert_eq!(
            (no.state, no.apply_changes, no.reason.as_deref()),
            (Rejected, false, Some("证明不清"))
        );
        assert_eq!(
            decide_correction(Pending, Reject, " ")
                .expect_err("reason")
                .field,
            "reason"
        );
        for done in [Approved, Rejected] {
            for d in [Approve, Reject] {
                assert_eq!(
                    decide_correction(done, d, "原因原因")
                        .expect_err("done")
                        .field,
                    "state"
                );
            }
        }
    }

    #[test]
    fn states_round_trip() {
        for s in CorrectionState::ALL {
            assert_eq!(CorrectionState::parse(s.as_str()), Some(*s));
            assert!(!s.label().is_empty());
        }
    }
}
