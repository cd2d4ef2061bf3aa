//! Rendering and sealing agreement documents for the API and the pages: the content hash, the
//! signed QR token, typst on the blocking pool under a bound, and the platform's PDF signature.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::Semaphore;
use wangqian_document::{content_hash, Fonts, Renderer, TemplateKind};
use wangqian_seal::{PdfSignOptions, PlatformSeal, SealPublic};
use wangqian_store::documents::DocumentJob;
use wangqian_store::ServiceError;

/// File names of the platform seal beside `pii.key`.
pub const SEAL_KEY_FILE: &str = "platform-seal.key";
pub const SEAL_CERT_FILE: &str = "platform-seal.crt";

/// The renderer (if a CJK font was found), the seal and the bound on concurrent renders.
#[derive(Clone)]
pub struct Documents {
    renderer: Result<Arc<Renderer>, String>,
    seal: PlatformSeal,
    permits: Arc<Semaphore>,
    /// Shared with every clone: the server fills it in once bound when none is configured.
    public_url: Arc<std::sync::RwLock<String>>,
}

/// A sealed PDF and what its QR carries.
pub struct SealedPdf {
    pub bytes: Vec<u8>,
    pub content_hash: String,
    pub token: String,
    pub verify_url: String,
}

impl Documents {
    pub fn new(
        fonts: Result<Fonts, String>,
        seal: PlatformSeal,
        concurrency: usize,
        public_url: &str,
    ) -> Documents {
        Documents {
            renderer: fonts.map(|f| Arc::new(Renderer::new(f))),
            seal,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            public_url: Arc::new(std::sync::RwLock::new(
                public_url.trim_end_matches('/').to_string(),
            )),
        }
    }

    pub fn seal(&self) -> &PlatformSeal {
        &self.seal
    }

    pub fn public(&self) -> SealPublic {
        self.seal.public()
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .read()
            .map(|u| u.clone())
            .unwrap_or_default()
    }

    /// The address QR codes point at, when the configuration names none: the bound one.
    pub fn set_public_url(&self, url: &str) {
        if let Ok(mut u) = self.public_url.write() {
            *u = url.trim_end_matches('/').to_string();
        }
    }

    pub fn verify_url(&self, token: &str) -> String {
        format!("{}/v/{token}", self.public_url())
    }

    fn renderer(&self) -> Result<Arc<Renderer>, ServiceError> {
        self.renderer.clone().map_err(ServiceError::Unavailable)
    }

    /// Renders a template with arbitrary data (typst runs on the blocking pool, at most
    /// `concurrency` at once); the error is the engine's, for the uploader to read.
    pub async fn render_raw(
        &self,
        source: String,
        data: wangqian_document::DocumentData,
        images: wangqian_document::Images,
    ) -> Result<Vec<u8>, ServiceError> {
        let renderer = self.renderer()?;
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        tokio::task::spawn_blocking(move || renderer.render(&source, &data, &images))
            .await
            .map_err(|e| anyhow::anyhow!("render task failed: {e}"))?
            .map_err(|e| ServiceError::BadRequest(format!("协议书模板无法生成：{e}")))
    }

    /// The job's document with its QR token, sealed by the platform.
    pub async fn render(
        &self,
        job: &DocumentJob,
        now_unix: i64,
    ) -> Result<SealedPdf, ServiceError> {
        let hash = content_hash(&job.template_source, &job.data, &job.images);
        let token = self
            .seal
            .issue_token(job.claims(&hash).to_payload().as_bytes());
        let verify_url = self.verify_url(&token);
        let mut data = job.data.clone();
        data.verify_url = verify_url.clone();
        let pdf = self
            .render_raw(job.template_source.clone(), data, job.images.clone())
            .await
            .map_err(|e| match e {
                // A stored template that no longer renders is the school's to fix, but the
                // viewer cannot do anything about it: say so plainly.
                ServiceError::BadRequest(m) => {
                    ServiceError::Conflict(format!("{m}（请联系学校重新上传协议书模板）"))
                }
                other => other,
            })?;
        let seal = self.seal.clone();
        let reason = match job.template_kind {
            TemplateKind::Termination => "网签平台签发解除协议证明",
            _ => "网签平台签发就业协议书",
        };
        let token_for_sig = token.clone();
        let signed = tokio::task::spawn_blocking(move || {
            seal.sign_pdf(
                &pdf,
                &PdfSignOptions {
                    signing_time_unix: now_unix,
                    reason,
                    location: "中国",
                    signer_name: "网签平台电子印章",
                    extra: &[("WQToken", token_for_sig.as_str())],
                },
            )
        })
        .await
        .map_err(|e| anyhow::anyhow!("seal task failed: {e}"))?
        .map_err(|e| anyhow::anyhow!("sealing failed: {e}"))?;
        Ok(SealedPdf {
            bytes: signed,
            content_hash: hash,
            token,
            verify_url,
        })
    }
}

/// The platform seal beside the personal-data key: read it, or make one on first start.
pub fn load_or_create_seal(
    key_path: &Path,
    cert_path: &Path,
    platform_name: &str,
    now_unix: i64,
) -> anyhow::Result<PlatformSeal> {
    match (
        std::fs::read_to_string(key_path),
        std::fs::read_to_string(cert_path),
    ) {
        (Ok(key), Ok(cert)) => PlatformSeal::from_pem(&key, &cert).map_err(|e| {
            anyhow::anyhow!(
                "平台印章无法读取（{}，{}）：{e}",
                key_path.display(),
                cert_path.display()
            )
        }),
        (Err(_), Err(_)) => {
            let seal = PlatformSeal::generate(&format!("{platform_name}电子印章"), platform_name, now_unix)?;
            if let Some(dir) = key_path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(key_path, seal.key_pem())?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(key_path, std::fs::Permissions::from_mode(0o600))?;
            }
            std::fs::write(cert_path, seal.cert_pem())?;
            tracing::warn!(key = %key_path.display(), cert = %cert_path.display(),
                "created the platform seal (signing key and self-signed certificate); keep both with pii.key");
            Ok(seal)
        }
        _ => anyhow::bail!(
            "平台印章不完整：{} 与 {} 须同时存在（platform seal key and certificate must both exist）",
            key_path.display(),
            cert_path.display()
        ),
    }
}
