//! Running it for real, on both databases: keys, personal data at rest, the trail's coverage of
//! the terms and its checkpoints, sweeps, the login answer, and outages.

use serde_json::{json, Value};
use wangqian_web::{AppState, Config};

use crate::helpers::{png_bytes, TestApp};
use crate::lifecycle::{effective_agreement, graduate};

/// The same database and data folder, opened with another key setting.
fn config_with_key(app: &TestApp, key: Option<String>) -> Config {
    Config {
        bind: "127.0.0.1:0".into(),
        database_url: app.state.config.database_url(),
        data_dir: app.data_dir.join("other"),
        pii_key: key,
        ..Config::default()
    }
}

#[tokio::test]
async fn a_missing_or_wrong_key_beside_existing_data_refuses_to_start() {
    let app = TestApp::spawn().await;
    // No key configured and no key file, but the database holds the demo.
    let e = AppState::new(config_with_key(&app, None))
        .await
        .err()
        .expect("must refuse")
        .to_string();
    assert!(
        e.contains("pii.key") && e.contains("WANGQIAN_PII_KEY"),
        "{e}"
    );
    assert!(e.contains("缺少") && e.contains("missing"), "{e}");
    assert!(
        !app.data_dir.join("other").join("pii.key").exists(),
        "no new key may be generated for a database with data"
    );
    // Another key: the fingerprint stored in the database does not match.
    let e = AppState::new(config_with_key(
        &app,
        Some(wangqian_store::Pii::generate_hex()),
    ))
    .await
    .err()
    .expect("must refuse")
    .to_string();
    assert!(e.contains("不符") && e.contains("does not match"), "{e}");
    assert!(e.contains(app.state.store.pii.fingerprint()), "{e}");
    // The right key opens it.
    let same = app.state.config.pii_key.clone();
    let ok = AppState::new(config_with_key(&app, same)).await.unwrap();
    ok.store.close().await;
}

/// Every 18-character run in `bytes` that is a valid resident ID number.
fn id_numbers_in(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut i = 0;
    while i + 18 <= bytes.len() {
        let w = &bytes[i..i + 18];
        if w[..17].iter().all(u8::is_ascii_digit)
            && (w[17].is_ascii_digit() || w[17] == b'X')
            && (i == 0 || !bytes[i - 1].is_ascii_digit())
        {
            let s = String::from_utf8_lossy(w).to_string();
            if wangqian_domain::id_number::IdNumber::parse(&s).is_ok() {
                found.push(s);
                i += 18;
                continue;
            }
        }
        i += 1;
    }
    found
}

#[tokio::test]
async fn e_mail_and_uploaded_files_are_encrypted_at_rest_and_masked_in_views() {
    let app = TestApp::spawn().await;
    let store = &app.state.store;
    let rows: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT email, email_masked FROM graduates WHERE email IS NOT NULL")
            .fetch_all(store.reader())
            .await
            .unwrap();
    assert!(!rows.is_empty());
    for (email, masked) in &rows {
        let email = email.as_deref().unwrap();
        assert!(email.starts_with("v1:") && !email.contains('@'), "{email}");
        assert!(masked.as_deref().unwrap().contains("***@"), "{masked:?}");
    }
    // The employer of an agreement sees the masked address.
    let g = graduate(&app, 0).await;
    let (employer, _grad, _reviewer, _admin, id) = effective_agreement(&app, &g).await;
    let (s, d) = employer.get_json(&format!("/api/agreements/{id}")).await;
    assert_eq!(s, 200, "{d}");
    let shown = d["graduate"]["email"].as_str().unwrap();
    assert!(shown.contains("***@example.com"), "{shown}");

    // An upload whose name holds an ID number: stored encrypted, under its extension only, and
    // served back intact.
    let hr = app.login_as("hr1").await;
    crate::helpers::upload_seal(&hr, &format!("公章-{}.png", g.id_number)).await;
    let (name, key): (String, String) = sqlx::query_as(
        "SELECT original_name, storage_key FROM uploads WHERE kind = 'employer_seal' ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(store.reader())
    .await
    .unwrap();
    assert_eq!(name, "employer_seal.png");
    let on_disk = std::fs::read(app.data_dir.join("uploads").join(&key)).unwrap();
    assert!(!on_disk.starts_with(&png_bytes()[..8]), "stored as sent");
    assert_eq!(app.state.blobs.get(&key).await.unwrap(), png_bytes());

    // Nothing in the uploads folder, or in a SQLite database file, reads as an ID number.
    let mut files = vec![];
    let mut stack = vec![app.data_dir.join("uploads")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                files.push(e.path());
            }
        }
    }
    if let Some(db) = app.state.config.sqlite_file() {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(store.writer())
            .await
            .unwrap();
        files.push(db);
    }
    assert!(!files.is_empty());
    for f in files {
        let found = id_numbers_in(&std::fs::read(&f).unwrap());
        assert!(found.is_empty(), "{}: {found:?}", f.display());
    }
}

#[tokio::test]
async fn a_salary_changed_in_the_database_and_a_deleted_record_are_found() {
    let app = TestApp::spawn().await;
    let store = &app.state.store;
    let g = graduate(&app, 0).await;
    let (_employer, grad, _reviewer, _admin, id) = effective_agreement(&app, &g).await;
    let clean = wangqian_store::lifecycle::trail::check(store)
        .await
        .unwrap();
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);
    let checkpoint = wangqian_store::ops::trail_checkpoint(store).await.unwrap();
    assert!(wangqian_store::ops::check_against(store, &checkpoint)
        .await
        .unwrap()
        .is_empty());

    // Someone with database access raises the salary of the terms in force.
    sqlx::query("UPDATE agreements SET terms = REPLACE(terms, '10000', '19000') WHERE id = $1")
        .bind(id.clone())
        .execute(store.writer())
        .await
        .unwrap();
    let report = wangqian_store::lifecycle::trail::check(store)
        .await
        .unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        report.problems[0].2.contains("条款"),
        "{:?}",
        report.problems
    );
    // The graduate's trail page says so too.
    let (_, t) = grad.get_json(&format!("/api/agreements/{id}/trail")).await;
    assert_eq!(t["intact"], false, "{t}");

    // A version rewritten (the salary of version 1) is found the same way.
    sqlx::query("UPDATE agreements SET terms = REPLACE(terms, '19000', '10000') WHERE id = $1")
        .bind(id.clone())
        .execute(store.writer())
        .await
        .unwrap();
    sqlx::query(
        "UPDATE agreement_versions SET terms = REPLACE(terms, '10000', '19000') WHERE agreement_id = $1",
    )
    .bind(id.clone())
    .execute(store.writer())
    .await
    .unwrap();
    let report = wangqian_store::lifecycle::trail::check(store)
        .await
        .unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);

    // The record deleted with all its events (triggers dropped first, as an attacker could):
    // the chain check cannot see it, the checkpoint does.
    let drop_trigger = match store.backend() {
        wangqian_store::Backend::Sqlite => "DROP TRIGGER IF EXISTS flow_events_no_delete",
        wangqian_store::Backend::Postgres => {
            "DROP TRIGGER IF EXISTS flow_events_no_change ON flow_events"
        }
    };
    sqlx::query(drop_trigger)
        .execute(store.writer())
        .await
        .unwrap();
    for sql in [
        "DELETE FROM flow_events WHERE record_id = $1",
        "DELETE FROM agreement_versions WHERE agreement_id = $1",
        "DELETE FROM graduate_outcomes WHERE record_id = $1",
        "DELETE FROM messages WHERE record_id = $1",
        "DELETE FROM agreement_documents WHERE agreement_id = $1",
        "DELETE FROM agreements WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(id.clone())
            .execute(store.writer())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let report = wangqian_store::lifecycle::trail::check(store)
        .await
        .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let problems = wangqian_store::ops::check_against(store, &checkpoint)
        .await
        .unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("删除"), "{problems:?}");
    // A forged checkpoint (a head edited) is refused.
    let mut forged = checkpoint.clone();
    forged.heads.clear();
    assert!(wangqian_store::ops::check_against(store, &forged)
        .await
        .is_err());
}

#[tokio::test]
async fn sweeps_remove_what_expired_and_keep_what_is_current() {
    let app = TestApp::spawn().await;
    let store = &app.state.store;
    let now = store.now();
    let _live = app.login_as("hr1").await;
    // A real upload, which the sweep must keep.
    crate::helpers::upload_seal(&_live, "seal.png").await;
    let (account,): (String,) = sqlx::query_as("SELECT id FROM accounts WHERE login_name = 'hr1'")
        .fetch_one(store.reader())
        .await
        .unwrap();
    sqlx::query("INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ('old', $1, 'x', 0, 0, 1)")
        .bind(account.clone())
        .execute(store.writer())
        .await
        .unwrap();
    sqlx::query("INSERT INTO idempotency_keys (account_id, idem_key, operation, target, response, created_at) VALUES ($1, 'k-old', 'op', 't', NULL, $2), ($1, 'k-new', 'op', 't', NULL, $3)")
        .bind(account.clone())
        .bind(now - 8 * 24 * 3_600_000)
        .bind(now)
        .execute(store.writer())
        .await
        .unwrap();
    sqlx::query("INSERT INTO login_throttle (client_key, window_start, failures) VALUES ('ip:192.0.2.1', $1, 3), ('ip:192.0.2.2', $2, 1)")
        .bind(now - 2 * 24 * 3_600_000)
        .bind(now)
        .execute(store.writer())
        .await
        .unwrap();
    // A file whose request failed after it was written (no row), and one still in flight.
    let orphan_dir = app.data_dir.join("uploads").join("licence").join("zz");
    std::fs::create_dir_all(&orphan_dir).unwrap();
    std::fs::write(orphan_dir.join("orphan-old"), b"x").unwrap();
    std::fs::write(orphan_dir.join("orphan-new"), b"x").unwrap();
    // Files are stamped by the system clock, whatever the app's clock says: the failed
    // request's file was written two hours ago.
    let written = std::fs::metadata(orphan_dir.join("orphan-old"))
        .unwrap()
        .modified()
        .unwrap();
    let two_hours_ago = written - std::time::Duration::from_secs(2 * 3600);
    std::fs::File::options()
        .write(true)
        .open(orphan_dir.join("orphan-old"))
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let report = wangqian_store::system::sweep(
        store,
        Some(&app.data_dir.join("uploads")),
        now + 2 * 3_600_000,
    )
    .await
    .unwrap();
    assert_eq!(report.sessions, 1, "{report:?}");
    assert_eq!(report.idempotency_keys, 1, "{report:?}");
    assert_eq!(report.throttle_rows, 1, "{report:?}");
    // Only the file older than the grace period goes; the one in flight and the demo's own
    // files stay.
    assert_eq!(report.orphan_files, 1, "{report:?}");
    assert!(!orphan_dir.join("orphan-old").exists());
    assert!(orphan_dir.join("orphan-new").exists());
    let (files,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM uploads WHERE kind <> 'roster'")
        .fetch_one(store.reader())
        .await
        .unwrap();
    for (key,) in
        sqlx::query_as::<_, (String,)>("SELECT storage_key FROM uploads WHERE kind <> 'roster'")
            .fetch_all(store.reader())
            .await
            .unwrap()
    {
        assert!(app.data_dir.join("uploads").join(key).exists());
    }
    assert!(files > 0);
    // The live session still works.
    let (s, _) = _live.get_json("/api/me").await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn an_existing_account_and_an_unknown_one_get_the_same_login_answer() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    let known = app.demo_graduate_login(0);
    let (s1, b1) = c.login(&known, "Wrong2026x").await;
    let (s2, b2) = c.login("11010519491231002X", "Wrong2026x").await;
    let (s3, b3) = c.login("no_such_user", "Wrong2026x").await;
    assert_eq!((s1, s2, s3), (401, 401, 401));
    assert_eq!(b1, b2);
    assert_eq!(b2, b3);
    assert!(!b1.to_string().contains("还可尝试"), "{b1}");
}

#[tokio::test]
async fn the_first_administrator_must_change_the_one_time_password_first() {
    let app = TestApp::spawn_empty().await;
    let password =
        wangqian_store::accounts::create_provincial_admin(&app.state.store, "chief", "省就业中心")
            .await
            .unwrap();
    let dup = wangqian_store::accounts::create_provincial_admin(&app.state.store, "chief", "x")
        .await
        .unwrap_err();
    assert!(dup.to_string().contains("提交") || format!("{dup:?}").contains("已存在"));
    let mut c = app.client();
    let (s, me) = c.login("chief", &password).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["must_change_password"], true);
    let (s, b) = c.get_json("/api/employer-verifications").await;
    assert_eq!(s, 403, "{b}");
    assert_eq!(b["error"]["code"], "password_change_required");
    let page = c.get("/").await;
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/account/password");
    // Errors come all at once, per field.
    let (s, b) = c
        .post_json(
            "/api/me/password",
            &json!({ "current_password": "wrong", "new_password": "short", "new_password_confirm": "other" }),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    let fields: Vec<&str> = b["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["new_password", "new_password_confirm"], "{b}");
    let (s, b) = c
        .post_json(
            "/api/me/password",
            &json!({ "current_password": "wrong", "new_password": "Chief2026ok", "new_password_confirm": "Chief2026ok" }),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "current_password");
    let (s, b) = c
        .post_json(
            "/api/me/password",
            &json!({ "current_password": password, "new_password": "Chief2026ok", "new_password_confirm": "Chief2026ok" }),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = c.get_json("/api/employer-verifications").await;
    assert_eq!(s, 200, "{b}");
    // The one-time password no longer works; the new one does.
    let mut again = app.client();
    assert_eq!(again.login("chief", &password).await.0, 401);
    let (s, me) = again.login("chief", "Chief2026ok").await;
    assert_eq!(s, 200);
    assert_eq!(me["must_change_password"], false);
}

/// A TCP relay in front of the database that the test can cut, as an outage would.
async fn relay_to(target: &str) -> (u16, tokio::sync::watch::Sender<bool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (cut_tx, cut_rx) = tokio::sync::watch::channel(false);
    let target = target.to_string();
    tokio::spawn(async move {
        loop {
            let mut cut = cut_rx.clone();
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            if *cut.borrow() {
                drop(inbound);
                continue;
            }
            let target = target.clone();
            tokio::spawn(async move {
                let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = cut.wait_for(|c| *c) => {}
                }
            });
        }
    });
    (port, cut_tx)
}

#[tokio::test]
async fn with_postgresql_unreachable_health_and_requests_fail_fast_with_503() {
    let Ok(server) = std::env::var("WANGQIAN_TEST_PG") else {
        return; // PostgreSQL only: SQLite is a file in the process.
    };
    let app = TestApp::spawn_empty().await;
    // The same test database, reached through a relay that can be cut.
    let url = app.state.config.database_url();
    let host_port = server
        .trim_start_matches("postgres://")
        .trim_start_matches("postgresql://")
        .rsplit('@')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let (port, cut) = relay_to(&host_port).await;
    let relayed = url.replacen(&host_port, &format!("127.0.0.1:{port}"), 1);
    let config = Config {
        bind: "127.0.0.1:0".into(),
        database_url: relayed,
        data_dir: app.data_dir.join("relay"),
        pii_key: app.state.config.pii_key.clone(),
        ..Config::default()
    };
    let state = AppState::new(config).await.unwrap();
    let server_app = wangqian_web::Application::with_state(state).await.unwrap();
    let base = format!("http://{}", server_app.local_addr());
    tokio::spawn(server_app.run_until(std::future::pending()));
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    cut.send(true).unwrap();
    let started = std::time::Instant::now();
    let r = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let started = std::time::Instant::now();
    let r = http
        .post(format!("{base}/api/session"))
        .json(&json!({ "login": "province", "password": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["message"], "系统繁忙，请稍后再试", "{b}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    // It recovers by itself.
    cut.send(false).unwrap();
    let mut healthy = false;
    for _ in 0..50 {
        if http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status()
            == 200
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(healthy);
}

#[tokio::test]
async fn a_postgresql_backup_restores_and_its_dump_holds_no_personal_data() {
    let Ok(server) = std::env::var("WANGQIAN_TEST_PG") else {
        return; // The SQLite drill runs through the binary (crates/wangqian/tests/cli.rs).
    };
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (_employer, _grad, _reviewer, _admin, _id) = effective_agreement(&app, &g).await;
    let hr = app.login_as("hr1").await;
    crate::helpers::upload_seal(&hr, "seal.png").await;
    let url = app.state.config.database_url();

    // A plain-text dump, scanned: no valid ID number anywhere.
    let plain = std::process::Command::new("pg_dump")
        .arg("--format=plain")
        .arg(&url)
        .output()
        .expect("pg_dump");
    assert!(plain.status.success());
    assert!(plain.stdout.len() > 10_000);
    let found = id_numbers_in(&plain.stdout);
    assert!(found.is_empty(), "{found:?}");
    let text = String::from_utf8_lossy(&plain.stdout);
    assert!(!text.contains(&g.id_number));
    // No graduate's e-mail (the demo's are s<student number>@example.com) in plaintext.
    for (i, _) in text.match_indices("@example.com") {
        let local: String = text[..i]
            .chars()
            .rev()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let graduate_like =
            local.starts_with('s') && local[1..].chars().all(|c| c.is_ascii_digit());
        assert!(
            !graduate_like,
            "plaintext graduate e-mail {local}@example.com"
        );
    }

    // `backup` (pg_dump) restored into a new database passes the restore check.
    let dest = app.data_dir.join("pg-backup");
    let manifest = wangqian_store::ops::backup(
        &app.state.store,
        &url,
        &app.state.config.uploads_dir(),
        &dest,
    )
    .await
    .unwrap();
    assert!(dest.join("database.pgdump").exists());
    assert!(manifest.row_counts["agreements"] >= 1);
    let restored = format!("{url}_restored");
    let name = restored.rsplit('/').next().unwrap().to_string();
    let admin = sqlx::AnyPool::connect(&format!("{}/postgres", server.trim_end_matches('/')))
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&admin)
        .await
        .unwrap();
    let status = std::process::Command::new("pg_restore")
        .arg("--no-owner")
        .arg(format!("--dbname={restored}"))
        .arg(dest.join("database.pgdump"))
        .status()
        .unwrap();
    assert!(status.success());
    let copy = wangqian_store::Store::connect(&restored, app.state.store.pii.clone())
        .await
        .unwrap();
    let uploads = wangqian_store::blobs::Encrypted::new(
        wangqian_store::blobs::LocalFolder::new(dest.join("uploads")),
        copy.pii.clone(),
    );
    let report = wangqian_store::ops::restore_check(&copy, &uploads, &manifest)
        .await
        .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(report.uploads >= 1 && report.records >= 1);
    copy.close().await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&admin)
        .await;
}

#[tokio::test]
async fn changing_a_password_needs_a_session_and_only_changes_ones_own() {
    let app = TestApp::spawn().await;
    let anon = app.client();
    let (s, b) = anon
        .post_json(
            "/api/me/password",
            &json!({ "current_password": "Demo2026", "new_password": "Other2026x", "new_password_confirm": "Other2026x" }),
        )
        .await;
    assert_eq!(s, 401, "{b}");
    let page = anon.get("/account/password").await;
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login");
    // Every role changes its own password only: the other accounts keep theirs.
    for login in ["hr1", "admin19101", "province"] {
        let c = app.login_as(login).await;
        let (s, b) = c
            .post_json(
                "/api/me/password",
                &json!({ "current_password": "Demo2026", "new_password": "Other2026x", "new_password_confirm": "Other2026x" }),
            )
            .await;
        assert_eq!(s, 204, "{login}: {b}");
        let mut fresh = app.client();
        assert_eq!(fresh.login(login, "Other2026x").await.0, 200, "{login}");
    }
    let mut other = app.client();
    assert_eq!(other.login("admin19102", "Demo2026").await.0, 200);
}
