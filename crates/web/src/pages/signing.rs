//! The employer's signing desk (查询学生并邀约): find a graduate, keep the send list (also from
//! the template), and send one invitation to every graduate ticked. Same services as the API.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use wangqian_store::accounts::SessionInfo;
use wangqian_store::lifecycle::find::{self, FindGraduates, FoundGraduate, ImportLine};
use wangqian_store::lifecycle::invitations::{self, InvitationPreview, SendInvitations};
use wangqian_store::GraduateId;
use wangqian_store::{orgs, Page, Paging};

use super::error::{form_page, same_name, FormErrors, PageResult};
use super::terms_form::{form_field, TermsForm};
use super::{bar, page_idem, render, PageForm, UserBar};
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
    errors: FormErrors,
    schools: Vec<orgs::SchoolRow>,
    find: FindForm,
    found: Option<FoundGraduate>,
    list: Page<FoundGraduate>,
    pages: i64,
    import_lines: Vec<ImportLine>,
    tf: TermsForm,
    /// Graduates ticked on the submitted form, ticked again when it comes back.
    ticked: Vec<GraduateId>,
    /// "发送给发送列表中的全部毕业生" was ticked.
    all_on_send_list: bool,
}

#[derive(Default)]
struct Extras {
    notice: String,
    errors: FormErrors,
    find: Option<FindForm>,
    found: Option<FoundGraduate>,
    import_lines: Vec<ImportLine>,
    tf: Option<TermsForm>,
    /// What the sent form had ticked; `None` on a fresh page.
    ticked: Option<Vec<GraduateId>>,
    all_on_send_list: bool,
    page: Option<i64>,
}

async fn desk(state: &AppState, s: &SessionInfo, x: Extras) -> PageResult {
    let list = find::list_send_list(&state.store, &s.actor, Paging::new(x.page, Some(20))).await?;
    let schools = orgs::search_schools(&state.store, "").await?;
    let ticked = match x.ticked {
        Some(ticked) => ticked,
        // Fresh page: every invitable graduate on the list is ticked.
        None => list
            .items
            .iter()
            .filter(|g| g.invitable)
            .map(|g| g.graduate_id.clone())
            .collect(),
    };
    // A fresh form starts from the company's 签约信息确认; a returned one keeps what was typed.
    let tf = match x.tf {
        Some(tf) => tf,
        None if s.actor.role == wangqian_domain::role::Role::EmployerMember => {
            wangqian_store::signing_defaults::get_signing_defaults(&state.store, &s.actor)
                .await?
                .map(|d| TermsForm::from_defaults(&d.defaults))
                .unwrap_or_default()
        }
        None => TermsForm::default(),
    };
    let page = DeskPage {
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
        tf,
        ticked,
        all_on_send_list: x.all_on_send_list,
    };
    Ok(form_page(&page, &page.errors))
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
) -> PageResult {
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
) -> PageResult {
    let Ok(year) = f.graduation_year.trim().parse::<u16>() else {
        let mut errors = FormErrors::default();
        errors.add("graduation_year", "请填写毕业年度，如 2027");
        let x = Extras {
            errors,
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
            errors: FormErrors::from_service(e, same_name)?,
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
) -> PageResult {
    find::remove_from_send_list(&state.store, &s.actor, &f.graduate_id.as_str().into()).await?;
    Ok(Redirect::to("/employer/signing?notice=removed").into_response())
}

pub(super) async fn import_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    mp: Multipart,
) -> PageResult {
    let result = async {
        let mut form = read_form(mp, state.config.max_upload_mib).await?;
        let (name, bytes) = form.files.remove("file").ok_or_else(|| {
            crate::error::ApiError::bad_request("请选择要导入的发送列表文件")
                .with_field("file", "请选择要导入的发送列表文件")
        })?;
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
            errors: FormErrors::from_api(e, same_name)?,
            ..Extras::default()
        },
    };
    desk(&state, &s, x).await
}

/// 预览 (002 §2.1.1): the letter as the graduate will read it and who it would reach, with
/// everything typed kept in the form, so that 确认发送 sends it and 返回修改 edits it.
#[derive(Template)]
#[template(path = "signing_preview.html")]
struct PreviewPage {
    user: Option<UserBar>,
    csrf: String,
    preview: InvitationPreview,
    /// Every field of the submitted form but the CSRF token (sent again as typed).
    kept: Vec<(String, String)>,
}

/// The send form as submitted: the terms as typed, the graduates ticked, the whole-list box.
fn sent_form(f: &HashMap<String, String>) -> (TermsForm, Vec<GraduateId>, bool) {
    let ticked = f
        .keys()
        .filter_map(|k| k.strip_prefix("g_"))
        .map(GraduateId::from)
        .collect();
    (
        TermsForm::from_form(f),
        ticked,
        f.contains_key("all_on_send_list"),
    )
}

pub(super) async fn preview_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> PageResult {
    let (tf, ticked, all_on_send_list) = sent_form(&f);
    let back = |errors| Extras {
        errors,
        tf: Some(tf.clone()),
        ticked: Some(ticked.clone()),
        all_on_send_list,
        ..Extras::default()
    };
    let (terms, validity_days) = match tf.read() {
        Ok(read) => read,
        Err(mut errors) => {
            if ticked.is_empty() && !all_on_send_list {
                errors.add("graduate_ids", "请至少选择一名毕业生");
            }
            return desk(&state, &s, back(errors)).await;
        }
    };
    let input = SendInvitations {
        graduate_ids: ticked.clone(),
        all_on_send_list,
        terms,
        validity_days,
    };
    match invitations::preview_invitations(&state.store, &s.actor, input).await {
        Ok(preview) => {
            let mut kept: Vec<(String, String)> =
                f.into_iter().filter(|(k, _)| k != "_csrf").collect();
            kept.sort();
            Ok(render(&PreviewPage {
                user: bar(&s),
                csrf: s.csrf_token.clone(),
                preview,
                kept,
            }))
        }
        Err(e) => desk(&state, &s, back(FormErrors::from_service(e, form_field)?)).await,
    }
}

/// 返回修改: the desk again with everything the preview kept.
pub(super) async fn back_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> PageResult {
    let (tf, ticked, all_on_send_list) = sent_form(&f);
    let x = Extras {
        tf: Some(tf),
        ticked: Some(ticked),
        all_on_send_list,
        ..Extras::default()
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
) -> PageResult {
    let (tf, ticked, all_on_send_list) = sent_form(&f);
    let idem = page_idem(f.get("_idem").map(String::as_str), "send")?;
    let (terms, validity_days) = match tf.read() {
        Ok(read) => read,
        Err(mut errors) => {
            if ticked.is_empty() && !all_on_send_list {
                errors.add("graduate_ids", "请至少选择一名毕业生");
            }
            let x = Extras {
                errors,
                tf: Some(tf),
                ticked: Some(ticked),
                all_on_send_list,
                ..Extras::default()
            };
            return desk(&state, &s, x).await;
        }
    };
    // Names for the report, read before sending (the list entries go once invited).
    let names = find::send_list_names(&state.store, &s.actor).await?;
    let input = SendInvitations {
        graduate_ids: ticked.clone(),
        all_on_send_list,
        terms,
        validity_days,
    };
    match invitations::send_invitations(&state.store, &s.actor, input, idem.as_ref()).await {
        Ok(results) => Ok(render(&SentPage {
            user: bar(&s),
            sent: results.iter().filter(|r| r.ok).count(),
            lines: results
                .into_iter()
                .map(|r| SentLine {
                    name: names
                        .get(r.graduate_id.as_str())
                        .cloned()
                        .unwrap_or_else(|| "（不在发送列表中）".into()),
                    ok: r.ok,
                    message: r.message,
                    agreement_id: r.agreement_id.map(String::from),
                    deadline: r
                        .deadline_at
                        .map(wangqian_domain::lifecycle::deadline_label)
                        .unwrap_or_default(),
                })
                .collect(),
        })),
        Err(e) => {
            let x = Extras {
                errors: FormErrors::from_service(e, form_field)?,
                tf: Some(tf),
                ticked: Some(ticked),
                all_on_send_list,
                ..Extras::default()
            };
            desk(&state, &s, x).await
        }
    }
}
