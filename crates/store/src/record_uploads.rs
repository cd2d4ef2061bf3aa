//! The files of a record (termination letters, signed scans, destination proofs, employer
//! certificates) and the record a file belongs to. Who may download a file is the policy's
//! `download_upload`, decided by that record; this module only finds the facts.

use serde::Serialize;
use sqlx::AnyConnection;
use wangqian_domain::policy::{self, UploadOwner};
use wangqian_domain::role::{Actor, Role};

use crate::blobs::UploadRow;
use crate::{query, ServiceResult, Store};

/// One file as a record's detail lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordUpload {
    pub id: String,
    /// `termination_proof`, `signed_agreement`, `destination_proof`, `release_proof`,
    /// `licence`, `authorisation_letter`, `graduate_signature`, …
    pub kind: String,
    pub kind_label: &'static str,
    pub content_type: String,
    /// Bytes.
    pub size: i64,
}

impl RecordUpload {
    /// Images are shown as thumbnails; anything else (PDF) as a link.
    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }
}

/// The uploads with these ids, in the order given, read with one statement; ids without a
/// file are left out.
pub(crate) async fn files(
    conn: &mut AnyConnection,
    ids: &[String],
) -> ServiceResult<Vec<RecordUpload>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT id, kind, content_type, byte_size FROM uploads WHERE id IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query_as::<_, (String, String, String, i64)>(&sql);
    for id in ids {
        q = q.bind(id.clone());
    }
    let mut found = q.fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(found.len());
    for id in ids {
        if let Some(i) = found.iter().position(|r| &r.0 == id) {
            let (id, kind, content_type, size) = found.swap_remove(i);
            out.push(RecordUpload {
                kind_label: policy::upload_kind_label(&kind),
                id,
                kind,
                content_type,
                size,
            });
        }
    }
    Ok(out)
}

/// The files of several records at once (a review queue's page), each list in the order of its
/// ids; one statement for the whole page.
pub async fn files_of_each(
    store: &Store,
    records: &[Vec<String>],
) -> ServiceResult<Vec<Vec<RecordUpload>>> {
    let all: Vec<String> = records.iter().flatten().cloned().collect();
    let found = files(&mut *store.reader().acquire().await?, &all).await?;
    Ok(records
        .iter()
        .map(|ids| {
            ids.iter()
                .filter_map(|id| found.iter().find(|u| &u.id == id).cloned())
                .collect()
        })
        .collect())
}

/// The record an upload belongs to, with the facts its view rule needs; `None` for a file that
/// belongs to no record.
pub async fn owner_of_upload(
    store: &Store,
    actor: &Actor,
    upload: &UploadRow,
) -> ServiceResult<Option<UploadOwner>> {
    let id = upload.id.clone();
    let db = store.reader();
    Ok(match upload.kind.as_str() {
        kind @ ("termination_proof" | "signed_agreement") => {
            // Each kind has its own column (and its own index), so the look-up is one probe.
            let column = if kind == "termination_proof" {
                "termination_proof_id"
            } else {
                "signed_scan_id"
            };
            sqlx::query_as::<_, (String, String, String, Option<String>)>(&format!(
                "SELECT a.graduate_id, a.school_id, g.department_id, a.employer_id FROM agreements a \
                 JOIN graduates g ON g.id = a.graduate_id WHERE a.{column} = $1"
            ))
            .bind(id)
            .fetch_optional(db)
            .await?
            .map(|(g, s, d, e)| UploadOwner::Agreement {
                graduate_id: g.into(),
                school_id: s.into(),
                department_id: d.into(),
                employer_id: e.map(Into::into),
            })
        }
        "destination_proof" | "release_proof" => {
            // Proofs of registration are a JSON list on the record; the file keeps the school,
            // which narrows the search to that school's records.
            let row = if upload.kind == "release_proof" {
                sqlx::query_as::<_, (String, String, String)>(
                    "SELECT d.graduate_id, d.school_id, d.department_id FROM destinations d WHERE d.release_proof_id = $1",
                )
                .bind(id)
                .fetch_optional(db)
                .await?
            } else {
                sqlx::query_as::<_, (String, String, String)>(
                    "SELECT d.graduate_id, d.school_id, d.department_id FROM destinations d \
                     WHERE d.school_id = $1 AND d.proof_ids LIKE $2 ESCAPE '\\'",
                )
                .bind(upload.school_id.clone().unwrap_or_default())
                .bind(query::contains_pattern(&format!("\"{id}\"")))
                .fetch_optional(db)
                .await?
            };
            row.map(|(g, s, d)| UploadOwner::Destination {
                graduate_id: g.into(),
                school_id: s.into(),
                department_id: d.into(),
            })
        }
        "licence" | "authorisation_letter" => {
            match crate::employers::employer_of_upload(store, &id).await? {
                Some(employer_id) => {
                    let at_school = crate::employers::recruits_at(
                        store,
                        &employer_id,
                        actor.school_id.as_deref(),
                    )
                    .await?;
                    let party_to_reviewed_agreement =
                        party_to_reviewed_agreement(store, actor, &employer_id).await?;
                    Some(UploadOwner::EmployerCertificate {
                        employer_id: employer_id.into(),
                        recruits_at_actor_school: at_school,
                        party_to_reviewed_agreement,
                    })
                }
                None => None,
            }
        }
        "graduate_signature" => sqlx::query_as::<_, (String,)>(
            "SELECT id FROM graduates WHERE signature_upload_id = $1",
        )
        .bind(id)
        .fetch_optional(db)
        .await?
        .map(|(g,)| UploadOwner::GraduateSignature {
            graduate_id: g.into(),
        }),
        "employer_signature" | "employer_seal" => sqlx::query_as::<_, (String,)>(
            "SELECT id FROM employers WHERE signature_upload_id = $1 OR seal_upload_id = $1",
        )
        .bind(id)
        .fetch_optional(db)
        .await?
        .map(|(e,)| UploadOwner::EmployerSignature {
            employer_id: e.into(),
        }),
        "correction_proof" => sqlx::query_as::<_, (String, String, String)>(
            "SELECT c.graduate_id, c.school_id, g.department_id FROM record_corrections c \
             JOIN graduates g ON g.id = c.graduate_id WHERE c.proof_upload_id = $1",
        )
        .bind(id)
        .fetch_optional(db)
        .await?
        .map(|(g, s, d)| UploadOwner::CorrectionProof {
            graduate_id: g.into(),
            school_id: s.into(),
            department_id: d.into(),
        }),
        // Roster files are deleted once imported; logos have their own route.
        _ => None,
    })
}

/// Whether the employer is a party of an agreement in the staff member's scope (the school, and
/// the department for a reviewer). Other roles: false.
async fn party_to_reviewed_agreement(
    store: &Store,
    actor: &Actor,
    employer_id: &str,
) -> ServiceResult<bool> {
    let Some(school_id) = actor.school_id.as_deref() else {
        return Ok(false);
    };
    let department = match actor.role {
        Role::DepartmentReviewer => match actor.department_id.as_deref() {
            Some(d) => Some(d.to_string()),
            None => return Ok(false),
        },
        Role::SchoolAdmin => None,
        Role::Graduate | Role::EmployerMember | Role::ProvincialAdmin => return Ok(false),
    };
    let sql = format!(
        "SELECT 1 FROM agreements a JOIN graduates g ON g.id = a.graduate_id \
         WHERE a.school_id = $1 AND a.employer_id = $2{} LIMIT 1",
        if department.is_some() {
            " AND g.department_id = $3"
        } else {
            ""
        }
    );
    let mut q = sqlx::query_as::<_, (i64,)>(&sql)
        .bind(school_id.to_string())
        .bind(employer_id.to_string());
    if let Some(d) = department {
        q = q.bind(d);
    }
    let found = q.fetch_optional(store.reader()).await?;
    Ok(found.is_some())
}
