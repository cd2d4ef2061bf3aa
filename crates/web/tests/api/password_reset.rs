//! Passwords: an administrator's reset (a one-time password that must be changed first, every
//! old session ended, inside the administrator's scope only) and one's own change (the current
//! password, the strength rule, other sessions ended, this one kept), both audited.

use serde_json::{json, Value};

use crate::helpers::{Client, TestApp};
use crate::lifecycle::graduate;

async fn account_id(app: &TestApp, login: &str) -> String {
    let (id,): (String,) = sqlx::query_as("SELECT id FROM accounts WHERE login_name = $1")
        .bind(login.to_string())
        .fetch_one(app.state.store.reader())
        .await
        .unwrap();
    id
}

async fn graduate_account(app: &TestApp, n: usize) -> String {
    let g = graduate(app, n).await;
    let (id,): (String,) = sqlx::query_as("SELECT account_id FROM graduates WHERE id = $1")
        .bind(g.id)
        .fetch_one(app.state.store.reader())
        .await
        .unwrap();
    id
}

async fn reset(c: &Client, account: &str) -> (u16, Value) {
    c.post_json(
        &format!("/api/accounts/{account}/password-reset"),
        &json!({}),
    )
    .await
}

async fn audit_actions(app: &TestApp, kind: &str, id: &str) -> Vec<String> {
    wangqian_store::audit::for_target(&app.state.store, kind, id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect()
}

#[tokio::test]
async fn a_reset_password_must_be_changed_at_first_login_and_ends_every_old_session() {
    let app = TestApp::spawn().await;
    let login = app.demo_graduate_login(0);
    let phone = app.login_as(&login).await;
    let laptop = app.login_as(&login).await;
    let account = graduate_account(&app, 0).await;
    let admin = app.login_as("admin19101").await;

    let r = admin
        .http
        .post(format!(
            "{}/api/accounts/{account}/password-reset",
            admin.base
        ))
        .header("x-csrf-token", admin.csrf.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["account_id"], account.as_str());
    assert_eq!(body["login_hint"], "身份证号");
    // These two, and any the demo's own binding left open.
    assert!(body["sessions_ended"].as_u64().unwrap() >= 2, "{body}");
    let one_time = body["one_time_password"].as_str().unwrap().to_string();
    assert!(one_time.len() >= 12, "{one_time}");

    // Only a hash is kept.
    let (hash,): (String,) = sqlx::query_as("SELECT password_hash FROM accounts WHERE id = $1")
        .bind(account.clone())
        .fetch_one(app.state.store.reader())
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(&one_time));

    for old in [&phone, &laptop] {
        let (s, _) = old.get_json("/api/me").await;
        assert_eq!(s, 401, "the old sessions ended");
    }
    let (s, _) = app
        .client()
        .login(&login, wangqian_store::demo::DEMO_PASSWORD)
        .await;
    assert_eq!(s, 401, "the old password no longer works");

    let mut c = app.client();
    let (s, me) = c.login(&login, &one_time).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["must_change_password"], true);
    let (s, err) = c.get_json("/api/agreements").await;
    assert_eq!(s, 403);
    assert_eq!(err["error"]["code"], "password_change_required");
    let r = c.get("/agreements").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account/password");
    let (s, err) = c
        .post_json(
            "/api/me/password",
            &json!({ "current_password": one_time, "new_password": "short1", "new_password_confirm": "short1" }),
        )
        .await;
    assert_eq!(s, 422, "the creation strength rule: {err}");
    let (s, err) = c
        .post_json(
            "/api/me/password",
            &json!({ "current_password": one_time, "new_password": "Fresh2027x", "new_password_confirm": "Fresh2027x" }),
        )
        .await;
    assert_eq!(s, 204, "{err}");
    let (s, _) = c.get_json("/api/agreements").await;
    assert_eq!(s, 200, "usable once changed, in the same session");
    let (s, me) = c.get_json("/api/me").await;
    assert_eq!((s, me["must_change_password"].clone()), (200, json!(false)));

    let actions = audit_actions(&app, "account", &account).await;
    assert_eq!(actions, ["reset_account_password", "change_password"]);
}

#[tokio::test]
async fn changing_a_password_needs_the_current_one_and_ends_the_other_sessions_only() {
    let app = TestApp::spawn().await;
    let mut here = app.login_as("hr1").await;
    let elsewhere = app.login_as("hr1").await;
    let change = |current: &str, new: &str| json!({ "current_password": current, "new_password": new, "new_password_confirm": new });

    let (s, err) = here
        .post_json("/api/me/password", &change("Wrong2026", "Better2027"))
        .await;
    assert_eq!(s, 422, "{err}");
    assert_eq!(err["error"]["fields"][0]["field"], "current_password");
    let (s, err) = here
        .post_json("/api/me/password", &change("Demo2026", "lettersonly"))
        .await;
    assert_eq!(s, 422, "{err}");
    assert_eq!(err["error"]["fields"][0]["field"], "new_password");
    let (s, _) = elsewhere.get_json("/api/me").await;
    assert_eq!(s, 200, "refused changes end nothing");

    let (s, err) = here
        .post_json("/api/me/password", &change("Demo2026", "Better2027"))
        .await;
    assert_eq!(s, 204, "{err}");
    let (s, _) = here.get_json("/api/me").await;
    assert_eq!(s, 200, "the session that changed it stays");
    let (s, _) = elsewhere.get_json("/api/me").await;
    assert_eq!(s, 401, "every other session ends");
    let (s, _) = here.login("hr1", "Demo2026").await;
    assert_eq!(s, 401);
    let (s, _) = here.login("hr1", "Better2027").await;
    assert_eq!(s, 200);
    let hr1 = account_id(&app, "hr1").await;
    assert_eq!(
        audit_actions(&app, "account", &hr1).await,
        ["change_password"]
    );
}

#[tokio::test]
async fn passwords_are_reset_only_inside_the_administrators_scope() {
    let app = TestApp::spawn().await;
    let grad_home = graduate_account(&app, 0).await;
    let grad_away = graduate_account(&app, 1).await;
    let reviewer_home = account_id(&app, "rev19101a").await;
    let reviewer_away = account_id(&app, "rev19102a").await;
    let admin_home = account_id(&app, "admin19101").await;
    let province_id = account_id(&app, "province").await;
    let hr1 = account_id(&app, "hr1").await;

    let employer = app.login_as("hr1").await;
    let reviewer = app.login_as("rev19101a").await;
    let graduate_c = app.login_as(&app.demo_graduate_login(0)).await;
    let other_admin = app.login_as("admin19102").await;
    let admin = app.login_as("admin19101").await;
    let province = app.login_as("province").await;

    // Roles that may never reset: 403 whatever the id.
    for (who, c) in [
        ("employer", &employer),
        ("reviewer", &reviewer),
        ("graduate", &graduate_c),
    ] {
        for target in [
            grad_home.as_str(),
            reviewer_home.as_str(),
            "no-such-account",
        ] {
            let (s, b) = reset(c, target).await;
            assert_eq!(s, 403, "{who} → {target}: {b}");
        }
    }
    // Outside the scope: 404, as if the account did not exist.
    for (who, c, target) in [
        ("other school's admin → graduate", &other_admin, &grad_home),
        (
            "other school's admin → reviewer",
            &other_admin,
            &reviewer_home,
        ),
        ("admin → other school's graduate", &admin, &grad_away),
        ("admin → other school's reviewer", &admin, &reviewer_away),
        ("admin → employer", &admin, &hr1),
        ("admin → province", &admin, &province_id),
        ("province → reviewer", &province, &reviewer_home),
        ("province → graduate", &province, &grad_home),
        (
            "province → nobody",
            &province,
            &"no-such-account".to_string(),
        ),
    ] {
        let (s, b) = reset(c, target).await;
        assert_eq!(s, 404, "{who}: {b}");
    }
    let (s, b) = reset(&admin, &admin_home).await;
    assert_eq!(s, 403, "one's own password is changed, not reset: {b}");
    // Nothing refused changed anything: every session still works.
    for c in [&employer, &reviewer, &graduate_c, &other_admin] {
        let (s, _) = c.get_json("/api/me").await;
        assert_eq!(s, 200);
    }

    let (s, b) = reset(&admin, &reviewer_home).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["login_hint"], "rev19101a");
    let (s, _) = reviewer.get_json("/api/me").await;
    assert_eq!(s, 401);
    let (s, b) = reset(&province, &hr1).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = reset(&province, &admin_home).await;
    assert_eq!(s, 200, "{b}");
    let (s, _) = admin.get_json("/api/me").await;
    assert_eq!(s, 401);
    assert_eq!(
        audit_actions(&app, "account", &admin_home).await,
        ["reset_account_password"]
    );
}

fn one_time_password_in(page: &str) -> String {
    let start = page
        .find("id=\"one-time-password\">")
        .expect("password shown")
        + 23;
    page[start..start + page[start..].find('<').unwrap()].to_string()
}

#[tokio::test]
async fn a_school_administrator_resets_from_the_lists_after_confirming() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let admin = app.login_as("admin19101").await;
    let csrf = admin.csrf.clone().unwrap();

    let list = admin.get("/school/graduates").await.text().await.unwrap();
    assert!(list.contains(&format!("/school/graduates/{}/password-reset", g.id)));
    assert!(list.contains("确定重置该毕业生的登录密码"), "asks first");
    let staff = admin.get("/school/staff").await.text().await.unwrap();
    let reviewer = account_id(&app, "rev19101a").await;
    let me = account_id(&app, "admin19101").await;
    assert!(staff.contains(&format!("/school/staff/{reviewer}/password-reset")));
    assert!(!staff.contains(&format!("/school/staff/{me}/password-reset")));

    let r = admin
        .post_form(
            &format!("/school/graduates/{}/password-reset", g.id),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    assert!(page.contains("只显示这一次"), "{page}");
    let one_time = one_time_password_in(&page);
    let mut c = app.client();
    let (s, me) = c.login(&g.id_number, &one_time).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["must_change_password"], true);

    let r = admin
        .post_form(
            &format!("/school/staff/{reviewer}/password-reset"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), 200);
    let one_time = one_time_password_in(&r.text().await.unwrap());
    let (s, _) = app.client().login("rev19101a", &one_time).await;
    assert_eq!(s, 200);

    // Another school's graduate is not found from this page either.
    let away = graduate(&app, 1).await;
    let r = admin
        .post_form(
            &format!("/school/graduates/{}/password-reset", away.id),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), 404);
}
