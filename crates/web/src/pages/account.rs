//! A graduate's own account pages beyond the first-login forms: 解除绑定并重新登录 (003 §1).

use askama::Template;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use wangqian_store::accounts::{self, ReleaseOwnBinding, SessionInfo};

use super::error::{form_page, same_name, FormErrors, PageResult};
use super::{bar, PageForm, UserBar};
use crate::auth::PageAuth;
use crate::AppState;

#[derive(Template)]
#[template(path = "unbind.html")]
struct UnbindPage {
    user: Option<UserBar>,
    csrf: String,
    form: UnbindForm,
    errors: FormErrors,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct UnbindForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    password: String,
}

fn unbind_page(s: &SessionInfo, form: UnbindForm, errors: FormErrors) -> PageResult {
    // Only a bound graduate has this page; others get the same refusal as the API.
    wangqian_store::error::allow(
        wangqian_domain::policy::release_own_binding(&s.actor),
        "毕业生",
    )?;
    let view = UnbindPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        form: UnbindForm {
            password: String::new(),
            ..form
        },
        errors,
    };
    Ok(form_page(&view, &view.errors))
}

pub(super) async fn unbind(PageAuth(s): PageAuth) -> PageResult {
    unbind_page(&s, UnbindForm::default(), FormErrors::default())
}

pub(super) async fn unbind_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<UnbindForm>,
) -> PageResult {
    let input = ReleaseOwnBinding {
        password: f.password.clone(),
        reason: f.reason.clone(),
    };
    match accounts::release_own_binding(&state.store, &s.actor, input, &state.session_policy).await
    {
        Ok(()) => Ok((
            [(SET_COOKIE, crate::auth::clear_cookie())],
            Redirect::to("/bind?notice=released"),
        )
            .into_response()),
        Err(e) => {
            let mut errors = FormErrors::from_service(e, same_name)?;
            if !f.password.is_empty() && !errors.has("password") {
                errors.add("password", "为安全起见，请重新输入密码");
            }
            unbind_page(&s, f, errors)
        }
    }
}
