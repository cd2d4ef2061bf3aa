//! TestApp: the real server on port 0 over a fresh database per test — SQLite in a temporary
//! folder, or a new PostgreSQL database when `WANGQIAN_TEST_PG` names a server.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use wangqian_store::Clock;
use wangqian_web::{AppState, Application, Config, Open};

static COUNTER: AtomicUsize = AtomicUsize::new(0);
static PG_CLEANUP: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub data_dir: std::path::PathBuf,
    pub demo: Vec<wangqian_store::demo::DemoAccount>,
}

fn pg_server() -> Option<String> {
    std::env::var("WANGQIAN_TEST_PG")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim_end_matches('/').to_string())
}

/// Drops databases left by earlier test processes that are no longer running.
async fn drop_stale_pg_databases(server: &str) {
    sqlx::any::install_default_drivers();
    let Ok(pool) = sqlx::AnyPool::connect(&format!("{server}/postgres")).await else {
        return;
    };
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'wqt\\_%'")
            .fetch_all(&pool)
            .await
            .unwrap_or_default();
    for (name,) in names {
        let pid = name.split('_').nth(1).unwrap_or("");
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&pool)
                .await;
        }
    }
    pool.close().await;
}

async fn database_url(dir: &std::path::Path) -> String {
    match pg_server() {
        Some(server) => {
            PG_CLEANUP
                .get_or_init(|| drop_stale_pg_databases(&server))
                .await;
            let name = format!(
                "wqt_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst)
            );
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&format!("{server}/postgres"))
                .await
                .expect("WANGQIAN_TEST_PG must name a reachable PostgreSQL server");
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&pool)
                .await
                .expect("create test database");
            pool.close().await;
            format!("{server}/{name}")
        }
        None => format!("sqlite://{}", dir.join("test.db").display()),
    }
}

/// The suite's clock: settable, starting now or at `WANGQIAN_TEST_NOW` (`2028-03-01` or
/// `2028-03-01T09:30:00+08:00`), so that the whole suite can run at any date.
pub fn test_clock() -> Clock {
    match std::env::var("WANGQIAN_TEST_NOW")
        .ok()
        .filter(|s| !s.trim().is_empty())
    {
        Some(s) => Clock::starting_at(parse_instant(s.trim())),
        None => Clock::settable(),
    }
}

/// A China-time date (9:00 that day) or an RFC 3339 instant, as unix milliseconds.
pub fn parse_instant(s: &str) -> i64 {
    Clock::parse_start(s)
        .unwrap_or_else(|| panic!("WANGQIAN_TEST_NOW: expected YYYY-MM-DD or RFC 3339, got {s}"))
}

/// The cohort of the suite's starting clock (the demo cohort of a server spawned now), for
/// fixtures built before any server, such as agreement terms.
pub fn start_cohort() -> u16 {
    wangqian_store::demo::current_cohort(wangqian_store::Millis(test_clock().now_ms()))
}

impl TestApp {
    /// The app's current time, unix milliseconds.
    pub fn now(&self) -> i64 {
        self.state.store.now().get()
    }

    /// The cohort that graduates next summer by the app's clock: the demo's cohort, as long as
    /// the test has not moved the clock across 1 September.
    pub fn cohort(&self) -> u16 {
        wangqian_store::demo::current_cohort(self.state.store.now())
    }

    /// Moves the app's clock forward (what tests do instead of rewriting times in the database).
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).expect("a short move");
        assert!(
            self.state.store.clock().advance_ms(ms),
            "the test clock is settable"
        );
    }

    /// Sets the app's clock to `at`: a China date (`2027-06-01`, 9:00 that day) or an RFC 3339
    /// instant (`2027-08-31T23:59:59+08:00`).
    pub fn set_date(&self, at: &str) {
        self.set_ms(parse_instant(at));
    }

    /// Sets the app's clock to an instant in unix milliseconds.
    pub fn set_ms(&self, at_ms: i64) {
        assert!(
            self.state.store.clock().set_ms(at_ms),
            "the test clock is settable"
        );
    }

    /// Stops the app's clock at `at_ms` until [`TestApp::release`], so that a request acts at
    /// that exact instant however long it takes.
    pub fn hold_at(&self, at_ms: i64) {
        let clock = self.state.store.clock();
        assert!(clock.hold(), "the test clock is settable");
        clock.set_ms(at_ms);
    }

    /// Lets the app's clock tick again.
    pub fn release(&self) {
        self.state.store.clock().release();
    }

    /// A server whose demo province is seeded with the clock at `at` (see [`TestApp::set_date`]):
    /// its cohort is that date's.
    pub async fn spawn_at(at: &str) -> TestApp {
        let app = TestApp::spawn_empty().await;
        app.set_date(at);
        let demo = wangqian_store::demo::seed(&app.state.store, app.state.blobs.as_ref())
            .await
            .expect("demo seed")
            .expect("fresh database");
        TestApp { demo, ..app }
    }

    /// A server with the demo province seeded.
    pub async fn spawn() -> TestApp {
        let app = TestApp::spawn_empty().await;
        let demo = wangqian_store::demo::seed(&app.state.store, app.state.blobs.as_ref())
            .await
            .expect("demo seed")
            .expect("fresh database");
        TestApp { demo, ..app }
    }

    pub async fn spawn_empty() -> TestApp {
        let dir = std::env::temp_dir().join(format!(
            "wangqian-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let config = Config {
            bind: "127.0.0.1:0".into(),
            database_url: database_url(&dir).await,
            data_dir: dir.clone(),
            pii_key: Some(wangqian_store::Pii::generate_hex()),
            ..Config::default()
        };
        let state = AppState::open_with_clock(config, Open::CreateIfNew, test_clock())
            .await
            .expect("app state");
        let app = Application::with_state(state.clone()).await.expect("bind");
        let base = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until(std::future::pending()));
        TestApp {
            base,
            state,
            data_dir: dir,
            demo: Vec::new(),
        }
    }

    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: self.base.clone(),
            csrf: None,
        }
    }

    /// A client logged in as `login` with the demo password.
    pub async fn login_as(&self, login: &str) -> Client {
        let mut c = self.client();
        let (status, body) = c.login(login, wangqian_store::demo::DEMO_PASSWORD).await;
        assert_eq!(status, 200, "login {login}: {body}");
        c
    }

    /// The bound demo graduate's ID number (login) of school `n` (0 or 1).
    pub fn demo_graduate_login(&self, n: usize) -> String {
        self.demo
            .iter()
            .filter(|a| a.role == "毕业生")
            .nth(n)
            .expect("demo graduate")
            .login
            .clone()
    }

    pub async fn school_id(&self, code: &str) -> String {
        wangqian_store::orgs::school_by_code(&self.state.store, code)
            .await
            .unwrap()
            .unwrap()
            .id
    }
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: Option<String>,
}

impl Client {
    pub async fn login(&mut self, login: &str, password: &str) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/api/session", self.base))
            .json(&serde_json::json!({ "login": login, "password": password }))
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status == 200 {
            self.take_session(&body);
        }
        (status, body)
    }

    pub fn take_session(&mut self, body: &Value) {
        self.csrf = body["csrf_token"].as_str().map(str::to_string);
    }

    fn with_csrf(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.csrf {
            Some(t) => rb.header("x-csrf-token", t),
            None => rb,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .with_csrf(self.http.post(format!("{}{path}", self.base)).json(body))
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .with_csrf(self.http.put(format!("{}{path}", self.base)).json(body))
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> (u16, Value) {
        let r = self
            .with_csrf(
                self.http
                    .post(format!("{}{path}", self.base))
                    .multipart(form),
            )
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .expect("request")
    }
}

/// Polls an import job until it ends.
pub async fn wait_for_import(c: &Client, job_id: &str) -> Value {
    for _ in 0..600 {
        let (status, body) = c.get_json(&format!("/api/roster-imports/{job_id}")).await;
        assert_eq!(status, 200, "{body}");
        if matches!(body["status"].as_str(), Some("succeeded" | "failed")) {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("import {job_id} did not finish");
}

/// A tiny valid PNG (1×1), for certificate uploads.
pub fn png_bytes() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

impl TestApp {
    pub async fn login_as_with(&self, login: &str, password: &str) -> Client {
        let mut c = self.client();
        let (status, body) = c.login(login, password).await;
        assert_eq!(status, 200, "login {login}: {body}");
        c
    }
}

/// Uploads a 1×1 PNG as the employer's seal image (as `c`, an employer); returns its upload id.
pub async fn upload_seal(c: &Client, file_name: &str) -> String {
    let (s, b) = c
        .post_multipart(
            "/api/signature-images",
            reqwest::multipart::Form::new()
                .text("kind", "employer_seal")
                .part(
                    "image",
                    reqwest::multipart::Part::bytes(png_bytes()).file_name(file_name.to_string()),
                ),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b["upload_id"].as_str().unwrap().to_string()
}
