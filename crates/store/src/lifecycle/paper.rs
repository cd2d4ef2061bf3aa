//! Paper agreements (线下签约, SPEC §7): the graduate types the signed paper in, saves drafts,
//! previews, generates (final after a second confirmation); the school approves the content,
//! the graduate uploads the stamped scan, the school approves it and the agreement is effective.

use serde::{Deserialize, Serialize};
use wangqian_domain::lifecycle::{
    self as lc, AgreementAction as A, AgreementKind, AgreementState, Party,
};
use wangqian_domain::role::{Actor, Role};
use wangqian_domain::terms::{AgreementTerms, PaperEmployer};

use super::invitations::insert_version;
use super::{
    actor_name, apply, idempotency, load_facts, prepare, refused, run_action, terms_errors, trail,
    ActionRequest, Applied, Changes, FactsOf, IdemKey, STALE,
};
use crate::blobs::{save_upload, BlobStore, NewUpload};
use crate::employers::UploadedFile;
#[allow(unused_imports)]
use crate::{AgreementId, BlobId, EmployerId, GraduateId, Millis, SchoolId};
use crate::{ServiceError, ServiceResult, Store};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaperAgreementInput {
    pub employer: PaperEmployer,
    pub terms: AgreementTerms,
    pub version: Option<i64>,
}

fn checked(input: &PaperAgreementInput) -> ServiceResult<(PaperEmployer, AgreementTerms)> {
    let mut employer = input.employer.clone();
    for f in [
        &mut employer.name,
        &mut employer.credit_code,
        &mut employer.unit_nature_code,
        &mut employer.industry_code,
        &mut employer.location,
        &mut employer.address,
        &mut employer.postcode,
    ] {
        *f = f.trim().to_string();
    }
    employer.credit_code = employer.credit_code.to_uppercase();
    let terms = input.terms.clone().normalised();
    let mut errors = Vec::new();
    if let Err(e) = employer.validate() {
        if let ServiceError::Validation(f) = terms_errors(e, "employer.") {
            errors.extend(f);
        }
    }
    if let Err(e) = terms.validate() {
        if let ServiceError::Validation(f) = terms_errors(e, "terms.") {
            errors.extend(f);
        }
    }
    if errors.is_empty() {
        Ok((employer, terms))
    } else {
        Err(ServiceError::Validation(errors))
    }
}

/// Saves a new draft for the graduate (no outcome is held until it is generated).
pub async fn create_paper_agreement(
    store: &Store,
    actor: &Actor,
    input: PaperAgreementInput,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    let (Role::Graduate, Some(graduate_id)) = (actor.role, actor.graduate_id.clone()) else {
        return Err(ServiceError::Forbidden);
    };
    let (employer, terms) = checked(&input)?;
    let mut tx = store.writer().begin().await?;
    if let Some(done) = idempotency::claim::<Applied>(
        &mut tx,
        actor,
        idem,
        "create_paper_agreement",
        &graduate_id,
        store.now(),
    )
    .await?
    {
        return Ok(done);
    }
    let now = store.now();
    let subject = FactsOf::New {
        kind: AgreementKind::Paper,
        graduate_id: &graduate_id,
        employer_id: None,
    };
    let (facts, settings, g) = load_facts(&mut tx, subject, A::CreateDraft, now).await?;
    let effects = lc::decide(None, A::CreateDraft, Party::Graduate, &facts)
        .map_err(|r| refused(r, AgreementState::Draft, A::CreateDraft))?;
    let (school_id, department_id, year) = (g.school_id, g.department_id, g.graduation_year);
    let id: AgreementId = crate::fresh();
    let name = actor_name(&mut tx, actor).await?;
    let terms_json = serde_json::to_string(&terms).map_err(anyhow::Error::from)?;
    let terms_hash = trail::terms_digest(
        &terms_json,
        &[(1, "in_force".to_string(), terms_json.clone())],
    );
    let event = trail::NewEvent {
        record_kind: "agreement",
        record_id: &id,
        school_id: &school_id,
        at: now,
        actor_account_id: Some(&actor.account_id),
        actor_name: &name,
        party: Party::Graduate.as_str(),
        action: A::CreateDraft.as_str(),
        from_state: None,
        to_state: effects.to.as_str(),
        remark: "",
        terms_hash: Some(&terms_hash),
    };
    let (seq, hash) = trail::next_head(&store.pii, 0, trail::GENESIS, &event);
    sqlx::query(
        "INSERT INTO agreements (id, kind, school_id, department_id, graduate_id, graduation_year, employer_name, \
         employer_credit_code, paper_employer, state, awaiting, version, terms_version, terms, binding_moment, trail_seq, trail_hash, \
         created_by, created_at, updated_at) \
         VALUES ($1, 'paper', $2, $3, $4, $5, $6, $7, $8, 'draft', 'graduate', 1, 1, $9, $10, $11, $12, $13, $14, $14)",
    )
    .bind(id.clone())
    .bind(school_id.clone())
    .bind(department_id)
    .bind(graduate_id)
    .bind(year)
    .bind(employer.name.clone())
    .bind(employer.credit_code.clone())
    .bind(serde_json::to_string(&employer).map_err(anyhow::Error::from)?)
    .bind(terms_json.clone())
    .bind(settings.binding_moment.as_str())
    .bind(seq)
    .bind(hash.clone())
    .bind(actor.account_id.clone())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    insert_version(
        &mut tx,
        &id,
        &school_id,
        1,
        &terms_json,
        "in_force",
        actor,
        now,
    )
    .await?;
    trail::insert(&mut tx, &event, seq, trail::GENESIS, &hash).await?;
    let applied = Applied {
        id,
        state: AgreementState::Draft.as_str().into(),
        state_label: AgreementState::Draft.label().into(),
        version: 1,
        number: None,
    };
    idempotency::remember(&mut tx, actor, idem, &applied).await?;
    tx.commit().await?;
    Ok(applied)
}

/// Edits a draft (also after the school sent the content back). Not a state change, so no
/// trail event; the version still moves so that two open tabs cannot overwrite each other.
pub async fn update_paper_agreement(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: PaperAgreementInput,
) -> ServiceResult<Applied> {
    if actor.role != Role::Graduate {
        return Err(ServiceError::Forbidden);
    }
    let (employer, terms) = checked(&input)?;
    let mut tx = store.writer().begin().await?;
    let req = ActionRequest {
        store,
        actor,
        agreement_id: id,
        action: A::EditDraft,
        version: input.version,
        idem: None,
        remark: "",
    };
    // The decision is the same as for any action; a draft's edit is not a trail step
    // (`Effects::logged`), so it is written here without an event.
    let p = prepare(&mut tx, &req).await?;
    let row = p.row;
    let expected = row.version;
    let terms_json = serde_json::to_string(&terms).map_err(anyhow::Error::from)?;
    let n = sqlx::query(
        "UPDATE agreements SET employer_name = $1, employer_credit_code = $2, paper_employer = $3, terms = $4, \
         version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7",
    )
    .bind(employer.name.clone())
    .bind(employer.credit_code.clone())
    .bind(serde_json::to_string(&employer).map_err(anyhow::Error::from)?)
    .bind(terms_json.clone())
    .bind(store.now())
    .bind(id.to_string())
    .bind(expected)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ServiceError::Conflict(STALE.into()));
    }
    sqlx::query(
        "UPDATE agreement_versions SET terms = $1 WHERE agreement_id = $2 AND status = 'in_force'",
    )
    .bind(terms_json)
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Applied {
        id: id.clone(),
        state: row.state.as_str().to_string(),
        state_label: AgreementState::Draft.label().into(),
        version: expected + 1,
        number: None,
    })
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitPaper {
    /// The second confirmation: generation is final.
    pub confirm: bool,
    pub version: Option<i64>,
}

/// Generates the agreement from the draft and submits it for content review; from here on the
/// graduate's one outcome is held.
pub async fn submit_paper_agreement(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: SubmitPaper,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    if !input.confirm {
        return Err(ServiceError::field(
            "confirm",
            "生成后协议书内容不能再修改，请预览无误后确认",
        ));
    }
    run_action(
        ActionRequest {
            store,
            actor,
            agreement_id: id,
            action: A::SubmitPaper,
            version: input.version,
            idem,
            remark: "",
        },
        |_| {
            Ok(Changes {
                signed: true,
                ..Changes::default()
            })
        },
    )
    .await
}

/// The graduate uploads the scan of the paper signed and stamped by the employer.
pub async fn upload_signed_agreement(
    store: &Store,
    blobs: &dyn BlobStore,
    actor: &Actor,
    id: &AgreementId,
    scan: UploadedFile,
    version: Option<i64>,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    let req = ActionRequest {
        store,
        actor,
        agreement_id: id,
        action: A::UploadSignedScan,
        version,
        idem,
        remark: "",
    };
    let mut tx = store.writer().begin().await?;
    if let Some(done) =
        idempotency::claim::<Applied>(&mut tx, actor, idem, req.operation(), id, store.now())
            .await?
    {
        return Ok(done);
    }
    let p = prepare(&mut tx, &req).await?;
    let upload = save_upload(
        blobs,
        &mut tx,
        NewUpload {
            at: store.now(),
            kind: "signed_agreement",
            content_type: scan.content_type,
            original_name: scan.original_name,
            bytes: scan.bytes,
            uploaded_by: Some(actor.account_id.to_string()),
            school_id: Some(p.row.school_id.to_string()),
        },
    )
    .await?;
    let changes = Changes {
        signed_scan_id: Some(upload),
        ..Changes::default()
    };
    let applied = apply(
        &mut tx,
        &store.pii,
        &p.row,
        Some(actor),
        p.step(A::UploadSignedScan, "", changes),
    )
    .await?;
    idempotency::remember(&mut tx, actor, idem, &applied).await?;
    tx.commit().await?;
    Ok(applied)
}
