use reqwest::multipart::{Form, Part};

use crate::helpers::{start_cohort, wait_for_import, Client, TestApp};

const HEADER: &str = "学号,姓名,性别,民族,政治面貌,身份证号,学历,培养方式,院系,专业,班级,学制,生源所在地,手机号码,电子邮箱,家庭地址,毕业年度";

fn file(name: &str, bytes: Vec<u8>) -> Form {
    Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()))
}

async fn import(c: &Client, name: &str, bytes: Vec<u8>) -> serde_json::Value {
    let (status, body) = c
        .post_multipart("/api/roster-imports", file(name, bytes))
        .await;
    assert_eq!(status, 202, "{body}");
    wait_for_import(c, body["id"].as_str().unwrap()).await
}

async fn count(c: &Client, keyword: &str) -> i64 {
    let (_, body) = c
        .get_json(&format!("/api/graduates?keyword={keyword}"))
        .await;
    body["meta"]["total"].as_i64().unwrap()
}

/// Two graduates of the suite's cohort, in both spellings of the year.
fn good_rows() -> String {
    let year = start_cohort();
    format!(
        "{HEADER}\n\
         2027990001,林晓,女,汉族,共青团员,11010519491231002X,本科生毕业,非定向,新材料学院,材料科学与工程,材料1班,4,安徽省合肥市蜀山区,13355665660,linxiao@qq.com,合肥市长江西路1号,{year}\n\
         2027990002,韩冬,男,回族,中共党员,34052419800101001X,31,1,新材料学院,材料科学与工程,,4年,安徽省马鞍山市含山县,,,,{year}届\n"
    )
}

#[tokio::test]
async fn a_file_with_any_bad_row_imports_nothing_and_says_row_column_and_reason() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let csv = format!(
        "{}2027990003,错误,男,汉族,群众,340524198001010013,本科生毕业,非定向,新材料学院,材料科学与工程,,4,安徽省,12345,bad-mail,,{}\n",
        good_rows(),
        start_cohort()
    );
    let job = import(&admin, "roster.csv", csv.into_bytes()).await;
    assert_eq!(job["status"], "failed", "{job}");
    let errors = job["result"]["errors"].as_array().unwrap();
    let columns: Vec<&str> = errors
        .iter()
        .map(|e| e["column"].as_str().unwrap())
        .collect();
    assert!(errors.iter().all(|e| e["row"] == 4), "{errors:?}");
    for col in ["身份证号", "手机号码", "电子邮箱"] {
        assert!(columns.contains(&col), "{col} not reported in {columns:?}");
    }
    assert!(job["result"]["message"]
        .as_str()
        .unwrap()
        .contains("未导入任何数据"));
    assert_eq!(count(&admin, "2027990001").await, 0, "nothing was imported");
}

#[tokio::test]
async fn a_valid_file_imports_and_reimporting_updates_by_student_number() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let job = import(&admin, "roster.csv", good_rows().into_bytes()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["inserted"], 2);
    assert_eq!(job["progress_done"], 2);
    let (_, list) = admin.get_json("/api/graduates?keyword=2027990001").await;
    let g = &list["items"][0];
    assert_eq!(g["name"], "林晓");
    assert_eq!(g["department"], "新材料学院");
    assert_eq!(g["id_number_masked"], "110105********002X");
    assert_eq!(g["mobile_masked"], "133****5660");

    let renamed = good_rows().replace("林晓", "林晓雨");
    let job = import(&admin, "roster.csv", renamed.into_bytes()).await;
    assert_eq!(job["result"]["updated"], 2);
    assert_eq!(job["result"]["inserted"], 0);
    let (_, list) = admin.get_json("/api/graduates?keyword=2027990001").await;
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["items"][0]["name"], "林晓雨");
}

#[tokio::test]
async fn xlsx_files_import_like_csv_and_the_template_downloads() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let r = admin.get("/api/roster-template").await;
    assert_eq!(r.status(), 200);
    let template = r.bytes().await.unwrap();
    assert_eq!(&template[..2], b"PK");

    let rows: Vec<Vec<String>> = good_rows()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let headers: Vec<&str> = HEADER.split(',').collect();
    let xlsx = wangqian_sheets::write_xlsx("生源信息", &headers, rows).unwrap();
    let job = import(&admin, "roster.xlsx", xlsx).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["inserted"], 2);
}

#[tokio::test]
async fn broken_and_disguised_files_get_clear_chinese_errors() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    // A PNG renamed .xlsx is refused at once.
    let (status, body) = admin
        .post_multipart(
            "/api/roster-imports",
            file("roster.xlsx", crate::helpers::png_bytes()),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(".xlsx"));

    // A truncated workbook fails its job with a message, and imports nothing.
    let headers: Vec<&str> = HEADER.split(',').collect();
    let xlsx =
        wangqian_sheets::write_xlsx("生源信息", &headers, Vec::<Vec<String>>::new()).unwrap();
    let job = import(&admin, "roster.xlsx", xlsx[..xlsx.len() / 2].to_vec()).await;
    assert_eq!(job["status"], "failed");
    assert!(
        job["result"]["message"].as_str().unwrap().contains("XLSX"),
        "{job}"
    );

    // A header without required columns.
    let job = import(
        &admin,
        "roster.csv",
        "学号,姓名\n1,张三\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(job["status"], "failed");
    let missing: Vec<&str> = job["result"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["column"].as_str().unwrap())
        .collect();
    assert!(missing.contains(&"身份证号"), "{missing:?}");
}

#[tokio::test]
async fn a_50_mb_upload_is_refused_with_413() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let big = vec![b'a'; 50 * 1024 * 1024];
    let (status, body) = admin
        .post_multipart("/api/roster-imports", file("big.csv", big))
        .await;
    assert_eq!(status, 413, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("过大"));
}

#[tokio::test]
async fn only_a_school_administrator_imports_rosters() {
    let app = TestApp::spawn().await;
    for login in ["rev19101a", "hr1", "province"] {
        let c = app.login_as(login).await;
        let (status, _) = c
            .post_multipart(
                "/api/roster-imports",
                file("r.csv", good_rows().into_bytes()),
            )
            .await;
        assert_eq!(status, 403, "{login}");
    }
    let other = app.login_as("admin19102").await;
    let job = import(&other, "r.csv", good_rows().into_bytes()).await;
    let admin = app.login_as("admin19101").await;
    let (status, _) = admin
        .get_json(&format!(
            "/api/roster-imports/{}",
            job["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 404, "another school's import is invisible");
}

#[tokio::test]
async fn no_plaintext_id_number_or_phone_is_stored_anywhere() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let job = import(&admin, "roster.csv", good_rows().into_bytes()).await;
    assert_eq!(job["status"], "succeeded");
    let secrets = ["11010519491231002X", "34052419800101001X", "13355665660"];
    // Every text column of every table, read raw.
    let tables: Vec<String> = match app.state.store.backend() {
        wangqian_store::Backend::Sqlite => sqlx::query_as::<_, (String,)>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
        ),
        wangqian_store::Backend::Postgres => sqlx::query_as::<_, (String,)>(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
        ),
    }
    .fetch_all(app.state.store.reader())
    .await
    .unwrap()
    .into_iter()
    .map(|t| t.0)
    .collect();
    assert!(tables.contains(&"graduates".to_string()));
    for table in tables {
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(app.state.store.reader())
            .await
            .unwrap();
        for row in rows {
            use sqlx::Row;
            for i in 0..row.len() {
                if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                    for s in secrets {
                        assert!(!text.contains(s), "plaintext {s} in {table}");
                    }
                }
            }
        }
    }
    // For SQLite, also the raw bytes of the database files (pages not yet checkpointed too).
    if app.state.store.backend() == wangqian_store::Backend::Sqlite {
        for f in ["test.db", "test.db-wal"] {
            if let Ok(bytes) = std::fs::read(app.data_dir.join(f)) {
                for s in secrets {
                    assert!(
                        !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                        "plaintext {s} in {f}"
                    );
                }
            }
        }
    }
    // The uploaded roster file is deleted once imported: no copy stays in the uploads folder.
    let mut stack = vec![app.data_dir.join("uploads")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                for s in secrets {
                    assert!(
                        !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                        "plaintext {s} in {}",
                        p.display()
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn a_job_its_caller_runs_is_never_claimed_by_a_worker_too() {
    // The demo seed and the CLI run their own imports; a worker on any node sharing the
    // database must not start the same import beside them.
    let app = TestApp::spawn().await;
    let store = &app.state.store;
    let mut tx = store.writer().begin().await.unwrap();
    let school = wangqian_store::orgs::school_by_code(store, "19101")
        .await
        .unwrap()
        .unwrap();
    let (job_id, _) = wangqian_store::roster_import::queue_import(
        &mut tx,
        app.state.blobs.as_ref(),
        &school.id,
        "own.csv",
        wangqian_sheets::SheetKind::Csv,
        good_rows().into_bytes(),
        None,
        store.now(),
    )
    .await
    .unwrap();
    wangqian_store::jobs::claim_in(&mut tx, &job_id, "cli", store.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let claimed = wangqian_store::jobs::claim_next(store, "another-node")
        .await
        .unwrap();
    assert!(
        claimed.is_none(),
        "a worker took a claimed job: {claimed:?}"
    );
    let job = wangqian_store::jobs::get(store, &job_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.status, "running");
}

/// Every graduate once, in student-number order, whether paged by number or by the `next`
/// cursor; LIKE wildcards in a keyword are taken literally; a forged cursor is refused.
#[tokio::test]
async fn graduate_pages_by_cursor_match_pages_by_number() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let job = import(
        &admin,
        "roster.csv",
        wangqian_store::demo::synthetic_roster_csv(45, 2027),
    )
    .await;
    assert_eq!(job["status"], "succeeded", "{job}");

    let numbers = |list: &serde_json::Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["student_no"].as_str().unwrap().to_string())
            .collect()
    };
    let mut by_cursor = Vec::new();
    let (_, mut list) = admin.get_json("/api/graduates?per_page=20").await;
    let total = list["meta"]["total"].as_i64().unwrap();
    assert!(total >= 45, "{list}");
    assert_eq!(list["meta"]["total_capped"], false);
    let mut pages = 1;
    loop {
        by_cursor.extend(numbers(&list));
        let Some(next) = list["meta"]["next"].as_str().map(str::to_string) else {
            break;
        };
        let (status, l) = admin
            .get_json(&format!("/api/graduates?per_page=20&after={next}"))
            .await;
        assert_eq!(status, 200, "{l}");
        list = l;
        pages += 1;
    }
    let mut by_number = Vec::new();
    for page in 1..=pages {
        let (_, l) = admin
            .get_json(&format!("/api/graduates?per_page=20&page={page}"))
            .await;
        by_number.extend(numbers(&l));
    }
    assert_eq!(by_cursor, by_number);
    assert_eq!(i64::try_from(by_cursor.len()).unwrap(), total);
    let mut sorted = by_cursor.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, by_cursor, "in order, each once");

    assert_eq!(count(&admin, "%25").await, 0, "a literal % matches no name");
    assert_eq!(count(&admin, "_").await, 0, "a literal _ matches no name");
    let (status, body) = admin.get_json("/api/graduates?after=forged").await;
    assert_eq!(status, 422, "{body}");
}

/// A re-import keyed by student number must not hand a bound account another person's record:
/// a changed name or ID number of a bound graduate refuses the whole file, row by row; other
/// changes, and unbound records, still import; after the school unbinds, the correction lands.
#[tokio::test]
async fn a_reimport_never_rewrites_a_bound_graduates_name_or_id_number() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    let school = app.school_id("19101").await;
    assert_eq!(
        import(&admin, "roster.csv", good_rows().into_bytes()).await["status"],
        "succeeded"
    );
    let (status, bound) = app
        .client()
        .post_json(
            "/api/graduates/bind",
            &serde_json::json!({ "school_id": school, "name": "林晓", "student_no": "2027990001",
                "id_number": "11010519491231002X", "password": "Graduate1", "password_confirm": "Graduate1" }),
        )
        .await;
    assert_eq!(status, 201, "{bound}");
    let graduate_id = bound["graduate_id"].as_str().unwrap().to_string();

    for (changed, column) in [
        (good_rows().replace("林晓", "王芳"), "姓名"),
        (
            good_rows().replace("11010519491231002X", "110105194912310046"),
            "身份证号",
        ),
    ] {
        // The unbound 韩冬 is renamed in the same file: refused too, since nothing lands.
        let changed = changed.replace("韩冬", "韩冬冬");
        let job = import(&admin, "roster.csv", changed.into_bytes()).await;
        assert_eq!(job["status"], "failed", "{job}");
        let errors = job["result"]["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0]["row"], 2);
        assert_eq!(errors[0]["column"], column);
        assert!(errors[0]["reason"].as_str().unwrap().contains("已绑定账号"));
        assert!(job["result"]["message"]
            .as_str()
            .unwrap()
            .contains("未导入任何数据"));
        assert_eq!(count(&admin, "林晓").await, 1, "nothing changed");
        assert_eq!(count(&admin, "韩冬冬").await, 0, "nothing changed");
    }
    // The graduate still logs into their own record.
    let (status, me) = app.client().login("11010519491231002X", "Graduate1").await;
    assert_eq!(status, 200, "{me}");

    // A new phone number of the bound graduate and a renamed unbound one import.
    let ok = good_rows()
        .replace("13355665660", "13355665661")
        .replace("韩冬", "韩冬冬");
    let job = import(&admin, "roster.csv", ok.into_bytes()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(count(&admin, "韩冬冬").await, 1);

    // After the school releases the binding, the corrected name lands.
    let (status, _) = admin
        .post_json(
            &format!("/api/graduates/{graduate_id}/unbind"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 204);
    let job = import(
        &admin,
        "roster.csv",
        good_rows().replace("林晓", "王芳").into_bytes(),
    )
    .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(count(&admin, "王芳").await, 1);
}
