//! The access matrix: every role against records of another school, department, employer and
//! graduate. Outside one's scope answers 404 (nothing revealed); a role that may never do a
//! thing answers 403.

use serde_json::{json, Value};

use crate::helpers::TestApp;

async fn graduates_of(app: &TestApp, code: &str) -> Vec<Value> {
    let province = app.login_as("province").await;
    let school = app.school_id(code).await;
    let (_, body) = province
        .get_json(&format!("/api/graduates?school_id={school}&per_page=200"))
        .await;
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn every_role_is_kept_out_of_records_beyond_its_scope() {
    let app = TestApp::spawn().await;
    let home = graduates_of(&app, "19101").await;
    let away = graduates_of(&app, "19102").await;
    let reviewer = app.login_as("rev19101a").await;
    let (_, me) = reviewer.get_json("/api/me").await;
    let my_dept = me["department_id"].as_str().unwrap().to_string();
    let same_dept = home
        .iter()
        .find(|g| g["department_id"] == my_dept.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other_dept = home
        .iter()
        .find(|g| g["department_id"] != my_dept.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other_school = away[0]["id"].as_str().unwrap().to_string();
    let other_school_id = app.school_id("19102").await;

    let graduate = app.login_as(&app.demo_graduate_login(0)).await;
    let (_, gme) = graduate.get_json("/api/me").await;
    let own = gme["graduate_id"].as_str().unwrap().to_string();
    let classmate = home.iter().find(|g| g["id"] != own.as_str()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let admin = app.login_as("admin19101").await;
    let employer = app.login_as("hr1").await;
    let province = app.login_as("province").await;

    // Reading graduates.
    let cases: Vec<(&str, &crate::helpers::Client, &str, u16)> = vec![
        ("graduate: own record", &graduate, own.as_str(), 200),
        ("graduate: classmate", &graduate, classmate.as_str(), 404),
        (
            "graduate: other school",
            &graduate,
            other_school.as_str(),
            404,
        ),
        (
            "reviewer: own department",
            &reviewer,
            same_dept.as_str(),
            200,
        ),
        (
            "reviewer: other department",
            &reviewer,
            other_dept.as_str(),
            404,
        ),
        (
            "reviewer: other school",
            &reviewer,
            other_school.as_str(),
            404,
        ),
        ("admin: own school", &admin, other_dept.as_str(), 200),
        ("admin: other school", &admin, other_school.as_str(), 404),
        ("employer: any graduate", &employer, same_dept.as_str(), 403),
        (
            "province: any school",
            &province,
            other_school.as_str(),
            200,
        ),
    ];
    for (what, c, id, want) in cases {
        let (status, body) = c.get_json(&format!("/api/graduates/{id}")).await;
        assert_eq!(status, want, "{what}: {body}");
    }

    // Lists of another school.
    let (status, _) = admin
        .get_json(&format!("/api/graduates?school_id={other_school_id}"))
        .await;
    assert_eq!(status, 404);
    let (status, _) = reviewer
        .get_json(&format!("/api/graduates?school_id={other_school_id}"))
        .await;
    assert_eq!(status, 404);
    let (status, _) = employer.get_json("/api/graduates").await;
    assert!(status == 400 || status == 403, "{status}");
    // A reviewer's list holds their department only, whatever the filter asks.
    let (_, list) = reviewer
        .get_json(&format!(
            "/api/graduates?department_id={}&per_page=200",
            home.iter()
                .find(|g| g["department_id"] != my_dept.as_str())
                .unwrap()["department_id"]
                .as_str()
                .unwrap()
        ))
        .await;
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["department_id"] == my_dept.as_str()));

    // Unbinding.
    let bound_away = away.iter().find(|g| g["bound"] == 1).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (who, c, want) in [
        ("admin of another school", &admin, 404),
        ("reviewer", &reviewer, 403),
        ("employer", &employer, 403),
        ("graduate", &graduate, 403),
        ("province", &province, 403),
    ] {
        let (status, body) = c
            .post_json(&format!("/api/graduates/{bound_away}/unbind"), &json!({}))
            .await;
        assert_eq!(status, want, "{who}: {body}");
    }

    // Employers.
    let (_, hr1) = employer.get_json("/api/me").await;
    let hr1_employer = hr1["employer_id"].as_str().unwrap().to_string();
    let hr2 = app.login_as("hr2").await;
    let (_, hr2me) = hr2.get_json("/api/me").await;
    let hr2_employer = hr2me["employer_id"].as_str().unwrap().to_string();
    let (status, _) = employer
        .get_json(&format!("/api/employers/{hr2_employer}"))
        .await;
    assert_eq!(status, 404, "another company");
    let (status, _) = employer
        .get_json(&format!("/api/employers/{hr1_employer}"))
        .await;
    assert_eq!(status, 200);
    let (status, _) = graduate
        .get_json(&format!("/api/employers/{hr1_employer}"))
        .await;
    assert_eq!(status, 403);
    for (who, c) in [
        ("reviewer", &reviewer),
        ("employer", &employer),
        ("graduate", &graduate),
    ] {
        let (status, _) = c
            .post_json(
                &format!("/api/employers/{hr2_employer}/verification"),
                &json!({ "approve": true }),
            )
            .await;
        assert_eq!(status, 403, "{who} verifying an employer");
        let (status, _) = c.get_json("/api/employer-verifications").await;
        assert_eq!(status, 403, "{who} reading the verification queue");
    }

    // Staff and settings belong to the school administrator.
    for (who, c) in [
        ("reviewer", &reviewer),
        ("employer", &employer),
        ("graduate", &graduate),
        ("province", &province),
    ] {
        let (status, _) = c.get_json("/api/staff").await;
        assert_eq!(status, 403, "{who} listing staff");
    }
    let year = app.cohort();
    let (status, _) = employer.get_json(&format!("/api/settings/{year}")).await;
    assert!(
        status == 400 || status == 403,
        "employer reading settings: {status}"
    );
    let (status, _) = admin
        .get_json(&format!("/api/settings/{year}?school_id={other_school_id}"))
        .await;
    assert_eq!(status, 404, "another school's settings");
}

#[tokio::test]
async fn pages_need_a_login_and_hide_other_roles_tools() {
    let app = TestApp::spawn().await;
    let anonymous = app.client();
    let r = anonymous.get("/school/graduates").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    let employer = app.login_as("hr1").await;
    let r = employer.get("/school/imports").await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("无权"));
}
