//! `wangqian`: the one binary. `cargo run` serves the demo on SQLite.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use wangqian_store::demo;
use wangqian_web::{AppState, Application, Config};

#[derive(Parser)]
#[command(name = "wangqian", version, about = "毕业生就业协议书网上签约系统")]
struct Cli {
    /// TOML configuration file (default: ./wangqian.toml if present)
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (the default)
    Serve {
        /// Address to listen on (overrides WANGQIAN_BIND)
        #[arg(long)]
        bind: Option<String>,
        /// Seed the demo province on first start
        #[arg(long)]
        demo: bool,
    },
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
        #[arg(long, default_value_t = 2027)]
        year: u16,
        out: PathBuf,
    },
    /// Print the default configuration as commented TOML
    PrintConfig,
    /// Check every flow trail's hash chain against its record; exits 1 when one is altered
    CheckTrail,
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
    let mut config = Config::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve {
        bind: None,
        demo: true,
    }) {
        Command::Serve { bind, demo } => {
            if let Some(b) = bind {
                config.bind = b;
            }
            let state = AppState::new(config).await?;
            let accounts = if demo {
                demo::seed(&state.store, state.blobs.as_ref()).await?
            } else {
                None
            };
            let app = Application::with_state(state).await?;
            let addr = app.local_addr();
            print_banner(&addr.to_string(), accounts.as_deref(), demo);
            app.run_until(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
        }
        Command::CheckTrail => {
            let state = AppState::new(config).await?;
            let report = wangqian_store::lifecycle::trail::check(&state.store).await?;
            state.store.close().await;
            println!(
                "已检查 {} 条记录、{} 条流程追踪。",
                report.records, report.events
            );
            if report.problems.is_empty() {
                println!("流程追踪完整，未发现改动。");
                Ok(())
            } else {
                for (kind, id, problem) in &report.problems {
                    println!("{kind} {id}: {problem}");
                }
                anyhow::bail!("发现 {} 条记录的流程追踪被改动", report.problems.len())
            }
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
            let state = AppState::new(config).await?;
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
