//! Security headers on every response (pages, API, downloads, static files, errors), and the
//! `Content-Disposition` of downloads.

use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// Only our own files: no inline style or script, no plugins, never framed (clickjacking on
/// the signing and review buttons).
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One year; sent only when the site is served over TLS, where it is meaningful.
const HSTS_VALUE: &str = "max-age=31536000";

const CROSS_ORIGIN_OPENER_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-opener-policy");

/// Whether HSTS is sent: the middleware's state, read once from the configuration.
#[derive(Clone, Copy)]
pub struct SecurityHeaders {
    pub hsts: bool,
}

/// The outermost layer: sets the security headers whatever answered (a handler, an extractor's
/// rejection, the CSRF check, the 404 fallback). Other headers are the handler's and stay.
pub async fn security_headers(
    State(config): State<SecurityHeaders>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        CROSS_ORIGIN_OPENER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if config.hsts {
        h.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS_VALUE),
        );
    }
    res
}

/// Types a browser may show in the tab rather than save: they cannot run script in our origin.
pub fn may_show_inline(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "image/png" | "image/jpeg" | "application/pdf"
    )
}

/// A `Content-Disposition` value whose `filename` is always plain ASCII (quotes, backslashes,
/// control and non-ASCII characters become `_`), with the real name as RFC 6266
/// `filename*=UTF-8''…` when it is not plain ASCII. An empty name gives no filename.
pub fn content_disposition(inline: bool, file_name: &str) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    // A path from the uploader's machine is not part of the name.
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if name.is_empty() {
        return kind.to_string();
    }
    let ascii: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ascii == name {
        return format!("{kind}; filename=\"{ascii}\"");
    }
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_names_stay_and_others_get_an_encoded_twin() {
        assert_eq!(
            content_disposition(false, "xieyi-1.pdf"),
            "attachment; filename=\"xieyi-1.pdf\""
        );
        assert_eq!(
            content_disposition(true, "营业执照.png"),
            "inline; filename=\"____.png\"; filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.png"
        );
        assert_eq!(
            content_disposition(false, "a\"b\r\n.csv"),
            "attachment; filename=\"a_b__.csv\"; filename*=UTF-8''a%22b%0D%0A.csv"
        );
        assert_eq!(
            content_disposition(false, "C:\\Users\\x\\scan.pdf"),
            "attachment; filename=\"scan.pdf\""
        );
        assert_eq!(content_disposition(true, ""), "inline");
    }

    #[test]
    fn only_images_and_pdf_are_shown_inline() {
        assert!(may_show_inline("image/png"));
        assert!(may_show_inline("image/jpeg"));
        assert!(may_show_inline("application/PDF"));
        assert!(!may_show_inline("text/html; charset=utf-8"));
        assert!(!may_show_inline("image/svg+xml"));
        assert!(!may_show_inline("text/csv"));
        assert!(!may_show_inline(""));
    }
}
