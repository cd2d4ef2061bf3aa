//! 报到地点 and 实际工作地点 by region, and 工作职位类别 from its code table: through the API
//! and the invitation page.

use serde_json::{json, Value};

use crate::helpers::{Client, TestApp};
use crate::lifecycle::{graduate, terms, Grad};

fn region_terms() -> Value {
    let mut t = terms();
    t["position_category"] = json!("24");
    t["report_region"] = json!({ "county_code": "340104", "street": "长江西路 1 号" });
    t["work_region"] = json!({ "county_code": "441900" });
    t
}

/// Finds the graduate (which puts them on the send list) and invites them with these terms.
async fn send(employer: &Client, g: &Grad, terms: Value) -> (u16, Value) {
    let (s, found) = employer
        .post_json(
            "/api/graduate-search",
            &json!({ "school": "19101", "graduation_year": g.year, "name": g.name, "phone_or_id_number": g.id_number }),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    employer
        .post_json(
            "/api/invitations",
            &json!({ "graduate_ids": [g.id], "terms": terms }),
        )
        .await
}

#[tokio::test]
async fn an_invitation_by_region_reads_as_full_place_names_for_the_graduate() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let hr = app.login_as("hr1").await;
    let (s, sent) = send(&hr, &g, region_terms()).await;
    assert_eq!(s, 200, "{sent}");
    let id = sent["results"][0]["agreement_id"].as_str().unwrap();
    let grad = app.login_as(&g.id_number).await;
    let (s, a) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(s, 200, "{a}");
    let t = &a["terms"];
    assert_eq!(t["report_place"], "安徽省合肥市蜀山区长江西路 1 号", "{t}");
    assert_eq!(t["work_location"], "广东省东莞市");
    assert_eq!(t["report_region"]["county_code"], "340104");
    assert_eq!(t["position_category"], "教学人员");
    assert_eq!(t["position_category_code"], "24");
}

#[tokio::test]
async fn a_city_or_unknown_code_and_a_free_category_are_refused_on_their_fields() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let hr = app.login_as("hr1").await;
    let mut t = region_terms();
    t["report_region"]["county_code"] = json!("340100");
    t["work_region"]["county_code"] = json!("999999");
    t["position_category"] = json!("软件开发");
    let (s, b) = send(&hr, &g, t).await;
    assert_eq!(s, 422, "{b}");
    let body = b.to_string();
    for field in [
        "terms.report_region.county_code",
        "terms.work_region.county_code",
        "terms.position_category",
    ] {
        assert!(body.contains(field), "{field} named: {body}");
    }
    assert!(body.contains("请从工作职位类别列表中选择"), "{body}");
}

async fn form(c: &Client, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let csrf = c.csrf.clone().unwrap();
    let mut all: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
    all.extend_from_slice(fields);
    let r = c.post_form(path, &all).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_invitation_page_shows_a_bad_county_under_its_select_and_keeps_the_choice() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let hr = app.login_as("hr1").await;
    let cohort = app.cohort().to_string();
    let (s, page) = form(
        &hr,
        "/employer/signing/find",
        &[
            ("school", "江淮大学"),
            ("graduation_year", &cohort),
            ("name", &g.name),
            ("phone_or_id_number", &g.id_number),
        ],
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("<option value=\"工程技术人员\">工程技术人员</option>"));
    assert!(page.contains("regions.js"));
    let tick = format!("g_{}", g.id);
    let deadline = format!("{cohort}-07-20");
    let fields = [
        ("position_category", "工程技术人员"),
        ("position", "嵌入式工程师"),
        ("regular_salary_yuan", "9000"),
        ("report_deadline", deadline.as_str()),
        ("contact_name", "李主管"),
        ("contact_phone", "0551-62223333"),
        // 合肥市 chosen but no county: the county select must say so.
        ("report_province", "340000"),
        ("report_city", "340100"),
        ("report_county", ""),
        ("report_street", "望江西路 800 号"),
        ("work_province", "440000"),
        ("work_city", "441900"),
        (tick.as_str(), "1"),
        ("_idem", "regions-1"),
    ];
    let (s, page) = form(&hr, "/employer/signing/send", &fields).await;
    assert_eq!(s, 422, "{page}");
    let select = &page[page.find("id=\"report_county\"").unwrap()..];
    let near = &select[..select.find("<label").unwrap()];
    assert!(
        near.contains("id=\"report_county-error\">报到地点（省市区县）：请选择省、市和区县"),
        "{near}"
    );
    assert!(
        page.contains("value=\"望江西路 800 号\""),
        "the street is kept"
    );
    assert!(page.contains("<option value=\"340100\" selected>合肥市</option>"));
    assert!(page.contains("<option value=\"340104\">蜀山区</option>"));
    assert!(
        !page.contains("id=\"work_county-error\""),
        "东莞市 has no counties: the city is the choice"
    );

    let (s, js) = (
        hr.get("/static/regions.json").await.status().as_u16(),
        hr.get("/static/regions.json").await.text().await.unwrap(),
    );
    assert_eq!(s, 200);
    assert!(js.contains("[\"340104\",\"340100\",\"蜀山区\"]"));
}

#[tokio::test]
async fn the_api_schema_describes_the_region_fields() {
    let app = TestApp::spawn_empty().await;
    let (s, doc) = app.client().get_json("/api/openapi.json").await;
    assert_eq!(s, 200);
    let schemas = &doc["components"]["schemas"];
    let terms = &schemas["AgreementTerms"]["properties"];
    for f in ["report_region", "work_region", "position_category_code"] {
        assert!(terms.get(f).is_some(), "{f} in {terms}");
    }
    let region = &schemas["RegionAddress"]["properties"];
    assert!(region.get("county_code").is_some() && region.get("street").is_some());
}
