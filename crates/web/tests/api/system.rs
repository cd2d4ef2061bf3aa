use crate::helpers::TestApp;

#[tokio::test]
async fn health_check_answers_ok_when_the_database_answers() {
    let app = TestApp::spawn_empty().await;
    let (status, body) = app.client().get_json("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn the_openapi_document_lists_every_operation_with_a_snake_case_id() {
    let app = TestApp::spawn_empty().await;
    let (status, doc) = app.client().get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    let mut ids = Vec::new();
    for (_path, item) in doc["paths"].as_object().expect("paths") {
        for (_method, op) in item.as_object().expect("item") {
            if let Some(id) = op["operationId"].as_str() {
                ids.push(id.to_string());
            }
        }
    }
    for id in &ids {
        assert!(
            id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "operationId {id} is not snake_case"
        );
    }
    for wanted in [
        "login",
        "logout",
        "bind_graduate",
        "unbind_graduate",
        "import_roster",
        "get_roster_import",
        "download_roster_template",
        "register_employer",
        "join_employer",
        "verify_employer",
        "list_employer_verifications",
        "decide_employer_member",
        "create_reviewer",
        "list_graduates",
        "get_signing_settings",
        "update_signing_settings",
        "list_code_tables",
    ] {
        assert!(
            ids.iter().any(|i| i == wanted),
            "{wanted} missing from {ids:?}"
        );
    }
}

#[tokio::test]
async fn unknown_api_paths_and_malformed_json_get_the_error_envelope() {
    let app = TestApp::spawn_empty().await;
    let c = app.client();
    let (status, body) = c.get_json("/api/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let r = c
        .http
        .post(format!("{}/api/session", c.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("JSON"));
    // A forged extra field is refused, not ignored.
    let (status, body) = c
        .post_json(
            "/api/session",
            &serde_json::json!({ "login": "x", "password": "y", "role": "school_admin" }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn code_tables_are_served_for_forms() {
    let app = TestApp::spawn_empty().await;
    let (status, body) = app.client().get_json("/api/code-tables").await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    for k in [
        "education_level",
        "unit_nature",
        "industry",
        "destination",
        "political_status",
        "ethnicity",
        "training_mode",
    ] {
        assert!(keys.contains(&k), "{k} missing");
    }
}

// ---------------------------------------------------------------------------------------------
// Security headers, inline-free templates, downloads and multipart rejections

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .map(|v| v.to_str().expect("ASCII header"))
        .unwrap_or("")
}

/// The security headers every response carries; `what` names the response in failures.
fn assert_secured(r: &reqwest::Response, what: &str) {
    assert_eq!(header(r, "content-security-policy"), CSP, "{what}");
    assert!(
        header(r, "content-security-policy").contains("frame-ancestors 'none'"),
        "{what}"
    );
    assert_eq!(header(r, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(r, "x-frame-options"), "DENY", "{what}");
    assert_eq!(header(r, "referrer-policy"), "same-origin", "{what}");
    assert_eq!(
        header(r, "cross-origin-opener-policy"),
        "same-origin",
        "{what}"
    );
}

/// An employer's seal (a PNG), uploaded through the API: its upload id.
async fn seal_upload(c: &crate::helpers::Client) -> String {
    crate::helpers::upload_seal(c, "公章.png").await
}

#[tokio::test]
async fn pages_api_errors_static_files_and_downloads_carry_the_security_headers() {
    let app = TestApp::spawn().await;
    let anon = app.client();
    for path in ["/login", "/healthz", "/nothing-here", "/api/nothing-here"] {
        let r = anon.get(path).await;
        assert_secured(&r, path);
        // Plain HTTP here (cookie_secure is off): no HSTS.
        assert!(
            r.headers().get("strict-transport-security").is_none(),
            "{path}"
        );
    }
    assert_eq!(anon.get("/nothing-here").await.status(), 404);
    // A CSRF refusal, answered by the session layer before any handler.
    let r = anon
        .http
        .post(format!("{}/logout", anon.base))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_secured(&r, "csrf refusal");

    let css = anon.get("/static/app.css").await;
    assert_eq!(css.status(), 200);
    assert_secured(&css, "/static/app.css");
    assert_eq!(header(&css, "content-type"), "text/css; charset=utf-8");
    assert!(!header(&css, "cache-control").is_empty());
    for script in ["/static/signature.js", "/static/confirm.js"] {
        let r = anon.get(script).await;
        assert_eq!(r.status(), 200, "{script}");
        assert_secured(&r, script);
        assert_eq!(header(&r, "content-type"), "text/javascript; charset=utf-8");
    }

    let hr = app.login_as("hr1").await;
    let home = hr.get("/").await;
    assert_eq!(home.status(), 200);
    assert_secured(&home, "home page");
    let page = home.text().await.unwrap();
    assert!(page.contains("退出"), "logged in");
    // The page links the stylesheet it is served with, fingerprinted for long caching.
    let href = page
        .split("href=\"")
        .find_map(|rest| {
            rest.split('"')
                .next()
                .filter(|h| h.starts_with("/static/app.css?v="))
        })
        .expect("the stylesheet link")
        .to_string();
    let css = hr.get(&href).await;
    assert_eq!(
        header(&css, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        header(&hr.get("/static/app.css?v=old").await, "cache-control"),
        "no-cache"
    );

    let me = hr.get("/api/me").await;
    assert_eq!(me.status(), 200);
    assert_secured(&me, "/api/me");

    let upload = hr
        .get(&format!("/api/uploads/{}", seal_upload(&hr).await))
        .await;
    assert_eq!(upload.status(), 200);
    assert_secured(&upload, "upload download");

    let admin = app.login_as("admin19101").await;
    for path in ["/api/roster-template", "/api/platform-seal"] {
        let r = admin.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_secured(&r, path);
    }
}

#[tokio::test]
async fn over_tls_responses_also_ask_for_strict_transport_security() {
    let app = TestApp::spawn_empty().await;
    let mut config = (*app.state.config).clone();
    config.cookie_secure = true;
    config.run_jobs = false;
    let state = wangqian_web::AppState {
        config: std::sync::Arc::new(config),
        ..app.state.clone()
    };
    let server = wangqian_web::Application::with_state(state)
        .await
        .expect("bind");
    let base = format!("http://{}", server.local_addr());
    tokio::spawn(server.run_until(std::future::pending()));
    for path in ["/login", "/healthz", "/api/nothing-here"] {
        let r = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_secured(&r, path);
        assert_eq!(
            header(&r, "strict-transport-security"),
            "max-age=31536000",
            "{path}"
        );
    }
}

/// What the CSP would refuse, found in one template: `style=`, `<style`, `on…=` handlers,
/// `javascript:` URLs and scripts without `src` or with a body.
fn inline_code_in(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for needle in ["style=", "<style", "javascript:"] {
        if lower.contains(needle) {
            found.push(needle.to_string());
        }
    }
    let bytes = lower.as_bytes();
    for (i, _) in lower.match_indices("on") {
        let attribute_start = i > 0 && (bytes[i - 1].is_ascii_whitespace() || bytes[i - 1] == b'"');
        let name_end = lower[i + 2..]
            .find(|c: char| !c.is_ascii_lowercase())
            .map_or(lower.len(), |n| i + 2 + n);
        let after = lower[name_end..].trim_start();
        if attribute_start && name_end > i + 2 && after.starts_with('=') && !after.starts_with("==")
        {
            found.push(lower[i..name_end].to_string() + "=");
        }
    }
    for (i, _) in lower.match_indices("<script") {
        let tag_end = lower[i..].find('>').map_or(lower.len(), |n| i + n);
        let tag = &lower[i..tag_end];
        let body_end = lower[tag_end..]
            .find("</script>")
            .map_or(lower.len(), |n| tag_end + n);
        let body = lower.get(tag_end + 1..body_end).unwrap_or("");
        if !tag.contains(" src=") || !body.trim().is_empty() {
            found.push(format!("inline script {tag}>"));
        }
    }
    found
}

#[test]
fn no_template_holds_inline_styles_or_scripts() {
    assert!(!inline_code_in("<p style=\"x\">").is_empty());
    assert!(!inline_code_in("<form onsubmit=\"return confirm()\">").is_empty());
    assert!(!inline_code_in("<script>alert(1)</script>").is_empty());
    assert!(!inline_code_in("<script src=\"/a.js\">alert(1)</script>").is_empty());
    assert!(
        inline_code_in("<script src=\"/a.js\" defer></script>{% if kind == \"online\" %}")
            .is_empty()
    );
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).expect("templates folder") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("html") {
            continue;
        }
        let html = std::fs::read_to_string(&path).unwrap();
        let found = inline_code_in(&html);
        assert!(found.is_empty(), "{}: {found:?}", path.display());
        checked += 1;
    }
    assert!(checked > 20, "only {checked} templates found");
}

#[tokio::test]
async fn a_png_upload_opens_inline_and_other_types_are_saved_as_attachments() {
    let app = TestApp::spawn().await;
    let hr = app.login_as("hr1").await;
    let id = seal_upload(&hr).await;
    let r = hr.get(&format!("/api/uploads/{id}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "image/png");
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    // Only the extension of the client's name is kept (it could hold an ID number).
    assert_eq!(
        header(&r, "content-disposition"),
        "inline; filename=\"employer_seal.png\""
    );
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        crate::helpers::png_bytes()
    );

    // A stored type that is neither an image nor a PDF (no route accepts one today) is never
    // shown in the tab, whatever its bytes.
    sqlx::query(
        "UPDATE uploads SET content_type = 'text/html', original_name = 'page.html' WHERE id = $1",
    )
    .bind(id.clone())
    .execute(app.state.store.writer())
    .await
    .unwrap();
    let r = hr.get(&format!("/api/uploads/{id}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/html");
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&r, "content-disposition"),
        "attachment; filename=\"page.html\""
    );

    // Generated spreadsheets, certificates and templates download as attachments too.
    let admin = app.login_as("admin19101").await;
    for (path, content_type) in [
        (
            "/api/roster-template",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("/api/roster-template?format=csv", "text/csv; charset=utf-8"),
        ("/api/platform-seal", "application/x-pem-file"),
        (
            "/api/agreement-templates/default?kind=online",
            "text/plain; charset=utf-8",
        ),
    ] {
        let r = admin.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "content-type"), content_type, "{path}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
        assert!(
            header(&r, "content-disposition").starts_with("attachment; filename=\""),
            "{path}: {}",
            header(&r, "content-disposition")
        );
    }
}

fn is_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

async fn raw_post(
    c: &crate::helpers::Client,
    path: &str,
    content_type: &str,
    body: &'static str,
) -> (u16, serde_json::Value) {
    let mut rb = c
        .http
        .post(format!("{}{path}", c.base))
        .header("content-type", content_type)
        .body(body);
    if let Some(t) = &c.csrf {
        rb = rb.header("x-csrf-token", t);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    assert!(
        header(&r, "content-type").starts_with("application/json"),
        "{path} {content_type}: {}",
        header(&r, "content-type")
    );
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn malformed_multipart_requests_get_the_json_error_envelope() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let broken = "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nno closing boundary";
    for (content_type, body) in [
        ("multipart/form-data", "--XYZ--\r\n"),
        ("text/plain", "just text"),
        ("multipart/form-data; boundary=XYZ", broken),
    ] {
        let (s, b) = raw_post(&admin, "/api/roster-imports", content_type, body).await;
        assert_eq!(s, 400, "{content_type}: {b}");
        assert_eq!(b["error"]["code"], "bad_request", "{content_type}: {b}");
        let message = b["error"]["message"].as_str().unwrap();
        assert!(is_chinese(message), "{content_type}: {message}");
    }

    // Every multipart operation of the API answers the same way (auth and path come first).
    let anon = app.client();
    let (s, b) = raw_post(&anon, "/api/employers", "multipart/form-data", "x").await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{b}"
    );
    let (s, b) = raw_post(&anon, "/api/employers/join", "multipart/form-data", "x").await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{b}"
    );
    let hr = app.login_as("hr1").await;
    for path in [
        "/api/roster-imports",
        "/api/send-list/import",
        "/api/agreements/any/termination",
        "/api/agreements/any/signed-scan",
        "/api/destinations",
        "/api/destinations/any/release",
        "/api/signature-images",
        "/api/agreement-templates",
    ] {
        let (s, b) = raw_post(&hr, path, "multipart/form-data", "x").await;
        assert_eq!(s, 400, "{path}: {b}");
        assert_eq!(b["error"]["code"], "bad_request", "{path}: {b}");
        assert!(
            is_chinese(b["error"]["message"].as_str().unwrap()),
            "{path}: {b}"
        );
    }
}
