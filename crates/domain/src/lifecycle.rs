//! The agreement lifecycle (SPEC §5–§8): the states of an online agreement, a paper agreement and
//! an other-destination registration, the actions that move them, and who may take each action
//! under which school settings.
//!
//! Everything here is data plus guards: [`decide`] and [`decide_destination`] answer "may this
//! party take this action now, and where does it lead", and the storage layer only carries the
//! answer ([`Effects`]) out. What each action is — its operation, who may take it, whether it
//! needs a reason, a proof or a confirmation, its button and its words — is one row of
//! [`spec`]. Nothing reads the clock: callers say whether a deadline has passed.

pub mod letter;
pub mod spec;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, UtcOffset};

use crate::ids::Millis;

use crate::role::Role;
use crate::settings::{BindingMoment, EmployerVerification, ReviewLevels};

/// Which side of the agreement an actor is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Graduate,
    Employer,
    DepartmentReviewer,
    SchoolAdmin,
    /// The platform itself (expiry of an invitation).
    System,
}

impl Party {
    pub const ALL: [Party; 5] = [
        Party::Graduate,
        Party::Employer,
        Party::DepartmentReviewer,
        Party::SchoolAdmin,
        Party::System,
    ];

    /// The party a role acts as; the province only reads.
    pub fn of(role: Role) -> Option<Party> {
        match role {
            Role::Graduate => Some(Party::Graduate),
            Role::EmployerMember => Some(Party::Employer),
            Role::DepartmentReviewer => Some(Party::DepartmentReviewer),
            Role::SchoolAdmin => Some(Party::SchoolAdmin),
            Role::ProvincialAdmin => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Party::Graduate => "graduate",
            Party::Employer => "employer",
            Party::DepartmentReviewer => "department_reviewer",
            Party::SchoolAdmin => "school_admin",
            Party::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Party> {
        Party::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Party::Graduate => "毕业生",
            Party::Employer => "用人单位",
            Party::DepartmentReviewer => "院系",
            Party::SchoolAdmin => "学校",
            Party::System => "系统",
        }
    }
}

/// Online (网上签约) or paper (线下签约) agreement; the first digit of the agreement number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementKind {
    Online,
    Paper,
}

impl AgreementKind {
    pub const ALL: [AgreementKind; 2] = [AgreementKind::Online, AgreementKind::Paper];

    pub fn as_str(self) -> &'static str {
        match self {
            AgreementKind::Online => "online",
            AgreementKind::Paper => "paper",
        }
    }

    pub fn parse(s: &str) -> Option<AgreementKind> {
        match s {
            "online" => Some(AgreementKind::Online),
            "paper" => Some(AgreementKind::Paper),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgreementKind::Online => "网上签约",
            AgreementKind::Paper => "线下签约",
        }
    }

    /// The digit that opens the agreement number (SPEC §9).
    pub fn number_digit(self) -> char {
        match self {
            AgreementKind::Online => '1',
            AgreementKind::Paper => '2',
        }
    }
}

macro_rules! states {
    ($(#[$m:meta])* pub enum $name:ident { $($variant:ident => ($code:literal, $label:literal),)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($code => Some($name::$variant),)* _ => None }
            }

            /// The status word shown in the Chinese UI (SPEC §13).
            pub const fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)* }
            }
        }
    };
}

states! {
    /// The state of an online or paper agreement.
    pub enum AgreementState {
        Invited => ("invited", "单位发起邀约"),
        Withdrawn => ("withdrawn", "已撤回"),
        Rejected => ("rejected", "已拒绝"),
        Expired => ("expired", "已过期"),
        Signed => ("signed", "签约成功，待学校审核"),
        DeptApproved => ("dept_approved", "院系已审核（待学校审核）"),
        ReviewRejected => ("review_rejected", "签约审核不通过"),
        Cancelled => ("cancelled", "已撤销签约"),
        AmendmentPending => ("amendment_pending", "修改待学生确认"),
        AmendmentReview => ("amendment_review", "修改待学校审核"),
        Effective => ("effective", "签约审核通过（已生效）"),
        TerminationRequested => ("termination_requested", "待解约（对方处理中）"),
        TerminationReview => ("termination_review", "等待解约审核"),
        TerminationDeptApproved => ("termination_dept_approved", "院系已同意解约（待学校审核）"),
        Terminated => ("terminated", "解约审核通过（已解约）"),
        Draft => ("draft", "草稿"),
        ContentReview => ("content_review", "协议书待审核"),
        AwaitingFeedback => ("awaiting_feedback", "待反馈"),
        FeedbackReview => ("feedback_review", "等待签约审核"),
    }
}

impl AgreementState {
    /// States after which nothing more happens to the record (a resend reopens withdrawn,
    /// rejected and expired invitations, which is why they are not listed).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            AgreementState::Terminated | AgreementState::Cancelled | AgreementState::ReviewRejected
        )
    }

    /// Whether a record in this state holds the graduate's one binding outcome (SPEC §4).
    pub fn holds_outcome(self, kind: AgreementKind) -> bool {
        use AgreementState::*;
        match kind {
            AgreementKind::Online => matches!(
                self,
                Signed
                    | DeptApproved
                    | AmendmentPending
                    | AmendmentReview
                    | Effective
                    | TerminationRequested
                    | TerminationReview
                    | TerminationDeptApproved
            ),
            AgreementKind::Paper => matches!(
                self,
                ContentReview
                    | AwaitingFeedback
                    | FeedbackReview
                    | Effective
                    | TerminationReview
                    | TerminationDeptApproved
            ),
        }
    }

    /// The states each kind can be in.
    pub fn belongs_to(self, kind: AgreementKind) -> bool {
        use AgreementState::*;
        match kind {
            AgreementKind::Online => !matches!(
                self,
                Draft | ContentReview | AwaitingFeedback | FeedbackReview
            ),
            AgreementKind::Paper => matches!(
                self,
                Draft
                    | ContentReview
                    | AwaitingFeedback
                    | FeedbackReview
                    | Effective
                    | TerminationReview
                    | TerminationDeptApproved
                    | Terminated
            ),
        }
    }
}

states! {
    /// What a party does to an agreement. Each is one flow-trail event.
    pub enum AgreementAction {
        Invite => ("invite", "发起邀约"),
        EditInvitation => ("edit_invitation", "修改邀约"),
        Resend => ("resend", "重新发送邀约"),
        Withdraw => ("withdraw", "撤回邀约"),
        Accept => ("accept", "接受邀约（签约）"),
        Reject => ("reject", "拒绝邀约"),
        Expire => ("expire", "邀约过期"),
        CancelSigning => ("cancel_signing", "撤销签约"),
        ApproveSigning => ("approve_signing", "签约审核通过"),
        RejectSigning => ("reject_signing", "签约审核不通过"),
        RevokeReview => ("revoke_review", "撤回审核"),
        ProposeAmendment => ("propose_amendment", "提出修改"),
        ConfirmAmendment => ("confirm_amendment", "确认修改"),
        DeclineAmendment => ("decline_amendment", "不同意修改"),
        WithdrawAmendment => ("withdraw_amendment", "撤回修改"),
        RequestTermination => ("request_termination", "申请解约"),
        AgreeTermination => ("agree_termination", "同意解约"),
        CancelTermination => ("cancel_termination", "撤回解约申请"),
        ApproveTermination => ("approve_termination", "解约审核通过"),
        RejectTermination => ("reject_termination", "解约审核不通过"),
        ForceTerminate => ("force_terminate", "强制解约"),
        CreateDraft => ("create_draft", "填写协议书（草稿）"),
        EditDraft => ("edit_draft", "修改草稿"),
        SubmitPaper => ("submit_paper", "生成并提交协议书"),
        UploadSignedScan => ("upload_signed_scan", "上传签字盖章协议书"),
    }
}

/// What a transition does to the graduate's one binding outcome (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeSlot {
    Keep,
    /// The record now holds the outcome; fails if another record holds it.
    Take,
    /// The record gives the outcome back: the graduate may sign again.
    Release,
}

/// What an allowed action does to the pending termination's facts (who asked, why, proof).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminationChange {
    Keep,
    /// The acting party opens a termination request.
    Open,
    /// The request is withdrawn or refused: its facts are cleared.
    Clear,
}

/// Who is told of an action besides the one who took it (in-app messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notify {
    pub graduate: bool,
    pub employer: bool,
    /// The reviewer level whose move it now is.
    pub reviewer: Option<Party>,
}

/// The answer to an allowed action: everything the storage layer carries out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effects {
    pub to: AgreementState,
    pub slot: OutcomeSlot,
    /// The agreement becomes effective for the first time: assign its number.
    pub assign_number: bool,
    /// The graduate spends one of their terminations.
    pub counts_termination: bool,
    /// An amendment's terms become current (confirmed before review, or approved after).
    pub adopt_amendment: bool,
    /// A proposed amendment is dropped and the previous terms stay.
    pub drop_amendment: bool,
    /// An amendment is proposed: remember the state it returns to when declined.
    pub open_amendment: bool,
    pub termination: TerminationChange,
    /// The action is a step of the flow trail (a draft's edits are not).
    pub logged: bool,
    /// Whose move it is after the action.
    pub awaiting: Option<Party>,
    pub notify: Notify,
}

impl Effects {
    fn to(to: AgreementState) -> Effects {
        Effects {
            to,
            slot: OutcomeSlot::Keep,
            assign_number: false,
            counts_termination: false,
            adopt_amendment: false,
            drop_amendment: false,
            open_amendment: false,
            termination: TerminationChange::Keep,
            logged: true,
            awaiting: None,
            notify: Notify {
                graduate: false,
                employer: false,
                reviewer: None,
            },
        }
    }
    fn opens_amendment(mut self) -> Self {
        self.open_amendment = true;
        self
    }
    fn opens_termination(mut self) -> Self {
        self.termination = TerminationChange::Open;
        self
    }
    fn clears_termination(mut self) -> Self {
        self.termination = TerminationChange::Clear;
        self
    }
    fn unlogged(mut self) -> Self {
        self.logged = false;
        self
    }
    fn take(mut self) -> Self {
        self.slot = OutcomeSlot::Take;
        self
    }
    fn release(mut self) -> Self {
        self.slot = OutcomeSlot::Release;
        self
    }
    fn numbered(mut self) -> Self {
        self.assign_number = true;
        self
    }
    fn adopt(mut self) -> Self {
        self.adopt_amendment = true;
        self
    }
    fn drop_amendment(mut self) -> Self {
        self.drop_amendment = true;
        self
    }
}

/// Why an action is refused. The web layer answers 403 for `Role`, 409 for the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// This party may never take this action in this state.
    Role,
    /// Nobody may take this action in this state.
    State,
    /// The action exists here but a rule or setting forbids it now (message in Chinese; most
    /// are fixed texts, a school's signing lock carries the reason it gave).
    Rule(Cow<'static, str>),
    /// What was typed does not pass (a destination's category form): every field's problem.
    Fields(Vec<crate::destination_form::FieldProblem>),
}

impl Refusal {
    pub fn message(&self, state: AgreementState, action: AgreementAction) -> String {
        match self {
            Refusal::Role => format!("无权执行“{}”", action.label()),
            Refusal::State => format!(
                "当前状态为“{}”，不能执行“{}”",
                state.label(),
                action.label()
            ),
            Refusal::Rule(m) => m.to_string(),
            Refusal::Fields(p) => p
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("；"),
        }
    }
}

/// Which kind of record holds a graduate's one binding outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Agreement,
    Destination,
}

/// Everything besides state, action and party that a decision depends on. The storage layer
/// loads it for the record (or, for a new one, the graduate and employer) from the graduate,
/// the school's settings for the cohort and the clock, in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub kind: AgreementKind,
    pub review_levels: ReviewLevels,
    pub binding_moment: BindingMoment,
    pub employer_may_request_termination: bool,
    /// Today is inside the school's signing window.
    pub signing_open: bool,
    /// Today is on or after the school's first termination day.
    pub termination_open: bool,
    /// Terminations the graduate has used, and the school's maximum.
    pub terminations_used: u8,
    pub max_terminations: u8,
    /// The invitation's response deadline has passed.
    pub deadline_passed: bool,
    /// Who asked for the pending termination.
    pub termination_requested_by: Option<Party>,
    /// Where a pending amendment returns when declined (signed or effective).
    pub amendment_from: Option<AgreementState>,
    /// The graduate's training mode allows signing (定向/委培 do not).
    pub training_mode_may_sign: bool,
    /// The school suspended the graduate's online signing.
    pub signing_locked: bool,
    /// The reason the school gave, told to employers with the refusal (none on locks made
    /// before reasons were kept).
    pub signing_lock_reason: Option<String>,
    /// The school closed online signing for the graduate's department or major (签约开放列表).
    pub signing_closed: Option<SigningClosure>,
    /// The graduate's source record passed the school's review (生源审核): employers invite
    /// only approved records.
    pub roster_approved: bool,
    /// Another record holds the graduate's one outcome.
    pub outcome_held: Option<Holder>,
    /// The employer already has an unanswered, unexpired invitation to this graduate.
    pub pending_invitation: bool,
    /// The employer passes the school's verification rule, and which rule it is.
    pub employer_may_sign: bool,
    pub employer_verification: EmployerVerification,
}

impl Facts {
    /// Permissive facts for tests and previews: window open, one chance left.
    pub fn open(kind: AgreementKind) -> Facts {
        Facts {
            kind,
            review_levels: ReviewLevels::Two,
            binding_moment: BindingMoment::OnAttestation,
            employer_may_request_termination: true,
            signing_open: true,
            termination_open: true,
            terminations_used: 0,
            max_terminations: 3,
            deadline_passed: false,
            termination_requested_by: None,
            amendment_from: None,
            training_mode_may_sign: true,
            signing_locked: false,
            signing_lock_reason: None,
            signing_closed: None,
            roster_approved: true,
            outcome_held: None,
            pending_invitation: false,
            employer_may_sign: true,
            employer_verification: EmployerVerification::PlatformSufficient,
        }
    }
}

const WINDOW_CLOSED: &str = "不在学校设置的网签开放时间内";
const DEADLINE_PASSED: &str = "邀约已过反馈有效期（过期不反馈视为主动放弃）";
const NOT_YET_DUE: &str = "邀约尚未到期";
const EMPLOYER_MAY_NOT_TERMINATE: &str = "学校未开放用人单位发起解约，请由毕业生发起";
const TERMINATION_NOT_OPEN: &str = "尚未到学校规定的可解约日期";
const NO_TERMINATIONS_LEFT: &str = "解约次数已达学校规定的上限";
const BOUND_ON_ACCEPTANCE: &str = "本校规定学生确认签约即生效，不能撤销签约，只能走解约流程";
const NOT_THE_OTHER_PARTY: &str = "解约须由对方同意";
const NOT_THE_REQUESTER: &str = "只有发起解约的一方可以撤回申请";
const TRAINING_MODE_ONLINE: &str = "该毕业生为定向或委培培养，不能网上签约";
const TRAINING_MODE_PAPER: &str = "定向或委培毕业生不能登记就业协议";
const SIGNING_LOCKED: &str = "学校已暂停该毕业生的网签资格";
const HOLDS_DESTINATION: &str = "该毕业生已登记其他毕业去向，解除后才能接受贵单位的邀约";
const HOLDS_AGREEMENT: &str = "该毕业生已与其他单位签约，解约后才能接受贵单位的邀约";
/// The graduate's words for an invitation they cannot answer while holding an outcome.
pub const ANSWER_HELD_AGREEMENT: &str = "你已签约，解约后才能处理其他邀请";
pub const ANSWER_HELD_DESTINATION: &str = "你已登记其他毕业去向，解除后才能处理邀请";
const EMPLOYER_NOT_VERIFIED_BY_SCHOOL: &str = "该校要求用人单位经学校审核，贵单位尚未通过该校审核";
const EMPLOYER_NOT_VERIFIED: &str = "贵单位尚未通过平台或该校审核，暂不能发起签约";
pub const PENDING_INVITATION: &str = "已向该毕业生发出邀约，对方处理前不能再次发送";
pub const OUTCOME_TAKEN: &str =
    "该毕业生已有有效的就业协议或毕业去向登记（同一时间只能有一个），请先解约或解除";

/// A school's signing lock as employers are told it: with the school's reason when it gave one.
pub fn signing_lock_message(reason: Option<&str>) -> Cow<'static, str> {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Cow::Owned(format!("{SIGNING_LOCKED}（原因：{r}）")),
        None => Cow::Borrowed(SIGNING_LOCKED),
    }
}

/// Which part of the school a closure of signing covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedUnit {
    Department,
    Major,
}

/// A department or major whose online signing the school closed, with its name and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningClosure {
    pub unit: ClosedUnit,
    pub name: String,
    pub reason: String,
}

impl SigningClosure {
    /// As employers are told it.
    pub fn message(&self) -> String {
        let unit = match self.unit {
            ClosedUnit::Department => "院系",
            ClosedUnit::Major => "专业",
        };
        format!(
            "学校已暂停{unit}「{}」的网签（原因：{}）",
            self.name, self.reason
        )
    }
}

/// The reason a school gives when it locks a graduate's signing, trimmed: 2–200 characters, as
/// employers read it in their search and the graduate on the home page.
pub fn check_signing_lock_reason(reason: &str) -> Result<String, &'static str> {
    let r = reason.trim();
    if (2..=200).contains(&r.chars().count()) {
        Ok(r.to_string())
    } else {
        Err("请填写暂停网签的原因（2–200 字）")
    }
}

/// Every reason why an employer cannot invite a graduate now, in the order they are told (the
/// employer's search shows all of them; [`decide`] refuses with the first).
pub fn invite_obstacles(f: &Facts) -> Vec<Cow<'static, str>> {
    let mut why: Vec<Cow<'static, str>> = Vec::new();
    if !f.roster_approved {
        why.push(crate::roster_review::NOT_REVIEWED.into());
    }
    if !f.training_mode_may_sign {
        why.push(TRAINING_MODE_ONLINE.into());
    }
    if f.signing_locked {
        why.push(signing_lock_message(f.signing_lock_reason.as_deref()));
    }
    if let Some(c) = &f.signing_closed {
        why.push(c.message().into());
    }
    // A held outcome is no obstacle: a graduate may receive invitations whatever their state
    // (SPEC §5, 003 §4) and answers them after a termination or release ([`invite_notes`]).
    if !f.signing_open {
        why.push(WINDOW_CLOSED.into());
    }
    if !f.employer_may_sign {
        why.push(
            match f.employer_verification {
                EmployerVerification::SchoolRequired => EMPLOYER_NOT_VERIFIED_BY_SCHOOL,
                EmployerVerification::PlatformSufficient => EMPLOYER_NOT_VERIFIED,
            }
            .into(),
        );
    }
    if f.pending_invitation {
        why.push(PENDING_INVITATION.into());
    }
    why
}

/// What an employer is told about an invitation it may send but the graduate cannot answer yet
/// (the graduate holds an outcome elsewhere): shown beside the send result and the preview.
pub fn invite_notes(f: &Facts) -> Vec<Cow<'static, str>> {
    match f.outcome_held {
        Some(Holder::Destination) => vec![HOLDS_DESTINATION.into()],
        Some(Holder::Agreement) => vec![HOLDS_AGREEMENT.into()],
        None => Vec::new(),
    }
}

/// Why the graduate may only look at an invitation (只能查看): each of their answers (接受,
/// 拒绝) is refused by a rule now — another record holds their outcome (002: once signed, the
/// other letters are view-only), the deadline passed. Read from [`decide`], so a page never
/// offers an answer the service would refuse. `None` when they may answer, or never would.
pub fn view_only_reason(
    state: AgreementState,
    party: Party,
    facts: &Facts,
) -> Option<Cow<'static, str>> {
    if state != AgreementState::Invited || party != Party::Graduate {
        return None;
    }
    let mut why = None;
    for action in [AgreementAction::Accept, AgreementAction::Reject] {
        match decide(Some(state), action, party, facts) {
            Ok(_) => return None,
            Err(Refusal::Rule(r)) => {
                why.get_or_insert(r);
            }
            Err(_) => {}
        }
    }
    why
}

/// The graduate's refusal of an answer while another record holds their outcome.
fn answer_held(held: Option<Holder>) -> Result<(), Refusal> {
    match held {
        Some(Holder::Agreement) => Err(Refusal::Rule(ANSWER_HELD_AGREEMENT.into())),
        Some(Holder::Destination) => Err(Refusal::Rule(ANSWER_HELD_DESTINATION.into())),
        None => Ok(()),
    }
}

/// Decides an action: on an existing record in `state`, or creating one (`None`: an invitation,
/// a paper draft). The answer carries everything the store does: the next state, the outcome
/// slot, the number, amendment and termination changes, whose move it is and who is told.
pub fn decide(
    state: Option<AgreementState>,
    action: AgreementAction,
    party: Party,
    facts: &Facts,
) -> Result<Effects, Refusal> {
    let mut e = match state {
        None => decide_new(action, party, facts)?,
        Some(s) => decide_step(s, action, party, facts)?,
    };
    if e.slot == OutcomeSlot::Take && facts.outcome_held.is_some() {
        return Err(Refusal::Rule(OUTCOME_TAKEN.into()));
    }
    let mut after = facts.clone();
    match e.termination {
        TerminationChange::Open => after.termination_requested_by = Some(party),
        TerminationChange::Clear => after.termination_requested_by = None,
        TerminationChange::Keep => {}
    }
    if e.open_amendment {
        after.amendment_from = state;
    }
    e.awaiting = awaiting(e.to, &after);
    e.notify = Notify {
        graduate: party != Party::Graduate,
        employer: party != Party::Employer,
        reviewer: e
            .awaiting
            .filter(|p| matches!(p, Party::DepartmentReviewer | Party::SchoolAdmin) && *p != party),
    };
    Ok(e)
}

fn decide_new(action: AgreementAction, party: Party, f: &Facts) -> Result<Effects, Refusal> {
    use AgreementAction as A;
    let may = |who: Party| {
        if party == who {
            Ok(())
        } else {
            Err(Refusal::Role)
        }
    };
    match action {
        A::Invite if f.kind == AgreementKind::Online => {
            may(Party::Employer)?;
            if let Some(first) = invite_obstacles(f).into_iter().next() {
                return Err(Refusal::Rule(first));
            }
            Ok(Effects::to(AgreementState::Invited))
        }
        A::CreateDraft if f.kind == AgreementKind::Paper => {
            may(Party::Graduate)?;
            if !f.training_mode_may_sign {
                return Err(Refusal::Rule(TRAINING_MODE_PAPER.into()));
            }
            Ok(Effects::to(AgreementState::Draft))
        }
        _ => Err(Refusal::State),
    }
}

/// Decides an action on an existing agreement: where it leads, or why it is refused.
///
/// Review rules, in one place:
/// - online signing and termination: with two levels the department reviewer approves first
///   and the school administrator decides; with one level the school administrator alone;
///   either level may reject;
/// - paper agreements (content, then the signed scan): one step, by the graduate's department
///   reviewer or the school administrator;
/// - an amendment of an effective agreement: the school administrator re-reviews; a rejection
///   keeps the previous terms in force.
fn decide_step(
    state: AgreementState,
    action: AgreementAction,
    party: Party,
    ctx: &Facts,
) -> Result<Effects, Refusal> {
    use AgreementAction as A;
    use AgreementState as S;
    use Party as P;

    if !state.belongs_to(ctx.kind) {
        return Err(Refusal::State);
    }
    let two_levels = ctx.review_levels == ReviewLevels::Two;
    let online = ctx.kind == AgreementKind::Online;
    let paper = !online;
    // `who` lists the parties that may act; the first check that fails decides the refusal.
    let only = |who: &[Party]| -> Result<(), Refusal> {
        if who.contains(&party) {
            Ok(())
        } else {
            Err(Refusal::Role)
        }
    };
    let rule = |ok: bool, why: &'static str| -> Result<(), Refusal> {
        if ok {
            Ok(())
        } else {
            Err(Refusal::Rule(why.into()))
        }
    };
    let staff: &[Party] = &[P::DepartmentReviewer, P::SchoolAdmin];

    match (state, action) {
        // Force-termination ends any agreement that holds the graduate's outcome.
        (s, A::ForceTerminate) if s.holds_outcome(ctx.kind) => {
            only(&[P::SchoolAdmin])?;
            Ok(Effects::to(S::Terminated).release().drop_amendment())
        }

        // --- invitation (online) ---
        (S::Invited, A::Withdraw) if online => {
            only(&[P::Employer])?;
            Ok(Effects::to(S::Withdrawn))
        }
        (S::Invited, A::EditInvitation) if online => {
            only(&[P::Employer])?;
            Ok(Effects::to(S::Invited))
        }
        (S::Withdrawn | S::Rejected | S::Expired, A::Resend) if online => {
            only(&[P::Employer])?;
            // A resent invitation meets every rule of a new one.
            if let Some(first) = invite_obstacles(ctx).into_iter().next() {
                return Err(Refusal::Rule(first));
            }
            Ok(Effects::to(S::Invited))
        }
        // While the graduate holds an outcome elsewhere, the letter is view-only: neither
        // answer (002 §2.1.2); after a termination or release both come back.
        (S::Invited, A::Accept) if online => {
            only(&[P::Graduate])?;
            rule(!ctx.deadline_passed, DEADLINE_PASSED)?;
            answer_held(ctx.outcome_held)?;
            rule(ctx.signing_open, WINDOW_CLOSED)?;
            Ok(Effects::to(S::Signed).take())
        }
        (S::Invited, A::Reject) if online => {
            only(&[P::Graduate])?;
            rule(!ctx.deadline_passed, DEADLINE_PASSED)?;
            answer_held(ctx.outcome_held)?;
            Ok(Effects::to(S::Rejected))
        }
        (S::Invited, A::Expire) if online => {
            only(&[P::System])?;
            rule(ctx.deadline_passed, NOT_YET_DUE)?;
            Ok(Effects::to(S::Expired))
        }

        // --- signing review (online) ---
        (S::Signed, A::ApproveSigning) if online => {
            if two_levels {
                only(&[P::DepartmentReviewer])?;
                Ok(Effects::to(S::DeptApproved))
            } else {
                only(&[P::SchoolAdmin])?;
                Ok(Effects::to(S::Effective).numbered())
            }
        }
        (S::DeptApproved, A::ApproveSigning) if online => {
            only(&[P::SchoolAdmin])?;
            Ok(Effects::to(S::Effective).numbered())
        }
        (S::Signed, A::RejectSigning) if online => {
            only(if two_levels { staff } else { &[P::SchoolAdmin] })?;
            Ok(Effects::to(S::ReviewRejected).release())
        }
        (S::DeptApproved, A::RejectSigning) if online => {
            only(&[P::SchoolAdmin])?;
            Ok(Effects::to(S::ReviewRejected).release())
        }
        (S::DeptApproved | S::Effective, A::RevokeReview) if online => {
            only(&[P::SchoolAdmin])?;
            Ok(Effects::to(S::Signed))
        }
        (S::ReviewRejected, A::RevokeReview) if online => {
            only(&[P::SchoolAdmin])?;
            Ok(Effects::to(S::Signed).take())
        }
        (S::Signed | S::DeptApproved, A::CancelSigning) if online => {
            only(&[P::Graduate, P::Employer])?;
            rule(
                ctx.binding_moment == BindingMoment::OnAttestation,
                BOUND_ON_ACCEPTANCE,
            )?;
            Ok(Effects::to(S::Cancelled).release())
        }

        // --- amendments (online) ---
        (S::Signed | S::Effective, A::ProposeAmendment) if online => {
            only(&[P::Employer])?;
            Ok(Effects::to(S::AmendmentPending).opens_amendment())
        }
        (S::AmendmentPending, A::ConfirmAmendment) => {
            only(&[P::Graduate])?;
            match ctx.amendment_from {
                Some(S::Effective) => Ok(Effects::to(S::AmendmentReview)),
                _ => Ok(Effects::to(S::Signed).adopt()),
            }
        }
        (S::AmendmentPending, A::DeclineAmendment | A::WithdrawAmendment) => {
            only(if action == A::DeclineAmendment {
                &[P::Graduate]
            } else {
                &[P::Employer]
            })?;
            let back = match ctx.amendment_from {
                Some(S::Effective) => S::Effective,
                _ => S::Signed,
            };
            Ok(Effects::to(back).drop_amendment())
        }
        (S::AmendmentReview, A::ApproveSigning) => {
            only(&[P::SchoolAdmin])?;
            Ok(Effects::to(S::Effective).adopt())
        }
        (S::AmendmentReview, A::RejectSigning) => {
            only(&[P::SchoolAdmin])?;
            Ok(Effects::to(S::Effective).drop_amendment())
        }

        // --- paper agreements ---
        (S::Draft, A::EditDraft) if paper => {
            only(&[P::Graduate])?;
            Ok(Effects::to(S::Draft).unlogged())
        }
        (S::Draft, A::SubmitPaper) if paper => {
            only(&[P::Graduate])?;
            rule(ctx.signing_open, WINDOW_CLOSED)?;
            Ok(Effects::to(S::ContentReview).take())
        }
        (S::ContentReview, A::ApproveSigning) if paper => {
            only(staff)?;
            Ok(Effects::to(S::AwaitingFeedback))
        }
        (S::ContentReview, A::RejectSigning) if paper => {
            only(staff)?;
            Ok(Effects::to(S::Draft).release())
        }
        (S::AwaitingFeedback, A::UploadSignedScan) if paper => {
            only(&[P::Graduate])?;
            Ok(Effects::to(S::FeedbackReview))
        }
        (S::FeedbackReview, A::ApproveSigning) if paper => {
            only(staff)?;
            Ok(Effects::to(S::Effective).numbered())
        }
        (S::FeedbackReview, A::RejectSigning) if paper => {
            only(staff)?;
            Ok(Effects::to(S::AwaitingFeedback))
        }
        (S::Effective, A::RevokeReview) if paper => {
            only(&[P::SchoolAdmin])?;
            Ok(Effects::to(S::FeedbackReview))
        }

        // --- termination (both kinds) ---
        (S::Effective, A::RequestTermination) => {
            if online {
                only(&[P::Graduate, P::Employer])?;
                rule(
                    party != P::Employer || ctx.employer_may_request_termination,
                    EMPLOYER_MAY_NOT_TERMINATE,
                )?;
            } else {
                // Paper: the graduate asks with the employer's stamped proof (SPEC §7).
                only(&[P::Graduate])?;
            }
            rule(ctx.termination_open, TERMINATION_NOT_OPEN)?;
            rule(
                ctx.terminations_used < ctx.max_terminations,
                NO_TERMINATIONS_LEFT,
            )?;
            Ok(Effects::to(if online {
                S::TerminationRequested
            } else {
                S::TerminationReview
            })
            .opens_termination())
        }
        (S::TerminationRequested, A::AgreeTermination) => {
            only(&[P::Graduate, P::Employer])?;
            rule(
                ctx.termination_requested_by.is_some()
                    && ctx.termination_requested_by != Some(party),
                NOT_THE_OTHER_PARTY,
            )?;
            Ok(Effects::to(S::TerminationReview))
        }
        (S::TerminationRequested, A::CancelTermination) => {
            only(&[P::Graduate, P::Employer])?;
            rule(
                ctx.termination_requested_by == Some(party),
                NOT_THE_REQUESTER,
            )?;
            Ok(Effects::to(S::Effective).clears_termination())
        }
        (S::TerminationReview, A::ApproveTermination) => {
            if two_levels {
                only(&[P::DepartmentReviewer])?;
                Ok(Effects::to(S::TerminationDeptApproved))
            } else {
                only(&[P::SchoolAdmin])?;
                Ok(terminated())
            }
        }
        (S::TerminationDeptApproved, A::ApproveTermination) => {
            only(&[P::SchoolAdmin])?;
            Ok(terminated())
        }
        (S::TerminationReview, A::RejectTermination) => {
            only(if two_levels { staff } else { &[P::SchoolAdmin] })?;
            Ok(Effects::to(S::Effective).clears_termination())
        }
        (S::TerminationDeptApproved, A::RejectTermination) => {
            only(&[P::SchoolAdmin])?;
            Ok(Effects::to(S::Effective).clears_termination())
        }

        _ => Err(Refusal::State),
    }
}

fn terminated() -> Effects {
    let mut t = Effects::to(AgreementState::Terminated).release();
    t.counts_termination = true;
    t
}

/// Whether a party may take an action in some state of the kind under some settings: tells a
/// request that comes too early or too late (409) from one the party may never make (403).
pub fn party_may_ever(action: AgreementAction, party: Party, kind: AgreementKind) -> bool {
    let mut ctx = Facts::open(kind);
    ctx.deadline_passed = party == Party::System;
    for levels in [ReviewLevels::One, ReviewLevels::Two] {
        for requested_by in [Party::Graduate, Party::Employer] {
            ctx.review_levels = levels;
            ctx.termination_requested_by = Some(requested_by);
            if AgreementState::ALL
                .iter()
                .map(|s| Some(*s))
                .chain([None])
                .any(|s| decide(s, action, party, &ctx).is_ok())
            {
                return true;
            }
        }
    }
    false
}

/// The actions a party could take now, for the buttons of a page and the API's `actions` list.
pub fn available_actions(state: AgreementState, party: Party, ctx: &Facts) -> Vec<AgreementAction> {
    AgreementAction::ALL
        .iter()
        .copied()
        .filter(|a| decide(Some(state), *a, party, ctx).is_ok())
        .collect()
}

/// Whose move it is in a state, for to-do counts and "waiting for" columns. Review steps name
/// the level that acts under the settings in force.
pub fn awaiting(state: AgreementState, ctx: &Facts) -> Option<Party> {
    use AgreementState as S;
    let first_review =
        if ctx.kind == AgreementKind::Online && ctx.review_levels == ReviewLevels::One {
            Party::SchoolAdmin
        } else {
            Party::DepartmentReviewer
        };
    match state {
        S::Invited | S::AmendmentPending | S::Draft | S::AwaitingFeedback => Some(Party::Graduate),
        S::Signed | S::ContentReview | S::FeedbackReview => Some(first_review),
        S::TerminationReview => Some(if ctx.review_levels == ReviewLevels::Two {
            Party::DepartmentReviewer
        } else {
            Party::SchoolAdmin
        }),
        S::DeptApproved | S::AmendmentReview | S::TerminationDeptApproved => {
            Some(Party::SchoolAdmin)
        }
        S::TerminationRequested => match ctx.termination_requested_by {
            Some(Party::Graduate) => Some(Party::Employer),
            Some(Party::Employer) => Some(Party::Graduate),
            _ => None,
        },
        S::Withdrawn
        | S::Rejected
        | S::Expired
        | S::ReviewRejected
        | S::Cancelled
        | S::Effective
        | S::Terminated => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Other destinations (SPEC §8)

states! {
    /// The state of an other-destination registration (其他去向登记).
    pub enum DestinationState {
        Submitted => ("submitted", "待审核"),
        Withdrawn => ("withdrawn", "已撤回"),
        Approved => ("approved", "审核通过"),
        Rejected => ("rejected", "审核不通过"),
        ReleaseRequested => ("release_requested", "申请解除，待审核"),
        Released => ("released", "已解除"),
    }
}

states! {
    pub enum DestinationAction {
        Register => ("register", "登记去向"),
        WithdrawRegistration => ("withdraw_registration", "撤回登记"),
        Approve => ("approve", "审核通过"),
        RejectRegistration => ("reject_registration", "审核不通过"),
        RequestRelease => ("request_release", "申请解除"),
        ApproveRelease => ("approve_release", "解除审核通过"),
        RejectRelease => ("reject_release", "解除审核不通过"),
        Unlock => ("unlock", "管理员解锁"),
    }
}

impl DestinationState {
    pub fn holds_outcome(self) -> bool {
        matches!(
            self,
            DestinationState::Submitted
                | DestinationState::Approved
                | DestinationState::ReleaseRequested
        )
    }
}

/// The detail label of a destination's 所在地 (a readable line, free text on older records).
pub const PLACE_LABEL: &str = "所在地";
/// The detail label of the region code beside it. The details are a label → value map shown
/// as typed, and a key there needs no schema change on either database; the code is kept so
/// that statistics by region need not parse the readable line.
pub const PLACE_CODE_LABEL: &str = "所在地代码";
/// The error fields of the structured 所在地: (code, street).
pub const PLACE_REGION_FIELDS: (&str, &str) = ("place_region.county_code", "place_region.street");

/// Puts a destination's 所在地 into its details. With a region (a county-level leaf; the street
/// optional, ≤ 200 characters) the readable full name and street replace any free text and the
/// code is kept beside it; without one the free text stands, as on older records. The code
/// label is the region's own: a client may not set it without a region.
pub fn place_destination(
    details: &mut std::collections::BTreeMap<String, String>,
    region: Option<crate::terms::RegionAddress>,
) -> Result<(), Vec<crate::terms::TermsError>> {
    let mut e = Vec::new();
    let Some(region) = region.map(crate::terms::RegionAddress::normalised) else {
        if details.contains_key(PLACE_CODE_LABEL) {
            e.push(crate::terms::TermsError {
                field: "details",
                reason: "“所在地代码”由所在地的省市区县选择生成，请勿直接填写",
            });
            return Err(e);
        }
        return Ok(());
    };
    region.check(&mut e, PLACE_REGION_FIELDS, false);
    if !e.is_empty() {
        return Err(e);
    }
    details.insert(PLACE_LABEL.to_string(), region.summary());
    details.insert(PLACE_CODE_LABEL.to_string(), region.county_code);
    Ok(())
}

/// What a destination decision depends on besides state, action and party.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DestinationFacts {
    /// Another record holds the graduate's one outcome.
    pub outcome_held: Option<Holder>,
    /// For a registration: the form as typed, checked by its category's rules
    /// ([`crate::destination_form::check`]).
    pub entry: Option<crate::destination_form::DestinationEntry>,
}

/// The answer to an allowed destination action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationEffects {
    pub to: DestinationState,
    pub slot: OutcomeSlot,
    pub awaiting: Option<Party>,
    /// The graduate is told (staff acted), or the department (the graduate acted and it awaits review).
    pub notify_graduate: bool,
    pub notify_department: bool,
    /// A registration's checked form: what the record keeps.
    pub entry: Option<crate::destination_form::CheckedEntry>,
}

/// Decides an action on a destination registration (`None`: registering a new one). Reviews
/// are one step, by the graduate's department reviewer or the school administrator; only the
/// school administrator unlocks an approved destination (管理员后台解锁), which sets the
/// graduate back to 待就业. A registration passes only with its category's form complete
/// (`facts.entry`, every problem named at once); a draft (暂存) is not a registration and takes
/// no outcome.
pub fn decide_destination(
    state: Option<DestinationState>,
    action: DestinationAction,
    party: Party,
    facts: &DestinationFacts,
) -> Result<DestinationEffects, Refusal> {
    use DestinationAction as A;
    use DestinationState as S;
    let staff = matches!(party, Party::DepartmentReviewer | Party::SchoolAdmin);
    let (who_ok, to, slot) = match (state, action) {
        (None, A::Register) => (party == Party::Graduate, S::Submitted, OutcomeSlot::Take),
        (None, _) | (Some(_), A::Register) => return Err(Refusal::State),
        (Some(S::Approved), A::Unlock) => (
            party == Party::SchoolAdmin,
            S::Released,
            OutcomeSlot::Release,
        ),
        (Some(state), action) => return decide_destination_step(state, action, party, staff),
    };
    if !who_ok {
        return Err(Refusal::Role);
    }
    if slot == OutcomeSlot::Take && facts.outcome_held.is_some() {
        return Err(Refusal::Rule(OUTCOME_TAKEN.into()));
    }
    let mut effects = destination_effects(to, slot, party);
    if action == A::Register {
        let Some(entry) = &facts.entry else {
            return Err(Refusal::Fields(vec![
                crate::destination_form::FieldProblem {
                    field: "category_code".into(),
                    message: "请选择毕业去向类别".into(),
                },
            ]));
        };
        effects.entry = Some(crate::destination_form::check(entry).map_err(Refusal::Fields)?);
    }
    Ok(effects)
}

fn destination_effects(
    to: DestinationState,
    slot: OutcomeSlot,
    party: Party,
) -> DestinationEffects {
    let awaiting = destination_awaiting(to);
    DestinationEffects {
        to,
        slot,
        awaiting,
        notify_graduate: party != Party::Graduate,
        notify_department: party == Party::Graduate && awaiting.is_some(),
        entry: None,
    }
}

fn decide_destination_step(
    state: DestinationState,
    action: DestinationAction,
    party: Party,
    staff: bool,
) -> Result<DestinationEffects, Refusal> {
    use DestinationAction as A;
    use DestinationState as S;
    let (who_ok, to, slot) = match (state, action) {
        (S::Submitted, A::WithdrawRegistration) => {
            (party == Party::Graduate, S::Withdrawn, OutcomeSlot::Release)
        }
        (S::Submitted, A::Approve) => (staff, S::Approved, OutcomeSlot::Keep),
        (S::Submitted, A::RejectRegistration) => (staff, S::Rejected, OutcomeSlot::Release),
        (S::Approved, A::RequestRelease) => (
            party == Party::Graduate,
            S::ReleaseRequested,
            OutcomeSlot::Keep,
        ),
        (S::ReleaseRequested, A::ApproveRelease) => (staff, S::Released, OutcomeSlot::Release),
        (S::ReleaseRequested, A::RejectRelease) => (staff, S::Approved, OutcomeSlot::Keep),
        _ => return Err(Refusal::State),
    };
    if who_ok {
        Ok(destination_effects(to, slot, party))
    } else {
        Err(Refusal::Role)
    }
}

pub fn destination_awaiting(state: DestinationState) -> Option<Party> {
    match state {
        DestinationState::Submitted | DestinationState::ReleaseRequested => {
            Some(Party::DepartmentReviewer)
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Deadlines, numbers and the trail

/// China Standard Time; the deadlines of the product are China's calendar days.
pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => panic!("valid offset"),
};

/// The China-time calendar day of an instant.
pub fn china_date(at: Millis) -> Date {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.get()) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.to_offset(CHINA).date()
}

/// The end (24:00 China time) of a calendar day.
pub fn end_of_china_day(day: Date) -> Millis {
    let next = day.next_day().unwrap_or(day);
    let midnight = next.midnight().assume_offset(CHINA);
    Millis(i64::try_from(midnight.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
}

/// An invitation sent at `sent_at` with `validity_days` days to answer expires at 24:00 China
/// time of the last day, the last day being `validity_days` after the day it was sent: one sent
/// on 21 November with 5 days may be answered until 26 November 24:00.
pub fn invitation_deadline(sent_at: Millis, validity_days: u8) -> Millis {
    let last = china_date(sent_at) + Duration::days(i64::from(validity_days));
    end_of_china_day(last)
}

/// A deadline as people read it: the last day and "24:00" (never 00:00 of the day after).
pub fn deadline_label(deadline: Millis) -> String {
    let last = china_date(deadline.plus_ms(-1));
    format!(
        "{}年{}月{}日 24:00",
        last.year(),
        u8::from(last.month()),
        last.day()
    )
}

/// True from the deadline on: 24:00 itself belongs to the next day.
pub fn deadline_passed(deadline: Millis, now: Millis) -> bool {
    now >= deadline
}

/// The stored state of an invitation read at `now`: an invitation whose deadline has passed is
/// expired whether or not a sweep has written it yet.
pub fn state_at(stored: AgreementState, deadline: Option<Millis>, now: Millis) -> AgreementState {
    match (stored, deadline) {
        (AgreementState::Invited, Some(d)) if deadline_passed(d, now) => AgreementState::Expired,
        _ => stored,
    }
}

/// The agreement number (协议书编号, SPEC §9): kind digit, graduation year, the school's
/// 5-digit code and a 6-digit sequence per kind, school and year, e.g. `1202719101000042`.
pub fn agreement_number(kind: AgreementKind, year: u16, school_code: &str, seq: u32) -> String {
    format!("{}{year:04}{school_code}{seq:06}", kind.number_digit())
}

/// Splits an agreement number into its parts, or `None` when it is not one.
pub fn parse_agreement_number(s: &str) -> Option<(AgreementKind, u16, &str, u32)> {
    if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let kind = match &s[..1] {
        "1" => AgreementKind::Online,
        "2" => AgreementKind::Paper,
        _ => return None,
    };
    Some((
        kind,
        s[1..5].parse().ok()?,
        &s[5..10],
        s[10..].parse().ok()?,
    ))
}

/// One step of a record's flow trail, as the chain check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailStep {
    pub from: Option<String>,
    pub to: String,
}

/// Whether an agreement's terms must equal what its last trail event pinned. A paper draft's
/// content is edited by the graduate without events until it is generated (each edit only moves
/// the version), so only a draft is exempt.
pub fn terms_bound_by_trail(state: &str) -> bool {
    state != AgreementState::Draft.as_str()
}

/// Replays a trail: every step must start where the previous one ended. Returns the state the
/// trail leads to, or the index of the first step that does not follow.
pub fn replay(steps: &[TrailStep]) -> Result<Option<&str>, usize> {
    let mut at: Option<&str> = None;
    for (i, s) in steps.iter().enumerate() {
        if i > 0 && s.from.as_deref() != at {
            return Err(i);
        }
        at = Some(&s.to);
    }
    Ok(at)
}

// ---------------------------------------------------------------------------------------------
// Free-text limits shared by every flow

/// Reasons for a termination, a rejection or a release (SPEC §6: at most 200 characters).
pub const MAX_REASON_CHARS: usize = 200;

/// Trims and checks a reason; `required` for rejections and termination requests.
pub fn check_reason(text: Option<&str>, required: bool) -> Result<String, &'static str> {
    let t = text.unwrap_or("").trim();
    if t.is_empty() && required {
        return Err("请填写原因");
    }
    if t.chars().count() > MAX_REASON_CHARS {
        return Err("原因不能超过200字");
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests;
