//! The stylesheet and scripts, embedded in the binary and served from /static: the CSP refuses
//! inline styles and scripts.
//!
//! Pages link them with a `?v=` fingerprint of their content, so a browser may keep a file
//! for a year yet fetches the new one as soon as a release changes it.

use axum::extract::RawQuery;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::AppState;

pub struct Asset {
    path: &'static str,
    body: &'static str,
    content_type: &'static str,
    version: u64,
}

/// FNV-1a of the file, at compile time: any edit gives the file a new URL.
const fn fingerprint(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

const fn asset(path: &'static str, body: &'static str, content_type: &'static str) -> Asset {
    Asset {
        path,
        body,
        content_type,
        version: fingerprint(body.as_bytes()),
    }
}

pub const APP_CSS: Asset = asset(
    "/static/app.css",
    include_str!("../../static/app.css"),
    "text/css; charset=utf-8",
);
pub const SIGNATURE_JS: Asset = asset(
    "/static/signature.js",
    include_str!("../../static/signature.js"),
    "text/javascript; charset=utf-8",
);
pub const CONFIRM_JS: Asset = asset(
    "/static/confirm.js",
    include_str!("../../static/confirm.js"),
    "text/javascript; charset=utf-8",
);

pub const REGIONS_JS: Asset = asset(
    "/static/regions.js",
    include_str!("../../static/regions.js"),
    "text/javascript; charset=utf-8",
);

/// The region table as `[[code, parent, name], …]` for regions.js, built once from the same
/// data the validation reads (a province's parent is "").
fn regions_json() -> &'static str {
    static JSON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    JSON.get_or_init(|| {
        let rows: Vec<[&str; 3]> = wangqian_domain::regions::all()
            .iter()
            .map(|r| [r.code, r.parent.unwrap_or(""), r.name])
            .collect();
        serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into())
    })
}

/// The URL of the region data; its fingerprint changes with the table.
pub fn regions_json_href() -> String {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| {
        format!(
            "/static/regions.json?v={:016x}",
            fingerprint(regions_json().as_bytes())
        )
    })
    .clone()
}

impl Asset {
    /// The URL the templates link: path plus the content's fingerprint.
    pub fn href(&self) -> String {
        format!("{}?v={:016x}", self.path, self.version)
    }

    fn serve(&self, query: Option<String>) -> Response {
        // Only the current fingerprint may be kept: an old or missing one (a page from before
        // a release, a hand-typed URL) is checked again on every use.
        let current = query.as_deref() == Some(&self.href()[self.path.len() + 1..]);
        let cache = if current {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        (
            [(CONTENT_TYPE, self.content_type), (CACHE_CONTROL, cache)],
            self.body,
        )
            .into_response()
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            APP_CSS.path,
            get(|RawQuery(q): RawQuery| async move { APP_CSS.serve(q) }),
        )
        .route(
            SIGNATURE_JS.path,
            get(|RawQuery(q): RawQuery| async move { SIGNATURE_JS.serve(q) }),
        )
        .route(
            CONFIRM_JS.path,
            get(|RawQuery(q): RawQuery| async move { CONFIRM_JS.serve(q) }),
        )
        .route(
            REGIONS_JS.path,
            get(|RawQuery(q): RawQuery| async move { REGIONS_JS.serve(q) }),
        )
        .route(
            "/static/regions.json",
            get(|RawQuery(q): RawQuery| async move {
                let current = q.as_deref().map(|q| format!("/static/regions.json?{q}"))
                    == Some(regions_json_href());
                let cache = if current {
                    "public, max-age=31536000, immutable"
                } else {
                    "no-cache"
                };
                (
                    [
                        (CONTENT_TYPE, "application/json; charset=utf-8"),
                        (CACHE_CONTROL, cache),
                    ],
                    regions_json(),
                )
                    .into_response()
            }),
        )
}
