//! The 鉴证 cards of the agreement page (seed 002 §2.1.3): for the staff who review it, the
//! graduate's record, the company's verified data with its licence and letter, and the form of
//! the normalised fields (请填写信息); the province sees them read-only.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use wangqian_domain::attestation::AttestationFields;
use wangqian_domain::codes::{self, CodeEntry};
use wangqian_domain::role::Role;
use wangqian_store::accounts::SessionInfo;
use wangqian_store::lifecycle::attestation::{self, AttestationView};
use wangqian_store::AgreementId;

use super::agreements::{detail_page, Typed};
use super::error::{FormErrors, PageResult};
use super::terms_form::RegionForm;
use super::PageForm;
use crate::auth::PageAuth;
use crate::AppState;

/// The normalised fields as the form holds them.
#[derive(Debug, Clone, Default)]
pub struct AttestationForm {
    pub unit_nature_code: String,
    pub industry_code: String,
    pub place: RegionForm,
}

impl AttestationForm {
    fn from_view(v: &AttestationView) -> AttestationForm {
        AttestationForm {
            unit_nature_code: v.fields.unit_nature_code.clone(),
            industry_code: v.fields.industry_code.clone(),
            place: RegionForm::from_domain(&attestation::place_of(&v.fields)),
        }
    }

    fn from_form(f: &HashMap<String, String>) -> AttestationForm {
        let v = |k: &str| f.get(k).cloned().unwrap_or_default();
        AttestationForm {
            unit_nature_code: v("unit_nature_code"),
            industry_code: v("industry_code"),
            place: RegionForm::from_form(f, "att"),
        }
    }

    fn fields(&self) -> AttestationFields {
        // No province chosen reads as an empty code, which the domain names as missing.
        let county_code = self.place.read().map(|p| p.county_code).unwrap_or_default();
        AttestationFields {
            unit_nature_code: self.unit_nature_code.clone(),
            industry_code: self.industry_code.clone(),
            place: wangqian_domain::terms::RegionAddress {
                county_code,
                street: self.place.street.clone(),
            },
        }
    }
}

pub struct AttestationCards {
    pub view: AttestationView,
    pub form: AttestationForm,
    pub natures: &'static [CodeEntry],
    pub industries: &'static [CodeEntry],
}

impl AttestationCards {
    /// 已通过（时间，审核人）: the platform's verification of the company.
    pub fn platform_line(&self) -> String {
        self.view.employer.as_ref().map_or_else(String::new, |e| {
            verified_line(
                e.platform_status_label,
                e.platform_verified_at,
                e.platform_verified_by.as_deref(),
            )
        })
    }

    /// The school's own verification, or that the company did not apply to recruit here.
    pub fn school_line(&self) -> String {
        match self.view.employer.as_ref() {
            Some(e) => match e.school_status_label {
                Some(label) => {
                    verified_line(label, e.school_verified_at, e.school_verified_by.as_deref())
                }
                None => "未申请本校招聘".to_string(),
            },
            None => String::new(),
        }
    }

    /// Who saved the fields and when, or that they are only proposed.
    pub fn saved_line(&self) -> String {
        match (&self.view.fields.saved_by, self.view.fields.saved_at) {
            (Some(by), Some(at)) => format!("{by} 于 {} 保存", super::china_time(at)),
            _ => "尚未保存（以下为单位注册信息，请核对后保存）".to_string(),
        }
    }
}

fn verified_line(label: &str, at: Option<wangqian_store::Millis>, by: Option<&str>) -> String {
    match (at, by) {
        (Some(at), Some(by)) => format!("{label}（{}，{by}）", super::china_time(at)),
        (Some(at), None) => format!("{label}（{}）", super::china_time(at)),
        _ => label.to_string(),
    }
}

/// The cards for this viewer, or `None` for the parties (who do not attest).
pub(super) async fn cards(
    state: &AppState,
    s: &SessionInfo,
    id: &AgreementId,
    typed: Option<AttestationForm>,
) -> Result<Option<AttestationCards>, super::error::PageError> {
    if !matches!(
        s.actor.role,
        Role::DepartmentReviewer | Role::SchoolAdmin | Role::ProvincialAdmin
    ) {
        return Ok(None);
    }
    let view = attestation::get_attestation(&state.store, &s.actor, id).await?;
    Ok(Some(AttestationCards {
        form: typed.unwrap_or_else(|| AttestationForm::from_view(&view)),
        view,
        natures: codes::UNIT_NATURE.entries,
        industries: codes::INDUSTRY.entries,
    }))
}

/// Where the service's field errors go on the form.
fn att_field(field: &str) -> Option<String> {
    Some(
        match field {
            "unit_nature_code" => "att-nature",
            "industry_code" => "att-industry",
            "place.county_code" => "att_county",
            "place.street" => "att_street",
            _ => return None,
        }
        .to_string(),
    )
}

/// 保存鉴证信息: saved, back to the record; refused, the form again with every error under its
/// field and what was typed.
pub(super) async fn submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<AgreementId>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> PageResult {
    let form = AttestationForm::from_form(&f);
    match attestation::update_attestation_fields(&state.store, &s.actor, &id, form.fields()).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/agreements/{id}?notice=attested#attestation")).into_response(),
        ),
        Err(e) => {
            let typed = Typed {
                errors: FormErrors::from_service(e, att_field)?,
                att_form: Some(form),
                ..Typed::default()
            };
            detail_page(&state, &s, &id, String::new(), typed).await
        }
    }
}
