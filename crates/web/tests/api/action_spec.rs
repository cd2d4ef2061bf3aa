//! The spec table of actions against what serves them: every row has its API operation, every
//! action operation on a record is a row, every page button is dispatched by its page (and
//! nothing else is), and the one action added through the table (the school administrator's
//! unlock of an approved destination) works end to end.

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use wangqian_domain::lifecycle::spec::{ActionSpec, Control};
use wangqian_domain::lifecycle::{AgreementAction, DestinationAction};

use crate::helpers::{png_bytes, TestApp};
use crate::lifecycle::{accept, graduate, invite, reviewer_of};

fn rows() -> Vec<(&'static str, ActionSpec)> {
    AgreementAction::ALL
        .iter()
        .map(|a| (a.as_str(), a.spec()))
        .chain(
            DestinationAction::ALL
                .iter()
                .map(|a| (a.as_str(), a.spec())),
        )
        .collect()
}

/// (method, path) of every operation id in the served document.
fn operations(doc: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if let Some(id) = op["operationId"].as_str() {
                out.push((id.to_string(), method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_action_row_has_its_documented_operation_and_every_record_operation_is_a_row() {
    let app = TestApp::spawn_empty().await;
    let (s, doc) = app.client().get_json("/api/openapi.json").await;
    assert_eq!(s, 200);
    let ops = operations(&doc);
    for (action, spec) in rows() {
        let Some(op) = spec.operation_id else {
            continue;
        };
        let found = ops.iter().find(|(id, _, _)| id == op);
        let (_, method, _) =
            found.unwrap_or_else(|| panic!("{action}: operation {op} is not served"));
        assert!(
            method == "POST" || method == "PUT",
            "{action}: {op} changes state, so it is not a {method}"
        );
    }
    // The other way round: what changes an agreement or a destination is an action of the table.
    let row_ops: Vec<&str> = rows().iter().filter_map(|(_, s)| s.operation_id).collect();
    for (id, method, path) in &ops {
        let on_record = path.starts_with("/api/agreements/{id}/")
            || path.starts_with("/api/destinations")
            || path.starts_with("/api/paper-agreements")
            || path == "/api/invitations";
        // Data beside the flow, not a transition: the reviewer's normalised 鉴证 fields change
        // no state and are audited, not trailed.
        let beside_the_flow = id == "update_attestation_fields";
        if on_record && !beside_the_flow && (method == "POST" || method == "PUT") {
            assert!(
                row_ops.contains(&id.as_str()),
                "{method} {path} ({id}) changes a record but is no action of the spec table"
            );
        }
    }
}

#[tokio::test]
async fn every_page_button_is_dispatched_by_its_page_and_nothing_else_is() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let csrf = admin.csrf.clone().unwrap();
    // An id that exists nowhere: a dispatched action reaches its service (404), one the page
    // does not offer is refused by the dispatcher before anything is read (400).
    for (kind, actions) in [
        (
            "agreements",
            AgreementAction::ALL
                .iter()
                .map(|a| (a.as_str(), a.spec()))
                .collect::<Vec<_>>(),
        ),
        (
            "destinations",
            DestinationAction::ALL
                .iter()
                .map(|a| (a.as_str(), a.spec()))
                .collect(),
        ),
    ] {
        for (i, (action, spec)) in actions.into_iter().enumerate() {
            let idem = format!("spec-{kind}-{i}");
            let r = admin
                .post_form(
                    &format!("/{kind}/00000000-0000-0000-0000-000000000000/act"),
                    &[
                        ("action", action),
                        ("reason", "核对页面按钮"),
                        ("confirm", "1"),
                        ("_idem", &idem),
                        ("_csrf", &csrf),
                    ],
                )
                .await;
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            match spec.control {
                Control::Button { .. } => {
                    assert_eq!(status, 404, "{kind} {action}: the page must dispatch it");
                }
                _ => {
                    assert_eq!(status, 400, "{kind} {action}: not a button of this page");
                    assert!(body.contains("不在此处办理"), "{kind} {action}: {body}");
                }
            }
        }
    }
}

async fn approved_destination(app: &TestApp, n: usize) -> (crate::lifecycle::Grad, String) {
    let g = graduate(app, n).await;
    let grad = app.login_as(&g.id_number).await;
    let data = json!({ "category_code": "80", "subcategory": "全日制", "unit_name": "江淮大学研究生院", "details": { "录取专业": "数学" } });
    let (s, b) = grad
        .post_multipart(
            "/api/destinations",
            Form::new()
                .text("data", data.to_string())
                .part("proof_1", Part::bytes(png_bytes()).file_name("offer.png")),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let reviewer = reviewer_of(app, &g.department_id).await;
    let (s, b) = reviewer
        .post_json(
            &format!("/api/destinations/{id}/review"),
            &json!({ "approve": true }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    (g, id)
}

#[tokio::test]
async fn the_school_administrator_unlocks_an_approved_destination_and_the_graduate_may_sign_again()
{
    let app = TestApp::spawn().await;
    let (g, id) = approved_destination(&app, 0).await;
    let admin = app.login_as("admin19101").await;
    let path = format!("/api/destinations/{id}/unlock");

    // The reason is required, and only this school's administrator may unlock.
    let (s, b) = admin.post_json(&path, &json!({})).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "reason", "{b}");
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let (s, _) = reviewer
        .post_json(&path, &json!({ "reason": "升学信息有误" }))
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .login_as("admin19102")
        .await
        .post_json(&path, &json!({ "reason": "升学信息有误" }))
        .await;
    assert_eq!(s, 404, "another school's record is not found");
    let grad = app.login_as(&g.id_number).await;
    let (s, _) = grad
        .post_json(&path, &json!({ "reason": "我想解锁" }))
        .await;
    assert_eq!(s, 403);
    // Employers never see destinations; the province reads but acts as no party.
    for login in ["hr1", "province"] {
        let (s, _) = app
            .login_as(login)
            .await
            .post_json(&path, &json!({ "reason": "越权解锁" }))
            .await;
        assert_eq!(s, 403, "{login}");
    }
    let (_, d) = admin.get_json(&format!("/api/destinations/{id}")).await;
    assert_eq!(d["state"], "approved", "refused requests changed nothing");

    let (s, b) = admin
        .post_json(
            &path,
            &json!({ "reason": "录取通知书与学籍信息不符，恢复待就业" }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "已解除");
    // Twice is a conflict, never a second unlock.
    let (s, _) = admin
        .post_json(&path, &json!({ "reason": "再次解锁" }))
        .await;
    assert_eq!(s, 409);

    // The trail names the unlock and its reason; the graduate is told.
    let (_, d) = grad.get_json(&format!("/api/destinations/{id}")).await;
    let last = d["trail"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "unlock", "{last}");
    assert!(
        last["remark"].as_str().unwrap().contains("恢复待就业"),
        "{last}"
    );
    let (_, inbox) = grad.get_json("/api/messages").await;
    assert!(
        inbox.to_string().contains("管理员解锁"),
        "the graduate is told: {inbox}"
    );

    // 待就业 again: an employer's invitation can now be accepted.
    let employer = app.login_as("hr1").await;
    let aid = invite(&employer, &g, "19101").await;
    let (s, b) = accept(&grad, &aid).await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn the_unlock_button_is_on_the_administrators_page_only_and_asks_first() {
    let app = TestApp::spawn().await;
    let (g, id) = approved_destination(&app, 0).await;
    let admin = app.login_as("admin19101").await;
    let page = admin
        .get(&format!("/destinations/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("解锁（恢复待就业）"), "{page}");
    assert!(page.contains("data-confirm=\"确定要解锁"), "{page}");
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let page = reviewer
        .get(&format!("/destinations/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("解锁（恢复待就业）"));

    let r = admin
        .post_form(
            &format!("/destinations/{id}/act"),
            &[
                ("action", "unlock"),
                ("reason", "登记信息有误"),
                ("_idem", "unlock-1"),
                ("_csrf", &admin.csrf.clone().unwrap()),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, d) = admin.get_json(&format!("/api/destinations/{id}")).await;
    assert_eq!(d["state"], "released");
}

#[tokio::test]
async fn whose_move_it_is_follows_a_change_of_review_levels() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let employer = app.login_as("hr1").await;
    let grad = app.login_as(&g.id_number).await;
    let id = invite(&employer, &g, "19101").await;
    let (s, b) = accept(&grad, &id).await;
    assert_eq!(s, 200, "{b}");
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let admin = app.login_as("admin19101").await;
    let (_, todo) = reviewer.get_json("/api/todo-counts").await;
    assert_eq!(
        todo["review"], 1,
        "two levels: the department reviews first: {todo}"
    );
    let (_, todo) = admin.get_json("/api/todo-counts").await;
    assert_eq!(todo["review"], 0, "{todo}");

    // The school switches to one level: the signed agreement now waits for the school.
    let year = wangqian_store::demo::current_cohort(app.state.store.now());
    let (_, mut settings) = admin.get_json(&format!("/api/settings/{year}")).await;
    settings["review_levels"] = json!("one");
    let (s, b) = admin
        .put_json(&format!("/api/settings/{year}"), &settings)
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, todo) = reviewer.get_json("/api/todo-counts").await;
    assert_eq!(todo["review"], 0, "{todo}");
    let (_, todo) = admin.get_json("/api/todo-counts").await;
    assert_eq!(todo["review"], 1, "{todo}");
    let (_, a) = admin.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(a["awaiting"], "school_admin", "{a}");

    // And back.
    settings["review_levels"] = json!("two");
    let (s, _) = admin
        .put_json(&format!("/api/settings/{year}"), &settings)
        .await;
    assert_eq!(s, 200);
    let (_, todo) = reviewer.get_json("/api/todo-counts").await;
    assert_eq!(todo["review"], 1, "{todo}");
}
