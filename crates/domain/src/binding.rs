//! Self-service release of a wrongly bound record (003 §1 "解除绑定并重新登录"): a graduate who
//! bound the wrong roster record may let it go and bind the right one, but only while nothing
//! they did on it would be left behind under someone else's name.

use crate::lifecycle::{AgreementState, DestinationState};

/// What the store read about the record the graduate is bound to.
#[derive(Debug, Clone, Default)]
pub struct BoundRecordFacts {
    /// The record holds the graduate's one binding outcome (SPEC §4).
    pub outcome_held: bool,
    pub agreements: Vec<AgreementState>,
    pub destinations: Vec<DestinationState>,
}

/// Why a graduate may not release the record themselves; the school administrator still can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfUnbindRefusal {
    OutcomeHeld,
    AgreementInProgress,
    DestinationInProgress,
}

impl SelfUnbindRefusal {
    pub fn message(self) -> &'static str {
        match self {
            SelfUnbindRefusal::OutcomeHeld => {
                "该学籍记录已有生效的签约或毕业去向，不能自助解除绑定，请联系学校管理员"
            }
            SelfUnbindRefusal::AgreementInProgress => {
                "该学籍记录上有正在办理的协议，不能自助解除绑定，请先处理或联系学校管理员"
            }
            SelfUnbindRefusal::DestinationInProgress => {
                "该学籍记录上有已登记的毕业去向，不能自助解除绑定，请先撤回或联系学校管理员"
            }
        }
    }
}

/// An agreement the graduate has acted on and that is not over. A pending invitation is not:
/// it was sent to the record, and whoever binds the record next answers it.
fn agreement_in_progress(state: AgreementState) -> bool {
    use AgreementState::*;
    !matches!(
        state,
        Invited | Withdrawn | Rejected | Expired | Cancelled | ReviewRejected | Terminated
    )
}

fn destination_in_progress(state: DestinationState) -> bool {
    use DestinationState::*;
    matches!(state, Submitted | Approved | ReleaseRequested)
}

/// Whether the graduate may release their own binding.
pub fn self_unbind(facts: &BoundRecordFacts) -> Result<(), SelfUnbindRefusal> {
    if facts.outcome_held {
        return Err(SelfUnbindRefusal::OutcomeHeld);
    }
    if facts.agreements.iter().any(|s| agreement_in_progress(*s)) {
        return Err(SelfUnbindRefusal::AgreementInProgress);
    }
    if facts
        .destinations
        .iter()
        .any(|s| destination_in_progress(*s))
    {
        return Err(SelfUnbindRefusal::DestinationInProgress);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_agreement(s: AgreementState) -> BoundRecordFacts {
        BoundRecordFacts {
            agreements: vec![s],
            ..Default::default()
        }
    }

    #[test]
    fn an_untouched_record_or_one_with_only_ended_invitations_can_be_released() {
        assert_eq!(self_unbind(&BoundRecordFacts::default()), Ok(()));
        for s in [
            AgreementState::Invited,
            AgreementState::Withdrawn,
            AgreementState::Rejected,
            AgreementState::Expired,
            AgreementState::Cancelled,
            AgreementState::ReviewRejected,
            AgreementState::Terminated,
        ] {
            assert_eq!(self_unbind(&with_agreement(s)), Ok(()), "{s:?}");
        }
        let facts = BoundRecordFacts {
            destinations: vec![DestinationState::Withdrawn, DestinationState::Released],
            ..Default::default()
        };
        assert_eq!(self_unbind(&facts), Ok(()));
    }

    #[test]
    fn anything_the_graduate_is_in_the_middle_of_keeps_the_binding() {
        use AgreementState::*;
        for s in [
            Signed,
            DeptApproved,
            AmendmentPending,
            AmendmentReview,
            Effective,
            TerminationRequested,
            TerminationReview,
            TerminationDeptApproved,
            Draft,
            ContentReview,
            AwaitingFeedback,
            FeedbackReview,
        ] {
            assert_eq!(
                self_unbind(&with_agreement(s)),
                Err(SelfUnbindRefusal::AgreementInProgress),
                "{s:?}"
            );
        }
        for s in [
            DestinationState::Submitted,
            DestinationState::Approved,
            DestinationState::ReleaseRequested,
        ] {
            let facts = BoundRecordFacts {
                destinations: vec![s],
                ..Default::default()
            };
            assert_eq!(
                self_unbind(&facts),
                Err(SelfUnbindRefusal::DestinationInProgress)
            );
        }
        let held = BoundRecordFacts {
            outcome_held: true,
            ..Default::default()
        };
        assert_eq!(self_unbind(&held), Err(SelfUnbindRefusal::OutcomeHeld));
    }
}
