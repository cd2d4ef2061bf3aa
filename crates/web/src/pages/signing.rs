//! The employer's signing desk (查询学生并邀约): find a graduate, keep the send list (also from
//! the template), and send one invitation to every graduate ticked. Same services as the API.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use wangqian_store::accounts::SessionInfo;
use wangqian_store::lifecycle::find::{self, FindGraduates, FoundGraduate, ImportLine};
use wangqian_store::lifecycle::invitations::{self, SendInvitations};
use wangqian_store::{orgs, Page, Paging};

use super::terms_form::{TermsForm, POSITION_CATEGORIES};
use super::{bar, error_page, messages, page_idem, render, PageForm, UserBar};
use crate::auth::PageAuth;
use crate::uploads::read_form;
use crate::AppState;

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct FindForm {
    #[serde(default)]
    school: String,
    #[serde(default)]
    graduation_year: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone_or_id_number: String,
}

#[derive(Template)]
#[template(path = "signing.html")]
struct DeskPage {
    user: Option<UserBar>,
    csrf: String,
    /// A fresh key per rendering: a double-clicked 发送邀约 sends once.
    idem: String,
    notice: String,
    errors: Vec<String>,
    schools: Vec<orgs::SchoolRow>,
    find: FindForm,
    found: Option<FoundGraduate>,
    list: Page<FoundGraduate>,
    pages: i64,
    import_lines: Vec<ImportLine>,
    tf: TermsForm,
    position_categories: [&'static str; 12],
    /// Graduates ticked on the submitted form, ticked again when it comes back.
    ticked: Vec<String>,
}

#[derive(Default)]
struct Extras {
    notice: String,
    errors: Vec<String>,
    find: Option<FindForm>,
    found: Option<FoundGraduate>,
    import_lines: Vec<ImportLine>,
    tf: Option<TermsForm>,
    ticked: Vec<String>,
    page: Option<i64>,
}

async fn desk(state: &AppState, s: &SessionInfo, x: Extras) -> Response {
    let list =
        match find::list_send_list(&state.store, &s.actor, Paging::new(x.page, Some(20))).await {
            Ok(l) => l,
            Err(e) => return error_page(bar(s), e),
        };
    let schools = orgs::search_schools(&state.store, "")
        .await
        .unwrap_or_default();
    let ticked = if x.ticked.is_empty() {
        // Fresh page: every invitable graduate on the list is ticked.
        list.items
            .iter()
            .filter(|g| g.invitable)
            .map(|g| g.graduate_id.clone())
            .collect()
    } else {
        x.ticked
    };
    let status_error = !x.errors.is_empty();
    let mut r = render(&DeskPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        idem: wangqian_store::new_id(),
        notice: x.notice,
        errors: x.errors,
        schools,
        find: x.find.unwrap_or_else(|| FindForm {
            graduation_year: default_year(state).to_string(),
            ..FindForm::default()
        }),
        found: x.found,
        pages: list.pages().max(1),
        list,
        import_lines: x.import_lines,
        tf: x.tf.unwrap_or_default(),
        position_categories: POSITION_CATEGORIES,
        ticked,
    });
    if status_error {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

fn default_year(state: &AppState) -> u16 {
    wangqian_store::demo::current_cohort(state.store.now())
}

#[derive(Deserialize)]
pub(super) struct DeskQuery {
    page: Option<i64>,
    notice: Option<String>,
}

pub(super) async fn show(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<DeskQuery>,
) -> Response {
    let notice = match q.notice.as_deref() {
        Some("removed") => "已从发送列表移除".to_string(),
        _ => String::new(),
    };
    desk(
        &state,
        &s,
        Extras {
            notice,
            page: q.page,
            ..Extras::default()
        },
    )
    .await
}

pub(super) async fn find_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<FindForm>,
) -> Response {
    let Ok(year) = f.graduation_year.trim().parse::<u16>() else {
        let x = Extras {
            errors: vec!["请填写毕业年度，如 2027".into()],
            find: Some(f),
            ..Extras::default()
        };
        return desk(&state, &s, x).await;
    };
    let input = FindGraduates {
        school: f.school.clone(),
        graduation_year: year,
        name: f.name.clone(),
        phone_or_id_number: f.phone_or_id_number.clone(),
        add_to_send_list: true,
    };
    let x = match find::find_graduates(&state.store, &s.actor, &input).await {
        Ok(found) => Extras {
            notice: if found.on_send_list {
                format!("已找到 {}，已加入签约发送列表", found.name)
            } else {
                format!("已找到 {}，但现在不能向其发起邀约", found.name)
            },
            found: Some(found),
            find: Some(FindForm {
                name: String::new(),
                phone_or_id_number: String::new(),
                ..f
            }),
            ..Extras::default()
        },
        Err(e) => Extras {
            errors: messages(e),
            find: Some(f),
            ..Extras::default()
        },
    };
    desk(&state, &s, x).await
}

#[derive(Deserialize)]
pub(super) struct RemoveForm {
    graduate_id: String,
}

pub(super) async fn remove(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<RemoveForm>,
) -> Response {
    match find::remove_from_send_list(&state.store, &s.actor, &f.graduate_id).await {
        Ok(()) => Redirect::to("/employer/signing?notice=removed").into_response(),
        Err(e) => error_page(bar(&s), e),
    }
}

pub(super) async fn import_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    mp: Multipart,
) -> Response {
    let result = async {
        let mut form = read_form(mp, state.config.max_upload_mib).await?;
        let (name, bytes) = form
            .files
            .remove("file")
            .ok_or_else(|| crate::error::ApiError::bad_request("请选择要导入的发送列表文件"))?;
        Ok::<_, crate::error::ApiError>(
            find::import_send_list(&state.store, &s.actor, &name, bytes).await?,
        )
    }
    .await;
    let x = match result {
        Ok(lines) => Extras {
            notice: format!(
                "导入完成：{} 行中 {} 名毕业生加入发送列表",
                lines.len(),
                lines.iter().filter(|l| l.added).count()
            ),
            import_lines: lines,
            ..Extras::default()
        },
        Err(e) => Extras {
            errors: vec![e
                .fields
                .first()
                .map(|f| f.message.clone())
                .unwrap_or(e.message)],
            ..Extras::default()
        },
    };
    desk(&state, &s, x).await
}

struct SentLine {
    name: String,
    ok: bool,
    message: String,
    agreement_id: Option<String>,
    deadline: String,
}

#[derive(Template)]
#[template(path = "signing_sent.html")]
struct SentPage {
    user: Option<UserBar>,
    sent: usize,
    lines: Vec<SentLine>,
}

pub(super) async fn send_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Response {
    let tf = TermsForm::from_form(&f);
    let ticked: Vec<String> = f
        .keys()
        .filter_map(|k| k.strip_prefix("g_"))
        .map(str::to_string)
        .collect();
    let mut errors = Vec::new();
    if ticked.is_empty() {
        errors.push("请在发送列表中勾选要邀约的毕业生".to_string());
    }
    let terms = tf.terms().map_err(|e| errors.extend(e)).ok();
    let validity = tf.validity_days().map_err(|e| errors.push(e)).ok();
    let idem = match page_idem(f.get("_idem").map(String::as_str), "send") {
        Ok(k) => k,
        Err(e) => return error_page(bar(&s), e),
    };
    let (Some(terms), Some(validity_days), true) = (terms, validity, errors.is_empty()) else {
        let x = Extras {
            errors,
            tf: Some(tf),
            ticked,
            ..Extras::default()
        };
        return desk(&state, &s, x).await;
    };
    // Names for the report, read before sending (the list entries go once invited).
    let names = find::send_list_names(&state.store, &s.actor)
        .await
        .unwrap_or_default();
    let input = SendInvitations {
        graduate_ids: ticked.clone(),
        terms,
        validity_days,
    };
    match invitations::send_invitations(&state.store, &s.actor, input, idem.as_ref()).await {
        Ok(results) => render(&SentPage {
            user: bar(&s),
            sent: results.iter().filter(|r| r.ok).count(),
            lines: results
                .into_iter()
                .map(|r| SentLine {
                    name: names
                        .get(&r.graduate_id)
                        .cloned()
                        .unwrap_or_else(|| "（不在发送列表中）".into()),
                    ok: r.ok,
                    message: r.message,
                    agreement_id: r.agreement_id,
                    deadline: r
                        .deadline_at
                        .map(wangqian_domain::lifecycle::deadline_label)
                        .unwrap_or_default(),
                })
                .collect(),
        }),
        Err(e) => {
            let x = Extras {
                errors: messages(e),
                tf: Some(tf),
                ticked,
                ..Extras::default()
            };
            desk(&state, &s, x).await
        }
    }
}
