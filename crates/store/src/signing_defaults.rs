//! 签约信息确认 (002 §2.1.1): the company's signing defaults. A verified company confirms them on
//! first use; every invitation form starts from them. Invitations still carry their own terms,
//! so a change here never alters an offer already sent.

use wangqian_domain::policy;
use wangqian_domain::role::Actor;
use wangqian_domain::terms::{
    ArchiveMode, ArchiveReceiving, HouseholdKind, HouseholdReceiving, SigningDefaults,
    ARCHIVE_FIELDS,
};

use crate::audit::{self, AuditEntry};
use crate::error::{allow, FieldError};
use crate::{EmployerId, Millis, ServiceError, ServiceResult, Store};

/// The defaults as stored, with when and by whom they were last confirmed.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SavedSigningDefaults {
    #[serde(flatten)]
    pub defaults: SigningDefaults,
    pub updated_at: Millis,
}

#[derive(sqlx::FromRow)]
struct Row {
    unit_nature_code: String,
    location: String,
    archive_mode: String,
    archive_unit_name: String,
    archive_address: String,
    archive_postcode: String,
    archive_contact_name: String,
    archive_contact_phone: String,
    household_kind: String,
    household_address: String,
    updated_at: Millis,
}

impl Row {
    fn into_saved(self) -> anyhow::Result<SavedSigningDefaults> {
        let mode = ArchiveMode::parse(&self.archive_mode)
            .ok_or_else(|| anyhow::anyhow!("unknown archive_mode {}", self.archive_mode))?;
        let kind = HouseholdKind::parse(&self.household_kind)
            .ok_or_else(|| anyhow::anyhow!("unknown household_kind {}", self.household_kind))?;
        Ok(SavedSigningDefaults {
            defaults: SigningDefaults {
                unit_nature_code: self.unit_nature_code,
                location: self.location,
                archive: ArchiveReceiving {
                    mode,
                    unit_name: self.archive_unit_name,
                    address: self.archive_address,
                    postcode: self.archive_postcode,
                    contact_name: self.archive_contact_name,
                    contact_phone: self.archive_contact_phone,
                },
                household: HouseholdReceiving {
                    kind,
                    address: self.household_address,
                },
            },
            updated_at: self.updated_at,
        })
    }
}

fn own_employer(actor: &Actor) -> ServiceResult<&EmployerId> {
    allow(policy::signing_defaults(actor), "签约信息")?;
    actor.employer_id.as_ref().ok_or(ServiceError::Forbidden)
}

/// The company's defaults; `None` until a member has confirmed them.
pub async fn get_signing_defaults(
    store: &Store,
    actor: &Actor,
) -> ServiceResult<Option<SavedSigningDefaults>> {
    let employer_id = own_employer(actor)?;
    let row: Option<Row> = sqlx::query_as(
        "SELECT unit_nature_code, location, archive_mode, archive_unit_name, archive_address, \
         archive_postcode, archive_contact_name, archive_contact_phone, household_kind, \
         household_address, updated_at FROM employer_signing_defaults WHERE employer_id = $1",
    )
    .bind(employer_id.as_str().to_string())
    .fetch_optional(store.reader())
    .await?;
    Ok(row.map(Row::into_saved).transpose()?)
}

fn label(field: &str) -> &'static str {
    match field {
        "unit_nature_code" => "单位性质",
        "location" => "单位所在地",
        "household_kind" => "户口接收类型",
        "household_address" => "户口接收地址",
        other => ARCHIVE_FIELDS
            .iter()
            .find(|(f, _)| *f == other)
            .map_or("字段", |(_, l)| l),
    }
}

/// The defaults' own rules as the service reports them (field names, Chinese messages); a page
/// that cannot build the whole input uses it to show every problem at once.
pub fn check(d: &SigningDefaults) -> ServiceResult<()> {
    d.validate().map_err(|errors| {
        ServiceError::Validation(
            errors
                .into_iter()
                .map(|e| FieldError::new(e.field, format!("{}：{}", label(e.field), e.reason)))
                .collect(),
        )
    })
}

/// Saves (or replaces) the company's defaults; every problem is reported at once.
pub async fn update_signing_defaults(
    store: &Store,
    actor: &Actor,
    input: SigningDefaults,
) -> ServiceResult<SavedSigningDefaults> {
    let employer_id = own_employer(actor)?.clone();
    let d = input.normalised();
    check(&d)?;
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "INSERT INTO employer_signing_defaults (employer_id, unit_nature_code, location, archive_mode, \
         archive_unit_name, archive_address, archive_postcode, archive_contact_name, archive_contact_phone, \
         household_kind, household_address, updated_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
         ON CONFLICT (employer_id) DO UPDATE SET unit_nature_code = excluded.unit_nature_code, \
         location = excluded.location, archive_mode = excluded.archive_mode, \
         archive_unit_name = excluded.archive_unit_name, archive_address = excluded.archive_address, \
         archive_postcode = excluded.archive_postcode, archive_contact_name = excluded.archive_contact_name, \
         archive_contact_phone = excluded.archive_contact_phone, household_kind = excluded.household_kind, \
         household_address = excluded.household_address, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
    )
    .bind(employer_id.as_str().to_string())
    .bind(d.unit_nature_code.clone())
    .bind(d.location.clone())
    .bind(d.archive.mode.as_str())
    .bind(d.archive.unit_name.clone())
    .bind(d.archive.address.clone())
    .bind(d.archive.postcode.clone())
    .bind(d.archive.contact_name.clone())
    .bind(d.archive.contact_phone.clone())
    .bind(d.household.kind.as_str())
    .bind(d.household.address.clone())
    .bind(actor.account_id.as_str().to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "update_signing_defaults",
            target_kind: "employer",
            target_id: employer_id.as_str(),
            school_id: None,
            detail: serde_json::to_value(&d).unwrap_or_default(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SavedSigningDefaults {
        defaults: d,
        updated_at: now,
    })
}
