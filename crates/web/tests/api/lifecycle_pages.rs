//! The lifecycle through the Chinese pages, as a person using a browser without scripts would
//! go through it: forms, multipart uploads, redirects, one-time keys and kept input.

use reqwest::multipart::{Form, Part};
use serde_json::json;

use std::sync::LazyLock;

use crate::helpers::{png_bytes, start_cohort, Client, TestApp};
use crate::lifecycle::{accept, effective_agreement, graduate, invite, reviewer_of, Grad};

async fn text(c: &Client, path: &str) -> (u16, String) {
    let r = c.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts a page form; answers the status, the redirect target and the page.
async fn form(c: &Client, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let csrf = c.csrf.clone().unwrap();
    let mut all: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
    all.extend_from_slice(fields);
    let r = c.post_form(path, &all).await;
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

/// Posts a multipart page form (the CSRF token and the one-time key ride in the query).
async fn upload(c: &Client, path: &str, idem: &str, body: Form) -> (u16, String, String) {
    let csrf = c.csrf.clone().unwrap();
    let r = c
        .http
        .post(format!("{}{path}?_csrf={csrf}&_idem={idem}", c.base))
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

/// 20 July of the summer the suite's cohort graduates.
static REPORT_DEADLINE: LazyLock<String> = LazyLock::new(|| format!("{}-07-20", start_cohort()));

static TERMS: LazyLock<[(&str, &str); 13]> = LazyLock::new(|| {
    [
        ("position_category", "工程技术人员"),
        ("position", "嵌入式工程师"),
        ("probation_months", "3"),
        ("probation_salary_yuan", "7000"),
        ("regular_salary_yuan", "9000"),
        ("breach_penalty_yuan", "3000"),
        ("report_place", "合肥市高新区望江西路 800 号"),
        ("report_deadline", REPORT_DEADLINE.as_str()),
        ("work_location", "安徽省合肥市蜀山区"),
        ("contact_name", "李主管"),
        ("contact_phone", "0551-62223333"),
        ("archive_receiver", "合肥市人才服务中心"),
        ("agreed_terms", "签订三年劳动合同。"),
    ]
});

async fn state_of(c: &Client, id: &str) -> String {
    let (_, d) = c.get_json(&format!("/api/agreements/{id}")).await;
    d["state"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn an_employer_finds_a_graduate_and_invites_from_the_signing_desk() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let hr = app.login_as("hr1").await;
    let (s, page) = text(&hr, "/employer/signing").await;
    assert_eq!(s, 200);
    assert!(page.contains("签约发送列表（共 0 人）"), "{page}");
    let year = g.year.to_string();

    // A wrong ID number finds nobody and keeps what was typed.
    let (s, _, page) = form(
        &hr,
        "/employer/signing/find",
        &[
            ("school", "江淮大学"),
            ("graduation_year", &year),
            ("name", &g.name),
            ("phone_or_id_number", "110105194912310021"),
        ],
    )
    .await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("role=\"alert\""), "{page}");
    assert!(page.contains(&format!("value=\"{}\"", g.name)));

    let (s, _, page) = form(
        &hr,
        "/employer/signing/find",
        &[
            ("school", "江淮大学"),
            ("graduation_year", &year),
            ("name", &g.name),
            ("phone_or_id_number", &g.id_number),
        ],
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("已加入签约发送列表"), "{page}");
    assert!(page.contains("签约发送列表（共 1 人）"));
    assert!(
        !page.contains(&g.id_number),
        "the full ID number never reaches the employer's page"
    );

    // A salary in words comes back with the message and everything typed kept.
    let tick = format!("g_{}", g.id);
    let idem = "desk-test-1";
    let mut fields: Vec<(&str, &str)> = TERMS.to_vec();
    fields.push((&tick, "1"));
    fields.push(("_idem", idem));
    let mut wrong = fields.clone();
    wrong.retain(|(k, _)| *k != "regular_salary_yuan");
    wrong.push(("regular_salary_yuan", "九千"));
    let (s, _, page) = form(&hr, "/employer/signing/send", &wrong).await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("转正起薪：应填写不带小数的数字"), "{page}");
    assert!(page.contains("value=\"嵌入式工程师\""));
    assert!(page.contains(&format!("name=\"{tick}\" value=\"1\"")));

    // Sent once; the same form sent again (a double click) changes nothing more.
    let (s, _, page) = form(&hr, "/employer/signing/send", &fields).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("发送成功 1 人"), "{page}");
    let (s, _, again) = form(&hr, "/employer/signing/send", &fields).await;
    assert_eq!(s, 200);
    assert!(again.contains("发送成功 1 人"), "{again}");
    let (_, list) = hr.get_json("/api/agreements").await;
    assert_eq!(list["meta"]["total"], 1, "{list}");
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(state_of(&hr, &id).await, "invited");

    // The graduate sees the offer as typed and the employer may change it before an answer.
    let grad = app.login_as(&g.id_number).await;
    let (_, page) = text(&grad, &format!("/agreements/{id}")).await;
    assert!(
        page.contains("嵌入式工程师") && page.contains("9000"),
        "{page}"
    );
    let (_, page) = text(&hr, &format!("/agreements/{id}")).await;
    assert!(page.contains("修改邀约内容"), "{page}");
    let (s, page) = text(
        &hr,
        &format!("/agreements/{id}/terms?action=edit_invitation"),
    )
    .await;
    assert_eq!(s, 200);
    assert!(page.contains("value=\"嵌入式工程师\""), "prefilled: {page}");
    let version = {
        let (_, d) = hr.get_json(&format!("/api/agreements/{id}")).await;
        d["version"].to_string()
    };
    let mut edit: Vec<(&str, &str)> = TERMS.to_vec();
    edit.retain(|(k, _)| *k != "position");
    edit.extend([
        ("position", "硬件工程师"),
        ("action", "edit_invitation"),
        ("version", &version),
        ("_idem", "desk-test-2"),
    ]);
    let (s, location, _) = form(&hr, &format!("/agreements/{id}/terms"), &edit).await;
    assert_eq!(s, 303);
    assert_eq!(location, format!("/agreements/{id}?notice=invited"));
    let (_, page) = text(&grad, &format!("/agreements/{id}")).await;
    assert!(page.contains("硬件工程师"), "{page}");
    // The same form again with a new key carries a stale version and is refused.
    edit.retain(|(k, _)| *k != "_idem");
    edit.push(("_idem", "desk-test-3"));
    let (s, _, page) = form(&hr, &format!("/agreements/{id}/terms"), &edit).await;
    assert!(s == 409 || s == 422, "{s}: {page}");
}

#[tokio::test]
async fn the_send_list_template_downloads_with_its_four_columns() {
    let app = TestApp::spawn().await;
    let hr = app.login_as("hr1").await;
    let r = hr.get("/api/send-list/template?format=csv").await;
    assert_eq!(r.status().as_u16(), 200);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains("send-list-template.csv"),
        "{disposition}"
    );
    let body = r.text().await.unwrap();
    assert!(
        body.trim_start_matches('\u{feff}')
            .starts_with("毕业学校,毕业年度,学生姓名,学生身份证号"),
        "{body}"
    );
    let r = hr.get("/api/send-list/template").await;
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX file");
}

#[tokio::test]
async fn a_graduate_asks_to_terminate_on_the_page_with_the_stamped_letter() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, grad, _, _, id) = effective_agreement(&app, &g).await;
    let (_, page) = text(&grad, &format!("/agreements/{id}")).await;
    assert!(page.contains("申请解约"), "{page}");
    // Without the letter the request is refused and nothing changes.
    let body = Form::new()
        .text("reason", "考取研究生")
        .text("acknowledged", "true");
    let (s, _, page) = upload(&grad, &format!("/agreements/{id}/termination"), "t-1", body).await;
    assert!((400..500).contains(&s), "{s}");
    assert!(page.contains("解约"), "{page}");
    assert_eq!(state_of(&grad, &id).await, "effective");
    let with_letter = || {
        Form::new()
            .text("reason", "考取研究生")
            .text("acknowledged", "true")
            .part("proof", Part::bytes(png_bytes()).file_name("letter.png"))
    };
    let (s, location, _) = upload(
        &grad,
        &format!("/agreements/{id}/termination"),
        "t-2",
        with_letter(),
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(
        location,
        format!("/agreements/{id}?notice=termination_requested")
    );
    // The same submission again (a double click) applies once.
    let (s, _, _) = upload(
        &grad,
        &format!("/agreements/{id}/termination"),
        "t-2",
        with_letter(),
    )
    .await;
    assert_eq!(s, 303);
    let (_, t) = grad.get_json(&format!("/api/agreements/{id}/trail")).await;
    let requests = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "request_termination")
        .count();
    assert_eq!(requests, 1);
    // The employer agrees from its page.
    let (_, page) = text(&employer, &format!("/agreements/{id}")).await;
    assert!(page.contains("同意解约"), "{page}");
    let (s, _, _) = form(
        &employer,
        &format!("/agreements/{id}/act"),
        &[("action", "agree_termination"), ("_idem", "t-3")],
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(state_of(&grad, &id).await, "termination_review");
}

#[tokio::test]
async fn an_employer_amends_effective_terms_on_the_page_and_the_school_re_reviews() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, grad, _, admin, id) = effective_agreement(&app, &g).await;
    let (_, d) = grad.get_json(&format!("/api/agreements/{id}")).await;
    let number = d["number"].as_str().unwrap().to_string();
    let version = d["version"].to_string();
    let (s, page) = text(
        &employer,
        &format!("/agreements/{id}/terms?action=propose_amendment"),
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("修改说明"));
    let mut fields: Vec<(&str, &str)> = TERMS.to_vec();
    fields.extend([
        ("action", "propose_amendment"),
        ("version", &version),
        ("reason", "调整转正薪资"),
        ("_idem", "a-1"),
    ]);
    let (s, _, page) = form(&employer, &format!("/agreements/{id}/terms"), &fields).await;
    assert_eq!(s, 303, "{page}");
    let (_, page) = text(&grad, &format!("/agreements/{id}")).await;
    assert!(
        page.contains("拟修改为") && page.contains("嵌入式工程师"),
        "{page}"
    );
    let (s, _, _) = form(
        &grad,
        &format!("/agreements/{id}/act"),
        &[("action", "confirm_amendment"), ("_idem", "a-2")],
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(state_of(&grad, &id).await, "amendment_review");
    let (s, _, _) = form(
        &admin,
        &format!("/agreements/{id}/act"),
        &[("action", "approve_signing"), ("_idem", "a-3")],
    )
    .await;
    assert_eq!(s, 303);
    let (_, d) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(d["state"], "effective");
    assert_eq!(d["number"], number.as_str(), "the number stays");
    assert_eq!(d["terms"]["position"], "嵌入式工程师");
}

fn paper_fields(id: &str, version: &str) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = TERMS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in [
        ("employer_name", "芜湖示例制造有限公司"),
        ("employer_credit_code", "91440101MA5CJQ4N59"),
        ("employer_unit_nature_code", "39"),
        ("employer_industry_code", "22"),
        ("employer_location", "安徽省芜湖市鸠江区"),
        ("employer_address", "鸠江区示例路 8 号"),
        ("employer_postcode", "241000"),
        ("id", id),
        ("version", version),
    ] {
        f.push((k.to_string(), v.to_string()));
    }
    f
}

#[tokio::test]
async fn a_graduate_drafts_a_paper_agreement_on_the_page_and_uploads_the_signed_scan() {
    let app = TestApp::spawn().await;
    let g: Grad = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let (s, page) = text(&grad, "/paper/new").await;
    assert_eq!(s, 200);
    assert!(page.contains("统一社会信用代码"));
    // A wrong credit code keeps the form filled in.
    let mut f = paper_fields("", "");
    f.iter_mut()
        .find(|(k, _)| k == "employer_credit_code")
        .unwrap()
        .1 = "91440101MA5CJQ4N58".into();
    let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (s, _, page) = form(&grad, "/paper/new", &fields).await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("统一社会信用代码不正确"), "{page}");
    assert!(page.contains("value=\"芜湖示例制造有限公司\""));

    let f = paper_fields("", "");
    let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (s, location, _) = form(&grad, "/paper/new", &fields).await;
    assert_eq!(s, 303);
    let id = location
        .trim_start_matches("/agreements/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (_, page) = text(&grad, &format!("/agreements/{id}")).await;
    assert!(page.contains("草稿") && page.contains("修改草稿"), "{page}");
    let (s, page) = text(&grad, &format!("/paper/{id}/edit")).await;
    assert_eq!(s, 200);
    assert!(page.contains("value=\"91440101MA5CJQ4N59\""), "{page}");

    // Generating is final: without the second confirmation nothing happens.
    let (s, _, page) = form(
        &grad,
        &format!("/agreements/{id}/act"),
        &[("action", "submit_paper"), ("_idem", "p-0")],
    )
    .await;
    assert_eq!(s, 422, "{page}");
    assert_eq!(state_of(&grad, &id).await, "draft");
    let (s, _, _) = form(
        &grad,
        &format!("/agreements/{id}/act"),
        &[
            ("action", "submit_paper"),
            ("confirm", "1"),
            ("_idem", "p-1"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let (s, _, _) = form(
        &reviewer,
        &format!("/agreements/{id}/act"),
        &[("action", "approve_signing"), ("_idem", "p-2")],
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(state_of(&grad, &id).await, "awaiting_feedback");
    let (_, page) = text(&grad, &format!("/agreements/{id}")).await;
    assert!(page.contains("上传签字盖章后的协议书"), "{page}");
    let body = Form::new().part("scan", Part::bytes(png_bytes()).file_name("scan.png"));
    let (s, _, _) = upload(&grad, &format!("/agreements/{id}/signed-scan"), "p-3", body).await;
    assert_eq!(s, 303);
    assert_eq!(state_of(&grad, &id).await, "feedback_review");
}

#[tokio::test]
async fn a_graduate_registers_a_destination_on_the_page_and_the_school_approves_it() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let admin = app.login_as("admin19101").await;
    let (s, page) = text(&grad, "/destinations/new").await;
    assert_eq!(s, 200);
    assert!(page.contains("升学") && !page.contains("签就业协议形式就业</option>"));
    let body = Form::new()
        .text("category_code", "80")
        .text("subcategory", "全日制")
        .text("unit_name", "江淮大学研究生院")
        .text("detail_major", "计算机科学与技术")
        .text("detail_place", "安徽省合肥市")
        .part("proof_1", Part::bytes(png_bytes()).file_name("offer.png"));
    let (s, location, page) = upload(&grad, "/destinations/new", "d-1", body).await;
    assert_eq!(s, 303, "{page}");
    let id = location
        .trim_start_matches("/destinations/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (_, page) = text(&grad, &format!("/destinations/{id}")).await;
    assert!(
        page.contains("待审核") && page.contains("安徽省合肥市"),
        "{page}"
    );
    assert_eq!(
        page.matches("class=\"upload-thumb\"").count(),
        1,
        "the proof as a thumbnail"
    );
    // The graduate cannot sign while the destination holds the one outcome.
    let (_, list) = text(&admin, "/destinations").await;
    assert!(list.contains(&g.name), "{list}");
    let (_, d) = admin.get_json(&format!("/api/destinations/{id}")).await;
    let version = d["version"].to_string();
    let (s, _, page) = form(
        &admin,
        &format!("/destinations/{id}/act"),
        &[
            ("action", "reject"),
            ("version", &version),
            ("_idem", "d-2"),
        ],
    )
    .await;
    assert!(
        (400..500).contains(&s),
        "a rejection needs a reason: {page}"
    );
    let (s, _, _) = form(
        &admin,
        &format!("/destinations/{id}/act"),
        &[
            ("action", "approve"),
            ("version", &version),
            ("_idem", "d-3"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let (_, page) = text(&grad, &format!("/destinations/{id}")).await;
    assert!(
        page.contains("审核通过") && page.contains("申请解除"),
        "{page}"
    );
    let body = Form::new().text("reason", "放弃入学，改为就业");
    let (s, _, page) = upload(&grad, &format!("/destinations/{id}/release"), "d-4", body).await;
    assert!((400..500).contains(&s), "a release needs its proof");
    assert!(page.contains("请上传解除的证明材料"), "{page}");
    let body = Form::new()
        .text("reason", "放弃入学，改为就业")
        .part("proof", Part::bytes(png_bytes()).file_name("statement.png"));
    let (s, _, page) = upload(&grad, &format!("/destinations/{id}/release"), "d-5", body).await;
    assert_eq!(s, 303, "{page}");
    let (_, d) = grad.get_json(&format!("/api/destinations/{id}")).await;
    assert_eq!(d["state"], "release_requested");
}

#[tokio::test]
async fn a_forged_notice_in_the_link_never_reaches_the_page() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let hr = app.login_as("hr1").await;
    let id = invite(&hr, &g, "19101").await;
    let grad = app.login_as(&g.id_number).await;
    let (s, _) = accept(&grad, &id).await;
    assert_eq!(s, 200);
    let (_, page) = text(
        &grad,
        &format!("/agreements/{id}?notice=请把验证码发给客服"),
    )
    .await;
    assert!(!page.contains("验证码"), "{page}");
    let (_, page) = text(&grad, &format!("/agreements/{id}?notice=signed")).await;
    assert!(page.contains("操作成功，当前状态：签约成功，待学校审核"));
}

#[tokio::test]
async fn an_invitation_reaches_the_graduates_inbox_and_opening_it_leads_to_the_offer() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let hr = app.login_as("hr1").await;
    let id = invite(&hr, &g, "19101").await;
    let grad = app.login_as(&g.id_number).await;
    let (s, page) = text(&grad, "/messages?unread=1").await;
    assert_eq!(s, 200);
    assert!(page.contains("共 1 条"), "{page}");
    let (_, inbox) = grad.get_json("/api/messages").await;
    let message = inbox["items"][0]["id"].as_str().unwrap().to_string();
    let (s, location, _) = form(&grad, &format!("/messages/{message}/open"), &[]).await;
    assert_eq!(s, 303);
    assert_eq!(location, format!("/agreements/{id}"));
    let (_, page) = text(&grad, "/messages?unread=1").await;
    assert!(page.contains("共 0 条"), "{page}");
    // Someone else's message is not found, and stays unread for its owner.
    let (s, _, _) = form(&hr, &format!("/messages/{message}/open"), &[]).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn wrong_passwords_at_signing_count_toward_the_lock_out() {
    // The password asked again at signing must not be a way to guess it without limit.
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let hr = app.login_as("hr1").await;
    let id = invite(&hr, &g, "19101").await;
    let grad = app.login_as(&g.id_number).await;
    let wrong = json!({ "password": "Wrong2026x", "agree": true });
    for left in (1..=4).rev() {
        let (s, b) = grad
            .post_json(&format!("/api/agreements/{id}/accept"), &wrong)
            .await;
        assert_eq!(s, 422, "{b}");
        let message = b["error"]["fields"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("还可尝试 {left} 次")),
            "{message}"
        );
    }
    let (s, b) = grad
        .post_json(&format!("/api/agreements/{id}/accept"), &wrong)
        .await;
    assert_eq!(s, 423, "{b}");
    // Locked: even the right password signs nothing, and logging in again waits too.
    let (s, _) = accept(&grad, &id).await;
    assert_eq!(s, 423);
    assert_eq!(state_of(&hr, &id).await, "invited");
    let mut again = app.client();
    let (s, _) = again
        .login(&g.id_number, wangqian_store::demo::DEMO_PASSWORD)
        .await;
    assert_eq!(s, 423);
}

/// 全部发送: one offer to every graduate on the send list, not only the page's ticks; those
/// sent leave the list; an empty list says so next to the list.
#[tokio::test]
async fn an_offer_goes_to_the_whole_send_list_and_the_sent_leave_it() {
    let app = TestApp::spawn().await;
    let hr = app.login_as("hr1").await;
    for n in [0, 1] {
        let g = graduate(&app, n).await;
        let school = if n == 0 {
            "江淮大学"
        } else {
            "皖南理工学院"
        };
        let year = g.year.to_string();
        let (s, _, page) = form(
            &hr,
            "/employer/signing/find",
            &[
                ("school", school),
                ("graduation_year", &year),
                ("name", &g.name),
                ("phone_or_id_number", &g.id_number),
            ],
        )
        .await;
        assert_eq!(s, 200, "{page}");
    }
    let (_, page) = text(&hr, "/employer/signing").await;
    assert!(page.contains("签约发送列表（共 2 人）"), "{page}");
    assert!(page.contains("name=\"all_on_send_list\""));

    // Nothing ticked, the whole list chosen.
    let mut fields: Vec<(&str, &str)> = TERMS.to_vec();
    fields.push(("all_on_send_list", "1"));
    fields.push(("_idem", "send-all-1"));
    let (s, _, page) = form(&hr, "/employer/signing/send", &fields).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("共 2 人，发送成功 2 人"), "{page}");
    let (_, page) = text(&hr, "/employer/signing").await;
    assert!(page.contains("签约发送列表（共 0 人）"), "{page}");

    // Again, with the list empty: the answer says so and sends nothing.
    let (s, body) = hr
        .post_json(
            "/api/invitations",
            &serde_json::json!({ "all_on_send_list": true, "terms": crate::lifecycle::terms() }),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "graduate_ids");
    assert!(body["error"]["fields"][0]["message"]
        .as_str()
        .unwrap()
        .contains("签约发送列表中还没有毕业生"));
}
