//! Agreement pages: the list with to-do counts and filters, and one agreement with its terms,
//! versions, flow trail and the buttons the viewer may press (the same services as the API).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use wangqian_domain::lifecycle::spec::{Confirm, Control, Need};
use wangqian_domain::lifecycle::{AgreementAction, AgreementState};
use wangqian_domain::role::Role;
use wangqian_domain::terms::PaperEmployer;
use wangqian_store::lifecycle::invitations::{self, AcceptInvitation, EditInvitation, Remark};
use wangqian_store::lifecycle::paper::{self, PaperAgreementInput, SubmitPaper};
use wangqian_store::lifecycle::review::{
    self, AmendmentAnswer, ProposeAmendment, ReviewDecision, TerminationAnswer,
};
use wangqian_store::lifecycle::views::{
    self, AgreementDetail, AgreementFilter, AgreementListRow, TodoCounts, TrailView,
};
use wangqian_store::AgreementId;
use wangqian_store::{Page, ServiceError};

use super::error::{form_page, FormErrors, PageError, PageResult};
use super::terms_form::{form_field, TermsForm, TERM_LABELS};
use super::{bar, page_idem, render, PageForm, UploadQuery, UserBar};
use crate::auth::PageAuth;
use crate::AppState;

#[derive(Template)]
#[template(path = "agreements.html")]
struct ListPage {
    user: Option<UserBar>,
    todo: TodoCounts,
    role: &'static str,
    /// The to-do list being shown, if the page was opened from a count.
    f_todo: Option<views::AgreementTodo>,
    page: Page<AgreementListRow>,
    pages: i64,
    states: Vec<(&'static str, &'static str)>,
    f_state: String,
    f_keyword: String,
    f_mine: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    state: Option<String>,
    keyword: Option<String>,
    mine: Option<String>,
    todo: Option<String>,
    page: Option<i64>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let mine = q.mine.as_deref() == Some("1");
    // An unknown value shows the whole list rather than an error page.
    let f_todo = q.todo.as_deref().and_then(views::AgreementTodo::parse);
    let filter = AgreementFilter {
        todo: f_todo,
        state: q.state.clone(),
        keyword: q.keyword.clone(),
        awaiting_me: mine,
        page: q.page,
        per_page: Some(20),
        ..AgreementFilter::default()
    };
    let page = views::list_agreements(&state.store, &s.actor, &filter).await?;
    let todo = views::todo_counts(&state.store, &s.actor).await?;
    Ok(render(&ListPage {
        user: bar(&s),
        todo,
        role: s.actor.role.as_str(),
        f_todo,
        pages: page.pages().max(1),
        page,
        states: AgreementState::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        f_state: q.state.unwrap_or_default(),
        f_keyword: q.keyword.unwrap_or_default(),
        f_mine: mine,
    }))
}

struct TermRow {
    label: &'static str,
    value: String,
    /// The value before the last amendment, when it changed it (shown highlighted).
    was: Option<String>,
}

#[derive(Template)]
#[template(path = "agreement.html")]
struct DetailPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    errors: FormErrors,
    t_reason: String,
    t_acknowledged: bool,
    /// The acceptance's tick-box, kept when the acceptance comes back (a wrong password).
    a_agree: bool,
    /// 签约前必读 (002 §2.1.2), above the tick-box.
    before_signing: &'static str,
    a: AgreementDetail,
    terms: Vec<TermRow>,
    amendment: Vec<TermRow>,
    trail: TrailView,
    can_accept: bool,
    /// The other party asked to terminate: the answer card with the notice, 同意解约 (confirmed)
    /// and 暂不处理.
    can_answer_termination: bool,
    can_request_termination: bool,
    /// The viewer must attach the employer's stamped letter (a graduate's online request).
    termination_proof_required: bool,
    can_upload_scan: bool,
    can_edit_paper: bool,
    is_staff: bool,
    /// Actions that open the terms form: (action, link label).
    terms_links: Vec<(&'static str, &'static str)>,
    /// A fresh key per rendering: a double-clicked button acts once.
    idem: String,
    buttons: Vec<ButtonView>,
    /// Confirmed actions that need a reason, shown apart.
    dangerous: Vec<ButtonView>,
    deadline: String,
    docs: super::documents::DocumentLinks,
    /// The 鉴证 cards, for the staff who review the agreement and the province.
    att: Option<super::attestation::AttestationCards>,
}

/// The heading of a to-do list opened from its count.
fn todo_label(t: &views::AgreementTodo) -> &'static str {
    match t {
        views::AgreementTodo::Signing => "签约待办",
        views::AgreementTodo::Termination => "解约待办",
    }
}

fn todo_code(t: &views::AgreementTodo) -> &'static str {
    match t {
        views::AgreementTodo::Signing => "signing",
        views::AgreementTodo::Termination => "termination",
    }
}

impl DetailPage {
    fn terms_changed(&self) -> bool {
        self.terms.iter().any(|t| t.was.is_some())
    }
}

fn term_rows(v: &serde_json::Value) -> Vec<TermRow> {
    if !v.is_object() {
        return Vec::new();
    }
    TERM_LABELS
        .iter()
        .map(|(k, label)| TermRow {
            label,
            value: term_text(&v[*k]),
            was: None,
        })
        .collect()
}

fn term_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `rows` with what each changed from `before` marked (the reviewer sees what an amendment
/// changes, or changed, at a glance).
fn marked_against(mut rows: Vec<TermRow>, before: Option<&serde_json::Value>) -> Vec<TermRow> {
    let Some(before) = before.filter(|b| b.is_object()) else {
        return rows;
    };
    for (row, (k, _)) in rows.iter_mut().zip(TERM_LABELS.iter()) {
        let old = term_text(&before[*k]);
        if old != row.value {
            row.was = Some(old);
        }
    }
    rows
}

/// A button of an action the record's page offers (its spec row says so).
struct ButtonView {
    action: &'static str,
    label: &'static str,
    reason_required: bool,
    /// A confirmed action with an optional reason (拒绝邀约): the box goes in its form.
    reason_optional: bool,
    primary: bool,
    /// The confirmation question of a confirmed action (data-confirm), empty otherwise.
    question: String,
}

fn button(action: &str) -> Option<ButtonView> {
    let a = AgreementAction::parse(action)?;
    let spec = a.spec();
    let Control::Button { primary } = spec.control else {
        return None;
    };
    let confirmed = spec.confirm == Confirm::Dialog;
    let question = if confirmed {
        format!("确定要{}吗？此操作会通知双方并记入流转记录。", spec.button)
    } else {
        String::new()
    };
    Some(ButtonView {
        action: a.as_str(),
        label: spec.button,
        reason_required: spec.reason == Need::Required,
        reason_optional: confirmed && spec.reason == Need::Optional,
        primary,
        question,
    })
}

#[derive(Deserialize, Default)]
pub(super) struct DetailQuery {
    notice: Option<String>,
}

pub(super) async fn detail(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<AgreementId>,
    Query(q): Query<DetailQuery>,
) -> PageResult {
    // Only a known state code is shown, so that a crafted link cannot put words on the page.
    let notice = q
        .notice
        .as_deref()
        .and_then(|n| match n {
            "attested" => Some("鉴证信息已保存。".to_string()),
            n => AgreementState::parse(n).map(|st| format!("操作成功，当前状态：{}", st.label())),
        })
        .unwrap_or_default();
    detail_page(&state, &s, &id, notice, Typed::default()).await
}

/// What the agreement page's own forms (签约, 申请解约, 上传扫描件) sent, when it comes back
/// refused: the problems under their fields and the text typed.
#[derive(Default)]
pub(super) struct Typed {
    pub(super) errors: FormErrors,
    pub(super) t_reason: String,
    pub(super) t_acknowledged: bool,
    pub(super) a_agree: bool,
    /// The 鉴证 form as typed, when it came back refused.
    pub(super) att_form: Option<super::attestation::AttestationForm>,
}

/// Where the services' field errors go on the agreement page (ids of its form fields).
fn detail_field(field: &str) -> Option<String> {
    Some(
        match field {
            "password" => "a-password",
            "agree" => "a-agree",
            "reason" => "t-reason",
            "proof" => "t-proof",
            "acknowledged" => "t-acknowledged",
            "scan" => "scan-file",
            _ => return None,
        }
        .to_string(),
    )
}

pub(super) async fn detail_page(
    state: &AppState,
    s: &wangqian_store::accounts::SessionInfo,
    id: &AgreementId,
    notice: String,
    typed: Typed,
) -> PageResult {
    let a = views::get_agreement(&state.store, &s.actor, id).await?;
    let trail = views::get_agreement_trail(&state.store, &s.actor, id).await?;
    let att = super::attestation::cards(state, s, id, typed.att_form).await?;
    let can = |action: &str| a.actions.iter().any(|x| x.action == action);
    let can_accept = can("accept");
    let can_request_termination = can("request_termination");
    let can_answer_termination = can("agree_termination");
    let can_upload_scan = can("upload_signed_scan");
    let can_edit_paper = a.kind == "paper" && a.state == "draft" && s.actor.role == Role::Graduate;
    let terms_links = a
        .actions
        .iter()
        .filter_map(|x| terms_action(x.action).map(|(_, label)| (x.action, label)))
        .collect();
    // Hard-to-undo actions (撤回审核, 强制解约) get a card of their own, away from the review
    // buttons, each with its own labelled reason and a confirmation.
    let (dangerous, buttons): (Vec<_>, Vec<_>) = a
        .actions
        .iter()
        .filter(|x| x.action != "agree_termination")
        .filter_map(|x| button(x.action))
        .partition(|b| b.reason_required && !b.question.is_empty());
    let page = DetailPage {
        dangerous,
        user: bar(s),
        csrf: s.csrf_token.clone(),
        notice,
        errors: typed.errors,
        t_reason: typed.t_reason,
        t_acknowledged: typed.t_acknowledged,
        a_agree: typed.a_agree,
        before_signing: wangqian_domain::lifecycle::letter::BEFORE_SIGNING,
        termination_proof_required: s.actor.role == Role::Graduate,
        idem: wangqian_store::new_id(),
        can_request_termination,
        can_answer_termination,
        can_upload_scan,
        can_edit_paper,
        is_staff: matches!(s.actor.role, Role::SchoolAdmin | Role::DepartmentReviewer),
        terms_links,
        // The terms in force against the version they replaced; a pending amendment against
        // the terms in force.
        terms: marked_against(
            term_rows(&a.terms),
            a.versions
                .iter()
                .rev()
                .find(|v| v.status == "superseded" && v.version_no < a.terms_version)
                .map(|v| &v.terms),
        ),
        amendment: a
            .pending_amendment
            .as_ref()
            .map(|p| marked_against(term_rows(p), Some(&a.terms)))
            .unwrap_or_default(),
        att,
        deadline: a
            .deadline_at
            .map(wangqian_domain::lifecycle::deadline_label)
            .unwrap_or_default(),
        trail,
        can_accept,
        buttons,
        docs: super::documents::links_for(&a),
        a,
    };
    Ok(form_page(&page, &page.errors))
}

#[derive(Deserialize)]
pub(super) struct AcceptForm {
    password: String,
    #[serde(rename = "_idem")]
    idem: Option<String>,
    agree: Option<String>,
    version: Option<i64>,
}

pub(super) async fn accept(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<AgreementId>,
    PageForm(f): PageForm<AcceptForm>,
) -> PageResult {
    let agree = f.agree.is_some();
    let input = AcceptInvitation {
        password: f.password,
        agree,
        version: f.version,
    };
    let key = page_idem(f.idem.as_deref(), "accept")?;
    let r = invitations::accept_invitation(
        &state.store,
        &s.actor,
        &id,
        input,
        &state.session_policy,
        key.as_ref(),
    )
    .await;
    match r {
        Ok(applied) => Ok(to_record(&id, &applied.state)),
        // A wrong password comes back under the password box, on the offer itself, the
        // tick-box as it was sent.
        Err(e) => {
            let typed = Typed {
                errors: FormErrors::from_service(e, detail_field)?,
                a_agree: agree,
                ..Typed::default()
            };
            detail_page(&state, &s, &id, String::new(), typed).await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ActForm {
    action: String,
    /// The second confirmation of 生成并提交 (paper agreements).
    confirm: Option<String>,
    #[serde(rename = "_idem")]
    idem: Option<String>,
    reason: Option<String>,
    version: Option<i64>,
}

pub(super) async fn act(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<AgreementId>,
    PageForm(f): PageForm<ActForm>,
) -> PageResult {
    let key = page_idem(f.idem.as_deref(), &f.action)?;
    let (st, a, version, k) = (&state.store, &s.actor, f.version, key.as_ref());
    let reason = f.reason.filter(|r| !r.trim().is_empty());
    let remark = || Remark {
        reason: reason.clone(),
        version,
    };
    let decision = |approve| ReviewDecision {
        approve,
        reason: reason.clone(),
        version,
    };
    let Some(action) = AgreementAction::parse(&f.action) else {
        return Err(ServiceError::BadRequest("未知的操作".into()).into());
    };
    // Every action is named here, so that a new one does not compile until the page decides
    // how it is offered; the spec's `Control::Button` rows are the ones handled on this form.
    use AgreementAction as A;
    let result = match action {
        A::Reject => invitations::reject_invitation(st, a, &id, remark(), k).await,
        A::Withdraw => invitations::withdraw_invitation(st, a, &id, remark(), k).await,
        A::CancelSigning => invitations::cancel_signing(st, a, &id, remark(), k).await,
        A::ApproveSigning => review::review_agreement(st, a, &id, decision(true), k).await,
        A::RejectSigning => review::review_agreement(st, a, &id, decision(false), k).await,
        A::RevokeReview => review::revoke_review(st, a, &id, remark(), k).await,
        A::ConfirmAmendment | A::DeclineAmendment => {
            let answer = AmendmentAnswer {
                confirm: action == A::ConfirmAmendment,
                reason: reason.clone(),
                version,
            };
            review::confirm_amendment(st, a, &id, answer, k).await
        }
        A::WithdrawAmendment => review::withdraw_amendment(st, a, &id, remark(), k).await,
        A::AgreeTermination => {
            let answer = TerminationAnswer {
                agree: true,
                reason: reason.clone(),
                version,
            };
            review::answer_termination(st, a, &id, answer, k).await
        }
        A::CancelTermination => review::cancel_termination(st, a, &id, remark(), k).await,
        A::ApproveTermination => review::review_termination(st, a, &id, decision(true), k).await,
        A::RejectTermination => review::review_termination(st, a, &id, decision(false), k).await,
        A::ForceTerminate => review::force_terminate(st, a, &id, remark(), k).await,
        A::SubmitPaper => {
            let submit = SubmitPaper {
                confirm: f.confirm.is_some(),
                version,
            };
            paper::submit_paper_agreement(st, a, &id, submit, k).await
        }
        A::Invite
        | A::EditInvitation
        | A::Resend
        | A::Accept
        | A::Expire
        | A::ProposeAmendment
        | A::RequestTermination
        | A::CreateDraft
        | A::EditDraft
        | A::UploadSignedScan => Err(ServiceError::BadRequest(format!(
            "“{}”不在此处办理",
            action.label()
        ))),
    };
    done(&id, result)
}

/// Post/redirect/get to the record with its new state: a refresh does not act again.
fn to_record(id: &str, state: &str) -> Response {
    Redirect::to(&format!("/agreements/{id}?notice={state}")).into_response()
}

fn done(id: &str, r: Result<wangqian_store::lifecycle::Applied, ServiceError>) -> PageResult {
    // Post/redirect/get: a refresh does not send the action again.
    Ok(to_record(id, &r?.state))
}

/// The actions whose form is the terms of the offer (spec `Control::TermsForm`): (what the
/// page is called, link label).
fn terms_action(action: &str) -> Option<(&'static str, &'static str)> {
    let spec = AgreementAction::parse(action)?.spec();
    (spec.control == Control::TermsForm).then_some((spec.words, spec.button))
}

#[derive(Template)]
#[template(path = "agreement_terms.html")]
struct TermsPage {
    user: Option<UserBar>,
    csrf: String,
    idem: String,
    errors: FormErrors,
    id: AgreementId,
    version: i64,
    action: String,
    heading: &'static str,
    heading_for: String,
    tf: TermsForm,
    reason: String,
}

#[derive(Deserialize)]
pub(super) struct TermsQuery {
    action: String,
}

pub(super) async fn terms_form(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<AgreementId>,
    Query(q): Query<TermsQuery>,
) -> PageResult {
    let a = views::get_agreement(&state.store, &s.actor, &id).await?;
    let Some((heading, _)) = terms_action(&q.action) else {
        return Err(PageError::bad_request("未知的操作"));
    };
    if !a.actions.iter().any(|x| x.action == q.action) {
        return Err(ServiceError::Conflict(format!(
            "协议书当前状态为“{}”，不能{heading}",
            a.state_label
        ))
        .into());
    }
    Ok(render(&TermsPage {
        user: bar(&s),
        csrf: s.csrf_token.clone(),
        idem: wangqian_store::new_id(),
        errors: FormErrors::default(),
        heading_for: format!("{} · {}", a.graduate.name, a.employer_name),
        id: a.id,
        version: a.version,
        action: q.action,
        heading,
        tf: TermsForm::from_terms(&a.terms),
        reason: String::new(),
    }))
}

pub(super) async fn terms_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<AgreementId>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> PageResult {
    let action = f.get("action").cloned().unwrap_or_default();
    let Some((heading, _)) = terms_action(&action) else {
        return Err(PageError::bad_request("未知的操作"));
    };
    let tf = TermsForm::from_form(&f);
    let version = f.get("version").and_then(|v| v.trim().parse().ok());
    let reason = f.get("reason").cloned().unwrap_or_default();
    let key = page_idem(f.get("_idem").map(String::as_str), &action)?;
    let result = match tf.read() {
        Err(errors) => Err(errors),
        Ok((terms, validity_days)) => {
            let r = match action.as_str() {
                "propose_amendment" => {
                    let input = ProposeAmendment {
                        terms,
                        reason: Some(reason.clone()).filter(|r| !r.trim().is_empty()),
                        version,
                    };
                    review::propose_amendment(&state.store, &s.actor, &id, input, key.as_ref())
                        .await
                }
                _ => {
                    let input = EditInvitation {
                        terms,
                        validity_days,
                        version,
                    };
                    let resend = action == "resend";
                    invitations::edit_or_resend(
                        &state.store,
                        &s.actor,
                        &id,
                        input,
                        resend,
                        key.as_ref(),
                    )
                    .await
                }
            };
            match r {
                Ok(applied) => Ok(applied),
                Err(e) => Err(FormErrors::from_service(e, form_field)?),
            }
        }
    };
    match result {
        Ok(applied) => Ok(to_record(&id, &applied.state)),
        Err(errors) => {
            let page = TermsPage {
                user: bar(&s),
                csrf: s.csrf_token.clone(),
                idem: wangqian_store::new_id(),
                errors,
                heading_for: String::new(),
                id,
                version: version.unwrap_or_default(),
                action,
                heading,
                tf,
                reason,
            };
            Ok(form_page(&page, &page.errors))
        }
    }
}

/// 申请解约 with the reason, the acknowledgement and the stamped letter (multipart).
pub(super) async fn termination_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<AgreementId>,
    Query(q): Query<UploadQuery>,
    req: axum::extract::Request,
) -> PageResult {
    let key = page_idem(q.idem.as_deref(), "request_termination")?;
    let (form, mp) = super::kept_multipart(req, state.config.max_upload_mib).await?;
    let r = crate::api::termination_from_form(&state, &s.actor, &id, key.as_ref(), mp).await;
    match r {
        Ok(applied) => Ok(to_record(&id, &applied.state)),
        Err(e) => {
            let typed = Typed {
                errors: FormErrors::from_api(e, detail_field)?,
                t_reason: form.text("reason"),
                t_acknowledged: matches!(form.text("acknowledged").as_str(), "true" | "1" | "on"),
                ..Typed::default()
            };
            detail_page(&state, &s, &id, String::new(), typed).await
        }
    }
}

/// The scan of the signed and stamped paper agreement (multipart).
pub(super) async fn scan_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<AgreementId>,
    Query(q): Query<UploadQuery>,
    mp: Multipart,
) -> PageResult {
    let key = page_idem(q.idem.as_deref(), "upload_signed_scan")?;
    match crate::api::signed_scan_from_form(&state, &s.actor, &id, key.as_ref(), mp).await {
        Ok(applied) => Ok(to_record(&id, &applied.state)),
        Err(e) => {
            let typed = Typed {
                errors: FormErrors::from_api(e, detail_field)?,
                ..Typed::default()
            };
            detail_page(&state, &s, &id, String::new(), typed).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Paper agreements (登记纸质协议): the graduate copies the employer and the terms from the paper.

#[derive(Template)]
#[template(path = "paper_form.html")]
struct PaperPage {
    user: Option<UserBar>,
    csrf: String,
    idem: String,
    errors: FormErrors,
    /// Editing this draft; a new draft when empty.
    id: String,
    version: i64,
    employer: HashMap<String, String>,
    tf: TermsForm,
    natures: &'static [wangqian_domain::codes::CodeEntry],
    industries: &'static [wangqian_domain::codes::CodeEntry],
}

const PAPER_EMPLOYER_FIELDS: [&str; 7] = [
    "name",
    "credit_code",
    "unit_nature_code",
    "industry_code",
    "location",
    "address",
    "postcode",
];

fn employer_message(e: wangqian_domain::terms::TermsError) -> String {
    let label = match e.field {
        "name" => "单位名称",
        "location" => "单位所在地",
        "address" => "通讯地址",
        _ => return e.reason.to_string(),
    };
    format!("{label}：{}", e.reason)
}

fn paper_page(
    s: &wangqian_store::accounts::SessionInfo,
    id: String,
    version: i64,
    employer: HashMap<String, String>,
    tf: TermsForm,
    errors: FormErrors,
) -> Response {
    let page = PaperPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        idem: wangqian_store::new_id(),
        errors,
        id,
        version,
        employer,
        tf,
        natures: wangqian_domain::codes::UNIT_NATURE.entries,
        industries: wangqian_domain::codes::INDUSTRY.entries,
    };
    form_page(&page, &page.errors)
}

pub(super) async fn paper_new(PageAuth(s): PageAuth) -> PageResult {
    if s.actor.role != Role::Graduate {
        return Err(PageError::forbidden());
    }
    Ok(paper_page(
        &s,
        String::new(),
        0,
        HashMap::new(),
        TermsForm::default(),
        FormErrors::default(),
    ))
}

pub(super) async fn paper_edit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<AgreementId>,
) -> PageResult {
    let a = views::get_agreement(&state.store, &s.actor, &id).await?;
    if a.kind != "paper" || a.state != "draft" || s.actor.role != Role::Graduate {
        return Err(
            ServiceError::Conflict("只有毕业生本人可以修改草稿状态的纸质协议书".into()).into(),
        );
    }
    let employer = a
        .paper_employer
        .as_ref()
        .and_then(|v| v.as_object())
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    Ok(paper_page(
        &s,
        a.id.to_string(),
        a.version,
        employer,
        TermsForm::from_terms(&a.terms),
        FormErrors::default(),
    ))
}

pub(super) async fn paper_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> PageResult {
    let id = f.get("id").cloned().unwrap_or_default();
    let version = f.get("version").and_then(|v| v.trim().parse().ok());
    let employer: HashMap<String, String> = PAPER_EMPLOYER_FIELDS
        .iter()
        .map(|k| {
            let v = f.get(&format!("employer_{k}")).cloned().unwrap_or_default();
            (k.to_string(), v)
        })
        .collect();
    let tf = TermsForm::from_form(&f);
    let paper_employer = PaperEmployer {
        name: employer["name"].clone(),
        credit_code: employer["credit_code"].clone(),
        unit_nature_code: employer["unit_nature_code"].clone(),
        industry_code: employer["industry_code"].clone(),
        location: employer["location"].clone(),
        address: employer["address"].clone(),
        postcode: employer["postcode"].clone(),
    };
    let result = match tf.read() {
        // A number that cannot be read keeps the service from being asked: the employer's
        // rules are applied here too, so that every problem shows at once.
        Err(mut errors) => {
            for e in paper_employer.validate().err().unwrap_or_default() {
                errors.add(&format!("employer_{}", e.field), employer_message(e));
            }
            Err(errors)
        }
        Ok((terms, _)) => {
            let input = PaperAgreementInput {
                employer: paper_employer,
                terms,
                version,
            };
            let r = if id.is_empty() {
                let key = page_idem(f.get("_idem").map(String::as_str), "create_paper")?;
                paper::create_paper_agreement(&state.store, &s.actor, input, key.as_ref()).await
            } else {
                paper::update_paper_agreement(&state.store, &s.actor, &id.as_str().into(), input)
                    .await
            };
            match r {
                Ok(applied) => Ok(applied),
                Err(e) => Err(FormErrors::from_service(e, form_field)?),
            }
        }
    };
    match result {
        // The draft is shown as the preview, with 生成并提交 among its buttons.
        Ok(applied) => {
            Ok(Redirect::to(&format!("/agreements/{}?notice=draft", applied.id)).into_response())
        }
        Err(errors) => Ok(paper_page(
            &s,
            id,
            version.unwrap_or_default(),
            employer,
            tf,
            errors,
        )),
    }
}
