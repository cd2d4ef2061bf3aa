//! Load test of the list pages in a large school, run by hand (not part of `cargo test`):
//!
//! ```sh
//! cargo run --release -p wangqian --example bench_lists                       # SQLite
//! cargo run --release -p wangqian --example bench_lists -- --pg postgres://postgres@127.0.0.1:5432
//! ```
//!
//! Seeds the demo province, imports a synthetic roster of `--rows` graduates (default 100,000)
//! into school 19101 through the real import, adds as many agreements, destinations and school
//! messages, then drives each list's API page (first page, a deep page, a filtered page) with
//! `--clients` concurrent clients (default 64) for `--seconds` each (default 5), beside a bare
//! axum + sqlx handler that selects the same page of rows from the same database: no session,
//! no joins, no count. Prints p50, p99 and requests per second of both. `--only agreements,print`
//! runs the scenarios whose names start so.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use sqlx::AnyPool;
use wangqian_store::query::encode_cursor;
use wangqian_store::{demo, Store};
use wangqian_web::{AppState, Application, Config};

struct Args {
    pg: Option<String>,
    rows: usize,
    clients: usize,
    seconds: u64,
    /// Only the scenarios whose name starts with one of these (comma-separated).
    only: Vec<String>,
}

fn args() -> Args {
    let mut a = Args {
        pg: None,
        rows: 100_000,
        clients: 64,
        seconds: 5,
        only: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--pg" => a.pg = Some(value.trim_end_matches('/').to_string()),
            "--rows" => a.rows = value.parse().expect("--rows N"),
            "--clients" => a.clients = value.parse().expect("--clients N"),
            "--seconds" => a.seconds = value.parse().expect("--seconds N"),
            "--only" => a.only = value.split(',').map(str::to_string).collect(),
            other => panic!("unknown option {other}"),
        }
    }
    a
}

/// One measured page: the API path and the bare baseline's SQL with its text parameters.
struct Scenario {
    name: String,
    api: String,
    bare_sql: String,
    bare_args: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args();
    let dir = std::env::temp_dir().join(format!("wangqian-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let pg_name = format!("wqbench_{}", std::process::id());
    let database_url = match &args.pg {
        Some(server) => {
            sqlx::any::install_default_drivers();
            let admin = AnyPool::connect(&format!("{server}/postgres")).await?;
            sqlx::query(&format!("CREATE DATABASE \"{pg_name}\""))
                .execute(&admin)
                .await?;
            admin.close().await;
            format!("{server}/{pg_name}")
        }
        None => format!("sqlite://{}", dir.join("bench.db").display()),
    };
    let backend = if args.pg.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let config = Config {
        bind: "127.0.0.1:0".into(),
        database_url,
        data_dir: dir.clone(),
        pii_key: Some(wangqian_store::Pii::generate_hex()),
        run_jobs: false,
        ..Config::default()
    };
    let state = AppState::new(config).await?;
    let accounts = demo::seed(&state.store, state.blobs.as_ref())
        .await?
        .expect("a fresh database");
    let login = |role: &str| {
        accounts
            .iter()
            .find(|a| a.role == role)
            .map(|a| a.login.clone())
            .expect("demo account")
    };

    let started = Instant::now();
    let roster = dir.join("roster.csv");
    std::fs::write(&roster, demo::synthetic_roster_csv(args.rows, 2027))?;
    let report = wangqian_store::roster_import::import_local_file(
        &state.store,
        state.blobs.as_ref(),
        "19101",
        &roster,
    )
    .await?;
    eprintln!(
        "{backend}: roster import {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        report.message
    );
    let school = wangqian_store::orgs::school_by_code(&state.store, "19101")
        .await?
        .expect("demo school");
    let started = Instant::now();
    seed_records(&state.store, &school.id, args.rows).await?;
    eprintln!(
        "{backend}: {} agreements, destinations and messages in {:.1} s",
        args.rows,
        started.elapsed().as_secs_f64()
    );

    if args.pg.is_some() {
        // The import and the seed ran VACUUM (ANALYZE); say so, since plans depend on it.
        let (vacuumed,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM pg_stat_user_tables WHERE relname IN ('graduates', 'agreements') \
             AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL",
        )
        .fetch_one(state.store.reader())
        .await?;
        eprintln!("{backend}: tables vacuumed and analysed: {vacuumed} of 2");
    }
    if let Ok(file) = std::env::var("BENCH_EXPLAIN") {
        // Plans and times of hand-written statements, one a line as `LIMIT|OFFSET|SQL` with
        // `$1` the school, `$2` and `$3` those numbers.
        for line in std::fs::read_to_string(file)?
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let mut parts = line.splitn(3, '|');
            let limit: i64 = parts.next().unwrap_or("21").parse()?;
            let offset: i64 = parts.next().unwrap_or("0").parse()?;
            let sql = parts.next().unwrap_or("");
            let plan: Vec<String> = if args.pg.is_some() {
                // Run it a few times first: after five executions PostgreSQL may switch a
                // prepared statement to its generic plan, which is what the server then uses.
                for _ in 0..6 {
                    sqlx::query(sql)
                        .bind(school.id.clone())
                        .bind(limit)
                        .bind(offset)
                        .fetch_all(state.store.reader())
                        .await?;
                }
                let rows: Vec<(String,)> =
                    sqlx::query_as(&format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"))
                        .bind(school.id.clone())
                        .bind(limit)
                        .bind(offset)
                        .fetch_all(state.store.reader())
                        .await?;
                rows.into_iter().map(|r| r.0).collect()
            } else {
                let rows: Vec<(i64, i64, i64, String)> =
                    sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                        .bind(school.id.clone())
                        .bind(limit)
                        .bind(offset)
                        .fetch_all(state.store.reader())
                        .await?;
                rows.into_iter().map(|r| r.3).collect()
            };
            let mut times = Vec::new();
            let mut n = 0;
            for _ in 0..5 {
                let t = Instant::now();
                n = sqlx::query(sql)
                    .bind(school.id.clone())
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(state.store.reader())
                    .await?
                    .len();
                times.push(format!("{:.2}", t.elapsed().as_secs_f64() * 1000.0));
            }
            eprintln!("{} ms, {n} rows: {sql}", times.join(" "));
            for p in plan {
                eprintln!("    {p}");
            }
        }
    }
    let mut scenarios = scenarios(&state.store, &school.id, args.rows).await?;
    if !args.only.is_empty() {
        scenarios.retain(|s| args.only.iter().any(|o| s.name.starts_with(o.as_str())));
    }
    let app = Application::with_state(state.clone()).await?;
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let bare = bare_server(
        state.store.reader().clone(),
        scenarios
            .iter()
            .map(|s| (s.bare_sql.clone(), s.bare_args.clone()))
            .collect(),
    )
    .await?;

    let school_admin = logged_in(&base, &login("学校管理员")).await?;
    let province = logged_in(&base, &login("省级管理员")).await?;
    let employer = logged_in(&base, &login("用人单位")).await?;
    let mut table = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        let client = if s.name.starts_with("employer verifications") {
            &province
        } else if s.name.starts_with("send list") {
            &employer
        } else {
            &school_admin
        };
        let api = drive(
            client,
            &format!("{base}{}", s.api),
            args.clients,
            args.seconds,
        )
        .await;
        let plain = reqwest::Client::new();
        let baseline = drive(
            &plain,
            &format!("{bare}/bare/{i}"),
            args.clients,
            args.seconds,
        )
        .await;
        println!(
            "{backend} | {:<38} | {:>7.1} | {:>7.1} | {:>7.0} | {:>7.1} | {:>7.1} | {:>7.0} | {}",
            s.name,
            api.p50,
            api.p99,
            api.rate,
            baseline.p50,
            baseline.p99,
            baseline.rate,
            api.errors + baseline.errors
        );
        table.push((s.name.clone(), api, baseline));
    }
    println!(
        "\n| {backend} ({} rows, {} clients) | p50 ms | p99 ms | req/s | bare p50 | bare p99 | bare req/s |",
        args.rows, args.clients
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (name, a, b) in &table {
        println!(
            "| {name} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.0} |",
            a.p50, a.p99, a.rate, b.p50, b.p99, b.rate
        );
    }

    state.store.close().await;
    if let Some(server) = &args.pg {
        let admin = AnyPool::connect(&format!("{server}/postgres")).await?;
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{pg_name}\" WITH (FORCE)"
        ))
        .execute(&admin)
        .await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Agreements (a quarter each effective with a number, signed, rejected, cancelled), other
/// destinations and messages to the school, one of each per graduate, with distinct times.
async fn seed_records(store: &Store, school_id: &str, rows: usize) -> anyhow::Result<()> {
    let graduates: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, department_id FROM graduates WHERE school_id = $1 ORDER BY student_no",
    )
    .bind(school_id.to_string())
    .fetch_all(store.reader())
    .await?;
    let graduates = &graduates[..graduates.len().min(rows)];
    let n = i64::try_from(graduates.len())?;
    let base = store.now();
    const CHUNK: usize = 200;
    for (c, chunk) in graduates.chunks(CHUNK).enumerate() {
        // `(VALUES …)` names its columns column1…columnN on both databases.
        let values = |width: usize| {
            let mut p = 0;
            let tuples: Vec<String> = chunk
                .iter()
                .map(|_| {
                    let cells: Vec<String> = (0..width)
                        .map(|_| {
                            p += 1;
                            format!("${p}")
                        })
                        .collect();
                    format!("({})", cells.join(", "))
                })
                .collect();
            tuples.join(", ")
        };
        let a_sql = format!(
            "INSERT INTO agreements (id, kind, school_id, department_id, graduate_id, state, number, updated_at, \
             graduation_year, employer_name, employer_credit_code, version, terms_version, terms, binding_moment, \
             trail_seq, trail_hash, created_at, effective_at, awaiting) \
             SELECT column1, 'paper', column2, column3, column4, column5, column6, CAST(column7 AS BIGINT), \
             2027, '安徽某某科技有限公司', '91340100MA2N0000X1', 1, 1, '{{}}', 'on_attestation', 1, 'bench', \
             CAST(column7 AS BIGINT), CASE WHEN column6 IS NULL THEN NULL ELSE CAST(column7 AS BIGINT) END, \
             CASE WHEN column5 = 'signed' THEN 'school_admin' ELSE NULL END \
             FROM (VALUES {}) v",
            values(7)
        );
        let d_sql = format!(
            "INSERT INTO destinations (id, school_id, department_id, graduate_id, state, updated_at, graduation_year, \
             category_code, version, trail_seq, trail_hash, created_at) \
             SELECT column1, column2, column3, column4, column5, CAST(column6 AS BIGINT), 2027, '80', 1, 1, \
             'bench', CAST(column6 AS BIGINT) FROM (VALUES {}) v",
            values(6)
        );
        let m_sql = format!(
            "INSERT INTO messages (id, school_id, recipient_kind, recipient_id, record_kind, record_id, title, body, created_at) \
             SELECT column1, column2, 'school', column2, 'agreement', column3, '协议待审核', '有一份协议等待学校审核。', \
             CAST(column4 AS BIGINT) FROM (VALUES {}) v",
            values(4)
        );
        let mut aq = sqlx::query(&a_sql);
        let mut dq = sqlx::query(&d_sql);
        let mut mq = sqlx::query(&m_sql);
        for (j, (graduate, department)) in chunk.iter().enumerate() {
            let i = i64::try_from(c * CHUNK + j)?;
            // A permutation of the rows' times: pages are not in insertion order.
            let at = (base - (i * 7919 % n) * 1000).to_string();
            let (state, number) = match i % 4 {
                0 => ("effective", Some(format!("2191012027{i:07}"))),
                1 => ("signed", None),
                2 => ("rejected", None),
                _ => ("cancelled", None),
            };
            let id = wangqian_store::new_id();
            aq = aq
                .bind(id.clone())
                .bind(school_id.to_string())
                .bind(department.clone())
                .bind(graduate.clone())
                .bind(state)
                .bind(number)
                .bind(at.clone());
            dq = dq
                .bind(wangqian_store::new_id())
                .bind(school_id.to_string())
                .bind(department.clone())
                .bind(graduate.clone())
                .bind(["submitted", "approved", "rejected"][usize::try_from(i % 3)?])
                .bind(at.clone());
            mq = mq
                .bind(wangqian_store::new_id())
                .bind(school_id.to_string())
                .bind(id)
                .bind(at);
        }
        let mut tx = store.writer().begin().await?;
        aq.execute(&mut *tx).await?;
        dq.execute(&mut *tx).await?;
        mq.execute(&mut *tx).await?;
        tx.commit().await?;
    }
    store
        .analyze(&["agreements", "destinations", "messages"])
        .await;
    Ok(())
}

async fn scenarios(store: &Store, school: &str, rows: usize) -> anyhow::Result<Vec<Scenario>> {
    let deep = i64::try_from(rows / 2)?;
    let one = |sql: &'static str| async move {
        let r: (i64, String) = sqlx::query_as(sql)
            .bind(school.to_string())
            .bind(deep)
            .fetch_one(store.reader())
            .await?;
        anyhow::Ok(r)
    };
    let (a_at, a_id) = one(
        "SELECT updated_at, id FROM agreements WHERE school_id = $1 AND state <> 'draft' \
         ORDER BY updated_at DESC, id DESC LIMIT 1 OFFSET $2",
    )
    .await?;
    let (_, g_no) = one(
        "SELECT CAST(0 AS BIGINT) AS zero, student_no FROM graduates WHERE school_id = $1 ORDER BY student_no LIMIT 1 OFFSET $2",
    )
    .await?;
    let (d_at, d_id) = one(
        "SELECT updated_at, id FROM destinations WHERE school_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 1 OFFSET $2",
    )
    .await?;
    let (department,): (String,) =
        sqlx::query_as("SELECT id FROM departments WHERE school_id = $1 ORDER BY name LIMIT 1")
            .bind(school.to_string())
            .fetch_one(store.reader())
            .await?;
    let a_cursor = encode_cursor(&[&a_at.to_string(), &a_id]);
    let g_cursor = encode_cursor(&[&g_no]);
    let d_cursor = encode_cursor(&[&d_at.to_string(), &d_id]);
    let s = |name: &str, api: String, bare_sql: &str, bare_args: Vec<String>| Scenario {
        name: name.to_string(),
        api,
        bare_sql: bare_sql.to_string(),
        bare_args,
    };
    let sc = school.to_string();
    const A: &str =
        "SELECT id, state, updated_at FROM agreements WHERE school_id = $1 AND state <> 'draft'";
    const G: &str = "SELECT id, student_no, name FROM graduates WHERE school_id = $1";
    const D: &str = "SELECT id, state, updated_at FROM destinations WHERE school_id = $1";
    Ok(vec![
        s("agreements: first page", "/api/agreements?per_page=20".into(),
          &format!("{A} ORDER BY updated_at DESC, id DESC LIMIT 20"), vec![sc.clone()]),
        s(&format!("agreements: after row {deep} (cursor)"),
          format!("/api/agreements?per_page=20&after={a_cursor}"),
          &format!("{A} AND updated_at <= CAST($2 AS BIGINT) AND (updated_at < CAST($2 AS BIGINT) OR id < $3) \
                    ORDER BY updated_at DESC, id DESC LIMIT 20"),
          vec![sc.clone(), a_at.to_string(), a_id.clone()]),
        s("agreements: page 50 (offset)", "/api/agreements?per_page=20&page=50".into(),
          &format!("{A} ORDER BY updated_at DESC, id DESC LIMIT 20 OFFSET 980"), vec![sc.clone()]),
        s("agreements: state=signed", "/api/agreements?per_page=20&state=signed".into(),
          &format!("{A} AND state = 'signed' ORDER BY updated_at DESC, id DESC LIMIT 20"), vec![sc.clone()]),
        s("graduates: first page", "/api/graduates?per_page=20".into(),
          &format!("{G} ORDER BY student_no LIMIT 20"), vec![sc.clone()]),
        s(&format!("graduates: after row {deep} (cursor)"),
          format!("/api/graduates?per_page=20&after={g_cursor}"),
          &format!("{G} AND student_no > $2 ORDER BY student_no LIMIT 20"), vec![sc.clone(), g_no.clone()]),
        s("graduates: page 2500 (offset)", "/api/graduates?per_page=20&page=2500".into(),
          &format!("{G} ORDER BY student_no LIMIT 20 OFFSET 49980"), vec![sc.clone()]),
        s("graduates: one department", format!("/api/graduates?per_page=20&department_id={department}"),
          &format!("{G} AND department_id = $2 ORDER BY student_no LIMIT 20"), vec![sc.clone(), department.clone()]),
        s("destinations: first page", "/api/destinations?per_page=20".into(),
          &format!("{D} ORDER BY updated_at DESC, id DESC LIMIT 20"), vec![sc.clone()]),
        s(&format!("destinations: after row {deep} (cursor)"),
          format!("/api/destinations?per_page=20&after={d_cursor}"),
          &format!("{D} AND updated_at <= CAST($2 AS BIGINT) AND (updated_at < CAST($2 AS BIGINT) OR id < $3) \
                    ORDER BY updated_at DESC, id DESC LIMIT 20"),
          vec![sc.clone(), d_at.to_string(), d_id.clone()]),
        s("destinations: state=submitted", "/api/destinations?per_page=20&state=submitted".into(),
          &format!("{D} AND state = 'submitted' ORDER BY updated_at DESC, id DESC LIMIT 20"), vec![sc.clone()]),
        s("messages: first page", "/api/messages?per_page=20".into(),
          "SELECT id, title, created_at FROM messages WHERE recipient_kind = 'school' AND recipient_id = $1 \
           ORDER BY created_at DESC, id DESC LIMIT 20", vec![sc.clone()]),
        s("print records: first page", "/api/print-records?per_page=20".into(),
          "SELECT id, number, effective_at FROM agreements WHERE school_id = $1 AND number IS NOT NULL \
           ORDER BY effective_at DESC, id DESC LIMIT 20", vec![sc.clone()]),
        s("employer verifications: first page", "/api/employer-verifications?status=verified".into(),
          "SELECT id, name, created_at FROM employers WHERE status = 'verified' AND $1 = $1 ORDER BY created_at, id LIMIT 20",
          vec![sc.clone()]),
        s("send list: first page", "/api/send-list".into(),
          "SELECT graduate_id FROM send_list WHERE $1 = $1 ORDER BY added_at DESC LIMIT 20",
          vec![sc.clone()]),
    ])
}

/// The baseline: the same page of rows straight from the pool, their ids as JSON.
async fn bare_server(
    pool: AnyPool,
    scenarios: Vec<(String, Vec<String>)>,
) -> anyhow::Result<String> {
    type Shared = Arc<(AnyPool, Vec<(String, Vec<String>)>)>;
    async fn page(State(b): State<Shared>, Path(i): Path<usize>) -> Json<Vec<String>> {
        let (sql, args) = &b.1[i];
        let mut q = sqlx::query_as::<_, (String,)>(sql);
        for a in args {
            q = q.bind(a.clone());
        }
        let rows = q.fetch_all(&b.0).await.unwrap_or_default();
        Json(rows.into_iter().map(|r| r.0).collect())
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Router::new()
        .route("/bare/{i}", get(page))
        .with_state(Arc::new((pool, scenarios)));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}"))
}

/// A client holding a session of `login` (demo password).
async fn logged_in(base: &str, login: &str) -> anyhow::Result<reqwest::Client> {
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let r = client
        .post(format!("{base}/api/session"))
        .json(&serde_json::json!({ "login": login, "password": demo::DEMO_PASSWORD }))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "login {login}: {}", r.status());
    Ok(client)
}

struct Stats {
    p50: f64,
    p99: f64,
    rate: f64,
    errors: usize,
}

/// `clients` loops requesting `url` for `seconds` (after a short warm-up).
async fn drive(client: &reqwest::Client, url: &str, clients: usize, seconds: u64) -> Stats {
    let warm = client.get(url).send().await.map(|r| r.status());
    if !matches!(warm, Ok(s) if s.is_success()) {
        eprintln!("warning: {url} answered {warm:?}");
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let client = client.clone();
            let url = url.to_string();
            tokio::spawn(async move {
                let mut times = Vec::new();
                let mut errors = 0;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match client.get(&url).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            times.push(t.elapsed().as_secs_f64() * 1000.0);
                        }
                        _ => errors += 1,
                    }
                }
                (times, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((times, e)) = t.await {
            all.extend(times);
            errors += e;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let at = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        rate: all.len() as f64 / elapsed,
        errors,
    }
}
