//! The 鉴证 view and its normalised fields (seed 002 §2.1.3): what the reviewer sees beside the
//! agreement, the fields they fill in, who may, and the page that shows an amendment's changes
//! and keeps the dangerous buttons apart.

use serde_json::{json, Value};

use crate::helpers::{Client, TestApp};
use crate::lifecycle::{accept, act, effective_agreement, graduate, invite, reviewer_of, terms};

fn good_fields() -> Value {
    json!({
        "unit_nature_code": "39",
        "industry_code": "34",
        "place": { "county_code": "340104", "street": "长江西路 1 号" }
    })
}

async fn put(c: &Client, id: &str, body: &Value) -> (u16, Value) {
    c.put_json(&format!("/api/agreements/{id}/attestation"), body)
        .await
}

#[tokio::test]
async fn a_reviewer_sees_the_record_and_the_company_and_fills_in_the_normalised_fields() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let employer = app.login_as("hr1").await;
    let grad = app.login_as(&g.id_number).await;
    let id = invite(&employer, &g, "19101").await;
    let reviewer = reviewer_of(&app, &g.department_id).await;
    // Before the graduate signs there is nothing to attest.
    let (s, b) = put(&reviewer, &id, &good_fields()).await;
    assert_eq!(s, 409, "{b}");
    let (s, b) = accept(&grad, &id).await;
    assert_eq!(s, 200, "{b}");

    let (s, v) = reviewer
        .get_json(&format!("/api/agreements/{id}/attestation"))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["graduate"]["name"], g.name.as_str());
    assert!(v["graduate"]["id_number_masked"]
        .as_str()
        .unwrap()
        .contains('*'));
    let company = &v["employer"];
    assert!(!company["name"].as_str().unwrap().is_empty(), "{v}");
    assert_eq!(company["platform_status_label"], "已通过");
    assert!(company["platform_verified_at"].is_i64(), "{v}");
    // Proposed from the company's registration until saved.
    assert!(v["fields"]["saved_by"].is_null());
    assert!(!v["fields"]["unit_nature_code"].as_str().unwrap().is_empty());
    assert_eq!(v["can_fill"], true);

    // Every problem at once.
    let (s, b) = put(
        &reviewer,
        &id,
        &json!({ "unit_nature_code": "x", "industry_code": "", "place": { "county_code": "3401", "street": "" } }),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    let mut fields: Vec<&str> = b["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "industry_code",
            "place.county_code",
            "place.street",
            "unit_nature_code"
        ]
    );
    let (s, v) = put(&reviewer, &id, &good_fields()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["fields"]["county_code"], "340104");
    assert_eq!(v["fields"]["place_name"], "安徽省合肥市蜀山区");
    assert_eq!(v["fields"]["address"], "长江西路 1 号");
    assert!(v["fields"]["saved_by"].is_string(), "{v}");
    let stored: (String, String, String) = sqlx::query_as(
        "SELECT attest_unit_nature_code, attest_industry_code, attest_county_code FROM agreements WHERE id = $1",
    )
    .bind(id.clone())
    .fetch_one(app.state.store.reader())
    .await
    .unwrap();
    assert_eq!(stored, ("39".into(), "34".into(), "340104".into()));
    let (audited,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'update_attestation_fields' AND target_id = $1",
    )
    .bind(id.clone())
    .fetch_one(app.state.store.reader())
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn only_the_agreements_own_staff_attest_and_the_province_reads() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, grad, reviewer, admin, id) = effective_agreement(&app, &g).await;
    let path = format!("/api/agreements/{id}/attestation");
    let province = app.login_as("province").await;
    let other_school = app.login_as("admin19102").await;
    let other_reviewer = app.login_as("rev19102a").await;
    for (who, c, get, put_status) in [
        ("reviewer", &reviewer, 200, 200),
        ("school", &admin, 200, 200),
        ("province", &province, 200, 403),
        ("graduate", &grad, 403, 403),
        ("employer", &employer, 403, 403),
        ("another school", &other_school, 404, 404),
        ("another school's reviewer", &other_reviewer, 404, 404),
    ] {
        let (s, b) = c.get_json(&path).await;
        assert_eq!(s, get, "{who} reads: {b}");
        let (s, b) = put(c, &id, &good_fields()).await;
        assert_eq!(s, put_status, "{who} writes: {b}");
    }
}

fn section<'a>(page: &'a str, from: &str, to: &str) -> &'a str {
    let start = page
        .find(from)
        .unwrap_or_else(|| panic!("{from} not on the page"));
    let rest = &page[start..];
    &rest[..rest.find(to).unwrap_or(rest.len())]
}

#[tokio::test]
async fn the_review_page_shows_the_cards_keeps_what_was_typed_and_marks_an_amendment() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, _grad, _reviewer, admin, id) = effective_agreement(&app, &g).await;
    let page = admin
        .get(&format!("/agreements/{id}"))
        .await
        .text()
        .await
        .unwrap();
    for card in [
        "学生信息（生源）",
        "单位信息（已认证资料）",
        "鉴证信息",
        "请填写信息",
    ] {
        assert!(page.contains(card), "{card}");
    }
    // The company's licence and letter are there to look at, and open.
    let company = section(&page, "id=\"employer-record\"", "</div>\n<div");
    assert_eq!(
        company.matches("class=\"upload-thumb\"").count(),
        2,
        "{company}"
    );
    let file = company
        .split("href=\"/api/uploads/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let r = admin.get(&format!("/api/uploads/{file}")).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"].to_str().unwrap(), "image/png");
    // 撤回审核 and 强制解约 sit in their own card, each with a labelled reason and a question.
    let dangerous = section(&page, "id=\"dangerous\"", "</div>");
    for action in ["revoke_review", "force_terminate"] {
        assert!(
            dangerous.contains(&format!("<label for=\"reason-{action}\">")),
            "{dangerous}"
        );
    }
    assert_eq!(dangerous.matches("data-confirm=").count(), 2);
    if page.contains("<h2>办理</h2>") {
        let desk = section(&page, "<h2>办理</h2>", "</div>");
        assert!(
            !desk.contains("撤回审核") && !desk.contains("强制解约"),
            "{desk}"
        );
    }

    // A refused form comes back with the error under the county and the choices kept.
    let csrf = admin.csrf.clone().unwrap();
    let r = admin
        .post_form(
            &format!("/agreements/{id}/attestation"),
            &[
                ("_csrf", &csrf),
                ("unit_nature_code", "21"),
                ("industry_code", "34"),
                ("att_province", "34"),
                ("att_street", "长江西路 1 号"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"att_county-error\""), "{page}");
    assert!(
        page.contains("<option value=\"21\" selected>"),
        "the nature is kept"
    );
    assert!(page.contains("value=\"长江西路 1 号\""));
    let r = admin
        .post_form(
            &format!("/agreements/{id}/attestation"),
            &[
                ("_csrf", &csrf),
                ("unit_nature_code", "21"),
                ("industry_code", "34"),
                ("att_province", "34"),
                ("att_city", "3401"),
                ("att_county", "340104"),
                ("att_street", "长江西路 1 号"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let page = admin
        .get(&format!("/agreements/{id}?notice=attested"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("鉴证信息已保存"));
    assert!(page.contains("保存"), "who saved it is shown");

    // An amendment's changes are marked with the old value.
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
    let page = admin
        .get(&format!("/agreements/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let amendment = section(&page, "id=\"amendment\"", "</table>");
    assert_eq!(
        amendment.matches("class=\"changed\"").count(),
        1,
        "{amendment}"
    );
    assert!(amendment.contains("原：安徽省合肥市蜀山区"), "{amendment}");
}
