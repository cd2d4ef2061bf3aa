//! 签约信息确认 (002 §2.1.1): the page where an employer's member confirms the company's signing
//! defaults. Same service as `update_signing_defaults`; every problem shows next to its field at
//! once and what was typed comes back.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use wangqian_domain::codes::{CodeEntry, UNIT_NATURE};
use wangqian_domain::terms::SigningDefaults;
use wangqian_store::{employers, signing_defaults};

use super::error::{form_page, same_name, FormErrors, PageResult};
use super::terms_form::{ArchiveForm, HouseholdForm, TermsForm};
use super::{bar, render, PageForm, UserBar};
use crate::auth::PageAuth;
use crate::AppState;

#[derive(Template)]
#[template(path = "signing_defaults.html")]
struct DefaultsPage {
    user: Option<UserBar>,
    csrf: String,
    errors: FormErrors,
    unit_natures: &'static [CodeEntry],
    unit_nature_code: String,
    location: String,
    /// Carries the archive and household blocks for the shared `receiving_fields.html`.
    tf: TermsForm,
    receiving_required: bool,
    saved: bool,
}

impl DefaultsPage {
    fn new(s: &wangqian_store::accounts::SessionInfo) -> DefaultsPage {
        DefaultsPage {
            user: bar(s),
            csrf: s.csrf_token.clone(),
            errors: FormErrors::default(),
            unit_natures: UNIT_NATURE.entries,
            unit_nature_code: String::new(),
            location: String::new(),
            tf: TermsForm::default(),
            receiving_required: true,
            saved: false,
        }
    }
}

pub(super) async fn show(State(state): State<AppState>, PageAuth(s): PageAuth) -> PageResult {
    let mut page = DefaultsPage::new(&s);
    match signing_defaults::get_signing_defaults(&state.store, &s.actor).await? {
        Some(saved) => {
            let d = saved.defaults;
            page.unit_nature_code = d.unit_nature_code;
            page.location = d.location;
            page.tf.archive = ArchiveForm::from_domain(&d.archive);
            page.tf.household = HouseholdForm::from_domain(&d.household);
            page.saved = true;
        }
        None => {
            // Not confirmed yet: start from what the company registered.
            if let Some(e) = &s.actor.employer_id {
                let e = employers::get_employer(&state.store, &s.actor, e).await?;
                page.unit_nature_code = e.employer.unit_nature_code;
                page.location = format!("{}{}", e.employer.province, e.employer.city);
            }
        }
    }
    Ok(render(&page))
}

pub(super) async fn submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> PageResult {
    let v = |k: &str| f.get(k).cloned().unwrap_or_default();
    let mut page = DefaultsPage::new(&s);
    page.unit_nature_code = v("unit_nature_code");
    page.location = v("location");
    page.tf.archive = ArchiveForm::from_form(&f);
    page.tf.household = HouseholdForm::from_form(&f);
    let mut errors = FormErrors::default();
    let archive = page.tf.archive.read(&mut errors);
    let household = page.tf.household.read(&mut errors);
    // Both choices are required here, unlike on an offer where older free text may stand.
    if archive.is_none() && !errors.has("archive_mode") {
        errors.add("archive_mode", "档案接收：请选择档案接收方式");
    }
    if household.is_none() && !errors.has("household_kind") {
        errors.add("household_kind", "户口接收类型：请选择户口接收类型");
    }
    match (archive, household) {
        (Some(archive), Some(household)) => {
            let input = SigningDefaults {
                unit_nature_code: page.unit_nature_code.clone(),
                location: page.location.clone(),
                archive,
                household,
            };
            match signing_defaults::update_signing_defaults(&state.store, &s.actor, input).await {
                Ok(_) => return Ok(Redirect::to("/?notice=saved").into_response()),
                Err(e) => errors.extend(FormErrors::from_service(e, same_name)?),
            }
        }
        (archive, household) => {
            // The choices cannot be read: judge the rest too, so every problem shows at once.
            let probe = SigningDefaults {
                unit_nature_code: page.unit_nature_code.clone(),
                location: page.location.clone(),
                archive: archive.unwrap_or(wangqian_domain::terms::ArchiveReceiving {
                    mode: wangqian_domain::terms::ArchiveMode::NotReceived,
                    unit_name: String::new(),
                    address: String::new(),
                    postcode: String::new(),
                    contact_name: String::new(),
                    contact_phone: String::new(),
                }),
                household: household.unwrap_or(wangqian_domain::terms::HouseholdReceiving {
                    kind: wangqian_domain::terms::HouseholdKind::NotMoved,
                    address: String::new(),
                }),
            };
            if let Err(e) = signing_defaults::check(&probe) {
                errors.extend(FormErrors::from_service(e, same_name)?);
            }
        }
    }
    page.errors = errors;
    Ok(form_page(&page, &page.errors))
}
