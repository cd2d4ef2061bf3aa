//! Issue 10: colleagues who join a registered company, the manager's members page (approve,
//! remove, hand over the manager role) and 单位信息维护, through the API and the pages.

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{png_bytes, Client, TestApp};

const CODE: &str = "91440101MA5CJQ4N59";
const PASSWORD: &str = "Company2026";

/// A newly registered company and its manager's session.
pub(crate) async fn company(app: &TestApp) -> (String, Client) {
    let data = json!({
        "company_name": "广州示例科技有限公司", "credit_code": CODE, "login_name": "boss_wang",
        "manager_name": "王经理", "phone": "13912345678", "password": PASSWORD, "password_confirm": PASSWORD,
        "province": "广东省", "city": "广州市", "address": "天河路 1 号", "company_phone": "020-62345678",
        "email": "hr@example.com", "postcode": "510000", "unit_nature_code": "39", "industry_code": "34",
        "size_code": "2", "school_ids": [],
    });
    let form = Form::new()
        .text("data", data.to_string())
        .part(
            "authorisation_letter",
            Part::bytes(png_bytes()).file_name("letter.png"),
        )
        .part("licence", Part::bytes(png_bytes()).file_name("licence.png"));
    let (status, reg) = app.client().post_multipart("/api/employers", form).await;
    assert_eq!(status, 201, "{reg}");
    let boss = app.login_as_with("boss_wang", PASSWORD).await;
    (reg["employer_id"].as_str().unwrap().to_string(), boss)
}

/// A colleague who joined and was approved: their account id and session.
pub(crate) async fn colleague(
    app: &TestApp,
    employer: &str,
    boss: &Client,
    login: &str,
) -> (String, Client) {
    let join = json!({ "credit_code": CODE, "kind": "join", "login_name": login, "manager_name": "李专员",
                       "phone": "13800001111", "password": PASSWORD, "password_confirm": PASSWORD });
    let (status, joined) = app
        .client()
        .post_multipart(
            "/api/employers/join",
            Form::new().text("data", join.to_string()),
        )
        .await;
    assert_eq!(status, 201, "{joined}");
    let id = joined["account_id"].as_str().unwrap().to_string();
    let (status, body) = boss
        .post_json(
            &format!("/api/employers/{employer}/members/{id}/decision"),
            &json!({ "approve": true }),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    (id, app.login_as_with(login, PASSWORD).await)
}

async fn members(c: &Client, employer: &str) -> Vec<Value> {
    let (status, body) = c
        .get_json(&format!("/api/employers/{employer}/members"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

fn role_of(members: &[Value], id: &str) -> (String, String) {
    let m = members.iter().find(|m| m["id"] == id).unwrap();
    (
        m["employer_role"].as_str().unwrap().to_string(),
        m["status"].as_str().unwrap().to_string(),
    )
}

async fn page(c: &Client, path: &str) -> (u16, String) {
    let r = c.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post_page_form(c: &Client, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
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

async fn post_multipart_page(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let mut body = Form::new();
    for (k, v) in fields {
        body = body.text(k.to_string(), v.to_string());
    }
    let r = app
        .client()
        .http
        .post(format!("{}{path}", app.base))
        .multipart(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_colleague_joins_an_existing_company_through_the_pages_and_the_manager_approves() {
    let app = TestApp::spawn().await;
    let (employer, boss) = company(&app).await;

    // Registering the same code again: the page says so and leads to the join page.
    let (status, reg_page) = post_multipart_page(
        &app,
        "/register",
        &[
            ("company_name", "广州示例科技有限公司"),
            ("credit_code", CODE),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        reg_page.contains("该统一社会信用代码的单位已注册"),
        "{reg_page}"
    );
    let link = format!("/register/join?credit_code={CODE}");
    assert!(reg_page.contains(&link));
    let (status, join_page) = page(&app.client(), &link).await;
    assert_eq!(status, 200);
    assert!(join_page.contains("广州示例科技有限公司"));
    assert!(join_page.contains(&format!("value=\"{CODE}\"")));

    // Mistakes: each under its field, all at once, the typed values kept.
    let typed = [
        ("credit_code", CODE),
        ("kind", "become_manager"),
        ("login_name", "li_zy"),
        ("manager_name", ""),
        ("phone", "1380000"),
        ("password", "Lizy20260"),
        ("password_confirm", "Lizy20261"),
    ];
    let (status, again) = post_multipart_page(&app, "/register/join", &typed).await;
    assert_eq!(status, 422, "{again}");
    for field in [
        "manager_name",
        "phone",
        "password_confirm",
        "authorisation_letter",
    ] {
        assert!(
            again.contains(&format!("id=\"{field}-error\"")),
            "{field}: {again}"
        );
    }
    assert!(again.contains("value=\"li_zy\""));
    assert!(again.contains("value=\"1380000\""));
    assert!(again.contains("value=\"become_manager\" checked"));
    assert!(!again.contains("Lizy20260"), "a password never comes back");

    // As 经办人: no letter needed.
    let (status, done) = post_multipart_page(
        &app,
        "/register/join",
        &[
            ("credit_code", CODE),
            ("kind", "join"),
            ("login_name", "li_zy"),
            ("manager_name", "李专员"),
            ("phone", "13800001111"),
            ("password", "Lizy20260"),
            ("password_confirm", "Lizy20260"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("等待公司管理员审核"));
    let (status, _) = app.client().login("li_zy", "Lizy20260").await;
    assert_eq!(status, 401, "not before the manager approves");

    // The manager's members page lists the request and approves it.
    let (status, list) = page(&boss, "/employer/members").await;
    assert_eq!(status, 200);
    assert!(list.contains("申请加入，待审核"), "{list}");
    let id = members(&boss, &employer)
        .await
        .iter()
        .find(|m| m["login_name"] == "li_zy")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, to) = post_page_form(
        &boss,
        &format!("/employer/members/{id}/decision"),
        &[("approve", "true")],
    )
    .await;
    assert_eq!(status, 303, "{to}");
    assert_eq!(to, "/employer/members?notice=decided");
    let (status, me) = app.client().login("li_zy", "Lizy20260").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["employer_role"], "hr");
    let (_, list) = page(&boss, "/employer/members?notice=decided").await;
    assert!(list.contains("已处理"));
    assert!(list.contains("移交管理员"));
}

#[tokio::test]
async fn removing_a_member_ends_their_sessions_and_keeps_the_manager() {
    let app = TestApp::spawn().await;
    let (employer, boss) = company(&app).await;
    let (hr_id, hr) = colleague(&app, &employer, &boss, "hr_li").await;
    assert_eq!(hr.get_json("/api/me").await.0, 200);

    // An HR member may not remove anyone.
    let (_, me) = boss.get_json("/api/me").await;
    let boss_id = me["account_id"].as_str().unwrap().to_string();
    let (status, _) = hr
        .post_json(
            &format!("/api/employers/{employer}/members/{boss_id}/removal"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 403);
    // The manager cannot remove themself: the company would have none.
    let (status, body) = boss
        .post_json(
            &format!("/api/employers/{employer}/members/{boss_id}/removal"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");

    let (status, body) = boss
        .post_json(
            &format!("/api/employers/{employer}/members/{hr_id}/removal"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(hr.get_json("/api/me").await.0, 401, "the session ended");
    assert_eq!(app.client().login("hr_li", PASSWORD).await.0, 401);
    assert_eq!(
        role_of(&members(&boss, &employer).await, &hr_id).1,
        "disabled"
    );
    let (status, _) = boss
        .post_json(
            &format!("/api/employers/{employer}/members/{hr_id}/removal"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 409, "removed once");
    let (_, list) = page(&boss, "/employer/members").await;
    assert!(list.contains("已移除"));
}

#[tokio::test]
async fn handing_over_makes_the_other_the_manager_and_the_old_one_hr() {
    let app = TestApp::spawn().await;
    let (employer, boss) = company(&app).await;
    let (hr_id, hr) = colleague(&app, &employer, &boss, "hr_li").await;
    let (_, me) = boss.get_json("/api/me").await;
    let boss_id = me["account_id"].as_str().unwrap().to_string();

    // Through the page: the old manager's next request is an HR member's.
    let (status, to) =
        post_page_form(&boss, &format!("/employer/members/{hr_id}/manager"), &[]).await;
    assert_eq!(status, 303, "{to}");
    let list = members(&boss, &employer).await;
    assert_eq!(role_of(&list, &hr_id).0, "manager");
    assert_eq!(role_of(&list, &boss_id).0, "hr");
    assert_eq!(boss.get_json("/api/me").await.1["employer_role"], "hr");
    let (status, _) = boss
        .post_json(
            &format!("/api/employers/{employer}/manager"),
            &json!({ "account_id": boss_id }),
        )
        .await;
    assert_eq!(status, 403, "no longer the manager");
    // And back through the API.
    let (status, body) = hr
        .post_json(
            &format!("/api/employers/{employer}/manager"),
            &json!({ "account_id": boss_id }),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(boss.get_json("/api/me").await.1["employer_role"], "manager");
    // Only to an active member of the company.
    let (status, _) = boss
        .post_json(
            &format!("/api/employers/{employer}/manager"),
            &json!({ "account_id": "no-such-account" }),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn two_racing_hand_overs_leave_exactly_one_manager() {
    let app = TestApp::spawn().await;
    let (employer, boss) = company(&app).await;
    let (a, _) = colleague(&app, &employer, &boss, "hr_a").await;
    let (b, _) = colleague(&app, &employer, &boss, "hr_b").await;
    let path = format!("/api/employers/{employer}/manager");
    let (body_a, body_b) = (json!({ "account_id": a }), json!({ "account_id": b }));
    let (to_a, to_b) = tokio::join!(
        boss.post_json(&path, &body_a),
        boss.post_json(&path, &body_b),
    );
    let mut statuses = [to_a.0, to_b.0];
    statuses.sort();
    // The loser finds the role gone: 409 inside its transaction, or 403 when its session was
    // read after the winner committed (it is then an HR member).
    assert_eq!(statuses[0], 204, "{to_a:?} {to_b:?}");
    assert!(matches!(statuses[1], 403 | 409), "{to_a:?} {to_b:?}");
    let list = members(&boss, &employer).await;
    let managers = list
        .iter()
        .filter(|m| m["employer_role"] == "manager" && m["status"] == "active")
        .count();
    assert_eq!(managers, 1, "{list:?}");
}

fn profile() -> Value {
    json!({
        "contact_name": "赵联系", "phone": "020-88886666", "email": "contact@example.com",
        "hr_email": "", "address": "天河路 2 号 18 楼", "postcode": "510620",
        "introduction": "一家做示例软件的公司。", "industry_code": "34", "size_code": "3",
        "registered_capital_code": "",
    })
}

#[tokio::test]
async fn a_profile_edit_by_the_manager_shows_at_once() {
    let app = TestApp::spawn().await;
    let (employer, boss) = company(&app).await;
    let (_, hr) = colleague(&app, &employer, &boss, "hr_li").await;
    let path = format!("/api/employers/{employer}/profile");
    let (status, body) = boss.put_json(&path, &profile()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["contact_name"], "赵联系");
    let (_, seen) = hr.get_json(&format!("/api/employers/{employer}")).await;
    assert_eq!(seen["address"], "天河路 2 号 18 楼");
    assert_eq!(seen["introduction"], "一家做示例软件的公司。");
    assert_eq!(
        seen["name"], "广州示例科技有限公司",
        "certification data untouched"
    );
    let (_, shown) = page(&hr, "/employer/profile").await;
    assert!(shown.contains("value=\"赵联系\""));
    assert!(shown.contains("基本资料由公司管理员修改"));

    // HR members read it but do not change it.
    let (status, _) = hr.put_json(&path, &profile()).await;
    assert_eq!(status, 403);
    // Every mistake at once.
    let mut bad = profile();
    bad["phone"] = json!("12");
    bad["email"] = json!("nope");
    bad["postcode"] = json!("51");
    bad["contact_name"] = json!("");
    let (status, body) = boss.put_json(&path, &bad).await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in ["contact_name", "phone", "email", "postcode"] {
        assert!(fields.contains(&f), "{f}: {body}");
    }

    // The page form: saved at once, or each mistake under its field with the text kept.
    let form = profile();
    let mut fields: Vec<(&str, String)> = form
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap().to_string()))
        .collect();
    for f in fields.iter_mut() {
        if f.0 == "address" {
            f.1 = "天河路 3 号".into();
        }
    }
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, to) = post_page_form(&boss, "/employer/profile", &pairs).await;
    assert_eq!(status, 303, "{to}");
    let (_, seen) = hr.get_json(&format!("/api/employers/{employer}")).await;
    assert_eq!(seen["address"], "天河路 3 号");
    let mut pairs = pairs.clone();
    for p in pairs.iter_mut() {
        match p.0 {
            "postcode" => p.1 = "51",
            "email" => p.1 = "nope",
            _ => {}
        }
    }
    let (status, again) = post_page_form(&boss, "/employer/profile", &pairs).await;
    assert_eq!(status, 422, "{again}");
    assert!(again.contains("id=\"postcode-error\""));
    assert!(again.contains("id=\"email-error\""));
    assert!(again.contains("value=\"nope\""));
    assert!(again.contains("value=\"天河路 3 号\""));
}

#[tokio::test]
async fn member_and_profile_operations_refuse_every_other_role_and_company() {
    let app = TestApp::spawn().await;
    let (employer, boss) = company(&app).await;
    let (hr_id, hr) = colleague(&app, &employer, &boss, "hr_li").await;
    let stranger = app.login_as("hr1").await;
    let graduate = app.login_as(&app.demo_graduate_login(0)).await;
    let mut others = vec![
        ("another company's manager", stranger, 404),
        ("hr", hr, 403),
    ];
    for login in ["admin19101", "province", "rev19101a"] {
        others.push((login, app.login_as(login).await, 403));
    }
    others.push(("graduate", graduate, 403));
    for (who, c, want) in &others {
        let (s1, _) = c
            .post_json(
                &format!("/api/employers/{employer}/members/{hr_id}/removal"),
                &json!({}),
            )
            .await;
        let (s2, _) = c
            .post_json(
                &format!("/api/employers/{employer}/manager"),
                &json!({ "account_id": hr_id }),
            )
            .await;
        let (s3, _) = c
            .put_json(&format!("/api/employers/{employer}/profile"), &profile())
            .await;
        assert_eq!([s1, s2, s3], [*want; 3], "{who}");
    }
    // Another company's manager with its own company in the path: the member is not found.
    let (_, me) = others[0].1.get_json("/api/me").await;
    let own = me["employer_id"].as_str().unwrap();
    let (status, _) = others[0]
        .1
        .post_json(
            &format!("/api/employers/{own}/members/{hr_id}/removal"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = others[0]
        .1
        .post_json(
            &format!("/api/employers/{own}/manager"),
            &json!({ "account_id": hr_id }),
        )
        .await;
    assert_eq!(status, 404);
    // Nothing changed, and the pages are the employer's.
    assert_eq!(
        role_of(&members(&boss, &employer).await, &hr_id),
        ("hr".into(), "active".into())
    );
    for (who, c, _) in &others[2..] {
        assert_eq!(page(c, "/employer/members").await.0, 403, "{who}");
        assert_eq!(page(c, "/employer/profile").await.0, 403, "{who}");
    }
}

async fn employer_of(c: &Client) -> String {
    let (_, me) = c.get_json("/api/me").await;
    me["employer_id"].as_str().unwrap().to_string()
}

fn change(name: &str, code: &str) -> Form {
    Form::new()
        .text("name", name.to_string())
        .text("credit_code", code.to_string())
        .text("unit_nature_code", "39")
        .part("licence", Part::bytes(png_bytes()).file_name("licence.png"))
}

#[tokio::test]
async fn a_certification_change_waits_for_the_platform_while_the_verified_data_stay() {
    let app = TestApp::spawn().await;
    // A verified demo company.
    let boss = app.login_as("hr1").await;
    let employer = employer_of(&boss).await;
    let (_, before) = boss.get_json(&format!("/api/employers/{employer}")).await;
    assert_eq!(before["status"], "verified");
    let path = format!("/api/employers/{employer}/certification-changes");

    let (status, body) = boss
        .post_multipart(&path, change("", "91350200776049653B"))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, pending) = boss
        .post_multipart(&path, change("新名称科技有限公司", "91350200776049653A"))
        .await;
    assert_eq!(status, 201, "{pending}");
    assert_eq!(pending["status"], "pending");
    // Signing goes on under the verified data.
    let (_, now) = boss.get_json(&format!("/api/employers/{employer}")).await;
    assert_eq!(now["name"], before["name"]);
    assert_eq!(now["credit_code"], before["credit_code"]);
    assert_eq!(now["status"], "verified");
    assert_eq!(
        now["pending_certification_change"]["name"],
        "新名称科技有限公司"
    );
    let (_, shown) = page(&boss, "/employer/profile").await;
    assert!(shown.contains("待平台审核的修改"), "{shown}");
    // One pending change at a time.
    let (status, _) = boss
        .post_multipart(&path, change("又一个名称", "91350200776049653A"))
        .await;
    assert_eq!(status, 409);

    // Only the province decides.
    let change_id = pending["id"].as_str().unwrap();
    let decision = format!("{path}/{change_id}/decision");
    for login in ["admin19101", "hr2"] {
        let c = app.login_as(login).await;
        let (status, _) = c.post_json(&decision, &json!({ "approve": true })).await;
        assert_eq!(status, 403, "{login}");
    }
    let province = app.login_as("province").await;
    let (status, _) = province
        .post_json(&decision, &json!({ "approve": false }))
        .await;
    assert_eq!(status, 422, "a rejection needs its reason");
    let (status, body) = province
        .post_json(&decision, &json!({ "approve": true }))
        .await;
    assert_eq!(status, 204, "{body}");
    let (_, after) = boss.get_json(&format!("/api/employers/{employer}")).await;
    assert_eq!(after["name"], "新名称科技有限公司");
    assert_eq!(after["credit_code"], "91350200776049653A");
    assert!(after["pending_certification_change"].is_null());
    let (status, _) = province
        .post_json(&decision, &json!({ "approve": true }))
        .await;
    assert_eq!(status, 409, "decided once");
}

#[tokio::test]
async fn certification_changes_refuse_other_roles_and_the_page_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let (employer, boss) = company(&app).await;
    let (_, hr) = colleague(&app, &employer, &boss, "hr_li").await;
    let path = format!("/api/employers/{employer}/certification-changes");
    let stranger = app.login_as("hr1").await;
    let mut others = vec![
        ("another company's manager", stranger, 404),
        ("hr", hr, 403),
    ];
    for login in ["admin19101", "province", "rev19101a"] {
        others.push((login, app.login_as(login).await, 403));
    }
    others.push((
        "graduate",
        app.login_as(&app.demo_graduate_login(0)).await,
        403,
    ));
    for (who, c, want) in &others {
        let (status, _) = c
            .post_multipart(&path, change("新名称", "91350200776049653A"))
            .await;
        assert_eq!(status, *want, "{who}");
    }
    let (status, _) = others[0]
        .1
        .post_json(
            &format!("{path}/no-such-change/decision"),
            &json!({ "approve": true }),
        )
        .await;
    assert_eq!(status, 403, "employers never decide");

    // The page form: a wrong code comes back under its field with the text kept.
    let csrf = boss.csrf.clone().unwrap();
    let r = boss
        .http
        .post(format!(
            "{}/employer/profile/certification?_csrf={csrf}",
            app.base
        ))
        .multipart(
            Form::new()
                .text("name", "改名科技有限公司")
                .text("credit_code", "91350200776049653B")
                .text("unit_nature_code", "39"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("id=\"credit_code-error\""), "{body}");
    assert!(body.contains("value=\"改名科技有限公司\""));
    assert!(body.contains("value=\"91350200776049653B\""));
    let (_, seen) = boss.get_json(&format!("/api/employers/{employer}")).await;
    assert!(seen["pending_certification_change"].is_null());
}
