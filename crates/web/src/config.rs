//! Typed configuration: defaults → optional TOML file → `WANGQIAN_*` environment variables
//! (`__` nests) → command-line flags. `DATABASE_URL` is read as is, by convention.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    /// Address to listen on.
    pub bind: String,
    /// sqlite:… or postgres://…; empty (the default) means `data_dir/wangqian.db` on SQLite.
    #[serde(default)]
    pub database_url: String,
    /// Folder for the SQLite file, uploads, the key file and the platform seal.
    pub data_dir: PathBuf,
    /// 64 hex characters; when empty the key is read from (or created in) `data_dir/pii.key`.
    #[serde(default, skip_serializing)]
    pub pii_key: Option<String>,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    /// Mark cookies `Secure` (behind HTTPS).
    pub cookie_secure: bool,
    /// Largest request body (roster files), in MiB.
    pub max_upload_mib: usize,
    /// Run background jobs in this process.
    pub run_jobs: bool,
    /// The address people reach the server at, for the QR codes on printed agreements (e.g.
    /// `https://wangqian.example.edu.cn`); default: `http://` + `bind`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The platform's name: the subject of its seal certificate.
    #[serde(default = "default_platform_name")]
    pub platform_name: String,
    /// PEM files of the platform seal (signing key, certificate with any chain); default
    /// `data_dir/platform-seal.key` and `.crt`, created on first start. A CA-issued certificate
    /// goes here.
    #[serde(default)]
    pub seal_key_file: Option<PathBuf>,
    #[serde(default)]
    pub seal_cert_file: Option<PathBuf>,
    /// Extra folder with CJK fonts (.otf/.ttf/.ttc) for agreement PDFs.
    #[serde(default)]
    pub font_dir: Option<PathBuf>,
    /// PDFs rendered at once (typst is CPU-bound); default: the number of cores.
    #[serde(default)]
    pub render_concurrency: Option<usize>,
    /// Addresses of reverse proxies (IPs or CIDR ranges) whose `X-Forwarded-For` is believed,
    /// for the login throttle and the trail; empty: the peer address is the client.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Seconds a stop waits for requests in flight before closing anyway.
    #[serde(default = "default_shutdown_grace")]
    pub shutdown_grace_secs: u64,
}

fn default_shutdown_grace() -> u64 {
    20
}

fn default_platform_name() -> String {
    "毕业生就业协议书网上签约平台".to_string()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            database_url: String::new(),
            data_dir: PathBuf::from("data"),
            pii_key: None,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            cookie_secure: false,
            max_upload_mib: 20,
            run_jobs: true,
            public_url: None,
            platform_name: default_platform_name(),
            seal_key_file: None,
            seal_cert_file: None,
            font_dir: None,
            render_concurrency: None,
            trusted_proxies: Vec::new(),
            shutdown_grace_secs: default_shutdown_grace(),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &mask_url_password(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("pii_key", &self.pii_key.as_ref().map(|_| "<hidden>"))
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_absolute_hours", &self.session_absolute_hours)
            .field("cookie_secure", &self.cookie_secure)
            .field("max_upload_mib", &self.max_upload_mib)
            .field("run_jobs", &self.run_jobs)
            .field("public_url", &self.public_url)
            .field("platform_name", &self.platform_name)
            .field("seal_key_file", &self.seal_key_file)
            .field("seal_cert_file", &self.seal_cert_file)
            .field("font_dir", &self.font_dir)
            .field("render_concurrency", &self.render_concurrency)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .finish()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for logs.
pub fn mask_url_password(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((cred, host)) = rest.split_once('@') {
            if let Some((user, _)) = cred.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

impl Config {
    /// Loads the layers; `file` is an optional TOML path.
    pub fn load(file: Option<&std::path::Path>) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            fig = fig.merge(Toml::file(f));
        } else {
            fig = fig.merge(Toml::file("wangqian.toml"));
        }
        fig = fig.merge(Env::prefixed("WANGQIAN_").split("__"));
        if let Ok(url) = std::env::var("DATABASE_URL") {
            fig = fig.merge(Serialized::default("database_url", url));
        }
        let known = [
            "BIND",
            "DATABASE_URL",
            "DATA_DIR",
            "PII_KEY",
            "SESSION_IDLE_MINUTES",
            "SESSION_ABSOLUTE_HOURS",
            "COOKIE_SECURE",
            "MAX_UPLOAD_MIB",
            "RUN_JOBS",
            "PUBLIC_URL",
            "PLATFORM_NAME",
            "SEAL_KEY_FILE",
            "SEAL_CERT_FILE",
            "FONT_DIR",
            "RENDER_CONCURRENCY",
            "TRUSTED_PROXIES",
            "SHUTDOWN_GRACE_SECS",
            "REQUIRE_PDF_TOOLS",
            "TEST_PG",
            // Clocks of the test suite and of the demo (read outside this configuration).
            "TEST_NOW",
            "DEMO_CLOCK",
            "LOG",
        ];
        for (k, _) in std::env::vars() {
            if let Some(name) = k.strip_prefix("WANGQIAN_") {
                if !known.contains(&name) {
                    tracing::warn!(variable = %k, "unknown WANGQIAN_ variable ignored");
                }
            }
        }
        Ok(fig.extract()?)
    }

    /// The database: as configured, or the SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        let url = self.database_url.trim();
        if url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("wangqian.db").display())
        } else {
            url.to_string()
        }
    }

    /// The SQLite file the database URL names, if it is SQLite.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        let url = self.database_url();
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or(rest);
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    pub fn pii_key_file(&self) -> PathBuf {
        self.data_dir.join("pii.key")
    }

    /// The PII key if there is one: configured, or in the key file. Never generated here.
    pub fn existing_pii_key(&self) -> anyhow::Result<Option<SecretString>> {
        if let Some(k) = self.pii_key.as_ref().filter(|k| !k.trim().is_empty()) {
            return Ok(Some(SecretString::from(k.trim().to_string())));
        }
        let path = self.pii_key_file();
        match std::fs::read_to_string(&path) {
            Ok(k) => Ok(Some(SecretString::from(k.trim().to_string()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::anyhow!(
                "读不到密钥文件 {}：{e} / cannot read the key file",
                path.display()
            )),
        }
    }

    /// Writes a new key file: only for a database that holds nothing yet.
    pub fn create_pii_key_file(&self) -> anyhow::Result<SecretString> {
        let path = self.pii_key_file();
        std::fs::create_dir_all(&self.data_dir)?;
        let k = wangqian_store::Pii::generate_hex();
        // create_new: never overwrite a key that appeared meanwhile.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        std::io::Write::write_all(&mut f, k.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        tracing::warn!(path = %path.display(), "created a new PII key file; keep it with the database, data cannot be read without it");
        Ok(SecretString::from(k))
    }

    /// Where QR codes point.
    pub fn public_url(&self) -> String {
        match self
            .public_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.bind),
        }
    }

    pub fn seal_paths(&self) -> (PathBuf, PathBuf) {
        (
            self.seal_key_file
                .clone()
                .unwrap_or_else(|| self.data_dir.join(crate::documents::SEAL_KEY_FILE)),
            self.seal_cert_file
                .clone()
                .unwrap_or_else(|| self.data_dir.join(crate::documents::SEAL_CERT_FILE)),
        )
    }

    /// Commented defaults, for `wangqian config print-default`.
    pub fn sample_toml() -> String {
        let d = Config::default();
        format!(
            "# wangqian configuration. Every key can also be set as WANGQIAN_<KEY> (upper case).\n\
             # Address to listen on\nbind = \"{}\"\n\
             # postgres://user@host/db, or sqlite://path; default data_dir/wangqian.db. DATABASE_URL overrides\n# database_url = \"\"\n\
             # Folder for the SQLite file, uploads and the PII key file (pii.key)\ndata_dir = \"{}\"\n\
             # 64 hex characters; leave unset to use data_dir/pii.key\n# pii_key = \"\"\n\
             session_idle_minutes = {}\nsession_absolute_hours = {}\n\
             # true behind HTTPS\ncookie_secure = {}\n\
             # Largest upload (roster files), MiB\nmax_upload_mib = {}\n\
             # Run background jobs (roster imports) in this process\nrun_jobs = {}\n\
             # Address printed in agreement QR codes (default http://<bind>)\n# public_url = \"https://wangqian.example.edu.cn\"\n\
             # Subject of the platform seal certificate\nplatform_name = \"{}\"\n\
             # Platform seal PEM files (default data_dir/platform-seal.key and .crt, created on first start;\n\
             # put a CA-issued key and certificate chain here instead)\n# seal_key_file = \"\"\n# seal_cert_file = \"\"\n\
             # Extra folder with CJK fonts for PDFs (the build embeds Noto Sans SC)\n# font_dir = \"\"\n\
             # PDFs rendered at once (default: number of cores)\n# render_concurrency = 2\n\
             # Reverse proxies whose X-Forwarded-For is believed (IPs or CIDR ranges)\n# trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\n\
             # Seconds a stop waits for requests in flight\nshutdown_grace_secs = {}\n",
            d.bind,
            d.data_dir.display(),
            d.session_idle_minutes,
            d.session_absolute_hours,
            d.cookie_secure,
            d.max_upload_mib,
            d.run_jobs,
            d.platform_name,
            d.shutdown_grace_secs
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_never_reach_the_logs() {
        assert_eq!(
            mask_url_password("postgres://wq:s3cret@db.local:5432/wq"),
            "postgres://wq:***@db.local:5432/wq"
        );
        let c = Config {
            database_url: "postgres://wq:s3cret@h/db".into(),
            pii_key: Some("00".repeat(32)),
            ..Config::default()
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"));
        assert!(!shown.contains(&"00".repeat(32)));
    }
}
