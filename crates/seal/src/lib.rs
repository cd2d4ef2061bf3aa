//! The platform seal (平台电子印章): a P-256 key pair and its X.509 certificate, PDF digital
//! signatures that poppler (`pdfsig`) and other readers accept, compact signed tokens for QR
//! codes, and the offline checks of all three.
//!
//! The certificate is self-signed by default. A CA-issued certificate with its chain is loaded
//! with [`PlatformSeal::from_pem`]; a key kept in an HSM plugs in through [`SealSigner`] and
//! [`sign_pdf_with`].
//!
//! Times are parameters (unix seconds): the library never reads the clock.

mod cms;
mod keys;
mod pdf;

pub use keys::{PlatformSeal, SealPublic};
pub use pdf::{sign_pdf_with, verify_pdf};

/// What [`PlatformSeal::sign_pdf`] writes into the signature dictionary besides the signature.
#[derive(Clone, Copy, Debug)]
pub struct PdfSignOptions<'a> {
    /// Written as /M and as the CMS signingTime attribute.
    pub signing_time_unix: i64,
    /// /Reason; omitted when empty.
    pub reason: &'a str,
    /// /Location; omitted when empty.
    pub location: &'a str,
    /// /Name; omitted when empty.
    pub signer_name: &'a str,
    /// Extra text entries written into the signature dictionary (covered by the signature),
    /// e.g. `("WQToken", token)`. Keys are plain names that the PDF standard does not define
    /// for signature dictionaries.
    pub extra: &'a [(&'a str, &'a str)],
}

/// What [`verify_pdf`] found in a valid signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PdfSignatureReport {
    /// Subject of the certificate that signed, e.g. "CN=…,O=…,C=CN".
    pub signer_subject: String,
    /// The CMS signingTime attribute, or else /M.
    pub signing_time_unix: Option<i64>,
    /// Whether the signed ranges reach the end of the file; false means bytes were appended
    /// after signing (another incremental update), which callers should treat as a change.
    pub covers_whole_file: bool,
    pub signer_name: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// The extra text entries read back, e.g. ("WQToken", …).
    pub extra: Vec<(String, String)>,
}

/// A seam for a CA-issued certificate or an HSM: anything that can produce the certificate
/// chain and an ECDSA P-256 signature.
pub trait SealSigner: Send + Sync {
    /// DER certificates, the signer's own (leaf) first, then its chain (the root may be left out).
    fn certificate_chain_der(&self) -> Vec<Vec<u8>>;
    /// ECDSA P-256 / SHA-256 over `message` (the signer hashes), DER-encoded.
    fn sign_der(&self, message: &[u8]) -> Vec<u8>;
}

/// Errors of signing and checking.
#[derive(thiserror::Error, Debug)]
#[non_exhaustive]
pub enum SealError {
    #[error("PDF 结构无法解析：{0}")]
    PdfSyntax(String),
    #[error("暂不支持的 PDF 或签名格式：{0}")]
    Unsupported(String),
    #[error("签名参数无效：{0}")]
    InvalidOption(String),
    #[error("签名失败：{0}")]
    Signing(String),
    #[error("PDF 中没有数字签名")]
    NoSignature,
    #[error("PDF 签名校验失败：签名范围（/ByteRange）无效：{0}")]
    ByteRange(String),
    #[error("PDF 签名校验失败：摘要不符（文件已被改动）")]
    DigestMismatch,
    #[error("PDF 签名校验失败：签名数据无法解析：{0}")]
    BadCms(String),
    #[error("PDF 签名校验失败：签名值无效（签名内容被改动，或不是由证书的私钥签署）")]
    BadSignature,
    #[error("PDF 签名校验失败：签名证书不是本平台的印章证书")]
    UntrustedSigner,
    #[error("防伪令牌格式无效")]
    TokenFormat,
    #[error("防伪令牌签名无效（令牌被改动，或不是本平台签发）")]
    TokenSignature,
}
