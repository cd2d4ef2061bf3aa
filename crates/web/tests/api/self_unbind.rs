//! 解除绑定并重新登录 (003 §1): a graduate who bound the wrong record releases it with their
//! password and a reason, the school's administrators are told, and the record can be bound
//! again; nothing the graduate is in the middle of may be left behind that way.

use serde_json::json;
use wangqian_store::demo::DEMO_PASSWORD;

use crate::accounts::{bind_body, unbound_graduate};
use crate::helpers::TestApp;
use crate::lifecycle::{accept, graduate, invite};

const REASON: &str = "绑定了本科阶段的学籍记录";

#[tokio::test]
async fn a_graduate_releases_a_wrong_binding_the_school_is_told_and_the_record_binds_again() {
    let app = TestApp::spawn().await;
    let (school, name, no, id) = unbound_graduate(&app).await;
    let mut c = app.client();
    let (status, bound) = c
        .post_json("/api/graduates/bind", &bind_body(&school, &name, &no, &id))
        .await;
    assert_eq!(status, 201, "{bound}");
    c.take_session(&bound);
    let graduate_id = bound["graduate_id"].as_str().unwrap().to_string();

    // Every missing field at once, then a wrong password: nothing changes.
    let (status, body) = c
        .post_json("/api/me/unbind", &json!({ "password": "", "reason": " " }))
        .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["password", "reason"]);
    let (status, body) = c
        .post_json(
            "/api/me/unbind",
            &json!({ "password": "Wrong-pass1", "reason": REASON }),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["fields"][0]["field"], "password");
    assert_eq!(
        c.get_json("/api/me").await.0,
        200,
        "still bound and signed in"
    );

    let (status, body) = c
        .post_json(
            "/api/me/unbind",
            &json!({ "password": "Graduate1", "reason": REASON }),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(c.get_json("/api/me").await.0, 401, "the session ended");
    assert_eq!(app.client().login(&id, "Graduate1").await.0, 401);

    // The school's administrators read who released which record and why.
    let admin = app.login_as("admin19101").await;
    let (_, inbox) = admin.get_json("/api/messages").await;
    let told = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["title"].as_str().unwrap().contains("自助解除了账号绑定"))
        .unwrap_or_else(|| panic!("no message in {inbox}"));
    assert!(told["title"].as_str().unwrap().contains(&no));
    assert!(told["body"].as_str().unwrap().contains(REASON));
    let (_, other_school) = app
        .login_as("admin19102")
        .await
        .get_json("/api/messages")
        .await;
    assert!(!other_school.to_string().contains("自助解除了账号绑定"));
    let (_, record) = admin
        .get_json(&format!("/api/graduates/{graduate_id}"))
        .await;
    assert_eq!(record["bound"], 0, "{record}");

    // The record is free: binding it again works, with a new password.
    let again = app.client();
    let (status, rebound) = again
        .post_json("/api/graduates/bind", &bind_body(&school, &name, &no, &id))
        .await;
    assert_eq!(status, 201, "{rebound}");
    assert_eq!(rebound["graduate_id"], graduate_id.as_str());
}

#[tokio::test]
async fn a_signed_agreement_keeps_the_binding_until_the_school_releases_it() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let hr = app.login_as("hr1").await;
    let agreement = invite(&hr, &g, "19101").await;

    // A pending invitation does not hold the record: whoever binds it next answers it. Checked
    // with a wrong password, which is refused as a field error and not as a conflict.
    let (status, _) = grad
        .post_json(
            "/api/me/unbind",
            &json!({ "password": "Wrong-pass1", "reason": REASON }),
        )
        .await;
    assert_eq!(status, 422);

    assert_eq!(accept(&grad, &agreement).await.0, 200);
    let (status, body) = grad
        .post_json(
            "/api/me/unbind",
            &json!({ "password": DEMO_PASSWORD, "reason": REASON }),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("联系学校管理员"));
    assert_eq!(grad.get_json("/api/me").await.0, 200, "nothing changed");
    let (_, inbox) = app
        .login_as("admin19101")
        .await
        .get_json("/api/messages")
        .await;
    assert!(!inbox.to_string().contains("自助解除了账号绑定"));
}

#[tokio::test]
async fn only_a_graduate_releases_their_own_binding() {
    let app = TestApp::spawn().await;
    for login in ["admin19101", "rev19101a", "hr1", "province"] {
        let c = app.login_as(login).await;
        let (status, body) = c
            .post_json(
                "/api/me/unbind",
                &json!({ "password": DEMO_PASSWORD, "reason": REASON }),
            )
            .await;
        assert_eq!(status, 403, "{login}: {body}");
        assert_eq!(c.get("/account/unbind").await.status(), 403, "{login}");
        assert_eq!(
            c.get_json("/api/me").await.0,
            200,
            "{login} still signed in"
        );
    }
    let (status, _) = app
        .client()
        .post_json(
            "/api/me/unbind",
            &json!({ "password": DEMO_PASSWORD, "reason": REASON }),
        )
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_page_keeps_the_reason_shows_errors_by_their_fields_and_then_sends_to_binding() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 1).await;
    let c = app.login_as(&g.id_number).await;
    let csrf = c.csrf.clone().unwrap();
    let home = c.get("/").await.text().await.unwrap();
    assert!(home.contains("href=\"/account/unbind\""));
    let page = c.get("/account/unbind").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("data-confirm"),
        "the form asks for a second confirmation"
    );

    let r = c
        .post_form(
            "/account/unbind",
            &[
                ("_csrf", &csrf),
                ("reason", REASON),
                ("password", "Wrong-pass1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains(REASON), "the reason typed is kept");
    assert!(html.contains("当前密码不正确"));
    assert!(
        !html.contains("Wrong-pass1"),
        "a password is never written back"
    );

    let r = c
        .post_form(
            "/account/unbind",
            &[
                ("_csrf", &csrf),
                ("reason", REASON),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/bind?notice=released");
    let bind = app
        .client()
        .get("/bind?notice=released")
        .await
        .text()
        .await
        .unwrap();
    assert!(bind.contains("已解除绑定，学校已收到通知"));
    assert_eq!(c.get_json("/api/me").await.0, 401);
}
