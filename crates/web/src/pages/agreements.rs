//! Agreement pages: the list with to-do counts and filters, and one agreement with its terms,
//! versions, flow trail and the buttons the viewer may press (the same services as the API).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use wangqian_domain::lifecycle::AgreementState;
use wangqian_store::lifecycle::invitations::{self, AcceptInvitation, Remark};
use wangqian_store::lifecycle::paper::{self, SubmitPaper};
use wangqian_store::lifecycle::review::{self, AmendmentAnswer, ReviewDecision, TerminationAnswer};
use wangqian_store::lifecycle::views::{
    self, AgreementDetail, AgreementFilter, AgreementListRow, TodoCounts, TrailView,
};
use wangqian_store::{Page, ServiceError};

use super::{bar, china_time, error_page, render, PageForm, UserBar};
use crate::auth::PageAuth;
use crate::AppState;

#[derive(Template)]
#[template(path = "agreements.html")]
struct ListPage {
    user: Option<UserBar>,
    todo: TodoCounts,
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
    page: Option<i64>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<ListQuery>,
) -> Response {
    let mine = q.mine.as_deref() == Some("1");
    let filter = AgreementFilter {
        state: q.state.clone(),
        keyword: q.keyword.clone(),
        awaiting_me: mine,
        page: q.page,
        per_page: Some(20),
        ..AgreementFilter::default()
    };
    let page = match views::list_agreements(&state.store, &s.actor, &filter).await {
        Ok(p) => p,
        Err(e) => return error_page(bar(&s), e),
    };
    let todo = views::todo_counts(&state.store, &s.actor)
        .await
        .unwrap_or_default();
    render(&ListPage {
        user: bar(&s),
        todo,
        pages: page.pages().max(1),
        page,
        states: AgreementState::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        f_state: q.state.unwrap_or_default(),
        f_keyword: q.keyword.unwrap_or_default(),
        f_mine: mine,
    })
}

struct TermRow {
    label: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "agreement.html")]
struct DetailPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    a: AgreementDetail,
    terms: Vec<TermRow>,
    amendment: Vec<TermRow>,
    trail: TrailView,
    can_accept: bool,
    /// (action, button label, needs a reason, is the primary button)
    buttons: Vec<(&'static str, &'static str, bool, bool)>,
    deadline: String,
}

const TERM_LABELS: [(&str, &str); 14] = [
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

fn term_rows(v: &serde_json::Value) -> Vec<TermRow> {
    if !v.is_object() {
        return Vec::new();
    }
    TERM_LABELS
        .iter()
        .map(|(k, label)| TermRow {
            label,
            value: match &v[*k] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            },
        })
        .collect()
}

/// The button for each action a page can take with at most a reason.
fn button(action: &str) -> Option<(&'static str, &'static str, bool, bool)> {
    Some(match action {
        "reject" => ("reject", "拒绝邀约", false, false),
        "withdraw" => ("withdraw", "撤回邀约", false, false),
        "approve_signing" => ("approve_signing", "审核通过", false, true),
        "reject_signing" => ("reject_signing", "审核不通过", true, false),
        "revoke_review" => ("revoke_review", "撤回审核", true, false),
        "confirm_amendment" => ("confirm_amendment", "确认修改", false, true),
        "decline_amendment" => ("decline_amendment", "不同意修改", false, false),
        "withdraw_amendment" => ("withdraw_amendment", "撤回修改", false, false),
        "agree_termination" => ("agree_termination", "同意解约", false, true),
        "cancel_termination" => ("cancel_termination", "撤回解约申请", false, false),
        "approve_termination" => ("approve_termination", "解约审核通过", false, true),
        "reject_termination" => ("reject_termination", "解约审核不通过", true, false),
        "force_terminate" => ("force_terminate", "强制解约", true, false),
        "cancel_signing" => ("cancel_signing", "撤销签约", true, false),
        "submit_paper" => (
            "submit_paper",
            "生成并提交协议书（提交后不能修改）",
            false,
            true,
        ),
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
pub(super) struct DetailQuery {
    notice: Option<String>,
}

pub(super) async fn detail(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let a = match views::get_agreement(&state.store, &s.actor, &id).await {
        Ok(a) => a,
        Err(e) => return error_page(bar(&s), e),
    };
    let trail = match views::get_agreement_trail(&state.store, &s.actor, &id).await {
        Ok(t) => t,
        Err(e) => return error_page(bar(&s), e),
    };
    let can_accept = a.actions.iter().any(|x| x.action == "accept");
    let buttons = a.actions.iter().filter_map(|x| button(x.action)).collect();
    render(&DetailPage {
        user: bar(&s),
        csrf: s.csrf_token.clone(),
        notice: q
            .notice
            .map(|n| format!("操作成功：{n}"))
            .unwrap_or_default(),
        terms: term_rows(&a.terms),
        amendment: a
            .pending_amendment
            .as_ref()
            .map(term_rows)
            .unwrap_or_default(),
        deadline: a.deadline_at.map(china_time).unwrap_or_default(),
        trail,
        can_accept,
        buttons,
        a,
    })
}

#[derive(Deserialize)]
pub(super) struct AcceptForm {
    password: String,
    agree: Option<String>,
    version: Option<i64>,
}

pub(super) async fn accept(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<AcceptForm>,
) -> Response {
    let input = AcceptInvitation {
        password: f.password,
        agree: f.agree.is_some(),
        version: f.version,
    };
    done(
        &s,
        &id,
        invitations::accept_invitation(&state.store, &s.actor, &id, input, None).await,
    )
}

#[derive(Deserialize)]
pub(super) struct ActForm {
    action: String,
    reason: Option<String>,
    version: Option<i64>,
}

pub(super) async fn act(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<ActForm>,
) -> Response {
    let (st, a, version) = (&state.store, &s.actor, f.version);
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
    let result = match f.action.as_str() {
        "reject" => invitations::reject_invitation(st, a, &id, remark(), None).await,
        "withdraw" => invitations::withdraw_invitation(st, a, &id, remark(), None).await,
        "cancel_signing" => invitations::cancel_signing(st, a, &id, remark(), None).await,
        "approve_signing" => review::review_agreement(st, a, &id, decision(true), None).await,
        "reject_signing" => review::review_agreement(st, a, &id, decision(false), None).await,
        "revoke_review" => review::revoke_review(st, a, &id, remark(), None).await,
        "confirm_amendment" | "decline_amendment" => {
            let answer = AmendmentAnswer {
                confirm: f.action == "confirm_amendment",
                reason: reason.clone(),
                version,
            };
            review::confirm_amendment(st, a, &id, answer, None).await
        }
        "withdraw_amendment" => review::withdraw_amendment(st, a, &id, remark(), None).await,
        "agree_termination" => {
            let answer = TerminationAnswer {
                agree: true,
                reason: reason.clone(),
                version,
            };
            review::answer_termination(st, a, &id, answer, None).await
        }
        "cancel_termination" => review::cancel_termination(st, a, &id, remark(), None).await,
        "approve_termination" => review::review_termination(st, a, &id, decision(true), None).await,
        "reject_termination" => review::review_termination(st, a, &id, decision(false), None).await,
        "force_terminate" => review::force_terminate(st, a, &id, remark(), None).await,
        "submit_paper" => {
            let submit = SubmitPaper {
                confirm: true,
                version,
            };
            paper::submit_paper_agreement(st, a, &id, submit, None).await
        }
        _ => Err(ServiceError::BadRequest("未知的操作".into())),
    };
    done(&s, &id, result)
}

fn done(
    s: &wangqian_store::accounts::SessionInfo,
    id: &str,
    r: Result<wangqian_store::lifecycle::Applied, ServiceError>,
) -> Response {
    match r {
        // Post/redirect/get: a refresh does not send the action again.
        Ok(applied) => Redirect::to(&format!(
            "/agreements/{id}?notice={}",
            urlencode(&applied.state_label)
        ))
        .into_response(),
        Err(e) => error_page(bar(s), e),
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
