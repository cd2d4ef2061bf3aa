//! 院校管理: the province registers schools and their administrators; an administrator starts
//! work from the one-time password; every operation refuses other roles and other schools.

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{png_bytes, wait_for_import, Client, TestApp};

fn school(code: &str, name: &str) -> Value {
    json!({
        "code": code,
        "name": name,
        "province": "安徽省",
        "contact_department": "就业指导中心",
        "contact_person": "李老师",
        "address": "合肥市经开区1号",
        "contact_phone": "0551-63600000",
        "postcode": "230601"
    })
}

fn fields(b: &Value) -> Vec<String> {
    b["error"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The province's first administrator, logged in with a changed password.
async fn chief(app: &TestApp) -> Client {
    let once =
        wangqian_store::accounts::create_provincial_admin(&app.state.store, "chief", "省就业中心")
            .await
            .unwrap();
    let mut c = app.client();
    assert_eq!(c.login("chief", &once).await.0, 200);
    let (s, b) = c
        .post_json(
            "/api/me/password",
            &json!({ "current_password": once, "new_password": "Chief2026ok", "new_password_confirm": "Chief2026ok" }),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    c
}

#[tokio::test]
async fn a_province_registers_a_school_whose_administrator_starts_work() {
    let app = TestApp::spawn_empty().await;
    let province = chief(&app).await;

    // Every mistake at once, each on its field.
    let (s, b) = province
        .post_json(
            "/api/admin/schools",
            &json!({ "code": "1035", "name": "安", "province": "安徽", "contact_phone": "电话", "postcode": "12" }),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        fields(&b),
        ["code", "name", "province", "contact_phone", "postcode"]
    );

    let (s, created) = province
        .post_json("/api/admin/schools", &school("19999", "皖江职业学院"))
        .await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["code"], "19999");
    assert_eq!(created["contact_person"], "李老师");
    assert_eq!(created["admin_count"], 0);
    let id = created["id"].as_str().unwrap().to_string();
    let (s, b) = province
        .post_json("/api/admin/schools", &school("19999", "另一所学校"))
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(fields(&b), ["code"]);
    assert!(b.to_string().contains("已登记"), "{b}");

    let (s, list) = province.get_json("/api/admin/schools?keyword=皖江").await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["items"][0]["name"], "皖江职业学院");
    // Graduates can find it to bind their record.
    let (_, found) = app.client().get_json("/api/schools?q=19999").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");

    // An administrator with an initial password, which must be changed first.
    let (s, b) = province
        .post_json(
            &format!("/api/admin/schools/{id}/admins"),
            &json!({ "login_name": "x", "display_name": "", "password": "short" }),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(fields(&b), ["login_name", "display_name", "password"]);
    let (s, admin) = province
        .post_json(
            &format!("/api/admin/schools/{id}/admins"),
            &json!({ "login_name": "wj_admin", "display_name": "王老师", "password": "Start2026ok" }),
        )
        .await;
    assert_eq!(s, 201, "{admin}");
    assert_eq!(admin["must_change_password"], true);
    let admin_id = admin["id"].as_str().unwrap().to_string();

    let mut a = app.client();
    let (s, me) = a.login("wj_admin", "Start2026ok").await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["role"], "school_admin");
    assert_eq!(me["school_id"], id.as_str());
    let (s, b) = a.get_json("/api/graduates").await;
    assert_eq!(s, 403, "{b}");
    assert_eq!(b["error"]["code"], "password_change_required");
    let (s, b) = a
        .post_json(
            "/api/me/password",
            &json!({ "current_password": "Start2026ok", "new_password": "Wanjiang2026", "new_password_confirm": "Wanjiang2026" }),
        )
        .await;
    assert_eq!(s, 204, "{b}");

    // The school keeps its contact block; code, name and province stay the province's.
    let mut edit = school("19999", "皖江职业学院");
    edit["contact_person"] = json!("赵老师");
    let (s, b) = a.put_json(&format!("/api/admin/schools/{id}"), &edit).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["contact_person"], "赵老师");
    let (s, b) = a
        .put_json(
            &format!("/api/admin/schools/{id}"),
            &school("19999", "皖江大学"),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(fields(&b), ["name"]);

    // It imports its roster (departments come with it) and creates a reviewer.
    let csv = wangqian_store::demo::synthetic_roster_csv(5, app.cohort());
    let (s, job) = a
        .post_multipart(
            "/api/roster-imports",
            Form::new().part("file", Part::bytes(csv).file_name("roster.csv")),
        )
        .await;
    assert_eq!(s, 202, "{job}");
    let done = wait_for_import(&a, job["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let (_, graduates) = a.get_json("/api/graduates").await;
    assert_eq!(graduates["meta"]["total"], 5, "{graduates}");
    let (_, departments) = a.get_json(&format!("/api/schools/{id}/departments")).await;
    let department = departments["items"][0]["id"].as_str().unwrap().to_string();
    let (s, b) = a
        .post_json(
            "/api/staff/reviewers",
            &json!({ "department_id": department, "login_name": "wj_rev1", "display_name": "院系老师", "password": "Review2026ok" }),
        )
        .await;
    assert_eq!(s, 201, "{b}");

    // Disabling the administrator ends their session at once.
    let (s, b) = province
        .put_json(
            &format!("/api/admin/schools/{id}/admins/{admin_id}/active"),
            &json!({ "active": false }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "disabled");
    let (s, _) = a.get_json("/api/me").await;
    assert_eq!(s, 401);
    assert_eq!(app.client().login("wj_admin", "Wanjiang2026").await.0, 401);

    // A disabled school is not offered for binding and takes no new administrators.
    let mut off = school("19999", "皖江职业学院");
    off["disabled"] = json!(true);
    let (s, b) = province
        .put_json(&format!("/api/admin/schools/{id}"), &off)
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(b["disabled_at"].is_i64(), "{b}");
    let (_, found) = app.client().get_json("/api/schools?q=19999").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 0, "{found}");
    let (s, b) = province
        .post_json(
            &format!("/api/admin/schools/{id}/admins"),
            &json!({ "login_name": "wj_admin2", "display_name": "新老师", "password": "Start2026ok" }),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(fields(&b), ["school"]);
}

#[tokio::test]
async fn only_the_province_keeps_schools_and_a_school_only_its_own_contact_block() {
    let app = TestApp::spawn().await;
    let own = app.school_id("19101").await;
    let other = app.school_id("19102").await;
    let province = app.login_as("province").await;
    let (s, list) = province.get_json("/api/admin/schools").await;
    assert_eq!(s, 200, "{list}");
    assert!(list["meta"]["total"].as_i64().unwrap() >= 2);
    let (s, admins) = province
        .get_json(&format!("/api/admin/schools/{own}/admins"))
        .await;
    assert_eq!(s, 200, "{admins}");
    let admin_id = admins["items"][0]["id"].as_str().unwrap().to_string();

    let reviewer = "rev19101a";
    for login in ["admin19101", reviewer, "hr1"] {
        let c = app.login_as(login).await;
        let (s, b) = c.get_json("/api/admin/schools").await;
        assert_eq!(s, 403, "{login}: {b}");
        let (s, b) = c
            .post_json("/api/admin/schools", &school("19998", "某学院"))
            .await;
        assert_eq!(s, 403, "{login}: {b}");
        let (s, b) = c
            .get_json(&format!("/api/admin/schools/{own}/admins"))
            .await;
        assert_eq!(s, 403, "{login}: {b}");
        let (s, b) = c
            .post_json(
                &format!("/api/admin/schools/{own}/admins"),
                &json!({ "login_name": "intruder", "display_name": "x", "password": "Start2026ok" }),
            )
            .await;
        assert_eq!(s, 403, "{login}: {b}");
        let (s, b) = c
            .put_json(
                &format!("/api/admin/schools/{own}/admins/{admin_id}/active"),
                &json!({ "active": false }),
            )
            .await;
        assert_eq!(s, 403, "{login}: {b}");
    }
    let graduate = app.login_as(&app.demo_graduate_login(0)).await;
    let (s, _) = graduate.get_json("/api/admin/schools").await;
    assert_eq!(s, 403);
    let (s, _) = graduate
        .get_json(&format!("/api/admin/schools/{own}"))
        .await;
    assert_eq!(s, 403);

    // A school administrator reads and edits their own school, and sees nothing of another.
    let admin = app.login_as("admin19101").await;
    let (s, mine) = admin.get_json(&format!("/api/admin/schools/{own}")).await;
    assert_eq!(s, 200, "{mine}");
    let (s, b) = admin.get_json(&format!("/api/admin/schools/{other}")).await;
    assert_eq!(s, 404, "{b}");
    let mut theirs = school("19102", "x");
    theirs["contact_person"] = json!("冒名");
    let (s, b) = admin
        .put_json(&format!("/api/admin/schools/{other}"), &theirs)
        .await;
    assert_eq!(s, 404, "{b}");
    let reviewer = app.login_as(reviewer).await;
    let (s, _) = reviewer
        .put_json(&format!("/api/admin/schools/{own}"), &theirs)
        .await;
    assert_eq!(s, 403);
    // Another school's administrator account is not reachable through this school.
    let (_, others) = province
        .get_json(&format!("/api/admin/schools/{other}/admins"))
        .await;
    let other_admin = others["items"][0]["id"].as_str().unwrap().to_string();
    let (s, b) = province
        .put_json(
            &format!("/api/admin/schools/{own}/admins/{other_admin}/active"),
            &json!({ "active": false }),
        )
        .await;
    assert_eq!(s, 404, "{b}");
    let (s, _) = province.get_json("/api/admin/schools/no-such-school").await;
    assert_eq!(s, 404);
    // The province may not slip an unknown field in.
    let mut forged = school("19101", "x");
    forged["id"] = json!("other");
    let (s, _) = province
        .put_json(&format!("/api/admin/schools/{own}"), &forged)
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn the_school_pages_keep_what_was_typed_and_show_every_error() {
    let app = TestApp::spawn().await;
    let province = app.login_as("province").await;
    let page = province.get("/province/schools").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("院校管理") && html.contains("新增院校"),
        "{html}"
    );
    let csrf = province.csrf.clone().unwrap();
    let r = province
        .post_form(
            "/province/schools",
            &[
                ("_csrf", &csrf),
                ("code", "123"),
                ("name", "某某学院"),
                ("province", ""),
                ("postcode", "99"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("请修改以下 3 处"), "{html}");
    assert!(
        html.contains("value=\"某某学院\""),
        "typed value kept: {html}"
    );
    let r = province
        .post_form(
            "/province/schools",
            &[
                ("_csrf", &csrf),
                ("code", "19997"),
                ("name", "某某学院"),
                ("province", "安徽省"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/province/schools/"), "{to}");
    let html = province.get(&to).await.text().await.unwrap();
    assert!(
        html.contains("某某学院（19997）") && html.contains("新增学校管理员"),
        "{html}"
    );

    // The school administrator's 学校信息 shows the contact block, not the province's fields.
    let admin = app.login_as("admin19101").await;
    let html = admin.get("/school/profile").await.text().await.unwrap();
    assert!(html.contains("学校信息"), "{html}");
    assert!(!html.contains("新增学校管理员"), "{html}");
    assert!(!html.contains("id=\"name\""), "{html}");
    let r = admin.get("/province/schools").await;
    assert_eq!(r.status(), 403);
    // It adds a department from the page; a major without its department says so by the field.
    let csrf = admin.csrf.clone().unwrap();
    let r = admin
        .post_form(
            "/school/org-units",
            &[
                ("_csrf", &csrf),
                ("kind", "major"),
                ("parent_id", ""),
                ("name", "新专业"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("请选择本校的院系") && html.contains("value=\"新专业\""),
        "{html}"
    );
    let r = admin
        .post_form(
            "/school/org-units",
            &[
                ("_csrf", &csrf),
                ("kind", "department"),
                ("name", "国际教育学院"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let html = admin.get("/school/profile").await.text().await.unwrap();
    assert!(html.contains("国际教育学院"), "{html}");
    // 签约开放列表 from the same page: closing needs a reason, then shows it.
    let (_, units) = admin
        .get_json(&format!(
            "/api/admin/schools/{}/org-units",
            app.school_id("19101").await
        ))
        .await;
    let dept = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "国际教育学院")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = admin
        .post_form(
            &format!("/school/org-units/{dept}/signing"),
            &[
                ("_csrf", &csrf),
                ("kind", "department"),
                ("open", "false"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("请填写暂停网签的原因"));
    let r = admin
        .post_form(
            &format!("/school/org-units/{dept}/signing"),
            &[
                ("_csrf", &csrf),
                ("kind", "department"),
                ("open", "false"),
                ("reason", "尚未开始招聘"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let html = admin.get("/school/profile").await.text().await.unwrap();
    assert!(html.contains("已关闭（尚未开始招聘）"), "{html}");
}

/// The "done when": from `create-admin` on an empty database to an agreement in force,
/// with no demo data — the province, a school it registers, that school's administrator and
/// reviewer, an employer that registers and is verified, and a graduate who binds and signs.
#[tokio::test]
async fn from_an_empty_database_to_an_agreement_in_force() {
    let app = TestApp::spawn_empty().await;
    let province = chief(&app).await;
    let (s, school) = province
        .post_json("/api/admin/schools", &school("19999", "皖江职业学院"))
        .await;
    assert_eq!(s, 201, "{school}");
    let school_id = school["id"].as_str().unwrap().to_string();
    let (s, b) = province
        .post_json(
            &format!("/api/admin/schools/{school_id}/admins"),
            &json!({ "login_name": "wj_admin", "display_name": "王老师", "password": "Start2026ok" }),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let mut admin = app.client();
    assert_eq!(admin.login("wj_admin", "Start2026ok").await.0, 200);
    let (s, _) = admin
        .post_json(
            "/api/me/password",
            &json!({ "current_password": "Start2026ok", "new_password": "Wanjiang2026", "new_password_confirm": "Wanjiang2026" }),
        )
        .await;
    assert_eq!(s, 204);

    // One graduate on the roster; the department comes with it.
    let year = app.cohort();
    let csv = format!(
        "学号,姓名,性别,民族,政治面貌,身份证号,学历,培养方式,院系,专业,班级,学制,生源所在地,手机号码,电子邮箱,家庭地址,毕业年度\n\
         2027990001,林晓,女,汉族,共青团员,11010519491231002X,本科生毕业,非定向,新材料学院,材料科学与工程,材料1班,4,安徽省合肥市蜀山区,13355665660,linxiao@qq.com,合肥市长江西路1号,{year}\n"
    );
    let (s, job) = admin
        .post_multipart(
            "/api/roster-imports",
            Form::new().part(
                "file",
                Part::bytes(csv.into_bytes()).file_name("roster.csv"),
            ),
        )
        .await;
    assert_eq!(s, 202, "{job}");
    let done = wait_for_import(&admin, job["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let (_, departments) = admin
        .get_json(&format!("/api/schools/{school_id}/departments"))
        .await;
    let department = departments["items"][0]["id"].as_str().unwrap().to_string();
    let (s, b) = admin
        .post_json(
            "/api/staff/reviewers",
            &json!({ "department_id": department, "login_name": "wj_rev1", "display_name": "院系老师", "password": "Review2026ok" }),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    // 生源审核: the school approves its roster before employers can find anyone.
    let (s, b) = admin
        .post_json(
            "/api/graduates/review",
            &json!({ "decision": "approve", "filter": {} }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["approved"], 1, "{b}");

    // An employer registers to recruit there; the province and the school verify it.
    let registration = json!({
        "company_name": "合肥示例科技有限公司", "credit_code": "91350200776049653A",
        "login_name": "zhou_hr", "manager_name": "周经理", "phone": "13912345678",
        "password": "Company2026", "password_confirm": "Company2026",
        "province": "安徽省", "city": "合肥市", "address": "高新区创新大道 1 号",
        "company_phone": "0551-62345678", "email": "hr@example.com", "postcode": "230088",
        "unit_nature_code": "39", "industry_code": "34", "size_code": "2",
        "school_ids": [school_id],
    });
    let (s, reg) = app
        .client()
        .post_multipart(
            "/api/employers",
            Form::new()
                .text("data", registration.to_string())
                .part(
                    "authorisation_letter",
                    Part::bytes(png_bytes()).file_name("letter.png"),
                )
                .part("licence", Part::bytes(png_bytes()).file_name("licence.png")),
        )
        .await;
    assert_eq!(s, 201, "{reg}");
    let employer_id = reg["employer_id"].as_str().unwrap().to_string();
    for who in [&province, &admin] {
        let (s, b) = who
            .post_json(
                &format!("/api/employers/{employer_id}/verification"),
                &json!({ "approve": true }),
            )
            .await;
        assert_eq!(s, 204, "{b}");
    }

    // The graduate binds the record and the employer invites them.
    let mut graduate = app.client();
    let (s, b) = graduate
        .post_json(
            "/api/graduates/bind",
            &json!({ "school_id": school_id, "name": "林晓", "student_no": "2027990001",
                     "id_number": "11010519491231002X", "password": "Graduate1", "password_confirm": "Graduate1" }),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    graduate.take_session(&b);
    let hr = app.login_as_with("zhou_hr", "Company2026").await;
    let (s, found) = hr
        .post_json(
            "/api/graduate-search",
            &json!({ "school": "19999", "graduation_year": year, "name": "林晓", "phone_or_id_number": "11010519491231002X" }),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["invitable"], true, "{found}");
    let (s, sent) = hr
        .post_json(
            "/api/invitations",
            &json!({ "graduate_ids": [found["graduate_id"]], "terms": crate::lifecycle::terms() }),
        )
        .await;
    assert_eq!(s, 200, "{sent}");
    let id = sent["results"][0]["agreement_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{sent}"))
        .to_string();
    let (s, b) = graduate
        .post_json(
            &format!("/api/agreements/{id}/accept"),
            &json!({ "password": "Graduate1", "agree": true }),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    // The school's reviewer and administrator attest it: in force, with its number.
    let reviewer = app.login_as_with("wj_rev1", "Review2026ok").await;
    for who in [&reviewer, &admin] {
        let (s, b) = who
            .post_json(
                &format!("/api/agreements/{id}/review"),
                &json!({ "approve": true }),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let (s, agreement) = graduate.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(s, 200, "{agreement}");
    assert_eq!(agreement["state"], "effective", "{agreement}");
    let number = agreement["number"].as_str().unwrap();
    assert!(number.contains("19999"), "{number}");
}

#[tokio::test]
async fn a_school_administrator_keeps_departments_majors_and_classes() {
    let app = TestApp::spawn().await;
    let own = app.school_id("19101").await;
    let other = app.school_id("19102").await;
    let admin = app.login_as("admin19101").await;
    let path = format!("/api/admin/schools/{own}/org-units");
    let (s, b) = admin
        .post_json(&path, &json!({ "kind": "department", "name": "  " }))
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(fields(&b), ["name"]);
    let (s, dept) = admin
        .post_json(
            &path,
            &json!({ "kind": "department", "name": "人工智能学院" }),
        )
        .await;
    assert_eq!(s, 201, "{dept}");
    let dept_id = dept["id"].as_str().unwrap().to_string();
    let (s, b) = admin
        .post_json(
            &path,
            &json!({ "kind": "department", "name": "人工智能学院" }),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert!(b.to_string().contains("同名院系"), "{b}");
    let (s, major) = admin
        .post_json(
            &path,
            &json!({ "kind": "major", "parent_id": dept_id, "name": "智能科学与技术" }),
        )
        .await;
    assert_eq!(s, 201, "{major}");
    assert_eq!(major["parent_id"], dept_id.as_str());
    let (s, class) = admin
        .post_json(
            &path,
            &json!({ "kind": "class", "parent_id": major["id"], "name": "智能1班" }),
        )
        .await;
    assert_eq!(s, 201, "{class}");
    let (s, b) = admin
        .put_json(
            &format!("{path}/{dept_id}"),
            &json!({ "kind": "department", "name": "人工智能与大数据学院" }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["name"], "人工智能与大数据学院");
    let (s, units) = admin.get_json(&path).await;
    assert_eq!(s, 200, "{units}");
    let names: Vec<&str> = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"人工智能与大数据学院") && names.contains(&"智能1班"),
        "{names:?}"
    );
    // The roster's departments hold their graduates.
    assert!(units["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["kind"] == "department" && u["graduates"].as_i64().unwrap() > 0));

    // Another school's department is no parent here, and another school is out of reach.
    let (_, theirs) = app
        .login_as("admin19102")
        .await
        .get_json(&format!("/api/admin/schools/{other}/org-units"))
        .await;
    let their_dept = theirs["items"][0]["id"].as_str().unwrap().to_string();
    let (s, b) = admin
        .post_json(
            &path,
            &json!({ "kind": "major", "parent_id": their_dept, "name": "偷渡专业" }),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(fields(&b), ["parent_id"]);
    let (s, _) = admin
        .put_json(
            &format!("{path}/{their_dept}"),
            &json!({ "kind": "department", "name": "改名" }),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = admin
        .get_json(&format!("/api/admin/schools/{other}/org-units"))
        .await;
    assert_eq!(s, 404);
    let graduate = app.demo_graduate_login(0);
    for login in ["province", "rev19101a", "hr1", graduate.as_str()] {
        let c = app.login_as(login).await;
        let (s, _) = c.get_json(&path).await;
        assert_eq!(s, 403, "{login}");
        let (s, _) = c
            .post_json(&path, &json!({ "kind": "department", "name": "某学院" }))
            .await;
        assert_eq!(s, 403, "{login}");
    }
}

#[tokio::test]
async fn a_closed_department_stops_invitations_with_its_reason_until_reopened() {
    let app = TestApp::spawn().await;
    let own = app.school_id("19101").await;
    let g = crate::lifecycle::graduate(&app, 0).await;
    let admin = app.login_as("admin19101").await;
    let path = format!(
        "/api/admin/schools/{own}/org-units/{}/signing",
        g.department_id
    );
    let (s, b) = admin
        .put_json(&path, &json!({ "kind": "department", "open": false }))
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(fields(&b), ["reason"]);
    let (s, b) = admin
        .put_json(
            &path,
            &json!({ "kind": "department", "open": false, "reason": "院系统一组织双选会后再签" }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["signing_closed_reason"], "院系统一组织双选会后再签");

    let hr = app.login_as("hr1").await;
    let search = json!({ "school": "19101", "graduation_year": g.year, "name": g.name, "phone_or_id_number": g.id_number });
    let (s, found) = hr.post_json("/api/graduate-search", &search).await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["invitable"], false, "{found}");
    assert!(
        found["reasons"]
            .to_string()
            .contains("院系统一组织双选会后再签"),
        "{found}"
    );
    let (s, sent) = hr
        .post_json(
            "/api/invitations",
            &json!({ "graduate_ids": [g.id], "terms": crate::lifecycle::terms() }),
        )
        .await;
    assert_eq!(s, 200, "{sent}");
    // Not invitable, so never put on the send list: nothing goes out.
    assert_eq!(sent["sent"], 0, "{sent}");

    // Others may not open or close it.
    let graduate = app.demo_graduate_login(0);
    for login in ["rev19101a", "hr1", "province", graduate.as_str()] {
        let c = app.login_as(login).await;
        let (s, _) = c
            .put_json(&path, &json!({ "kind": "department", "open": true }))
            .await;
        assert_eq!(s, 403, "{login}");
    }
    let (s, _) = app
        .login_as("admin19102")
        .await
        .put_json(&path, &json!({ "kind": "department", "open": true }))
        .await;
    assert_eq!(
        s, 404,
        "another school's administrator, on this school's path"
    );
    let other = app.school_id("19102").await;
    let (s, _) = app
        .login_as("admin19102")
        .await
        .put_json(
            &format!(
                "/api/admin/schools/{other}/org-units/{}/signing",
                g.department_id
            ),
            &json!({ "kind": "department", "open": true }),
        )
        .await;
    assert_eq!(s, 404, "this school's department through another school");

    let (s, b) = admin
        .put_json(&path, &json!({ "kind": "department", "open": true }))
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(b["signing_closed_reason"].is_null());
    let (_, found) = hr.post_json("/api/graduate-search", &search).await;
    assert_eq!(found["invitable"], true, "{found}");
}

#[tokio::test]
async fn a_graduate_confirms_contact_details_once_and_they_are_kept_encrypted() {
    let app = TestApp::spawn().await;
    let login = app.demo_graduate_login(0);
    let g = app.login_as(&login).await;
    let home = g.get("/").await.text().await.unwrap();
    assert!(home.contains("请确认联系方式"), "{home}");
    let (s, before) = g.get_json("/api/me/contact").await;
    assert_eq!(s, 200, "{before}");
    assert!(before["confirmed_at"].is_null());

    let (s, b) = g
        .put_json(
            "/api/me/contact",
            &json!({ "mobile": "1234", "email": "not-an-email", "mailing_address": "合肥" }),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(fields(&b), ["mobile", "email", "mailing_address"]);
    let (s, b) = g
        .put_json(
            "/api/me/contact",
            &json!({ "mobile": "13955667788", "email": "Lin@Example.com", "mailing_address": "合肥市蜀山区长江西路 99 号 3 栋" }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["mobile_masked"], "139****7788");
    assert_eq!(b["has_mailing_address"], true);
    assert!(b["confirmed_at"].is_i64());
    assert!(
        !b.to_string().contains("长江西路"),
        "never shown back whole: {b}"
    );
    let home = g.get("/").await.text().await.unwrap();
    assert!(!home.contains("请确认联系方式"), "asked once only");

    // At rest the address and the phone are ciphertext.
    let hash = app
        .state
        .store
        .pii
        .search_hash(wangqian_store::pii::PiiField::IdNumber, &login);
    let (address, mobile): (String, String) = sqlx::query_as(
        "SELECT mailing_address_enc, mobile_enc FROM graduates WHERE id_number_hash = $1",
    )
    .bind(hash)
    .fetch_one(app.state.store.reader())
    .await
    .unwrap();
    assert!(!address.contains("长江西路") && !mobile.contains("13955667788"));

    // Only a graduate has one.
    for login in ["hr1", "admin19101", "province", "rev19101a"] {
        let c = app.login_as(login).await;
        let (s, _) = c.get_json("/api/me/contact").await;
        assert_eq!(s, 403, "{login}");
        let (s, _) = c
            .put_json(
                "/api/me/contact",
                &json!({ "mobile": "13955667788", "email": "a@b.cn", "mailing_address": "合肥市某路 1 号" }),
            )
            .await;
        assert_eq!(s, 403, "{login}");
    }

    // The page keeps what was typed and names each problem.
    let csrf = g.csrf.clone().unwrap();
    let r = g
        .post_form(
            "/account/contact",
            &[
                ("_csrf", &csrf),
                ("mobile", "139"),
                ("email", "lin@example.com"),
                ("mailing_address", "合肥市蜀山区长江西路 99 号"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"mobile-error\""), "{html}");
    assert!(html.contains("value=\"lin@example.com\""), "{html}");
}

#[tokio::test]
async fn the_province_resets_a_school_administrators_password_from_the_school_page() {
    let app = TestApp::spawn().await;
    let own = app.school_id("19101").await;
    let other = app.school_id("19102").await;
    let province = app.login_as("province").await;
    let (_, admins) = province
        .get_json(&format!("/api/admin/schools/{own}/admins"))
        .await;
    let admin_id = admins["items"][0]["id"].as_str().unwrap().to_string();
    let page = province
        .get(&format!("/province/schools/{own}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("重置密码") && page.contains("data-confirm"),
        "{page}"
    );
    let csrf = province.csrf.clone().unwrap();
    // Through another school's page the account is not found.
    let r = province
        .post_form(
            &format!("/province/schools/{other}/admins/{admin_id}/password-reset"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = province
        .post_form(
            &format!("/province/schools/{own}/admins/{admin_id}/password-reset"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("一次性密码"), "{html}");
    let mut old = app.client();
    assert_eq!(
        old.login("admin19101", wangqian_store::demo::DEMO_PASSWORD)
            .await
            .0,
        401
    );
    // A school administrator has no such page.
    let admin = app.login_as("admin19102").await;
    let csrf = admin.csrf.clone().unwrap();
    let r = admin
        .post_form(
            &format!("/province/schools/{other}/admins/{admin_id}/password-reset"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), 403);
}
