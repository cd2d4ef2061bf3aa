//! The employer's own pages: registration (用人单位注册, steps 1–4) and the manager's decision
//! on a colleague who asks to join.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use wangqian_domain::codes::{self, CodeEntry};
use wangqian_store::employers::{self, RegisterEmployer};
use wangqian_store::orgs::{self, SchoolRow};

use super::error::{form_page, same_name, FormErrors, PageError, PageResult};
use super::{render, MessagePage, PageForm, UserBar};
use crate::auth::PageAuth;
use crate::uploads::{certificate, read_form, Form};
use crate::AppState;

/// What the registration form holds, kept as typed so that one mistake costs one correction.
#[derive(Default)]
struct RegisterForm {
    company_name: String,
    credit_code: String,
    login_name: String,
    manager_name: String,
    phone: String,
    province: String,
    city: String,
    address: String,
    company_phone: String,
    email: String,
    postcode: String,
    unit_nature_code: String,
    industry_code: String,
    size_code: String,
    registered_capital_code: String,
    school_ids: Vec<String>,
}

impl RegisterForm {
    fn read(form: &Form) -> RegisterForm {
        RegisterForm {
            company_name: form.text("company_name"),
            credit_code: form.text("credit_code"),
            login_name: form.text("login_name"),
            manager_name: form.text("manager_name"),
            phone: form.text("phone"),
            province: form.text("province"),
            city: form.text("city"),
            address: form.text("address"),
            company_phone: form.text("company_phone"),
            email: form.text("email"),
            postcode: form.text("postcode"),
            unit_nature_code: form.text("unit_nature_code"),
            industry_code: form.text("industry_code"),
            size_code: form.text("size_code"),
            registered_capital_code: form.text("registered_capital_code"),
            school_ids: form.all("school_ids"),
        }
    }

    fn input(&self, form: &Form) -> RegisterEmployer {
        RegisterEmployer {
            company_name: self.company_name.clone(),
            credit_code: self.credit_code.clone(),
            login_name: self.login_name.clone(),
            manager_name: self.manager_name.clone(),
            phone: self.phone.clone(),
            password: form.text("password"),
            password_confirm: form.text("password_confirm"),
            province: self.province.clone(),
            city: self.city.clone(),
            address: self.address.clone(),
            company_phone: self.company_phone.clone(),
            email: self.email.clone(),
            hr_email: form.text("hr_email"),
            postcode: self.postcode.clone(),
            unit_nature_code: self.unit_nature_code.clone(),
            industry_code: self.industry_code.clone(),
            size_code: self.size_code.clone(),
            registered_capital_code: self.registered_capital_code.clone(),
            tags: form.text("tags"),
            school_ids: self.school_ids.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    user: Option<UserBar>,
    errors: FormErrors,
    f: RegisterForm,
    schools: Vec<SchoolRow>,
    natures: &'static [CodeEntry],
    industries: &'static [CodeEntry],
    sizes: &'static [CodeEntry],
    capitals: &'static [CodeEntry],
}

async fn register_page(state: &AppState, f: RegisterForm, errors: FormErrors) -> PageResult {
    let page = RegisterPage {
        user: None,
        errors,
        f,
        schools: orgs::search_schools(&state.store, "").await?,
        natures: codes::UNIT_NATURE.entries,
        industries: codes::INDUSTRY.entries,
        sizes: codes::UNIT_SIZE.entries,
        capitals: codes::REGISTERED_CAPITAL.entries,
    };
    Ok(form_page(&page, &page.errors))
}

pub(super) async fn register_form(State(state): State<AppState>) -> PageResult {
    register_page(&state, RegisterForm::default(), FormErrors::default()).await
}

pub(super) async fn register_submit(State(state): State<AppState>, mp: Multipart) -> PageResult {
    let mut form = match read_form(mp, state.config.max_upload_mib).await {
        Ok(form) => form,
        // Too large or unreadable: nothing of the form arrived to be shown again.
        Err(e) => {
            let errors = FormErrors::from_api(e, |_| None)?;
            return register_page(&state, RegisterForm::default(), errors).await;
        }
    };
    let f = RegisterForm::read(&form);
    let input = f.input(&form);
    // A file of the wrong kind is reported on its field with everything else the service finds.
    let mut errors = FormErrors::default();
    let mut file = |form: &mut Form, name: &str, label: &str| match certificate(form, name, label) {
        Ok(file) => Ok(file),
        Err(e) => {
            errors.extend(FormErrors::from_api(e, same_name)?);
            Ok::<_, PageError>(None)
        }
    };
    let letter = file(&mut form, "authorisation_letter", "授权书")?;
    let licence = file(&mut form, "licence", "营业执照")?;
    let result =
        employers::register_employer(&state.store, state.blobs.as_ref(), input, letter, licence)
            .await;
    // A refused file reaches the service as missing, so nothing is registered without both.
    let e = match result {
        Ok(r) => {
            return Ok(render(&MessagePage {
                user: None,
                heading: "注册成功".into(),
                text: format!(
                    "注册信息已提交，请等待平台和学校管理员审核，审核通过后即可进行网上签约。{}",
                    r.credit_code_warning
                        .map(|w| format!("注意：{w}，审核时将人工核对。"))
                        .unwrap_or_default()
                ),
                link: "/login".into(),
                link_text: "去登录".into(),
            }))
        }
        Err(e) => e,
    };
    let service = FormErrors::from_service(e, same_name)?;
    if errors.is_empty() {
        errors.status = service.status;
    }
    for field in service.fields() {
        // The refusal of a file's kind says more than "please upload it".
        if !errors.has(&field.field) {
            errors.add(&field.field, field.message.clone());
        }
    }
    for m in service.general() {
        errors.add_general(m.clone());
    }
    // Neither passwords nor files come back into a page.
    if !errors.has("password") {
        errors.add("password", "为安全起见，请重新输入密码");
    }
    register_page(&state, f, errors).await
}

#[derive(Deserialize)]
pub(super) struct DecisionForm {
    approve: String,
}

pub(super) async fn member_decision(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<DecisionForm>,
) -> PageResult {
    let employer = s
        .actor
        .employer_id
        .clone()
        .ok_or_else(PageError::forbidden)?;
    employers::decide_member(&state.store, &s.actor, &employer, &id, f.approve == "true").await?;
    Ok(Redirect::to("/?notice=decided").into_response())
}
