//! The one error path of the pages: a service error becomes the same status and message the API
//! gives it ([`ApiError`]), shown as a Chinese page with the user bar; a form's own problems come
//! back on the form, each next to its field ([`FormErrors`]).

use askama::Template;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use wangqian_store::accounts::SessionInfo;
use wangqian_store::{FieldError, ServiceError};

use super::{bar, render, MessagePage, UserBar};
use crate::error::ApiError;

/// A page that could not be shown or an action that could not be taken.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

pub type PageResult = Result<Response, PageError>;

impl PageError {
    pub fn forbidden() -> PageError {
        ServiceError::Forbidden.into()
    }

    pub fn bad_request(message: impl Into<String>) -> PageError {
        ApiError::bad_request(message).into()
    }

    fn heading(&self) -> &'static str {
        match self.status {
            StatusCode::FORBIDDEN => "无权访问",
            StatusCode::NOT_FOUND => "找不到该记录",
            s if s.is_server_error() => "系统暂时无法处理",
            _ => "操作未完成",
        }
    }

    fn page(&self, user: Option<UserBar>) -> Response {
        let mut r = render(&MessagePage {
            user,
            heading: self.heading().into(),
            text: self.message.clone(),
            link: "/".into(),
            link_text: "返回首页".into(),
        });
        *r.status_mut() = self.status;
        r
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        // The field messages ("请上传…") say more than the envelope's general one.
        let message = if e.fields.is_empty() {
            e.message
        } else {
            e.fields
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join("；")
        };
        PageError {
            status: e.status,
            message,
        }
    }
}

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> Self {
        ApiError::from(e).into()
    }
}

/// Marks a response as an error page, so that [`with_user_bar`] can show it with the bar of
/// whoever is logged in: handlers then need no session to return an error with `?`.
#[derive(Clone)]
struct Shown {
    status: StatusCode,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut r = self.page(None);
        r.extensions_mut().insert(Shown {
            status: self.status,
            message: self.message,
        });
        r
    }
}

/// Shows every error page of the pages router with the user bar of the request's session.
pub async fn with_user_bar(req: Request<Body>, next: Next) -> Response {
    let user = req.extensions().get::<SessionInfo>().and_then(bar);
    let mut r = next.run(req).await;
    match (r.extensions_mut().remove::<Shown>(), user) {
        (Some(shown), Some(user)) => PageError {
            status: shown.status,
            message: shown.message,
        }
        .page(Some(user)),
        _ => r,
    }
}

/// What is wrong with a submitted form: each field's messages, shown next to it, and those not
/// about one field, shown above the form. The form keeps every value typed.
#[derive(Debug)]
pub struct FormErrors {
    pub status: StatusCode,
    general: Vec<String>,
    fields: Vec<FieldError>,
}

impl Default for FormErrors {
    fn default() -> Self {
        FormErrors {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            general: Vec::new(),
            fields: Vec::new(),
        }
    }
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.general.is_empty() && self.fields.is_empty()
    }

    pub fn count(&self) -> usize {
        self.general.len() + self.fields.len()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.fields.push(FieldError::new(field, message));
    }

    pub fn add_general(&mut self, message: impl Into<String>) {
        self.general.push(message.into());
    }

    pub fn has(&self, field: impl AsRef<str>) -> bool {
        let field = field.as_ref();
        self.fields.iter().any(|f| f.field == field)
    }

    /// The messages of one field, for the line under it.
    pub fn of(&self, field: impl AsRef<str>) -> String {
        let field = field.as_ref();
        self.fields
            .iter()
            .filter(|f| f.field == field)
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join("；")
    }

    pub fn general(&self) -> &[String] {
        &self.general
    }

    pub fn fields(&self) -> &[FieldError] {
        &self.fields
    }

    /// A service's answer to the form. Its field errors land on the fields the form names
    /// (`name` maps the service's field to the form's, `None` for one the form lacks); refusals
    /// the person can fix (a conflict, a wrong password) come above the form; everything else —
    /// not found, not allowed, a failure — is no form problem and shows the error page.
    pub fn from_service(
        e: ServiceError,
        name: impl Fn(&str) -> Option<String>,
    ) -> Result<FormErrors, PageError> {
        let mut out = FormErrors::default();
        match e {
            ServiceError::Validation(fields) => {
                for f in fields {
                    match name(&f.field) {
                        Some(field) => out.add(&field, f.message),
                        None => out.add_general(f.message),
                    }
                }
                if out.is_empty() {
                    out.add_general("提交的信息有误，请检查后重新提交");
                }
            }
            e @ (ServiceError::BadRequest(_)
            | ServiceError::Conflict(_)
            | ServiceError::Unauthenticated(_)
            | ServiceError::Locked { .. }
            | ServiceError::RateLimited
            | ServiceError::Missing(_)) => {
                let api = ApiError::from(e);
                out.status = api.status;
                out.add_general(api.message);
            }
            e @ (ServiceError::NotFound(_)
            | ServiceError::Forbidden
            | ServiceError::Unavailable(_)
            | ServiceError::Internal(_)) => return Err(e.into()),
        }
        Ok(out)
    }

    /// The same for an error of the API's form readers (uploads), which carry field names.
    pub fn from_api(
        e: ApiError,
        name: impl Fn(&str) -> Option<String>,
    ) -> Result<FormErrors, PageError> {
        if e.status == StatusCode::FORBIDDEN
            || e.status == StatusCode::NOT_FOUND
            || e.status.is_server_error()
        {
            return Err(e.into());
        }
        let mut out = FormErrors {
            status: e.status,
            ..FormErrors::default()
        };
        for f in e.fields {
            match name(&f.field) {
                Some(field) => out.add(&field, f.message),
                None => out.add_general(f.message),
            }
        }
        if out.is_empty() {
            out.add_general(e.message);
        }
        Ok(out)
    }

    /// Adds the other's problems, keeping this one's status unless it had none.
    pub fn extend(&mut self, other: FormErrors) {
        if self.is_empty() {
            self.status = other.status;
        }
        self.general.extend(other.general);
        for f in other.fields {
            self.fields.push(f);
        }
    }
}

/// Any field the form shows under the same name.
pub fn same_name(field: &str) -> Option<String> {
    Some(field.to_string())
}

/// Renders a form page: with problems, at their status (422 for field errors).
pub fn form_page<T: Template>(t: &T, errors: &FormErrors) -> Response {
    let mut r = render(t);
    if !errors.is_empty() && r.status() == StatusCode::OK {
        *r.status_mut() = errors.status;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_refusal_maps_to_the_status_the_api_gives_it() {
        let e: PageError = ServiceError::NotFound("协议书").into();
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        assert_eq!(e.message, "协议书不存在或无权访问");
        let e: PageError = ServiceError::Forbidden.into();
        assert_eq!(e.status, StatusCode::FORBIDDEN);
    }

    #[test]
    fn field_errors_land_on_their_fields_and_the_rest_above_the_form() {
        let e = ServiceError::Validation(vec![
            FieldError::new("terms.position", "拟聘用职位：必填"),
            FieldError::new("terms.contact_phone", "联系电话：请填写正确的联系电话"),
            FieldError::new("graduate_ids", "请至少选择一名毕业生"),
        ]);
        let errors =
            FormErrors::from_service(e, |f| f.strip_prefix("terms.").map(str::to_string)).unwrap();
        assert_eq!(errors.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(errors.of("position"), "拟聘用职位：必填");
        assert!(errors.has("contact_phone"));
        assert_eq!(errors.general(), ["请至少选择一名毕业生".to_string()]);
        assert_eq!(errors.count(), 3);
    }

    #[test]
    fn a_conflict_stays_on_the_form_but_not_found_is_an_error_page() {
        let errors =
            FormErrors::from_service(ServiceError::Conflict("该单位已注册".into()), same_name)
                .unwrap();
        assert_eq!(errors.status, StatusCode::CONFLICT);
        assert_eq!(errors.general(), ["该单位已注册".to_string()]);
        let e = FormErrors::from_service(ServiceError::NotFound("协议书"), same_name).unwrap_err();
        assert_eq!(e.status, StatusCode::NOT_FOUND);
    }
}
