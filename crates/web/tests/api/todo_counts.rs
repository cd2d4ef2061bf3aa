//! Home-page to-do counts for every role: each count is a link, and the list it opens holds
//! exactly that many rows (issue 11, "Home pages with to-do counts for every role").

use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::accounts::{bind_body, unbound_graduate};
use crate::helpers::{png_bytes, Client, TestApp};
use crate::lifecycle::{effective_agreement, graduate, invite, reviewer_of, Grad};

/// The home page's to-do cards: (id, link, number shown).
async fn cards(c: &Client) -> Vec<(String, String, i64)> {
    let page = c.get("/").await.text().await.unwrap();
    let mut out = Vec::new();
    for part in page.split("<a class=\"card\" id=\"todo-").skip(1) {
        let id = part.split('"').next().unwrap().to_string();
        let href = part
            .split("href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let n = part
            .split("<div class=\"stat\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        out.push((id, href, n));
    }
    assert!(!out.is_empty(), "no to-do cards on the home page: {page}");
    out
}

/// Follows every card's link and checks the list holds as many rows as the card says.
async fn links_match(who: &str, c: &Client) -> Vec<(String, i64)> {
    let mut seen = Vec::new();
    for (id, href, n) in cards(c).await {
        let page = c.get(&href).await.text().await.unwrap();
        if id == "messages" {
            assert!(page.contains("消息"), "{who}: {href}");
        } else if id == "roster" {
            assert!(page.contains(&format!("共 {n} 人")), "{who} {id}: {href}");
        } else {
            assert!(
                page.contains("id=\"todo-filter\""),
                "{who} {id}: {href} is not the to-do list"
            );
            let rows = i64::try_from(page.matches("data-label=\"学号\"").count()).unwrap();
            assert_eq!(
                rows, n,
                "{who} {id}: {href} shows {rows} rows, the home page {n}"
            );
            assert!(page.contains(&format!("共 {n} 条")), "{who} {id}");
        }
        seen.push((id, n));
    }
    seen
}

fn count(seen: &[(String, i64)], id: &str) -> i64 {
    seen.iter()
        .find(|(i, _)| i == id)
        .unwrap_or_else(|| panic!("no {id} card in {seen:?}"))
        .1
}

#[tokio::test]
async fn every_roles_counts_link_to_lists_of_exactly_those_records() {
    let app = TestApp::spawn().await;
    // g0: an effective agreement whose company asks to terminate: the graduate's 解约待办.
    let g0 = graduate(&app, 0).await;
    let (hr1, grad0, _rev, admin, id) = effective_agreement(&app, &g0).await;
    let (s, b) = hr1
        .post_multipart(
            &format!("/api/agreements/{id}/termination"),
            Form::new()
                .text("reason", "岗位调整")
                .text("acknowledged", "true"),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    // A second graduate of 19101 accepts hr2's offer: the reviewer's 签约审核.
    let (school, name, no, idn) = unbound_graduate(&app).await;
    let (s, b) = app
        .client()
        .post_json("/api/graduates/bind", &bind_body(&school, &name, &no, &idn))
        .await;
    assert_eq!(s, 201, "{b}");
    let u = app.login_as_with(&idn, "Graduate1").await;
    let (_, me) = u.get_json("/api/me").await;
    let (dept,): (String,) = sqlx::query_as("SELECT department_id FROM graduates WHERE id = $1")
        .bind(me["graduate_id"].as_str().unwrap().to_string())
        .fetch_one(app.state.store.reader())
        .await
        .unwrap();
    let ug = Grad {
        id: me["graduate_id"].as_str().unwrap().to_string(),
        name: name.clone(),
        id_number: idn.clone(),
        department_id: dept.clone(),
        year: g0.year,
    };
    let hr2 = app.login_as("hr2").await;
    let offer = invite(&hr2, &ug, "19101").await;
    let (s, b) = u
        .post_json(
            &format!("/api/agreements/{offer}/accept"),
            &json!({ "password": "Graduate1", "agree": true }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    // g1 (19102): an open offer of hr1, and an other destination waiting for the school.
    let g1 = graduate(&app, 1).await;
    let grad1 = app.login_as(&g1.id_number).await;
    invite(&hr1, &g1, "19102").await;
    let (s, b) = grad1
        .post_multipart(
            "/api/destinations",
            Form::new()
                .text(
                    "data",
                    json!({ "category_code": "80", "subcategory": "全日制", "unit_name": "皖南理工学院研究生院",
                            "details": { "所在地": "芜湖", "录取专业": "数学" } })
                    .to_string(),
                )
                .part("proof_1", Part::bytes(png_bytes()).file_name("offer.png")),
        )
        .await;
    assert_eq!(s, 201, "{b}");

    // Three imported records wait for 生源审核.
    let (csv, _) = crate::roster_review::roster(&app, 3);
    crate::roster_review::import(&admin, csv).await;

    let g0_seen = links_match("graduate 0", &grad0).await;
    assert_eq!(count(&g0_seen, "termination"), 1);
    // g1 registered a destination after the offer came: the offer is view-only (只能查看),
    // so it is no to-do of theirs, while hr1 still waits for an answer.
    let g1_seen = links_match("graduate 1", &grad1).await;
    assert_eq!(count(&g1_seen, "signing"), 0);
    let hr1_seen = links_match("hr1", &hr1).await;
    assert_eq!(
        count(&hr1_seen, "signing"),
        1,
        "the offer to g1 waits for an answer"
    );
    links_match("hr2", &hr2).await;
    let reviewer = reviewer_of(&app, &dept).await;
    let rev_seen = links_match("reviewer", &reviewer).await;
    assert_eq!(count(&rev_seen, "signing"), 1);
    let a1_seen = links_match("admin19101", &admin).await;
    assert_eq!(count(&a1_seen, "roster"), 3);
    let admin2 = app.login_as("admin19102").await;
    let a2_seen = links_match("admin19102", &admin2).await;
    assert_eq!(count(&a2_seen, "destinations"), 1);
    let province = app.login_as("province").await;
    let home = province.get("/").await.text().await.unwrap();
    assert!(
        !home.contains("id=\"todo\""),
        "the province only reads: no to-dos"
    );

    // The API says the same: each count is the total of the list filtered by the same to-do.
    for c in [&grad0, &grad1, &hr1, &reviewer, &admin2] {
        let (_, todo) = c.get_json("/api/todo-counts").await;
        for kind in ["signing", "termination"] {
            let (s, list) = c
                .get_json(&format!("/api/agreements?todo={kind}&per_page=100"))
                .await;
            assert_eq!(s, 200, "{list}");
            assert_eq!(
                list["meta"]["total"], todo[kind],
                "{kind}: {todo} vs {list}"
            );
            assert_eq!(
                list["items"].as_array().unwrap().len() as i64,
                todo[kind].as_i64().unwrap()
            );
        }
    }
    let (_, todo) = admin2.get_json("/api/todo-counts").await;
    let (_, list) = admin2
        .get_json("/api/destinations?awaiting_review=true")
        .await;
    assert_eq!(list["meta"]["total"], todo["destinations"]);
    // A made-up to-do is a clear 400, not an empty list.
    let (s, _) = hr1.get_json("/api/agreements?todo=everything").await;
    assert_eq!(s, 400);
}
