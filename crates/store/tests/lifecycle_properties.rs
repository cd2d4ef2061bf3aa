//! Property test on the real store: random sequences of actions by every role never break the
//! invariants, and each record's state is the replay of its flow trail.
//!
//! Runs on SQLite, or on PostgreSQL when `WANGQIAN_TEST_PG` names a server.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use wangqian_domain::lifecycle::{
    parse_agreement_number, AgreementAction, AgreementKind, AgreementState, DestinationAction,
    DestinationState,
};
use wangqian_domain::role::Actor;
use wangqian_store::accounts::{self, SessionPolicy};
use wangqian_store::blobs::{BlobStore, LocalFolder};
use wangqian_store::employers::UploadedFile;
use wangqian_store::lifecycle::destinations::{self, DestinationDecision, RegisterDestination};
use wangqian_store::lifecycle::find::{self, FindGraduates};
use wangqian_store::lifecycle::invitations::{
    self, AcceptInvitation, EditInvitation, Remark, SendInvitations,
};
use wangqian_store::lifecycle::paper::{self, PaperAgreementInput, SubmitPaper};
use wangqian_store::lifecycle::review::{
    self, AmendmentAnswer, ProposeAmendment, ReviewDecision, TerminationAnswer, TerminationRequest,
};
use wangqian_store::lifecycle::{trail, views};
use wangqian_store::pii::PiiField;
use wangqian_store::{demo, Clock, Pii, ServiceError, Store};
use wangqian_store::{AgreementId, DestinationId, GraduateId};

#[derive(Debug, Clone)]
enum Step {
    Invite {
        employer: usize,
        graduate: usize,
    },
    /// `wild`: a random action by a random actor (mostly refused); otherwise one of the actions
    /// some actor may take now, so that the walk reaches deep states.
    Agreement {
        pick: usize,
        /// An index into `AgreementAction::ALL`.
        action: usize,
        actor: usize,
        wild: bool,
        choice: usize,
    },
    Destination {
        graduate: usize,
    },
    DestinationAct {
        pick: usize,
        /// An index into `DestinationAction::ALL`.
        action: usize,
        actor: usize,
    },
    Paper {
        graduate: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize, any::<usize>()).prop_map(|(employer, graduate)| Step::Invite { employer, graduate }),
        12 => (any::<usize>(), 0..AgreementAction::ALL.len(), any::<usize>(), prop::bool::weighted(0.2), any::<usize>())
            .prop_map(|(pick, action, actor, wild, choice)| Step::Agreement { pick, action, actor, wild, choice }),
        1 => any::<usize>().prop_map(|graduate| Step::Destination { graduate }),
        3 => (any::<usize>(), 0..DestinationAction::ALL.len(), any::<usize>()).prop_map(|(pick, action, actor)| Step::DestinationAct { pick, action, actor }),
        1 => any::<usize>().prop_map(|graduate| Step::Paper { graduate }),
    ]
}

/// The index of an action the walk can take (every action of the spec table is one).
fn dispatch_index(action: &str) -> Option<usize> {
    AgreementAction::ALL
        .iter()
        .position(|a| a.as_str() == action)
}

fn paper_input(cohort: u16, salary: u32) -> PaperAgreementInput {
    PaperAgreementInput {
        employer: wangqian_domain::terms::PaperEmployer {
            name: "示例单位".into(),
            credit_code: "91350200776049653A".into(),
            unit_nature_code: "39".into(),
            industry_code: "34".into(),
            location: "安徽省合肥市".into(),
            address: "示例路 1 号".into(),
            postcode: "230000".into(),
        },
        terms: terms(cohort, salary),
        version: None,
    }
}

struct World {
    store: Store,
    blobs: Arc<dyn BlobStore>,
    /// graduates first (as many as `graduates`), then employers hr1–hr3, then the reviewers of
    /// the graduates' departments and the two school administrators.
    actors: Vec<Actor>,
    employers: std::ops::Range<usize>,
    graduates: Vec<(GraduateId, String, String, String)>, // id, name, id number, school code
    /// The demo cohort, from the store's clock.
    cohort: u16,
}

fn terms(cohort: u16, salary: u32) -> wangqian_domain::terms::AgreementTerms {
    wangqian_domain::terms::AgreementTerms {
        position_category: "工程技术人员".into(),
        position_category_code: None,
        position: "工程师".into(),
        probation_months: 3,
        probation_salary_yuan: salary,
        regular_salary_yuan: salary,
        breach_penalty_yuan: 0,
        report_place: "合肥".into(),
        report_deadline: format!("{cohort}-07-01"),
        work_location: "安徽省合肥市".into(),
        report_region: None,
        work_region: None,
        contact_name: "王经理".into(),
        contact_phone: "0551-65551234".into(),
        archive_receiver: String::new(),
        household_receiver: String::new(),
        archive: None,
        household: None,
        agreed_terms: String::new(),
    }
}

fn png() -> UploadedFile {
    UploadedFile {
        content_type: "image/png".into(),
        original_name: "p.png".into(),
        bytes: vec![0x89, b'P', b'N', b'G'],
    }
}

/// The store's clock: settable, at `WANGQIAN_TEST_NOW` (a China date, 9:00 that day, or an
/// RFC 3339 instant) or now, as in the web suite.
fn test_clock() -> Clock {
    match std::env::var("WANGQIAN_TEST_NOW")
        .ok()
        .filter(|s| !s.trim().is_empty())
    {
        Some(s) => Clock::starting_at(Clock::parse_start(&s).unwrap_or_else(|| {
            panic!("WANGQIAN_TEST_NOW: expected YYYY-MM-DD or RFC 3339, got {s}")
        })),
        None => Clock::settable(),
    }
}

async fn world() -> World {
    let dir = std::env::temp_dir().join(format!("wangqian-prop-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = match std::env::var("WANGQIAN_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())
    {
        Some(server) => {
            sqlx::any::install_default_drivers();
            let server = server.trim_end_matches('/').to_string();
            let name = format!("wqp_{}", std::process::id());
            let pool = sqlx::AnyPool::connect(&format!("{server}/postgres"))
                .await
                .unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&pool)
                .await
                .unwrap();
            format!("{server}/{name}")
        }
        None => format!("sqlite://{}", dir.join("p.db").display()),
    };
    let store = Store::connect(&url, Pii::new([7; 32]))
        .await
        .unwrap()
        .with_clock(test_clock());
    let cohort = demo::current_cohort(store.now());
    let blobs: Arc<dyn BlobStore> = Arc::new(LocalFolder::new(dir.join("uploads")));
    let accounts_list = demo::seed(&store, blobs.as_ref()).await.unwrap().unwrap();
    // School 19102 reviews in one level and binds on acceptance, with one termination.
    let (s2,): (String,) = sqlx::query_as("SELECT id FROM schools WHERE code = '19102'")
        .fetch_one(store.reader())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO signing_settings (school_id, graduation_year, signing_opens_on, signing_closes_on, review_levels, binding_moment, \
         employer_may_request_termination, termination_not_before, max_terminations, invitation_validity_days, employer_verification, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'one', 'on_acceptance', 0, $3, 1, 5, 'platform_sufficient', 0, 0)",
    )
    .bind(s2)
    .bind(i64::from(cohort))
    .bind(format!("{}-09-01", cohort - 1))
    .bind(format!("{cohort}-12-31"))
    .execute(store.writer())
    .await
    .unwrap();
    let policy = SessionPolicy::default();
    let login = |name: String| {
        let store = store.clone();
        async move {
            accounts::login(&store, &name, demo::DEMO_PASSWORD, "prop", &policy)
                .await
                .unwrap()
                .session
                .actor
        }
    };
    // The two demo graduates, plus two more bound per school, so that outcomes held by some
    // graduates do not stall the walk.
    let mut grads: Vec<String> = accounts_list
        .iter()
        .filter(|a| a.role == "毕业生")
        .map(|a| a.login.clone())
        .collect();
    for code in ["19101", "19102"] {
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT g.school_id, g.name, g.student_no, g.id_number_enc, g.training_mode_code FROM graduates g JOIN schools s ON s.id = g.school_id \
             WHERE s.code = $1 AND g.account_id IS NULL ORDER BY g.student_no LIMIT 20",
        )
        .bind(code)
        .fetch_all(store.reader())
        .await
        .unwrap();
        let mut bound = 0;
        for (school_id, name, student_no, enc, mode) in rows {
            if bound == 2 || !wangqian_domain::codes::training_mode_may_sign(&mode) {
                continue;
            }
            let id_number = store.pii.decrypt(PiiField::IdNumber, &enc).unwrap();
            accounts::bind_graduate(
                &store,
                accounts::BindGraduate {
                    school_id,
                    name,
                    student_no,
                    id_number: id_number.clone(),
                    password: demo::DEMO_PASSWORD.into(),
                    password_confirm: demo::DEMO_PASSWORD.into(),
                },
                &policy,
            )
            .await
            .unwrap();
            grads.push(id_number);
            bound += 1;
        }
    }
    let mut actors = Vec::new();
    let mut graduates = Vec::new();
    for g in &grads {
        let a = login(g.clone()).await;
        let (name, code): (String, String) = sqlx::query_as(
            "SELECT g.name, s.code FROM graduates g JOIN schools s ON s.id = g.school_id WHERE g.id = $1",
        )
        .bind(a.graduate_id.clone().unwrap())
        .fetch_one(store.reader())
        .await
        .unwrap();
        graduates.push((a.graduate_id.clone().unwrap(), name, g.clone(), code));
        actors.push(a);
    }
    let employers = actors.len()..actors.len() + 3;
    for hr in ["hr1", "hr2", "hr3"] {
        actors.push(login(hr.into()).await);
    }
    let reviewers: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT a.login_name FROM accounts a JOIN graduates g ON g.department_id = a.department_id \
         WHERE a.role = 'department_reviewer' AND g.account_id IS NOT NULL ORDER BY a.login_name",
    )
    .fetch_all(store.reader())
    .await
    .unwrap();
    for (rev,) in reviewers {
        actors.push(login(rev).await);
    }
    actors.push(login("admin19101".into()).await);
    actors.push(login("admin19102".into()).await);
    World {
        store,
        blobs,
        actors,
        employers,
        graduates,
        cohort,
    }
}

/// Runs one step; refusals are expected, anything internal is a failure.
async fn run(w: &World, s: &Step, counter: &mut u32) -> Result<(), String> {
    *counter += 1;
    let r: Result<(), ServiceError> = match s {
        Step::Invite { employer, graduate } => {
            let e = &w.actors[w.employers.start + employer];
            let (gid, name, idn, school) = &w.graduates[graduate % w.graduates.len()];
            match find::find_graduates(
                &w.store,
                e,
                &FindGraduates {
                    school: school.clone(),
                    graduation_year: w.cohort,
                    name: name.clone(),
                    phone_or_id_number: idn.clone(),
                    add_to_send_list: true,
                },
            )
            .await
            {
                Ok(_) => invitations::send_invitations(
                    &w.store,
                    e,
                    SendInvitations {
                        all_on_send_list: false,
                        graduate_ids: vec![gid.clone()],
                        terms: terms(w.cohort, 8000),
                        validity_days: None,
                    },
                    None,
                )
                .await
                .map(|_| ()),
                Err(e) => Err(e),
            }
        }
        Step::Agreement {
            pick,
            action,
            actor,
            wild,
            choice,
        } => {
            // Recent records that can still move, so that the walk goes deep.
            let ids: Vec<(AgreementId,)> = sqlx::query_as(
                "SELECT id FROM agreements WHERE state NOT IN ('terminated', 'cancelled', 'review_rejected') ORDER BY updated_at DESC, id LIMIT 6",
            )
            .fetch_all(w.store.reader())
            .await
            .map_err(|e| e.to_string())?;
            if ids.is_empty() {
                return Ok(());
            }
            let id = ids[pick % ids.len()].0.clone();
            let (mut actor, mut action) = (*actor, *action);
            if !wild {
                let mut candidates = Vec::new();
                for (i, a) in w.actors.iter().enumerate() {
                    if let Ok(d) = views::get_agreement(&w.store, a, &id).await {
                        for act in d.actions {
                            if let Some(n) = dispatch_index(act.action) {
                                candidates.push((i, n));
                            }
                        }
                    }
                }
                if let Some(c) = candidates.get(choice % candidates.len().max(1)) {
                    (actor, action) = *c;
                }
            }
            let a = &w.actors[actor % w.actors.len()];
            let st = &w.store;
            let blobs = w.blobs.as_ref();
            let remark = || Remark {
                reason: Some("随机测试".into()),
                version: None,
            };
            let decision = |approve| ReviewDecision {
                approve,
                reason: Some("随机测试".into()),
                version: None,
            };
            // Every action is named: a new one does not compile until the walk can take it.
            use AgreementAction as A;
            let edit = |salary| EditInvitation {
                terms: terms(w.cohort, salary),
                validity_days: None,
                version: None,
            };
            match AgreementAction::ALL[action % AgreementAction::ALL.len()] {
                // New records come from their own steps (`Step::Invite`, `Step::Paper`).
                A::Invite | A::CreateDraft => Ok(()),
                A::Expire => invitations::expire_due(st, 10).await.map(|_| ()),
                A::Accept => invitations::accept_invitation(
                    st,
                    a,
                    &id,
                    AcceptInvitation {
                        password: demo::DEMO_PASSWORD.into(),
                        agree: true,
                        version: None,
                    },
                    &SessionPolicy::default(),
                    None,
                )
                .await
                .map(|_| ()),
                A::Reject => invitations::reject_invitation(st, a, &id, remark(), None)
                    .await
                    .map(|_| ()),
                A::Withdraw => invitations::withdraw_invitation(st, a, &id, remark(), None)
                    .await
                    .map(|_| ()),
                A::EditInvitation => {
                    invitations::edit_or_resend(st, a, &id, edit(8100 + *counter), false, None)
                        .await
                        .map(|_| ())
                }
                A::Resend => {
                    invitations::edit_or_resend(st, a, &id, edit(8200 + *counter), true, None)
                        .await
                        .map(|_| ())
                }
                A::ApproveSigning => review::review_agreement(st, a, &id, decision(true), None)
                    .await
                    .map(|_| ()),
                A::RejectSigning => review::review_agreement(st, a, &id, decision(false), None)
                    .await
                    .map(|_| ()),
                A::RevokeReview => review::revoke_review(st, a, &id, remark(), None)
                    .await
                    .map(|_| ()),
                A::ProposeAmendment => review::propose_amendment(
                    st,
                    a,
                    &id,
                    ProposeAmendment {
                        terms: terms(w.cohort, 8000 + *counter),
                        reason: None,
                        version: None,
                    },
                    None,
                )
                .await
                .map(|_| ()),
                act @ (A::ConfirmAmendment | A::DeclineAmendment) => review::confirm_amendment(
                    st,
                    a,
                    &id,
                    AmendmentAnswer {
                        confirm: act == A::ConfirmAmendment,
                        reason: None,
                        version: None,
                    },
                    None,
                )
                .await
                .map(|_| ()),
                A::WithdrawAmendment => review::withdraw_amendment(st, a, &id, remark(), None)
                    .await
                    .map(|_| ()),
                A::RequestTermination => review::request_termination(
                    st,
                    blobs,
                    a,
                    &id,
                    TerminationRequest {
                        reason: "随机测试".into(),
                        acknowledged: true,
                        version: None,
                    },
                    Some(png()),
                    None,
                )
                .await
                .map(|_| ()),
                A::AgreeTermination => review::answer_termination(
                    st,
                    a,
                    &id,
                    TerminationAnswer {
                        agree: true,
                        reason: None,
                        version: None,
                    },
                    None,
                )
                .await
                .map(|_| ()),
                A::CancelTermination => review::cancel_termination(st, a, &id, remark(), None)
                    .await
                    .map(|_| ()),
                A::ApproveTermination => {
                    review::review_termination(st, a, &id, decision(true), None)
                        .await
                        .map(|_| ())
                }
                A::RejectTermination => {
                    review::review_termination(st, a, &id, decision(false), None)
                        .await
                        .map(|_| ())
                }
                A::ForceTerminate => review::force_terminate(st, a, &id, remark(), None)
                    .await
                    .map(|_| ()),
                A::CancelSigning => invitations::cancel_signing(st, a, &id, remark(), None)
                    .await
                    .map(|_| ()),
                A::EditDraft => paper::update_paper_agreement(
                    st,
                    a,
                    &id,
                    paper_input(w.cohort, 9100 + *counter),
                )
                .await
                .map(|_| ()),
                A::SubmitPaper => paper::submit_paper_agreement(
                    st,
                    a,
                    &id,
                    SubmitPaper {
                        confirm: true,
                        version: None,
                    },
                    None,
                )
                .await
                .map(|_| ()),
                A::UploadSignedScan => {
                    paper::upload_signed_agreement(st, blobs, a, &id, png(), None, None)
                        .await
                        .map(|_| ())
                }
            }
        }
        Step::Destination { graduate } => destinations::register_destination(
            &w.store,
            w.blobs.as_ref(),
            &w.actors[graduate % w.graduates.len()],
            RegisterDestination {
                category_code: "80".into(),
                subcategory: "全日制".into(),
                unit_name: "江淮大学".into(),
                details: [("录取专业".to_string(), "数学".to_string())].into(),
                place_region: None,
            },
            vec![],
            None,
        )
        .await
        .map(|_| ()),
        Step::DestinationAct {
            pick,
            action,
            actor,
        } => {
            let ids: Vec<(DestinationId,)> =
                sqlx::query_as("SELECT id FROM destinations ORDER BY created_at, id")
                    .fetch_all(w.store.reader())
                    .await
                    .map_err(|e| e.to_string())?;
            if ids.is_empty() {
                return Ok(());
            }
            let id = &ids[pick % ids.len()].0;
            let a = &w.actors[actor % w.actors.len()];
            let d = |approve| DestinationDecision {
                approve,
                reason: Some("随机测试".into()),
                version: None,
            };
            use DestinationAction as D;
            match DestinationAction::ALL[action % DestinationAction::ALL.len()] {
                // Registration comes from its own step (`Step::Destination`).
                D::Register => Ok(()),
                D::WithdrawRegistration => {
                    destinations::withdraw_destination(&w.store, a, id, d(false), None)
                        .await
                        .map(|_| ())
                }
                D::Approve | D::ApproveRelease => {
                    destinations::review_destination(&w.store, a, id, d(true), None)
                        .await
                        .map(|_| ())
                }
                D::RejectRegistration | D::RejectRelease => {
                    destinations::review_destination(&w.store, a, id, d(false), None)
                        .await
                        .map(|_| ())
                }
                D::RequestRelease => destinations::request_destination_release(
                    &w.store,
                    w.blobs.as_ref(),
                    a,
                    id,
                    d(false),
                    Some(png()),
                    None,
                )
                .await
                .map(|_| ()),
                D::Unlock => destinations::unlock_destination(&w.store, a, id, d(false), None)
                    .await
                    .map(|_| ()),
            }
        }
        Step::Paper { graduate } if has_draft(w, graduate % w.graduates.len()).await => Ok(()),
        Step::Paper { graduate } => paper::create_paper_agreement(
            &w.store,
            &w.actors[graduate % w.graduates.len()],
            paper_input(w.cohort, 9000),
            None,
        )
        .await
        .map(|_| ()),
    };
    match r {
        Err(ServiceError::Internal(e)) => Err(format!("{s:?}: internal error {e:?}")),
        _ => Ok(()),
    }
}

async fn has_draft(w: &World, graduate: usize) -> bool {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM agreements WHERE graduate_id = $1 AND state = 'draft'",
    )
    .bind(w.graduates[graduate].0.clone())
    .fetch_one(w.store.reader())
    .await
    .unwrap();
    n > 0
}

async fn check_invariants(store: &Store) -> Result<(), String> {
    // 1. At most one holding record per graduate, and the outcome table agrees with the states.
    let agreements: Vec<(String, String, String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT a.id, a.kind, a.state, a.graduate_id, a.number, g.graduation_year FROM agreements a \
         JOIN graduates g ON g.id = a.graduate_id",
    )
    .fetch_all(store.reader())
    .await
    .map_err(|e| e.to_string())?;
    let dests: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, state, graduate_id FROM destinations")
            .fetch_all(store.reader())
            .await
            .map_err(|e| e.to_string())?;
    let outcomes: Vec<(String, String)> =
        sqlx::query_as("SELECT graduate_id, record_id FROM graduate_outcomes")
            .fetch_all(store.reader())
            .await
            .map_err(|e| e.to_string())?;
    let mut holding: Vec<(String, String)> = Vec::new();
    for (id, kind, state, g, number, cohort) in &agreements {
        let kind = AgreementKind::parse(kind).ok_or("kind")?;
        let st = AgreementState::parse(state).ok_or("state")?;
        if st.holds_outcome(kind) {
            holding.push((g.clone(), id.clone()));
        }
        if matches!(
            st,
            AgreementState::Effective
                | AgreementState::TerminationRequested
                | AgreementState::TerminationReview
                | AgreementState::TerminationDeptApproved
                | AgreementState::AmendmentReview
        ) && number.is_none()
        {
            return Err(format!("{id} is {state} without a number"));
        }
        // 3. Numbers have the SPEC §9 shape, the right kind digit and the graduate's cohort.
        if let Some(n) = number {
            let (k, year, _, _) = parse_agreement_number(n).ok_or(format!("bad number {n}"))?;
            if k != kind || i64::from(year) != *cohort {
                return Err(format!("number {n} does not fit {id}"));
            }
        }
    }
    for (id, state, g) in &dests {
        if DestinationState::parse(state)
            .ok_or("dstate")?
            .holds_outcome()
        {
            holding.push((g.clone(), id.clone()));
        }
    }
    holding.sort();
    let mut held = outcomes.clone();
    held.sort();
    if holding != held {
        return Err(format!(
            "holding records {holding:?} differ from outcome rows {held:?}"
        ));
    }
    let mut graduates: Vec<&String> = holding.iter().map(|h| &h.0).collect();
    graduates.dedup();
    if graduates.len() != holding.len() {
        return Err(format!("a graduate holds two outcomes: {holding:?}"));
    }
    let mut numbers: Vec<&String> = agreements.iter().filter_map(|a| a.4.as_ref()).collect();
    let n = numbers.len();
    numbers.sort();
    numbers.dedup();
    if numbers.len() != n {
        return Err("duplicate agreement numbers".into());
    }
    // 2. One pending invitation per employer and graduate.
    let pairs: Vec<(i64,)> = sqlx::query_as(
        "SELECT COUNT(*) FROM agreements WHERE state = 'invited' GROUP BY employer_id, graduate_id HAVING COUNT(*) > 1",
    )
    .fetch_all(store.reader())
    .await
    .map_err(|e| e.to_string())?;
    if !pairs.is_empty() {
        return Err("two pending invitations for one pair".into());
    }
    // 4. Every trail is intact and replays to its record's state.
    let report = trail::check(store).await.map_err(|e| e.to_string())?;
    if !report.problems.is_empty() {
        return Err(format!("trail problems: {:?}", report.problems));
    }
    Ok(())
}

#[test]
fn random_action_sequences_keep_the_invariants() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let w = rt.block_on(world());
    let cases: u32 = std::env::var("WANGQIAN_PROP_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        // Since offers may go to graduates who already hold an outcome (only an offer to a
        // free graduate can be accepted), 48 walks reached a signing review only two times in
        // three; 160 reach every deep state the check below asks for.
        .unwrap_or(160);
    // A fixed seed, so that a run is repeatable and CI cannot pass or fail by luck;
    // `WANGQIAN_PROP_SEED` explores other walks.
    let seed: u64 = std::env::var("WANGQIAN_PROP_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2026);
    let mut runner = TestRunner::new(Config {
        cases,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    });
    let counter = std::cell::Cell::new(0u32);
    let result = runner.run(&proptest::collection::vec(step(), 1..40), |steps| {
        rt.block_on(async {
            for s in &steps {
                let mut c = counter.get();
                run(&w, s, &mut c).await?;
                counter.set(c);
            }
            check_invariants(&w.store).await
        })
        .map_err(TestCaseError::fail)
    });
    result.unwrap();
    // The random walks must reach deep states, or the property says little.
    let done: Vec<(String, i64)> = rt
        .block_on(
            sqlx::query_as(
                "SELECT action, COUNT(*) FROM flow_events GROUP BY action ORDER BY action",
            )
            .fetch_all(w.store.reader()),
        )
        .unwrap();
    eprintln!("actions taken: {done:?}");
    let kinds: Vec<&str> = done.iter().map(|d| d.0.as_str()).collect();
    for needed in [
        "invite",
        "accept",
        "approve_signing",
        "register",
        "submit_paper",
    ] {
        assert!(kinds.contains(&needed), "no {needed} in {done:?}");
    }
}
