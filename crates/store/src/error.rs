//! The one error type services return. It knows nothing of HTTP; the web layer maps it.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input that fails validation; every field's problem is listed.
    #[error("提交的信息有误")]
    Validation(Vec<FieldError>),
    /// Bad input that is not about one field (e.g. an unreadable file).
    #[error("{0}")]
    BadRequest(String),
    /// The record does not exist or is outside the actor's scope.
    #[error("{0}不存在或无权访问")]
    NotFound(&'static str),
    /// Nothing matched a search; the message explains what to check.
    #[error("{0}")]
    Missing(String),
    /// The actor's role may not do this at all.
    #[error("无权执行此操作")]
    Forbidden,
    /// The request conflicts with the current state (duplicate, already done).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("登录失败次数过多，账号已临时锁定，请于 {minutes} 分钟后再试")]
    Locked { minutes: i64 },
    #[error("尝试过于频繁，请稍后再试")]
    RateLimited,
    /// A part the operation needs is missing on this server (no CJK font for PDFs); the
    /// message says what to install.
    #[error("{0}")]
    Unavailable(String),
    #[error("服务器内部错误")]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    pub fn field(field: &str, message: impl Into<String>) -> ServiceError {
        ServiceError::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            // The database is unreachable or every connection is busy: the caller should retry
            // in a moment (503), not read it as a fault of the request.
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::warn!(error = %e, "database unavailable");
                ServiceError::Unavailable(crate::password::BUSY.into())
            }
            e => ServiceError::Internal(e.into()),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// True when an error chain ends in an unreachable or exhausted database.
pub fn is_database_unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<sqlx::Error>(),
            Some(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_))
        )
    })
}

/// True when the database refused a row for a unique or primary key.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

/// Turns a policy answer into the service outcome: 403 for a role that may never act, 404 (named
/// record) for a record outside the actor's scope.
pub fn allow(access: wangqian_domain::policy::Access, record: &'static str) -> ServiceResult<()> {
    use wangqian_domain::policy::Access;
    match access {
        Access::Allowed => Ok(()),
        Access::Forbidden => Err(ServiceError::Forbidden),
        Access::NotFound => Err(ServiceError::NotFound(record)),
    }
}
