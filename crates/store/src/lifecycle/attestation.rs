//! The 鉴证 view of an agreement for its reviewers (SPEC §5, seed 002 §2.1.3): the graduate's
//! record, the employer's verified data with its certificates, and the normalised fields the
//! reviewer fills in for statistics (单位性质, 单位行业, 单位所在地, 单位地址).

use serde::Serialize;
use wangqian_domain::attestation::{self, AttestationFields};
use wangqian_domain::codes;
use wangqian_domain::policy::{self, RecordScope};
use wangqian_domain::role::Actor;
use wangqian_domain::terms::RegionAddress;

use super::{load_visible, terms_errors, AgreementRow};
use crate::audit::{self, AuditEntry};
use crate::error::allow;
use crate::graduates::{self, GraduateRecord};
use crate::record_uploads::{self, RecordUpload};
use crate::{AgreementId, Millis, ServiceError, ServiceResult, Store};

const AGREEMENT: &str = "协议书";

/// The company as the platform and the school verified it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttestedEmployer {
    pub id: String,
    pub name: String,
    pub credit_code: String,
    pub province: String,
    pub city: String,
    pub address: String,
    pub postcode: String,
    pub phone: String,
    pub email: String,
    pub contact_name: String,
    pub unit_nature: Option<String>,
    pub industry: Option<String>,
    /// The platform's 认证: 已通过 / 待审核 / 未通过, when and by whom.
    pub platform_status_label: &'static str,
    pub platform_verified_at: Option<Millis>,
    pub platform_verified_by: Option<String>,
    /// The school's own verification of the company, if it applied to recruit there.
    pub school_status_label: Option<&'static str>,
    pub school_verified_at: Option<Millis>,
    pub school_verified_by: Option<String>,
    /// Licence and authorisation letter.
    pub uploads: Vec<RecordUpload>,
}

/// What the reviewer sees beside the agreement itself.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttestationView {
    pub agreement_id: AgreementId,
    pub graduate: GraduateRecord,
    /// `None` for a paper agreement with a company that has no account (its data is the
    /// agreement's `paper_employer`).
    pub employer: Option<AttestedEmployer>,
    /// The normalised fields: as saved, or proposed from the company's own data.
    pub fields: AttestationFieldsView,
    /// Whether the fields may be changed now (and why not).
    pub can_fill: bool,
    pub fill_refusal: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttestationFieldsView {
    pub unit_nature_code: String,
    pub industry_code: String,
    pub county_code: String,
    pub address: String,
    /// The readable 所在地, e.g. 安徽省合肥市蜀山区.
    pub place_name: String,
    /// Who saved them and when; `None` while they are only proposed.
    pub saved_by: Option<String>,
    pub saved_at: Option<Millis>,
}

#[derive(sqlx::FromRow)]
struct StoredFields {
    attest_unit_nature_code: Option<String>,
    attest_industry_code: Option<String>,
    attest_county_code: Option<String>,
    attest_address: Option<String>,
    attest_by: Option<String>,
    attest_at: Option<Millis>,
}

fn scope_of(row: &AgreementRow) -> RecordScope<'_> {
    RecordScope {
        graduate_id: &row.graduate_id,
        school_id: &row.school_id,
        department_id: &row.department_id,
        employer_id: row.employer_id.as_ref(),
    }
}

pub async fn get_attestation(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
) -> ServiceResult<AttestationView> {
    let mut conn = store.reader().acquire().await?;
    let row = load_visible(&mut conn, actor, id).await?;
    allow(policy::view_attestation(actor, scope_of(&row)), AGREEMENT)?;
    let stored = sqlx::query_as::<_, StoredFields>(
        "SELECT a.attest_unit_nature_code, a.attest_industry_code, a.attest_county_code, a.attest_address, \
         acc.display_name AS attest_by, a.attest_at FROM agreements a LEFT JOIN accounts acc ON acc.id = a.attest_by WHERE a.id = $1",
    )
    .bind(row.id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    let employer = match &row.employer_id {
        Some(e) => Some(attested_employer(&mut conn, e, &row.school_id).await?),
        None => None,
    };
    drop(conn);
    // Proposed values: the company's registration, or the paper agreement's company block.
    let paper: serde_json::Value = row
        .paper_employer
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(serde_json::Value::Null);
    let (nature, industry, address) = match &employer {
        Some(e) => (
            e.unit_nature_code.clone(),
            e.industry_code.clone(),
            e.view.address.clone(),
        ),
        None => (
            paper["unit_nature_code"].as_str().unwrap_or("").to_string(),
            paper["industry_code"].as_str().unwrap_or("").to_string(),
            paper["address"].as_str().unwrap_or("").to_string(),
        ),
    };
    let county_code = stored.attest_county_code.clone().unwrap_or_default();
    let fields = AttestationFieldsView {
        unit_nature_code: stored.attest_unit_nature_code.unwrap_or(nature),
        industry_code: stored.attest_industry_code.unwrap_or(industry),
        place_name: wangqian_domain::regions::full_name(&county_code),
        county_code,
        address: stored.attest_address.unwrap_or(address),
        saved_by: stored.attest_at.and(stored.attest_by),
        saved_at: stored.attest_at,
    };
    let graduate = graduates::get_graduate(store, actor, &row.graduate_id).await?;
    let state = row.state_at(store.now())?;
    let refusal = attestation::may_fill(row.kind(), state).err();
    let can_fill =
        refusal.is_none() && policy::fill_attestation(actor, scope_of(&row)).is_allowed();
    Ok(AttestationView {
        agreement_id: row.id.clone(),
        graduate,
        employer: employer.map(|e| e.view),
        fields,
        can_fill,
        fill_refusal: refusal.map(str::to_string),
    })
}

struct LoadedEmployer {
    view: AttestedEmployer,
    unit_nature_code: String,
    industry_code: String,
}

#[derive(sqlx::FromRow)]
struct EmployerFacts {
    id: String,
    name: String,
    credit_code: String,
    province: String,
    city: String,
    address: String,
    postcode: String,
    phone: String,
    email: String,
    contact_name: String,
    unit_nature_code: String,
    industry_code: String,
    status: String,
    decided_at: Option<Millis>,
    decided_by: Option<String>,
    school_status: Option<String>,
    school_decided_at: Option<Millis>,
    school_decided_by: Option<String>,
    authorisation_upload_id: Option<String>,
    licence_upload_id: Option<String>,
}

async fn attested_employer(
    conn: &mut sqlx::AnyConnection,
    employer_id: &str,
    school_id: &str,
) -> ServiceResult<LoadedEmployer> {
    let e = sqlx::query_as::<_, EmployerFacts>(
        "SELECT e.id, e.name, e.credit_code, e.province, e.city, e.address, e.postcode, e.phone, e.email, e.contact_name, \
         e.unit_nature_code, e.industry_code, e.status, e.decided_at, pa.display_name AS decided_by, \
         es.status AS school_status, es.decided_at AS school_decided_at, sa.display_name AS school_decided_by, \
         e.authorisation_upload_id, e.licence_upload_id \
         FROM employers e \
         LEFT JOIN accounts pa ON pa.id = e.decided_by \
         LEFT JOIN employer_schools es ON es.employer_id = e.id AND es.school_id = $2 \
         LEFT JOIN accounts sa ON sa.id = es.decided_by \
         WHERE e.id = $1",
    )
    .bind(employer_id.to_string())
    .bind(school_id.to_string())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ServiceError::NotFound("单位"))?;
    let ids: Vec<String> = [&e.authorisation_upload_id, &e.licence_upload_id]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let uploads = record_uploads::files(conn, &ids).await?;
    let verified = |status: &str, at: Option<Millis>| if status == "verified" { at } else { None };
    Ok(LoadedEmployer {
        view: AttestedEmployer {
            unit_nature: codes::UNIT_NATURE
                .name_of(&e.unit_nature_code)
                .map(str::to_string),
            industry: codes::INDUSTRY
                .name_of(&e.industry_code)
                .map(str::to_string),
            platform_status_label: policy::employer_school_status_label(&e.status),
            platform_verified_at: verified(&e.status, e.decided_at),
            platform_verified_by: e.decided_by.filter(|_| e.status == "verified"),
            school_status_label: e
                .school_status
                .as_deref()
                .map(policy::employer_school_status_label),
            school_verified_at: e
                .school_status
                .as_deref()
                .and_then(|s| verified(s, e.school_decided_at)),
            school_verified_by: e
                .school_decided_by
                .filter(|_| e.school_status.as_deref() == Some("verified")),
            id: e.id,
            name: e.name,
            credit_code: e.credit_code,
            province: e.province,
            city: e.city,
            address: e.address,
            postcode: e.postcode,
            phone: e.phone,
            email: e.email,
            contact_name: e.contact_name,
            uploads,
        },
        unit_nature_code: e.unit_nature_code,
        industry_code: e.industry_code,
    })
}

/// Saves the reviewer's normalised fields, validated at once, and answers the view again.
pub async fn update_attestation_fields(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: AttestationFields,
) -> ServiceResult<AttestationView> {
    let fields = input.validate().map_err(|e| terms_errors(e, ""))?;
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    let row = load_visible(&mut tx, actor, id).await?;
    allow(policy::fill_attestation(actor, scope_of(&row)), AGREEMENT)?;
    let state = row.state_at(now)?;
    attestation::may_fill(row.kind(), state).map_err(|r| ServiceError::Conflict(r.to_string()))?;
    sqlx::query(
        "UPDATE agreements SET attest_unit_nature_code = $1, attest_industry_code = $2, attest_county_code = $3, \
         attest_address = $4, attest_by = $5, attest_at = $6 WHERE id = $7",
    )
    .bind(fields.unit_nature_code.clone())
    .bind(fields.industry_code.clone())
    .bind(fields.place.county_code.clone())
    .bind(fields.place.street.clone())
    .bind(actor.account_id.to_string())
    .bind(now)
    .bind(row.id.to_string())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "update_attestation_fields",
            target_kind: "agreement",
            target_id: &row.id,
            school_id: Some(&row.school_id),
            detail: serde_json::to_value(&fields).unwrap_or_default(),
        },
    )
    .await?;
    tx.commit().await?;
    get_attestation(store, actor, id).await
}

/// The place as the form sends it back after an error.
pub fn place_of(v: &AttestationFieldsView) -> RegionAddress {
    RegionAddress {
        county_code: v.county_code.clone(),
        street: v.address.clone(),
    }
}
