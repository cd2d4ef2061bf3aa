//! Signing in and out, a graduate binding their record (绑定), and changing one's password.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Deserialize;
use wangqian_store::accounts::{self, BindGraduate, SessionInfo};
use wangqian_store::orgs::{self, SchoolRow};

use super::error::{form_page, same_name, FormErrors, PageResult};
use super::{bar, notice_text, render, NoticeQuery, PageForm, UserBar};
use crate::api::client_key;
use crate::auth::{clear_cookie, session_cookie, MaybeAuth, PageAuth, SessionToken};
use crate::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    user: Option<UserBar>,
    errors: FormErrors,
    login: String,
}

pub(super) async fn login_form(MaybeAuth(s): MaybeAuth) -> Response {
    if s.is_some() {
        return Redirect::to("/").into_response();
    }
    render(&LoginPage {
        user: None,
        errors: FormErrors::default(),
        login: String::new(),
    })
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    login: String,
    password: String,
}

pub(super) async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    PageForm(f): PageForm<LoginForm>,
) -> PageResult {
    let outcome = accounts::login(
        &state.store,
        &f.login,
        &f.password,
        &client_key(&addr),
        &state.session_policy,
    )
    .await;
    match outcome {
        Ok(outcome) => Ok((
            [(SET_COOKIE, session_cookie(&state, &outcome.session_token))],
            Redirect::to("/"),
        )
            .into_response()),
        Err(e) => {
            // One answer for a wrong name or password, above the form: it names no field.
            let page = LoginPage {
                user: None,
                login: f.login,
                errors: FormErrors::from_service(e, |_| None)?,
            };
            Ok(form_page(&page, &page.errors))
        }
    }
}

pub(super) async fn logout(
    State(state): State<AppState>,
    token: Option<Extension<SessionToken>>,
) -> PageResult {
    if let Some(Extension(SessionToken(t))) = token {
        accounts::logout(&state.store, &t).await?;
    }
    Ok(([(SET_COOKIE, clear_cookie())], Redirect::to("/login")).into_response())
}

#[derive(Template)]
#[template(path = "bind.html")]
struct BindPage {
    user: Option<UserBar>,
    notice: String,
    errors: FormErrors,
    schools: Vec<SchoolRow>,
    form: BindForm,
}

#[derive(Deserialize, Default)]
pub(super) struct BindForm {
    school_id: String,
    name: String,
    student_no: String,
    id_number: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub(super) async fn bind_form(
    State(state): State<AppState>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    Ok(render(&BindPage {
        user: None,
        notice: notice_text(q.notice.as_deref()),
        errors: FormErrors::default(),
        schools: orgs::search_schools(&state.store, "").await?,
        form: BindForm::default(),
    }))
}

pub(super) async fn bind_submit(
    State(state): State<AppState>,
    PageForm(f): PageForm<BindForm>,
) -> PageResult {
    let input = BindGraduate {
        school_id: f.school_id.clone(),
        name: f.name.clone(),
        student_no: f.student_no.clone(),
        id_number: f.id_number.clone(),
        password: f.password.clone(),
        password_confirm: f.password_confirm.clone(),
    };
    let e = match accounts::bind_graduate(&state.store, input, &state.session_policy).await {
        Ok(outcome) => {
            return Ok((
                [(SET_COOKIE, session_cookie(&state, &outcome.session_token))],
                Redirect::to("/?notice=bound"),
            )
                .into_response())
        }
        Err(e) => e,
    };
    let mut errors = FormErrors::from_service(e, same_name)?;
    // A password is never written back into a page; the person types it again.
    if !f.password.is_empty() && !errors.has("password") {
        errors.add("password", "为安全起见，请重新输入密码");
    }
    let page = BindPage {
        user: None,
        notice: String::new(),
        schools: orgs::search_schools(&state.store, "").await?,
        form: BindForm {
            password: String::new(),
            password_confirm: String::new(),
            ..f
        },
        errors,
    };
    Ok(form_page(&page, &page.errors))
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    user: Option<UserBar>,
    csrf: String,
    required: bool,
    done: bool,
    errors: FormErrors,
}

impl PasswordPage {
    fn new(s: &SessionInfo) -> PasswordPage {
        PasswordPage {
            user: bar(s),
            csrf: s.csrf_token.clone(),
            required: s.must_change_password,
            done: false,
            errors: FormErrors::default(),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct PasswordQuery {
    done: Option<String>,
}

pub(super) async fn password_form(
    PageAuth(s): PageAuth,
    Query(q): Query<PasswordQuery>,
) -> Response {
    render(&PasswordPage {
        done: q.done.is_some(),
        ..PasswordPage::new(&s)
    })
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    current_password: String,
    new_password: String,
    new_password_confirm: String,
}

pub(super) async fn password_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Extension(SessionToken(token)): Extension<SessionToken>,
    PageForm(f): PageForm<PasswordForm>,
) -> PageResult {
    let input = accounts::ChangePassword {
        current_password: f.current_password,
        new_password: f.new_password,
        new_password_confirm: f.new_password_confirm,
    };
    match accounts::change_password(&state.store, &s.actor, input, &state.session_policy, &token)
        .await
    {
        Ok(()) => Ok(Redirect::to("/account/password?done=1").into_response()),
        Err(e) => {
            let page = PasswordPage {
                errors: FormErrors::from_service(e, same_name)?,
                ..PasswordPage::new(&s)
            };
            Ok(form_page(&page, &page.errors))
        }
    }
}
