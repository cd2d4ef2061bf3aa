use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{png_bytes, TestApp};

pub(crate) fn registration(code: &str, login: &str, schools: &[String]) -> Value {
    json!({
        "company_name": "合肥示例科技有限公司",
        "credit_code": code,
        "login_name": login,
        "manager_name": "周经理",
        "phone": "13912345678",
        "password": "Company2026",
        "password_confirm": "Company2026",
        "province": "安徽省",
        "city": "合肥市",
        "address": "高新区创新大道 1 号",
        "company_phone": "0551-62345678",
        "email": "hr@example.com",
        "postcode": "230088",
        "unit_nature_code": "39",
        "industry_code": "34",
        "size_code": "2",
        "school_ids": schools,
    })
}

pub(crate) fn form(data: &Value, letter: Vec<u8>, licence: Vec<u8>) -> Form {
    Form::new()
        .text("data", data.to_string())
        .part(
            "authorisation_letter",
            Part::bytes(letter).file_name("letter.png"),
        )
        .part("licence", Part::bytes(licence).file_name("licence.png"))
}

#[tokio::test]
async fn an_employer_registers_waits_for_verification_and_is_verified_by_the_province() {
    let app = TestApp::spawn().await;
    let school = app.school_id("19101").await;
    let c = app.client();
    let (status, reg) = c
        .post_multipart(
            "/api/employers",
            form(
                &registration(
                    "91350200776049653A",
                    "zhou_hr",
                    std::slice::from_ref(&school),
                ),
                png_bytes(),
                png_bytes(),
            ),
        )
        .await;
    assert_eq!(status, 201, "{reg}");
    assert_eq!(reg["status"], "pending");
    assert!(reg["credit_code_warning"].is_null());
    let employer_id = reg["employer_id"].as_str().unwrap().to_string();

    // The manager can log in and sees 待审核.
    let hr = app.login_as_with("zhou_hr", "Company2026").await;
    let page = hr.get("/").await.text().await.unwrap();
    assert!(page.contains("待审核"));

    // It appears in both queues.
    let province = app.login_as("province").await;
    let (_, queue) = province.get_json("/api/employer-verifications").await;
    assert!(queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["id"] == employer_id.as_str()));
    let admin = app.login_as("admin19101").await;
    let (_, queue) = admin.get_json("/api/employer-verifications").await;
    assert_eq!(
        queue["meta"]["total"], 2,
        "the demo's pending employer and the new one"
    );

    // Rejection needs a reason.
    let (status, body) = province
        .post_json(
            &format!("/api/employers/{employer_id}/verification"),
            &json!({ "approve": false }),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["fields"][0]["field"], "reason");
    let (status, _) = province
        .post_json(
            &format!("/api/employers/{employer_id}/verification"),
            &json!({ "approve": true }),
        )
        .await;
    assert_eq!(status, 204);
    let (_, detail) = hr.get_json(&format!("/api/employers/{employer_id}")).await;
    assert_eq!(detail["status"], "verified");

    // The school verifies for itself too.
    let (status, _) = admin
        .post_json(
            &format!("/api/employers/{employer_id}/verification"),
            &json!({ "approve": true }),
        )
        .await;
    assert_eq!(status, 204);
    let (_, detail) = hr.get_json(&format!("/api/employers/{employer_id}")).await;
    assert_eq!(detail["schools"][0]["status"], "verified");
}

#[tokio::test]
async fn registration_validates_every_step_and_checks_files_by_their_bytes() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let mut data = registration("91350200776049653", "a", &[]);
    data["phone"] = json!("12345");
    data["postcode"] = json!("12");
    let (status, body) = c
        .post_multipart("/api/employers", form(&data, png_bytes(), png_bytes()))
        .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in ["credit_code", "login_name", "phone", "postcode"] {
        assert!(fields.contains(&f), "{f} not reported in {fields:?}");
    }

    // A text file named .png is not an image.
    let data = registration("91350200776049653A", "zhou_hr", &[]);
    let (status, body) = c
        .post_multipart(
            "/api/employers",
            form(&data, b"just text, not an image".to_vec(), png_bytes()),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("JPG"));

    // An oversized image.
    let mut big = png_bytes();
    big.resize(6 * 1024 * 1024, 0);
    let (status, _) = c
        .post_multipart("/api/employers", form(&data, big, png_bytes()))
        .await;
    assert_eq!(status, 413);

    // Nothing of the failed attempts was written.
    let (status, _) = app.client().login("zhou_hr", "Company2026").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_credit_code_failing_its_check_needs_a_logged_override_to_be_verified() {
    let app = TestApp::spawn().await;
    let (status, reg) = app
        .client()
        .post_multipart(
            "/api/employers",
            form(
                &registration("91350203M0001QAY9B", "real_reg", &[]),
                png_bytes(),
                png_bytes(),
            ),
        )
        .await;
    assert_eq!(status, 201, "{reg}");
    assert!(reg["credit_code_warning"]
        .as_str()
        .unwrap()
        .contains("校验"));
    let id = reg["employer_id"].as_str().unwrap().to_string();
    let province = app.login_as("province").await;
    let (status, body) = province
        .post_json(
            &format!("/api/employers/{id}/verification"),
            &json!({ "approve": true }),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = province
        .post_json(
            &format!("/api/employers/{id}/verification"),
            &json!({ "approve": true, "override_credit_code_warning": true }),
        )
        .await;
    assert_eq!(status, 204);
    let log = wangqian_store::audit::for_target(&app.state.store, "employer", &id)
        .await
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "override_credit_code_warning"));
}

#[tokio::test]
async fn a_second_hr_joins_an_existing_company_after_the_manager_approves() {
    let app = TestApp::spawn().await;
    let (status, reg) = app
        .client()
        .post_multipart(
            "/api/employers",
            form(
                &registration("91440101MA5CJQ4N59", "boss_wang", &[]),
                png_bytes(),
                png_bytes(),
            ),
        )
        .await;
    assert_eq!(status, 201);
    // Registering the same code again is refused with the way forward.
    let (status, body) = app
        .client()
        .post_multipart(
            "/api/employers",
            form(
                &registration("91440101MA5CJQ4N59", "other_one", &[]),
                png_bytes(),
                png_bytes(),
            ),
        )
        .await;
    assert_eq!(status, 409);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("申请加入"));

    let join = json!({ "credit_code": "91440101MA5CJQ4N59", "kind": "join", "login_name": "hr_li", "manager_name": "李专员",
                       "phone": "13800001111", "password": "HrLi20260", "password_confirm": "HrLi20260" });
    let (status, joined) = app
        .client()
        .post_multipart(
            "/api/employers/join",
            Form::new().text("data", join.to_string()),
        )
        .await;
    assert_eq!(status, 201, "{joined}");
    assert_eq!(joined["status"], "pending_join");
    let (status, body) = app.client().login("hr_li", "HrLi20260").await;
    assert_eq!(status, 401);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("等待公司管理员审核"));

    let employer_id = reg["employer_id"].as_str().unwrap();
    let account_id = joined["account_id"].as_str().unwrap();
    // Another company's manager cannot decide it.
    let stranger = app.login_as("hr1").await;
    let (status, _) = stranger
        .post_json(
            &format!("/api/employers/{employer_id}/members/{account_id}/decision"),
            &json!({ "approve": true }),
        )
        .await;
    assert_eq!(status, 404);
    let boss = app.login_as_with("boss_wang", "Company2026").await;
    let (status, _) = boss
        .post_json(
            &format!("/api/employers/{employer_id}/members/{account_id}/decision"),
            &json!({ "approve": true }),
        )
        .await;
    assert_eq!(status, 204);
    let (status, me) = app.client().login("hr_li", "HrLi20260").await;
    assert_eq!(status, 200);
    assert_eq!(me["employer_role"], "hr");
}
