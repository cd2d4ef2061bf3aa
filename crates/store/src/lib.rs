//! Storage for wangqian on SQLite (embedded default) or PostgreSQL (scale-out), through one
//! portable SQL codebase on sqlx's `Any` driver, and the services that run each operation in a
//! single transaction.
//!
//! Portable subset (see TECH-NOTES): `$n` placeholders, TEXT ids, times as unix milliseconds,
//! 0/1 integers for flags. Each backend has its own migration folder, chosen at run time.

pub mod accounts;
pub mod audit;
pub mod blobs;
pub mod clock;
pub mod demo;
pub mod documents;
pub mod employers;
pub mod error;
pub mod graduates;
pub mod jobs;
pub mod lifecycle;
pub mod ops;
pub mod orgs;
pub mod password;
pub mod pii;
pub mod query;
pub mod record_corrections;
pub mod record_uploads;
pub mod roster_import;
pub mod roster_review;
pub mod settings;
pub mod signing_defaults;
pub mod system;
pub mod typed;

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

pub use clock::Clock;
pub use error::{FieldError, ServiceError, ServiceResult};
pub use pii::Pii;
pub use wangqian_domain::ids::{
    AccountId, AgreementId, BlobId, DepartmentId, DestinationId, EmployerId, GraduateId, Millis,
    SchoolId,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Handle on the database. On SQLite all writes go through a one-connection pool so that
/// concurrent requests queue in the process instead of failing with "database is locked";
/// reads use a separate pool (WAL lets them run beside the writer). On PostgreSQL both are
/// the same pool.
#[derive(Clone)]
pub struct Store {
    reader: AnyPool,
    writer: AnyPool,
    backend: Backend,
    pub pii: Pii,
    clock: Clock,
}

static MIGRATIONS_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static MIGRATIONS_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connects, creating a SQLite file if missing, and applies pending migrations.
    pub async fn connect(url: &str, pii: Pii) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!("不支持的 DATABASE_URL（应以 sqlite: 或 postgres: 开头）");
        };
        let store = match backend {
            Backend::Sqlite => {
                let url = sqlite_url_with_create(url);
                let writer = sqlite_pool(&url, 1).await?;
                // The writer connection switches the file to WAL before readers open it.
                let reader = sqlite_pool(&url, 8).await?;
                Store {
                    reader,
                    writer,
                    backend,
                    pii,
                    clock: Clock::system(),
                }
            }
            Backend::Postgres => {
                let pool = checked_when_idle(AnyPoolOptions::new())
                    .max_connections(16)
                    // An unreachable database fails requests in seconds (503 "系统繁忙"),
                    // not after half a minute; sqlx reconnects by itself when it returns.
                    .acquire_timeout(Duration::from_secs(3))
                    .connect(url)
                    .await?;
                Store {
                    reader: pool.clone(),
                    writer: pool,
                    backend,
                    pii,
                    clock: Clock::system(),
                }
            }
        };
        store.migrate().await?;
        Ok(store)
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        Store::migrator(self.backend).run(&self.writer).await?;
        Ok(())
    }

    /// The same store on another clock (tests, the demo).
    pub fn with_clock(mut self, clock: Clock) -> Store {
        self.clock = clock;
        self
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The current instant, from the store's clock: the services' only clock.
    pub fn now(&self) -> Millis {
        Millis(self.clock.now_ms())
    }

    /// The migrations of a backend, for tools and tests that migrate step by step.
    pub fn migrator(backend: Backend) -> &'static sqlx::migrate::Migrator {
        match backend {
            Backend::Sqlite => &MIGRATIONS_SQLITE,
            Backend::Postgres => &MIGRATIONS_POSTGRES,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Refreshes the planner's statistics of `tables` after a bulk change (both databases
    /// keep them only when told, or when autovacuum happens to run). On PostgreSQL this is
    /// `VACUUM (ANALYZE)`, which also marks the new rows all-visible so that counts read the
    /// index alone. A failure only costs plan quality, so it is logged, not returned.
    pub async fn analyze(&self, tables: &[&'static str]) {
        for table in tables {
            // Table names come from the caller's constants, never from input.
            let sql = match self.backend {
                Backend::Sqlite => format!("ANALYZE {table}"),
                Backend::Postgres => format!("VACUUM (ANALYZE) {table}"),
            };
            if let Err(e) = self.writer.execute(sql.as_str()).await {
                tracing::warn!(error = %e, table, "ANALYZE failed");
            }
        }
    }

    /// Liveness of the database, for `/healthz`.
    pub async fn ping(&self) -> bool {
        // A load balancer needs its answer quickly, also while the database is unreachable.
        let probe = sqlx::query("SELECT 1").fetch_one(&self.reader);
        matches!(
            tokio::time::timeout(Duration::from_millis(1500), probe).await,
            Ok(Ok(_))
        )
    }

    /// Closes both pools. On SQLite the WAL is first folded into the database file and
    /// truncated, so that a copy of `wangqian.db` alone is complete after a stop.
    pub async fn close(&self) {
        if self.backend == Backend::Sqlite && !self.writer.is_closed() {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.writer)
                .await
            {
                tracing::warn!(error = %e, "WAL checkpoint at close failed");
            }
        }
        self.reader.close().await;
        self.writer.close().await;
    }
}

fn sqlite_url_with_create(url: &str) -> String {
    if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Pings a pooled connection before handing it out only when it sat idle for a while (after a
/// quiet spell the database may have restarted or a firewall dropped it). sqlx's default pings
/// on every acquire: one more round trip per statement batch, measured as most of the gap
/// between a list page and a bare select under load.
fn checked_when_idle(options: AnyPoolOptions) -> AnyPoolOptions {
    options
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > IDLE_BEFORE_PING {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

async fn sqlite_pool(url: &str, max: u32) -> anyhow::Result<AnyPool> {
    let pool = checked_when_idle(AnyPoolOptions::new())
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(60))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // busy_timeout covers other processes (a CLI import beside the server).
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                )
                .await?;
                Ok(())
            })
        })
        .connect(url)
        .await?;
    Ok(pool)
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A fresh random id of any record kind.
pub fn fresh<T: From<String>>() -> T {
    T::from(new_id())
}

/// A page of results with the total, for every list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// At most [`query::COUNT_CAP`]; `total_capped` says there are more.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub total_capped: bool,
    /// The `after` cursor of the next page, when there is one.
    pub next: Option<String>,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        if self.per_page <= 0 {
            0
        } else {
            (self.total + self.per_page - 1) / self.per_page
        }
    }

    /// A page from rows fetched with `LIMIT per_page + 1`: the extra row only says that a
    /// next page exists, and `cursor` names the position after the last row shown.
    pub fn from_rows(
        mut rows: Vec<T>,
        paging: Paging,
        (total, total_capped): (i64, bool),
        cursor: impl Fn(&T) -> String,
    ) -> Page<T> {
        let per_page = usize::try_from(paging.per_page).unwrap_or(20);
        let more = rows.len() > per_page;
        rows.truncate(per_page);
        let next = if more { rows.last().map(cursor) } else { None };
        Page {
            items: rows,
            total,
            page: paging.page,
            per_page: paging.per_page,
            total_capped,
            next,
        }
    }

    /// For lists paged by number only: no cursor is offered.
    pub fn without_cursor(mut self) -> Page<T> {
        self.next = None;
        self
    }

    /// "123" or, for a capped count, "1000+".
    pub fn total_label(&self) -> String {
        if self.total_capped {
            format!("{}+", self.total)
        } else {
            self.total.to_string()
        }
    }
}

/// Normalised paging request: page from 1, 1..=200 items.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> Paging {
        Paging {
            page: page.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(20).clamp(1, 200),
        }
    }

    pub fn offset(&self) -> i64 {
        // A page far past the end is an empty page, not an overflow (a panic, or a negative
        // OFFSET that PostgreSQL refuses).
        (self.page - 1).saturating_mul(self.per_page)
    }
}
