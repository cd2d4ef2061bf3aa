//! Per-school, per-cohort signing settings (SPEC §10). A missing row means the domain defaults.

use time::Date;
use wangqian_domain::policy;
use wangqian_domain::role::Actor;
use wangqian_domain::settings::{
    BindingMoment, EmployerVerification, ReviewLevels, SigningSettings,
};

use crate::audit::{self, AuditEntry};
use crate::error::allow;
use crate::error::FieldError;
use crate::{SchoolId, ServiceError, ServiceResult, Store};

fn iso(d: Date) -> String {
    d.to_string()
}

fn parse_date(s: &str) -> anyhow::Result<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Ok(Date::parse(s, &fmt)?)
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    graduation_year: i64,
    signing_opens_on: String,
    signing_closes_on: String,
    review_levels: String,
    binding_moment: String,
    employer_may_request_termination: i64,
    termination_not_before: String,
    max_terminations: i64,
    invitation_validity_days: i64,
    employer_verification: String,
    agreement_copies: i64,
    roster_review: i64,
}

impl SettingsRow {
    fn into_domain(self) -> anyhow::Result<SigningSettings> {
        let bad = |what: &str| anyhow::anyhow!("stored setting {what} unreadable");
        Ok(SigningSettings {
            graduation_year: u16::try_from(self.graduation_year)?,
            signing_opens_on: parse_date(&self.signing_opens_on)?,
            signing_closes_on: parse_date(&self.signing_closes_on)?,
            review_levels: ReviewLevels::parse(&self.review_levels)
                .ok_or_else(|| bad("review_levels"))?,
            binding_moment: BindingMoment::parse(&self.binding_moment)
                .ok_or_else(|| bad("binding_moment"))?,
            employer_may_request_termination: self.employer_may_request_termination != 0,
            termination_not_before: parse_date(&self.termination_not_before)?,
            max_terminations: u8::try_from(self.max_terminations)?,
            invitation_validity_days: u8::try_from(self.invitation_validity_days)?,
            employer_verification: EmployerVerification::parse(&self.employer_verification)
                .ok_or_else(|| bad("employer_verification"))?,
            agreement_copies: u8::try_from(self.agreement_copies)?,
            roster_review: self.roster_review != 0,
        })
    }
}

/// Settings in force for a school's cohort (no access check: used by other services).
pub async fn effective(
    store: &Store,
    school_id: &str,
    year: u16,
) -> ServiceResult<SigningSettings> {
    let mut conn = store.reader().acquire().await?;
    effective_in(&mut conn, school_id, year).await
}

/// [`effective`] on a connection the caller holds (inside a transaction, so that a busy pool
/// is not asked for a second connection).
pub async fn effective_in(
    conn: &mut sqlx::AnyConnection,
    school_id: &str,
    year: u16,
) -> ServiceResult<SigningSettings> {
    let row = sqlx::query_as::<_, SettingsRow>(
        "SELECT graduation_year, signing_opens_on, signing_closes_on, review_levels, binding_moment, \
         employer_may_request_termination, termination_not_before, max_terminations, invitation_validity_days, \
         employer_verification, agreement_copies, roster_review FROM signing_settings WHERE school_id = $1 AND graduation_year = $2",
    )
    .bind(school_id.to_string())
    .bind(i64::from(year))
    .fetch_optional(conn)
    .await?;
    match row {
        Some(r) => Ok(r.into_domain()?),
        None => Ok(SigningSettings::defaults_for(year)),
    }
}

pub async fn get_settings(
    store: &Store,
    actor: &Actor,
    school_id: &str,
    year: u16,
) -> ServiceResult<SigningSettings> {
    allow(
        policy::view_school_settings(actor, &SchoolId::from(school_id)),
        "学校",
    )?;
    effective(store, school_id, year).await
}

pub async fn update_settings(
    store: &Store,
    actor: &Actor,
    school_id: &str,
    settings: SigningSettings,
) -> ServiceResult<SigningSettings> {
    allow(
        policy::administer_school(actor, &SchoolId::from(school_id)),
        "学校",
    )?;
    if let Err(errors) = settings.validate() {
        return Err(ServiceError::Validation(
            errors
                .into_iter()
                .map(|e| FieldError::new(e.field, e.reason))
                .collect(),
        ));
    }
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "INSERT INTO signing_settings (school_id, graduation_year, signing_opens_on, signing_closes_on, review_levels, \
           binding_moment, employer_may_request_termination, termination_not_before, max_terminations, \
           invitation_validity_days, employer_verification, updated_by, created_at, updated_at, agreement_copies, roster_review) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15) \
         ON CONFLICT (school_id, graduation_year) DO UPDATE SET signing_opens_on = $3, signing_closes_on = $4, \
           review_levels = $5, binding_moment = $6, employer_may_request_termination = $7, termination_not_before = $8, \
           max_terminations = $9, invitation_validity_days = $10, employer_verification = $11, updated_by = $12, updated_at = $13, \
           agreement_copies = $14, roster_review = $15",
    )
    .bind(school_id.to_string())
    .bind(i64::from(settings.graduation_year))
    .bind(iso(settings.signing_opens_on))
    .bind(iso(settings.signing_closes_on))
    .bind(settings.review_levels.as_str())
    .bind(settings.binding_moment.as_str())
    .bind(i64::from(settings.employer_may_request_termination))
    .bind(iso(settings.termination_not_before))
    .bind(i64::from(settings.max_terminations))
    .bind(i64::from(settings.invitation_validity_days))
    .bind(settings.employer_verification.as_str())
    .bind(actor.account_id.clone())
    .bind(now)
    .bind(i64::from(settings.agreement_copies))
    .bind(i64::from(settings.roster_review))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "update_signing_settings",
            target_kind: "school",
            target_id: school_id,
            school_id: Some(school_id),
            detail: serde_json::to_value(&settings).map_err(anyhow::Error::from)?,
        },
    )
    .await?;
    reassign_awaiting(&mut tx, school_id, &settings).await?;
    tx.commit().await?;
    Ok(settings)
}

/// Whose move each open record of the cohort is depends on the review levels: after a change
/// the stored `awaiting` (to-do counts, 待我处理) is recomputed in the same transaction, from
/// the same domain rule the actions use, so that it never points at the wrong reviewers.
async fn reassign_awaiting(
    conn: &mut sqlx::AnyConnection,
    school_id: &str,
    settings: &SigningSettings,
) -> ServiceResult<()> {
    use wangqian_domain::lifecycle::{awaiting, AgreementKind, AgreementState, Facts};
    for kind in [AgreementKind::Online, AgreementKind::Paper] {
        let facts = Facts {
            review_levels: settings.review_levels,
            ..Facts::open(kind)
        };
        for &state in AgreementState::ALL {
            // Who answers a termination request depends on who asked, not on the settings.
            if !state.belongs_to(kind) || state == AgreementState::TerminationRequested {
                continue;
            }
            sqlx::query(
                "UPDATE agreements SET awaiting = $1 WHERE school_id = $2 AND graduation_year = $3 AND kind = $4 \
                 AND state = $5 AND COALESCE(awaiting, '') <> COALESCE($1, '')",
            )
            .bind(awaiting(state, &facts).map(|p| p.as_str()))
            .bind(school_id.to_string())
            .bind(i64::from(settings.graduation_year))
            .bind(kind.as_str())
            .bind(state.as_str())
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}
