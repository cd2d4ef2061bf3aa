//! The graduate confirms the record (issue 11, seed 003 §2): the unlocked fields are confirmed
//! directly, locked ones change only through a correction request (纠错) that the record's
//! department reviewer or the school administrator decides; both are in the record's trail.

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{png_bytes, Client, TestApp};
use crate::lifecycle::{graduate, reviewer_of, Grad};

fn fields(body: &Value) -> Vec<String> {
    body["error"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields in {body}"))
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect()
}

async fn login_of(app: &TestApp, sql: &str, arg: &str) -> Client {
    let (login,): (String,) = sqlx::query_as(sql)
        .bind(arg.to_string())
        .fetch_one(app.state.store.reader())
        .await
        .unwrap();
    app.login_as(&login).await
}

/// The administrator of the graduate's school.
async fn admin_of(app: &TestApp, g: &Grad) -> Client {
    login_of(
        app,
        "SELECT a.login_name FROM accounts a JOIN graduates g ON g.school_id = a.school_id \
         WHERE a.role = 'school_admin' AND g.id = $1 ORDER BY a.login_name LIMIT 1",
        &g.id,
    )
    .await
}

/// An administrator of another school.
async fn other_admin(app: &TestApp, g: &Grad) -> Client {
    login_of(
        app,
        "SELECT a.login_name FROM accounts a WHERE a.role = 'school_admin' \
         AND a.school_id <> (SELECT school_id FROM graduates WHERE id = $1) ORDER BY a.login_name LIMIT 1",
        &g.id,
    )
    .await
}

/// A reviewer of the same school who does not review this department.
async fn other_reviewer(app: &TestApp, g: &Grad) -> Client {
    login_of(
        app,
        "SELECT a.login_name FROM accounts a JOIN departments d ON d.id = a.department_id \
         WHERE a.role = 'department_reviewer' AND a.department_id <> $1 \
         AND d.school_id = (SELECT school_id FROM departments WHERE id = $1) ORDER BY a.login_name LIMIT 1",
        &g.department_id,
    )
    .await
}

async fn graduate_row(app: &TestApp, id: &str) -> (String, String, i64) {
    sqlx::query_as("SELECT name, gender, years_of_schooling FROM graduates WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(app.state.store.reader())
        .await
        .unwrap()
}

async fn request(c: &Client, data: Value, proof: bool) -> (u16, Value) {
    let mut form = Form::new().text("data", data.to_string());
    if proof {
        form = form.part("proof", Part::bytes(png_bytes()).file_name("证明.png"));
    }
    c.post_multipart("/api/record-corrections", form).await
}

#[tokio::test]
async fn confirming_the_record_names_every_problem_and_stores_the_county() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let (s, b) = grad
        .put_json(
            "/api/me/source-record",
            &json!({"mobile": "1331234", "email": "no-at", "home_address": "短", "origin_county_code": "340100"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        fields(&b),
        ["mobile", "email", "home_address", "origin_county_code"]
    );
    let (s, b) = grad
        .put_json(
            "/api/me/source-record",
            &json!({"mobile": "13312345660", "email": "lin@example.cn", "home_address": "合肥市蜀山区长江西路 1 号", "origin_county_code": "340104"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["origin_location"], "安徽省合肥市蜀山区");
    let (origin, code, mobile_enc): (String, Option<String>, String) = sqlx::query_as(
        "SELECT origin_location, origin_location_code, mobile_enc FROM graduates WHERE id = $1",
    )
    .bind(g.id.clone())
    .fetch_one(app.state.store.reader())
    .await
    .unwrap();
    assert_eq!(
        (origin.as_str(), code.as_deref()),
        ("安徽省合肥市蜀山区", Some("340104"))
    );
    assert!(!mobile_enc.contains("13312345660"), "encrypted at rest");
    // Only the graduate confirms their own record.
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let (s, _) = reviewer
        .put_json(
            "/api/me/source-record",
            &json!({"mobile": "13312345660", "email": "lin@example.cn", "home_address": "合肥市蜀山区长江西路 1 号", "origin_county_code": "340104"}),
        )
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn an_approved_correction_changes_the_record_once_and_is_in_its_trail() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let (_, gender, _) = graduate_row(&app, &g.id).await;
    let new_gender = if gender == "1" { "女" } else { "男" };
    // The ID number is never a correction; bad values and a missing reason come back at once.
    let (s, b) = request(
        &grad,
        json!({"changes": {"id_number": "11010519491231002X", "gender": "其他"}, "reason": ""}),
        false,
    )
    .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        fields(&b),
        ["changes.gender", "changes.id_number", "reason"]
    );
    assert!(b.to_string().contains("解除绑定"), "{b}");
    let (s, c) = request(
        &grad,
        json!({"changes": {"name": "林小晓", "gender": new_gender, "years_of_schooling": "5"}, "reason": "姓名与身份证不一致，学制为五年"}),
        true,
    )
    .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["state"], "pending");
    assert_eq!(c["changes"].as_array().unwrap().len(), 3, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    // A second open request is refused.
    let (s, b) = request(
        &grad,
        json!({"changes": {"name": "林小"}, "reason": "再次申请更正姓名"}),
        false,
    )
    .await;
    assert_eq!(s, 409, "{b}");
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let (s, list) = reviewer.get_json("/api/record-corrections").await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["items"][0]["id"], id.as_str(), "pending first: {list}");
    let (s, done) = reviewer
        .post_json(
            &format!("/api/record-corrections/{id}/review"),
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["state"], "approved");
    let (name, gender_after, years) = graduate_row(&app, &g.id).await;
    assert_eq!(name, "林小晓");
    assert_ne!(gender_after, gender);
    assert_eq!(years, 5);
    // A double click finds it decided and applies nothing twice.
    let (s, b) = reviewer
        .post_json(
            &format!("/api/record-corrections/{id}/review"),
            &json!({"decision": "reject", "reason": "重复点击"}),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    let (s, rec) = grad.get_json(&format!("/api/graduates/{}", g.id)).await;
    assert_eq!(s, 200, "{rec}");
    assert_eq!(rec["name"], "林小晓");
    // Both the request and the decision are in the record's trail (audit against the graduate).
    let (actions,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE target_kind = 'graduate' AND target_id = $1 \
         AND action IN ('request_record_correction', 'approve_record_correction')",
    )
    .bind(g.id.clone())
    .fetch_one(app.state.store.reader())
    .await
    .unwrap();
    assert_eq!(actions, 2);
    // After the decision the graduate may ask again.
    let (s, b) = request(
        &grad,
        json!({"changes": {"major": "软件工程（更正）"}, "reason": "专业名称有误"}),
        false,
    )
    .await;
    assert_eq!(s, 201, "{b}");
}

#[tokio::test]
async fn a_rejected_correction_leaves_the_record_and_needs_a_reason() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let before = graduate_row(&app, &g.id).await;
    let (s, c) = request(
        &grad,
        json!({"changes": {"name": "林错名"}, "reason": "姓名录入有误"}),
        false,
    )
    .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().unwrap();
    let admin = admin_of(&app, &g).await;
    let (s, b) = admin
        .post_json(
            &format!("/api/record-corrections/{id}/review"),
            &json!({"decision": "reject"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(fields(&b), ["reason"]);
    let (s, b) = admin
        .post_json(
            &format!("/api/record-corrections/{id}/review"),
            &json!({"decision": "reject", "reason": "与学籍档案一致，无需更正"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"], "rejected");
    assert_eq!(b["decision_reason"], "与学籍档案一致，无需更正");
    assert_eq!(graduate_row(&app, &g.id).await, before);
    let (s, mine) = grad
        .get_json(&format!("/api/record-corrections/{id}"))
        .await;
    assert_eq!((s, mine["state"].as_str()), (200, Some("rejected")));
}

#[tokio::test]
async fn the_proof_and_the_request_are_the_records_and_nobody_elses() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let (s, c) = request(
        &grad,
        json!({"changes": {"name": "林证明"}, "reason": "姓名录入有误，见身份证"}),
        true,
    )
    .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    let proof = c["uploads"][0]["id"]
        .as_str()
        .expect("proof listed")
        .to_string();
    assert_eq!(c["uploads"][0]["kind"], "correction_proof");
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let admin = admin_of(&app, &g).await;
    let other_grad = app.login_as(&graduate(&app, 1).await.id_number).await;
    let elsewhere = other_reviewer(&app, &g).await;
    let other_school = other_admin(&app, &g).await;
    let employer = app.login_as("hr1").await;
    for (who, c) in [
        ("graduate", &grad),
        ("reviewer", &reviewer),
        ("school", &admin),
    ] {
        let r = c.get(&format!("/api/uploads/{proof}")).await;
        assert_eq!(r.status().as_u16(), 200, "{who}");
        assert_eq!(r.bytes().await.unwrap().to_vec(), png_bytes(), "{who}");
        let (s, b) = c.get_json(&format!("/api/record-corrections/{id}")).await;
        assert_eq!(s, 200, "{who}: {b}");
    }
    for (who, c) in [
        ("another graduate", &other_grad),
        ("another department's reviewer", &elsewhere),
        ("another school", &other_school),
        ("employer", &employer),
    ] {
        let r = c.get(&format!("/api/uploads/{proof}")).await;
        assert_eq!(r.status().as_u16(), 404, "{who} downloads the proof");
        let (s, b) = c.get_json(&format!("/api/record-corrections/{id}")).await;
        assert!(
            s == 404 || (who == "employer" && s == 403),
            "{who} reads: {s} {b}"
        );
        let (s, b) = c
            .post_json(
                &format!("/api/record-corrections/{id}/review"),
                &json!({"decision": "approve"}),
            )
            .await;
        assert!(
            s == 404 || (matches!(who, "employer" | "another graduate") && s == 403),
            "{who} decides: {s} {b}"
        );
        let (s, list) = c.get_json("/api/record-corrections").await;
        if who == "employer" {
            assert_eq!(s, 403, "{list}");
        } else {
            assert_eq!(s, 200, "{list}");
            assert!(
                !list.to_string().contains(&id),
                "{who} lists the request: {list}"
            );
        }
    }
    // The graduate cannot decide their own request; the province does not take part.
    let (s, _) = grad
        .post_json(
            &format!("/api/record-corrections/{id}/review"),
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(s, 403);
    let province = app.login_as("province").await;
    let (s, _) = province.get_json("/api/record-corrections").await;
    assert_eq!(s, 403);
    // Nobody else asks for a correction on a graduate's behalf.
    let (s, _) = request(
        &reviewer,
        json!({"changes": {"name": "林小"}, "reason": "代为申请更正"}),
        false,
    )
    .await;
    assert_eq!(s, 403);
    // Still pending: none of the refused decisions changed it.
    let (_, b) = reviewer
        .get_json(&format!("/api/record-corrections/{id}"))
        .await;
    assert_eq!(b["state"], "pending");
}

#[tokio::test]
async fn the_pages_confirm_the_record_and_carry_a_correction_to_its_decision() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let csrf = grad.csrf.clone().unwrap();
    // The home card's "如有错误…更正" is a link to the 纠错 form.
    let home = grad.get("/").await.text().await.unwrap();
    assert!(
        home.contains("href=\"/account/record#correction\""),
        "{home}"
    );
    let page = grad.get("/account/record").await;
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("class=\"record locked\""),
        "locked fields grey"
    );
    assert!(page.contains("name=\"origin_county\""));
    // A city is not enough and a bad phone: both next to their fields, what was typed kept.
    let r = grad
        .post_form(
            "/account/record",
            &[
                ("_csrf", &csrf),
                ("mobile", "1331234"),
                ("email", "lin@example.cn"),
                ("home_address", "合肥市蜀山区长江西路 1 号"),
                ("origin_province", "340000"),
                ("origin_city", "340100"),
                ("origin_county", ""),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("id=\"mobile-error\""), "{body}");
    assert!(body.contains("id=\"origin_county-error\""), "{body}");
    assert!(body.contains("value=\"1331234\""), "typed phone kept");
    assert!(
        body.contains("value=\"340100\" selected"),
        "chosen city kept"
    );
    let r = grad
        .post_form(
            "/account/record",
            &[
                ("_csrf", &csrf),
                ("mobile", "13312345660"),
                ("email", "lin@example.cn"),
                ("home_address", "合肥市蜀山区长江西路 1 号"),
                ("origin_province", "340000"),
                ("origin_city", "340100"),
                ("origin_county", "340104"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    // The 纠错 form: a missing reason comes back with the typed name kept.
    let send = |fields: Vec<(&'static str, String)>| {
        let mut form = Form::new();
        for (k, v) in fields {
            form = form.text(k, v);
        }
        grad.http
            .post(format!(
                "{}/account/record/correction?_csrf={csrf}",
                grad.base
            ))
            .multipart(form)
            .send()
    };
    let r = send(vec![
        ("change_name", "林页面".into()),
        ("reason", "".into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("id=\"correction_reason-error\""), "{body}");
    assert!(body.contains("value=\"林页面\""), "{body}");
    let r = send(vec![
        ("change_name", "林页面".into()),
        ("reason", "姓名录入有误".into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let page = grad.get("/account/record").await.text().await.unwrap();
    assert!(page.contains("已有一条待审核的纠错申请"), "{page}");
    assert!(page.contains("提交纠错申请"), "the trail shows the request");
    // The reviewer's page lists it; a rejection without a reason comes back on its row.
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let rcsrf = reviewer.csrf.clone().unwrap();
    let home = reviewer.get("/").await.text().await.unwrap();
    assert!(home.contains("href=\"/school/corrections\""));
    let list = reviewer
        .get("/school/corrections")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("林页面"), "{list}");
    let (id,): (String,) =
        sqlx::query_as("SELECT id FROM record_corrections WHERE graduate_id = $1")
            .bind(g.id.clone())
            .fetch_one(app.state.store.reader())
            .await
            .unwrap();
    let r = reviewer
        .post_form(
            &format!("/school/corrections/{id}/review"),
            &[("_csrf", &rcsrf), ("decision", "reject"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("id=\"review_reason-error\""));
    let r = reviewer
        .post_form(
            &format!("/school/corrections/{id}/review"),
            &[("_csrf", &rcsrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(graduate_row(&app, &g.id).await.0, "林页面");
    let page = grad.get("/account/record").await.text().await.unwrap();
    assert!(
        page.contains("同意更正"),
        "the decision is in 更正记录: {page}"
    );
    // Another school's administrator cannot decide it from the page either.
    let other = other_admin(&app, &g).await;
    let ocsrf = other.csrf.clone().unwrap();
    let r = other
        .post_form(
            &format!("/school/corrections/{id}/review"),
            &[("_csrf", &ocsrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 404);
    let r = other
        .get(&format!("/school/corrections?graduate_id={}", g.id))
        .await;
    assert_eq!(r.status().as_u16(), 404);
}
