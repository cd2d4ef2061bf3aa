//! Page forms as a person sees them after a mistake: every problem at once, each under its
//! field, with everything typed still there; and a page whose service refuses answers with the
//! status the API gives the same refusal, on an error page that still shows who is logged in.

use reqwest::multipart::Form;

use crate::helpers::{Client, TestApp};
use crate::lifecycle::{graduate, invite};

async fn text(c: &Client, path: &str) -> (u16, String) {
    let r = c.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn form(c: &Client, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let csrf = c.csrf.clone().unwrap();
    let mut all: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
    all.extend_from_slice(fields);
    let r = c.post_form(path, &all).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The message shown under the field with this id: what lies between the field and the next
/// field's label must hold its error line.
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

/// The value the input with this id shows.
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
async fn employer_registration_with_several_mistakes_shows_each_under_its_field_and_keeps_the_text()
{
    let app = TestApp::spawn().await;
    let school = app.school_id("19101").await;
    let industry = wangqian_domain::codes::INDUSTRY.entries[2].code;
    let size = wangqian_domain::codes::UNIT_SIZE.entries[1].code;
    let typed = [
        ("company_name", "合肥示例智能科技有限公司"),
        ("credit_code", "12345"),
        ("login_name", "shili_hr"),
        ("manager_name", "周经理"),
        ("phone", "1390000"),
        ("password", "Register2027"),
        ("password_confirm", "Register2027"),
        ("province", "安徽省"),
        ("city", "合肥市"),
        ("address", "高新区创新大道 100 号"),
        ("company_phone", "0551-63330000"),
        ("email", "hr-at-example"),
        ("postcode", "2300"),
        ("industry_code", industry),
        ("size_code", size),
        ("school_ids", &school),
    ];
    let mut body = Form::new();
    for (k, v) in typed {
        body = body.text(k, v.to_string());
    }
    // A licence that is not an image: refused for its kind, beside the other problems.
    body = body.part(
        "licence",
        reqwest::multipart::Part::bytes(b"not an image".to_vec()).file_name("licence.txt"),
    );
    let r = app
        .client()
        .http
        .post(format!("{}/register", app.base))
        .multipart(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let page = r.text().await.unwrap();
    // The status the API gives the same form: a file of the wrong kind is judged first.
    assert_eq!(status, 400, "{page}");
    // Every mistake at once, each under its own field.
    assert!(
        error_under(&page, "credit_code").contains("信用代码"),
        "{page}"
    );
    assert!(error_under(&page, "phone").contains("手机"), "{page}");
    assert!(!error_under(&page, "email").is_empty());
    assert!(
        error_under(&page, "postcode").contains("邮政编码"),
        "{page}"
    );
    assert!(error_under(&page, "authorisation_letter").contains("授权书"));
    assert_eq!(error_under(&page, "licence"), "营业执照文件类型不正确");
    assert!(page.contains("role=\"alert\""));
    // Everything typed is still there; files and passwords must be given again, and say so.
    for (k, v) in [
        ("company_name", "合肥示例智能科技有限公司"),
        ("credit_code", "12345"),
        ("login_name", "shili_hr"),
        ("manager_name", "周经理"),
        ("phone", "1390000"),
        ("province", "安徽省"),
        ("city", "合肥市"),
        ("address", "高新区创新大道 100 号"),
        ("company_phone", "0551-63330000"),
        ("email", "hr-at-example"),
        ("postcode", "2300"),
    ] {
        assert_eq!(value_of(&page, k), v, "{k} keeps what was typed");
    }
    assert!(page.contains(&format!("<option value=\"{industry}\" selected>")));
    assert!(page.contains(&format!("<option value=\"{size}\" selected>")));
    assert!(page.contains(&format!("value=\"{school}\" checked")));
    assert!(page.contains("请重新选择文件"));
    assert!(
        !page.contains("Register2027"),
        "a password never comes back"
    );
    assert!(error_under(&page, "password").contains("重新输入"));
}

const TERMS: [(&str, &str); 13] = [
    ("position_category", "工程技术人员"),
    ("position", "嵌入式工程师"),
    ("probation_months", "3"),
    ("probation_salary_yuan", "7000"),
    ("regular_salary_yuan", "9000"),
    ("breach_penalty_yuan", "3000"),
    ("report_place", "合肥市高新区望江西路 800 号"),
    ("report_deadline", "2027-07-20"),
    ("work_location", "安徽省合肥市蜀山区"),
    ("contact_name", "李主管"),
    ("contact_phone", "0551-62223333"),
    ("archive_receiver", "合肥市人才服务中心"),
    ("agreed_terms", "签订三年劳动合同。"),
];

fn with(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut f: Vec<(&str, &str)> = TERMS
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .copied()
        .collect();
    f.extend_from_slice(changes);
    f
}

#[tokio::test]
async fn an_invitation_with_several_wrong_terms_shows_them_all_at_once_with_the_values_kept() {
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
    let tick = format!("g_{}", g.id);

    // A salary in words, a phone in letters, no date, no position and too long a validity.
    let mut fields = with(&[
        ("position", ""),
        ("regular_salary_yuan", "九千"),
        ("contact_phone", "请打总机"),
        ("report_deadline", "七月底"),
        ("validity_days", "45"),
    ]);
    fields.push((&tick, "1"));
    fields.push(("_idem", "forms-1"));
    let (s, page) = form(&hr, "/employer/signing/send", &fields).await;
    assert_eq!(s, 422, "{page}");
    assert_eq!(
        error_under(&page, "regular_salary_yuan"),
        "转正起薪：应填写不带小数的数字"
    );
    assert!(error_under(&page, "position").contains("必填"), "{page}");
    assert!(error_under(&page, "contact_phone").contains("联系电话"));
    assert!(error_under(&page, "report_deadline").contains("报到期限"));
    assert!(error_under(&page, "validity_days").contains("1 至 30 天"));
    for v in [
        "九千",
        "请打总机",
        "七月底",
        "45",
        "合肥市高新区望江西路 800 号",
        "李主管",
    ] {
        assert!(page.contains(&format!("value=\"{v}\"")), "keeps {v}");
    }
    assert!(page.contains("签订三年劳动合同。"));
    assert!(page.contains(&format!("name=\"{tick}\" value=\"1\"")));

    // Numbers that read but content the service refuses, and nobody ticked: all in one answer.
    let mut fields = with(&[("position", ""), ("contact_phone", "请打总机")]);
    fields.push(("_idem", "forms-2"));
    let (s, page) = form(&hr, "/employer/signing/send", &fields).await;
    assert_eq!(s, 422, "{page}");
    assert!(error_under(&page, "position").contains("必填"), "{page}");
    assert!(error_under(&page, "contact_phone").contains("联系电话"));
    assert!(page.contains("请至少选择一名毕业生"), "{page}");
    assert!(page.contains("value=\"请打总机\""));
    let tag_at = page.find(&format!("name=\"{tick}\"")).unwrap();
    let tag = &page[tag_at..tag_at + page[tag_at..].find('>').unwrap()];
    assert!(!tag.contains("checked"), "left unticked as sent: {tag}");
    let (_, list) = hr.get_json("/api/agreements").await;
    assert_eq!(list["meta"]["total"], 0, "nothing was sent: {list}");
}

#[tokio::test]
async fn a_refused_page_answers_the_status_the_api_gives_with_the_user_bar() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let hr1 = app.login_as("hr1").await;
    let id = invite(&hr1, &g, "19101").await;

    // Another employer's agreement is not found, as in the API, and not an empty page.
    let hr2 = app.login_as("hr2").await;
    let (api_status, _) = hr2.get_json(&format!("/api/agreements/{id}")).await;
    let (s, page) = text(&hr2, &format!("/agreements/{id}")).await;
    assert_eq!(s, 404);
    assert_eq!(s, api_status);
    assert!(page.contains("不存在或无权访问"), "{page}");
    assert!(page.contains("退出"), "the user bar is shown: {page}");
    let (s, _) = text(
        &hr2,
        &format!("/agreements/{id}/terms?action=edit_invitation"),
    )
    .await;
    assert_eq!(s, 404);

    // A department reviewer on the administrator's pages is refused, not shown empty forms.
    let reviewer = crate::lifecycle::reviewer_of(&app, &g.department_id).await;
    for path in ["/school/settings", "/school/imports"] {
        let (s, page) = text(&reviewer, path).await;
        assert_eq!(s, 403, "{path}: {page}");
        assert!(page.contains("无权"), "{path}: {page}");
        assert!(page.contains("退出"), "{path}: the user bar is shown");
    }
    // A graduate has no roster to list.
    let grad = app.login_as(&g.id_number).await;
    let (s, page) = text(&grad, "/school/graduates").await;
    assert_eq!(s, 403, "{page}");
    // An import that does not exist is not found.
    let admin = app.login_as("admin19101").await;
    let (s, _) = text(&admin, "/school/imports/no-such-job").await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn wrong_settings_come_back_under_their_fields_as_typed() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let cohort = app.cohort().to_string();
    let (s, page) = form(
        &admin,
        "/school/settings",
        &[
            ("graduation_year", &cohort),
            ("signing_opens_on", "2026-10-01"),
            ("signing_closes_on", "明年六月"),
            ("review_levels", "two"),
            ("binding_moment", "on_attestation"),
            ("employer_may_request_termination", "true"),
            ("termination_not_before", "2026-09-01"),
            ("max_terminations", "3"),
            ("invitation_validity_days", "60"),
            ("employer_verification", "platform_sufficient"),
            ("agreement_copies", "3"),
        ],
    )
    .await;
    assert_eq!(s, 422, "{page}");
    assert!(error_under(&page, "signing_closes_on").contains("不是有效日期"));
    assert!(error_under(&page, "invitation_validity_days").contains("1至30天"));
    assert!(page.contains("value=\"明年六月\""), "{page}");
    assert!(page.contains("value=\"60\""));
    let (_, st) = admin.get_json(&format!("/api/settings/{cohort}")).await;
    assert_ne!(st["invitation_validity_days"], 60, "nothing saved");
}

async fn upload(c: &Client, path: &str, idem: &str, body: Form) -> (u16, String) {
    let csrf = c.csrf.clone().unwrap();
    let r = c
        .http
        .post(format!("{}{path}?_csrf={csrf}&_idem={idem}", c.base))
        .multipart(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn signing_with_a_wrong_password_shows_the_offer_again_with_the_message_under_the_box() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let hr = app.login_as("hr1").await;
    let id = invite(&hr, &g, "19101").await;
    let grad = app.login_as(&g.id_number).await;

    // Signing with a wrong password: the offer again, the message under the password box.
    let (s, page) = form(
        &grad,
        &format!("/agreements/{id}/accept"),
        &[
            ("agree", "1"),
            ("password", "Wrong2026x"),
            ("_idem", "pf-1"),
        ],
    )
    .await;
    assert_eq!(s, 422, "{page}");
    assert!(
        error_under(&page, "a-password").contains("密码不正确"),
        "{page}"
    );
    assert!(page.contains("现在签约"), "still the offer: {page}");
}

#[tokio::test]
async fn a_refused_termination_request_keeps_the_reason_and_the_tick() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (_, grad, _, _, effective) = crate::lifecycle::effective_agreement(&app, &g).await;
    let body = Form::new()
        .text("reason", "考取研究生，无法按期报到")
        .text("acknowledged", "true");
    let (s, page) = upload(
        &grad,
        &format!("/agreements/{effective}/termination"),
        "pf-2",
        body,
    )
    .await;
    assert_eq!(s, 422, "{page}");
    assert!(error_under(&page, "t-proof").contains("解约函"), "{page}");
    assert!(
        page.contains(">考取研究生，无法按期报到</textarea>"),
        "{page}"
    );
    assert!(page.contains("name=\"acknowledged\" value=\"true\" required checked"));
    assert!(page.contains("请重新选择文件"));
}

#[tokio::test]
async fn a_refused_destination_registration_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let grad = app.login_as(&g.id_number).await;
    let body = Form::new()
        .text("category_code", "80")
        .text("subcategory", "全日制硕士")
        .text("unit_name", "江淮大学研究生院")
        .text("detail_place", "安徽省合肥市");
    let (s, page) = upload(&grad, "/destinations/new", "pf-3", body).await;
    assert_eq!(s, 422, "{page}");
    assert!(
        error_under(&page, "subcategory").contains("具体类型"),
        "{page}"
    );
    assert!(
        error_under(&page, "detail_major").contains("录取专业"),
        "{page}"
    );
    assert_eq!(value_of(&page, "unit_name"), "江淮大学研究生院");
    assert_eq!(value_of(&page, "detail-place"), "安徽省合肥市");
    let (_, list) = grad.get_json("/api/destinations").await;
    assert_eq!(list["meta"]["total"], 0, "nothing registered: {list}");
}
