//! No dead ends for the graduate and the employer (issue 11): an invitation to a graduate who
//! signed elsewhere is sent and shows 只能查看 with the reason until a termination; a wrong
//! password returns to the letter with the tick kept; 拒绝 asks first and keeps its reason; the
//! 预览 answers the letter and writes nothing; every refusal names its reason.

use serde_json::{json, Value};
use wangqian_domain::lifecycle::{ANSWER_HELD_AGREEMENT, ANSWER_HELD_DESTINATION};
use wangqian_store::lifecycle::invitations::NOT_ON_SEND_LIST;

use crate::helpers::{Client, TestApp};
use crate::lifecycle::{accept, act, effective_agreement, graduate, invite, terms, Grad};

async fn search(employer: &Client, g: &Grad, school: &str) -> Value {
    let (s, found) = employer
        .post_json(
            "/api/graduate-search",
            &json!({ "school": school, "graduation_year": g.year, "name": g.name, "phone_or_id_number": g.id_number }),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    found
}

async fn send(employer: &Client, g: &Grad) -> Value {
    let (s, sent) = employer
        .post_json(
            "/api/invitations",
            &json!({ "graduate_ids": [g.id], "terms": terms() }),
        )
        .await;
    assert_eq!(s, 200, "{sent}");
    sent
}

async fn preview(employer: &Client, body: &Value) -> (u16, Value) {
    employer.post_json("/api/invitations/preview", body).await
}

async fn page(c: &Client, path: &str) -> (u16, String) {
    let r = c.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

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

/// Rows of the tables an invitation writes, to show that a preview writes none.
async fn written(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "agreements",
        "agreement_versions",
        "flow_events",
        "messages",
        "send_list",
        "idempotency_keys",
        "graduate_outcomes",
    ] {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(app.state.store.reader())
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
        counts.push(n);
    }
    counts
}

fn message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn an_invitation_to_a_signed_graduate_is_sent_view_only_and_accepted_after_termination() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (_, grad, _, admin, signed) = effective_agreement(&app, &g).await;

    // Another employer finds the signed graduate and may invite them (SPEC §5, 003 §4).
    let other = app.login_as("hr2").await;
    let found = search(&other, &g, "江淮大学").await;
    assert_eq!(found["invitable"], true, "{found}");
    assert_eq!(found["on_send_list"], true, "{found}");
    let sent = send(&other, &g).await;
    assert_eq!(sent["sent"], 1, "{sent}");
    let told = sent["results"][0]["message"].as_str().unwrap();
    assert!(
        told.starts_with("已发送") && told.contains("解约后才能接受"),
        "{told}"
    );
    let id = sent["results"][0]["agreement_id"]
        .as_str()
        .unwrap()
        .to_string();

    // The graduate sees it, view-only with the reason: no answer offered, on the letter page
    // and in the list.
    let (s, detail) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(s, 200, "{detail}");
    assert_eq!(detail["state"], "invited");
    assert_eq!(detail["actions"], json!([]), "{detail}");
    assert_eq!(detail["view_only"], ANSWER_HELD_AGREEMENT);
    assert!(detail["letter"]["offer"]
        .as_str()
        .unwrap()
        .starts_with("我单位拟录用（聘用）你为 后端工程师 岗位员工，请于"));
    let (s, html) = page(&grad, &format!("/agreements/{id}")).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("只能查看") && html.contains(ANSWER_HELD_AGREEMENT),
        "{html}"
    );
    assert!(
        !html.contains("现在签约"),
        "no button that leads to a refusal"
    );
    assert!(!html.contains("value=\"reject\""), "{html}");
    let (_, list) = grad.get_json("/api/agreements").await;
    let row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap();
    assert_eq!(row["view_only"], ANSWER_HELD_AGREEMENT, "{row}");
    let signed_row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == signed.as_str())
        .unwrap();
    assert_eq!(signed_row["view_only"], Value::Null);
    let (_, html) = page(&grad, "/agreements").await;
    assert!(
        html.contains(&format!("只能查看：{ANSWER_HELD_AGREEMENT}")),
        "{html}"
    );

    // Accepting is refused with the reason, before any password is checked (a wrong one
    // answers the same refusal, not a password error); rejecting too.
    let (s, b) = accept(&grad, &id).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(message(&b), ANSWER_HELD_AGREEMENT);
    let (s, b) = act(
        &grad,
        &id,
        "accept",
        json!({ "password": "not-mine", "agree": true }),
    )
    .await;
    assert_eq!(s, 409, "{b}");
    let (failed,): (i64,) = sqlx::query_as(
        "SELECT failed_logins FROM accounts WHERE role = 'graduate' AND graduate_id = $1",
    )
    .bind(g.id.clone())
    .fetch_one(app.state.store.reader())
    .await
    .unwrap();
    assert_eq!(failed, 0, "no password attempt spent on a refused answer");
    let (s, b) = act(&grad, &id, "reject", json!({})).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(message(&b), ANSWER_HELD_AGREEMENT);

    // After the termination, the same letter is answered and signed.
    let (s, b) = act(
        &admin,
        &signed,
        "force-termination",
        json!({ "reason": "信息有误，学校强制解约" }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (_, detail) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(detail["view_only"], Value::Null, "{detail}");
    let acts: Vec<&str> = detail["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(acts, ["accept", "reject"]);
    let (_, html) = page(&grad, &format!("/agreements/{id}")).await;
    assert!(html.contains("现在签约") && !html.contains("只能查看"));
    // Signed with a key; the same request again (a double click) answers the same, not the
    // refusal a second acceptance would meet.
    for _ in 0..2 {
        let r = grad
            .http
            .post(format!("{}/api/agreements/{id}/accept", grad.base))
            .header("x-csrf-token", grad.csrf.clone().unwrap())
            .header("idempotency-key", "accept-after-termination")
            .json(&json!({ "password": wangqian_store::demo::DEMO_PASSWORD, "agree": true }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["state"], "signed", "{b}");
    }
}

#[tokio::test]
async fn a_graduate_with_another_destination_reads_the_invitation_only() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let employer = app.login_as("hr1").await;
    let id = invite(&employer, &g, "19101").await;
    // A destination registered meanwhile holds the outcome.
    let data = json!({ "category_code": "80", "subcategory": "全日制", "unit_name": "江淮大学研究生院", "details": { "录取专业": "计算机科学与技术" } });
    let form = reqwest::multipart::Form::new()
        .text("data", data.to_string())
        .part(
            "proof_1",
            reqwest::multipart::Part::bytes(crate::helpers::png_bytes()).file_name("offer.png"),
        );
    let (s, b) = grad.post_multipart("/api/destinations", form).await;
    assert_eq!(s, 201, "{b}");
    let (_, detail) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(detail["view_only"], ANSWER_HELD_DESTINATION, "{detail}");
    let (s, b) = accept(&grad, &id).await;
    assert_eq!(s, 409);
    assert_eq!(message(&b), ANSWER_HELD_DESTINATION);
}

#[tokio::test]
async fn a_wrong_password_returns_to_the_letter_with_the_tick_kept() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let employer = app.login_as("hr1").await;
    let id = invite(&employer, &g, "19101").await;
    let grad = app.login_as(&g.id_number).await;
    let (s, html) = page(&grad, &format!("/agreements/{id}")).await;
    assert_eq!(s, 200);
    // The letter as 002 writes it, with the 签约须知 and 签约前必读.
    assert!(html.contains("同学，你好！"), "{html}");
    assert!(html.contains("24时之前反馈，办理网签手续。过期不反馈视为主动放弃。"));
    assert!(html.contains("签约须知") && html.contains("本协议解除"));
    assert!(html.contains("签约成功后不能再与其他单位签约"));
    assert!(!html
        .contains("id=\"a-agree\" type=\"checkbox\" name=\"agree\" value=\"1\" required checked"));

    let (s, _, html) = form(
        &grad,
        &format!("/agreements/{id}/accept"),
        &[
            ("agree", "1"),
            ("password", "Wrong2026x"),
            ("_idem", "de-1"),
        ],
    )
    .await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("id=\"a-password-error\""), "{html}");
    assert!(html.contains("密码不正确"), "{html}");
    assert!(
        html.contains(
            "id=\"a-agree\" type=\"checkbox\" name=\"agree\" value=\"1\" required checked"
        ),
        "the tick is kept: {html}"
    );
    assert!(html.contains("现在签约") && html.contains("同学，你好！"));

    // Without the tick and with a wrong password, both problems show at once.
    let (s, _, html) = form(
        &grad,
        &format!("/agreements/{id}/accept"),
        &[("password", "Wrong2026x"), ("_idem", "de-2")],
    )
    .await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("id=\"a-agree-error\"") && html.contains("id=\"a-password-error\""));
    assert!(!html.contains("required checked"));
}

#[tokio::test]
async fn rejecting_asks_first_and_the_reason_is_kept_in_the_trail() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let employer = app.login_as("hr1").await;
    let id = invite(&employer, &g, "19101").await;
    let grad = app.login_as(&g.id_number).await;
    let (_, html) = page(&grad, &format!("/agreements/{id}")).await;
    let start = html.find("value=\"reject\"").expect("a reject form");
    let form_start = html[..start].rfind("<form").unwrap();
    let form_end = start + html[start..].find("</form>").unwrap();
    let reject = &html[form_start..form_end];
    assert!(
        reject.contains("data-confirm=\"确定要拒绝邀约吗？"),
        "{reject}"
    );
    assert!(
        reject.contains("id=\"reason-reject\" name=\"reason\""),
        "{reject}"
    );
    assert!(
        !reject.contains("required"),
        "the reason is optional: {reject}"
    );

    const WHY: &str = "已接受升学录取，感谢贵单位";
    let (s, location, body) = form(
        &grad,
        &format!("/agreements/{id}/act"),
        &[("action", "reject"), ("reason", WHY), ("_idem", "de-3")],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    assert!(location.ends_with("notice=rejected"), "{location}");
    let (_, trail) = employer
        .get_json(&format!("/api/agreements/{id}/trail"))
        .await;
    let last = trail["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "reject");
    assert_eq!(last["remark"], WHY);
    let (_, html) = page(&employer, &format!("/agreements/{id}")).await;
    assert!(html.contains(WHY), "the employer reads it in the trail");
}

#[tokio::test]
async fn the_preview_writes_nothing_and_answers_the_letter() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let employer = app.login_as("hr1").await;
    search(&employer, &g, "19101").await;
    let body = json!({ "graduate_ids": [g.id], "terms": terms(), "validity_days": 5 });
    let before = written(&app).await;
    let (s, p) = preview(&employer, &body).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(written(&app).await, before, "a preview writes nothing");
    assert_eq!(p["invitable"], 1);
    assert_eq!(p["graduates"][0]["ok"], true);
    assert_eq!(p["graduates"][0]["name"], g.name.as_str());
    assert_eq!(p["letter"]["greeting"], format!("{}同学，你好！", g.name));
    let offer = p["letter"]["offer"].as_str().unwrap();
    assert!(
        offer.starts_with("我单位拟录用（聘用）你为 后端工程师 岗位员工，请于")
            && offer.contains("24时之前反馈"),
        "{offer}"
    );
    let text = p["letter_text"].as_str().unwrap();
    assert!(text.contains("签约须知：\n一、"), "{text}");
    assert_eq!(p["letter"]["employer_name"], "合肥星辰软件有限公司");
    // A bad term is refused field by field, exactly as the send refuses it.
    let mut bad = terms();
    bad["position"] = json!("");
    let (s, b) = preview(&employer, &json!({ "graduate_ids": [g.id], "terms": bad })).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "terms.position");
    assert_eq!(written(&app).await, before);

    // The send afterwards writes, and its letter is the one previewed.
    let id = send(&employer, &g).await["results"][0]["agreement_id"]
        .as_str()
        .unwrap()
        .to_string();
    let grad = app.login_as(&g.id_number).await;
    let (_, detail) = grad.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(detail["letter"]["offer"], p["letter"]["offer"]);
    assert_eq!(detail["letter"]["lines"], p["letter"]["lines"]);
}

#[tokio::test]
async fn the_desk_previews_then_sends_and_goes_back_with_everything_typed() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let hr = app.login_as("hr1").await;
    search(&hr, &g, "19101").await;
    let tick = format!("g_{}", g.id);
    let t = terms();
    let deadline = t["report_deadline"].as_str().unwrap().to_string();
    let fields: Vec<(&str, &str)> = vec![
        ("position_category", "工程技术人员"),
        ("position", "嵌入式工程师"),
        ("probation_months", "3"),
        ("probation_salary_yuan", "8000"),
        ("regular_salary_yuan", "9000"),
        ("breach_penalty_yuan", "5000"),
        ("report_place", "合肥市高新区创新大道 1 号"),
        ("report_deadline", &deadline),
        ("work_location", "安徽省合肥市蜀山区"),
        ("contact_name", "王经理"),
        ("contact_phone", "0551-65551234"),
        ("agreed_terms", "签订三年劳动合同。"),
        (&tick, "1"),
        ("_idem", "desk-preview-1"),
    ];
    let (_, html) = page(&hr, "/employer/signing").await;
    assert!(
        html.contains("action=\"/employer/signing/preview\""),
        "{html}"
    );
    assert!(html.contains("预览邀请函"));

    let before = written(&app).await;
    let (s, _, html) = form(&hr, "/employer/signing/preview", &fields).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(written(&app).await, before);
    assert!(
        html.contains("我单位拟录用（聘用）你为 嵌入式工程师 岗位员工，请于"),
        "{html}"
    );
    assert!(html.contains("签约须知") && html.contains("确认发送") && html.contains("返回修改"));
    assert!(
        html.contains(&format!("name=\"{tick}\" value=\"1\"")),
        "{html}"
    );
    assert!(html.contains("name=\"position\" value=\"嵌入式工程师\""));

    // 返回修改: the desk with everything typed.
    let (s, _, html) = form(&hr, "/employer/signing/back", &fields).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("value=\"嵌入式工程师\""), "{html}");
    assert!(html.contains(&format!("name=\"{tick}\" value=\"1\" aria-label=")));
    assert_eq!(written(&app).await, before);

    // 确认发送 from the preview's form sends once.
    let (s, _, html) = form(&hr, "/employer/signing/send", &fields).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("发送成功 1 人"), "{html}");

    // A preview nobody can receive comes back to the desk with the reason, typed text kept.
    let (s, _, html) = form(&hr, "/employer/signing/preview", &fields).await;
    assert_eq!(s, 409, "{html}");
    assert!(html.contains("签约发送列表中"), "{html}");
    assert!(html.contains("value=\"嵌入式工程师\""));
}

#[tokio::test]
async fn preview_and_invite_refusals_name_the_real_reason() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let b = graduate(&app, 1).await;
    let employer = app.login_as("hr1").await;
    let body = |g: &Grad| json!({ "graduate_ids": [g.id], "terms": terms() });

    // Not on the send list: said so, never "不存在或无权访问".
    let (s, p) = preview(&employer, &body(&g)).await;
    assert_eq!(s, 409, "{p}");
    assert_eq!(message(&p), NOT_ON_SEND_LIST);
    let sent = send(&employer, &g).await;
    assert_eq!(sent["results"][0]["message"], NOT_ON_SEND_LIST);

    // A 定向 graduate: the school corrects the training mode after the employer listed them
    // (the roster re-import that writes it is another desk's; the fixture writes its code).
    assert_eq!(search(&employer, &g, "19101").await["on_send_list"], true);
    sqlx::query("UPDATE graduates SET training_mode_code = '2' WHERE id = $1")
        .bind(g.id.clone())
        .execute(app.state.store.writer())
        .await
        .unwrap();
    let found = search(&employer, &g, "19101").await;
    assert_eq!(found["invitable"], false);
    assert!(found["reasons"][0].as_str().unwrap().contains("定向或委培"));
    let (s, p) = preview(&employer, &body(&g)).await;
    assert_eq!(s, 409, "{p}");
    assert!(message(&p).contains("定向或委培"), "{p}");
    let sent = send(&employer, &g).await;
    assert_eq!(sent["sent"], 0);
    assert!(
        sent["results"][0]["message"]
            .as_str()
            .unwrap()
            .contains("定向或委培"),
        "{sent}"
    );

    // Signing locked by the school: its reason.
    assert_eq!(search(&employer, &b, "19102").await["on_send_list"], true);
    let admin = app.login_as("admin19102").await;
    let (s, l) = admin
        .put_json(
            &format!("/api/graduates/{}/signing-lock", b.id),
            &json!({ "locked": true, "reason": "档案材料待补齐" }),
        )
        .await;
    assert_eq!(s, 200, "{l}");
    let (s, p) = preview(&employer, &body(&b)).await;
    assert_eq!(s, 409, "{p}");
    assert!(
        message(&p).contains("暂停") && message(&p).contains("档案材料待补齐"),
        "{p}"
    );
    // Both at once: each graduate named with their reason.
    let (s, p) = preview(
        &employer,
        &json!({ "graduate_ids": [g.id, b.id], "terms": terms() }),
    )
    .await;
    assert_eq!(s, 409, "{p}");
    let m = message(&p);
    assert!(
        m.contains(&format!("{}：", g.name)) && m.contains("定向") && m.contains("档案材料待补齐"),
        "{m}"
    );
    // The whole send list: the same answers, per graduate.
    let (s, sent) = employer
        .post_json(
            "/api/invitations",
            &json!({ "all_on_send_list": true, "terms": terms() }),
        )
        .await;
    assert_eq!(s, 200, "{sent}");
    assert_eq!(sent["sent"], 0, "{sent}");
    for r in sent["results"].as_array().unwrap() {
        let m = r["message"].as_str().unwrap();
        assert!(!m.contains("不存在或无权访问"), "{m}");
        assert!(m.contains("定向") || m.contains("档案材料待补齐"), "{m}");
    }
}

#[tokio::test]
async fn only_the_employer_whose_send_list_it_is_may_preview() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let hr1 = app.login_as("hr1").await;
    search(&hr1, &g, "19101").await;
    let body = json!({ "graduate_ids": [g.id], "terms": terms() });
    let (s, p) = preview(&hr1, &body).await;
    assert_eq!(s, 200, "{p}");

    let grad = app.login_as(&g.id_number).await;
    let reviewer = crate::lifecycle::reviewer_of(&app, &g.department_id).await;
    let admin = app.login_as("admin19101").await;
    let province = app.login_as("province").await;
    for (who, c) in [
        ("graduate", &grad),
        ("reviewer", &reviewer),
        ("school", &admin),
        ("province", &province),
    ] {
        let (s, b) = preview(c, &body).await;
        assert_eq!(s, 403, "{who}: {b}");
    }
    // Another employer: the graduate is not on its list, and nothing about them is told.
    let hr2 = app.login_as("hr2").await;
    let (s, b) = preview(&hr2, &body).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(message(&b), NOT_ON_SEND_LIST);
    assert!(!b.to_string().contains(&g.name), "{b}");
    // Without a session.
    let (s, _) = app
        .client()
        .post_json("/api/invitations/preview", &body)
        .await;
    assert_eq!(s, 401);
    // The employer's own page for the desk is not for others either.
    let (s, _, _) = form(&grad, "/employer/signing/preview", &[("position", "x")]).await;
    assert_eq!(s, 403);
}
