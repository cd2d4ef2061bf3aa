//! Employer verification (用人单位审核) by the platform or a school.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use wangqian_domain::role::Role;
use wangqian_store::accounts::SessionInfo;
use wangqian_store::employers::{self, EmployerRow, VerificationFilter, VerifyEmployer};
use wangqian_store::record_uploads::{self, RecordUpload};
use wangqian_store::Page;

use super::error::{form_page, FormErrors, PageResult};
use super::{bar, notice_text, NoticeQuery, PageForm, UserBar};
use crate::auth::PageAuth;
use crate::AppState;

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    errors: FormErrors,
    /// The employer whose decision came back, with the reason typed for it.
    f_id: String,
    f_reason: String,
    is_school: bool,
    page: Page<EmployerRow>,
    /// Each employer of the page with its licence and letter, for looking at before deciding.
    rows: Vec<(EmployerRow, Vec<RecordUpload>)>,
}

async fn verify_page(
    state: &AppState,
    s: &SessionInfo,
    notice: String,
    errors: FormErrors,
    typed: (String, String),
) -> PageResult {
    let page = employers::list_for_verification(
        &state.store,
        &s.actor,
        &VerificationFilter {
            per_page: Some(50),
            ..VerificationFilter::default()
        },
    )
    .await?;
    let ids: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|e| {
            [&e.authorisation_upload_id, &e.licence_upload_id]
                .into_iter()
                .flatten()
                .cloned()
                .collect()
        })
        .collect();
    let files = record_uploads::files_of_each(&state.store, &ids).await?;
    let rows = page.items.iter().cloned().zip(files).collect();
    let page = VerifyPage {
        rows,
        user: bar(s),
        csrf: s.csrf_token.clone(),
        notice,
        errors,
        f_id: typed.0,
        f_reason: typed.1,
        is_school: s.actor.role == Role::SchoolAdmin,
        page,
    };
    Ok(form_page(&page, &page.errors))
}

pub(super) async fn verify_list(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let notice = notice_text(q.notice.as_deref());
    verify_page(
        &state,
        &s,
        notice,
        FormErrors::default(),
        Default::default(),
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct VerifyForm {
    approve: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    override_credit_code_warning: Option<String>,
}

pub(super) async fn verify_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<VerifyForm>,
) -> PageResult {
    let input = VerifyEmployer {
        approve: f.approve == "true",
        reason: Some(f.reason.clone()),
        override_credit_code_warning: f.override_credit_code_warning.as_deref() == Some("true"),
    };
    match employers::verify_employer(&state.store, &s.actor, &id, input).await {
        Ok(()) => Ok(Redirect::to("/verify?notice=decided").into_response()),
        Err(e) => {
            // Each employer on the page has its own reason box.
            let errors = FormErrors::from_service(e, |field| {
                (field == "reason").then(|| format!("reason-{id}"))
            })?;
            verify_page(&state, &s, String::new(), errors, (id, f.reason)).await
        }
    }
}
