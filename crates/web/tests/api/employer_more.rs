//! Issue 10, the employer side that was left: applying to recruit at more schools (申请招聘业务)
//! and the school's verification of it, the company's logo, the province's employer pages
//! (password reset, 认证信息 decisions) and one-time keys on the members page.

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::employer_members::{colleague, company};
use crate::helpers::{png_bytes, Client, TestApp};
use crate::lifecycle::graduate;

async fn employer_of(app: &TestApp, login: &str) -> String {
    let (id,): (String,) = sqlx::query_as("SELECT employer_id FROM accounts WHERE login_name = $1")
        .bind(login.to_string())
        .fetch_one(app.state.store.reader())
        .await
        .unwrap();
    id
}

/// Takes a school off a demo company's list, as if it had never applied there.
async fn forget_school(app: &TestApp, employer: &str, school: &str) {
    sqlx::query("DELETE FROM employer_schools WHERE employer_id = $1 AND school_id = $2")
        .bind(employer.to_string())
        .bind(school.to_string())
        .execute(app.state.store.writer())
        .await
        .unwrap();
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action.to_string())
        .fetch_one(app.state.store.reader())
        .await
        .unwrap();
    n
}

async fn page(c: &Client, path: &str) -> (u16, String) {
    let r = c.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn form(c: &Client, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let csrf = c.csrf.clone().unwrap();
    let mut all: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
    all.extend_from_slice(fields);
    let r = c.post_form(path, &all).await;
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, location.unwrap_or(r.text().await.unwrap()))
}

fn search(g: &crate::lifecycle::Grad) -> Value {
    json!({ "school": "19102", "graduation_year": g.year, "name": g.name, "phone_or_id_number": g.id_number })
}

#[tokio::test]
async fn a_company_applies_to_a_new_school_which_approves_it_before_it_may_invite() {
    let app = TestApp::spawn().await;
    let employer = employer_of(&app, "hr1").await;
    let school = app.school_id("19102").await;
    forget_school(&app, &employer, &school).await;
    // 19102 lets only the companies it verified itself sign with its graduates.
    let admin = app.login_as("admin19102").await;
    let settings = format!("/api/settings/{}", app.cohort());
    let (_, mut s) = admin.get_json(&settings).await;
    s["employer_verification"] = json!("school_required");
    let (status, body) = admin.put_json(&settings, &s).await;
    assert_eq!(status, 200, "{body}");

    let hr1 = app.login_as("hr1").await;
    let mine = format!("/api/employers/{employer}/schools");
    let (status, list) = hr1.get_json(&mine).await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["status_label"], "已通过");

    let g = graduate(&app, 1).await;
    let (status, found) = hr1.post_json("/api/graduate-search", &search(&g)).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["invitable"], false, "{found}");

    let (status, applied) = hr1
        .post_json(&mine, &json!({ "school_ids": [school] }))
        .await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["items"][0]["outcome"], "applied");
    assert_eq!(applied["items"][0]["status_label"], "待审核");
    // Applying again changes nothing and says so.
    let (status, again) = hr1
        .post_json(&mine, &json!({ "school_ids": [school] }))
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["items"][0]["outcome"], "already_pending");
    assert_eq!(audit_count(&app, "apply_to_school").await, 1);

    // The school's queue has it; the school approves.
    let (status, queue) = admin.get_json("/api/employer-verifications").await;
    assert_eq!(status, 200, "{queue}");
    assert!(
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == employer.as_str()),
        "{queue}"
    );
    let (status, body) = admin
        .post_json(
            &format!("/api/employers/{employer}/verification"),
            &json!({ "approve": true }),
        )
        .await;
    assert_eq!(status, 204, "{body}");

    let (_, list) = hr1.get_json(&mine).await;
    let row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["school_id"] == school.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["status_label"], "已通过", "{list}");
    crate::lifecycle::invite(&hr1, &g, "19102").await;
}

#[tokio::test]
async fn applications_name_known_active_schools_and_a_refused_school_may_be_asked_again() {
    let app = TestApp::spawn().await;
    let employer = employer_of(&app, "hr1").await;
    let a = app.school_id("19101").await;
    let b = app.school_id("19102").await;
    let hr1 = app.login_as("hr1").await;
    let mine = format!("/api/employers/{employer}/schools");

    let (status, body) = hr1
        .post_json(&mine, &json!({ "school_ids": [a, "no-such-school"] }))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "school_ids");
    let (status, body) = hr1.post_json(&mine, &json!({ "school_ids": [] })).await;
    assert_eq!(status, 422, "{body}");

    sqlx::query("UPDATE schools SET disabled_at = 1 WHERE id = $1")
        .bind(b.clone())
        .execute(app.state.store.writer())
        .await
        .unwrap();
    let (status, body) = hr1.post_json(&mine, &json!({ "school_ids": [b] })).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("已停用"), "{body}");

    let (status, body) = hr1.post_json(&mine, &json!({ "school_ids": [a] })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"][0]["outcome"], "already_verified");

    let admin = app.login_as("admin19101").await;
    let (status, _) = admin
        .post_json(
            &format!("/api/employers/{employer}/verification"),
            &json!({ "approve": false, "reason": "材料不全" }),
        )
        .await;
    assert_eq!(status, 204);
    let (_, list) = hr1.get_json(&mine).await;
    assert_eq!(list["items"][0]["status_label"], "未通过", "{list}");
    assert_eq!(list["items"][0]["decision_reason"], "材料不全");
    let (_, body) = hr1.post_json(&mine, &json!({ "school_ids": [a] })).await;
    assert_eq!(body["items"][0]["outcome"], "applied_again", "{body}");
    let (_, list) = hr1.get_json(&mine).await;
    assert_eq!(list["items"][0]["status_label"], "待审核");
}

#[tokio::test]
async fn only_the_company_manager_applies_and_outsiders_do_not_see_the_list() {
    let app = TestApp::spawn().await;
    let (employer, boss) = company(&app).await;
    let (_, hr) = colleague(&app, &employer, &boss, "li_hr").await;
    let school = app.school_id("19101").await;
    let mine = format!("/api/employers/{employer}/schools");
    let apply = json!({ "school_ids": [school] });

    let (status, _) = hr.post_json(&mine, &apply).await;
    assert_eq!(status, 403, "an HR member is not the manager");
    let (status, _) = hr.get_json(&mine).await;
    assert_eq!(status, 200, "members see where the company recruits");
    for (login, apply_status, list_status) in [
        ("hr1", 404, 404),
        ("admin19101", 403, 404),
        ("rev19101a", 403, 403),
    ] {
        let c = app.login_as(login).await;
        let (status, body) = c.post_json(&mine, &apply).await;
        assert_eq!(status, apply_status, "{login} applies: {body}");
        let (status, body) = c.get_json(&mine).await;
        assert_eq!(status, list_status, "{login} lists: {body}");
    }
    let grad = app.login_as(&app.demo_graduate_login(0)).await;
    assert_eq!(grad.post_json(&mine, &apply).await.0, 403);
    assert_eq!(grad.get_json(&mine).await.0, 403);
    let anonymous = app.client();
    assert_eq!(anonymous.get_json(&mine).await.0, 401);
    assert_eq!(anonymous.post_json(&mine, &apply).await.0, 401);
    assert_eq!(app.login_as("province").await.get_json(&mine).await.0, 200);

    // Once it applies, the school sees it (and its list) too.
    let (status, body) = boss.post_json(&mine, &apply).await;
    assert_eq!(status, 200, "{body}");
    let admin = app.login_as("admin19101").await;
    assert_eq!(admin.get_json(&mine).await.0, 200);
    assert_eq!(
        app.login_as("admin19102").await.get_json(&mine).await.0,
        404
    );
}

#[tokio::test]
async fn the_schools_page_lists_and_applies_with_errors_beside_the_field() {
    let app = TestApp::spawn().await;
    let employer = employer_of(&app, "hr1").await;
    let school = app.school_id("19102").await;
    forget_school(&app, &employer, &school).await;
    let hr1 = app.login_as("hr1").await;
    let (status, html) = page(&hr1, "/employer/schools").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("已通过"), "{html}");
    assert!(html.contains(&format!("value=\"{school}\"")), "{html}");

    let csrf = hr1.csrf.clone().unwrap();
    let post = |fields: Vec<(&'static str, String)>| {
        let mut f = Form::new();
        for (k, v) in fields {
            f = f.text(k, v);
        }
        hr1.http
            .post(format!("{}/employer/schools?_csrf={csrf}", hr1.base))
            .multipart(f)
            .send()
    };
    let r = post(vec![("keyword", "皖".into())]).await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"school_ids-error\""), "{html}");
    let r = post(vec![("school_ids", school.clone())]).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("已提交申请"), "{html}");
    assert!(html.contains("待审核"), "{html}");

    // Others than a company member are refused the page.
    let (status, _) = page(&app.login_as("admin19101").await, "/employer/schools").await;
    assert_eq!(status, 403);
    let (status, _) = page(&app.client(), "/employer/schools").await;
    assert!(status == 303 || status == 401, "{status}");
}

fn logo_form(bytes: Vec<u8>, name: &str) -> Form {
    Form::new().part("logo", Part::bytes(bytes).file_name(name.to_string()))
}

#[tokio::test]
async fn the_logo_is_judged_by_its_bytes_and_shown_to_those_who_see_the_profile() {
    let app = TestApp::spawn().await;
    let employer = employer_of(&app, "hr1").await;
    let path = format!("/api/employers/{employer}/logo");
    let hr1 = app.login_as("hr1").await;
    assert_eq!(hr1.get_json(&path).await.0, 404, "no logo yet");

    let put = |c: &Client, form: Form| {
        let csrf = c.csrf.clone().unwrap_or_default();
        c.http
            .put(format!("{}{path}", c.base))
            .header("x-csrf-token", csrf)
            .multipart(form)
            .send()
    };
    let r = put(
        &hr1,
        logo_form(b"%PDF-1.4 not an image".to_vec(), "logo.png"),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "logo", "{body}");
    let r = put(&hr1, logo_form(vec![0u8; 3 * 1024 * 1024], "big.png"))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let r = put(&hr1, Form::new().text("x", "y")).await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let r = put(&app.login_as("hr2").await, logo_form(png_bytes(), "l.png"))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "another company");
    let r = put(
        &app.login_as("province").await,
        logo_form(png_bytes(), "l.png"),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 403);

    let r = put(&hr1, logo_form(png_bytes(), "logo.png")).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(audit_count(&app, "update_employer_logo").await, 1);

    for login in ["hr1", "province", "admin19101"] {
        let r = app.login_as(login).await.get(&path).await;
        assert_eq!(r.status().as_u16(), 200, "{login}");
        assert_eq!(r.headers()["content-type"], "image/png");
        assert_eq!(r.bytes().await.unwrap().to_vec(), png_bytes());
    }
    for login in ["hr2", "rev19101a"] {
        let c = app.login_as(login).await;
        assert_eq!(c.get(&path).await.status().as_u16(), 404, "{login}");
    }
    let grad = app.login_as(&app.demo_graduate_login(0)).await;
    assert_eq!(grad.get(&path).await.status().as_u16(), 404);
    assert_eq!(app.client().get(&path).await.status().as_u16(), 401);
    // A school it no longer recruits at sees nothing.
    forget_school(&app, &employer, &app.school_id("19102").await).await;
    let c = app.login_as("admin19102").await;
    assert_eq!(c.get(&path).await.status().as_u16(), 404);

    let (status, html) = page(&hr1, "/employer/profile").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("src=\"{path}\"")), "{html}");
}

#[tokio::test]
async fn the_profile_page_takes_a_logo_and_says_what_is_wrong_with_a_bad_one() {
    let app = TestApp::spawn().await;
    let hr1 = app.login_as("hr1").await;
    let csrf = hr1.csrf.clone().unwrap();
    let send = |form: Form| {
        hr1.http
            .post(format!("{}/employer/profile/logo?_csrf={csrf}", hr1.base))
            .multipart(form)
            .send()
    };
    let r = send(logo_form(b"GIF89a not allowed".to_vec(), "a.gif"))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"logo-error\""), "{html}");
    assert!(html.contains("单位标志文件类型不正确"), "{html}");
    let r = send(logo_form(png_bytes(), "logo.png")).await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        r.headers()["location"],
        "/employer/profile?notice=logo_saved"
    );
}

#[tokio::test]
async fn the_province_resets_an_employer_password_from_its_page() {
    let app = TestApp::spawn().await;
    let employer = employer_of(&app, "hr1").await;
    let (account,): (String,) = sqlx::query_as("SELECT id FROM accounts WHERE login_name = 'hr1'")
        .fetch_one(app.state.store.reader())
        .await
        .unwrap();
    let province = app.login_as("province").await;
    let (status, html) = page(&province, "/province/employers").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("/province/employers/{employer}")),
        "{html}"
    );
    let detail = format!("/province/employers/{employer}");
    let (status, html) = page(&province, &detail).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("重置密码") && html.contains("data-confirm"),
        "{html}"
    );

    let reset = format!("{detail}/members/{account}/password-reset");
    let school = app.login_as("admin19101").await;
    assert_eq!(page(&school, "/province/employers").await.0, 403);
    assert_eq!(page(&school, &detail).await.0, 403);
    assert_eq!(form(&school, &reset, &[]).await.0, 403);
    let hr2 = app.login_as("hr2").await;
    assert_eq!(form(&hr2, &reset, &[]).await.0, 403);
    // hr1 still logs in with the demo password: nothing was reset by the refusals.
    let mut hr1 = app.client();
    assert_eq!(
        hr1.login("hr1", wangqian_store::demo::DEMO_PASSWORD)
            .await
            .0,
        200
    );

    // An account of another company is not found under this one.
    let other = employer_of(&app, "hr2").await;
    let wrong = format!("/province/employers/{other}/members/{account}/password-reset");
    assert_eq!(form(&province, &wrong, &[]).await.0, 404);

    let (status, html) = form(&province, &reset, &[]).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("一次性密码"), "{html}");
    assert_eq!(
        hr1.login("hr1", wangqian_store::demo::DEMO_PASSWORD)
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn the_province_decides_a_certification_change_on_the_employer_page() {
    let app = TestApp::spawn().await;
    let employer = employer_of(&app, "hr1").await;
    let hr1 = app.login_as("hr1").await;
    let (_, detail) = hr1.get_json(&format!("/api/employers/{employer}")).await;
    let change = Form::new()
        .text("name", "合肥星辰科技股份有限公司")
        .text(
            "credit_code",
            detail["credit_code"].as_str().unwrap().to_string(),
        )
        .text("unit_nature_code", "39");
    let (status, row) = hr1
        .post_multipart(
            &format!("/api/employers/{employer}/certification-changes"),
            change,
        )
        .await;
    assert_eq!(status, 201, "{row}");
    let change_id = row["id"].as_str().unwrap();
    let page_path = format!("/province/employers/{employer}");
    let decide = format!("{page_path}/certification-changes/{change_id}/decision");

    let province = app.login_as("province").await;
    let (status, html) = page(&province, &page_path).await;
    assert_eq!(status, 200);
    assert!(html.contains("合肥星辰科技股份有限公司"), "{html}");
    assert!(html.contains(&format!("action=\"{decide}\"")), "{html}");

    let school = app.login_as("admin19101").await;
    assert_eq!(form(&school, &decide, &[("approve", "true")]).await.0, 403);

    // A refusal needs its reason, shown under the field.
    let (status, html) = form(&province, &decide, &[("approve", "false"), ("reason", " ")]).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"reason-error\""), "{html}");
    let (status, location) = form(&province, &decide, &[("approve", "true")]).await;
    assert_eq!(status, 303, "{location}");
    let (_, after) = hr1.get_json(&format!("/api/employers/{employer}")).await;
    assert_eq!(after["name"], "合肥星辰科技股份有限公司", "{after}");
    assert!(after["pending_certification_change"].is_null());
}

#[tokio::test]
async fn a_double_click_on_the_members_page_acts_once() {
    let app = TestApp::spawn().await;
    let (employer, boss) = company(&app).await;
    let (li, _) = colleague(&app, &employer, &boss, "li_hr").await;
    let (zhao, _) = colleague(&app, &employer, &boss, "zhao_hr").await;
    let (status, html) = page(&boss, "/employer/members").await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"_idem\""), "{html}");

    let remove = format!("/employer/members/{li}/remove");
    for _ in 0..2 {
        let (status, location) = form(&boss, &remove, &[("_idem", "k1")]).await;
        assert_eq!(status, 303, "{location}");
        assert_eq!(location, "/employer/members?notice=member_removed");
    }
    assert_eq!(audit_count(&app, "remove_employer_member").await, 1);
    // Without the key the second removal is refused, as before.
    assert_eq!(form(&boss, &remove, &[]).await.0, 409);

    let hand_over = format!("/employer/members/{zhao}/manager");
    for _ in 0..2 {
        let (status, location) = form(&boss, &hand_over, &[("_idem", "k2")]).await;
        assert_eq!(status, 303, "{location}");
        assert_eq!(location, "/employer/members?notice=manager_transferred");
    }
    assert_eq!(audit_count(&app, "transfer_employer_manager").await, 1);
}

#[tokio::test]
async fn the_new_pages_and_the_api_keys_refuse_those_they_are_not_for() {
    let app = TestApp::spawn().await;
    let (employer, boss) = company(&app).await;
    let (li, hr) = colleague(&app, &employer, &boss, "li_hr").await;
    let grad = app.login_as(&app.demo_graduate_login(0)).await;
    let school = app.login_as("admin19101").await;
    let hr1_employer = employer_of(&app, "hr1").await;

    // The logo: the manager only, by API and page.
    let logo = format!("/api/employers/{employer}/logo");
    let r = hr
        .http
        .put(format!("{}{logo}", hr.base))
        .header("x-csrf-token", hr.csrf.clone().unwrap())
        .multipart(logo_form(png_bytes(), "l.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403, "an HR member");
    for c in [&hr, &school, &grad] {
        let r = c
            .http
            .post(format!(
                "{}/employer/profile/logo?_csrf={}",
                c.base,
                c.csrf.clone().unwrap()
            ))
            .multipart(logo_form(png_bytes(), "l.png"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
    }
    assert!(boss.get(&logo).await.status().as_u16() == 404);

    // The schools page: a graduate is refused; an HR member sees it without the form.
    let (status, html) = page(&hr, "/employer/schools").await;
    assert_eq!(status, 200);
    assert!(html.contains("由公司管理员办理"), "{html}");
    assert_eq!(page(&grad, "/employer/schools").await.0, 403);

    // The province's employer pages.
    for c in [&grad, &hr, &school] {
        assert_eq!(page(c, "/province/employers").await.0, 403);
        assert_eq!(
            page(c, &format!("/province/employers/{hr1_employer}"))
                .await
                .0,
            403
        );
    }
    let (status, _) = page(&app.client(), "/province/employers").await;
    assert!(status == 303 || status == 401, "{status}");

    // The API's removal takes the same one-time key in its header.
    let removal = format!("/api/employers/{employer}/members/{li}/removal");
    for _ in 0..2 {
        let r = boss
            .http
            .post(format!("{}{removal}", boss.base))
            .header("x-csrf-token", boss.csrf.clone().unwrap())
            .header("idempotency-key", "api-1")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204);
    }
    let r = boss
        .http
        .post(format!("{}{removal}", boss.base))
        .header("x-csrf-token", boss.csrf.clone().unwrap())
        .header("idempotency-key", "bad key!")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}
