use super::*;
use crate::ids::Millis;
use std::collections::HashMap;

/// The expected transitions, written out by hand from SPEC §5–§7 and independently of `decide`:
/// `state action party -> to`. The context used: termination asked by the graduate, amendment
/// proposed on a signed agreement, window open, deadline not passed.
fn expected(kind: AgreementKind, levels: ReviewLevels, binding: BindingMoment) -> Vec<String> {
    let mut t: Vec<String> = Vec::new();
    let mut add = |line: &str| t.push(line.to_string());
    let holds: Vec<AgreementState> = AgreementState::ALL
        .iter()
        .copied()
        .filter(|s| s.holds_outcome(kind))
        .collect();
    for s in &holds {
        add(&format!(
            "{} force_terminate school_admin -> terminated",
            s.as_str()
        ));
    }
    let two = levels == ReviewLevels::Two;
    match kind {
        AgreementKind::Online => {
            add("invited withdraw employer -> invited_withdrawn");
            add("invited edit_invitation employer -> invited");
            for s in ["withdrawn", "rejected", "expired"] {
                add(&format!("{s} resend employer -> invited"));
            }
            add("invited accept graduate -> signed");
            add("invited reject graduate -> rejected");
            if two {
                add("signed approve_signing department_reviewer -> dept_approved");
                add("signed reject_signing department_reviewer -> review_rejected");
                add("signed reject_signing school_admin -> review_rejected");
            } else {
                add("signed approve_signing school_admin -> effective");
                add("signed reject_signing school_admin -> review_rejected");
            }
            add("dept_approved approve_signing school_admin -> effective");
            add("dept_approved reject_signing school_admin -> review_rejected");
            add("dept_approved revoke_review school_admin -> signed");
            add("effective revoke_review school_admin -> signed");
            add("review_rejected revoke_review school_admin -> signed");
            if binding == BindingMoment::OnAttestation {
                for s in ["signed", "dept_approved"] {
                    add(&format!("{s} cancel_signing graduate -> cancelled"));
                    add(&format!("{s} cancel_signing employer -> cancelled"));
                }
            }
            add("signed propose_amendment employer -> amendment_pending");
            add("effective propose_amendment employer -> amendment_pending");
            add("amendment_pending confirm_amendment graduate -> signed");
            add("amendment_pending decline_amendment graduate -> signed");
            add("amendment_pending withdraw_amendment employer -> signed");
            add("amendment_review approve_signing school_admin -> effective");
            add("amendment_review reject_signing school_admin -> effective");
            add("effective request_termination graduate -> termination_requested");
            add("effective request_termination employer -> termination_requested");
            add("termination_requested agree_termination employer -> termination_review");
            add("termination_requested cancel_termination graduate -> effective");
        }
        AgreementKind::Paper => {
            add("draft submit_paper graduate -> content_review");
            add("draft edit_draft graduate -> draft");
            for p in ["department_reviewer", "school_admin"] {
                add(&format!(
                    "content_review approve_signing {p} -> awaiting_feedback"
                ));
                add(&format!("content_review reject_signing {p} -> draft"));
                add(&format!("feedback_review approve_signing {p} -> effective"));
                add(&format!(
                    "feedback_review reject_signing {p} -> awaiting_feedback"
                ));
            }
            add("awaiting_feedback upload_signed_scan graduate -> feedback_review");
            add("effective revoke_review school_admin -> feedback_review");
            add("effective request_termination graduate -> termination_review");
        }
    }
    if two {
        add("termination_review approve_termination department_reviewer -> termination_dept_approved");
        add("termination_review reject_termination department_reviewer -> effective");
        add("termination_review reject_termination school_admin -> effective");
    } else {
        add("termination_review approve_termination school_admin -> terminated");
        add("termination_review reject_termination school_admin -> effective");
    }
    // Reached only under two levels, but a school that switches to one level mid-flight must
    // still be able to finish what its departments approved.
    add("termination_dept_approved approve_termination school_admin -> terminated");
    add("termination_dept_approved reject_termination school_admin -> effective");
    // The pairs the termination/amendment rules reject for a role that may otherwise act are
    // listed by the rule tests below, not here.
    t.into_iter()
        .map(|l| l.replace("invited_withdrawn", "withdrawn"))
        .collect()
}

/// Actions that exist in a state but are refused to one of the two signing parties by a rule
/// of the context (not by role): the graduate asked for the termination, so only the employer
/// may agree and only the graduate may cancel.
fn refused_by_rule(state: &str, action: &str, party: &str) -> bool {
    matches!(
        (state, action, party),
        ("termination_requested", "agree_termination", "graduate")
            | ("termination_requested", "cancel_termination", "employer")
    )
}

#[test]
fn every_transition_for_every_party_matches_the_table() {
    let mut checked = 0;
    for kind in [AgreementKind::Online, AgreementKind::Paper] {
        for levels in [ReviewLevels::One, ReviewLevels::Two] {
            for binding in [BindingMoment::OnAcceptance, BindingMoment::OnAttestation] {
                let ctx = Facts {
                    review_levels: levels,
                    binding_moment: binding,
                    termination_requested_by: Some(Party::Graduate),
                    amendment_from: Some(AgreementState::Signed),
                    ..Facts::open(kind)
                };
                let mut table: HashMap<(String, String, String), String> = HashMap::new();
                for line in expected(kind, levels, binding) {
                    let (lhs, to) = line.split_once(" -> ").unwrap();
                    let mut w = lhs.split(' ');
                    let key = (
                        w.next().unwrap().to_string(),
                        w.next().unwrap().to_string(),
                        w.next().unwrap().to_string(),
                    );
                    assert!(table.insert(key, to.to_string()).is_none(), "{line}");
                }
                for &state in AgreementState::ALL {
                    for &action in AgreementAction::ALL {
                        let some_party_may = Party::ALL.iter().any(|p| {
                            table.contains_key(&(
                                state.as_str().into(),
                                action.as_str().into(),
                                p.as_str().into(),
                            ))
                        });
                        for &party in &Party::ALL {
                            checked += 1;
                            let key = (
                                state.as_str().to_string(),
                                action.as_str().to_string(),
                                party.as_str().to_string(),
                            );
                            let got = decide(Some(state), action, party, &ctx);
                            let what = format!(
                                "{kind:?} {levels:?} {binding:?}: {} {} by {}",
                                state.as_str(),
                                action.as_str(),
                                party.as_str()
                            );
                            match table.get(&key) {
                                Some(to) => {
                                    let t = got.unwrap_or_else(|e| panic!("{what} refused: {e:?}"));
                                    assert_eq!(t.to.as_str(), to, "{what}");
                                }
                                None if kind == AgreementKind::Online
                                    && refused_by_rule(&key.0, &key.1, &key.2) =>
                                {
                                    assert!(matches!(got, Err(Refusal::Rule(_))), "{what}: {got:?}")
                                }
                                None if some_party_may => {
                                    assert_eq!(got, Err(Refusal::Role), "{what}")
                                }
                                None if state.belongs_to(kind)
                                    && !is_rule_gated(state, action, kind, binding) =>
                                {
                                    assert_eq!(got, Err(Refusal::State), "{what}")
                                }
                                None => assert!(got.is_err(), "{what}: {got:?}"),
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(
        checked,
        2 * 2 * 2 * AgreementState::ALL.len() * AgreementAction::ALL.len() * 5
    );
}

/// (state, action) pairs that exist but whose rule fails in the table's context for everyone:
/// expiry before the deadline, cancelling where acceptance binds.
fn is_rule_gated(
    state: AgreementState,
    action: AgreementAction,
    kind: AgreementKind,
    binding: BindingMoment,
) -> bool {
    use AgreementAction as A;
    use AgreementState as S;
    kind == AgreementKind::Online
        && match (state, action) {
            (S::Invited, A::Expire) => true,
            (S::Signed | S::DeptApproved, A::CancelSigning) => {
                binding == BindingMoment::OnAcceptance
            }
            _ => false,
        }
}

fn online() -> Facts {
    Facts::open(AgreementKind::Online)
}

#[test]
fn an_invitation_past_its_deadline_cannot_be_answered_but_expires() {
    let ctx = Facts {
        deadline_passed: true,
        ..online()
    };
    for a in [AgreementAction::Accept, AgreementAction::Reject] {
        assert_eq!(
            decide(Some(AgreementState::Invited), a, Party::Graduate, &ctx),
            Err(Refusal::Rule(DEADLINE_PASSED.into()))
        );
    }
    let t = decide(
        Some(AgreementState::Invited),
        AgreementAction::Expire,
        Party::System,
        &ctx,
    )
    .unwrap();
    assert_eq!(t.to, AgreementState::Expired);
    assert_eq!(
        decide(
            Some(AgreementState::Invited),
            AgreementAction::Expire,
            Party::System,
            &online()
        ),
        Err(Refusal::Rule(NOT_YET_DUE.into()))
    );
}

#[test]
fn accepting_takes_the_outcome_and_approval_assigns_the_number_once() {
    let t = decide(
        Some(AgreementState::Invited),
        AgreementAction::Accept,
        Party::Graduate,
        &online(),
    )
    .unwrap();
    assert_eq!(t.slot, OutcomeSlot::Take);
    let t = decide(
        Some(AgreementState::DeptApproved),
        AgreementAction::ApproveSigning,
        Party::SchoolAdmin,
        &online(),
    )
    .unwrap();
    assert!(t.assign_number);
    // Approving an amendment keeps the number the agreement already has.
    let t = decide(
        Some(AgreementState::AmendmentReview),
        AgreementAction::ApproveSigning,
        Party::SchoolAdmin,
        &online(),
    )
    .unwrap();
    assert!(!t.assign_number && t.adopt_amendment);
}

#[test]
fn signing_outside_the_window_is_refused() {
    let ctx = Facts {
        signing_open: false,
        ..online()
    };
    assert_eq!(
        decide(
            Some(AgreementState::Invited),
            AgreementAction::Accept,
            Party::Graduate,
            &ctx
        ),
        Err(Refusal::Rule(WINDOW_CLOSED.into()))
    );
    let paper = Facts {
        signing_open: false,
        ..Facts::open(AgreementKind::Paper)
    };
    assert_eq!(
        decide(
            Some(AgreementState::Draft),
            AgreementAction::SubmitPaper,
            Party::Graduate,
            &paper
        ),
        Err(Refusal::Rule(WINDOW_CLOSED.into()))
    );
}

#[test]
fn termination_follows_the_school_settings() {
    let e = AgreementState::Effective;
    let r = AgreementAction::RequestTermination;
    let no_employer = Facts {
        employer_may_request_termination: false,
        ..online()
    };
    assert_eq!(
        decide(Some(e), r, Party::Employer, &no_employer),
        Err(Refusal::Rule(EMPLOYER_MAY_NOT_TERMINATE.into()))
    );
    assert!(decide(Some(e), r, Party::Graduate, &no_employer).is_ok());
    let early = Facts {
        termination_open: false,
        ..online()
    };
    assert_eq!(
        decide(Some(e), r, Party::Graduate, &early),
        Err(Refusal::Rule(TERMINATION_NOT_OPEN.into()))
    );
    let spent = Facts {
        terminations_used: 3,
        max_terminations: 3,
        ..online()
    };
    assert_eq!(
        decide(Some(e), r, Party::Graduate, &spent),
        Err(Refusal::Rule(NO_TERMINATIONS_LEFT.into()))
    );
    let none_allowed = Facts {
        max_terminations: 0,
        ..online()
    };
    assert!(decide(Some(e), r, Party::Graduate, &none_allowed).is_err());
    // Paper: the employer is not a party on the platform.
    let paper = Facts::open(AgreementKind::Paper);
    assert_eq!(
        decide(Some(e), r, Party::Employer, &paper),
        Err(Refusal::Role)
    );
    assert_eq!(
        decide(Some(e), r, Party::Graduate, &paper).unwrap().to,
        AgreementState::TerminationReview
    );
}

#[test]
fn only_the_other_party_agrees_and_only_the_requester_cancels() {
    let s = AgreementState::TerminationRequested;
    let by_employer = Facts {
        termination_requested_by: Some(Party::Employer),
        ..online()
    };
    assert!(decide(
        Some(s),
        AgreementAction::AgreeTermination,
        Party::Graduate,
        &by_employer
    )
    .is_ok());
    assert!(decide(
        Some(s),
        AgreementAction::AgreeTermination,
        Party::Employer,
        &by_employer
    )
    .is_err());
    assert!(decide(
        Some(s),
        AgreementAction::CancelTermination,
        Party::Employer,
        &by_employer
    )
    .is_ok());
    assert!(decide(
        Some(s),
        AgreementAction::CancelTermination,
        Party::Graduate,
        &by_employer
    )
    .is_err());
    assert_eq!(awaiting(s, &by_employer), Some(Party::Graduate));
}

#[test]
fn approved_termination_counts_and_releases() {
    let one = Facts {
        review_levels: ReviewLevels::One,
        ..online()
    };
    let t = decide(
        Some(AgreementState::TerminationReview),
        AgreementAction::ApproveTermination,
        Party::SchoolAdmin,
        &one,
    )
    .unwrap();
    assert_eq!(t.to, AgreementState::Terminated);
    assert!(t.counts_termination);
    assert_eq!(t.slot, OutcomeSlot::Release);
    // A forced termination releases but is not the graduate's choice: it does not count.
    let f = decide(
        Some(AgreementState::Effective),
        AgreementAction::ForceTerminate,
        Party::SchoolAdmin,
        &one,
    )
    .unwrap();
    assert!(!f.counts_termination && f.slot == OutcomeSlot::Release);
}

#[test]
fn an_amendment_of_an_effective_agreement_goes_back_to_the_school() {
    let ctx = Facts {
        amendment_from: Some(AgreementState::Effective),
        ..online()
    };
    let p = AgreementState::AmendmentPending;
    let confirm = decide(
        Some(p),
        AgreementAction::ConfirmAmendment,
        Party::Graduate,
        &ctx,
    )
    .unwrap();
    assert_eq!(confirm.to, AgreementState::AmendmentReview);
    assert!(
        !confirm.adopt_amendment,
        "adopted only when the school approves"
    );
    let decline = decide(
        Some(p),
        AgreementAction::DeclineAmendment,
        Party::Graduate,
        &ctx,
    )
    .unwrap();
    assert_eq!(decline.to, AgreementState::Effective);
    assert!(decline.drop_amendment);
    // Before review, the graduate's confirmation adopts the new terms at once.
    let before = Facts {
        amendment_from: Some(AgreementState::Signed),
        ..online()
    };
    let c = decide(
        Some(p),
        AgreementAction::ConfirmAmendment,
        Party::Graduate,
        &before,
    )
    .unwrap();
    assert!(c.adopt_amendment && c.to == AgreementState::Signed);
}

#[test]
fn outcome_is_held_exactly_by_the_states_between_take_and_release() {
    // Walk every allowed transition from every state: a Take must start outside the
    // outcome-holding states and end inside, a Release the reverse, a Keep stays on its side.
    for kind in [AgreementKind::Online, AgreementKind::Paper] {
        for from_amend in [AgreementState::Signed, AgreementState::Effective] {
            let ctx = Facts {
                termination_requested_by: Some(Party::Graduate),
                amendment_from: Some(from_amend),
                ..Facts::open(kind)
            };
            for &s in AgreementState::ALL {
                for &a in AgreementAction::ALL {
                    for p in Party::ALL {
                        if let Ok(t) = decide(Some(s), a, p, &ctx) {
                            let before = s.holds_outcome(kind);
                            let after = t.to.holds_outcome(kind);
                            match t.slot {
                                OutcomeSlot::Take => assert!(!before && after, "{s:?} {a:?}"),
                                OutcomeSlot::Release => assert!(before && !after, "{s:?} {a:?}"),
                                OutcomeSlot::Keep => assert_eq!(before, after, "{s:?} {a:?}"),
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_province_acts_as_no_party() {
    assert_eq!(Party::of(Role::ProvincialAdmin), None);
    assert_eq!(Party::of(Role::EmployerMember), Some(Party::Employer));
}

#[test]
fn destination_transitions_for_every_party() {
    use DestinationAction as A;
    use DestinationState as S;
    let allowed = [
        (
            S::Submitted,
            A::WithdrawRegistration,
            &[Party::Graduate][..],
            S::Withdrawn,
        ),
        (
            S::Submitted,
            A::Approve,
            &[Party::DepartmentReviewer, Party::SchoolAdmin][..],
            S::Approved,
        ),
        (
            S::Submitted,
            A::RejectRegistration,
            &[Party::DepartmentReviewer, Party::SchoolAdmin][..],
            S::Rejected,
        ),
        (
            S::Approved,
            A::RequestRelease,
            &[Party::Graduate][..],
            S::ReleaseRequested,
        ),
        (
            S::ReleaseRequested,
            A::ApproveRelease,
            &[Party::DepartmentReviewer, Party::SchoolAdmin][..],
            S::Released,
        ),
        (
            S::ReleaseRequested,
            A::RejectRelease,
            &[Party::DepartmentReviewer, Party::SchoolAdmin][..],
            S::Approved,
        ),
        (
            S::Approved,
            A::Unlock,
            &[Party::SchoolAdmin][..],
            S::Released,
        ),
    ];
    for &s in DestinationState::ALL {
        for &a in DestinationAction::ALL {
            let row = allowed.iter().find(|r| r.0 == s && r.1 == a);
            for p in Party::ALL {
                let got = decide_destination(Some(s), a, p, &DestinationFacts::default());
                match row {
                    Some((_, _, who, to)) if who.contains(&p) => {
                        let e = got.unwrap();
                        let (t, slot) = (e.to, e.slot);
                        assert_eq!(t, *to);
                        assert_eq!(
                            slot == OutcomeSlot::Release,
                            s.holds_outcome() && !t.holds_outcome()
                        );
                    }
                    Some(_) => assert_eq!(got, Err(Refusal::Role), "{s:?} {a:?} {p:?}"),
                    None => assert_eq!(got, Err(Refusal::State), "{s:?} {a:?} {p:?}"),
                }
            }
        }
    }
}

#[test]
fn a_graduate_registers_a_destination_only_while_holding_no_outcome() {
    let free = DestinationFacts {
        outcome_held: None,
        entry: Some(crate::destination_form::DestinationEntry::sample()),
    };
    let e = decide_destination(None, DestinationAction::Register, Party::Graduate, &free).unwrap();
    assert_eq!(
        (e.to, e.slot),
        (DestinationState::Submitted, OutcomeSlot::Take)
    );
    assert!(e.notify_department && !e.notify_graduate);
    assert_eq!(e.entry.expect("checked form").unit_name, "江淮大学");
    let held = DestinationFacts {
        outcome_held: Some(Holder::Agreement),
        ..free.clone()
    };
    assert_eq!(
        decide_destination(None, DestinationAction::Register, Party::Graduate, &held),
        Err(Refusal::Rule(OUTCOME_TAKEN.into()))
    );
    assert_eq!(
        decide_destination(None, DestinationAction::Register, Party::SchoolAdmin, &free),
        Err(Refusal::Role)
    );
}

#[test]
fn a_registration_is_decided_with_its_category_form_every_problem_at_once() {
    let incomplete = DestinationFacts {
        outcome_held: None,
        entry: Some(crate::destination_form::DestinationEntry {
            category_code: "80".into(),
            ..Default::default()
        }),
    };
    let Err(Refusal::Fields(p)) = decide_destination(
        None,
        DestinationAction::Register,
        Party::Graduate,
        &incomplete,
    ) else {
        panic!("an incomplete form is refused by its fields");
    };
    let mut fields: Vec<_> = p.iter().map(|p| p.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["detail_major", "subcategory", "unit_name"]);
    // Nothing typed at all is no registration either.
    assert!(matches!(
        decide_destination(
            None,
            DestinationAction::Register,
            Party::Graduate,
            &DestinationFacts::default()
        ),
        Err(Refusal::Fields(_))
    ));
}

#[test]
fn the_school_administrator_unlocks_an_approved_destination_and_the_graduate_is_told() {
    let e = decide_destination(
        Some(DestinationState::Approved),
        DestinationAction::Unlock,
        Party::SchoolAdmin,
        &DestinationFacts::default(),
    )
    .unwrap();
    assert_eq!(e.to, DestinationState::Released);
    assert_eq!(e.slot, OutcomeSlot::Release, "the graduate is 待就业 again");
    assert!(e.notify_graduate);
    assert_eq!(e.awaiting, None);
    assert_eq!(
        DestinationAction::Unlock.spec().reason,
        spec::Need::Required
    );
    for p in [Party::DepartmentReviewer, Party::Graduate] {
        assert_eq!(
            decide_destination(
                Some(DestinationState::Approved),
                DestinationAction::Unlock,
                p,
                &DestinationFacts::default()
            ),
            Err(Refusal::Role)
        );
    }
}

#[test]
fn an_invitation_is_decided_with_every_obstacle_told_and_the_first_refusing() {
    let open = online();
    let e = decide(None, AgreementAction::Invite, Party::Employer, &open).unwrap();
    assert_eq!(e.to, AgreementState::Invited);
    assert_eq!(e.awaiting, Some(Party::Graduate));
    assert!(e.notify.graduate && !e.notify.employer);
    let blocked = Facts {
        training_mode_may_sign: false,
        signing_locked: true,
        outcome_held: Some(Holder::Destination),
        signing_open: false,
        employer_may_sign: false,
        employer_verification: crate::settings::EmployerVerification::SchoolRequired,
        pending_invitation: true,
        ..online()
    };
    let all = invite_obstacles(&blocked);
    // The held outcome is no obstacle (SPEC §5): five reasons, and a note for the employer.
    assert_eq!(all.len(), 5, "{all:?}");
    assert_eq!(invite_notes(&blocked).len(), 1);
    assert_eq!(
        decide(None, AgreementAction::Invite, Party::Employer, &blocked),
        Err(Refusal::Rule(all[0].clone()))
    );
    assert_eq!(
        decide(None, AgreementAction::Invite, Party::Graduate, &open),
        Err(Refusal::Role)
    );
    for (f, why) in [
        (
            Facts {
                pending_invitation: true,
                ..online()
            },
            PENDING_INVITATION,
        ),
        (
            Facts {
                signing_open: false,
                ..online()
            },
            WINDOW_CLOSED,
        ),
    ] {
        assert_eq!(
            decide(None, AgreementAction::Invite, Party::Employer, &f),
            Err(Refusal::Rule(why.into()))
        );
    }
}

#[test]
fn a_signing_lock_refuses_invitations_and_resends_with_the_schools_reason() {
    let locked = Facts {
        signing_locked: true,
        signing_lock_reason: Some("档案材料待补齐".into()),
        ..online()
    };
    let told = "学校已暂停该毕业生的网签资格（原因：档案材料待补齐）";
    assert_eq!(invite_obstacles(&locked), vec![told]);
    assert_eq!(
        decide(None, AgreementAction::Invite, Party::Employer, &locked),
        Err(Refusal::Rule(told.into()))
    );
    assert_eq!(
        decide(
            Some(AgreementState::Withdrawn),
            AgreementAction::Resend,
            Party::Employer,
            &locked
        ),
        Err(Refusal::Rule(told.into()))
    );
    // A lock kept from before reasons were recorded still refuses, with the plain words.
    let unexplained = Facts {
        signing_lock_reason: None,
        ..locked.clone()
    };
    assert_eq!(invite_obstacles(&unexplained), vec![SIGNING_LOCKED]);
    // Unlocked, the reason left behind means nothing.
    let unlocked = Facts {
        signing_locked: false,
        ..locked
    };
    assert!(decide(None, AgreementAction::Invite, Party::Employer, &unlocked).is_ok());
    assert_eq!(check_signing_lock_reason("  欠费  "), Ok("欠费".into()));
    assert!(check_signing_lock_reason("欠").is_err());
    assert!(check_signing_lock_reason(&"长".repeat(201)).is_err());
    assert!(check_signing_lock_reason(&"长".repeat(200)).is_ok());
}

#[test]
fn a_graduate_holding_an_outcome_is_invited_but_may_only_look_until_released() {
    let held = Facts {
        outcome_held: Some(Holder::Agreement),
        ..online()
    };
    // The employer may send; the graduate may neither accept nor reject, and is told why.
    assert!(decide(None, AgreementAction::Invite, Party::Employer, &held).is_ok());
    assert!(invite_obstacles(&held).is_empty());
    assert!(invite_notes(&held)[0].contains("解约后才能接受"));
    for a in [AgreementAction::Accept, AgreementAction::Reject] {
        assert_eq!(
            decide(Some(AgreementState::Invited), a, Party::Graduate, &held),
            Err(Refusal::Rule(ANSWER_HELD_AGREEMENT.into())),
            "{a:?}"
        );
    }
    assert!(available_actions(AgreementState::Invited, Party::Graduate, &held).is_empty());
    assert_eq!(
        view_only_reason(AgreementState::Invited, Party::Graduate, &held).as_deref(),
        Some(ANSWER_HELD_AGREEMENT)
    );
    let destination = Facts {
        outcome_held: Some(Holder::Destination),
        ..online()
    };
    assert_eq!(
        view_only_reason(AgreementState::Invited, Party::Graduate, &destination).as_deref(),
        Some(ANSWER_HELD_DESTINATION)
    );
    // Released (a termination), the same letter can be answered again.
    let free = online();
    assert_eq!(
        view_only_reason(AgreementState::Invited, Party::Graduate, &free),
        None
    );
    assert!(decide(
        Some(AgreementState::Invited),
        AgreementAction::Accept,
        Party::Graduate,
        &free
    )
    .is_ok());
    // Past the deadline the letter is view-only too, with that reason; others never answer.
    let late = Facts {
        deadline_passed: true,
        ..online()
    };
    assert!(
        view_only_reason(AgreementState::Invited, Party::Graduate, &late)
            .is_some_and(|r| r.contains("反馈有效期"))
    );
    assert_eq!(
        view_only_reason(AgreementState::Invited, Party::Employer, &held),
        None
    );
    // The employer still withdraws or edits the pending letter.
    assert_eq!(
        available_actions(AgreementState::Invited, Party::Employer, &held),
        [AgreementAction::EditInvitation, AgreementAction::Withdraw]
    );
}

#[test]
fn a_record_cannot_take_an_outcome_another_record_holds() {
    let held = Facts {
        outcome_held: Some(Holder::Agreement),
        ..online()
    };
    assert_eq!(
        decide(
            Some(AgreementState::ReviewRejected),
            AgreementAction::RevokeReview,
            Party::SchoolAdmin,
            &held
        ),
        Err(Refusal::Rule(OUTCOME_TAKEN.into()))
    );
    let paper = Facts {
        training_mode_may_sign: false,
        ..Facts::open(AgreementKind::Paper)
    };
    assert!(decide(None, AgreementAction::CreateDraft, Party::Graduate, &paper).is_err());
    let draft = decide(
        Some(AgreementState::Draft),
        AgreementAction::EditDraft,
        Party::Graduate,
        &Facts::open(AgreementKind::Paper),
    )
    .unwrap();
    assert!(!draft.logged, "a draft's edits are not steps of the trail");
}

#[test]
fn termination_facts_open_and_clear_with_the_request() {
    let e = decide(
        Some(AgreementState::Effective),
        AgreementAction::RequestTermination,
        Party::Employer,
        &online(),
    )
    .unwrap();
    assert_eq!(e.termination, TerminationChange::Open);
    assert_eq!(e.awaiting, Some(Party::Graduate), "the other side answers");
    let pending = Facts {
        termination_requested_by: Some(Party::Employer),
        ..online()
    };
    let e = decide(
        Some(AgreementState::TerminationRequested),
        AgreementAction::CancelTermination,
        Party::Employer,
        &pending,
    )
    .unwrap();
    assert_eq!(e.termination, TerminationChange::Clear);
}

#[test]
fn deadlines_end_at_midnight_china_time() {
    // 2026-11-21 15:30 UTC is 23:30 in China: still the 21st there.
    let sent = Millis(1_795_275_000_000); // 2026-11-21T15:30:00Z
    assert_eq!(china_date(sent), time::macros::date!(2026 - 11 - 21));
    let d = invitation_deadline(sent, 5);
    // 2026-11-27 00:00 China = 2026-11-26 16:00 UTC.
    assert_eq!(d, Millis(1_795_708_800_000));
    assert!(!deadline_passed(d, d.plus_ms(-1)));
    assert!(deadline_passed(d, d));
    assert_eq!(deadline_label(d), "2026年11月26日 24:00");
    assert_eq!(
        state_at(AgreementState::Invited, Some(d), d),
        AgreementState::Expired
    );
    assert_eq!(
        state_at(AgreementState::Invited, Some(d), d.plus_ms(-1)),
        AgreementState::Invited
    );
    assert_eq!(
        state_at(AgreementState::Signed, Some(d), d.plus_ms(1)),
        AgreementState::Signed
    );
    // Sent at 00:10 China time (16:10 UTC the day before) counts from the China day.
    let early = Millis(1_795_242_600_000); // 2026-11-21T06:30:00Z = 14:30 China
    assert_eq!(china_date(early), time::macros::date!(2026 - 11 - 21));
    let just_after_midnight = Millis(1_795_191_000_000); // 2026-11-21T00:10:00+08:00
    assert_eq!(
        china_date(just_after_midnight),
        time::macros::date!(2026 - 11 - 21)
    );
    assert_eq!(
        china_date(just_after_midnight.plus_ms(-20 * Millis::MINUTE)),
        time::macros::date!(2026 - 11 - 20)
    );
}

#[test]
fn agreement_numbers_round_trip() {
    let n = agreement_number(AgreementKind::Online, 2027, "19101", 42);
    assert_eq!(n, "1202719101000042");
    assert_eq!(
        parse_agreement_number(&n),
        Some((AgreementKind::Online, 2027, "19101", 42))
    );
    assert_eq!(
        agreement_number(AgreementKind::Paper, 2027, "19102", 1),
        "2202719102000001"
    );
    assert_eq!(parse_agreement_number("3202719101000042"), None);
    assert_eq!(parse_agreement_number("120271910100004"), None);
}

#[test]
fn replay_finds_the_first_step_out_of_order() {
    let step = |f: Option<&str>, t: &str| TrailStep {
        from: f.map(str::to_string),
        to: t.to_string(),
    };
    let good = vec![step(None, "invited"), step(Some("invited"), "signed")];
    assert_eq!(replay(&good), Ok(Some("signed")));
    let bad = vec![step(None, "invited"), step(Some("signed"), "effective")];
    assert_eq!(replay(&bad), Err(1));
    assert_eq!(replay(&[]), Ok(None));
}

#[test]
fn reasons_are_limited_to_200_characters() {
    assert_eq!(check_reason(Some("  "), true), Err("请填写原因"));
    assert_eq!(check_reason(None, false), Ok(String::new()));
    assert!(check_reason(Some(&"解".repeat(200)), true).is_ok());
    assert_eq!(
        check_reason(Some(&"解".repeat(201)), true),
        Err("原因不能超过200字")
    );
}

#[test]
fn every_state_has_a_status_word_and_round_trips() {
    for &s in AgreementState::ALL {
        assert_eq!(AgreementState::parse(s.as_str()), Some(s));
        assert!(!s.label().is_empty());
    }
    for &a in AgreementAction::ALL {
        assert_eq!(AgreementAction::parse(a.as_str()), Some(a));
    }
    for &s in DestinationState::ALL {
        assert_eq!(DestinationState::parse(s.as_str()), Some(s));
    }
}

#[test]
fn a_party_that_may_act_elsewhere_is_told_apart_from_one_that_never_may() {
    let k = AgreementKind::Online;
    assert!(party_may_ever(
        AgreementAction::ApproveSigning,
        Party::DepartmentReviewer,
        k
    ));
    assert!(party_may_ever(
        AgreementAction::ApproveSigning,
        Party::SchoolAdmin,
        k
    ));
    assert!(!party_may_ever(
        AgreementAction::ApproveSigning,
        Party::Graduate,
        k
    ));
    assert!(!party_may_ever(AgreementAction::Accept, Party::Employer, k));
    assert!(party_may_ever(AgreementAction::Expire, Party::System, k));
    assert!(!party_may_ever(
        AgreementAction::ForceTerminate,
        Party::DepartmentReviewer,
        k
    ));
    assert!(!party_may_ever(
        AgreementAction::RequestTermination,
        Party::Employer,
        AgreementKind::Paper
    ));
}

#[test]
fn only_a_draft_may_change_its_terms_outside_the_trail() {
    assert!(!terms_bound_by_trail(AgreementState::Draft.as_str()));
    for s in [
        AgreementState::Invited,
        AgreementState::Effective,
        AgreementState::Terminated,
    ] {
        assert!(terms_bound_by_trail(s.as_str()), "{s:?}");
    }
}

#[test]
fn a_closed_department_or_major_stops_invitations_with_its_name_and_reason() {
    let mut f = Facts::open(AgreementKind::Online);
    f.signing_closed = Some(SigningClosure {
        unit: ClosedUnit::Major,
        name: "临床医学".into(),
        reason: "待统一安排规培".into(),
    });
    let why = invite_obstacles(&f);
    assert_eq!(why.len(), 1);
    assert_eq!(
        why[0],
        "学校已暂停专业「临床医学」的网签（原因：待统一安排规培）"
    );
    let refusal = decide(None, AgreementAction::Invite, Party::Employer, &f).unwrap_err();
    assert!(format!("{refusal:?}").contains("临床医学"), "{refusal:?}");
    f.signing_closed = None;
    assert!(invite_obstacles(&f).is_empty());
}

fn place(code: &str, street: &str) -> Option<crate::terms::RegionAddress> {
    Some(crate::terms::RegionAddress {
        county_code: code.into(),
        street: street.into(),
    })
}

#[test]
fn a_destination_place_by_region_replaces_the_free_text_and_keeps_the_code() {
    let mut d = std::collections::BTreeMap::new();
    d.insert(PLACE_LABEL.to_string(), "合肥".to_string());
    place_destination(&mut d, place(" 340104 ", " 长江西路1号 ")).unwrap();
    assert_eq!(d[PLACE_LABEL], "安徽省合肥市蜀山区长江西路1号");
    assert_eq!(d[PLACE_CODE_LABEL], "340104");
    // Without a region the free text stands, as on older records.
    let mut old = std::collections::BTreeMap::new();
    old.insert(PLACE_LABEL.to_string(), "安徽省合肥市".to_string());
    place_destination(&mut old, None).unwrap();
    assert_eq!(old.len(), 1);
}

#[test]
fn a_destination_place_must_be_a_county_leaf_with_a_short_street() {
    let fields = |r| {
        let mut d = std::collections::BTreeMap::new();
        place_destination(&mut d, r)
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect::<Vec<_>>()
    };
    for code in ["340100", "999999", ""] {
        assert_eq!(
            fields(place(code, "")),
            ["place_region.county_code"],
            "{code}"
        );
    }
    assert_eq!(
        fields(place("441900", &"路".repeat(201))),
        ["place_region.street"]
    );
    let mut forged = std::collections::BTreeMap::new();
    forged.insert(PLACE_CODE_LABEL.to_string(), "340104".to_string());
    assert_eq!(
        place_destination(&mut forged, None).unwrap_err()[0].field,
        "details"
    );
}
