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
