//! The agreement lifecycle through the real server: the journeys of SPEC §5–§8, the database
//! invariants under concurrent requests, idempotency, versions, scope and the trail check.

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use wangqian_domain::role::{Actor, EmployerRole, Role};
use wangqian_store::lifecycle::find::FindGraduates;
use wangqian_store::lifecycle::invitations::SendInvitations;
use wangqian_store::pii::PiiField;

use crate::helpers::{png_bytes, start_cohort, Client, TestApp};

const DAY: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// A bound demo graduate: ids, name and the ID number they log in with.
pub(crate) struct Grad {
    pub id: String,
    pub name: String,
    pub id_number: String,
    pub department_id: String,
    /// The graduate's cohort (毕业年度), which employers search by.
    pub year: u16,
}

pub(crate) async fn graduate(app: &TestApp, n: usize) -> Grad {
    let login = app.demo_graduate_login(n);
    let hash = app.state.store.pii.search_hash(PiiField::IdNumber, &login);
    let (id, name, department_id, year): (String, String, String, i64) = sqlx::query_as(
        "SELECT id, name, department_id, graduation_year FROM graduates WHERE id_number_hash = $1",
    )
    .bind(hash)
    .fetch_one(app.state.store.reader())
    .await
    .unwrap();
    Grad {
        id,
        name,
        id_number: login,
        department_id,
        year: u16::try_from(year).unwrap(),
    }
}

pub(crate) async fn reviewer_of(app: &TestApp, department_id: &str) -> Client {
    let (login,): (String,) = sqlx::query_as(
        "SELECT login_name FROM accounts WHERE role = 'department_reviewer' AND department_id = $1 ORDER BY login_name LIMIT 1",
    )
    .bind(department_id.to_string())
    .fetch_one(app.state.store.reader())
    .await
    .unwrap();
    app.login_as(&login).await
}

/// Terms whose report deadline falls in the summer the suite's cohort graduates.
pub(crate) fn terms() -> Value {
    json!({
        "position_category": "工程技术人员",
        "position": "后端工程师",
        "probation_months": 3,
        "probation_salary_yuan": 8000,
        "regular_salary_yuan": 10000,
        "breach_penalty_yuan": 5000,
        "report_place": "合肥市高新区创新大道 1 号",
        "report_deadline": format!("{}-07-15", start_cohort()),
        "work_location": "安徽省合肥市蜀山区",
        "contact_name": "王经理",
        "contact_phone": "0551-65551234",
        "archive_receiver": "合肥市人才服务中心",
        "household_receiver": "合肥市集体户口",
        "agreed_terms": "签订三年劳动合同。"
    })
}

/// The employer finds the graduate and invites them; returns the agreement id.
pub(crate) async fn invite(employer: &Client, g: &Grad, school: &str) -> String {
    let (s, found) = employer
        .post_json(
            "/api/graduate-search",
            &json!({ "school": school, "graduation_year": g.year, "name": g.name, "phone_or_id_number": g.id_number }),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["invitable"], true, "{found}");
    assert_eq!(found["on_send_list"], true);
    let (s, sent) = employer
        .post_json(
            "/api/invitations",
            &json!({ "graduate_ids": [g.id], "terms": terms() }),
        )
        .await;
    assert_eq!(s, 200, "{sent}");
    assert_eq!(sent["sent"], 1, "{sent}");
    sent["results"][0]["agreement_id"]
        .as_str()
        .unwrap()
        .to_string()
}

pub(crate) async fn accept(graduate: &Client, id: &str) -> (u16, Value) {
    graduate
        .post_json(
            &format!("/api/agreements/{id}/accept"),
            &json!({ "password": wangqian_store::demo::DEMO_PASSWORD, "agree": true }),
        )
        .await
}

pub(crate) async fn act(c: &Client, id: &str, what: &str, body: Value) -> (u16, Value) {
    c.post_json(&format!("/api/agreements/{id}/{what}"), &body)
        .await
}

/// Invitation → acceptance → department and school approval: an effective agreement.
pub(crate) async fn effective_agreement(
    app: &TestApp,
    g: &Grad,
) -> (Client, Client, Client, Client, String) {
    let employer = app.login_as("hr1").await;
    let grad = app.login_as(&g.id_number).await;
    let reviewer = reviewer_of(app, &g.department_id).await;
    let admin = app.login_as("admin19101").await;
    let id = invite(&employer, g, "19101").await;
    let (s, b) = accept(&grad, &id).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = act(&reviewer, &id, "review", json!({ "approve": true })).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = act(&admin, &id, "review", json!({ "approve": true })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"], "effective");
    (employer, grad, reviewer, admin, id)
}

async fn trail(c: &Client, id: &str) -> Value {
    let (s, t) = c.get_json(&format!("/api/agreements/{id}/trail")).await;
    assert_eq!(s, 200, "{t}");
    t
}

fn actions(t: &Value) -> Vec<String> {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn direct_invitation_is_accepted_reviewed_and_numbered() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let employer = app.login_as("hr1").await;
    let grad = app.login_as(&g.id_number).await;
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let admin = app.login_as("admin19101").await;

    let id = invite(&employer, &g, "19101").await;
    // The graduate sees the invitation, a message and a to-do, and the school's binding rule.
    let (_, todo) = grad.get_json("/api/todo-counts").await;
    assert_eq!(todo["signing"], 1, "{todo}");
    assert!(todo["unread_messages"].as_i64().unwrap() >= 1);
    let (s, detail) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(s, 200, "{detail}");
    assert_eq!(detail["state_label"], "单位发起邀约");
    assert_eq!(detail["binding_moment_label"], "学校鉴证后生效");
    assert_eq!(detail["terms"]["position"], "后端工程师");
    assert!(detail["graduate"]["id_number_masked"]
        .as_str()
        .unwrap()
        .contains('*'));
    let acts: Vec<&str> = detail["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(acts, ["accept", "reject"]);

    // The confirmation needs the tick-box and the graduate's own password.
    let (s, b) = act(
        &grad,
        &id,
        "accept",
        json!({ "password": wangqian_store::demo::DEMO_PASSWORD, "agree": false }),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    let (s, b) = act(
        &grad,
        &id,
        "accept",
        json!({ "password": "not-mine", "agree": true }),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "password");
    // Only the graduate may accept; the employer may not review.
    let (s, _) = accept(&employer, &id).await;
    assert_eq!(s, 403);
    let (s, b) = accept(&grad, &id).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "签约成功，待学校审核");

    // Two levels: the school cannot skip the department; a rejection needs a reason.
    let (s, b) = act(&admin, &id, "review", json!({ "approve": true })).await;
    assert_eq!(s, 409, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("签约成功，待学校审核"),
        "{b}"
    );
    let (s, b) = act(&reviewer, &id, "review", json!({ "approve": false })).await;
    assert_eq!(s, 422, "{b}");
    let (_, todo) = reviewer.get_json("/api/todo-counts").await;
    assert_eq!(todo["signing"], 1, "{todo}");
    let (s, b) = act(&reviewer, &id, "review", json!({ "approve": true })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "院系已审核（待学校审核）");
    let (s, b) = act(&admin, &id, "review", json!({ "approve": true })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "签约审核通过（已生效）");
    let number = b["number"].as_str().unwrap();
    assert_eq!(number.len(), 16);
    // Kind 1, the cohort (the demo's, by the clock), the school code.
    assert_eq!(g.year, app.cohort());
    assert!(number.starts_with(&format!("1{}19101", g.year)), "{number}");

    let t = trail(&grad, &id).await;
    assert_eq!(t["intact"], true);
    assert_eq!(
        actions(&t),
        ["invite", "accept", "approve_signing", "approve_signing"]
    );
    assert_eq!(t["events"][1]["to_state_label"], "签约成功，待学校审核");

    // The employer was told of the acceptance and the approval.
    let (_, msgs) = employer.get_json("/api/messages").await;
    assert!(msgs["meta"]["total"].as_i64().unwrap() >= 2, "{msgs}");
    // Lists filter by state for every role.
    let (_, list) = admin.get_json("/api/agreements?state=effective").await;
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["items"][0]["number"], number);
    let (_, list) = employer.get_json("/api/agreements?state=signed").await;
    assert_eq!(list["meta"]["total"], 0);

    // The graduate now holds an outcome: another employer may still invite them (SPEC §5);
    // the answer waits for a termination (invitation_dead_ends.rs follows it through).
    let other = app.login_as("hr2").await;
    let (s, found) = other
        .post_json("/api/graduate-search", &json!({ "school": "江淮大学", "graduation_year": g.year, "name": g.name, "phone_or_id_number": g.id_number }))
        .await;
    assert_eq!(s, 200);
    assert_eq!(found["invitable"], true, "{found}");
}

#[tokio::test]
async fn batch_invitation_reports_each_graduate_and_can_be_withdrawn_and_resent() {
    let app = TestApp::spawn().await;
    let a = graduate(&app, 0).await;
    let b = graduate(&app, 1).await;
    let employer = app.login_as("hr1").await;
    for (g, school) in [(&a, "19101"), (&b, "19102")] {
        let (s, f) = employer
            .post_json("/api/graduate-search", &json!({ "school": school, "graduation_year": g.year, "name": g.name, "phone_or_id_number": g.id_number }))
            .await;
        assert_eq!(s, 200, "{f}");
    }
    // A wrong phone or ID finds nobody, with a message that says what to check.
    let (s, f) = employer
        .post_json("/api/graduate-search", &json!({ "school": "19101", "graduation_year": a.year, "name": a.name, "phone_or_id_number": "11010519491231002X" }))
        .await;
    assert_eq!(s, 404, "{f}");
    assert!(f["error"]["message"].as_str().unwrap().contains("没有找到"));

    let (_, list) = employer.get_json("/api/send-list").await;
    assert_eq!(list["meta"]["total"], 2);
    let (s, sent) = employer
        .post_json("/api/invitations", &json!({ "graduate_ids": [a.id, b.id, "someone-else"], "terms": terms(), "validity_days": 7 }))
        .await;
    assert_eq!(s, 200, "{sent}");
    assert_eq!(sent["sent"], 2);
    assert_eq!(sent["failed"], 1);
    assert_eq!(sent["results"][2]["ok"], false);
    // Sent graduates leave the send list.
    let (_, list) = employer.get_json("/api/send-list").await;
    assert_eq!(list["meta"]["total"], 0, "{list}");
    // One pending invitation per employer and graduate: found again, it is still refused.
    let (s, found) = employer
        .post_json("/api/graduate-search", &json!({ "school": "19101", "graduation_year": a.year, "name": a.name, "phone_or_id_number": a.id_number }))
        .await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["invitable"], false, "{found}");
    assert!(
        found["reasons"].to_string().contains("不能再次发送"),
        "{found}"
    );
    let (_, again) = employer
        .post_json(
            "/api/invitations",
            &json!({ "graduate_ids": [a.id], "terms": terms() }),
        )
        .await;
    assert_eq!(again["results"][0]["ok"], false, "{again}");

    let id = sent["results"][0]["agreement_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, w) = act(&employer, &id, "withdraw", json!({ "reason": "岗位调整" })).await;
    assert_eq!(s, 200, "{w}");
    assert_eq!(w["state_label"], "已撤回");
    let grad = app.login_as(&a.id_number).await;
    let (s, _) = accept(&grad, &id).await;
    assert_eq!(s, 409);
    let mut changed = terms();
    changed["regular_salary_yuan"] = json!(12000);
    let (s, r) = act(&employer, &id, "resend", json!({ "terms": changed })).await;
    assert_eq!(s, 200, "{r}");
    let (_, detail) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(detail["terms"]["regular_salary_yuan"], 12000);
    assert_eq!(detail["terms_version"], 2);
    let (s, r) = act(&grad, &id, "reject", json!({ "reason": "已有其他安排" })).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["state_label"], "已拒绝");
    // Bad terms name their field.
    let mut bad = terms();
    bad["probation_months"] = json!(9);
    let (s, e) = employer
        .post_json(
            "/api/invitations",
            &json!({ "graduate_ids": [b.id], "terms": bad }),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(e["error"]["fields"][0]["field"], "terms.probation_months");
}

#[tokio::test]
async fn an_invitation_past_its_deadline_reads_expired_and_cannot_be_accepted() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let employer = app.login_as("hr1").await;
    let id = invite(&employer, &g, "19101").await;
    // Past the default five days (24:00 of the fifth day after today); both sign in again.
    app.advance(DAY * 6);
    let employer = app.login_as("hr1").await;
    let grad = app.login_as(&g.id_number).await;
    let (s, b) = accept(&grad, &id).await;
    assert_eq!(s, 409, "{b}");
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("过反馈有效期"));
    let (_, detail) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(detail["state_label"], "已过期");
    let (_, list) = employer.get_json("/api/agreements?state=expired").await;
    assert_eq!(list["meta"]["total"], 1);
    // The sweep writes it down with a system event; a new invitation can then be sent.
    let n = wangqian_store::lifecycle::invitations::expire_due(&app.state.store, 10)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let t = trail(&grad, &id).await;
    assert_eq!(actions(&t), ["invite", "expire"]);
    assert_eq!(t["events"][1]["party"], "system");
    let id2 = invite(&employer, &g, "19101").await;
    assert_ne!(id, id2);
}

#[tokio::test]
async fn termination_requested_by_the_graduate_and_agreed_by_the_employer() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, grad, reviewer, admin, id) = effective_agreement(&app, &g).await;
    let proof = || Part::bytes(png_bytes()).file_name("letter.png");
    // The graduate must acknowledge the notice and upload the employer's letter.
    let (s, b) = grad
        .post_multipart(
            &format!("/api/agreements/{id}/termination"),
            Form::new()
                .text("reason", "考取研究生")
                .text("acknowledged", "false")
                .part("proof", proof()),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    let (s, b) = grad
        .post_multipart(
            &format!("/api/agreements/{id}/termination"),
            Form::new()
                .text("reason", "考取研究生")
                .text("acknowledged", "true"),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "proof");
    let long = "长".repeat(201);
    let (s, _) = grad
        .post_multipart(
            &format!("/api/agreements/{id}/termination"),
            Form::new()
                .text("reason", long)
                .text("acknowledged", "true")
                .part("proof", proof()),
        )
        .await;
    assert_eq!(s, 422);
    let (s, b) = grad
        .post_multipart(
            &format!("/api/agreements/{id}/termination"),
            Form::new()
                .text("reason", "考取研究生")
                .text("acknowledged", "true")
                .part("proof", proof()),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "待解约（对方处理中）");
    let (_, todo) = employer.get_json("/api/todo-counts").await;
    assert_eq!(todo["termination"], 1, "{todo}");
    // The requester cannot agree to their own request.
    let (s, _) = act(&grad, &id, "termination/answer", json!({ "agree": true })).await;
    assert_eq!(s, 409);
    let (s, b) = act(
        &employer,
        &id,
        "termination/answer",
        json!({ "agree": true }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "等待解约审核");
    let (s, b) = act(
        &reviewer,
        &id,
        "termination/review",
        json!({ "approve": true }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = act(
        &admin,
        &id,
        "termination/review",
        json!({ "approve": true }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "解约审核通过（已解约）");
    // Eligibility is restored: another employer's invitation can be accepted.
    let other = app.login_as("hr2").await;
    let id2 = invite(&other, &g, "19101").await;
    let (s, b) = accept(&grad, &id2).await;
    assert_eq!(s, 200, "{b}");
    let used: (i64,) = sqlx::query_as("SELECT terminations_used FROM graduates WHERE id = $1")
        .bind(g.id.clone())
        .fetch_one(app.state.store.reader())
        .await
        .unwrap();
    assert_eq!(used.0, 1);
}

#[tokio::test]
async fn termination_requested_by_the_employer_rejected_then_forced_by_the_school() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, grad, reviewer, admin, id) = effective_agreement(&app, &g).await;
    let (s, b) = employer
        .post_multipart(
            &format!("/api/agreements/{id}/termination"),
            Form::new()
                .text("reason", "岗位撤销")
                .text("acknowledged", "true"),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, todo) = grad.get_json("/api/todo-counts").await;
    assert_eq!(todo["termination"], 1, "{todo}");
    // While it is pending, nobody may ask again.
    let (s, _) = grad
        .post_multipart(
            &format!("/api/agreements/{id}/termination"),
            Form::new()
                .text("reason", "再次")
                .text("acknowledged", "true")
                .part("proof", Part::bytes(png_bytes()).file_name("p.png")),
        )
        .await;
    assert_eq!(s, 409);
    let (s, b) = act(&grad, &id, "termination/answer", json!({ "agree": true })).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = act(
        &reviewer,
        &id,
        "termination/review",
        json!({ "approve": false, "reason": "材料不全" }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"], "effective");
    // The school forces the termination; the graduate is told.
    let (s, _) = act(
        &reviewer,
        &id,
        "force-termination",
        json!({ "reason": "数据错误" }),
    )
    .await;
    assert_eq!(s, 403);
    let (s, b) = act(
        &admin,
        &id,
        "force-termination",
        json!({ "reason": "单位信息登记错误" }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"], "terminated");
    let (_, msgs) = grad.get_json("/api/messages").await;
    assert!(
        msgs["items"][0]["body"]
            .as_str()
            .unwrap()
            .contains("单位信息登记错误"),
        "{msgs}"
    );
    let t = trail(&admin, &id).await;
    assert_eq!(t["intact"], true);
    assert_eq!(actions(&t).last().unwrap(), "force_terminate");
}

#[tokio::test]
async fn an_amendment_after_approval_is_confirmed_and_re_reviewed_keeping_every_version() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, grad, _reviewer, admin, id) = effective_agreement(&app, &g).await;
    let (_, before) = grad.get_json(&format!("/api/agreements/{id}")).await;
    let number = before["number"].as_str().unwrap().to_string();
    let mut changed = terms();
    changed["work_location"] = json!("安徽省合肥市包河区");
    let (s, b) = act(
        &employer,
        &id,
        "amendments",
        json!({ "terms": changed, "reason": "工作地点调整" }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "修改待学生确认");
    let (_, d) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(
        d["pending_amendment"]["work_location"],
        "安徽省合肥市包河区"
    );
    assert_eq!(d["terms"]["work_location"], "安徽省合肥市蜀山区");
    let (s, b) = act(&grad, &id, "amendments/answer", json!({ "confirm": true })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"], "amendment_review");
    let (s, b) = act(&admin, &id, "review", json!({ "approve": true })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"], "effective");
    assert_eq!(b["number"], number, "the number is assigned once");
    let (_, d) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(d["terms"]["work_location"], "安徽省合肥市包河区");
    assert_eq!(d["terms_version"], 2);
    let statuses: Vec<&str> = d["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["superseded", "in_force"]);
}

#[tokio::test]
async fn a_paper_agreement_is_drafted_generated_reviewed_scanned_and_terminated() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let admin = app.login_as("admin19101").await;
    let mut paper = json!({
        "employer": {
            "name": "芜湖示例制造有限公司", "credit_code": "91440101MA5CJQ4N59", "unit_nature_code": "39",
            "industry_code": "22", "location": "安徽省芜湖市", "address": "鸠江区示例路 8 号", "postcode": "241000"
        },
        "terms": terms()
    });
    paper["employer"]["credit_code"] = json!("91440101MA5CJQ4N58");
    let (s, b) = grad.post_json("/api/paper-agreements", &paper).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "employer.credit_code");
    paper["employer"]["credit_code"] = json!("91440101MA5CJQ4N59");
    let (s, b) = grad.post_json("/api/paper-agreements", &paper).await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    // Drafts stay with the graduate until generated.
    let (_, list) = admin.get_json("/api/agreements?kind=paper").await;
    assert_eq!(list["meta"]["total"], 0);
    paper["terms"]["position"] = json!("工艺工程师");
    let (s, b) = grad
        .put_json(&format!("/api/paper-agreements/{id}"), &paper)
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, _) = act(&grad, &id, "submit", json!({ "confirm": false })).await;
    assert_eq!(s, 422);
    let (s, b) = act(&grad, &id, "submit", json!({ "confirm": true })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "协议书待审核");
    let (s, b) = act(&reviewer, &id, "review", json!({ "approve": true })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "待反馈");
    let (s, b) = grad
        .post_multipart(
            &format!("/api/agreements/{id}/signed-scan"),
            Form::new().part(
                "scan",
                Part::bytes(b"not an image".to_vec()).file_name("scan.png"),
            ),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    let (s, b) = grad
        .post_multipart(
            &format!("/api/agreements/{id}/signed-scan"),
            Form::new().part("scan", Part::bytes(png_bytes()).file_name("scan.png")),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "等待签约审核");
    let (s, b) = act(&admin, &id, "review", json!({ "approve": true })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"], "effective");
    assert!(
        b["number"]
            .as_str()
            .unwrap()
            .starts_with(&format!("2{}19101", g.year)),
        "{b}"
    );
    let (_, d) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(d["terms"]["position"], "工艺工程师");
    assert_eq!(d["paper_employer"]["name"], "芜湖示例制造有限公司");
    // Paper termination: the graduate asks with the proof; the school reviews in two levels.
    let (s, b) = grad
        .post_multipart(
            &format!("/api/agreements/{id}/termination"),
            Form::new()
                .text("reason", "单位同意解约")
                .text("acknowledged", "true")
                .part("proof", Part::bytes(png_bytes()).file_name("p.png")),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "等待解约审核");
    let (s, _) = act(
        &reviewer,
        &id,
        "termination/review",
        json!({ "approve": true }),
    )
    .await;
    assert_eq!(s, 200);
    let (s, b) = act(
        &admin,
        &id,
        "termination/review",
        json!({ "approve": true }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state"], "terminated");
    let t = trail(&grad, &id).await;
    assert_eq!(
        actions(&t),
        [
            "create_draft",
            "submit_paper",
            "approve_signing",
            "upload_signed_scan",
            "approve_signing",
            "request_termination",
            "approve_termination",
            "approve_termination"
        ]
    );
}

#[tokio::test]
async fn an_other_destination_is_registered_approved_and_released() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let employer = app.login_as("hr1").await;
    let data = json!({ "category_code": "80", "subcategory": "全日制", "unit_name": "江淮大学研究生院", "details": { "录取专业": "计算机科学与技术" } });
    let (s, b) = grad
        .post_multipart(
            "/api/destinations",
            Form::new().text("data", json!({ "category_code": "10" }).to_string()),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    let five = (1..=5).fold(Form::new().text("data", data.to_string()), |f, i| {
        f.part(
            format!("proof_{i}"),
            Part::bytes(png_bytes()).file_name("p.png"),
        )
    });
    let (s, _) = grad.post_multipart("/api/destinations", five).await;
    assert_eq!(s, 400);
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
    // The registration holds the graduate's outcome: an invitation may be sent, and cannot
    // be accepted until the release.
    let (s, f) = employer
        .post_json("/api/graduate-search", &json!({ "school": "19101", "graduation_year": g.year, "name": g.name, "phone_or_id_number": g.id_number }))
        .await;
    assert_eq!(s, 200);
    assert_eq!(f["invitable"], true, "{f}");
    let (_, todo) = reviewer.get_json("/api/todo-counts").await;
    assert_eq!(todo["review"], 1, "{todo}");
    let (s, b) = reviewer
        .post_json(
            &format!("/api/destinations/{id}/review"),
            &json!({ "approve": true }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "审核通过");
    let (s, _) = grad
        .post_json(&format!("/api/destinations/{id}/withdraw"), &json!({}))
        .await;
    assert_eq!(s, 409);
    let (s, b) = grad
        .post_multipart(
            &format!("/api/destinations/{id}/release"),
            Form::new()
                .text("reason", "放弃升学，参加工作")
                .part("proof", Part::bytes(png_bytes()).file_name("p.png")),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = reviewer
        .post_json(
            &format!("/api/destinations/{id}/review"),
            &json!({ "approve": true }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "已解除");
    let (s, d) = grad.get_json(&format!("/api/destinations/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(d["trail"].as_array().unwrap().len(), 4);
    // Released: the graduate may sign again.
    let aid = invite(&employer, &g, "19101").await;
    let (s, b) = accept(&grad, &aid).await;
    assert_eq!(s, 200, "{b}");
    // Employers never see destinations.
    let (s, _) = employer.get_json(&format!("/api/destinations/{id}")).await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn records_outside_the_actors_scope_are_not_found() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let employer = app.login_as("hr1").await;
    let id = invite(&employer, &g, "19101").await;
    for login in ["hr2", "admin19102"] {
        let c = app.login_as(login).await;
        let (s, _) = c.get_json(&format!("/api/agreements/{id}")).await;
        assert_eq!(s, 404, "{login}");
        let (s, _) = act(&c, &id, "withdraw", json!({})).await;
        assert_eq!(s, 404, "{login}");
    }
    let other_grad = app.login_as(&app.demo_graduate_login(1)).await;
    let (s, _) = other_grad
        .get_json(&format!("/api/agreements/{id}/trail"))
        .await;
    assert_eq!(s, 404);
    // The province reads but acts as nobody.
    let province = app.login_as("province").await;
    let (s, _) = province.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(s, 200);
    let (s, _) = act(&province, &id, "withdraw", json!({})).await;
    assert_eq!(s, 403);
    // A stale version is refused.
    let (s, b) = act(&employer, &id, "withdraw", json!({ "version": 0 })).await;
    assert_eq!(s, 409, "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("刷新"));
}

// ---------------------------------------------------------------------------------------------
// Invariants under concurrency

/// `n` verified employers, each with the graduate on its send list and an invitation sent.
async fn invitations_from_many_employers(app: &TestApp, g: &Grad, n: usize) -> Vec<String> {
    let store = &app.state.store;
    let mut ids = Vec::new();
    for i in 0..n {
        let employer_id = wangqian_store::new_id();
        sqlx::query("INSERT INTO employers (id, name, credit_code, status, created_at, updated_at) VALUES ($1, $2, $3, 'verified', 0, 0)")
            .bind(employer_id.clone())
            .bind(format!("并发测试单位{i}"))
            .bind(format!("TEST{i:014}"))
            .execute(store.writer())
            .await
            .unwrap();
        let actor = Actor {
            account_id: format!("test-hr-{i}").into(),
            role: Role::EmployerMember,
            school_id: None,
            department_id: None,
            employer_id: Some(employer_id.into()),
            employer_role: Some(EmployerRole::Hr),
            graduate_id: None,
        };
        let found = wangqian_store::lifecycle::find::find_graduates(
            store,
            &actor,
            &FindGraduates {
                school: "19101".into(),
                graduation_year: g.year,
                name: g.name.clone(),
                phone_or_id_number: g.id_number.clone(),
                add_to_send_list: true,
            },
        )
        .await
        .unwrap();
        assert!(found.invitable, "{:?}", found.reasons);
        let sent = wangqian_store::lifecycle::invitations::send_invitations(
            store,
            &actor,
            SendInvitations {
                graduate_ids: vec![g.id.as_str().into()],
                all_on_send_list: false,
                terms: serde_json::from_value(terms()).unwrap(),
                validity_days: None,
            },
            None,
        )
        .await
        .unwrap();
        ids.push(sent[0].agreement_id.clone().unwrap().into_string());
    }
    ids
}

#[tokio::test]
async fn fifty_invitations_accepted_at_once_leave_exactly_one_signed() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let ids = invitations_from_many_employers(&app, &g, 50).await;
    let grad = std::sync::Arc::new(app.login_as(&g.id_number).await);
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let grad = grad.clone();
            let id = id.clone();
            tokio::spawn(async move { accept(&grad, &id).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let (s, b) = t.await.unwrap();
        match s {
            200 => ok += 1,
            // The database refused the second outcome, or the domain saw the first one.
            409 => assert!(
                b["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("只能有一个")
                        || m == wangqian_domain::lifecycle::ANSWER_HELD_AGREEMENT),
                "{b}"
            ),
            other => panic!("unexpected {other}: {b}"),
        }
    }
    assert_eq!(ok, 1);
    let (signed,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM agreements WHERE graduate_id = $1 AND state = 'signed'",
    )
    .bind(g.id.clone())
    .fetch_one(app.state.store.reader())
    .await
    .unwrap();
    assert_eq!(signed, 1);
    let (held,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM graduate_outcomes WHERE graduate_id = $1")
            .bind(g.id.clone())
            .fetch_one(app.state.store.reader())
            .await
            .unwrap();
    assert_eq!(held, 1);
    let report = wangqian_store::lifecycle::trail::check(&app.state.store)
        .await
        .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.records, 50);
}

#[tokio::test]
async fn two_reviewers_approving_at_once_make_one_transition() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let employer = app.login_as("hr1").await;
    let grad = app.login_as(&g.id_number).await;
    let admin = app.login_as("admin19101").await;
    let (s, b) = admin
        .post_json("/api/staff/reviewers", &json!({ "login_name": "rev_second", "display_name": "第二审核员", "department_id": g.department_id, "password": "Review2026" }))
        .await;
    assert_eq!(s, 201, "{b}");
    let first = reviewer_of(&app, &g.department_id).await;
    let second = app.login_as_with("rev_second", "Review2026").await;
    let id = invite(&employer, &g, "19101").await;
    assert_eq!(accept(&grad, &id).await.0, 200);
    let (a, b) = tokio::join!(
        act(&first, &id, "review", json!({ "approve": true })),
        act(&second, &id, "review", json!({ "approve": true }))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let t = trail(&grad, &id).await;
    assert_eq!(actions(&t), ["invite", "accept", "approve_signing"]);
}

/// Fires `n` copies of an action at once; each answers 200 or 409, never a server error.
async fn race(c: &std::sync::Arc<Client>, id: &str, what: &str, bodies: Vec<Value>) -> usize {
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let c = c.clone();
            let id = id.to_string();
            let what = what.to_string();
            tokio::spawn(async move { act(&c, &id, &what, body).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let (s, b) = t.await.unwrap();
        match s {
            200 => ok += 1,
            409 => {}
            other => panic!("{what}: unexpected {other}: {b}"),
        }
    }
    ok
}

async fn version_numbers(app: &TestApp, id: &str) -> Vec<i64> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT version_no FROM agreement_versions WHERE agreement_id = $1 ORDER BY version_no",
    )
    .bind(id.to_string())
    .fetch_all(app.state.store.reader())
    .await
    .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

#[tokio::test]
async fn racing_edits_resends_and_amendments_number_terms_versions_once_each() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let employer = std::sync::Arc::new(app.login_as("hr1").await);
    let id = invite(&employer, &g, "19101").await;
    let with_salary = |yuan: i64, version: Option<i64>| {
        let mut t = terms();
        t["regular_salary_yuan"] = json!(yuan);
        match version {
            Some(v) => json!({ "terms": t, "version": v }),
            None => json!({ "terms": t }),
        }
    };
    // Unversioned edits queue behind each other: every one lands, numbered 2, 3, 4…
    let bodies = (0..32).map(|i| with_salary(10_001 + i, None)).collect();
    assert_eq!(race(&employer, &id, "invitation", bodies).await, 32);
    assert_eq!(
        version_numbers(&app, &id).await,
        (1..=33).collect::<Vec<_>>()
    );
    // Edits made from the same page (same version): one wins, the rest are told it changed.
    let (_, d) = employer.get_json(&format!("/api/agreements/{id}")).await;
    let seen = d["version"].as_i64().unwrap();
    let bodies = (0..32)
        .map(|i| with_salary(20_000 + i, Some(seen)))
        .collect();
    assert_eq!(race(&employer, &id, "invitation", bodies).await, 1);
    assert_eq!(version_numbers(&app, &id).await.len(), 34);
    // A withdrawn invitation resent from two tabs at once: one new version.
    let (s, b) = act(&employer, &id, "withdraw", json!({})).await;
    assert_eq!(s, 200, "{b}");
    let bodies = (0..16).map(|i| with_salary(30_000 + i, None)).collect();
    assert_eq!(race(&employer, &id, "resend", bodies).await, 1);
    assert_eq!(version_numbers(&app, &id).await.len(), 35);
    let (s, b) = act(&employer, &id, "withdraw", json!({})).await;
    assert_eq!(s, 200, "{b}");

    // Amendments of an effective agreement proposed at once: one is pending, one version added.
    let (employer2, _grad, _reviewer, _admin, effective) = effective_agreement(&app, &g).await;
    let employer2 = std::sync::Arc::new(employer2);
    let bodies = (0..16)
        .map(|i| {
            let mut t = terms();
            t["work_location"] = json!(format!("安徽省合肥市第 {i} 区"));
            json!({ "terms": t, "reason": "工作地点调整" })
        })
        .collect();
    assert_eq!(race(&employer2, &effective, "amendments", bodies).await, 1);
    assert_eq!(version_numbers(&app, &effective).await, [1, 2]);
    let report = wangqian_store::lifecycle::trail::check(&app.state.store)
        .await
        .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[tokio::test]
async fn racing_reviews_and_release_requests_of_a_destination_act_once() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = std::sync::Arc::new(app.login_as(&g.id_number).await);
    let reviewer = std::sync::Arc::new(reviewer_of(&app, &g.department_id).await);
    let data = json!({ "category_code": "80", "subcategory": "全日制", "unit_name": "江淮大学研究生院", "details": { "录取专业": "计算机科学与技术" } });
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
    let reviews: Vec<_> = (0..16)
        .map(|_| {
            let c = reviewer.clone();
            let path = format!("/api/destinations/{id}/review");
            tokio::spawn(async move { c.post_json(&path, &json!({ "approve": true })).await })
        })
        .collect();
    let mut ok = 0;
    for t in reviews {
        let (s, b) = t.await.unwrap();
        assert!(s == 200 || s == 409, "{s} {b}");
        ok += usize::from(s == 200);
    }
    assert_eq!(ok, 1);
    // Release requests each carry a proof file (a child row): one lands.
    let releases: Vec<_> = (0..8)
        .map(|_| {
            let c = grad.clone();
            let path = format!("/api/destinations/{id}/release");
            tokio::spawn(async move {
                c.post_multipart(
                    &path,
                    Form::new()
                        .text("reason", "放弃升学，参加工作")
                        .part("proof", Part::bytes(png_bytes()).file_name("p.png")),
                )
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in releases {
        let (s, b) = t.await.unwrap();
        assert!(s == 200 || s == 409, "{s} {b}");
        ok += usize::from(s == 200);
    }
    assert_eq!(ok, 1);
    let report = wangqian_store::lifecycle::trail::check(&app.state.store)
        .await
        .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM flow_events WHERE record_id = $1")
        .bind(id.clone())
        .fetch_one(app.state.store.reader())
        .await
        .unwrap();
    assert_eq!(events, 3, "register, approve, release request");
}

#[tokio::test]
async fn a_hundred_retries_with_one_idempotency_key_change_once() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let employer = app.login_as("hr1").await;
    let grad = app.login_as(&g.id_number).await;
    let id = invite(&employer, &g, "19101").await;
    assert_eq!(accept(&grad, &id).await.0, 200);
    let reviewer = std::sync::Arc::new(reviewer_of(&app, &g.department_id).await);
    let csrf = reviewer.csrf.clone().unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let r = reviewer.clone();
            let id = id.clone();
            let csrf = csrf.clone();
            tokio::spawn(async move {
                let resp = r
                    .http
                    .post(format!("{}/api/agreements/{id}/review", r.base))
                    .header("x-csrf-token", csrf)
                    .header("idempotency-key", "review-once-7f3a")
                    .json(&json!({ "approve": true }))
                    .send()
                    .await
                    .unwrap();
                (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut bodies = Vec::new();
    for t in tasks {
        let (s, b) = t.await.unwrap();
        assert_eq!(s, 200, "{b}");
        bodies.push(b);
    }
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "every retry answers the first result"
    );
    assert_eq!(bodies[0]["state"], "dept_approved");
    let t = trail(&grad, &id).await;
    assert_eq!(actions(&t), ["invite", "accept", "approve_signing"]);
    // The same key on another operation is refused instead of replayed.
    let resp = reviewer
        .http
        .post(format!(
            "{}/api/agreements/{id}/revoke-review",
            reviewer.base
        ))
        .header("x-csrf-token", reviewer.csrf.clone().unwrap())
        .header("idempotency-key", "review-once-7f3a")
        .json(&json!({ "reason": "重审" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 409);
}

#[tokio::test]
async fn the_trail_is_append_only_and_an_edit_is_detected() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (_, grad, _, _, id) = effective_agreement(&app, &g).await;
    let store = &app.state.store;
    let refused = sqlx::query("UPDATE flow_events SET remark = 'x' WHERE record_id = $1")
        .bind(id.clone())
        .execute(store.writer())
        .await;
    assert!(refused.is_err(), "the database refuses to edit the trail");
    let refused = sqlx::query("DELETE FROM flow_events WHERE record_id = $1")
        .bind(id.clone())
        .execute(store.writer())
        .await;
    assert!(refused.is_err());
    assert!(wangqian_store::lifecycle::trail::check(store)
        .await
        .unwrap()
        .problems
        .is_empty());
    // Someone with database rights switches the guard off and edits a remark.
    let disable = match store.backend() {
        wangqian_store::Backend::Sqlite => "DROP TRIGGER flow_events_no_update",
        wangqian_store::Backend::Postgres => {
            "ALTER TABLE flow_events DISABLE TRIGGER flow_events_no_change"
        }
    };
    sqlx::query(disable).execute(store.writer()).await.unwrap();
    sqlx::query("UPDATE flow_events SET remark = '已同意' WHERE record_id = $1 AND seq = 2")
        .bind(id.clone())
        .execute(store.writer())
        .await
        .unwrap();
    let report = wangqian_store::lifecycle::trail::check(store)
        .await
        .unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        report.problems[0].2.contains("第 2 条"),
        "{:?}",
        report.problems
    );
    let t = trail(&grad, &id).await;
    assert_eq!(t["intact"], false);
    // Who acted is covered too: a changed name on the first event is found first.
    sqlx::query("UPDATE flow_events SET actor_name = '冒名者' WHERE record_id = $1 AND seq = 1")
        .bind(id.clone())
        .execute(store.writer())
        .await
        .unwrap();
    let report = wangqian_store::lifecycle::trail::check(store)
        .await
        .unwrap();
    assert!(
        report.problems[0].2.contains("第 1 条"),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn the_openapi_document_lists_every_lifecycle_operation() {
    let app = TestApp::spawn_empty().await;
    let (s, doc) = app.client().get_json("/api/openapi.json").await;
    assert_eq!(s, 200);
    let mut ids = Vec::new();
    for (_, item) in doc["paths"].as_object().unwrap() {
        for (_, op) in item.as_object().unwrap() {
            if let Some(id) = op["operationId"].as_str() {
                ids.push(id.to_string());
            }
        }
    }
    for required in [
        "find_graduates",
        "send_invitations",
        "withdraw_invitation",
        "accept_invitation",
        "reject_invitation",
        "propose_amendment",
        "confirm_amendment",
        "review_agreement",
        "revoke_review",
        "request_termination",
        "answer_termination",
        "review_termination",
        "force_terminate",
        "create_paper_agreement",
        "submit_paper_agreement",
        "upload_signed_agreement",
        "register_destination",
        "withdraw_destination",
        "request_destination_release",
        "list_agreements",
        "get_agreement",
        "get_agreement_trail",
        "todo_counts",
    ] {
        assert!(ids.iter().any(|i| i == required), "missing {required}");
    }
}

/// Not a test: measures accept latency, alone and with 50 accepts racing (`cargo test -p
/// wangqian-web --test api bench_accept -- --ignored --nocapture`, optionally with
/// WANGQIAN_TEST_PG). Each accept checks the password (argon2id) and writes in one transaction.
#[tokio::test]
#[ignore]
async fn bench_accept_under_load() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let ids = invitations_from_many_employers(&app, &g, 51).await;
    let grad = std::sync::Arc::new(app.login_as(&g.id_number).await);
    // Warm up the connection and the password hasher with a refused accept.
    let _ = act(
        &grad,
        &ids[50],
        "accept",
        json!({ "password": "wrong", "agree": true }),
    )
    .await;
    let t = std::time::Instant::now();
    let (s, _) = accept(&grad, &ids[50]).await;
    let alone = t.elapsed();
    assert_eq!(s, 200);
    // Release it so that the racing accepts compete for the outcome again.
    sqlx::query("DELETE FROM graduate_outcomes WHERE graduate_id = $1")
        .bind(g.id.clone())
        .execute(app.state.store.writer())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let tasks: Vec<_> = ids[..50]
        .iter()
        .map(|id| {
            let grad = grad.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let t = std::time::Instant::now();
                let (s, _) = accept(&grad, &id).await;
                (s, t.elapsed())
            })
        })
        .collect();
    let mut times = Vec::new();
    for t in tasks {
        let (s, d) = t.await.unwrap();
        assert!(s == 200 || s == 409);
        times.push(d);
    }
    let wall = started.elapsed();
    times.sort();
    eprintln!(
        "backend {:?}: one accept alone {:?}; 50 concurrent accepts: p50 {:?}, p95 {:?}, max {:?}, all done in {:?}",
        app.state.store.backend(),
        alone,
        times[25],
        times[47],
        times[49],
        wall
    );
}

#[tokio::test]
async fn a_graduate_reads_the_invitation_page_and_signs_with_the_tick_box_and_password() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let employer = app.login_as("hr1").await;
    let grad = app.login_as(&g.id_number).await;
    let id = invite(&employer, &g, "19101").await;
    let page = grad
        .get(&format!("/agreements/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("我同意并遵守以上规定"), "{page}");
    assert!(page.contains("学校鉴证后生效"));
    assert!(page.contains("后端工程师"));
    let list = grad.get("/agreements").await.text().await.unwrap();
    assert!(list.contains("单位发起邀约"));
    let csrf = grad.csrf.clone().unwrap();
    // Without the tick-box the signing does not happen.
    let r = grad
        .post_form(
            &format!("/agreements/{id}/accept"),
            &[
                ("_csrf", &csrf),
                ("password", wangqian_store::demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert!(r.text().await.unwrap().contains("我同意并遵守以上规定"));
    let r = grad
        .post_form(
            &format!("/agreements/{id}/accept"),
            &[
                ("_csrf", &csrf),
                ("agree", "1"),
                ("password", wangqian_store::demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let page = grad
        .get(&format!("/agreements/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("签约成功，待学校审核"), "{page}");
    assert!(page.contains("流程追踪"));
    // The reviewer approves from the page.
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let page = reviewer
        .get(&format!("/agreements/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("审核通过"));
    let rc = reviewer.csrf.clone().unwrap();
    let r = reviewer
        .post_form(
            &format!("/agreements/{id}/act"),
            &[("_csrf", &rc), ("action", "approve_signing")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, d) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(d["state"], "dept_approved");
}

#[tokio::test]
async fn searches_that_keep_missing_make_the_employer_wait() {
    // Guessing phone or ID numbers through the search must stop long before it can succeed.
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let hr1 = app.login_as("hr1").await;
    let search = |id: &str| json!({ "school": "19101", "graduation_year": g.year, "name": g.name, "phone_or_id_number": id });
    let wrong = search("11010519491231002X");
    for _ in 0..wangqian_store::lifecycle::find::FIND_MISS_LIMIT {
        let (s, b) = hr1.post_json("/api/graduate-search", &wrong).await;
        assert_eq!(s, 404, "{b}");
    }
    let (s, b) = hr1
        .post_json("/api/graduate-search", &search(&g.id_number))
        .await;
    assert_eq!(s, 429, "even a right guess now waits: {b}");
    // Another employer searches as before.
    let hr2 = app.login_as("hr2").await;
    let (s, b) = hr2
        .post_json("/api/graduate-search", &search(&g.id_number))
        .await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn a_graduate_is_reminded_once_the_day_before_an_invitation_expires() {
    use wangqian_store::lifecycle::invitations::remind_due;
    let app = TestApp::spawn().await;
    let store = &app.state.store;
    let g = graduate(&app, 0).await;
    let hr = app.login_as("hr1").await;
    let id = invite(&hr, &g, "19101").await;
    assert_eq!(remind_due(store, 100).await.unwrap(), 0, "days are left");
    // Two hours before the deadline.
    let (deadline,): (i64,) = sqlx::query_as("SELECT deadline_at FROM agreements WHERE id = $1")
        .bind(id.clone())
        .fetch_one(store.reader())
        .await
        .unwrap();
    app.set_ms(deadline - 2 * 60 * 60 * 1000);
    let hr = app.login_as("hr1").await;
    assert_eq!(remind_due(store, 100).await.unwrap(), 1);
    assert_eq!(
        remind_due(store, 100).await.unwrap(),
        0,
        "once per deadline"
    );
    let grad = app.login_as(&g.id_number).await;
    let (_, inbox) = grad.get_json("/api/messages").await;
    let reminder = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["title"].as_str().unwrap().starts_with("邀约即将过期"))
        .expect("a reminder in the inbox")
        .clone();
    assert_eq!(reminder["record_id"], id.as_str());
    assert!(reminder["body"].as_str().unwrap().contains("24:00"));
    // A new deadline (the employer edits the offer) earns a new reminder in time.
    let (_, d) = hr.get_json(&format!("/api/agreements/{id}")).await;
    let (s, b) = act(
        &hr,
        &id,
        "invitation",
        json!({ "terms": terms(), "version": d["version"] }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (reminded,): (Option<i64>,) =
        sqlx::query_as("SELECT reminded_at FROM agreements WHERE id = $1")
            .bind(id.clone())
            .fetch_one(store.reader())
            .await
            .unwrap();
    assert_eq!(reminded, None);
}

/// The agreement list pages by cursor through the same rows, in the same order, as by number,
/// also when several rows share one `updated_at`.
#[tokio::test]
async fn agreement_pages_by_cursor_match_pages_by_number() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    invitations_from_many_employers(&app, &g, 7).await;
    let admin = app.login_as("admin19101").await;
    let ids = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, mut list) = admin.get_json("/api/agreements?per_page=3").await;
    let total = list["meta"]["total"].as_i64().unwrap();
    assert!(total >= 7, "{list}");
    let mut by_cursor = Vec::new();
    let mut pages = 1;
    loop {
        by_cursor.extend(ids(&list));
        let Some(next) = list["meta"]["next"].as_str().map(str::to_string) else {
            break;
        };
        list = admin
            .get_json(&format!("/api/agreements?per_page=3&after={next}"))
            .await
            .1;
        pages += 1;
    }
    let mut by_number = Vec::new();
    for page in 1..=pages {
        let (_, l) = admin
            .get_json(&format!("/api/agreements?per_page=3&page={page}"))
            .await;
        by_number.extend(ids(&l));
    }
    assert_eq!(by_cursor, by_number);
    assert_eq!(i64::try_from(by_cursor.len()).unwrap(), total);
}
