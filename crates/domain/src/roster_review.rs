//! 生源审核 (004 §4.2 note, 002 FAQ 5): an imported source record is reviewed before employers
//! can find it. The states, which decision applies to which state, and what a re-import does.
//!
//! Who may review is [`crate::policy::review_roster`]; this module answers what a review does.

use std::borrow::Cow;

/// The review state of a graduate's source record.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RosterReview {
    /// 待审核: imported (or changed by a re-import) and not yet looked at.
    Pending,
    /// 已审核: employers can find the graduate.
    Approved,
    /// 已退回: the reviewer found it wrong; the school corrects it (a re-import) first.
    Returned,
}

impl RosterReview {
    pub const ALL: &'static [RosterReview] = &[
        RosterReview::Pending,
        RosterReview::Approved,
        RosterReview::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RosterReview::Pending => "pending",
            RosterReview::Approved => "approved",
            RosterReview::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<RosterReview> {
        RosterReview::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s.trim())
    }

    /// As a school clerk reads it.
    pub fn label(self) -> &'static str {
        match self {
            RosterReview::Pending => "待审核",
            RosterReview::Approved => "已审核",
            RosterReview::Returned => "已退回",
        }
    }
}

/// A reviewer's decision on a record.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RosterDecision {
    /// 审核通过.
    Approve,
    /// 退回 (with a reason).
    Return,
}

impl RosterDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            RosterDecision::Approve => "approve",
            RosterDecision::Return => "return",
        }
    }

    /// The state the decision leads to.
    pub fn target(self) -> RosterReview {
        match self {
            RosterDecision::Approve => RosterReview::Approved,
            RosterDecision::Return => RosterReview::Returned,
        }
    }
}

/// What the decision needs to know about the record besides its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecordFacts {
    /// The graduate holds a binding outcome (a signed or effective agreement, a registered
    /// destination): the school already attested the record in it.
    pub outcome_held: bool,
}

/// Why a decision leaves a record as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// The record is already in the state the decision leads to (nothing to do).
    AlreadyThere(RosterReview),
    /// A rule stops the change; the words say which.
    Rule(Cow<'static, str>),
}

impl Skip {
    pub fn message(&self) -> Cow<'static, str> {
        match self {
            Skip::AlreadyThere(RosterReview::Approved) => "已审核通过，无需再审".into(),
            Skip::AlreadyThere(RosterReview::Returned) => "已退回，等待学校更正".into(),
            Skip::AlreadyThere(RosterReview::Pending) => "已是待审核".into(),
            Skip::Rule(why) => why.clone(),
        }
    }
}

const HOLDS_OUTCOME: &str =
    "该毕业生已签约或已登记毕业去向，生源信息不能退回；如需更正请走纠错或解约流程";

/// The state a decision moves a record to, or why it leaves it:
/// - 审核通过 applies to pending and to returned records (a returned record the school has
///   corrected, or returned by mistake, is approved without another round);
/// - 退回 applies to pending records, and to approved ones while the graduate holds no binding
///   outcome: an approved record may have been found and invited already, which is harmless to
///   withdraw, but once an agreement or destination rests on it the school has attested the
///   record there, and pulling it back would leave that record standing on data the school
///   calls wrong. Such a record is corrected through 纠错 or a termination instead.
pub fn decide(
    current: RosterReview,
    decision: RosterDecision,
    facts: RecordFacts,
) -> Result<RosterReview, Skip> {
    let target = decision.target();
    if current == target {
        return Err(Skip::AlreadyThere(current));
    }
    match (current, decision) {
        (RosterReview::Approved, RosterDecision::Return) if facts.outcome_held => {
            Err(Skip::Rule(HOLDS_OUTCOME.into()))
        }
        _ => Ok(target),
    }
}

/// The reason of a return, trimmed: required, 2–200 characters (the school reads it when it
/// corrects the record).
pub fn check_return_reason(reason: &str) -> Result<String, &'static str> {
    let r = reason.trim();
    if (2..=200).contains(&r.chars().count()) {
        Ok(r.to_string())
    } else {
        Err("请填写退回原因（2–200 字），学校据此更正生源信息")
    }
}

/// The state of a record after an import:
/// - a new record starts pending when the school reviews its roster, approved otherwise;
/// - a record whose reviewed data the import changes needs the review again (pending), or,
///   without review, is approved at once; a returned record the school corrected this way
///   goes back to the reviewer the same way;
/// - a record the import leaves unchanged keeps its state.
///
/// The reviewed data are the fields the school answers for (identity, department, major,
/// class, cohort, education, training mode, origin); contact details are the graduate's own
/// to keep and do not reopen a review.
pub fn after_import(
    current: Option<RosterReview>,
    data_changed: bool,
    review_on: bool,
) -> RosterReview {
    match current {
        Some(state) if !data_changed => state,
        _ if review_on => RosterReview::Pending,
        _ => RosterReview::Approved,
    }
}

/// Employers find only approved records; the answer for another one says why, so that they
/// ask the school instead of retyping the search (002 FAQ 5, 004 §4.2 note).
pub fn findable(state: RosterReview) -> Result<(), &'static str> {
    match state {
        RosterReview::Approved => Ok(()),
        RosterReview::Pending | RosterReview::Returned => Err(NOT_REVIEWED),
    }
}

/// What employers are told about a record that is not approved (finding and inviting).
pub const NOT_REVIEWED: &str =
    "学校尚未审核该生源信息，暂不能查找和发起签约；请联系毕业生所在学校（院系）";

#[cfg(test)]
mod tests {
    use super::*;

    const HELD: RecordFacts = RecordFacts { outcome_held: true };
    const FREE: RecordFacts = RecordFacts {
        outcome_held: false,
    };

    #[test]
    fn approval_applies_to_pending_and_returned_records() {
        use RosterDecision::Approve;
        use RosterReview::*;
        assert_eq!(decide(Pending, Approve, FREE), Ok(Approved));
        assert_eq!(decide(Returned, Approve, HELD), Ok(Approved));
        assert_eq!(
            decide(Approved, Approve, FREE),
            Err(Skip::AlreadyThere(Approved))
        );
    }

    #[test]
    fn a_return_stops_at_records_an_outcome_rests_on() {
        use RosterDecision::Return;
        use RosterReview::*;
        assert_eq!(decide(Pending, Return, HELD), Ok(Returned));
        assert_eq!(decide(Approved, Return, FREE), Ok(Returned));
        let refused = decide(Approved, Return, HELD).expect_err("held");
        assert!(matches!(refused, Skip::Rule(_)));
        assert!(refused.message().contains("纠错"));
        assert_eq!(
            decide(Returned, Return, FREE),
            Err(Skip::AlreadyThere(Returned))
        );
    }

    #[test]
    fn every_skip_has_words() {
        for s in RosterReview::ALL {
            assert!(!Skip::AlreadyThere(*s).message().is_empty());
        }
    }

    #[test]
    fn a_return_needs_a_reason() {
        assert!(check_return_reason("").is_err());
        assert!(check_return_reason("  错 ").is_err());
        assert_eq!(check_return_reason(" 专业有误 "), Ok("专业有误".into()));
        assert!(check_return_reason(&"长".repeat(200)).is_ok());
        assert!(check_return_reason(&"长".repeat(201)).is_err());
    }

    #[test]
    fn an_import_reopens_only_changed_records() {
        use RosterReview::*;
        assert_eq!(after_import(None, true, true), Pending);
        assert_eq!(after_import(None, false, false), Approved);
        for s in RosterReview::ALL {
            assert_eq!(after_import(Some(*s), false, true), *s);
            assert_eq!(after_import(Some(*s), false, false), *s);
            assert_eq!(after_import(Some(*s), true, true), Pending);
            assert_eq!(after_import(Some(*s), true, false), Approved);
        }
    }

    #[test]
    fn only_approved_records_are_found() {
        assert_eq!(findable(RosterReview::Approved), Ok(()));
        assert_eq!(findable(RosterReview::Pending), Err(NOT_REVIEWED));
        assert_eq!(findable(RosterReview::Returned), Err(NOT_REVIEWED));
    }

    #[test]
    fn employers_cannot_invite_a_record_not_approved() {
        use crate::lifecycle::{decide, invite_obstacles, AgreementAction, AgreementKind, Facts};
        use crate::lifecycle::{Party, Refusal};
        let f = Facts {
            roster_approved: false,
            ..Facts::open(AgreementKind::Online)
        };
        assert_eq!(invite_obstacles(&f), vec![NOT_REVIEWED]);
        assert_eq!(
            decide(None, AgreementAction::Invite, Party::Employer, &f),
            Err(Refusal::Rule(NOT_REVIEWED.into()))
        );
        assert!(invite_obstacles(&Facts::open(AgreementKind::Online)).is_empty());
    }

    #[test]
    fn names_round_trip() {
        for s in RosterReview::ALL {
            assert_eq!(RosterReview::parse(s.as_str()), Some(*s));
            assert!(!s.label().is_empty());
        }
        assert_eq!(RosterReview::parse("nope"), None);
    }
}
