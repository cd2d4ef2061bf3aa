//! `wangqian`: the one binary. `cargo run` serves the demo on SQLite.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use wangqian_store::demo;
use wangqian_web::{AppState, Application, Config, Open};

#[derive(Parser)]
#[command(name = "wangqian", version, about = "毕业生就业协议书网上签约系统")]
struct Cli {
    /// TOML configuration file (default: ./wangqian.toml if present)
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Demo only (bare `wangqian` and `wangqian demo`): run the demo's clock from this date
    /// (YYYY-MM-DD at 9:00 China time, or RFC 3339), e.g. to show another cohort's season;
    /// also WANGQIAN_DEMO_CLOCK. `serve` refuses it
    #[arg(long, global = true, value_name = "DATE")]
    clock: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application. Seeds nothing; bare `wangqian` serves the demo instead
    Serve {
        /// Address to listen on (overrides WANGQIAN_BIND)
        #[arg(long)]
        bind: Option<String>,
        /// Seed the demo province (only into an empty or demo database)
        #[arg(long)]
        demo: bool,
    },
    /// Create the first provincial administrator; prints a one-time password
    CreateAdmin {
        /// Login name
        #[arg(long, default_value = "province")]
        login: String,
        /// Name shown in the system
        #[arg(long, default_value = "省级就业主管部门")]
        name: String,
    },
    /// Consistent online copy of the database, uploads and a manifest into DEST (new folder)
    Backup { dest: PathBuf },
    /// Open a backup folder's copy and verify row counts, every trail chain and every upload
    RestoreCheck { dir: PathBuf },
    /// Write every record's trail head, signed, to FILE (keep it outside the server)
    TrailCheckpoint { file: PathBuf },
    /// Apply database migrations and exit
    Migrate,
    /// Seed the demo province (once) and print the demo accounts
    Demo,
    /// Import a roster file (CSV/XLSX) for a school, as its import job would
    ImportRoster {
        /// The school's 5-digit code
        #[arg(long)]
        school: String,
        file: PathBuf,
    },
    /// Write a synthetic roster CSV with valid ID numbers (for load tests)
    GenerateRoster {
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        /// Graduation year (default: the current cohort, which turns on 1 September)
        #[arg(long)]
        year: Option<u16>,
        out: PathBuf,
    },
    /// Print the default configuration as commented TOML
    PrintConfig,
    /// Check every flow trail's hash chain against its record; exits 1 when one is altered
    CheckTrail {
        /// Also compare with a checkpoint written by `trail-checkpoint`
        #[arg(long)]
        against: Option<PathBuf>,
    },
    /// Check an agreement PDF's platform signature, or a QR token, offline with the platform's
    /// certificate; exits 1 when the check fails
    Verify {
        /// A PDF file, or the token from a QR code (the part after /v/ in its URL)
        target: String,
        /// The platform certificate (PEM); default: the configured seal certificate
        #[arg(long)]
        cert: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WANGQIAN_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .init();
    let cli = Cli::parse();
    let demo_clock = demo_clock(cli.clock.as_deref(), cli.command.as_ref())?;
    let mut config = Config::load(cli.config.as_deref())?;
    // Bare `wangqian` (the README's `cargo run`) is the demo; `wangqian serve` seeds nothing.
    let bare = cli.command.is_none();
    let command = cli.command.unwrap_or(Command::Serve {
        bind: None,
        demo: true,
    });
    match command {
        Command::Serve { bind, demo } => {
            if let Some(b) = bind {
                config.bind = b;
            }
            // A real server runs on the system clock, whatever was asked.
            let clock = if bare {
                demo_clock
            } else {
                wangqian_store::Clock::system()
            };
            let clock_note = clock.is_settable().then(|| china_time(clock.now_ms()));
            let state = AppState::open_with_clock(config, Open::CreateIfNew, clock).await?;
            // The seed itself refuses a database that holds anything.
            let accounts = if demo {
                let seeded = demo::seed(&state.store, state.blobs.as_ref()).await?;
                if seeded.is_none() && !state.store.is_demo().await? {
                    println!(
                        "此数据库不是演示数据库，未生成演示账号（真实部署请用 `wangqian serve`）。"
                    );
                }
                seeded
            } else {
                None
            };
            let is_demo = state.store.is_demo().await?;
            let app = Application::with_state(state).await?;
            let addr = app.local_addr();
            if let Some(at) = clock_note {
                println!("演示时钟：从 {at}起走时（仅用于演示）。");
            }
            print_banner(&addr.to_string(), accounts.as_deref(), is_demo);
            app.run_until(stop_signal()).await
        }
        Command::CreateAdmin { login, name } => {
            let state = AppState::new(config).await?;
            let r = wangqian_store::accounts::create_provincial_admin(&state.store, &login, &name)
                .await;
            state.store.close().await;
            match r {
                Ok(password) => {
                    println!(
                        "已创建省级管理员 {login}。一次性密码（仅显示这一次，首次登录后须修改）："
                    );
                    println!("{password}");
                    Ok(())
                }
                Err(wangqian_store::ServiceError::Validation(fields)) => {
                    for f in fields {
                        eprintln!("{}：{}", f.field, f.message);
                    }
                    anyhow::bail!("未创建管理员")
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Backup { dest } => {
            let url = config.database_url();
            let uploads = config.uploads_dir();
            let state = AppState::open(config, Open::ExistingOnly).await?;
            let m = wangqian_store::ops::backup(&state.store, &url, &uploads, &dest).await;
            state.store.close().await;
            let m = m?;
            println!("备份完成：{}", dest.display());
            for (t, n) in &m.row_counts {
                println!("  {t:<20} {n}");
            }
            println!(
                "  上传文件 {} 个；密钥指纹 {}",
                m.upload_files, m.key_fingerprint
            );
            println!("请另行保管 pii.key 与平台签章私钥（备份中不含密钥）。");
            Ok(())
        }
        Command::RestoreCheck { dir } => restore_check(config, &dir).await,
        Command::TrailCheckpoint { file } => {
            let state = AppState::open(config, Open::ExistingOnly).await?;
            let cp = wangqian_store::ops::trail_checkpoint(&state.store).await;
            state.store.close().await;
            let cp = cp?;
            std::fs::write(&file, serde_json::to_string_pretty(&cp)?)?;
            println!(
                "已写入 {} 条记录的链头：{}（请保存在服务器以外的地方）",
                cp.heads.len(),
                file.display()
            );
            Ok(())
        }
        Command::CheckTrail { against } => {
            let state = AppState::open(config, Open::ExistingOnly).await?;
            let r = check_trail(&state, against.as_deref()).await;
            state.store.close().await;
            r
        }
        Command::Verify { target, cert } => {
            let cert_path = cert.unwrap_or_else(|| config.seal_paths().1);
            let pem = std::fs::read_to_string(&cert_path).map_err(|e| {
                anyhow::anyhow!(
                    "读不到平台证书 {}：{e}（可用 --cert 指定）",
                    cert_path.display()
                )
            })?;
            let public = wangqian_seal::SealPublic::from_cert_pem(&pem)?;
            verify(&public, &target)
        }
        Command::Migrate => {
            let state = AppState::new(config).await?;
            state.store.close().await;
            println!("数据库已迁移到最新版本。");
            Ok(())
        }
        Command::Demo => {
            let state = AppState::open_with_clock(config, Open::CreateIfNew, demo_clock).await?;
            match demo::seed(&state.store, state.blobs.as_ref()).await? {
                Some(accounts) => print_accounts(&accounts),
                None => println!("数据库中已有数据，未重复生成演示数据。"),
            }
            Ok(())
        }
        Command::ImportRoster { school, file } => {
            let state = AppState::new(config).await?;
            let started = std::time::Instant::now();
            let report = wangqian_store::roster_import::import_local_file(
                &state.store,
                state.blobs.as_ref(),
                &school,
                &file,
            )
            .await?;
            println!(
                "{}（用时 {:.1} 秒）",
                report.message,
                started.elapsed().as_secs_f64()
            );
            for e in report.errors.iter().take(50) {
                println!("  第 {} 行 [{}] {}", e.row, e.column, e.reason);
            }
            if report.error_count > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::GenerateRoster { rows, year, out } => {
            let year = year.unwrap_or_else(|| {
                demo::current_cohort(wangqian_store::Millis(
                    wangqian_store::Clock::system().now_ms(),
                ))
            });
            std::fs::write(&out, demo::synthetic_roster_csv(rows, year))?;
            println!("已生成 {rows} 行：{}", out.display());
            Ok(())
        }
        Command::PrintConfig => {
            print!("{}", Config::sample_toml());
            Ok(())
        }
    }
}

const DEMO_CLOCK_ENV: &str = "WANGQIAN_DEMO_CLOCK";

/// The demo's clock: settable from `--clock` or WANGQIAN_DEMO_CLOCK for bare `wangqian` and
/// `wangqian demo`, else the system clock. `serve` refuses both, so that a production server
/// can never be started at another date; other commands refuse the option.
fn demo_clock(
    flag: Option<&str>,
    command: Option<&Command>,
) -> anyhow::Result<wangqian_store::Clock> {
    let env = std::env::var(DEMO_CLOCK_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty());
    let for_demo = matches!(command, None | Some(Command::Demo));
    if !for_demo {
        if flag.is_some() {
            anyhow::bail!(
                "--clock 只用于演示（`wangqian` 或 `wangqian demo`）；`wangqian serve` 等命令始终使用系统时钟。"
            );
        }
        if env.is_some() && matches!(command, Some(Command::Serve { .. })) {
            anyhow::bail!(
                "{DEMO_CLOCK_ENV} 只用于演示（`wangqian` 或 `wangqian demo`）；`wangqian serve` 始终使用系统时钟，请去掉该变量。"
            );
        }
        return Ok(wangqian_store::Clock::system());
    }
    match flag.map(str::to_string).or(env) {
        None => Ok(wangqian_store::Clock::system()),
        Some(s) => match wangqian_store::Clock::parse_start(&s) {
            Some(at) => Ok(wangqian_store::Clock::starting_at(at)),
            None => anyhow::bail!(
                "演示时钟 {s} 无法识别：请写成 2028-03-01 或 2028-03-01T09:00:00+08:00"
            ),
        },
    }
}

/// An instant as China-time wall clock, for the banner.
fn china_time(at_ms: i64) -> String {
    let d = wangqian_domain::lifecycle::china_date(wangqian_store::Millis(at_ms));
    let secs_of_day = (at_ms.div_euclid(1000) + 8 * 3600).rem_euclid(86_400);
    format!(
        "{d} {:02}:{:02}（北京时间）",
        secs_of_day / 3600,
        secs_of_day % 3600 / 60
    )
}

/// Ctrl-C or SIGTERM (what `systemctl stop` and container runtimes send).
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

async fn check_trail(state: &AppState, against: Option<&std::path::Path>) -> anyhow::Result<()> {
    let report = wangqian_store::lifecycle::trail::check(&state.store).await?;
    println!(
        "已检查 {} 条记录、{} 条流程追踪。",
        report.records, report.events
    );
    let mut problems: Vec<String> = report
        .problems
        .iter()
        .map(|(kind, id, p)| format!("{kind} {id}: {p}"))
        .collect();
    if let Some(file) = against {
        let text = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("读不到检查点文件 {}：{e}", file.display()))?;
        let cp: wangqian_store::ops::Checkpoint = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("检查点文件格式不正确：{e}"))?;
        problems.extend(wangqian_store::ops::check_against(&state.store, &cp).await?);
        println!("已与检查点（{} 条记录）比对。", cp.heads.len());
    }
    if report.records == 0 && against.is_none() {
        anyhow::bail!(
            "数据库中没有任何协议或去向记录，无从检查：请确认 WANGQIAN_DATA_DIR / DATABASE_URL 指向正确的数据库"
        );
    }
    if problems.is_empty() {
        println!("流程追踪完整，未发现改动。");
        Ok(())
    } else {
        for p in &problems {
            println!("{p}");
        }
        anyhow::bail!("发现 {} 处流程追踪问题", problems.len())
    }
}

async fn restore_check(mut config: Config, dir: &std::path::Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(dir.join("manifest.json"))
        .map_err(|e| anyhow::anyhow!("读不到 {}/manifest.json：{e}", dir.display()))?;
    let manifest: wangqian_store::ops::Manifest = serde_json::from_str(&text)?;
    let db = dir.join("wangqian.db");
    if db.exists() {
        config.database_url = format!("sqlite://{}", db.display());
    } else if config.database_url.trim().is_empty() || config.database_url.starts_with("sqlite") {
        anyhow::bail!(
            "{} 中没有 SQLite 数据库。PostgreSQL 备份请先用 pg_restore 恢复到一个新库，再以 DATABASE_URL 指向它运行本命令。",
            dir.display()
        );
    }
    let state = AppState::open(config, Open::ExistingOnly).await?;
    let uploads = wangqian_store::blobs::Encrypted::new(
        wangqian_store::blobs::LocalFolder::new(dir.join("uploads")),
        state.store.pii.clone(),
    );
    let report = wangqian_store::ops::restore_check(&state.store, &uploads, &manifest).await;
    state.store.close().await;
    let report = report?;
    println!(
        "已核对：{} 条记录、{} 条流程追踪、{} 个上传文件。",
        report.records, report.events, report.uploads
    );
    if report.problems.is_empty() {
        println!("备份可用：行数、流程追踪与上传文件均与清单一致。");
        Ok(())
    } else {
        for p in &report.problems {
            println!("{p}");
        }
        anyhow::bail!("备份核对发现 {} 处问题", report.problems.len())
    }
}

/// `wangqian verify`: a PDF's signature (and the token it carries), or a token alone.
fn verify(public: &wangqian_seal::SealPublic, target: &str) -> anyhow::Result<()> {
    let path = std::path::Path::new(target);
    let token = if path.is_file() {
        let bytes = std::fs::read(path)?;
        let report = wangqian_seal::verify_pdf(&bytes, public)
            .map_err(|e| anyhow::anyhow!("PDF 签名无效：{e}"))?;
        println!(
            "PDF 签名有效：由 {} 签署，签名覆盖整个文件：{}。",
            report.signer_subject,
            if report.covers_whole_file {
                "是"
            } else {
                "否"
            }
        );
        if !report.covers_whole_file {
            anyhow::bail!("签名之后文件又被追加了内容");
        }
        report
            .extra
            .iter()
            .find(|(k, _)| k == "WQToken")
            .map(|(_, v)| v.clone())
    } else {
        Some(target.rsplit('/').next().unwrap_or(target).to_string())
    };
    let Some(token) = token else {
        println!("（PDF 中没有防伪令牌）");
        return Ok(());
    };
    let payload = public
        .open_token(&token)
        .map_err(|e| anyhow::anyhow!("防伪令牌无效：{e}"))?;
    let claims = String::from_utf8(payload)
        .ok()
        .and_then(|p| wangqian_domain::document::TokenClaims::parse(&p))
        .ok_or_else(|| anyhow::anyhow!("防伪令牌格式不正确"))?;
    println!(
        "防伪令牌有效（平台签发）：协议书编号 {}，记录 {}，条款第 {} 版，内容摘要 {}。",
        claims.number.as_deref().unwrap_or("（未编号）"),
        claims.agreement_id,
        claims.terms_version,
        claims.content_hash_prefix
    );
    println!("协议当前是否仍然有效，请打开二维码网址在线核验。");
    Ok(())
}

fn print_accounts(accounts: &[demo::DemoAccount]) {
    println!("演示账号（密码均为 {}）：", demo::DEMO_PASSWORD);
    for a in accounts {
        println!("  {:<8} {:<20} {}", a.role, a.login, a.note);
    }
}

fn print_banner(addr: &str, accounts: Option<&[demo::DemoAccount]>, demo: bool) {
    if !demo {
        println!();
        println!("网签 wangqian 已启动：http://{addr}/ （未生成演示数据；首位管理员请用 `wangqian create-admin`）");
        println!("按 Ctrl-C 停止。");
        return;
    }
    println!();
    println!("网签 wangqian 已启动：请在浏览器打开 http://{addr}/");
    match accounts {
        Some(a) => print_accounts(a),
        None if demo => println!(
            "演示数据已存在。演示账号：province、admin19101、admin19102、rev19101a、hr1…hr4（密码 {}）；毕业生用身份证号登录（见首次启动时的输出或 `wangqian demo`）。",
            demo::DEMO_PASSWORD
        ),
        None => {}
    }
    println!("按 Ctrl-C 停止。");
}
