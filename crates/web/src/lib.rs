//! The web layer: axum routes for the Chinese pages and the JSON API, sessions and CSRF,
//! uploads, the OpenAPI document and the background job runner.

pub mod api;
pub mod auth;
pub mod config;
pub mod documents;
pub mod error;
pub mod headers;
pub mod openapi;
pub mod pages;
pub mod proxies;
pub mod uploads;
pub mod worker;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tokio::net::TcpListener;
use wangqian_store::accounts::SessionPolicy;
use wangqian_store::blobs::{Blobs, Encrypted, LocalFolder};
use wangqian_store::system::KeyCheck;
use wangqian_store::{Clock, Pii, Store};

pub use config::Config;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub blobs: Blobs,
    pub config: Arc<Config>,
    pub session_policy: SessionPolicy,
    pub jobs_wakeup: Arc<tokio::sync::Notify>,
    pub documents: documents::Documents,
    pub proxies: Arc<proxies::TrustedProxies>,
}

/// How a command may open the data: `serve` and friends start a new installation when there
/// is none; checks, backups and exports only ever read an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    CreateIfNew,
    ExistingOnly,
}

impl AppState {
    pub async fn new(config: Config) -> anyhow::Result<AppState> {
        AppState::open(config, Open::CreateIfNew).await
    }

    pub async fn open(config: Config, mode: Open) -> anyhow::Result<AppState> {
        AppState::open_with_clock(config, mode, Clock::system()).await
    }

    /// Tests and the demo run on a settable clock; a production server only on the system's.
    pub async fn open_with_clock(
        config: Config,
        mode: Open,
        clock: Clock,
    ) -> anyhow::Result<AppState> {
        let url = config.database_url();
        if let Some(file) = config.sqlite_file() {
            if mode == Open::ExistingOnly && !file.exists() {
                anyhow::bail!(
                    "找不到数据库文件 {}（请检查 WANGQIAN_DATA_DIR 或 DATABASE_URL）\n\
                     database file {} not found (check WANGQIAN_DATA_DIR or DATABASE_URL)",
                    file.display(),
                    file.display()
                );
            }
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
        }
        if mode == Open::CreateIfNew {
            std::fs::create_dir_all(&config.data_dir)?;
        }
        let store = open_store(&config, &url, mode, clock).await?;
        wangqian_store::graduates::encrypt_plain_emails(&store).await?;
        let blobs: Blobs = Arc::new(Encrypted::new(
            LocalFolder::new(config.uploads_dir()),
            store.pii.clone(),
        ));
        let session_policy = SessionPolicy {
            idle_timeout_ms: config.session_idle_minutes * 60_000,
            absolute_timeout_ms: config.session_absolute_hours * 3_600_000,
            ..SessionPolicy::default()
        };
        let (key_path, cert_path) = config.seal_paths();
        let seal = documents::load_or_create_seal(
            &key_path,
            &cert_path,
            &config.platform_name,
            store.now().get() / 1000,
        )?;
        let fonts = load_fonts(config.font_dir.as_deref());
        if let Err(e) = &fonts {
            tracing::warn!(error = %e, "agreement PDFs cannot be rendered");
        }
        let concurrency = config.render_concurrency.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
        });
        let documents = documents::Documents::new(fonts, seal, concurrency, &config.public_url());
        let proxies = proxies::TrustedProxies::parse(&config.trusted_proxies)?;
        Ok(AppState {
            store,
            blobs,
            config: Arc::new(config),
            session_policy,
            jobs_wakeup: Arc::new(tokio::sync::Notify::new()),
            documents,
            proxies: Arc::new(proxies),
        })
    }
}

/// Connects and decides the key: the configured or stored one, which must be the one the
/// database was written under; a new one only for a database that holds nothing.
async fn open_store(config: &Config, url: &str, mode: Open, clock: Clock) -> anyhow::Result<Store> {
    use secrecy::ExposeSecret;
    let key_file = config.pii_key_file();
    let existing = config.existing_pii_key()?;
    let pii = match &existing {
        Some(k) => Pii::from_hex(k.expose_secret())?,
        // Only used to look whether the database is empty; nothing is written under it.
        None => Pii::from_hex(&Pii::generate_hex())?,
    };
    let store = Store::connect(url, pii).await?.with_clock(clock);
    let store = match existing {
        Some(_) => store,
        None => {
            if mode == Open::ExistingOnly || store.holds_data().await? {
                store.close().await;
                anyhow::bail!(
                    "缺少个人信息密钥：数据库中已有数据，但找不到密钥文件 {}，也没有设置 WANGQIAN_PII_KEY。\
                     请从备份中恢复原来的密钥文件（新生成的密钥无法读取已有数据），服务不会启动。\n\
                     The personal-data key is missing: the database holds data but the key file {} \
                     does not exist and WANGQIAN_PII_KEY is not set. Restore the original key from \
                     your backup; a new key could not read the existing data, so the server will not start.",
                    key_file.display(),
                    key_file.display()
                );
            }
            let k = config.create_pii_key_file()?;
            store.with_pii(Pii::from_hex(k.expose_secret())?)
        }
    };
    if let KeyCheck::Mismatch { stored } = store.check_key().await? {
        store.close().await;
        anyhow::bail!(
            "个人信息密钥与数据库不符：数据库是用指纹为 {stored} 的密钥写入的，而当前密钥（{} 或 \
             WANGQIAN_PII_KEY）的指纹为 {}。请使用原来的密钥，服务不会启动。\n\
             The personal-data key does not match the database: it was written under the key with \
             fingerprint {stored}, the configured key ({} or WANGQIAN_PII_KEY) has fingerprint {}. \
             Use the original key; the server will not start.",
            key_file.display(),
            store.pii.fingerprint(),
            key_file.display(),
            store.pii.fingerprint()
        );
    }
    Ok(store)
}

/// The fonts for PDFs: parsed once per process (every test server shares them), plus a
/// configured folder.
fn load_fonts(dir: Option<&std::path::Path>) -> Result<wangqian_document::Fonts, String> {
    static DEFAULT: std::sync::OnceLock<Result<wangqian_document::Fonts, String>> =
        std::sync::OnceLock::new();
    match dir {
        Some(d) => wangqian_document::Fonts::load(&[d.to_path_buf()]).map_err(|e| e.to_string()),
        None => DEFAULT
            .get_or_init(|| wangqian_document::Fonts::load(&[]).map_err(|e| e.to_string()))
            .clone(),
    }
}

pub fn router(state: AppState) -> Router {
    let limit = state.config.max_upload_mib * 1024 * 1024;
    let security = headers::SecurityHeaders {
        hsts: state.config.cookie_secure,
    };
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            proxies::real_client,
        ))
        .layer(DefaultBodyLimit::max(limit))
        // Outside the session layer, so its CSRF and session rejections carry the headers too.
        .layer(axum::middleware::from_fn_with_state(
            security,
            headers::security_headers,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// A bound, not yet running server: tests bind port 0 and read the port.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let state = AppState::new(config).await?;
        Application::with_state(state).await
    }

    pub async fn with_state(state: AppState) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&state.config.bind).await?;
        if state.config.public_url.is_none() {
            if let Ok(addr) = listener.local_addr() {
                state.documents.set_public_url(&format!("http://{addr}"));
            }
        }
        Ok(Application { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the future resolves (Ctrl-C or SIGTERM in the binary), then stops cleanly:
    /// no new connections, requests in flight get `shutdown_grace_secs` to finish, the job
    /// worker stops, and the pools close (SQLite folds its WAL back into the database file).
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let worker = if self.state.config.run_jobs {
            Some(tokio::spawn(worker::run(self.state.clone())))
        } else {
            None
        };
        let app = router(self.state.clone());
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("stopping: no new connections, finishing requests in flight");
            let _ = stopping_tx.send(());
        });
        let grace = std::time::Duration::from_secs(self.state.config.shutdown_grace_secs);
        let served = tokio::select! {
            r = server => r.map_err(anyhow::Error::from),
            () = async {
                if stopping_rx.await.is_ok() {
                    tokio::time::sleep(grace).await;
                } else {
                    std::future::pending::<()>().await;
                }
            } => {
                tracing::warn!(seconds = grace.as_secs(), "requests still running after the grace period; closing");
                Ok(())
            }
        };
        if let Some(w) = worker {
            w.abort();
            let _ = w.await;
        }
        self.state.store.close().await;
        tracing::info!("stopped; database closed");
        served
    }
}
