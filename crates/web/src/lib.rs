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
pub mod uploads;
pub mod worker;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tokio::net::TcpListener;
use wangqian_store::accounts::SessionPolicy;
use wangqian_store::blobs::{Blobs, LocalFolder};
use wangqian_store::Store;

pub use config::Config;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub blobs: Blobs,
    pub config: Arc<Config>,
    pub session_policy: SessionPolicy,
    pub jobs_wakeup: Arc<tokio::sync::Notify>,
    pub documents: documents::Documents,
}

impl AppState {
    pub async fn new(config: Config) -> anyhow::Result<AppState> {
        std::fs::create_dir_all(&config.data_dir)?;
        let pii = config.pii()?;
        let store = Store::connect(&config.database_url, pii).await?;
        let blobs: Blobs = Arc::new(LocalFolder::new(config.data_dir.join("uploads")));
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
            wangqian_store::now_ms() / 1000,
        )?;
        let fonts = load_fonts(config.font_dir.as_deref());
        if let Err(e) = &fonts {
            tracing::warn!(error = %e, "agreement PDFs cannot be rendered");
        }
        let concurrency = config.render_concurrency.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
        });
        let documents = documents::Documents::new(fonts, seal, concurrency, &config.public_url());
        Ok(AppState {
            store,
            blobs,
            config: Arc::new(config),
            session_policy,
            jobs_wakeup: Arc::new(tokio::sync::Notify::new()),
            documents,
        })
    }
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

    /// Serves until the future resolves (Ctrl-C in the binary).
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
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        if let Some(w) = worker {
            w.abort();
        }
        Ok(())
    }
}
