//! 生源审核: imported records wait for review; reviewers approve or return them one by one or
//! in bulk (ids or the list's filter); employers find only approved records and are told why;
//! a re-import that changes a reviewed record reopens its review.

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{wait_for_import, Client, TestApp};

/// One synthetic graduate of school 19101, as the roster file holds them.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    student_no: String,
    name: String,
    id_number: String,
    department: String,
    cells: Vec<String>,
}

/// A synthetic roster of `n` graduates of the app's cohort (numbered after the demo's), and
/// its rows.
pub(crate) fn roster(app: &TestApp, n: usize) -> (String, Vec<Row>) {
    let csv = String::from_utf8(wangqian_store::demo::synthetic_roster_csv(n, app.cohort()))
        .expect("utf-8");
    let rows = csv
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<String> = l.trim_end().split(',').map(str::to_string).collect();
            Row {
                student_no: cells[0].clone(),
                name: cells[1].clone(),
                id_number: cells[5].clone(),
                department: cells[8].clone(),
                cells,
            }
        })
        .collect();
    (csv, rows)
}

fn file_of(header: &str, rows: &[Row]) -> String {
    let mut out = format!("{header}\n");
    for r in rows {
        out.push_str(&r.cells.join(","));
        out.push('\n');
    }
    out
}

pub(crate) async fn import(c: &Client, csv: String) -> Value {
    let (status, job) = c
        .post_multipart(
            "/api/roster-imports",
            Form::new().part(
                "file",
                Part::bytes(csv.into_bytes()).file_name("roster.csv"),
            ),
        )
        .await;
    assert_eq!(status, 202, "{job}");
    let job = wait_for_import(c, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    job
}

async fn record(c: &Client, student_no: &str) -> Value {
    let (s, list) = c
        .get_json(&format!("/api/graduates?keyword={student_no}"))
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    list["items"][0].clone()
}

async fn id_of(c: &Client, student_no: &str) -> String {
    record(c, student_no).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn state_of(c: &Client, student_no: &str) -> String {
    record(c, student_no).await["review_state"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn review(c: &Client, body: Value) -> (u16, Value) {
    c.post_json("/api/graduates/review", &body).await
}

async fn search(hr: &Client, year: u16, r: &Row) -> (u16, Value) {
    hr.post_json(
        "/api/graduate-search",
        &json!({ "school": "19101", "graduation_year": year, "name": r.name, "phone_or_id_number": r.id_number }),
    )
    .await
}

async fn pending_count(app: &TestApp, c: &Client) -> i64 {
    let (_, me) = c.get_json("/api/me").await;
    let actor = wangqian_store::accounts::actor_of_account(
        &app.state.store,
        me["account_id"].as_str().unwrap(),
    )
    .await
    .unwrap();
    wangqian_store::roster_review::count_pending_roster(&app.state.store, &actor)
        .await
        .unwrap()
}

#[tokio::test]
async fn imported_records_start_pending_and_are_approved_by_ids_and_by_filter() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let (csv, rows) = roster(&app, 4);
    import(&admin, csv).await;
    for r in &rows {
        assert_eq!(state_of(&admin, &r.student_no).await, "pending");
    }
    // The demo's own records are approved: the pending list is exactly the import.
    let (_, pending) = admin.get_json("/api/graduates?review_state=pending").await;
    assert_eq!(pending["meta"]["total"], 4, "{pending}");
    assert_eq!(pending_count(&app, &admin).await, 4);

    // By ids: one record; asked again, it is skipped with the reason.
    let first = id_of(&admin, &rows[0].student_no).await;
    let (s, b) = review(&admin, json!({ "decision": "approve", "ids": [first] })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["approved"], 1, "{b}");
    assert!(b.get("returned").is_none(), "{b}");
    let (s, b) = review(&admin, json!({ "decision": "approve", "ids": [first] })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["approved"], 0);
    assert_eq!(b["skipped"][0]["id"], first.as_str());
    assert!(b["skipped"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("已审核通过"));
    assert_eq!(state_of(&admin, &rows[0].student_no).await, "approved");

    // By the list's filter, every page: the other three (approved records are not counted).
    let (s, b) = review(
        &admin,
        json!({ "decision": "approve", "filter": { "review_state": "pending", "graduation_year": app.cohort() } }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["approved"], 3, "{b}");
    assert_eq!(b["skipped_total"], 0, "{b}");
    for r in &rows {
        assert_eq!(state_of(&admin, &r.student_no).await, "approved");
    }
    assert_eq!(pending_count(&app, &admin).await, 0);
    // Each change is audited on the graduate's record, under the reviewer's account.
    let trail = wangqian_store::audit::for_target(&app.state.store, "graduate", &first)
        .await
        .unwrap();
    let approvals: Vec<_> = trail
        .iter()
        .filter(|a| a.action == "approve_roster_record")
        .collect();
    assert_eq!(approvals.len(), 1, "{trail:?}");
    assert!(approvals[0].actor_account_id.is_some());

    // Neither ids nor filter, or both: refused with the field named.
    let (s, b) = review(&admin, json!({ "decision": "approve" })).await;
    assert_eq!(s, 422, "{b}");
    let (s, b) = review(
        &admin,
        json!({ "decision": "approve", "ids": [first], "filter": {} }),
    )
    .await;
    assert_eq!(s, 422, "{b}");
}

#[tokio::test]
async fn an_employer_cannot_find_a_pending_record_is_told_why_and_finds_it_once_approved() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let hr = app.login_as("hr1").await;
    let (csv, rows) = roster(&app, 1);
    import(&admin, csv).await;
    let r = &rows[0];
    let (s, b) = search(&hr, app.cohort(), r).await;
    assert_eq!(s, 404, "{b}");
    let message = b["error"]["message"].as_str().unwrap();
    assert!(message.contains("学校尚未审核该生源信息"), "{b}");

    let id = id_of(&admin, &r.student_no).await;
    let (s, b) = review(&admin, json!({ "decision": "approve", "ids": [id] })).await;
    assert_eq!(s, 200, "{b}");
    let (s, found) = search(&hr, app.cohort(), r).await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["invitable"], true, "{found}");
    assert_eq!(found["on_send_list"], true, "{found}");

    // Returned later (nothing rests on it yet), it stays on the send list but cannot be
    // invited, and the list says why.
    let (s, b) = review(
        &admin,
        json!({ "decision": "return", "reason": "专业名称有误", "ids": [id] }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["returned"], 1, "{b}");
    let (_, list) = hr.get_json("/api/send-list").await;
    let line = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["graduate_id"] == id.as_str())
        .cloned()
        .expect("still on the send list");
    assert_eq!(line["invitable"], false, "{line}");
    assert!(
        line["reasons"][0]
            .as_str()
            .unwrap()
            .contains("学校尚未审核该生源信息"),
        "{line}"
    );
    let (s, b) = search(&hr, app.cohort(), r).await;
    assert_eq!(s, 404, "{b}");
}

#[tokio::test]
async fn a_return_needs_a_reason_and_a_returned_record_can_be_approved() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let (csv, rows) = roster(&app, 1);
    import(&admin, csv).await;
    let id = id_of(&admin, &rows[0].student_no).await;
    for reason in [json!(null), json!(""), json!(" 错 ")] {
        let (s, b) = review(
            &admin,
            json!({ "decision": "return", "reason": reason, "ids": [id] }),
        )
        .await;
        assert_eq!(s, 422, "{b}");
        assert_eq!(b["error"]["fields"][0]["field"], "reason", "{b}");
    }
    assert_eq!(state_of(&admin, &rows[0].student_no).await, "pending");
    let (s, b) = review(
        &admin,
        json!({ "decision": "return", "reason": "身份证号与档案不符", "ids": [id] }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["returned"], 1);
    let g = record(&admin, &rows[0].student_no).await;
    assert_eq!(g["review_state"], "returned");
    assert_eq!(g["review_return_reason"], "身份证号与档案不符");
    let (_, returned) = admin.get_json("/api/graduates?review_state=returned").await;
    assert_eq!(returned["meta"]["total"], 1, "{returned}");

    let (s, b) = review(&admin, json!({ "decision": "approve", "ids": [id] })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["approved"], 1);
    let g = record(&admin, &rows[0].student_no).await;
    assert_eq!(g["review_state"], "approved");
    assert!(g["review_return_reason"].is_null(), "{g}");
}

#[tokio::test]
async fn only_the_records_department_reviewer_and_school_administrator_review_it() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let reviewer = app.login_as("rev19101a").await;
    let (_, me) = reviewer.get_json("/api/me").await;
    let school = app.school_id("19101").await;
    let (_, departments) = admin
        .get_json(&format!("/api/schools/{school}/departments"))
        .await;
    let mine = departments["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == me["department_id"])
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    let (csv, rows) = roster(&app, 8);
    import(&admin, csv).await;
    let own = rows.iter().find(|r| r.department == mine).expect("own");
    let other = rows.iter().find(|r| r.department != mine).expect("other");
    let own_id = id_of(&admin, &own.student_no).await;
    let other_id = id_of(&admin, &other.student_no).await;

    let approve = |ids: Vec<&str>| json!({ "decision": "approve", "ids": ids });
    // Another department's record, alone or among the reviewer's own: 404, nothing changes.
    let (s, b) = review(&reviewer, approve(vec![&other_id])).await;
    assert_eq!(s, 404, "{b}");
    let (s, b) = review(&reviewer, approve(vec![&own_id, &other_id])).await;
    assert_eq!(s, 404, "{b}");
    assert_eq!(state_of(&admin, &own.student_no).await, "pending");
    // Another school's administrator: 404, by ids and by filter.
    let away = app.login_as("admin19102").await;
    let (s, b) = review(&away, approve(vec![&own_id])).await;
    assert_eq!(s, 404, "{b}");
    let (s, b) = review(
        &away,
        json!({ "decision": "approve", "filter": { "school_id": school } }),
    )
    .await;
    assert_eq!(s, 404, "{b}");
    // Roles that never review: 403.
    let graduate = app.login_as(&app.demo_graduate_login(0)).await;
    for who in [
        app.login_as("hr1").await,
        graduate,
        app.login_as("province").await,
    ] {
        let (s, b) = review(&who, approve(vec![&own_id])).await;
        assert_eq!(s, 403, "{b}");
        let (s, b) = review(
            &who,
            json!({ "decision": "approve", "filter": { "school_id": school } }),
        )
        .await;
        assert_eq!(s, 403, "{b}");
    }
    assert_eq!(state_of(&admin, &own.student_no).await, "pending");

    // The reviewer's filter covers their department only, whatever it names.
    let (s, b) = review(
        &reviewer,
        json!({ "decision": "approve", "filter": { "review_state": "pending", "department_id": "" } }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let own_count = rows.iter().filter(|r| r.department == mine).count();
    assert_eq!(b["approved"], own_count as i64, "{b}");
    assert_eq!(state_of(&admin, &own.student_no).await, "approved");
    assert_eq!(state_of(&admin, &other.student_no).await, "pending");
    assert_eq!(pending_count(&app, &reviewer).await, 0);
    assert_eq!(
        pending_count(&app, &admin).await,
        (rows.len() - own_count) as i64
    );
    // The administrator reviews any department of the school.
    let (s, b) = review(&admin, approve(vec![&other_id])).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["approved"], 1);
}

#[tokio::test]
async fn a_reimport_that_changes_a_reviewed_record_reopens_its_review_and_the_setting_skips_it() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let (csv, rows) = roster(&app, 3);
    let header = csv.lines().next().unwrap().to_string();
    import(&admin, csv.clone()).await;
    let (s, b) = review(&admin, json!({ "decision": "approve", "filter": {} })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["approved"], 3, "{b}");

    // The same file again: nothing changed, every record stays approved.
    let job = import(&admin, csv).await;
    assert_eq!(job["result"]["review_reopened"], 0, "{job}");
    // A changed major reopens that record; a new phone number (the graduate's own contact)
    // does not.
    let mut changed = rows.clone();
    changed[0].cells[9] = "人工智能".into();
    changed[1].cells[13] = "13900001111".into();
    let job = import(&admin, file_of(&header, &changed)).await;
    assert_eq!(job["result"]["review_reopened"], 1, "{job}");
    assert!(job["result"]["message"]
        .as_str()
        .unwrap()
        .contains("转为待审核"));
    assert_eq!(state_of(&admin, &rows[0].student_no).await, "pending");
    assert_eq!(state_of(&admin, &rows[1].student_no).await, "approved");
    assert_eq!(state_of(&admin, &rows[2].student_no).await, "approved");
    let reopened = id_of(&admin, &rows[0].student_no).await;
    let trail = wangqian_store::audit::for_target(&app.state.store, "graduate", &reopened)
        .await
        .unwrap();
    assert!(
        trail.iter().any(|a| a.action == "reimport_roster_review"),
        "{trail:?}"
    );

    // A school that skips the review: a changed record is approved by the import itself …
    let year = app.cohort();
    let path = format!("/api/settings/{year}");
    let (_, mut settings) = admin.get_json(&path).await;
    assert_eq!(settings["roster_review"], true);
    settings["roster_review"] = json!(false);
    let (s, b) = admin.put_json(&path, &settings).await;
    assert_eq!(s, 200, "{b}");
    let mut again = changed.clone();
    again[0].cells[9] = "数据科学".into();
    import(&admin, file_of(&header, &again)).await;
    assert_eq!(state_of(&admin, &rows[0].student_no).await, "approved");
    // … and new records are approved at once.
    let (_, more) = roster(&app, 5);
    let fresh: Vec<Row> = more
        .into_iter()
        .filter(|r| rows.iter().all(|o| o.student_no != r.student_no))
        .collect();
    import(&admin, file_of(&header, &fresh)).await;
    for r in &fresh {
        assert_eq!(state_of(&admin, &r.student_no).await, "approved");
    }
}

#[tokio::test]
async fn the_graduate_list_reviews_ticked_records_and_the_whole_filter() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let csrf = admin.csrf.clone().unwrap();
    let (csv, rows) = roster(&app, 3);
    import(&admin, csv).await;
    let first = id_of(&admin, &rows[0].student_no).await;
    let list = admin
        .get("/school/graduates?review_state=pending")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("待审核") && list.contains("按当前筛选全部审核通过"));
    let tick = format!("g_{first}");
    assert!(list.contains(&format!("name=\"{tick}\"")), "{list}");

    // 退回 without a reason: the field says so, the tick is kept.
    let r = admin
        .post_form(
            "/school/graduates/review",
            &[
                ("_csrf", &csrf),
                ("decision", "return"),
                ("reason", ""),
                (&tick, "1"),
                ("review_state", "pending"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"review_reason-error\""), "{page}");
    assert!(page.contains("请填写退回原因"), "{page}");
    assert!(
        page.contains(&format!(
            "id=\"{tick}\" name=\"{tick}\" value=\"1\" aria-label=\"选择 {}\" checked",
            rows[0].name
        )),
        "{page}"
    );
    // Nothing ticked: said next to the buttons.
    let r = admin
        .post_form(
            "/school/graduates/review",
            &[("_csrf", &csrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"review_ids-error\""));

    let r = admin
        .post_form(
            "/school/graduates/review",
            &[
                ("_csrf", &csrf),
                ("decision", "return"),
                ("reason", "班级信息缺失"),
                (&tick, "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("已退回 1 人"), "{page}");
    assert_eq!(state_of(&admin, &rows[0].student_no).await, "returned");

    // The whole filter (pending only): the two others, and the returned one stays returned.
    let r = admin
        .post_form(
            "/school/graduates/review",
            &[
                ("_csrf", &csrf),
                ("decision", "approve_filter"),
                ("review_state", "pending"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("已审核通过 2 人"), "{page}");
    assert_eq!(state_of(&admin, &rows[1].student_no).await, "approved");
    assert_eq!(state_of(&admin, &rows[0].student_no).await, "returned");

    // Without the form's token the page refuses; an employer's page answer is a refusal too.
    let r = admin
        .post_form(
            "/school/graduates/review",
            &[("decision", "approve"), (&tick, "1")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let hr = app.login_as("hr1").await;
    let r = hr
        .post_form(
            "/school/graduates/review",
            &[
                ("_csrf", hr.csrf.as_deref().unwrap()),
                ("decision", "approve"),
                (&tick, "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(state_of(&admin, &rows[0].student_no).await, "returned");
}

#[tokio::test]
async fn the_review_operation_and_the_state_filter_are_typed_in_the_openapi_document() {
    let app = TestApp::spawn_empty().await;
    let (_, doc) = app.client().get_json("/api/openapi.json").await;
    let op = &doc["paths"]["/api/graduates/review"]["post"];
    assert_eq!(op["operationId"], "review_roster_records", "{op}");
    assert!(
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap()
            .ends_with("RosterReviewRequest")
    );
    for status in ["200", "401", "403", "404", "409", "422"] {
        assert!(op["responses"].get(status).is_some(), "{status}: {op}");
    }
    let list = &doc["paths"]["/api/graduates"]["get"];
    let param = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "review_state")
        .expect("review_state parameter");
    let text = param.to_string();
    for state in ["pending", "approved", "returned"] {
        assert!(text.contains(state), "{param}");
    }
}
