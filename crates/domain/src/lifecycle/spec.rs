//! One row per action: the operation that takes it, who may ever take it, what it asks for (a
//! reason, a proof, a confirmation), how a page offers it and its Chinese words.
//!
//! Each row is an exhaustive `match` arm, so a new action does not compile until it has its row;
//! the API, the pages and the property test are checked against these rows by tests (see
//! `crates/web/tests/api/action_spec.rs` and the unit tests below).

use super::{AgreementAction, DestinationAction, Party};

/// Whether an action asks for a reason (≤ 200 characters, SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    No,
    Optional,
    Required,
}

/// Whether an action asks for an uploaded proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofNeed {
    No,
    Optional,
    Required,
    /// Required when one of these parties acts, optional for the others (the graduate's
    /// termination request needs the employer's stamped letter).
    RequiredOf(&'static [Party]),
}

impl ProofNeed {
    pub fn required_of(self, party: Party) -> bool {
        match self {
            ProofNeed::Required => true,
            ProofNeed::RequiredOf(who) => who.contains(&party),
            ProofNeed::No | ProofNeed::Optional => false,
        }
    }
}

/// The second confirmation an action asks for before it is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    No,
    /// A confirmation dialog on the page (dangerous, hard to undo).
    Dialog,
    /// A tick-box the request must carry (`agree`, `confirm`, `acknowledged`).
    Tick,
    /// The tick-box and the actor's password again: nobody signs on a graduate's behalf.
    Password,
}

/// How a page offers the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// A button on the record's page, posted to its action form, with a reason box when the
    /// reason is required.
    Button { primary: bool },
    /// A link to the terms form of the record.
    TermsForm,
    /// A form of its own on the record's page (acceptance letter, termination request, scan).
    OwnForm,
    /// Started from another page (the signing desk, the paper-agreement form, the destination
    /// form) because there is no record yet, or the record is being edited.
    Elsewhere,
    /// Nobody clicks it: the platform takes it (expiry).
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionSpec {
    /// The API operation (`operationId`) that takes it; `None` for the platform's own actions.
    pub operation_id: Option<&'static str>,
    /// Who may take it in some state under some settings.
    pub parties: &'static [Party],
    pub reason: Need,
    pub proof: ProofNeed,
    pub confirm: Confirm,
    pub control: Control,
    /// The text of its button or link.
    pub button: &'static str,
    /// Its words in the trail and in messages.
    pub words: &'static str,
}

const GRADUATE: &[Party] = &[Party::Graduate];
const EMPLOYER: &[Party] = &[Party::Employer];
const BOTH_SIDES: &[Party] = &[Party::Graduate, Party::Employer];
const STAFF: &[Party] = &[Party::DepartmentReviewer, Party::SchoolAdmin];
const SCHOOL: &[Party] = &[Party::SchoolAdmin];
const SYSTEM: &[Party] = &[Party::System];

const fn row(
    operation_id: Option<&'static str>,
    parties: &'static [Party],
    reason: Need,
    control: Control,
    button: &'static str,
    words: &'static str,
) -> ActionSpec {
    ActionSpec {
        operation_id,
        parties,
        reason,
        proof: ProofNeed::No,
        confirm: Confirm::No,
        control,
        button,
        words,
    }
}

const fn with_proof(mut s: ActionSpec, proof: ProofNeed) -> ActionSpec {
    s.proof = proof;
    s
}

const fn confirmed(mut s: ActionSpec, confirm: Confirm) -> ActionSpec {
    s.confirm = confirm;
    s
}

const BUTTON: Control = Control::Button { primary: false };
const PRIMARY: Control = Control::Button { primary: true };

impl AgreementAction {
    /// The action's row.
    pub const fn spec(self) -> ActionSpec {
        use AgreementAction as A;
        use Control::{Elsewhere, OwnForm, System, TermsForm};
        use Need::{No, Optional, Required};
        let w = self.label();
        match self {
            A::Invite => row(
                Some("send_invitations"),
                EMPLOYER,
                No,
                Elsewhere,
                "发送邀约",
                w,
            ),
            A::EditInvitation => row(
                Some("edit_invitation"),
                EMPLOYER,
                No,
                TermsForm,
                "修改邀约内容",
                w,
            ),
            A::Resend => row(
                Some("resend_invitation"),
                EMPLOYER,
                No,
                TermsForm,
                "修改后重新发送",
                w,
            ),
            A::Withdraw => row(
                Some("withdraw_invitation"),
                EMPLOYER,
                Optional,
                BUTTON,
                "撤回邀约",
                w,
            ),
            A::Accept => confirmed(
                row(
                    Some("accept_invitation"),
                    GRADUATE,
                    No,
                    OwnForm,
                    "现在签约",
                    w,
                ),
                Confirm::Password,
            ),
            // Rejecting ends the offer at once: the page asks first (an optional reason).
            A::Reject => confirmed(
                row(
                    Some("reject_invitation"),
                    GRADUATE,
                    Optional,
                    BUTTON,
                    "拒绝邀约",
                    w,
                ),
                Confirm::Dialog,
            ),
            A::Expire => row(None, SYSTEM, No, System, "邀约过期", w),
            A::CancelSigning => row(
                Some("cancel_signing"),
                BOTH_SIDES,
                Required,
                BUTTON,
                "撤销签约",
                w,
            ),
            A::ApproveSigning => row(
                Some("review_agreement"),
                STAFF,
                Optional,
                PRIMARY,
                "审核通过",
                w,
            ),
            A::RejectSigning => row(
                Some("review_agreement"),
                STAFF,
                Required,
                BUTTON,
                "审核不通过",
                w,
            ),
            A::RevokeReview => confirmed(
                row(
                    Some("revoke_review"),
                    SCHOOL,
                    Required,
                    BUTTON,
                    "撤回审核",
                    w,
                ),
                Confirm::Dialog,
            ),
            A::ProposeAmendment => row(
                Some("propose_amendment"),
                EMPLOYER,
                Optional,
                TermsForm,
                "修改协议条款",
                w,
            ),
            A::ConfirmAmendment => row(
                Some("confirm_amendment"),
                GRADUATE,
                Optional,
                PRIMARY,
                "确认修改",
                w,
            ),
            A::DeclineAmendment => row(
                Some("confirm_amendment"),
                GRADUATE,
                Optional,
                BUTTON,
                "不同意修改",
                w,
            ),
            A::WithdrawAmendment => row(
                Some("withdraw_amendment"),
                EMPLOYER,
                Optional,
                BUTTON,
                "撤回修改",
                w,
            ),
            A::RequestTermination => confirmed(
                with_proof(
                    row(
                        Some("request_termination"),
                        BOTH_SIDES,
                        Required,
                        OwnForm,
                        "提交解约申请",
                        w,
                    ),
                    ProofNeed::RequiredOf(GRADUATE),
                ),
                Confirm::Tick,
            ),
            A::AgreeTermination => row(
                Some("answer_termination"),
                BOTH_SIDES,
                Optional,
                PRIMARY,
                "同意解约",
                w,
            ),
            A::CancelTermination => row(
                Some("cancel_termination"),
                BOTH_SIDES,
                Optional,
                BUTTON,
                "撤回解约申请",
                w,
            ),
            A::ApproveTermination => row(
                Some("review_termination"),
                STAFF,
                Optional,
                PRIMARY,
                "解约审核通过",
                w,
            ),
            A::RejectTermination => row(
                Some("review_termination"),
                STAFF,
                Required,
                BUTTON,
                "解约审核不通过",
                w,
            ),
            A::ForceTerminate => confirmed(
                row(
                    Some("force_terminate"),
                    SCHOOL,
                    Required,
                    BUTTON,
                    "强制解约",
                    w,
                ),
                Confirm::Dialog,
            ),
            A::CreateDraft => row(
                Some("create_paper_agreement"),
                GRADUATE,
                No,
                Elsewhere,
                "保存草稿",
                w,
            ),
            A::EditDraft => row(
                Some("update_paper_agreement"),
                GRADUATE,
                No,
                Elsewhere,
                "修改草稿",
                w,
            ),
            A::SubmitPaper => confirmed(
                row(
                    Some("submit_paper_agreement"),
                    GRADUATE,
                    No,
                    PRIMARY,
                    "生成并提交协议书（提交后不能修改）",
                    w,
                ),
                Confirm::Tick,
            ),
            A::UploadSignedScan => with_proof(
                row(
                    Some("upload_signed_agreement"),
                    GRADUATE,
                    No,
                    OwnForm,
                    "上传并提交审核",
                    w,
                ),
                ProofNeed::Required,
            ),
        }
    }
}

impl DestinationAction {
    /// The action's row.
    pub const fn spec(self) -> ActionSpec {
        use Control::Elsewhere;
        use DestinationAction as A;
        use Need::{No, Optional, Required};
        let w = self.label();
        match self {
            A::Register => with_proof(
                row(
                    Some("register_destination"),
                    GRADUATE,
                    No,
                    Elsewhere,
                    "提交登记",
                    w,
                ),
                ProofNeed::Optional,
            ),
            A::WithdrawRegistration => row(
                Some("withdraw_destination"),
                GRADUATE,
                Optional,
                BUTTON,
                "撤回登记",
                w,
            ),
            A::Approve => row(
                Some("review_destination"),
                STAFF,
                Optional,
                PRIMARY,
                "审核通过",
                w,
            ),
            A::RejectRegistration => row(
                Some("review_destination"),
                STAFF,
                Required,
                BUTTON,
                "审核不通过",
                w,
            ),
            A::RequestRelease => with_proof(
                row(
                    Some("request_destination_release"),
                    GRADUATE,
                    Required,
                    Control::OwnForm,
                    "申请解除",
                    w,
                ),
                ProofNeed::Required,
            ),
            A::ApproveRelease => row(
                Some("review_destination"),
                STAFF,
                Optional,
                PRIMARY,
                "同意解除",
                w,
            ),
            A::RejectRelease => row(
                Some("review_destination"),
                STAFF,
                Required,
                BUTTON,
                "不同意解除",
                w,
            ),
            A::Unlock => confirmed(
                row(
                    Some("unlock_destination"),
                    SCHOOL,
                    Required,
                    BUTTON,
                    "解锁（恢复待就业）",
                    w,
                ),
                Confirm::Dialog,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;

    #[test]
    fn every_agreement_action_names_exactly_the_parties_that_decide_lets_take_it() {
        for a in AgreementAction::ALL {
            let spec = a.spec();
            for p in Party::ALL {
                let may = [AgreementKind::Online, AgreementKind::Paper]
                    .iter()
                    .any(|k| party_may_ever(*a, p, *k));
                assert_eq!(
                    spec.parties.contains(&p),
                    may,
                    "{a:?} by {p:?}: the spec row and decide disagree"
                );
            }
            assert_eq!(spec.words, a.label());
            assert_eq!(
                spec.operation_id.is_none(),
                spec.control == Control::System,
                "{a:?}: only the platform's actions have no operation"
            );
        }
    }

    #[test]
    fn every_destination_action_names_exactly_the_parties_that_decide_lets_take_it() {
        // A complete form, so that the registration is decided by its parties alone.
        let facts = DestinationFacts {
            entry: Some(crate::destination_form::DestinationEntry::sample()),
            ..DestinationFacts::default()
        };
        for a in DestinationAction::ALL {
            for p in Party::ALL {
                let may = DestinationState::ALL
                    .iter()
                    .map(|s| Some(*s))
                    .chain([None])
                    .any(|s| decide_destination(s, *a, p, &facts).is_ok());
                assert_eq!(a.spec().parties.contains(&p), may, "{a:?} by {p:?}");
            }
        }
    }

    #[test]
    fn only_the_platform_expires_and_operations_are_snake_case() {
        for s in AgreementAction::ALL
            .iter()
            .map(|a| a.spec())
            .chain(DestinationAction::ALL.iter().map(|a| a.spec()))
        {
            if let Some(op) = s.operation_id {
                assert!(
                    op.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{op}"
                );
            }
            assert!(!s.button.is_empty());
        }
    }
}
