use serde_json::{json, Value};

use crate::helpers::TestApp;

#[tokio::test]
async fn every_demo_role_logs_in_and_sees_its_chinese_home_page() {
    let app = TestApp::spawn().await;
    let graduate = app.demo_graduate_login(0);
    for (login, role, heading) in [
        ("province", "provincial_admin", "省级管理员首页"),
        ("admin19101", "school_admin", "学校管理员首页"),
        ("rev19101a", "department_reviewer", "院系审核员首页"),
        ("hr1", "employer_member", "用人单位首页"),
        (graduate.as_str(), "graduate", "毕业生首页"),
    ] {
        let c = app.login_as(login).await;
        let (status, me) = c.get_json("/api/me").await;
        assert_eq!(status, 200);
        assert_eq!(me["role"], role);
        let page = c.get("/").await.text().await.unwrap();
        assert!(page.contains(heading), "{login}: {heading} not on the page");
    }
}

#[tokio::test]
async fn a_graduate_sees_their_own_record_with_the_id_number_masked() {
    let app = TestApp::spawn().await;
    let id = app.demo_graduate_login(0);
    let c = app.login_as(&id).await;
    let page = c.get("/").await.text().await.unwrap();
    let masked = format!("{}********{}", &id[..6], &id[14..]);
    assert!(page.contains(&masked), "masked ID shown");
    assert!(!page.contains(&id), "full ID never shown");
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_even_for_the_right_password() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    for attempt in 1..=4 {
        let (status, body) = c.login("hr1", "wrong-password1").await;
        assert_eq!(status, 401, "attempt {attempt}");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("账号或密码错误"));
    }
    let (status, body) = c.login("hr1", "wrong-password1").await;
    assert_eq!(status, 423);
    assert!(body["error"]["message"].as_str().unwrap().contains("锁定"));
    let (status, _) = c.login("hr1", wangqian_store::demo::DEMO_PASSWORD).await;
    assert_eq!(status, 423, "locked even with the right password");
}

#[tokio::test]
async fn unknown_accounts_get_the_same_answer_as_wrong_passwords() {
    let app = TestApp::spawn().await;
    let (status, body) = app.client().login("nobody-here", "whatever1").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["message"], "账号或密码错误");
}

#[tokio::test]
async fn state_changing_requests_need_the_sessions_csrf_token() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as("admin19101").await;
    let body = json!({ "department_id": "x", "login_name": "newrev01", "display_name": "新老师", "password": "Passw0rd1" });
    let token = c.csrf.take();
    let (status, err) = c.post_json("/api/staff/reviewers", &body).await;
    assert_eq!(status, 403);
    assert!(err["error"]["message"].as_str().unwrap().contains("CSRF"));
    c.csrf = Some("forged".into());
    let (status, _) = c.post_json("/api/staff/reviewers", &body).await;
    assert_eq!(status, 403);
    c.csrf = token;
    let (status, _) = c.post_json("/api/staff/reviewers", &body).await;
    assert_eq!(
        status, 422,
        "passes CSRF, then fails validation on the department"
    );
    // A form post from a page without the token is refused too.
    let r = c
        .post_form("/school/staff", &[("department_id", "x")])
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn cross_site_posts_are_refused_even_without_a_session() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = c
        .http
        .post(format!("{}/api/session", c.base))
        .header("origin", "https://evil.example")
        .json(&json!({ "login": "hr1", "password": "Demo2026" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn sessions_end_after_the_idle_timeout_and_on_logout() {
    let app = TestApp::spawn().await;
    let c = app.login_as("hr1").await;
    let token = c
        .http
        .get(format!("{}/api/me", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    // An hour without a request: past the 30-minute idle timeout.
    app.advance(std::time::Duration::from_secs(60 * 60));
    let (status, body) = c.get_json("/api/me").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthenticated");

    let c = app.login_as("hr1").await;
    let r = c
        .http
        .delete(format!("{}/api/session", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (status, _) = c.get_json("/api/me").await;
    assert_eq!(status, 401);
}

/// An unbound demo graduate of school 19101: (school_id, name, student_no, id_number).
pub(crate) async fn unbound_graduate(app: &TestApp) -> (String, String, String, String) {
    let note = &app.demo.iter().find(|a| a.role == "毕业生").unwrap().note;
    // "…；未绑定示例：NAME / 学号 NO / 身份证 ID"
    let tail = note.split("未绑定示例：").nth(1).unwrap();
    let parts: Vec<&str> = tail.split(" / ").collect();
    let name = parts[0].to_string();
    let no = parts[1].trim_start_matches("学号 ").to_string();
    let id = parts[2].trim_start_matches("身份证 ").to_string();
    (app.school_id("19101").await, name, no, id)
}

pub(crate) fn bind_body(school: &str, name: &str, no: &str, id: &str) -> Value {
    json!({ "school_id": school, "name": name, "student_no": no, "id_number": id,
            "password": "Graduate1", "password_confirm": "Graduate1" })
}

#[tokio::test]
async fn binding_needs_all_four_facts_to_match_and_then_logs_the_graduate_in() {
    let app = TestApp::spawn().await;
    let (school, name, no, id) = unbound_graduate(&app).await;
    let c = app.client();

    // A wrong check digit is caught before any look-up.
    let mut bad = id.clone();
    let last = if bad.ends_with('0') { '1' } else { '0' };
    bad.pop();
    bad.push(last);
    let (status, body) = c
        .post_json("/api/graduates/bind", &bind_body(&school, &name, &no, &bad))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["fields"][0]["field"], "id_number");
    assert!(body["error"]["fields"][0]["message"]
        .as_str()
        .unwrap()
        .contains("校验"));

    // Right ID, wrong student number.
    let (status, body) = c
        .post_json(
            "/api/graduates/bind",
            &bind_body(&school, &name, "999999", &id),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("信息不匹配或没有注册"));

    // Another school.
    let other = app.school_id("19102").await;
    let (status, _) = c
        .post_json("/api/graduates/bind", &bind_body(&other, &name, &no, &id))
        .await;
    assert_eq!(status, 400);

    let mut c = app.client();
    let (status, body) = c
        .post_json("/api/graduates/bind", &bind_body(&school, &name, &no, &id))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["role"], "graduate");
    c.take_session(&body);
    let (status, me) = c.get_json("/api/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["display_name"], name);

    // Twice is refused.
    let (status, body) = app
        .client()
        .post_json("/api/graduates/bind", &bind_body(&school, &name, &no, &id))
        .await;
    assert_eq!(status, 409);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("已绑定"));

    // The graduate logs in with the ID number and the new password.
    let (status, _) = app.client().login(&id, "Graduate1").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_administrator_unbinds_a_graduate_who_can_then_bind_again() {
    let app = TestApp::spawn().await;
    let (school, name, no, id) = unbound_graduate(&app).await;
    let (status, bound) = app
        .client()
        .post_json("/api/graduates/bind", &bind_body(&school, &name, &no, &id))
        .await;
    assert_eq!(status, 201);
    let graduate_id = bound["graduate_id"].as_str().unwrap().to_string();

    let admin = app.login_as("admin19101").await;
    let (status, _) = admin
        .post_json(&format!("/api/graduates/{graduate_id}/unbind"), &json!({}))
        .await;
    assert_eq!(status, 204);
    let (status, _) = app.client().login(&id, "Graduate1").await;
    assert_eq!(status, 401, "the old password no longer works");
    let (status, _) = app
        .client()
        .post_json("/api/graduates/bind", &bind_body(&school, &name, &no, &id))
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn racing_bindings_of_one_record_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let (school, name, no, id) = unbound_graduate(&app).await;
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let c = app.client();
        let body = bind_body(&school, &name, &no, &id);
        tasks.push(tokio::spawn(async move {
            c.post_json("/api/graduates/bind", &body).await.0
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn concurrent_writes_never_fail_with_database_locked() {
    let app = TestApp::spawn().await;
    let mut tasks = Vec::new();
    // Logins write (session rows, counters); fire them all at once.
    for i in 0..40 {
        let mut c = app.client();
        let login = ["hr1", "hr2", "hr3", "province", "admin19101"][i % 5];
        tasks.push(tokio::spawn(
            async move { c.login(login, "Demo2026").await.0 },
        ));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
}

#[tokio::test]
async fn a_school_administrator_creates_a_reviewer_who_can_log_in() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let school = app.school_id("19101").await;
    let (_, depts) = admin
        .get_json(&format!("/api/schools/{school}/departments"))
        .await;
    let dept = depts["items"][0]["id"].as_str().unwrap().to_string();
    let body = json!({ "department_id": dept, "login_name": "teacher_li", "display_name": "李老师", "password": "Teach3r2026" });
    let (status, row) = admin.post_json("/api/staff/reviewers", &body).await;
    assert_eq!(status, 201, "{row}");
    assert_eq!(row["role"], "department_reviewer");
    let (status, body2) = admin.post_json("/api/staff/reviewers", &body).await;
    assert_eq!(status, 422);
    assert_eq!(body2["error"]["fields"][0]["message"], "该账号已被使用");

    let mut c = app.client();
    let (status, me) = c.login("teacher_li", "Teach3r2026").await;
    assert_eq!(status, 200);
    assert_eq!(me["department_id"], dept.as_str());

    // Disabled reviewers cannot log in.
    let id = row["id"].as_str().unwrap();
    let (status, _) = admin
        .put_json(
            &format!("/api/staff/reviewers/{id}/active"),
            &json!({ "active": false }),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = c.get_json("/api/me").await;
    assert_eq!(status, 401);
    let (status, _) = app.client().login("teacher_li", "Teach3r2026").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn signing_settings_start_from_defaults_and_are_validated() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let settings = format!("/api/settings/{}", app.cohort());
    let (status, s) = admin.get_json(&settings).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["max_terminations"], 3);
    assert_eq!(s["invitation_validity_days"], 5);
    assert_eq!(s["review_levels"], "two");
    // 1 September of the year before graduation.
    assert_eq!(
        s["termination_not_before"],
        format!("{}-09-01", app.cohort() - 1)
    );

    let mut bad = s.clone();
    bad["invitation_validity_days"] = json!(0);
    let (status, body) = admin.put_json(&settings, &bad).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["error"]["fields"][0]["field"],
        "invitation_validity_days"
    );

    let mut good = s.clone();
    good["review_levels"] = json!("one");
    good["max_terminations"] = json!(1);
    let (status, _) = admin.put_json(&settings, &good).await;
    assert_eq!(status, 200);
    let (_, again) = admin.get_json(&settings).await;
    assert_eq!(again["review_levels"], "one");
    assert_eq!(again["max_terminations"], 1);

    // Reviewers read but cannot change; the other school sees its own defaults.
    let reviewer = app.login_as("rev19101a").await;
    let (status, _) = reviewer.get_json(&settings).await;
    assert_eq!(status, 200);
    let (status, _) = reviewer.put_json(&settings, &good).await;
    assert_eq!(status, 403);
    let other = app.login_as("admin19102").await;
    let (_, theirs) = other.get_json(&settings).await;
    assert_eq!(theirs["review_levels"], "two");
}

#[tokio::test]
async fn a_malformed_page_form_gets_a_chinese_400_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let csrf = admin.csrf.clone().unwrap();
    let year = app.cohort().to_string();
    let r = admin
        .post_form(
            "/school/settings",
            &[
                ("_csrf", csrf.as_str()),
                ("graduation_year", year.as_str()),
                ("max_terminations", "很多"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("表单内容不完整或格式不正确"));
    let (_, s) = admin.get_json(&format!("/api/settings/{year}")).await;
    assert_eq!(s["max_terminations"], 3);
}
