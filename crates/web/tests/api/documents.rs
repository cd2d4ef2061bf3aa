//! The agreement document through the real server: the sealed PDF of a real journey, its QR
//! token and the public check, print records, templates, signature images, self-service
//! printing, the evidence package and who may have each of them.
//!
//! Checks with poppler-utils / zbar-tools run when the tools are installed, and must run when
//! `WANGQIAN_REQUIRE_PDF_TOOLS=1` (CI sets it).

use std::io::Read;
use std::path::PathBuf;
use std::process::Command;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{png_bytes, Client, TestApp};
use crate::lifecycle::{accept, act, effective_agreement, graduate, invite, reviewer_of, terms};

/// Whether an external tool is here; absent tools fail the test when CI requires them.
fn tool(name: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("WANGQIAN_REQUIRE_PDF_TOOLS").as_deref() != Ok("1"),
            "{name} is required (WANGQIAN_REQUIRE_PDF_TOOLS=1) but not installed"
        );
        eprintln!("notice: {name} not installed; skipping its checks");
    }
    found
}

/// Where files for a person to look at go: target/test-output/documents.
fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-output/documents");
    std::fs::create_dir_all(&dir).expect("output dir");
    dir
}

fn run(cmd: &str, args: &[&str]) -> String {
    let o = Command::new(cmd).args(args).output().expect(cmd);
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn get_bytes(c: &Client, path: &str) -> (u16, String, Vec<u8>) {
    let r = c.get(path).await;
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

async fn pdf_of(c: &Client, id: &str) -> Vec<u8> {
    let (s, ct, bytes) = get_bytes(c, &format!("/api/agreements/{id}/pdf")).await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(ct, "application/pdf");
    assert!(bytes.starts_with(b"%PDF-"));
    bytes
}

/// The token the platform put into the PDF's signature (the same one the QR carries).
fn token_of(app: &TestApp, pdf: &[u8]) -> String {
    let report = wangqian_seal::verify_pdf(pdf, &app.state.documents.public())
        .expect("the platform's signature verifies");
    assert!(report.covers_whole_file);
    report
        .extra
        .into_iter()
        .find(|(k, _)| k == "WQToken")
        .map(|(_, v)| v)
        .expect("token in the signature")
}

async fn verify(c: &Client, token: &str) -> Value {
    let (s, b) = c.get_json(&format!("/api/verify/{token}")).await;
    assert_eq!(s, 200, "{b}");
    b
}

#[tokio::test]
async fn an_approved_agreement_downloads_as_a_sealed_chinese_pdf_whose_qr_reads_authentic() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, grad, _reviewer, admin, id) = effective_agreement(&app, &g).await;
    let pdf = pdf_of(&grad, &id).await;
    let (_, detail) = grad.get_json(&format!("/api/agreements/{id}")).await;
    let number = detail["number"].as_str().unwrap().to_string();

    // The QR token verifies with the platform key and the public check says authentic.
    let token = token_of(&app, &pdf);
    let anonymous = app.client();
    let v = verify(&anonymous, &token).await;
    assert_eq!(v["verdict"], "genuine", "{v}");
    assert_eq!(v["authentic"], true);
    assert_eq!(v["number"], number.as_str());
    assert_eq!(v["state"], "effective");
    assert!(
        v["graduate_name_masked"].as_str().unwrap().contains('*'),
        "{v}"
    );
    assert!(
        v["graduate_id_masked"].as_str().unwrap().contains('*'),
        "{v}"
    );
    let page = anonymous.get(&format!("/v/{token}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("真实有效"), "{html}");
    assert!(
        !html.contains(&g.id_number),
        "the public page never shows the full ID"
    );

    // One changed character of the token is refused.
    let mut chars: Vec<char> = token.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let forged: String = chars.into_iter().collect();
    let v = verify(&anonymous, &forged).await;
    assert_eq!(v["verdict"], "forged", "{v}");
    assert_eq!(v["authentic"], false);
    assert!(v["number"].is_null(), "a forged token reveals nothing: {v}");

    // The employer and the school download it too; each download is a print.
    pdf_of(&employer, &id).await;
    pdf_of(&admin, &id).await;
    let (s, list) = admin.get_json("/api/print-records").await;
    assert_eq!(s, 200, "{list}");
    let row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agreement_id"] == id.as_str())
        .expect("the agreement is listed");
    assert_eq!(row["print_count"], 3, "{row}");
    assert!(row["last_printed_at"].is_i64());

    let path = output_dir().join("agreement.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let p = path.to_str().unwrap();
    if tool("pdftotext") {
        // pdftotext breaks lines where the PDF does: compare without whitespace.
        let text: String = run("pdftotext", &[p, "-"])
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{200b}')
            .collect();
        for needle in [
            g.name.as_str(),
            "合肥",
            number.as_str(),
            "后端工程师",
            "10000",
            "本协议经学校鉴证（审核通过）后生效",
            "一式三份",
            "甲方（毕业生）存",
            "学校存",
        ] {
            assert!(text.contains(needle), "PDF text lacks {needle}: {text}");
        }
        let (employer_name,): (String,) =
            sqlx::query_as("SELECT employer_name FROM agreements WHERE id = $1")
                .bind(id.clone())
                .fetch_one(app.state.store.reader())
                .await
                .unwrap();
        assert!(text.contains(&employer_name), "{text}");
        assert!(!text.contains("报到证"), "the 2023 reform: no 报到证");
        let info = run("pdfinfo", &[p]);
        let pages = info
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .map(str::trim);
        assert_eq!(pages, Some("3"), "three copies: {info}");
    }
    if tool("pdffonts") {
        let fonts = run("pdffonts", &[p]);
        assert!(
            fonts
                .lines()
                .any(|l| l.contains('+') && l.contains("yes yes")),
            "an embedded subset font: {fonts}"
        );
    }
    if tool("pdfsig") {
        let out = run("pdfsig", &[p]);
        assert!(out.contains("Signature is Valid."), "{out}");
        assert!(out.contains("Total document signed"), "{out}");
        // One byte inside the signed range changes: the signature no longer holds.
        let mut flipped = pdf.clone();
        let at = flipped.len() / 3;
        flipped[at] ^= 0x01;
        let fpath = output_dir().join("agreement-flipped.pdf");
        std::fs::write(&fpath, &flipped).unwrap();
        let out = run("pdfsig", &[fpath.to_str().unwrap()]);
        assert!(!out.contains("Signature is Valid."), "{out}");
        assert!(wangqian_seal::verify_pdf(&flipped, &app.state.documents.public()).is_err());
    }
    if tool("pdftoppm") && tool("zbarimg") {
        let stem = output_dir().join("agreement-page1");
        run(
            "pdftoppm",
            &[
                "-png",
                "-r",
                "200",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                p,
                stem.to_str().unwrap(),
            ],
        );
        let png = output_dir().join("agreement-page1.png");
        assert!(png.is_file(), "first page rendered for a person to look at");
        let decoded = run("zbarimg", &["--raw", "-q", png.to_str().unwrap()]);
        // zbarimg may add noise on stderr (no D-Bus here): take the decoded line.
        let url = decoded
            .lines()
            .find(|l| l.starts_with("http"))
            .unwrap_or("")
            .trim();
        assert!(
            url.ends_with(&format!("/v/{token}")),
            "QR decodes to the verify URL: {decoded}"
        );
        let path = &url[url.find("/v/").unwrap()..];
        let html = anonymous.get(path).await.text().await.unwrap();
        assert!(html.contains("真实有效"), "{html}");
    }
}

#[tokio::test]
async fn printing_before_approval_is_refused_with_the_reason_and_a_paper_agreement_prints_at_awaiting_feedback(
) {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let employer = app.login_as("hr1").await;
    let grad = app.login_as(&g.id_number).await;
    let id = invite(&employer, &g, "19101").await;
    let (s, b) = accept(&grad, &id).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = grad.get_json(&format!("/api/agreements/{id}/pdf")).await;
    assert_eq!(s, 409, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("签约成功，待学校审核"),
        "{b}"
    );
    // The page says so too, without a download button.
    let html = grad
        .get(&format!("/agreements/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("id=\"download-pdf\""));
    assert!(html.contains("学校审核通过（已生效）后才能打印"), "{html}");

    // A paper agreement at 待反馈 prints for signing, without a number yet.
    let g2 = graduate(&app, 1).await;
    let grad2 = app.login_as(&g2.id_number).await;
    let admin2 = app.login_as("admin19102").await;
    let reviewer2 = reviewer_of(&app, &g2.department_id).await;
    let paper = json!({
        "employer": {
            "name": "芜湖示例制造有限公司", "credit_code": "91440101MA5CJQ4N59", "unit_nature_code": "39",
            "industry_code": "22", "location": "安徽省芜湖市", "address": "鸠江区示例路 8 号", "postcode": "241000"
        },
        "terms": terms()
    });
    let (s, b) = grad2.post_json("/api/paper-agreements", &paper).await;
    assert_eq!(s, 201, "{b}");
    let pid = b["id"].as_str().unwrap().to_string();
    let (s, _) = grad2.get_json(&format!("/api/agreements/{pid}/pdf")).await;
    assert_eq!(s, 409, "a draft does not print");
    let (s, b) = act(&grad2, &pid, "submit", json!({ "confirm": true })).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = act(&reviewer2, &pid, "review", json!({ "approve": true })).await;
    assert_eq!(s, 200, "{b}");
    if b["state"] != "awaiting_feedback" {
        let (s, b) = act(&admin2, &pid, "review", json!({ "approve": true })).await;
        assert_eq!(s, 200, "{b}");
    }
    let html = grad2
        .get(&format!("/agreements/{pid}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"download-pdf\""),
        "the 待反馈 page offers the print"
    );
    let (s, ct, pdf) = get_bytes(&grad2, &format!("/agreements/{pid}/pdf")).await;
    assert_eq!(s, 200);
    assert_eq!(ct, "application/pdf");
    let token = token_of(&app, &pdf);
    let v = verify(&app.client(), &token).await;
    assert_eq!(v["verdict"], "not_in_force", "{v}");
    assert_eq!(v["authentic"], true);
    if tool("pdftotext") {
        let path = output_dir().join("paper-for-signing.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let text: String = run("pdftotext", &[path.to_str().unwrap(), "-"])
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{200b}')
            .collect();
        assert!(text.contains("芜湖示例制造有限公司"), "{text}");
        assert!(text.contains("学校审核通过后生成"), "{text}");
    }
    // The termination proof is for paper agreements in force only.
    let (s, _) = grad2
        .get_json(&format!("/api/agreements/{pid}/termination-form"))
        .await;
    assert_eq!(s, 409);
}

#[tokio::test]
async fn a_terminated_or_amended_agreement_says_so_on_its_old_qr() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, grad, _reviewer, admin, id) = effective_agreement(&app, &g).await;
    let old = token_of(&app, &pdf_of(&grad, &id).await);
    // An amendment confirmed and approved: the old version is superseded.
    let mut t = terms();
    t["regular_salary_yuan"] = json!(12000);
    let (s, b) = act(&employer, &id, "amendments", json!({ "terms": t })).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = act(&grad, &id, "amendments/answer", json!({ "confirm": true })).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = act(&admin, &id, "review", json!({ "approve": true })).await;
    assert_eq!(s, 200, "{b}");
    let v = verify(&app.client(), &old).await;
    assert_eq!(v["verdict"], "superseded", "{v}");
    assert_eq!(v["current_terms_version"], 2);
    let new = token_of(&app, &pdf_of(&grad, &id).await);
    assert_eq!(verify(&app.client(), &new).await["verdict"], "genuine");
    // Forced termination: the QR now says terminated, in red, with the date.
    let (s, b) = act(
        &admin,
        &id,
        "force-termination",
        json!({ "reason": "信息有误" }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let v = verify(&app.client(), &new).await;
    assert_eq!(v["verdict"], "terminated", "{v}");
    assert_eq!(v["warning"], true);
    assert!(v["state_since"].as_str().unwrap().contains('年'));
    let html = app
        .client()
        .get(&format!("/v/{new}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("协议已解约"), "{html}");
    assert!(html.contains("class=\"error\""), "shown in red: {html}");
    // Nothing more prints, but the evidence package still holds the agreement.
    let (s, b) = grad.get_json(&format!("/api/agreements/{id}/pdf")).await;
    assert_eq!(s, 409, "{b}");
    let (s, ct, zip) = get_bytes(&admin, &format!("/api/agreements/{id}/evidence")).await;
    assert_eq!(s, 200);
    assert_eq!(ct, "application/zip");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.expect("zip entry name").to_string())
        .collect();
    for part in [
        "agreement.pdf",
        "trail.json",
        "terms/v1.json",
        "terms/v2.json",
        "uploads.json",
        "SHA256SUMS",
        "SHA256SUMS.sig",
        "README.txt",
        "platform-seal.pem",
    ] {
        assert!(
            names.iter().any(|n| n.ends_with(part)),
            "{part} in {names:?}"
        );
    }
    let read = |archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, suffix: &str| {
        let name = names.iter().find(|n| n.ends_with(suffix)).unwrap().clone();
        let mut f = archive.by_name(&name).unwrap();
        let mut v = Vec::new();
        f.read_to_end(&mut v).unwrap();
        v
    };
    let sums = read(&mut archive, "SHA256SUMS");
    let sig = read(&mut archive, "SHA256SUMS.sig");
    assert!(
        app.state.documents.public().verify_der(&sums, &sig),
        "SHA256SUMS signed by the platform"
    );
    let trail: Value = serde_json::from_slice(&read(&mut archive, "trail.json")).unwrap();
    let events = trail["events"].as_array().unwrap();
    assert!(events.len() >= 5, "{trail}");
    for w in events.windows(2) {
        assert_eq!(w[1]["prev_hash"], w[0]["hash"], "the chain links");
    }
    let readme = String::from_utf8(read(&mut archive, "README.txt")).unwrap();
    assert!(readme.contains("sha256sum -c SHA256SUMS") && readme.contains("pdfsig"));
    // Other graduates and employers get nothing.
    let other = app.login_as("hr2").await;
    let (s, _) = other
        .get_json(&format!("/api/agreements/{id}/evidence"))
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn documents_are_only_for_the_parties_and_the_school_in_scope() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (_employer, _grad, reviewer, _admin, id) = effective_agreement(&app, &g).await;
    pdf_of(&reviewer, &id).await;
    let other_graduate = app.login_as(&app.demo_graduate_login(1)).await;
    let other_employer = app.login_as("hr2").await;
    let other_school = app.login_as("admin19102").await;
    for c in [&other_graduate, &other_employer, &other_school] {
        let (s, _) = c.get_json(&format!("/api/agreements/{id}/pdf")).await;
        assert_eq!(s, 404);
        let (s, _) = c.get_json(&format!("/api/agreements/{id}/evidence")).await;
        assert_eq!(s, 404);
    }
    let (s, _) = app
        .client()
        .get_json(&format!("/api/agreements/{id}/pdf"))
        .await;
    assert_eq!(s, 401);
    // Print management is the school's; graduates and employers may not see it.
    for c in [&other_graduate, &other_employer] {
        let (s, _) = c.get_json("/api/print-records").await;
        assert_eq!(s, 403);
    }
    let (s, list) = other_school.get_json("/api/print-records").await;
    assert_eq!(s, 200);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["agreement_id"] != id.as_str()),
        "another school never sees this agreement"
    );
    // Templates: only school and provincial administrators.
    let year = app.cohort().to_string();
    let form = || {
        Form::new()
            .text("kind", "online")
            .text("graduation_year", year.clone())
            .part(
                "template",
                Part::bytes(b"#let x = 1".to_vec()).file_name("t.typ"),
            )
    };
    for c in [&other_graduate, &other_employer, &reviewer] {
        let (s, _) = c.post_multipart("/api/agreement-templates", form()).await;
        assert_eq!(s, 403);
    }
}

#[tokio::test]
async fn a_school_template_is_accepted_only_when_it_renders_and_then_prints() {
    let app = TestApp::spawn().await;
    let admin = app.login_as("admin19101").await;
    // The demo cohort's template, so that its agreement prints with it.
    let year = app.cohort().to_string();
    let upload = |source: &'static str| {
        Form::new()
            .text("kind", "online")
            .text("graduation_year", year.clone())
            .part(
                "template",
                Part::bytes(source.as_bytes().to_vec()).file_name("school.typ"),
            )
    };
    let (s, b) = admin
        .post_multipart(
            "/api/agreement-templates",
            upload("#let d = json(\"/data.json\")\n#nonsense(d)\n"),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("第 2 行") && msg.contains("nonsense"),
        "the engine's message: {b}"
    );
    let good = "#let d = json(\"/data.json\")\n#set text(font: \"Wangqian CJK\")\n= 本校专用协议书\n#d.title #d.number #d.graduate.name\n#image(\"/qr.svg\", width: 2cm)\n";
    let (s, b) = admin
        .post_multipart("/api/agreement-templates", upload(good))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["kind"], "online");
    let g = graduate(&app, 0).await;
    let (_employer, grad, _reviewer, _admin, id) = effective_agreement(&app, &g).await;
    let pdf = pdf_of(&grad, &id).await;
    token_of(&app, &pdf);
    if tool("pdftotext") {
        let path = output_dir().join("school-template.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let text = run("pdftotext", &[path.to_str().unwrap(), "-"]);
        assert!(text.contains("本校专用协议书"), "{text}");
    }
    // The page form shows the engine's message next to the file field.
    let r = admin
        .http
        .post(format!(
            "{}/school/templates?_csrf={}",
            app.base,
            admin.csrf.clone().unwrap_or_default()
        ))
        .multipart(upload("#broken("))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("模板未启用"));
    assert!(
        html.contains(&format!("value=\"{year}\"")),
        "the typed year is kept"
    );
}

#[tokio::test]
async fn signature_images_are_checked_by_their_bytes_and_change_later_documents() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, grad, _reviewer, _admin, id) = effective_agreement(&app, &g).await;
    let first = token_of(&app, &pdf_of(&grad, &id).await);
    let (s, b) = employer
        .post_multipart(
            "/api/signature-images",
            Form::new().text("kind", "employer_seal").part(
                "image",
                Part::bytes(b"GIF89a not a png".to_vec()).file_name("seal.png"),
            ),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    let (s, b) = employer
        .post_multipart(
            "/api/signature-images",
            Form::new()
                .text("kind", "employer_seal")
                .part("image", Part::bytes(png_bytes()).file_name("seal.png")),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let upload_id = b["upload_id"].as_str().unwrap().to_string();
    // A graduate cannot keep the employer's seal, nor see it.
    let (s, _) = grad
        .post_multipart(
            "/api/signature-images",
            Form::new()
                .text("kind", "employer_seal")
                .part("image", Part::bytes(png_bytes()).file_name("seal.png")),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = grad.get_json(&format!("/api/uploads/{upload_id}")).await;
    assert_eq!(s, 404);
    assert_eq!(
        employer
            .get(&format!("/api/uploads/{upload_id}"))
            .await
            .status(),
        200
    );
    // The graduate draws a signature (a PNG data URL from the pad).
    use base64::Engine;
    let drawn = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png_bytes())
    );
    let (s, b) = grad
        .post_multipart(
            "/api/signature-images",
            Form::new()
                .text("kind", "graduate_signature")
                .text("drawn", drawn),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let second = token_of(&app, &pdf_of(&grad, &id).await);
    assert_ne!(first, second, "the new images are new content");
    assert_eq!(verify(&app.client(), &first).await["verdict"], "genuine");
    assert_eq!(verify(&app.client(), &second).await["verdict"], "genuine");
}

#[tokio::test]
async fn a_self_service_print_code_is_confirmed_on_the_phone_and_prints_once() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (_employer, grad, _reviewer, admin, id) = effective_agreement(&app, &g).await;
    let pc = app.client();
    let (s, code) = pc.post_json("/api/print-codes", &json!({})).await;
    assert_eq!(s, 201, "{code}");
    let secret = code["secret"].as_str().unwrap().to_string();
    let c = code["code"].as_str().unwrap().to_string();
    assert!(code["confirm_url"].as_str().unwrap().contains(&c));
    let (s, st) = pc
        .get_json(&format!("/api/print-codes/status?secret={secret}"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(st["status"], "waiting");
    let (s, _) = pc
        .get_json(&format!("/api/print-codes/pdf?secret={secret}"))
        .await;
    assert_eq!(s, 409, "not confirmed yet");
    // Only a graduate confirms, and only for their own agreement.
    let (s, _) = admin
        .post_json(
            "/api/print-codes/confirm",
            &json!({ "code": c, "agreement_id": id }),
        )
        .await;
    assert_eq!(s, 403);
    let other = app.login_as(&app.demo_graduate_login(1)).await;
    let (s, _) = other
        .post_json(
            "/api/print-codes/confirm",
            &json!({ "code": c, "agreement_id": id }),
        )
        .await;
    assert_eq!(s, 404);
    let (s, b) = grad
        .post_json(
            "/api/print-codes/confirm",
            &json!({ "code": c.to_lowercase(), "agreement_id": id }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = grad
        .post_json(
            "/api/print-codes/confirm",
            &json!({ "code": c, "agreement_id": id }),
        )
        .await;
    assert_eq!(s, 409, "confirmed once: {b}");
    let (_, st) = pc
        .get_json(&format!("/api/print-codes/status?secret={secret}"))
        .await;
    assert_eq!(st["status"], "confirmed");
    let (s, ct, pdf) = get_bytes(&pc, &format!("/api/print-codes/pdf?secret={secret}")).await;
    assert_eq!(s, 200);
    assert_eq!(ct, "application/pdf");
    token_of(&app, &pdf);
    let (s, _) = pc
        .get_json(&format!("/api/print-codes/pdf?secret={secret}"))
        .await;
    assert_eq!(s, 409, "works once");
    let (_, list) = admin.get_json("/api/print-records").await;
    assert_eq!(list["items"][0]["print_count"], 1, "{list}");
    // A code past its five minutes is refused.
    let (_, late) = pc.post_json("/api/print-codes", &json!({})).await;
    let valid = wangqian_domain::document::print_code::VALID_MINUTES as u64;
    app.advance(std::time::Duration::from_secs(valid * 60 + 1));
    let (s, b) = grad
        .post_json(
            "/api/print-codes/confirm",
            &json!({ "code": late["code"], "agreement_id": id }),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("过期"));
}

#[tokio::test]
async fn the_verify_page_is_rate_limited_per_address() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let mut last = 0;
    for _ in 0..=wangqian_web::api::VERIFY_PER_MINUTE {
        last = c.get("/api/verify/not-a-token").await.status().as_u16();
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn the_openapi_document_lists_every_document_operation() {
    let app = TestApp::spawn_empty().await;
    let (s, doc) = app.client().get_json("/api/openapi.json").await;
    assert_eq!(s, 200);
    let text = doc.to_string();
    for op in [
        "download_agreement_pdf",
        "verify_agreement",
        "download_evidence_package",
        "upload_signature_image",
        "upload_agreement_template",
        "list_print_records",
        "create_print_code",
        "confirm_print_code",
    ] {
        assert!(text.contains(&format!("\"operationId\":\"{op}\"")), "{op}");
    }
}

#[tokio::test]
async fn the_document_pages_walk_a_pc_print_and_show_each_roles_desk() {
    let app = TestApp::spawn().await;
    let g = graduate(&app, 0).await;
    let (employer, grad, _reviewer, admin, id) = effective_agreement(&app, &g).await;
    // A PC with nobody logged in asks for a code and shows it with its QR.
    let pc = app.client();
    let html = pc.get("/print").await.text().await.unwrap();
    assert!(html.contains("获取打印码"), "{html}");
    let r = pc.post_form("/print", &[]).await;
    assert_eq!(r.status(), 303);
    let html = pc.get("/print").await.text().await.unwrap();
    assert!(
        html.contains("data-status=\"waiting\"") && html.contains("<svg"),
        "{html}"
    );
    let code = html
        .split("id=\"print-code\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_string();
    // The graduate confirms on the phone.
    let page = grad
        .get(&format!("/print/confirm?code={code}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&code) && page.contains(&id), "{page}");
    let csrf = grad.csrf.clone().unwrap();
    let r = grad
        .post_form(
            "/print/confirm",
            &[
                ("_csrf", csrf.as_str()),
                ("code", code.as_str()),
                ("agreement_id", id.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("已确认"));
    let html = pc.get("/print").await.text().await.unwrap();
    assert!(html.contains("打开并打印协议书"), "{html}");
    let (s, ct, _) = get_bytes(&pc, "/print/pdf").await;
    assert_eq!((s, ct.as_str()), (200, "application/pdf"));
    // Each role's desk renders.
    for (c, path, needle) in [
        (&grad, "/account/signature", "毕业生签名"),
        (&employer, "/account/signature", "单位公章"),
        (&admin, "/school/prints", g.name.as_str()),
        (&admin, "/school/templates", "上传模板"),
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains(needle), "{path}: {html}");
    }
    let html = admin
        .get("/school/prints?unprinted=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains(g.name.as_str()),
        "printed once already: filtered out"
    );
    let r = grad.get("/school/prints").await;
    assert_eq!(r.status(), 403);
}
