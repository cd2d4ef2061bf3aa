//! Journeys at chosen dates, on the app's settable clock: a later cohort year, the turn of the
//! cohort on 1 September, and an invitation's 24:00 deadline. No time is written into the
//! database; the clock moves.

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use time::{Date, Duration};
use wangqian_domain::lifecycle::CHINA;
use wangqian_store::lifecycle::invitations::{expire_due, remind_due};

use crate::helpers::{start_cohort, wait_for_import, Client, TestApp};
use crate::lifecycle::{accept, act, graduate, reviewer_of, terms, Grad};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The China-time calendar day of an instant.
fn china_day(at_ms: i64) -> Date {
    time::OffsetDateTime::from_unix_timestamp(at_ms.div_euclid(1000))
        .unwrap()
        .to_offset(CHINA)
        .date()
}

/// A China-time wall-clock instant, as unix milliseconds.
fn china_ms(day: Date, hour: u8, minute: u8, second: u8) -> i64 {
    let at = day
        .with_hms(hour, minute, second)
        .unwrap()
        .assume_offset(CHINA);
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap()
}

/// A day as the pages write it, e.g. `2028年3月6日`.
fn chinese_day(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

async fn page(c: &Client, path: &str) -> String {
    let r = c.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

/// The employer searches the graduate of cohort `year` in school 19101.
async fn search(employer: &Client, g: &Grad, year: u16) -> Value {
    let (s, found) = employer
        .post_json(
            "/api/graduate-search",
            &json!({ "school": "19101", "graduation_year": year, "name": g.name, "phone_or_id_number": g.id_number }),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    found
}

/// Sends one invitation with `terms`; returns the agreement id.
async fn send(employer: &Client, g: &Grad, terms: &Value) -> String {
    let (s, sent) = employer
        .post_json(
            "/api/invitations",
            &json!({ "graduate_ids": [g.id], "terms": terms }),
        )
        .await;
    assert_eq!(s, 200, "{sent}");
    assert_eq!(sent["sent"], 1, "{sent}");
    sent["results"][0]["agreement_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Terms whose report deadline falls in the summer cohort `year` graduates.
fn terms_of(year: u16) -> Value {
    let mut t = terms();
    t["report_deadline"] = json!(format!("{year}-07-15"));
    t
}

#[tokio::test]
async fn a_journey_in_a_later_cohort_year_numbers_the_agreement_with_that_year() {
    // Spring, two cohorts after the suite's own: the demo, the settings and the number all
    // follow the clock.
    let later = start_cohort() + 2;
    let app = TestApp::spawn_at(&format!("{later}-03-01")).await;
    assert_eq!(app.cohort(), later);
    let g = graduate(&app, 0).await;
    assert_eq!(g.year, later, "the demo seeds the clock's cohort");
    let employer = app.login_as("hr1").await;
    let grad = app.login_as(&g.id_number).await;
    let reviewer = reviewer_of(&app, &g.department_id).await;
    let admin = app.login_as("admin19101").await;
    let (_, settings) = admin.get_json(&format!("/api/settings/{later}")).await;
    assert_eq!(settings["signing_opens_on"], format!("{}-09-01", later - 1));
    assert_eq!(settings["review_levels"], "two");

    let found = search(&employer, &g, later).await;
    assert_eq!(found["invitable"], true, "{found}");
    let id = send(&employer, &g, &terms_of(later)).await;
    let (s, b) = accept(&grad, &id).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "签约成功，待学校审核");
    let (s, b) = act(&reviewer, &id, "review", json!({ "approve": true })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "院系已审核（待学校审核）");
    let (s, b) = act(&admin, &id, "review", json!({ "approve": true })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "签约审核通过（已生效）");
    let number = b["number"].as_str().unwrap();
    assert_eq!(number.len(), 16, "{number}");
    assert!(number.starts_with(&format!("1{later}19101")), "{number}");
    // The agreement page is titled with the cohort.
    let html = page(&grad, &format!("/agreements/{id}")).await;
    assert!(
        html.contains(&format!("江淮大学 {later}届毕业生就业协议书")),
        "{html}"
    );
}

#[tokio::test]
async fn on_1_september_the_cohort_turns_and_the_next_cohorts_settings_apply() {
    let year = start_cohort() + 1;
    let next = year + 1;
    let eve = Date::from_calendar_date(i32::from(year), time::Month::August, 31).unwrap();
    let app = TestApp::spawn_at(&format!("{eve}T23:50:00+08:00")).await;
    assert_eq!(app.cohort(), year);
    let admin = app.login_as("admin19101").await;
    let hr = app.login_as("hr1").await;
    let html = page(&admin, "/school/settings").await;
    assert!(
        html.contains(&format!("网签开放设置（{year}届）")),
        "{html}"
    );
    let desk = page(&hr, "/employer/signing").await;
    assert!(
        desk.contains(&format!("name=\"graduation_year\" value=\"{year}\"")),
        "{desk}"
    );

    // Ahead of the turn, the school prepares the next cohort: one review level, and its roster.
    let settings = format!("/api/settings/{next}");
    let (_, mut s) = admin.get_json(&settings).await;
    assert_eq!(s["signing_opens_on"], format!("{year}-09-01"));
    s["review_levels"] = json!("one");
    // Its roster needs no 生源审核 (imported records are approved at once).
    s["roster_review"] = json!(false);
    let (status, b) = admin.put_json(&settings, &s).await;
    assert_eq!(status, 200, "{b}");
    let csv = format!(
        "学号,姓名,性别,民族,政治面貌,身份证号,学历,培养方式,院系,专业,班级,学制,生源所在地,手机号码,电子邮箱,家庭地址,毕业年度\n\
         {}191010001,林晓,女,汉族,共青团员,11010519491231002X,本科生毕业,非定向,计算机科学与技术学院,计算机科学与技术,,4,安徽省合肥市蜀山区,13355665660,linxiao@qq.com,合肥市长江西路1号,{next}\n",
        next - 4
    );
    let (status, job) = admin
        .post_multipart(
            "/api/roster-imports",
            Form::new().part("file", Part::bytes(csv.into_bytes()).file_name("next.csv")),
        )
        .await;
    assert_eq!(status, 202, "{job}");
    let job = wait_for_import(&admin, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let school_id = app.school_id("19101").await;
    let password = wangqian_store::demo::DEMO_PASSWORD;
    let (status, b) = app
        .client()
        .post_json(
            "/api/graduates/bind",
            &json!({ "school_id": school_id, "name": "林晓", "student_no": format!("{}191010001", next - 4),
                     "id_number": "11010519491231002X", "password": password, "password_confirm": password }),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let mut g = Grad {
        id: String::new(),
        name: "林晓".into(),
        id_number: "11010519491231002X".into(),
        department_id: String::new(),
        year: next,
    };

    // 23:59:59 on 31 August: the next cohort's signing has not opened.
    app.hold_at(china_ms(eve, 23, 59, 59));
    let found = search(&hr, &g, next).await;
    g.id = found["graduate_id"].as_str().unwrap().to_string();
    assert_eq!(found["invitable"], false, "{found}");
    assert!(
        found["reasons"][0]
            .as_str()
            .unwrap()
            .contains("网签开放时间内"),
        "{found}"
    );
    // 00:00 on 1 September: the cohort turns, for the clerk and for the employer.
    app.set_ms(china_ms(eve.next_day().unwrap(), 0, 0, 0));
    app.release();
    assert_eq!(app.cohort(), next);
    let html = page(&admin, "/school/settings").await;
    assert!(
        html.contains(&format!("网签开放设置（{next}届）")),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"one\" selected>"),
        "the prepared setting is in force: {html}"
    );
    let desk = page(&hr, "/employer/signing").await;
    assert!(
        desk.contains(&format!("name=\"graduation_year\" value=\"{next}\"")),
        "{desk}"
    );
    let found = search(&hr, &g, next).await;
    assert_eq!(found["invitable"], true, "{found}");
    let id = send(&hr, &g, &terms_of(next)).await;
    let grad = app.login_as(&g.id_number).await;
    let (s, b) = accept(&grad, &id).await;
    assert_eq!(s, 200, "{b}");
    // One review level: the school reviews at once and the number carries the new cohort.
    let (_, todo) = admin.get_json("/api/todo-counts").await;
    assert_eq!(todo["signing"], 1, "{todo}");
    let (s, b) = act(&admin, &id, "review", json!({ "approve": true })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["state_label"], "签约审核通过（已生效）");
    let number = b["number"].as_str().unwrap();
    assert!(number.starts_with(&format!("1{next}19101")), "{number}");
}

#[tokio::test]
async fn an_invitation_is_open_until_24_00_of_its_last_day_with_a_reminder_the_day_before() {
    let app = TestApp::spawn().await;
    let store = &app.state.store;
    // Sent at 10:00 tomorrow (China time) with the default five days: the last day is the
    // fifth day after, and the invitation expires at its 24:00.
    let sent = china_day(app.now()).next_day().unwrap();
    app.set_ms(china_ms(sent, 10, 0, 0));
    let last = sent + Duration::days(5);
    let deadline = china_ms(last.next_day().unwrap(), 0, 0, 0);
    let a = graduate(&app, 0).await;
    let b = graduate(&app, 1).await;
    let hr = app.login_as("hr1").await;
    let ids = {
        let mut ids = Vec::new();
        for (g, school) in [(&a, "19101"), (&b, "19102")] {
            let (s, found) = hr
                .post_json("/api/graduate-search", &json!({ "school": school, "graduation_year": g.year, "name": g.name, "phone_or_id_number": g.id_number }))
                .await;
            assert_eq!(s, 200, "{found}");
            ids.push(send(&hr, g, &terms()).await);
        }
        ids
    };
    let when = format!("{} 24:00", chinese_day(last));
    let grad_a = app.login_as(&a.id_number).await;
    let html = page(&grad_a, &format!("/agreements/{}", ids[0])).await;
    assert!(html.contains(&format!("请于 {when} 前处理")), "{html}");

    // A minute before the last day begins nothing is due; a minute into it, both are reminded.
    app.set_ms(deadline - DAY_MS - 60_000);
    assert_eq!(
        remind_due(store, 100).await.unwrap(),
        0,
        "more than a day left"
    );
    app.set_ms(deadline - DAY_MS + 60_000);
    assert_eq!(remind_due(store, 100).await.unwrap(), 2);
    assert_eq!(remind_due(store, 100).await.unwrap(), 0, "once");
    let grad_a = app.login_as(&a.id_number).await;
    let (_, inbox) = grad_a.get_json("/api/messages").await;
    let reminder = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["title"].as_str().unwrap().starts_with("邀约即将过期"))
        .expect("a reminder in the inbox")
        .clone();
    assert!(
        reminder["body"].as_str().unwrap().contains(&when),
        "{reminder}"
    );

    // 23:59:59 of the last day: still open, and the first graduate signs.
    app.set_ms(deadline - 10 * 60 * 1000);
    let grad_a = app.login_as(&a.id_number).await;
    let grad_b = app.login_as(&b.id_number).await;
    app.hold_at(deadline - 1000);
    let (_, d) = grad_b
        .get_json(&format!("/api/agreements/{}", ids[1]))
        .await;
    assert_eq!(d["state_label"], "单位发起邀约", "{d}");
    let (s, r) = accept(&grad_a, &ids[0]).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["state_label"], "签约成功，待学校审核");
    // 24:00: the other invitation has expired and cannot be accepted.
    app.set_ms(deadline);
    let (_, d) = grad_b
        .get_json(&format!("/api/agreements/{}", ids[1]))
        .await;
    assert_eq!(d["state_label"], "已过期", "{d}");
    let (s, r) = accept(&grad_b, &ids[1]).await;
    assert_eq!(s, 409, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("过反馈有效期"),
        "{r}"
    );
    app.release();
    assert_eq!(
        expire_due(store, 10).await.unwrap(),
        1,
        "only the unanswered one"
    );
}
