//! The school's lock on a graduate's online signing (暂停网签): employers cannot invite the
//! graduate meanwhile and are told the school's reason, the graduate reads it at home, and only
//! the administrator of the graduate's school may set or lift it.

use serde_json::{json, Value};

use crate::helpers::{Client, TestApp};
use crate::lifecycle::{graduate, invite, reviewer_of, terms, Grad};

const REASON: &str = "就业推荐表尚未交回学院";

async fn set_lock(c: &Client, graduate_id: &str, body: Value) -> (u16, Value) {
    c.put_json(&format!("/api/graduates/{graduate_id}/signing-lock"), &body)
        .await
}

async fn search(employer: &Client, g: &Grad) -> Value {
    let (s, found) = employer
        .post_json(
            "/api/graduate-search",
            &json!({ "school": "19101", "graduation_year": g.year, "name": g.name, "phone_or_id_number": g.id_number }),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    found
}

#[tokio::test]
async fn a_locked_graduate_cannot_be_invited_and_the_employer_is_told_the_reason() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let admin = app.login_as("admin19101").await;
    let employer = app.login_as("hr1").await;
    // On the send list before the lock: sending is refused by the rule, not by the list.
    assert_eq!(search(&employer, &g).await["on_send_list"], true);

    let (s, lock) = set_lock(&admin, &g.id, json!({ "locked": true, "reason": REASON })).await;
    assert_eq!(s, 200, "{lock}");
    assert_eq!(
        lock,
        json!({ "graduate_id": g.id, "locked": true, "reason": REASON })
    );

    let found = search(&employer, &g).await;
    assert_eq!(found["invitable"], false, "{found}");
    let reasons: Vec<&str> = found["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("暂停") && r.contains(REASON)),
        "{reasons:?}"
    );
    let (s, sent) = employer
        .post_json(
            "/api/invitations",
            &json!({ "graduate_ids": [g.id], "terms": terms() }),
        )
        .await;
    assert_eq!(s, 200, "{sent}");
    assert_eq!(sent["sent"], 0, "{sent}");
    assert_eq!(sent["results"][0]["ok"], false);
    assert!(
        sent["results"][0]["message"]
            .as_str()
            .unwrap()
            .contains(REASON),
        "{sent}"
    );
    // The graduate reads it at home; the school sees it in its list.
    let grad = app.login_as(&g.id_number).await;
    let home = grad.get("/").await.text().await.unwrap();
    assert!(
        home.contains("网签已暂停") && home.contains(REASON),
        "{home}"
    );
    let list = admin.get("/school/graduates").await.text().await.unwrap();
    assert!(list.contains(REASON));
    let (_, record) = admin.get_json(&format!("/api/graduates/{}", g.id)).await;
    assert_eq!(record["signing_locked"], 1);
    assert_eq!(record["signing_lock_reason"], REASON);

    let (s, lock) = set_lock(&admin, &g.id, json!({ "locked": false })).await;
    assert_eq!(s, 200, "{lock}");
    assert_eq!(lock["locked"], false);
    assert_eq!(lock["reason"], Value::Null);
    let home = grad.get("/").await.text().await.unwrap();
    assert!(!home.contains(REASON));
    invite(&employer, &g, "19101").await;

    let audit: Vec<(String, String)> =
        wangqian_store::audit::for_target(&app.state.store, "graduate", &g.id)
            .await
            .unwrap()
            .into_iter()
            // The lock's own entries (the demo's roster approval is audited there too).
            .filter(|r| r.action.ends_with("_signing"))
            .map(|r| (r.action, r.detail))
            .collect();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0].0, "lock_signing");
    assert!(audit[0].1.contains(REASON));
    assert_eq!(audit[1].0, "unlock_signing");
}

#[tokio::test]
async fn only_the_graduates_school_administrator_locks_and_a_reason_is_required() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let lock = json!({ "locked": true, "reason": REASON });
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let employer = app.login_as("hr1").await;
    let grad = app.login_as(&g.id_number).await;
    let province = app.login_as("province").await;
    let other_admin = app.login_as("admin19102").await;
    let admin = app.login_as("admin19101").await;
    for (who, c, want) in [
        ("reviewer of the department", &reviewer, 403),
        ("employer", &employer, 403),
        ("the graduate", &grad, 403),
        ("province", &province, 403),
        ("another school's administrator", &other_admin, 404),
    ] {
        let (s, b) = set_lock(c, &g.id, lock.clone()).await;
        assert_eq!(s, want, "{who}: {b}");
    }
    let (s, _) = set_lock(&admin, "no-such-graduate", lock.clone()).await;
    assert_eq!(s, 404);
    // Another school's graduate is not found for this administrator.
    let away = graduate(&app, 1).await;
    let (s, _) = set_lock(&admin, &away.id, lock.clone()).await;
    assert_eq!(s, 404);

    for body in [
        json!({ "locked": true }),
        json!({ "locked": true, "reason": " 欠 " }),
        json!({ "locked": true, "reason": "长".repeat(201) }),
    ] {
        let (s, err) = set_lock(&admin, &g.id, body).await;
        assert_eq!(s, 422, "{err}");
        assert_eq!(err["error"]["fields"][0]["field"], "reason");
    }
    let (s, err) = set_lock(&admin, &g.id, json!({ "locked": "yes" })).await;
    assert_eq!(s, 400, "{err}");
    // Nothing refused locked anything.
    let (_, record) = admin.get_json(&format!("/api/graduates/{}", g.id)).await;
    assert_eq!(record["signing_locked"], 0);
    assert!(
        !wangqian_store::audit::for_target(&app.state.store, "graduate", &g.id)
            .await
            .unwrap()
            .iter()
            .any(|r| r.action.ends_with("_signing"))
    );
}

#[tokio::test]
async fn the_graduate_list_locks_with_a_reason_shown_next_to_its_field() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let admin = app.login_as("admin19101").await;
    let csrf = admin.csrf.clone().unwrap();
    let path = format!("/school/graduates/{}/signing-lock", g.id);
    let list = admin.get("/school/graduates").await.text().await.unwrap();
    assert!(list.contains(&path) && list.contains("确定暂停该毕业生的网签"));

    let r = admin
        .post_form(
            &path,
            &[("_csrf", &csrf), ("locked", "true"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"reason-error\""), "{page}");
    assert!(page.contains("请填写暂停网签的原因"));

    let r = admin
        .post_form(
            &path,
            &[("_csrf", &csrf), ("locked", "true"), ("reason", REASON)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let list = admin
        .get("/school/graduates?notice=locked")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("已暂停") && list.contains(REASON));
    assert!(list.contains("解锁"));
    let r = admin
        .post_form(&path, &[("_csrf", &csrf), ("locked", "false")])
        .await;
    assert_eq!(r.status(), 303);
    let (_, record) = admin.get_json(&format!("/api/graduates/{}", g.id)).await;
    assert_eq!(record["signing_locked"], 0);

    // A reviewer's list offers neither, and the page refuses them too.
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let list = reviewer
        .get("/school/graduates")
        .await
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&path));
    let r = reviewer
        .post_form(
            &path,
            &[
                ("_csrf", reviewer.csrf.as_deref().unwrap()),
                ("locked", "true"),
                ("reason", REASON),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
}
