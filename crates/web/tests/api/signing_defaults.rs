//! 签约信息确认 (002 §2.1.1): an employer's signing defaults — saved with every problem at once,
//! read back, asked for on the home page of a verified company, pre-filled into the invitation
//! form — the structured 档案/户口 blocks in offers, older free-text offers still shown, and no
//! other role reaching the defaults.

use serde_json::{json, Value};

use crate::helpers::{Client, TestApp};
use crate::lifecycle::{graduate, invite, terms};

const PATH: &str = "/api/employer/signing-defaults";

fn defaults() -> Value {
    json!({
        "unit_nature_code": "39",
        "location": "安徽省合肥市蜀山区",
        "archive": {
            "mode": "forward_to_talent_centre",
            "unit_name": "合肥市人才服务中心",
            "address": "合肥市蜀山区长江西路 1 号",
            "postcode": "230031",
            "contact_name": "李老师",
            "contact_phone": "0551-62220000"
        },
        "household": { "kind": "move_to_employer_city", "address": "合肥市蜀山区集体户" }
    })
}

async fn page(c: &Client, path: &str) -> (u16, String) {
    let r = c.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post_page(c: &Client, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let csrf = c.csrf.clone().unwrap();
    let mut all: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
    all.extend_from_slice(fields);
    let r = c.post_form(path, &all).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn defaults_are_saved_with_every_problem_at_once_and_read_back() {
    let app = TestApp::spawn().await;
    let hr = app.login_as("hr1").await;
    let (s, none) = hr.get_json(PATH).await;
    assert_eq!((s, &none), (200, &json!({ "defaults": null })));

    // Forwarding without where to, moving in without an address, no unit nature: all at once.
    let (s, bad) = hr
        .put_json(
            PATH,
            &json!({
                "unit_nature_code": "00",
                "location": "",
                "archive": { "mode": "forward_to_employer", "postcode": "2300" },
                "household": { "kind": "move_to_employer_city" }
            }),
        )
        .await;
    assert_eq!(s, 422, "{bad}");
    let fields: Vec<&str> = bad["error"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("{bad}"))
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "unit_nature_code",
            "location",
            "archive_unit_name",
            "archive_address",
            "archive_postcode",
            "archive_contact_name",
            "archive_contact_phone",
            "household_address"
        ],
        "{bad}"
    );
    assert!(bad.to_string().contains("档案转递地址：必填"), "{bad}");
    let (s, bad) = hr
        .put_json(PATH, &json!({ "archive": { "mode": "by_pigeon" } }))
        .await;
    assert_eq!(s, 400, "an unknown choice is refused: {bad}");

    let (s, saved) = hr.put_json(PATH, &defaults()).await;
    assert_eq!(s, 200, "{saved}");
    assert_eq!(saved["archive"]["mode"], "forward_to_talent_centre");
    let (s, read) = hr.get_json(PATH).await;
    assert_eq!(s, 200);
    assert_eq!(read["defaults"], saved);

    // Not forwarding: the address block is not needed, and a leftover one is dropped.
    let mut keep = defaults();
    keep["archive"]["mode"] = json!("keep_at_school");
    keep["household"] = json!({ "kind": "not_moved", "address": "多余" });
    let (s, saved) = hr.put_json(PATH, &keep).await;
    assert_eq!(s, 200, "{saved}");
    assert_eq!(saved["archive"]["address"], "");
    assert_eq!(saved["household"]["address"], "");
}

#[tokio::test]
async fn only_the_employers_members_reach_the_defaults() {
    let app = TestApp::spawn().await;
    let hr = app.login_as("hr1").await;
    assert_eq!(hr.put_json(PATH, &defaults()).await.0, 200);
    // Another company reads its own (none), not hr1's.
    let other = app.login_as("hr2").await;
    assert_eq!(other.get_json(PATH).await.1, json!({ "defaults": null }));
    let graduate_login = app.demo_graduate_login(0);
    for login in [
        "admin19101",
        "province",
        "rev19101a",
        graduate_login.as_str(),
    ] {
        let c = app.login_as(login).await;
        assert_eq!(c.get_json(PATH).await.0, 403, "{login} reads");
        assert_eq!(c.put_json(PATH, &defaults()).await.0, 403, "{login} writes");
        assert_eq!(
            page(&c, "/employer/signing-defaults").await.0,
            403,
            "{login} opens the page"
        );
    }
    let anonymous = app.client();
    assert_eq!(anonymous.get_json(PATH).await.0, 401);
}

#[tokio::test]
async fn the_home_page_asks_a_verified_company_and_the_page_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let hr = app.login_as("hr1").await;
    let (s, home) = page(&hr, "/").await;
    assert_eq!(s, 200);
    assert!(home.contains("请先确认签约信息"), "{home}");
    assert!(home.contains("/employer/signing-defaults"));
    // A company still under review is not asked yet.
    let pending = app.login_as("hr4").await;
    assert!(!page(&pending, "/").await.1.contains("请先确认签约信息"));

    let (s, form) = page(&hr, "/employer/signing-defaults").await;
    assert_eq!(s, 200);
    assert!(form.contains("签约信息确认") && form.contains("转寄人才服务机构"));
    // Forwarding without an address or postcode: both errors, beside their fields, typed kept.
    let (s, back) = post_page(
        &hr,
        "/employer/signing-defaults",
        &[
            ("unit_nature_code", "39"),
            ("location", "安徽省合肥市蜀山区"),
            ("archive_mode", "forward_to_employer"),
            ("archive_unit_name", "合肥星辰软件有限公司人事部"),
            ("archive_contact_name", "王经理"),
            ("archive_contact_phone", "0551-65551234"),
            ("household_kind", "move_to_employer_city"),
        ],
    )
    .await;
    assert_eq!(s, 422, "{back}");
    assert!(back.contains("archive_address-error"), "{back}");
    assert!(back.contains("archive_postcode-error"), "{back}");
    assert!(back.contains("household_address-error"), "{back}");
    assert!(
        back.contains("合肥星辰软件有限公司人事部"),
        "typed value kept"
    );
    assert!(back.contains(r#"value="forward_to_employer" selected"#));

    let r = hr
        .post_form(
            "/employer/signing-defaults",
            &[
                ("_csrf", hr.csrf.clone().unwrap().as_str()),
                ("unit_nature_code", "39"),
                ("location", "安徽省合肥市蜀山区"),
                ("archive_mode", "forward_to_employer"),
                ("archive_unit_name", "合肥星辰软件有限公司人事部"),
                ("archive_address", "合肥市高新区创新大道 1 号"),
                ("archive_postcode", "230088"),
                ("archive_contact_name", "王经理"),
                ("archive_contact_phone", "0551-65551234"),
                ("household_kind", "move_to_employer_city"),
                ("household_address", "合肥市高新区集体户"),
            ],
        )
        .await;
    assert!(
        r.status().is_redirection() || r.status().is_success(),
        "{}",
        r.status()
    );
    let (_, read) = hr.get_json(PATH).await;
    assert_eq!(read["defaults"]["archive"]["postcode"], "230088", "{read}");
    assert!(!page(&hr, "/").await.1.contains("请先确认签约信息"));
}

#[tokio::test]
async fn the_invitation_form_starts_from_the_defaults_and_offers_carry_the_blocks() {
    let app = TestApp::spawn().await;
    let hr = app.login_as("hr1").await;
    assert_eq!(hr.put_json(PATH, &defaults()).await.0, 200);
    let (s, desk) = page(&hr, "/employer/signing").await;
    assert_eq!(s, 200);
    assert!(
        desk.contains(r#"value="forward_to_talent_centre" selected"#),
        "{desk}"
    );
    assert!(desk.contains(r#"value="合肥市蜀山区长江西路 1 号""#));
    assert!(desk.contains(r#"value="230031""#));
    assert!(desk.contains(r#"value="move_to_employer_city" selected"#));
    assert!(desk.contains("合肥市蜀山区集体户"));

    // The API's invitation still takes explicit terms, here with the structured blocks.
    let g = graduate(&app, 0).await;
    let (s, found) = hr
        .post_json(
            "/api/graduate-search",
            &json!({ "school": "19101", "graduation_year": g.year, "name": g.name, "phone_or_id_number": g.id_number }),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    let mut t = terms();
    t["archive"] = defaults()["archive"].clone();
    t["household"] = json!({ "kind": "move_to_employer_city" });
    let (s, sent) = hr
        .post_json(
            "/api/invitations",
            &json!({ "graduate_ids": [g.id], "terms": t }),
        )
        .await;
    assert_eq!(s, 422, "moving in without an address: {sent}");
    assert!(sent.to_string().contains("household_address"), "{sent}");
    t["household"]["address"] = json!("合肥市蜀山区集体户");
    let (s, sent) = hr
        .post_json(
            "/api/invitations",
            &json!({ "graduate_ids": [g.id], "terms": t }),
        )
        .await;
    assert_eq!(s, 200, "{sent}");
    let id = sent["results"][0]["agreement_id"].as_str().unwrap();
    let (s, a) = hr.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(s, 200, "{a}");
    let text = a.to_string();
    assert!(
        text.contains("转寄人才服务机构：合肥市人才服务中心"),
        "the summary is written for pages and PDFs: {a}"
    );
    assert!(text.contains("迁入单位所在地：合肥市蜀山区集体户"), "{a}");
    let (s, shown) = page(&hr, &format!("/agreements/{id}")).await;
    assert_eq!(s, 200);
    assert!(shown.contains("转寄人才服务机构：合肥市人才服务中心"));
}

#[tokio::test]
async fn an_offer_with_free_text_archive_and_household_still_displays() {
    let app = TestApp::spawn().await;
    let hr = app.login_as("hr1").await;
    let g = graduate(&app, 0).await;
    let id = invite(&hr, &g, "19101").await;
    let (s, a) = hr.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(s, 200);
    let text = a.to_string();
    assert!(text.contains("合肥市人才服务中心") && text.contains("合肥市集体户口"));
    assert!(
        !text.contains("\"archive\":"),
        "no structured block invented: {a}"
    );
    let (s, shown) = page(&hr, &format!("/agreements/{id}")).await;
    assert_eq!(s, 200);
    assert!(shown.contains("合肥市人才服务中心") && shown.contains("合肥市集体户口"));
    let grad = app.login_as(&g.id_number).await;
    let (s, shown) = page(&grad, &format!("/agreements/{id}")).await;
    assert_eq!(s, 200);
    assert!(shown.contains("合肥市集体户口"));
}
