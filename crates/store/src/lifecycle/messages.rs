//! In-app messages (SPEC §12): one for every event that needs the other side to act, written
//! in the event's transaction. E-mail and SMS delivery are a later capability.

use serde::Serialize;
use sqlx::AnyConnection;
use wangqian_domain::role::{Actor, Role};

use crate::query::Filter;
use crate::Millis;
use crate::{new_id, Page, Paging, ServiceError, ServiceResult, Store};

/// Who receives a message: a graduate, an employer (all its HR accounts), a department's
/// reviewers or a school's administrators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient<'a> {
    Graduate(&'a str),
    Employer(&'a str),
    Department(&'a str),
    School(&'a str),
}

impl Recipient<'_> {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            Recipient::Graduate(id) => ("graduate", id),
            Recipient::Employer(id) => ("employer", id),
            Recipient::Department(id) => ("department", id),
            Recipient::School(id) => ("school", id),
        }
    }
}

pub struct NewMessage<'a> {
    pub school_id: &'a str,
    pub record_kind: &'a str,
    pub record_id: &'a str,
    pub title: String,
    pub body: String,
    /// The request's time.
    pub at: Millis,
}

pub async fn send(
    conn: &mut AnyConnection,
    to: Recipient<'_>,
    m: &NewMessage<'_>,
) -> Result<(), sqlx::Error> {
    let (kind, id) = to.parts();
    sqlx::query(
        "INSERT INTO messages (id, school_id, recipient_kind, recipient_id, record_kind, record_id, title, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(m.school_id.to_string())
    .bind(kind)
    .bind(id.to_string())
    .bind(m.record_kind.to_string())
    .bind(m.record_id.to_string())
    .bind(m.title.clone())
    .bind(m.body.clone())
    .bind(m.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The inbox an actor reads: their own, their company's, their department's or their school's.
fn inbox(actor: &Actor) -> ServiceResult<(&'static str, String)> {
    fn pick<T: ToString>(
        kind: &'static str,
        id: &Option<T>,
    ) -> ServiceResult<(&'static str, String)> {
        id.as_ref()
            .map(|id| (kind, id.to_string()))
            .ok_or(ServiceError::Forbidden)
    }
    match actor.role {
        Role::Graduate => pick("graduate", &actor.graduate_id),
        Role::EmployerMember => pick("employer", &actor.employer_id),
        Role::DepartmentReviewer => pick("department", &actor.department_id),
        Role::SchoolAdmin => pick("school", &actor.school_id),
        Role::ProvincialAdmin => Err(ServiceError::Forbidden),
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MessageRow {
    pub id: String,
    pub record_kind: String,
    pub record_id: String,
    pub title: String,
    pub body: String,
    pub created_at: Millis,
    pub read_at: Option<Millis>,
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    unread_only: bool,
    paging: Paging,
) -> ServiceResult<Page<MessageRow>> {
    let (kind, id) = inbox(actor)?;
    let mut q = Filter::new();
    q.and_eq("recipient_kind", kind).and_eq("recipient_id", id);
    if unread_only {
        q.and("read_at IS NULL");
    }
    let mut conn = store.reader().acquire().await?;
    let total = q.count_capped(&mut *conn, "FROM messages", None).await?;
    let limit = q.arg(paging.per_page + 1);
    let offset = q.arg(paging.offset());
    let sql = format!(
        "SELECT id, record_kind, record_id, title, body, created_at, read_at FROM messages {} \
         ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}",
        q.where_sql()
    );
    let rows = q
        .bind(sqlx::query_as::<_, MessageRow>(&sql))
        .fetch_all(&mut *conn)
        .await?;
    Ok(Page::from_rows(rows, paging, total, |_| String::new()).without_cursor())
}

/// Marks a message read and answers the record it is about (kind, id); someone else's message
/// is "not found".
pub async fn mark_read(
    store: &Store,
    actor: &Actor,
    message_id: &str,
) -> ServiceResult<(String, String)> {
    let (kind, id) = inbox(actor)?;
    sqlx::query_as::<_, (String, String)>(
        "UPDATE messages SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND recipient_kind = $3 AND recipient_id = $4 \
         RETURNING record_kind, record_id",
    )
    .bind(store.now())
    .bind(message_id.to_string())
    .bind(kind)
    .bind(id)
    .fetch_optional(store.writer())
    .await?
    .ok_or(ServiceError::NotFound("消息"))
}

pub async fn unread_count(store: &Store, actor: &Actor) -> ServiceResult<i64> {
    let Ok((kind, id)) = inbox(actor) else {
        return Ok(0);
    };
    let n: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM messages WHERE recipient_kind = $1 AND recipient_id = $2 AND read_at IS NULL",
    )
    .bind(kind)
    .bind(id)
    .fetch_one(store.reader())
    .await?;
    Ok(n.0)
}
