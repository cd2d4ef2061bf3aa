//! Every file of a record is open to whoever may see the record, and to nobody else: the
//! termination letter and signed scan of an agreement, the proofs of an other destination, the
//! employer's licence and authorisation letter (issue 11, "Reviewers see what they attest").

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{png_bytes, Client, TestApp};
use crate::lifecycle::{act, effective_agreement, graduate, reviewer_of, terms};

/// A reviewer of the same school who does not review this department.
async fn reviewer_elsewhere(app: &TestApp, department_id: &str) -> Client {
    let (login,): (String,) = sqlx::query_as(
        "SELECT a.login_name FROM accounts a JOIN departments d ON d.id = a.department_id \
         WHERE a.role = 'department_reviewer' AND a.department_id <> $1 \
         AND d.school_id = (SELECT school_id FROM departments WHERE id = $1) ORDER BY a.login_name LIMIT 1",
    )
    .bind(department_id.to_string())
    .fetch_one(app.state.store.reader())
    .await
    .unwrap();
    app.login_as(&login).await
}

/// The record's files as its detail lists them: (id, kind).
fn files(detail: &Value) -> Vec<(String, String)> {
    detail["uploads"]
        .as_array()
        .unwrap_or_else(|| panic!("no uploads in {detail}"))
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_string(),
                u["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The status of a download, and for 200 that the bytes are the uploaded ones.
async fn download(c: &Client, id: &str) -> u16 {
    let r = c.get(&format!("/api/uploads/{id}")).await;
    let status = r.status().as_u16();
    if status == 200 {
        assert_eq!(r.bytes().await.unwrap().to_vec(), png_bytes());
    }
    status
}

#[tokio::test]
async fn an_agreements_termination_letter_opens_for_its_parties_and_reviewers_only() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, grad, reviewer, admin, id) = effective_agreement(&app, &g).await;
    let (s, b) = grad
        .post_multipart(
            &format!("/api/agreements/{id}/termination"),
            Form::new()
                .text("reason", "考取研究生")
                .text("acknowledged", "true")
                .part("proof", Part::bytes(png_bytes()).file_name("letter.png")),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, detail) = reviewer.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(s, 200, "{detail}");
    let listed = files(&detail);
    assert_eq!(listed.len(), 1, "{detail}");
    let (file, kind) = &listed[0];
    assert_eq!(kind, "termination_proof");
    assert_eq!(detail["uploads"][0]["content_type"], "image/png");
    assert_eq!(detail["uploads"][0]["size"], png_bytes().len());
    let province = app.login_as("province").await;
    for (who, c) in [
        ("graduate", &grad),
        ("employer", &employer),
        ("reviewer", &reviewer),
        ("school", &admin),
        ("province", &province),
    ] {
        assert_eq!(download(c, file).await, 200, "{who}");
    }
    let other_school = app.login_as("admin19102").await;
    let other_employer = app.login_as("hr2").await;
    let other_reviewer = reviewer_elsewhere(&app, &g.department_id).await;
    let other_graduate = app.login_as(&graduate(&app, 1).await.id_number).await;
    for (who, c) in [
        ("another school", &other_school),
        ("another employer", &other_employer),
        ("another department's reviewer", &other_reviewer),
        ("another graduate", &other_graduate),
        ("nobody", &app.client()),
    ] {
        let s = download(c, file).await;
        assert!(s == 404 || (who == "nobody" && s == 401), "{who}: {s}");
    }
    // The reviewer sees it on the agreement page, as a thumbnail that opens full size.
    let page = reviewer
        .get(&format!("/agreements/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("class=\"upload-thumb\""), "{page}");
    assert!(page.contains(&format!("href=\"/api/uploads/{file}\"")));
    assert!(page.contains("解约证明"));
}

#[tokio::test]
async fn a_signed_scan_of_a_paper_agreement_opens_for_the_school() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let paper = json!({
        "employer": {
            "name": "芜湖示例制造有限公司", "credit_code": "91440101MA5CJQ4N59", "unit_nature_code": "39",
            "industry_code": "22", "location": "安徽省芜湖市", "address": "鸠江区示例路 8 号", "postcode": "241000"
        },
        "terms": terms()
    });
    let (s, b) = grad.post_json("/api/paper-agreements", &paper).await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let (s, b) = act(&grad, &id, "submit", json!({ "confirm": true })).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = act(&reviewer, &id, "review", json!({ "approve": true })).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = grad
        .post_multipart(
            &format!("/api/agreements/{id}/signed-scan"),
            Form::new().part("scan", Part::bytes(png_bytes()).file_name("scan.png")),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let admin = app.login_as("admin19101").await;
    let (_, detail) = admin.get_json(&format!("/api/agreements/{id}")).await;
    let listed = files(&detail);
    assert_eq!(listed.len(), 1, "{detail}");
    assert_eq!(listed[0].1, "signed_agreement");
    assert_eq!(download(&admin, &listed[0].0).await, 200);
    assert_eq!(download(&reviewer, &listed[0].0).await, 200);
    assert_eq!(
        download(&app.login_as("admin19102").await, &listed[0].0).await,
        404
    );
    // A paper agreement's company is not an account: no employer opens it.
    assert_eq!(
        download(&app.login_as("hr1").await, &listed[0].0).await,
        404
    );
}

#[tokio::test]
async fn destination_proofs_open_for_the_school_and_never_for_a_company() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let (s, b) = grad
        .post_multipart(
            "/api/destinations",
            Form::new()
                .text(
                    "data",
                    json!({ "category_code": "80", "subcategory": "全日制", "unit_name": "江淮大学研究生院",
                            "details": { "所在地": "合肥", "录取专业": "数学" } })
                    .to_string(),
                )
                .part("proof_1", Part::bytes(png_bytes()).file_name("offer.png"))
                .part("proof_2", Part::bytes(png_bytes()).file_name("offer2.png")),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let (s, detail) = reviewer.get_json(&format!("/api/destinations/{id}")).await;
    assert_eq!(s, 200, "{detail}");
    let listed = files(&detail);
    assert_eq!(listed.len(), 2, "{detail}");
    assert!(listed.iter().all(|(_, k)| k == "destination_proof"));
    let admin = app.login_as("admin19101").await;
    for (file, _) in &listed {
        assert_eq!(download(&reviewer, file).await, 200);
        assert_eq!(download(&admin, file).await, 200);
        assert_eq!(download(&grad, file).await, 200);
        assert_eq!(download(&app.login_as("hr1").await, file).await, 404);
        assert_eq!(download(&app.login_as("admin19102").await, file).await, 404);
        assert_eq!(
            download(&reviewer_elsewhere(&app, &g.department_id).await, file).await,
            404
        );
    }
    let page = reviewer
        .get(&format!("/destinations/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("class=\"upload-thumb\"").count(), 2, "{page}");
    assert!(!page.contains("张</td>"), "the bare count is gone");
}

#[tokio::test]
async fn an_employers_certificates_open_for_the_schools_it_applied_to_and_the_province() {
    let app = TestApp::spawn().await;
    let school = app.school_id("19101").await;
    let (s, reg) = app
        .client()
        .post_multipart(
            "/api/employers",
            crate::employers::form(
                &crate::employers::registration(
                    "91350200776049653A",
                    "zhou_hr",
                    std::slice::from_ref(&school),
                ),
                png_bytes(),
                png_bytes(),
            ),
        )
        .await;
    assert_eq!(s, 201, "{reg}");
    let employer_id = reg["employer_id"].as_str().unwrap().to_string();
    let province = app.login_as("province").await;
    let (s, detail) = province
        .get_json(&format!("/api/employers/{employer_id}"))
        .await;
    assert_eq!(s, 200, "{detail}");
    let mut kinds: Vec<String> = files(&detail).into_iter().map(|(_, k)| k).collect();
    kinds.sort();
    assert_eq!(kinds, ["authorisation_letter", "licence"]);
    let manager = app.login_as_with("zhou_hr", "Company2026").await;
    let admin = app.login_as("admin19101").await;
    for (file, _) in files(&detail) {
        assert_eq!(download(&province, &file).await, 200);
        assert_eq!(download(&admin, &file).await, 200, "applied to 19101");
        assert_eq!(download(&manager, &file).await, 200);
        assert_eq!(
            download(&app.login_as("admin19102").await, &file).await,
            404
        );
        assert_eq!(download(&app.login_as("hr1").await, &file).await, 404);
        assert_eq!(download(&app.login_as("rev19101a").await, &file).await, 404);
    }
    // The school's queue shows them as thumbnails beside the decision.
    let page = admin.get("/verify").await.text().await.unwrap();
    assert!(page.contains("class=\"upload-thumb\""), "{page}");
}

#[tokio::test]
async fn a_reviewer_opens_the_licence_of_a_company_that_signed_in_their_department() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, _grad, reviewer, _admin, id) = effective_agreement(&app, &g).await;
    let (_, me) = employer.get_json("/api/me").await;
    let employer_id = me["employer_id"].as_str().unwrap().to_string();
    // The company sends a new licence with a 认证信息 change: a file of the company's record.
    let (s, b) = employer
        .post_multipart(
            &format!("/api/employers/{employer_id}/certification-changes"),
            Form::new()
                .text("name", "新名称科技有限公司")
                .text("credit_code", "91350200776049653A")
                .text("unit_nature_code", "39")
                .part("licence", Part::bytes(png_bytes()).file_name("licence.png")),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (licence,): (String,) = sqlx::query_as(
        "SELECT licence_upload_id FROM employer_certification_changes WHERE employer_id = $1",
    )
    .bind(employer_id.clone())
    .fetch_one(app.state.store.reader())
    .await
    .unwrap();
    assert_eq!(download(&reviewer, &licence).await, 200, "{id}");
    // A reviewer of a department where the company signed nothing does not.
    assert_eq!(
        download(&reviewer_elsewhere(&app, &g.department_id).await, &licence).await,
        404
    );
    assert_eq!(
        download(&app.login_as("rev19102a").await, &licence).await,
        404
    );
}
