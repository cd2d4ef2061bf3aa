//! Each role's home page (首页): the graduate's record, the employer and its members, the
//! school's and the province's counts.

use askama::Template;
use axum::extract::{Query, State};
use wangqian_domain::role::{EmployerRole, Role};
use wangqian_store::employers::{self, EmployerDetail, MemberRow, VerificationFilter};
use wangqian_store::graduates::{self, GraduateFilter, GraduateRecord};
use wangqian_store::lifecycle::views::{self, TodoCounts};
use wangqian_store::{demo, ServiceError};

use super::error::PageResult;
use super::{bar, notice_text, render, NoticeQuery, UserBar};
use crate::auth::PageAuth;
use crate::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    user: Option<UserBar>,
    notice: String,
    heading: String,
    role: &'static str,
    csrf: String,
    graduate: Option<GraduateRecord>,
    employer: Option<EmployerDetail>,
    members: Vec<MemberRow>,
    is_manager: bool,
    cohort: u16,
    graduates_total: i64,
    graduates_bound: i64,
    pending_employers: i64,
    /// A verified company without 签约信息确认 yet: the page asks for it (002 §2.1.1) but
    /// blocks nothing.
    needs_signing_defaults: bool,
    /// A graduate who has not confirmed phone, e-mail and mailing address since binding.
    needs_contact: bool,
    /// 签约待办, 解约待办, 待审核 …: each links to the list of exactly those records.
    todo: TodoCounts,
}

pub(super) async fn home(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let a = &s.actor;
    let cohort = demo::current_cohort(state.store.now());
    let mut page = HomePage {
        user: bar(&s),
        notice: notice_text(q.notice.as_deref()),
        heading: format!("{}首页", a.role.label()),
        role: a.role.as_str(),
        csrf: s.csrf_token.clone(),
        graduate: None,
        employer: None,
        members: Vec::new(),
        is_manager: a.employer_role == Some(EmployerRole::Manager),
        cohort,
        graduates_total: 0,
        graduates_bound: 0,
        pending_employers: 0,
        needs_signing_defaults: false,
        needs_contact: false,
        todo: TodoCounts::default(),
    };
    let result: Result<(), ServiceError> = async {
        page.todo = views::todo_counts(&state.store, a).await?;
        match a.role {
            Role::Graduate => {
                if let Some(g) = &a.graduate_id {
                    page.graduate = Some(graduates::get_graduate(&state.store, a, g).await?);
                    page.needs_contact = graduates::graduate_contact(&state.store, a)
                        .await?
                        .confirmed_at
                        .is_none();
                }
            }
            Role::EmployerMember => {
                if let Some(e) = &a.employer_id {
                    page.employer = Some(employers::get_employer(&state.store, a, e).await?);
                    page.members = employers::list_members(&state.store, a, e).await?;
                    page.needs_signing_defaults = page
                        .employer
                        .as_ref()
                        .is_some_and(|d| d.employer.status == "verified")
                        && wangqian_store::signing_defaults::get_signing_defaults(&state.store, a)
                            .await?
                            .is_none();
                }
            }
            Role::SchoolAdmin | Role::DepartmentReviewer => {
                let school = a.school_id.clone().ok_or(ServiceError::Forbidden)?;
                let base = GraduateFilter {
                    graduation_year: Some(i64::from(cohort)),
                    per_page: Some(1),
                    ..GraduateFilter::default()
                };
                page.graduates_total =
                    graduates::count_graduates(&state.store, a, &school, &base).await?;
                page.graduates_bound = graduates::count_graduates(
                    &state.store,
                    a,
                    &school,
                    &GraduateFilter {
                        bound: Some(true),
                        ..base
                    },
                )
                .await?;
                if a.role == Role::SchoolAdmin {
                    page.pending_employers = employers::list_for_verification(
                        &state.store,
                        a,
                        &VerificationFilter {
                            per_page: Some(1),
                            ..VerificationFilter::default()
                        },
                    )
                    .await?
                    .total;
                }
            }
            Role::ProvincialAdmin => {
                page.pending_employers = employers::list_for_verification(
                    &state.store,
                    a,
                    &VerificationFilter {
                        per_page: Some(1),
                        ..VerificationFilter::default()
                    },
                )
                .await?
                .total;
            }
        }
        Ok(())
    }
    .await;
    result?;
    Ok(render(&page))
}
