//! The two migration folders must build the same schema, and the CHECK constraints must allow
//! exactly the values of the domain's enums.
//!
//! SQLite always runs; the comparison with PostgreSQL runs when `WANGQIAN_TEST_PG` names a
//! server (a temporary database is created and dropped).

use std::collections::{BTreeMap, BTreeSet};

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use wangqian_domain::lifecycle::{AgreementKind, AgreementState, DestinationState, Party};
use wangqian_store::{Backend, Store};

/// A schema as both databases can describe it, each part a set of comparable lines.
#[derive(Debug, Default)]
struct Schema {
    columns: BTreeSet<String>,
    indexes: BTreeSet<String>,
    uniques: BTreeSet<String>,
    primary_keys: BTreeSet<String>,
    foreign_keys: BTreeSet<String>,
    /// (table.column) → allowed values.
    checks: BTreeMap<String, BTreeSet<String>>,
}

/// The first migration that adds the state CHECKs (a SQLite table rebuild).
const CHECKS_VERSION: i64 = 20261208000006;

fn norm_type(t: &str) -> &'static str {
    match t.to_ascii_lowercase().as_str() {
        "text" | "character varying" | "varchar" => "text",
        "integer" | "bigint" | "int" | "smallint" | "int8" | "int4" => "integer",
        "blob" | "bytea" => "blob",
        "real" | "double precision" => "real",
        "boolean" => "boolean",
        _ => "other",
    }
}

/// The column and the literal values of each `CHECK (col IN (...))` in `sql` (SQLite's
/// `CREATE TABLE` text or PostgreSQL's `pg_get_constraintdef`).
fn parse_checks(sql: &str) -> Vec<(String, BTreeSet<String>)> {
    let bytes = sql.as_bytes();
    let upper = sql.to_ascii_uppercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = upper[from..].find("CHECK") {
        let start = from + found;
        from = start + 5;
        let before_ok = start == 0 || !is_ident(bytes[start - 1]);
        let mut i = start + 5;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if !before_ok || i >= bytes.len() || bytes[i] != b'(' {
            continue;
        }
        // The balanced parentheses after CHECK, skipping quoted text.
        let mut depth = 0;
        let mut j = i;
        let mut column: Option<String> = None;
        let mut values = BTreeSet::new();
        while j < bytes.len() {
            match bytes[j] {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b'\'' => {
                    let end = sql[j + 1..].find('\'').map_or(bytes.len(), |e| j + 1 + e);
                    values.insert(sql[j + 1..end].to_string());
                    j = end;
                }
                c if c.is_ascii_digit() && !is_ident(bytes[j - 1]) => {
                    let mut e = j;
                    while e < bytes.len() && bytes[e].is_ascii_digit() {
                        e += 1;
                    }
                    values.insert(sql[j..e].to_string());
                    j = e - 1;
                }
                c if is_ident(c) && !is_ident(bytes[j - 1]) => {
                    let mut e = j;
                    while e < bytes.len() && is_ident(bytes[e]) {
                        e += 1;
                    }
                    if column.is_none() {
                        column = Some(sql[j..e].to_string());
                    }
                    j = e - 1;
                }
                _ => {}
            }
            j += 1;
        }
        from = j;
        if let Some(c) = column {
            out.push((c, values));
        }
    }
    out
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

async fn sqlite_pool(path: &std::path::Path) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA foreign_keys = ON").await?;
                Ok(())
            })
        })
        .connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap()
}

/// A fresh PostgreSQL database on the test server, if one is named.
async fn pg_database(tag: &str) -> Option<(AnyPool, String, String)> {
    let server = std::env::var("WANGQIAN_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())?;
    sqlx::any::install_default_drivers();
    let server = server.trim_end_matches('/').to_string();
    let name = format!("wqs_{tag}_{}", std::process::id());
    let admin = AnyPool::connect(&format!("{server}/postgres"))
        .await
        .unwrap();
    admin
        .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await
        .unwrap();
    admin
        .execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .unwrap();
    admin.close().await;
    let pool = AnyPool::connect(&format!("{server}/{name}")).await.unwrap();
    Some((pool, server, name))
}

async fn drop_pg(pool: AnyPool, server: &str, name: &str) {
    pool.close().await;
    let admin = AnyPool::connect(&format!("{server}/postgres"))
        .await
        .unwrap();
    admin
        .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await
        .unwrap();
}

/// The migrations of a backend before `version` (exclusive).
fn migrations_before(backend: Backend, version: i64) -> Migrator {
    let all = Store::migrator(backend);
    Migrator {
        migrations: all
            .iter()
            .filter(|m| m.version < version)
            .cloned()
            .collect::<Vec<_>>()
            .into(),
        ..Migrator::DEFAULT
    }
}

async fn sqlite_schema(pool: &AnyPool) -> Schema {
    let mut s = Schema::default();
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, sql) in tables {
        let cols: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(table.clone())
        .fetch_all(pool)
        .await
        .unwrap();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for (name, ty, notnull, pk_pos) in &cols {
            // A PRIMARY KEY column is never NULL in PostgreSQL; SQLite allows it unless told.
            let null = if *notnull != 0 || *pk_pos > 0 {
                "NOT NULL"
            } else {
                "NULL"
            };
            s.columns
                .insert(format!("{table}.{name}: {} {null}", norm_type(ty)));
            if *pk_pos > 0 {
                pk.push((*pk_pos, name.clone()));
            }
        }
        pk.sort();
        if !pk.is_empty() {
            let names: Vec<String> = pk.into_iter().map(|p| p.1).collect();
            s.primary_keys
                .insert(format!("{table} ({})", names.join(", ")));
        }
        let indexes: Vec<(String, i64, String, i64)> =
            sqlx::query_as("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
                .bind(table.clone())
                .fetch_all(pool)
                .await
                .unwrap();
        for (name, unique, origin, partial) in indexes {
            let cols: Vec<(String,)> =
                sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(name.clone())
                    .fetch_all(pool)
                    .await
                    .unwrap();
            let cols: Vec<String> = cols.into_iter().map(|c| c.0).collect();
            match origin.as_str() {
                "pk" => {}
                "u" => {
                    s.uniques.insert(format!("{table} ({})", cols.join(", ")));
                }
                _ => {
                    s.indexes
                        .insert(index_line(&table, &name, &cols, unique != 0, partial != 0));
                }
            }
        }
        let fks: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list($1)")
                .bind(table.clone())
                .fetch_all(pool)
                .await
                .unwrap();
        for (to_table, from, to) in fks {
            s.foreign_keys.insert(format!(
                "{table}.{from} -> {to_table}.{}",
                to.unwrap_or_else(|| "id".into())
            ));
        }
        for (column, values) in parse_checks(&sql) {
            let key = format!("{table}.{column}");
            assert!(
                s.checks.insert(key.clone(), values).is_none(),
                "two CHECKs on {key}"
            );
        }
    }
    s
}

fn index_line(table: &str, name: &str, cols: &[String], unique: bool, partial: bool) -> String {
    format!(
        "{table}: {}{name} ({}){}",
        if unique { "UNIQUE " } else { "" },
        cols.join(", "),
        if partial { " WHERE …" } else { "" }
    )
}

async fn pg_schema(pool: &AnyPool) -> Schema {
    let mut s = Schema::default();
    let cols: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable::text \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, name, ty, nullable) in cols {
        let null = if nullable == "NO" { "NOT NULL" } else { "NULL" };
        s.columns
            .insert(format!("{table}.{name}: {} {null}", norm_type(&ty)));
    }
    // Each index with its columns in order; those behind a UNIQUE or PRIMARY KEY constraint
    // are reported as that constraint.
    let indexes: Vec<(String, String, String, i64, i64, String)> = sqlx::query_as(
        "SELECT t.relname::text, i.relname::text, \
           (SELECT string_agg(a.attname::text, ', ' ORDER BY k.ord) FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) \
              JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum), \
           CASE WHEN ix.indisunique THEN 1 ELSE 0 END, CASE WHEN ix.indpred IS NULL THEN 0 ELSE 1 END, \
           COALESCE((SELECT c.contype::text FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.contype IN ('p', 'u') LIMIT 1), '') \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND t.relname NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, name, cols, unique, partial, constraint) in indexes {
        match constraint.as_str() {
            "p" => {
                s.primary_keys.insert(format!("{table} ({cols})"));
            }
            "u" => {
                s.uniques.insert(format!("{table} ({cols})"));
            }
            _ => {
                let cols: Vec<String> = cols.split(", ").map(str::to_string).collect();
                s.indexes
                    .insert(index_line(&table, &name, &cols, unique != 0, partial != 0));
            }
        }
    }
    let fks: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, \
           (SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = c.conkey[1]), \
           c.confrelid::regclass::text, \
           (SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.confrelid AND a.attnum = c.confkey[1]) \
         FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, from, to_table, to) in fks {
        s.foreign_keys
            .insert(format!("{table}.{from} -> {to_table}.{to}"));
    }
    let checks: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, pg_get_constraintdef(c.oid) FROM pg_constraint c \
         WHERE c.contype = 'c' AND c.connamespace = 'public'::regnamespace",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, def) in checks {
        for (column, mut values) in parse_checks(&def) {
            // PostgreSQL writes `ARRAY['a'::text, …]`: the cast's type name is not a value.
            values.remove("text");
            let key = format!("{table}.{column}");
            assert!(
                s.checks.insert(key.clone(), values).is_none(),
                "two CHECKs on {key}"
            );
        }
    }
    s
}

fn strings<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> BTreeSet<String> {
    all.iter().map(|v| f(*v).to_string()).collect()
}

/// What the domain says each constrained column may hold.
fn domain_checks() -> BTreeMap<&'static str, BTreeSet<String>> {
    let agreement = strings(AgreementState::ALL, AgreementState::as_str);
    let destination = strings(DestinationState::ALL, DestinationState::as_str);
    let party = strings(&Party::ALL, Party::as_str);
    let trail_states: BTreeSet<String> = agreement.union(&destination).cloned().collect();
    BTreeMap::from([
        ("agreements.state", agreement),
        (
            "agreements.kind",
            strings(&AgreementKind::ALL, AgreementKind::as_str),
        ),
        ("agreements.awaiting", party.clone()),
        ("agreements.termination_requested_by", party.clone()),
        ("destinations.state", destination),
        ("destinations.awaiting", party.clone()),
        ("flow_events.party", party),
        ("flow_events.from_state", trail_states.clone()),
        ("flow_events.to_state", trail_states),
        (
            "graduates.review_state",
            strings(
                wangqian_domain::roster_review::RosterReview::ALL,
                wangqian_domain::roster_review::RosterReview::as_str,
            ),
        ),
        (
            "record_corrections.state",
            strings(
                wangqian_domain::record_correction::CorrectionState::ALL,
                wangqian_domain::record_correction::CorrectionState::as_str,
            ),
        ),
    ])
}

fn assert_matches_domain(s: &Schema, backend: &str) {
    for (column, values) in domain_checks() {
        let found = s
            .checks
            .get(column)
            .unwrap_or_else(|| panic!("{backend}: no CHECK on {column}"));
        assert_eq!(
            found, &values,
            "{backend}: the CHECK on {column} differs from the domain enum"
        );
    }
}

fn diff(part: &str, a: &BTreeSet<String>, b: &BTreeSet<String>, out: &mut Vec<String>) {
    for x in a.difference(b) {
        out.push(format!("{part} only in SQLite:     {x}"));
    }
    for x in b.difference(a) {
        out.push(format!("{part} only in PostgreSQL: {x}"));
    }
}

#[tokio::test]
async fn sqlite_checks_allow_exactly_the_domain_values() {
    let dir = tempdir("fresh");
    let pool = sqlite_pool(&dir.join("s.db")).await;
    Store::migrator(Backend::Sqlite).run(&pool).await.unwrap();
    let s = sqlite_schema(&pool).await;
    assert_matches_domain(&s, "SQLite");
    // The parser sees the older CHECKs too (a sign that it reads the table text right).
    assert_eq!(
        s.checks.get("jobs.status").map(|v| v.len()),
        Some(4),
        "{:?}",
        s.checks.keys()
    );
}

#[tokio::test]
async fn both_migration_folders_build_the_same_schema() {
    let Some((pg, server, name)) = pg_database("cmp").await else {
        eprintln!("WANGQIAN_TEST_PG not set: PostgreSQL schema comparison skipped");
        return;
    };
    let dir = tempdir("cmp");
    let lite = sqlite_pool(&dir.join("s.db")).await;
    Store::migrator(Backend::Sqlite).run(&lite).await.unwrap();
    Store::migrator(Backend::Postgres).run(&pg).await.unwrap();
    let a = sqlite_schema(&lite).await;
    let b = pg_schema(&pg).await;
    drop_pg(pg, &server, &name).await;
    assert_matches_domain(&b, "PostgreSQL");

    let mut out = Vec::new();
    diff("column", &a.columns, &b.columns, &mut out);
    diff("index", &a.indexes, &b.indexes, &mut out);
    diff("unique", &a.uniques, &b.uniques, &mut out);
    diff("primary key", &a.primary_keys, &b.primary_keys, &mut out);
    diff("foreign key", &a.foreign_keys, &b.foreign_keys, &mut out);
    let checks = |s: &Schema| -> BTreeSet<String> {
        s.checks
            .iter()
            .map(|(k, v)| format!("{k} IN {v:?}"))
            .collect()
    };
    diff("check", &checks(&a), &checks(&b), &mut out);
    assert!(
        out.is_empty(),
        "the migration folders differ:\n{}",
        out.join("\n")
    );
    assert!(a.columns.len() > 100 && a.indexes.len() > 20);
}

/// Rows written before the CHECK migration survive it unchanged (SQLite rebuilds the tables
/// under foreign keys), and afterwards a state outside the enum is refused.
#[tokio::test]
async fn existing_rows_survive_the_check_migration() {
    let dir = tempdir("upgrade");
    let lite = sqlite_pool(&dir.join("s.db")).await;
    upgrade_with_rows(&lite, Backend::Sqlite).await;
    let fk: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&lite)
        .await
        .unwrap();
    assert!(fk.is_empty(), "dangling references: {fk:?}");
    if let Some((pg, server, name)) = pg_database("up").await {
        upgrade_with_rows(&pg, Backend::Postgres).await;
        drop_pg(pg, &server, &name).await;
    }
}

async fn upgrade_with_rows(pool: &AnyPool, backend: Backend) {
    migrations_before(backend, CHECKS_VERSION)
        .run(pool)
        .await
        .unwrap();
    let statements = [
        "INSERT INTO schools (id, code, name, province, created_at, updated_at) VALUES ('s1', '19101', '测试大学', '测试省', 1, 1)",
        "INSERT INTO departments (id, school_id, name, created_at, updated_at) VALUES ('d1', 's1', '计算机学院', 1, 1)",
        "INSERT INTO majors (id, school_id, department_id, name, created_at, updated_at) VALUES ('m1', 's1', 'd1', '软件工程', 1, 1)",
        "INSERT INTO graduates (id, school_id, department_id, major_id, graduation_year, student_no, name, gender, \
           id_number_enc, id_number_hash, id_number_masked, education_level_code, training_mode_code, years_of_schooling, \
           origin_location, created_at, updated_at) \
         VALUES ('g1', 's1', 'd1', 'm1', 2027, '2023001', '张三', '男', 'x', 'h', 'm', '31', '1', 4, '北京', 1, 1)",
        "INSERT INTO agreements (id, kind, school_id, department_id, graduate_id, graduation_year, employer_name, \
           employer_credit_code, state, awaiting, version, terms_version, terms, binding_moment, number, trail_seq, \
           trail_hash, created_at, updated_at, reminded_at) \
         VALUES ('a1', 'paper', 's1', 'd1', 'g1', 2027, '某公司', '91110000000000000X', 'effective', NULL, 3, 1, '{}', \
           'on_attestation', '2191012027000001', 2, 'hash', 1, 5, 7)",
        "INSERT INTO agreement_versions (agreement_id, version_no, school_id, terms, status, proposed_at) \
         VALUES ('a1', 1, 's1', '{}', 'in_force', 1)",
        "INSERT INTO agreement_print_stats (agreement_id, school_id, print_count, last_printed_at) VALUES ('a1', 's1', 2, 9)",
        "INSERT INTO destinations (id, school_id, department_id, graduate_id, graduation_year, category_code, state, \
           awaiting, version, trail_seq, trail_hash, created_at, updated_at) \
         VALUES ('x1', 's1', 'd1', 'g1', 2027, '80', 'withdrawn', NULL, 2, 2, 'hash', 1, 4)",
        "INSERT INTO flow_events (record_id, seq, record_kind, school_id, at, actor_name, party, action, from_state, \
           to_state, prev_hash, hash, terms_hash) \
         VALUES ('a1', 1, 'agreement', 's1', 1, '张三', 'graduate', 'submit_paper', 'draft', 'content_review', '', 'h1', 't1')",
    ];
    for sql in statements {
        pool.execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    Store::migrator(backend).run(pool).await.unwrap();

    let a: (String, String, i64, Option<String>, i64, Option<i64>) = sqlx::query_as(
        "SELECT state, number, version, awaiting, updated_at, reminded_at FROM agreements WHERE id = 'a1'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        a,
        (
            "effective".to_string(),
            "2191012027000001".to_string(),
            3,
            None,
            5,
            Some(7)
        )
    );
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM agreement_versions v JOIN agreement_print_stats p ON p.agreement_id = v.agreement_id \
         JOIN agreements a ON a.id = v.agreement_id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(count, 1, "the references to the rebuilt table still join");
    let e: (String, String, String) =
        sqlx::query_as("SELECT to_state, hash, terms_hash FROM flow_events WHERE record_id = 'a1'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(e, ("content_review".into(), "h1".into(), "t1".into()));
    let (d,): (String,) = sqlx::query_as("SELECT state FROM destinations WHERE id = 'x1'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(d, "withdrawn");

    // The trail stays append-only after the rebuild.
    assert!(pool
        .execute("UPDATE flow_events SET remark = 'x' WHERE record_id = 'a1'")
        .await
        .is_err());
    // And the states are now constrained.
    for bad in [
        "UPDATE agreements SET state = 'approved' WHERE id = 'a1'",
        "UPDATE agreements SET awaiting = 'school' WHERE id = 'a1'",
        "UPDATE agreements SET termination_requested_by = 'nobody' WHERE id = 'a1'",
        "UPDATE destinations SET state = 'effective' WHERE id = 'x1'",
    ] {
        let err = pool
            .execute(bad)
            .await
            .expect_err(bad)
            .to_string()
            .to_lowercase();
        assert!(err.contains("check"), "{bad}: {err}");
    }
}

fn tempdir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wangqian-schema-{tag}-{}-{}",
        std::process::id(),
        wangqian_store::new_id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn check_parser_reads_both_spellings() {
    let lite = parse_checks(
        "CREATE TABLE t (a TEXT -- the school's rule, check-trail\n CHECK (a IN ('x', 'y')), \
         b INTEGER CHECK (b IN (0, 1)))",
    );
    let pg = parse_checks("CHECK ((a = ANY (ARRAY['x'::text, 'y'::text])))");
    assert_eq!(
        lite[0],
        ("a".to_string(), BTreeSet::from(["x".into(), "y".into()]))
    );
    assert_eq!(lite[1].1, BTreeSet::from(["0".into(), "1".into()]));
    let mut pg_values = pg[0].1.clone();
    pg_values.remove("text");
    assert_eq!((pg[0].0.as_str(), pg_values), ("a", lite[0].1.clone()));
}
