//! 所在地 of an other destination by region: through the API (`place_region`) and the
//! registration page (province → city → county selects), with the free text kept for older
//! records and for registrations without a region.

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::helpers::{png_bytes, Client};
use crate::lifecycle::graduate;

async fn register(c: &Client, data: Value) -> (u16, Value) {
    c.post_multipart(
        "/api/destinations",
        Form::new()
            .text("data", data.to_string())
            .part("proof_1", Part::bytes(png_bytes()).file_name("offer.png")),
    )
    .await
}

#[tokio::test]
async fn a_destination_by_region_reads_as_the_full_place_name_with_its_code() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let (s, b) = register(
        &grad,
        json!({
            "category_code": "80",
            "subcategory": "全日制",
            "unit_name": "江淮大学研究生院",
            // The region wins over a free line sent beside it.
            "details": { "所在地": "合肥", "录取专业": "数学" },
            "place_region": { "county_code": "340104", "street": "长江西路 1 号" },
        }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap();
    let (s, d) = grad.get_json(&format!("/api/destinations/{id}")).await;
    assert_eq!(s, 200, "{d}");
    let details: Value = serde_json::from_str(d["details"].as_str().unwrap()).unwrap();
    assert_eq!(
        details["所在地"], "安徽省合肥市蜀山区长江西路 1 号",
        "{details}"
    );
    assert_eq!(details["所在地代码"], "340104");
    // The page shows the readable line, not the code.
    let page = grad
        .get(&format!("/destinations/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("安徽省合肥市蜀山区长江西路 1 号"), "{page}");
    assert!(!page.contains("所在地代码"), "{page}");
}

#[tokio::test]
async fn a_city_or_unknown_code_is_refused_on_its_field_and_free_text_still_registers() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    for code in ["340100", "999999"] {
        let (s, b) = register(
            &grad,
            json!({ "category_code": "80", "place_region": { "county_code": code } }),
        )
        .await;
        assert_eq!(s, 422, "{b}");
        let body = b.to_string();
        assert!(body.contains("place_region.county_code"), "{body}");
        assert!(
            body.contains("所在地（省市区县）：请选择省、市和区县"),
            "{body}"
        );
    }
    let (s, b) = register(
        &grad,
        json!({ "category_code": "80", "place_region": { "county_code": "441900", "street": "路".repeat(201) } }),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    assert!(b.to_string().contains("place_region.street"), "{b}");
    // No region: the free text stands, as on older records.
    let (s, b) = register(
        &grad,
        json!({ "category_code": "76", "unit_name": "自由撰稿", "details": { "所在地": "安徽省合肥市" } }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let (_, d) = grad
        .get_json(&format!("/api/destinations/{}", b["id"].as_str().unwrap()))
        .await;
    let details: Value = serde_json::from_str(d["details"].as_str().unwrap()).unwrap();
    assert_eq!(details, json!({ "所在地": "安徽省合肥市" }));
}

async fn upload(c: &Client, idem: &str, body: Form) -> (u16, String, String) {
    let csrf = c.csrf.clone().unwrap();
    let r = c
        .http
        .post(format!(
            "{}/destinations/new?_csrf={csrf}&_idem={idem}",
            c.base
        ))
        .multipart(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

#[tokio::test]
async fn the_page_keeps_the_street_and_shows_a_missing_county_under_its_select() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    // The region is among 升学's fields (the third step, after category and sub-category).
    let page = grad
        .get("/destinations/new?category=80&subcategory=全日制")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"place_province\"") && page.contains("regions.js"));
    assert!(
        page.contains("id=\"detail-place\" name=\"detail_place\""),
        "{page}"
    );
    let form = |county: &str| {
        Form::new()
            .text("category_code", "80")
            .text("subcategory", "全日制")
            .text("unit_name", "江淮大学研究生院")
            .text("detail_major", "数学")
            .text("place_province", "340000")
            .text("place_city", "340100")
            .text("place_county", county.to_string())
            .text("place_street", "望江西路 800 号")
            .part("proof_1", Part::bytes(png_bytes()).file_name("offer.png"))
    };
    let (s, _, page) = upload(&grad, "dr-1", form("")).await;
    assert_eq!(s, 422, "{page}");
    let select = &page[page.find("id=\"place_county\"").unwrap()..];
    let near = &select[..select.find("<label").unwrap()];
    assert!(
        near.contains("id=\"place_county-error\">所在地（省市区县）：请选择省、市和区县"),
        "{near}"
    );
    assert!(
        page.contains("value=\"望江西路 800 号\""),
        "the street is kept"
    );
    assert!(page.contains("<option value=\"340100\" selected>合肥市</option>"));
    assert!(page.contains("<option value=\"340104\">蜀山区</option>"));
    let (_, list) = grad.get_json("/api/destinations").await;
    assert_eq!(list["meta"]["total"], 0, "nothing registered: {list}");

    let (s, location, page) = upload(&grad, "dr-2", form("340104")).await;
    assert_eq!(s, 303, "{page}");
    let page = grad.get(&location).await.text().await.unwrap();
    assert!(page.contains("安徽省合肥市蜀山区望江西路 800 号"), "{page}");
}

#[tokio::test]
async fn the_api_schema_describes_the_destination_region() {
    let app = TestApp::spawn_empty().await;
    let (s, doc) = app.client().get_json("/api/openapi.json").await;
    assert_eq!(s, 200);
    let schemas = &doc["components"]["schemas"];
    let register = &schemas["RegisterDestination"]["properties"]["place_region"];
    assert!(register.to_string().contains("RegionAddress"), "{register}");
    let form = &schemas["DestinationForm"]["properties"];
    for f in [
        "place_province",
        "place_city",
        "place_county",
        "place_street",
    ] {
        assert!(form.get(f).is_some(), "{f} in {form}");
    }
}
