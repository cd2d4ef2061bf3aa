//! The OpenAPI document tells the truth about the router: every route is documented and every
//! documented operation answers, bodies are named schemas with their fields, list filters are
//! query parameters, and each operation lists the errors it can answer in the envelope.

use serde_json::Value;

use crate::helpers::TestApp;

const METHODS: [&str; 4] = ["get", "post", "put", "delete"];

/// Every (path, method, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                out.push((path.clone(), method.clone(), op.clone()));
            }
        }
    }
    out
}

fn id(op: &Value) -> String {
    op["operationId"].as_str().unwrap_or("?").to_string()
}

/// Follows a `$ref` into `components.schemas`.
fn schema<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let name = reference
        .strip_prefix("#/components/schemas/")
        .unwrap_or_else(|| panic!("not a schema reference: {reference}"));
    &doc["components"]["schemas"][name]
}

fn statuses(op: &Value) -> Vec<u16> {
    op["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .map(|s| s.parse().expect("numeric status"))
        .collect()
}

fn has_security(op: &Value, scheme: &str) -> bool {
    op["security"]
        .as_array()
        .is_some_and(|alts| alts.iter().any(|a| a.get(scheme).is_some()))
}

async fn document(app: &TestApp) -> Value {
    let (status, doc) = app.client().get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    doc
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::spawn_empty().await;
    let doc = document(&app).await;
    let c = app.client();
    let ops = operations(&doc);
    assert!(ops.len() >= 80, "only {} operations documented", ops.len());
    for (path, method, op) in &ops {
        let url = format!(
            "{}{}",
            c.base,
            path.split('/')
                .map(|seg| if seg.starts_with('{') {
                    "contract-probe"
                } else {
                    seg
                })
                .collect::<Vec<_>>()
                .join("/")
        );
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = c.http.request(m, &url).send().await.expect("request");
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        // The catch-all for unknown paths answers this message; a documented path never does.
        assert!(
            body["error"]["message"] != "接口不存在" && status != 405,
            "{} {method} {path}: documented but not routed ({status} {body})",
            id(op)
        );
        assert!(
            statuses(op).contains(&status),
            "{} {method} {path}: answered {status}, documented {:?}",
            id(op),
            statuses(op)
        );
    }
}

/// Routes are only added through `routes!`, which documents them: a plain `.route(` for an API
/// path anywhere in the web crate would be a route the document does not know.
#[test]
fn no_api_route_is_added_outside_the_documented_router() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut offenders = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            // `.route(` and its path may be on the next line after formatting.
            let flat: String = text.split_whitespace().collect::<Vec<_>>().join("");
            for (i, _) in flat.match_indices(".route(\"") {
                let target = &flat[i + 8..];
                let route_path = &target[..target.find('"').unwrap_or(0)];
                let api = route_path.starts_with("/api") || route_path == "/healthz";
                if api && route_path != "/api/{*rest}" {
                    offenders.push(format!("{}: {route_path}", path.display()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "API routes outside routes!(): {offenders:?}"
    );
}

#[tokio::test]
async fn every_body_is_a_named_schema_with_its_fields() {
    let app = TestApp::spawn_empty().await;
    let doc = document(&app).await;
    let mut json_bodies = 0;
    for (path, method, op) in operations(&doc) {
        let Some(content) = op["requestBody"]["content"].as_object() else {
            continue;
        };
        for (media, c) in content {
            let reference = c["schema"]["$ref"].as_str().unwrap_or_else(|| {
                panic!(
                    "{} {method} {path}: {media} body is not a named schema: {}",
                    id(&op),
                    c["schema"]
                )
            });
            let s = schema(&doc, reference);
            assert!(
                s["properties"].as_object().is_some_and(|p| !p.is_empty()),
                "{} {method} {path}: {reference} has no fields: {s}",
                id(&op)
            );
            if media == "application/json" {
                json_bodies += 1;
            } else {
                assert_eq!(media, "multipart/form-data", "{}", id(&op));
            }
        }
    }
    assert!(json_bodies >= 30, "only {json_bodies} JSON bodies");
    // Answers with a JSON body are named schemas too (the document itself excepted).
    for (path, method, op) in operations(&doc) {
        for (status, r) in op["responses"].as_object().unwrap() {
            if let Some(s) = r["content"]["application/json"]["schema"].as_object() {
                if id(&op) == "get_openapi_document" {
                    continue;
                }
                assert!(
                    s.contains_key("$ref"),
                    "{} {method} {path}: the {status} answer is not a named schema: {s:?}",
                    id(&op)
                );
            }
        }
    }
    // A few bodies that used to be "any JSON", with the fields a client needs.
    let applied = schema(&doc, "#/components/schemas/Applied");
    for field in ["id", "state", "state_label", "version"] {
        assert!(
            applied["properties"].get(field).is_some(),
            "Applied.{field}"
        );
    }
    let review = &doc["paths"]["/api/agreements/{id}/review"]["post"];
    assert_eq!(
        review["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ReviewDecision"
    );
    let termination = &doc["paths"]["/api/agreements/{id}/termination"]["post"];
    let form = schema(
        &doc,
        termination["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(form["properties"]["proof"]["format"], "binary");
    assert!(form["properties"].get("reason").is_some());
}

#[tokio::test]
async fn list_filters_are_optional_query_parameters() {
    let app = TestApp::spawn_empty().await;
    let doc = document(&app).await;
    for (path, method, op) in operations(&doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap();
            if p["in"] == "path" {
                assert!(
                    path.contains(&format!("{{{name}}}")),
                    "{} {method} {path}: path parameter {name} is not in the path",
                    id(&op)
                );
            }
        }
    }
    for (path, filters) in [
        (
            "/api/agreements",
            &["state", "kind", "keyword", "awaiting_me"][..],
        ),
        (
            "/api/graduates",
            &["school_id", "graduation_year", "keyword", "bound"],
        ),
        (
            "/api/destinations",
            &["state", "graduation_year", "keyword"],
        ),
        ("/api/messages", &["unread"]),
        ("/api/send-list", &[]),
        ("/api/employer-verifications", &["status", "keyword"]),
        ("/api/print-records", &["state", "unprinted"]),
    ] {
        let params = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} has no parameters"));
        for name in filters.iter().chain(&["page", "per_page"]) {
            let p = params
                .iter()
                .find(|p| p["name"] == *name)
                .unwrap_or_else(|| panic!("{path}: no {name} parameter"));
            assert_eq!(p["in"], "query", "{path}: {name}");
            assert_ne!(p["required"], true, "{path}: {name} is optional");
        }
    }
    // And the server reads them from the query: a filter that does not parse is the envelope.
    let app = TestApp::spawn().await;
    let c = app.login_as("admin19101").await;
    let (status, body) = c.get_json("/api/agreements?page=first").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
}

#[tokio::test]
async fn every_operation_documents_the_errors_it_can_answer() {
    let app = TestApp::spawn_empty().await;
    let doc = document(&app).await;
    let public: Vec<&str> = vec![
        "healthz",
        "get_openapi_document",
        "login",
        // Without a session it clears the cookie all the same.
        "logout",
        "bind_graduate",
        "search_schools",
        "list_code_tables",
        "register_employer",
        "join_employer",
        "download_roster_template",
        "download_send_list_template",
        "verify_agreement",
        "get_platform_seal",
        "download_default_template",
        "create_print_code",
        "get_print_code_status",
        "fetch_print_code_pdf",
    ];
    let mut missing = Vec::new();
    for (path, method, op) in operations(&doc) {
        let name = id(&op);
        let codes = statuses(&op);
        let mut wants = |status: u16, why: &str| {
            if !codes.contains(&status) {
                missing.push(format!("{name} ({method} {path}): {status} ({why})"));
            }
        };
        wants(503, "database unavailable");
        if public.contains(&name.as_str()) {
            assert!(
                !has_security(&op, "session") || name == "logout",
                "{name} is public"
            );
        } else {
            assert!(has_security(&op, "session"), "{name} needs the session");
            wants(401, "no session");
            wants(403, "forbidden, CSRF or password change required");
            if method != "get" && name != "logout" {
                assert!(has_security(&op, "csrf"), "{name} needs X-CSRF-Token");
            }
        }
        if op["requestBody"]["content"]
            .get("application/json")
            .is_some()
        {
            wants(400, "malformed JSON or wrong content type");
        }
        if op["requestBody"]["content"]
            .get("multipart/form-data")
            .is_some()
        {
            wants(400, "not multipart");
            wants(413, "too large");
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        if params.iter().any(|p| p["name"] == "Idempotency-Key") {
            wants(400, "a malformed Idempotency-Key");
            wants(409, "a key used for another operation");
        }
        if params.iter().any(|p| p["in"] == "query") {
            wants(400, "a query parameter that does not parse");
        }
        for (status, r) in op["responses"].as_object().unwrap() {
            if status.starts_with('4') || (status.starts_with('5') && name != "healthz") {
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{name}: the {status} answer is not the error envelope"
                );
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented errors:\n{}",
        missing.join("\n")
    );
    let accept = &doc["paths"]["/api/agreements/{id}/accept"]["post"];
    assert!(
        statuses(accept).contains(&423),
        "signing re-checks the password"
    );
    let login = &doc["paths"]["/api/session"]["post"];
    for s in [401, 423, 429] {
        assert!(statuses(login).contains(&s), "login {s}");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "wq_session");
    assert_eq!(schemes["csrf"]["in"], "header");
    assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");
}

#[tokio::test]
async fn axum_rejections_under_api_answer_the_envelope() {
    let app = TestApp::spawn().await;
    let c = app.login_as("admin19101").await;
    for path in ["/api/settings/next-year", "/api/graduates?bound=perhaps"] {
        let r = c.get(path).await;
        assert_eq!(r.status().as_u16(), 400, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{path}"
        );
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request", "{path}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    // A JSON operation sent another content type is the documented 400, not axum's 415.
    let r = c
        .http
        .post(format!("{}/api/graduate-search", c.base))
        .header("x-csrf-token", c.csrf.clone().unwrap())
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request", "{body}");
    // A method the path does not answer keeps its `Allow` header and gets the envelope.
    let r = c
        .http
        .put(format!("{}/api/me", c.base))
        .header("x-csrf-token", c.csrf.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    assert!(r.headers().get("allow").is_some());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
}

/// Found by the schemathesis pass: a huge `page` overflowed the offset and dropped the
/// connection. A page past the end is an empty page on every list.
#[tokio::test]
async fn a_page_far_past_the_end_is_an_empty_page() {
    let app = TestApp::spawn().await;
    let c = app.login_as("admin19101").await;
    for list in [
        "/api/agreements",
        "/api/graduates",
        "/api/destinations",
        "/api/messages",
        "/api/employer-verifications",
        "/api/print-records",
    ] {
        let (status, body) = c
            .get_json(&format!("{list}?page=46116860184273881&per_page=200"))
            .await;
        assert_eq!(status, 200, "{list}: {body}");
        assert_eq!(body["items"], serde_json::json!([]), "{list}");
        assert_eq!(body["meta"]["page"], 46116860184273881_i64, "{list}");
        // The count rides on the page's rows; an empty page past the end counts again.
        let (_, first) = c.get_json(list).await;
        assert_eq!(body["meta"]["total"], first["meta"]["total"], "{list}");
    }
    let (_, graduates) = c.get_json("/api/graduates").await;
    assert!(graduates["meta"]["total"].as_i64().unwrap() > 0);
    let hr = app.login_as("hr1").await;
    let (status, body) = hr
        .get_json("/api/send-list?page=46116860184273881&per_page=200")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"], serde_json::json!([]));
}
