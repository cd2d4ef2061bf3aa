//! The binary as an operator runs it (SQLite): start and stop, the data folder, keys, backups,
//! the demo rule and memory under a login storm.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

static N: AtomicUsize = AtomicUsize::new(0);

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "wangqian-cli-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The binary with a clean environment of its own: data folder `data`, run from `cwd`.
fn wangqian(cwd: &Path, data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wangqian"));
    c.current_dir(cwd)
        .env("WANGQIAN_DATA_DIR", data)
        .env("WANGQIAN_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("WANGQIAN_PII_KEY")
        .env_remove("WANGQIAN_DATABASE_URL");
    c
}

fn run(c: &mut Command) -> (bool, String) {
    let out = c.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A running server and the address from its banner.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(mut c: Command) -> Server {
        let mut child = c
            .arg("--bind")
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(i) = line.find("http://") {
                    let url: String = line[i..]
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '（')
                        .collect();
                    let _ = tx.send(url.trim_end_matches('/').to_string());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("server banner");
        Server { child, base }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, as `systemctl stop` sends; waits for a clean exit.
    fn terminate(mut self) {
        // The shell's built-in kill: no procps needed on a bare machine.
        let ok = Command::new("sh")
            .arg("-c")
            .arg(format!("kill -TERM {}", self.pid()))
            .status()
            .unwrap()
            .success();
        assert!(ok);
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit status {status}");
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("server did not stop within 30 s of SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_demo(cwd: &Path, data: &Path) -> Server {
    let mut c = wangqian(cwd, data);
    c.arg("serve").arg("--demo");
    Server::start(c)
}

#[test]
fn the_data_folder_holds_everything_and_a_missing_key_stops_the_server() {
    let cwd = temp_dir("cwd");
    let data = temp_dir("data");
    let (ok, out) = run(wangqian(&cwd, &data).arg("demo"));
    assert!(ok, "{out}");
    assert!(data.join("wangqian.db").exists());
    assert!(data.join("pii.key").exists());
    assert!(
        !cwd.join("data").exists(),
        "nothing written beside the working folder"
    );

    // check-trail on another, empty data folder: says so and fails, creates nothing.
    let elsewhere = temp_dir("elsewhere");
    let (ok, out) = run(wangqian(&cwd, &elsewhere).arg("check-trail"));
    assert!(!ok, "{out}");
    assert!(out.contains("找不到数据库文件"), "{out}");
    assert!(!elsewhere.join("wangqian.db").exists());
    assert!(!elsewhere.join("pii.key").exists());
    // On the demo's folder, with no agreements yet: it does not pass silently either.
    let (ok, out) = run(wangqian(&cwd, &data).arg("check-trail"));
    assert!(!ok, "{out}");
    assert!(out.contains("没有任何"), "{out}");

    // The key file lost: the server refuses to start and does not make a new one.
    let key = std::fs::read_to_string(data.join("pii.key")).unwrap();
    std::fs::remove_file(data.join("pii.key")).unwrap();
    let (ok, out) = run(wangqian(&cwd, &data)
        .arg("serve")
        .arg("--bind")
        .arg("127.0.0.1:0"));
    assert!(!ok, "{out}");
    assert!(
        out.contains("pii.key") && out.contains("WANGQIAN_PII_KEY"),
        "{out}"
    );
    assert!(!data.join("pii.key").exists());
    // A wrong key given by variable: refused too.
    let (ok, out) = run(wangqian(&cwd, &data)
        .env("WANGQIAN_PII_KEY", "11".repeat(32))
        .arg("migrate"));
    assert!(!ok, "{out}");
    assert!(out.contains("不符"), "{out}");
    // The right key by variable works.
    let (ok, out) = run(wangqian(&cwd, &data)
        .env("WANGQIAN_PII_KEY", key.trim())
        .arg("migrate"));
    assert!(ok, "{out}");
}

#[test]
fn sigterm_leaves_a_complete_database_file_and_serve_seeds_nothing() {
    let cwd = temp_dir("cwd");
    let data = temp_dir("data");
    let mut c = wangqian(&cwd, &data);
    c.arg("serve");
    let server = Server::start(c);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let r = http
            .post(format!("{}/api/session", server.base))
            .json(&serde_json::json!({ "login": "province", "password": "Demo2026" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "plain serve has no demo accounts");
    });
    server.terminate();
    let wal = data.join("wangqian.db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "WAL left with {} bytes",
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0)
    );
    // The demo is not seeded into a database that is not a demo.
    let (ok, out) = run(wangqian(&cwd, &data)
        .arg("create-admin")
        .arg("--login")
        .arg("chief"));
    assert!(ok, "{out}");
    assert!(out.contains("一次性密码"), "{out}");
    let (ok, out) = run(wangqian(&cwd, &data).arg("demo"));
    assert!(ok, "{out}");
    assert!(out.contains("未重复生成"), "{out}");
}

#[test]
fn a_backup_of_a_server_under_writes_passes_restore_check() {
    let cwd = temp_dir("cwd");
    let data = temp_dir("data");
    let server = serve_demo(&cwd, &data);
    let rt = tokio::runtime::Runtime::new().unwrap();
    // An upload (the employer's seal image), so that the copy has a file to check.
    let base = server.base.clone();
    rt.block_on(async move {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let me: serde_json::Value = http
            .post(format!("{base}/api/session"))
            .json(&serde_json::json!({ "login": "hr1", "password": "Demo2026" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let csrf = me["csrf_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{me}"))
            .to_string();
        let form = reqwest::multipart::Form::new()
            .text("kind", "employer_seal")
            .part(
                "image",
                reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("seal.png"),
            );
        let r = http
            .post(format!("{base}/api/signature-images"))
            .header("x-csrf-token", csrf)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    });
    let base = server.base.clone();
    // Logins (sessions, throttle rows) keep writing while the backup runs.
    let writer = rt.spawn(async move {
        let http = reqwest::Client::new();
        for i in 0..40 {
            let _ = http
                .post(format!("{base}/api/session"))
                .json(&serde_json::json!({ "login": if i % 2 == 0 { "hr1" } else { "nobody" }, "password": "Demo2026" }))
                .send()
                .await;
        }
    });
    let dest = temp_dir("backup").join("copy");
    let (ok, out) = run(wangqian(&cwd, &data).arg("backup").arg(&dest));
    assert!(ok, "{out}");
    rt.block_on(writer).unwrap();
    assert!(dest.join("wangqian.db").exists() && dest.join("manifest.json").exists());
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dest.join("manifest.json")).unwrap())
            .unwrap();
    assert!(manifest["row_counts"]["graduates"].as_i64().unwrap() > 0);
    assert!(
        !dest.join("pii.key").exists(),
        "keys are kept apart from backups"
    );
    let (ok, out) = run(wangqian(&cwd, &data).arg("restore-check").arg(&dest));
    assert!(ok, "{out}");
    assert!(out.contains("备份可用"), "{out}");
    // An upload file damaged in the copy is found.
    let mut stack = vec![dest.join("uploads")];
    let mut first = None;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else if first.is_none() {
                first = Some(e.path());
            }
        }
    }
    let file = first.expect("the demo has upload files");
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&file, bytes).unwrap();
    let (ok, out) = run(wangqian(&cwd, &data).arg("restore-check").arg(&dest));
    assert!(!ok, "{out}");
    assert!(out.contains("上传文件"), "{out}");
    // A second backup never overwrites the first.
    let (ok, out) = run(wangqian(&cwd, &data).arg("backup").arg(&dest));
    assert!(!ok, "{out}");
    server.terminate();
}

fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb / 1024
}

#[test]
fn two_hundred_concurrent_logins_keep_memory_under_300_mib() {
    let cwd = temp_dir("cwd");
    let data = temp_dir("data");
    let mut c = wangqian(&cwd, &data);
    // Each request comes "from" another client through a trusted proxy, so that the per-client
    // throttle does not cut the storm short: every one of them costs a password hash.
    c.env("WANGQIAN_TRUSTED_PROXIES", "[\"127.0.0.1\"]")
        .arg("serve")
        .arg("--demo");
    let server = Server::start(c);
    let base = server.base.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let statuses = rt.block_on(async move {
        let http = reqwest::Client::new();
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let http = http.clone();
                let base = base.clone();
                tokio::spawn(async move {
                    http.post(format!("{base}/api/session"))
                        .header("x-forwarded-for", format!("198.51.{}.{}", i / 200, i % 200 + 1))
                        .json(&serde_json::json!({ "login": format!("nobody{i}"), "password": "Wrong2026x" }))
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0)
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    let peak = peak_rss_mib(server.pid());
    assert!(
        statuses.iter().all(|s| matches!(s, 401 | 503)),
        "{statuses:?}"
    );
    assert!(statuses.iter().filter(|s| **s == 401).count() > 0);
    assert!(peak < 300, "peak RSS {peak} MiB");
    server.terminate();
}

#[test]
fn serve_refuses_a_demo_clock_and_the_demo_seeds_the_cohort_of_its_clock() {
    let cwd = temp_dir("cwd");
    let data = temp_dir("data");
    // A production server only ever runs on the system clock: both ways of asking are refused
    // before anything is opened.
    for args in [
        &["serve", "--clock", "2030-03-01"][..],
        &["serve", "--demo", "--clock", "2030-03-01"][..],
        &["--clock", "2030-03-01", "serve"][..],
    ] {
        let (ok, out) = run(wangqian(&cwd, &data).args(args));
        assert!(!ok, "{args:?}: {out}");
        assert!(out.contains("--clock 只用于演示"), "{args:?}: {out}");
    }
    let (ok, out) = run(wangqian(&cwd, &data)
        .arg("serve")
        .env("WANGQIAN_DEMO_CLOCK", "2030-03-01"));
    assert!(!ok, "{out}");
    assert!(out.contains("WANGQIAN_DEMO_CLOCK 只用于演示"), "{out}");
    assert!(
        !data.join("wangqian.db").exists(),
        "a refused start creates no database"
    );

    let (ok, out) = run(wangqian(&cwd, &data).args(["demo", "--clock", "明年春天"]));
    assert!(!ok, "{out}");
    assert!(out.contains("无法识别"), "{out}");
    // In spring 2030 the demo cohort is 2030: its students entered in 2026.
    let (ok, out) = run(wangqian(&cwd, &data).args(["demo", "--clock", "2030-03-01"]));
    assert!(ok, "{out}");
    assert!(out.contains("学号 202601"), "{out}");
}
