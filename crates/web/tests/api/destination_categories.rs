//! Other destinations by category (002 §2.5.1, 003 §3): each category's own required fields,
//! named all at once by the API and beside their fields on the page; the two-step choice of
//! category and sub-category; 暂存 (a draft that takes no outcome and only its graduate sees)
//! and 保存并送审; the termination answer card with its notice and 暂不处理.

use std::collections::BTreeSet;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{png_bytes, Client, TestApp};
use crate::lifecycle::{accept, effective_agreement, graduate, invite, reviewer_of, Grad};

async fn register(c: &Client, data: Value) -> (u16, Value) {
    c.post_multipart(
        "/api/destinations",
        Form::new()
            .text("data", data.to_string())
            .part("proof_1", Part::bytes(png_bytes()).file_name("offer.png")),
    )
    .await
}

fn error_fields(b: &Value) -> BTreeSet<String> {
    b["error"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no field errors: {b}"))
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn draft_path(g: &Grad) -> String {
    format!("/api/graduates/{}/destination-draft", g.id)
}

async fn text(c: &Client, path: &str) -> (u16, String) {
    let r = c.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts the registration page's multipart form; answers status, redirect and page.
async fn post_page(c: &Client, idem: &str, body: Form) -> (u16, String, String) {
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

/// The message under a field: between its control and the next label.
fn error_under(page: &str, field: &str) -> String {
    let start = page
        .find(&format!("id=\"{field}\""))
        .unwrap_or_else(|| panic!("no field {field} on the page"));
    let rest = &page[start..];
    let end = rest[1..].find("<label").map_or(rest.len(), |i| i + 1);
    let near = &rest[..end];
    let marker = format!("id=\"{field}-error\">");
    let at = near
        .find(&marker)
        .unwrap_or_else(|| panic!("no error under {field}: {near}"));
    let message = &near[at + marker.len()..];
    message[..message.find('<').unwrap()].to_string()
}

fn value_of(page: &str, field: &str) -> String {
    let start = page
        .find(&format!("id=\"{field}\""))
        .unwrap_or_else(|| panic!("no field {field} on the page"));
    let tag = &page[start..start + page[start..].find('>').unwrap()];
    let at = tag
        .find("value=\"")
        .unwrap_or_else(|| panic!("{field} shows no value: {tag}"));
    let v = &tag[at + 7..];
    v[..v.find('"').unwrap()].to_string()
}

#[tokio::test]
async fn each_category_names_all_its_missing_fields_at_once() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    for (code, expected) in [
        ("80", &["detail_major", "subcategory", "unit_name"][..]),
        ("85", &["detail_country", "subcategory", "unit_name"]),
        ("75", &["detail_credit_code", "unit_name"]),
        ("50", &["subcategory", "unit_name"]),
        ("51", &["unit_name"]),
        ("76", &["unit_name"]),
        ("70", &["subcategory"]),
        ("", &["category_code"]),
    ] {
        let (s, b) = register(&grad, json!({ "category_code": code })).await;
        assert_eq!(s, 422, "{code}: {b}");
        assert_eq!(error_fields(&b), set(expected), "{code}: {b}");
    }
    // Messages name the category's own words.
    let (_, b) = register(&grad, json!({ "category_code": "85" })).await;
    let body = b.to_string();
    assert!(
        body.contains("请填写国家（地区）") && body.contains("请填写院校/单位"),
        "{body}"
    );
    // A credit code with a wrong check character is refused on its field, with the rest.
    let (s, b) = register(
        &grad,
        json!({ "category_code": "75", "details": { "统一社会信用代码": "91440101MA5CJQ4N58" } }),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        error_fields(&b),
        set(&["detail_credit_code", "unit_name"]),
        "{b}"
    );
    assert!(b.to_string().contains("校验位"), "{b}");
    // A sub-category of another category is not this one's.
    let (s, b) = register(
        &grad,
        json!({ "category_code": "80", "subcategory": "出国出境学习", "unit_name": "江淮大学",
                "details": { "录取专业": "数学" } }),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(error_fields(&b), set(&["subcategory"]));
    let (_, list) = grad.get_json("/api/destinations").await;
    assert_eq!(list["meta"]["total"], 0, "nothing registered: {list}");

    // Complete: registered, the category's fields under their labels, the code normalised.
    let (s, b) = register(
        &grad,
        json!({ "category_code": "75", "unit_name": "合肥某某科技有限公司",
                "details": { "统一社会信用代码": "91440101ma5cjq4n59", "担任职务": "执行董事" } }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap();
    let (_, d) = grad.get_json(&format!("/api/destinations/{id}")).await;
    let details: Value = serde_json::from_str(d["details"].as_str().unwrap()).unwrap();
    assert_eq!(
        details["统一社会信用代码"], "91440101MA5CJQ4N59",
        "{details}"
    );
    assert_eq!(d["unit_name"], "合肥某某科技有限公司");
    // The record page shows them with the category's labels.
    let (_, page) = text(&grad, &format!("/destinations/{id}")).await;
    for shown in [
        "<th>公司名称</th><td>合肥某某科技有限公司</td>",
        "<th>统一社会信用代码</th><td>91440101MA5CJQ4N59</td>",
        "<th>担任职务</th><td>执行董事</td>",
    ] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
}

#[tokio::test]
async fn plain_multipart_fields_land_under_the_categorys_labels() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let (s, b) = grad
        .post_multipart(
            "/api/destinations",
            Form::new()
                .text("category_code", "85")
                .text("subcategory", "出国出境学习")
                .text("unit_name", "University of Toronto")
                .text("detail_country", "加拿大")
                .part("proof_1", Part::bytes(png_bytes()).file_name("offer.png")),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (_, d) = grad
        .get_json(&format!("/api/destinations/{}", b["id"].as_str().unwrap()))
        .await;
    let details: Value = serde_json::from_str(d["details"].as_str().unwrap()).unwrap();
    assert_eq!(details, json!({ "国家（地区）": "加拿大" }));
    assert_eq!(d["subcategory"], "出国出境学习");
}

#[tokio::test]
async fn the_page_chooses_category_then_sub_category_and_shows_each_error_beside_its_field() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    // Step 1: the categories (no agreement employment), as a plain GET form.
    let (s, page) = text(&grad, "/destinations/new").await;
    assert_eq!(s, 200);
    assert!(page.contains("<form method=\"get\" action=\"/destinations/new\""));
    assert!(
        page.contains("<option value=\"80\">升学</option>"),
        "{page}"
    );
    assert!(!page.contains("签就业协议形式就业</option>"));
    assert!(
        !page.contains("id=\"unit_name\""),
        "no fields before a category"
    );
    // Step 2: only the chosen category's sub-categories.
    let (_, page) = text(&grad, "/destinations/new?category=80").await;
    assert!(
        page.contains("<option value=\"全日制\">全日制</option>"),
        "{page}"
    );
    assert!(!page.contains("出国出境学习"), "{page}");
    assert!(!page.contains("id=\"unit_name\""));
    assert!(page.contains("name=\"from\" value=\"80\""));
    // The category changed in the same form: the old sub-category is dropped, not refused.
    let (s, page) = text(
        &grad,
        "/destinations/new?category=85&from=80&subcategory=全日制",
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("<option value=\"出国出境学习\">"), "{page}");
    assert!(!page.contains("id=\"unit_name\""), "{page}");
    // A category without sub-categories goes straight to its fields.
    let (_, page) = text(&grad, "/destinations/new?category=75").await;
    assert!(page.contains(">公司名称 *</label>"), "{page}");
    assert!(page.contains(">统一社会信用代码 *</label>"), "{page}");
    // Step 3: the category's own fields with their labels.
    let (_, page) = text(
        &grad,
        "/destinations/new?category=85&subcategory=出国出境学习",
    )
    .await;
    assert!(
        page.contains(">国家（地区） *</label>") && page.contains(">院校/单位 *</label>"),
        "{page}"
    );
    assert!(page.contains("<option value=\"出国出境学习\" selected>"));
    assert!(page.contains("value=\"submit\">保存并送审") && page.contains("value=\"draft\""));
    // A sub-category that is not the category's asks again.
    let (s, page) = text(
        &grad,
        "/destinations/new?category=80&subcategory=出国出境学习",
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        error_under(&page, "subcategory").contains("具体类型"),
        "{page}"
    );

    // Submitted incomplete: every error beside its field, what was typed kept.
    let body = Form::new()
        .text("intent", "submit")
        .text("category_code", "75")
        .text("unit_name", "合肥某某科技有限公司")
        .text("detail_credit_code", "12345")
        .text("detail_role", "执行董事");
    let (s, _, page) = post_page(&grad, "dc-1", body).await;
    assert_eq!(s, 422, "{page}");
    assert!(
        error_under(&page, "detail_credit_code").contains("18位"),
        "{page}"
    );
    assert_eq!(value_of(&page, "unit_name"), "合肥某某科技有限公司");
    assert_eq!(value_of(&page, "detail_credit_code"), "12345");
    assert_eq!(value_of(&page, "detail_role"), "执行董事");

    let body = Form::new()
        .text("intent", "submit")
        .text("category_code", "85")
        .text("subcategory", "出国出境工作")
        .text("detail_note", "已获工作签证");
    let (s, _, page) = post_page(&grad, "dc-2", body).await;
    assert_eq!(s, 422, "{page}");
    assert!(error_under(&page, "detail_country").contains("国家（地区）"));
    assert!(error_under(&page, "unit_name").contains("院校/单位"));
    assert_eq!(value_of(&page, "detail_note"), "已获工作签证");
    assert!(page.contains("<option value=\"出国出境工作\" selected>"));
    assert!(page.contains("请修改以下 2 处"), "{page}");
    let (_, list) = grad.get_json("/api/destinations").await;
    assert_eq!(list["meta"]["total"], 0, "nothing registered: {list}");
}

#[tokio::test]
async fn a_draft_takes_no_outcome_and_the_graduate_can_still_sign() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let draft = json!({ "draft": { "category_code": "80", "subcategory": "全日制", "unit_name": "江淮大学" } });
    let (s, b) = grad.put_json(&draft_path(&g), &draft).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["version"], 1);
    // Employers still find the graduate invitable, and the invitation can be accepted.
    let employer = app.login_as("hr1").await;
    let id = invite(&employer, &g, "19101").await;
    let (s, b) = accept(&grad, &id).await;
    assert_eq!(s, 200, "{b}");
    // Now the agreement holds the outcome: the draft cannot be submitted, and stays.
    let (s, b) = register(
        &grad,
        json!({ "category_code": "80", "subcategory": "全日制", "unit_name": "江淮大学",
                "details": { "录取专业": "数学" } }),
    )
    .await;
    assert_eq!(s, 409, "{b}");
    let (s, b) = grad.get_json(&draft_path(&g)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["draft"]["unit_name"], "江淮大学");
}

#[tokio::test]
async fn a_draft_is_saved_reopened_submitted_and_approved() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let (s, _) = grad.get_json(&draft_path(&g)).await;
    assert_eq!(s, 404, "no draft yet");
    // A draft may be incomplete, not wrong: every problem at once.
    let (s, b) = grad
        .put_json(
            &draft_path(&g),
            &json!({ "draft": { "category_code": "80", "subcategory": "博士后", "unit_name": "学".repeat(101) } }),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(error_fields(&b), set(&["subcategory", "unit_name"]));
    let (s, b) = grad
        .put_json(
            &draft_path(&g),
            &json!({ "draft": { "category_code": "80", "subcategory": "全日制", "unit_name": "江淮大学" } }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = grad
        .put_json(
            &draft_path(&g),
            &json!({ "version": 1, "draft": { "category_code": "80", "subcategory": "全日制",
                     "unit_name": "江淮大学", "details": { "录取专业": "数学" } } }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["version"], 2);
    let (s, b) = grad
        .put_json(
            &draft_path(&g),
            &json!({ "version": 1, "draft": { "category_code": "80" } }),
        )
        .await;
    assert_eq!(s, 409, "a stale version: {b}");
    // Nobody reviews a draft: the reviewer's queue is empty.
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let (_, list) = reviewer.get_json("/api/destinations").await;
    assert_eq!(list["meta"]["total"], 0, "{list}");
    // The page reopens it where it was left.
    let (_, page) = text(&grad, "/destinations").await;
    assert!(page.contains("暂存的登记（升学）"), "{page}");
    let (_, page) = text(&grad, "/destinations/new").await;
    assert_eq!(value_of(&page, "unit_name"), "江淮大学");
    assert_eq!(value_of(&page, "detail_major"), "数学");
    assert!(
        page.contains("<option value=\"全日制\" selected>"),
        "{page}"
    );
    // Submitted (保存并送审) from the draft's content: registered, the draft gone.
    let (_, d) = grad.get_json(&draft_path(&g)).await;
    let (s, b) = register(&grad, d["draft"].clone()).await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let (s, _) = grad.get_json(&draft_path(&g)).await;
    assert_eq!(s, 404, "the draft went with the registration");
    let (s, b) = reviewer
        .post_json(
            &format!("/api/destinations/{id}/review"),
            &json!({ "approve": true }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "审核通过");
}

#[tokio::test]
async fn the_page_saves_a_draft_then_submits_it_for_review() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    // 暂存 with the required fields still empty: kept, nothing registered.
    let body = Form::new()
        .text("intent", "draft")
        .text("category_code", "50")
        .text("subcategory", "三支一扶")
        .text("detail_service_unit", "某县人民医院");
    let (s, location, page) = post_page(&grad, "dd-1", body).await;
    assert_eq!(s, 303, "{page}");
    assert_eq!(location, "/destinations/new?notice=draft");
    let (_, page) = text(&grad, &location).await;
    assert!(page.contains("已暂存"), "{page}");
    assert_eq!(value_of(&page, "detail_service_unit"), "某县人民医院");
    assert!(page.contains("<option value=\"三支一扶\" selected>"));
    let version = value_of(&page, "draft_version");
    let (_, d) = grad.get_json(&draft_path(&g)).await;
    assert_eq!(d["draft"]["details"]["服务单位"], "某县人民医院", "{d}");
    let (_, list) = grad.get_json("/api/destinations").await;
    assert_eq!(list["meta"]["total"], 0);
    // 保存并送审 without the project name: the error beside it, the draft untouched.
    let body = Form::new()
        .text("intent", "submit")
        .text("draft_version", version.clone())
        .text("category_code", "50")
        .text("subcategory", "三支一扶")
        .text("detail_service_unit", "某县人民医院");
    let (s, _, page) = post_page(&grad, "dd-2", body).await;
    assert_eq!(s, 422, "{page}");
    assert!(
        error_under(&page, "unit_name").contains("项目名称"),
        "{page}"
    );
    assert_eq!(value_of(&page, "detail_service_unit"), "某县人民医院");
    // Complete: registered and waiting for review.
    let body = Form::new()
        .text("intent", "submit")
        .text("draft_version", version)
        .text("category_code", "50")
        .text("subcategory", "三支一扶")
        .text("unit_name", "2026 年三支一扶计划")
        .text("detail_service_unit", "某县人民医院")
        .part("proof_1", Part::bytes(png_bytes()).file_name("notice.png"));
    let (s, location, page) = post_page(&grad, "dd-3", body).await;
    assert_eq!(s, 303, "{page}");
    assert!(location.starts_with("/destinations/"), "{location}");
    let (_, page) = text(&grad, &location).await;
    assert!(page.contains("待审核"), "{page}");
    assert!(
        page.contains("<th>项目名称</th><td>2026 年三支一扶计划</td>")
            && page.contains("<th>服务单位</th><td>某县人民医院</td>"),
        "{page}"
    );
    let (s, _) = grad.get_json(&draft_path(&g)).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn nobody_but_the_graduate_reads_or_writes_their_draft() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let other = graduate(&app, 1).await;
    let grad = app.login_as(&g.id_number).await;
    let draft = json!({ "draft": { "category_code": "76", "unit_name": "自由撰稿" } });
    let (s, b) = grad.put_json(&draft_path(&g), &draft).await;
    assert_eq!(s, 200, "{b}");
    let path = draft_path(&g);
    // Another graduate: as if there were none.
    let c = app.login_as(&other.id_number).await;
    let (s, b) = c.get_json(&path).await;
    assert_eq!(s, 404, "{b}");
    let (s, _) = c
        .put_json(&path, &json!({ "draft": { "category_code": "80" } }))
        .await;
    assert_eq!(s, 404);
    let r = c
        .http
        .delete(format!("{}{path}", c.base))
        .header("x-csrf-token", c.csrf.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // Companies, reviewers, school and province administrators: refused.
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let mut staff = vec![reviewer];
    for login in ["hr1", "admin19101", "admin19102", "province"] {
        staff.push(app.login_as(login).await);
    }
    for c in &staff {
        let (s, b) = c.get_json(&path).await;
        assert_eq!(s, 403, "{b}");
        let (s, _) = c
            .put_json(&path, &json!({ "draft": { "category_code": "80" } }))
            .await;
        assert_eq!(s, 403);
    }
    let (s, b) = grad.get_json(&path).await;
    assert_eq!(s, 200);
    assert_eq!(b["draft"]["unit_name"], "自由撰稿", "untouched: {b}");
    // The graduate discards it.
    let r = grad
        .http
        .delete(format!("{}{path}", grad.base))
        .header("x-csrf-token", grad.csrf.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (s, _) = grad.get_json(&path).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn the_answer_to_an_employers_termination_shows_the_notice_a_confirmation_and_not_now() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, grad, _, _, id) = effective_agreement(&app, &g).await;
    let (s, b) = employer
        .post_multipart(
            &format!("/api/agreements/{id}/termination"),
            Form::new()
                .text("reason", "岗位调整，双方协商一致")
                .text("acknowledged", "true"),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, page) = text(&grad, &format!("/agreements/{id}")).await;
    let card = &page[page
        .find("id=\"termination-answer\"")
        .unwrap_or_else(|| panic!("no answer card: {page}"))..];
    let card = &card[..card.find("</div>").unwrap()];
    assert!(card.contains("用人单位申请解约"), "{card}");
    assert!(card.contains("岗位调整，双方协商一致"), "{card}");
    assert!(card.contains("签约结果随之解除"), "{card}");
    assert!(card.contains("最多 3 次，已使用 0 次"), "{card}");
    assert!(card.contains("data-confirm=\"确定同意解约吗"), "{card}");
    assert!(
        card.contains("id=\"not-now\" href=\"/agreements\">暂不处理</a>"),
        "{card}"
    );
    // Offered once, in the card, not again among the other buttons.
    assert_eq!(page.matches("value=\"agree_termination\"").count(), 1);
    // 暂不处理 leaves everything as it was.
    let (s, _) = text(&grad, "/agreements").await;
    assert_eq!(s, 200);
    let (_, d) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(d["state"], "termination_requested", "{d}");
    // Agreeing from the card goes to school review.
    let csrf = grad.csrf.clone().unwrap();
    let version = d["version"].as_i64().unwrap().to_string();
    let r = grad
        .post_form(
            &format!("/agreements/{id}/act"),
            &[
                ("_csrf", &csrf),
                ("action", "agree_termination"),
                ("version", &version),
                ("_idem", "ta-1"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, d) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(d["state"], "termination_review", "{d}");
    assert_eq!(d["max_terminations"], 3);
}
