//! Demo province for `wangqian serve --demo` / `wangqian demo`: two schools, their organisation
//! tree, 300 graduates of the current cohort (imported through the real roster pipeline),
//! employers in both verification states and every staff role. Runs once: an existing school
//! means the database already holds data and nothing is seeded.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use wangqian_domain::roster::ROSTER_COLUMNS;

use crate::accounts::{insert_account, AccountRow};
use crate::blobs::BlobStore;
use crate::roster_import::{import_file, queue_import};
use crate::Millis;
use crate::{new_id, password, Store};
use wangqian_sheets::SheetKind;

pub const DEMO_PASSWORD: &str = "Demo2026";

/// One line of the demo banner: role, login, note.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub role: &'static str,
    pub login: String,
    pub note: String,
}

struct DemoSchool {
    code: &'static str,
    name: &'static str,
    departments: &'static [(&'static str, &'static [&'static str])],
}

const SCHOOLS: [DemoSchool; 2] = [
    DemoSchool {
        code: "19101",
        name: "江淮大学",
        departments: &[
            ("计算机科学与技术学院", &["计算机科学与技术", "软件工程"]),
            ("经济管理学院", &["会计学", "市场营销"]),
            ("外国语学院", &["英语"]),
        ],
    },
    DemoSchool {
        code: "19102",
        name: "皖南理工学院",
        departments: &[
            ("机械工程学院", &["机械设计制造及其自动化", "车辆工程"]),
            ("电气工程学院", &["电气工程及其自动化"]),
        ],
    },
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "杰", "娟", "涛", "明", "超", "秀英",
    "霞", "平", "刚", "子涵", "欣怡", "浩然", "雨轩", "梓萱", "宇航", "思远", "佳怡", "俊杰",
    "诗琪",
];
const ANHUI_COUNTIES: &[(&str, &str)] = &[
    ("340102", "安徽省合肥市瑶海区"),
    ("340104", "安徽省合肥市蜀山区"),
    ("340202", "安徽省芜湖市镜湖区"),
    ("340302", "安徽省蚌埠市龙子湖区"),
    ("341102", "安徽省滁州市琅琊区"),
    ("341502", "安徽省六安市金安区"),
    ("340524", "安徽省马鞍山市含山县"),
];

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CREDIT_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [usize; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Completes 17 digits with the GB 11643 check character (demo data only; validation lives in
/// the domain).
fn with_id_check(first17: &str) -> String {
    let sum: u32 = first17
        .chars()
        .zip(ID_WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{first17}{check}")
}

fn with_credit_check(first17: &str) -> String {
    let sum: usize = first17
        .bytes()
        .zip(CREDIT_WEIGHTS)
        .map(|(b, w)| CREDIT_ALPHABET.iter().position(|&a| a == b).unwrap_or(0) * w)
        .sum();
    let check = CREDIT_ALPHABET[(31 - sum % 31) % 31] as char;
    format!("{first17}{check}")
}

/// The cohort that graduates next summer: from September on, the following year.
/// A placeholder certificate for the demo companies: a framed sheet with lines standing for
/// text and a red seal (no words, so nobody mistakes it for a real document's content).
fn demo_certificate_png(seed: u8) -> Vec<u8> {
    const W: u32 = 360;
    const H: u32 = 240;
    let mut px = vec![0u8; (W * H * 3) as usize];
    for y in 0..H {
        for x in 0..W {
            let border = x < 8 || y < 8 || x >= W - 8 || y >= H - 8;
            let (cx, cy) = (f64::from(x) - 290.0, f64::from(y) - 175.0);
            let r = (cx * cx + cy * cy).sqrt();
            let seal = (30.0..36.0).contains(&r) || (r < 8.0);
            let line_row = (60..200).contains(&y) && (y - 60) % 24 < 6;
            let line_len = 250 - u32::from(seed % 5) * 12 - ((y / 24) % 3) * 30;
            let line = line_row && (30..30 + line_len).contains(&x);
            let title = (24..40).contains(&y) && (120..240).contains(&x);
            let rgb = if seal || border {
                [180, 30, 30]
            } else if title {
                [60, 60, 60]
            } else if line {
                [150, 150, 150]
            } else {
                [253, 248, 236]
            };
            let i = ((y * W + x) * 3) as usize;
            px[i..i + 3].copy_from_slice(&rgb);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, W, H);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // Writing to a Vec cannot fail.
        if let Ok(mut w) = enc.write_header() {
            let _ = w.write_image_data(&px);
        }
    }
    out
}

pub fn current_cohort(now: Millis) -> u16 {
    let secs = now.get() / 1000 + 8 * 3600; // China time
    let date = time::OffsetDateTime::from_unix_timestamp(secs)
        .map(|t| t.date())
        .unwrap_or(time::macros::date!(2026 - 01 - 01));
    let year = u16::try_from(date.year()).unwrap_or(2026);
    if u8::from(date.month()) >= 9 {
        year + 1
    } else {
        year
    }
}

fn roster_csv(
    rng: &mut StdRng,
    school: &DemoSchool,
    cohort: u16,
    count: usize,
    first_number: usize,
) -> (Vec<u8>, Vec<(String, String, String)>) {
    let headers: Vec<&str> = ROSTER_COLUMNS.iter().map(|c| c.header).collect();
    let mut out = csv_line(&headers.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    let mut people = Vec::new();
    let majors: Vec<(&str, &str)> = school
        .departments
        .iter()
        .flat_map(|(d, ms)| ms.iter().map(move |m| (*d, *m)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for i in 0..count {
        let (dept, major) = majors[i % majors.len()];
        let female = rng.gen_bool(0.5);
        // Draw until unseen: a roster never holds one person twice.
        let (id, origin) = loop {
            let (county, origin) = ANHUI_COUNTIES[rng.gen_range(0..ANHUI_COUNTIES.len())];
            let birth_year = i32::from(cohort) - 22 + rng.gen_range(-1..=1);
            let birth = format!(
                "{birth_year}{:02}{:02}",
                rng.gen_range(1..=12),
                rng.gen_range(1..=28)
            );
            let mut seq: u32 = rng.gen_range(0..=999);
            if seq.is_multiple_of(2) != female {
                seq = (seq + 1) % 1000;
            }
            let id = with_id_check(&format!("{county}{birth}{seq:03}"));
            if seen.insert(id.clone()) {
                break (id, origin);
            }
        };
        let name = format!(
            "{}{}",
            SURNAMES[rng.gen_range(0..SURNAMES.len())],
            GIVEN[rng.gen_range(0..GIVEN.len())]
        );
        let student_no = format!("{}{}{:04}", cohort - 4, &school.code[3..], first_number + i);
        let mobile = format!(
            "13{}{:08}",
            rng.gen_range(3..=9),
            rng.gen_range(0..100_000_000u32)
        );
        let class = format!(
            "{}{}班",
            &major.chars().take(2).collect::<String>(),
            i % 2 + 1
        );
        let training = if i % 50 == 49 { "定向" } else { "非定向" };
        let cells = vec![
            student_no.clone(),
            name.clone(),
            if female { "女" } else { "男" }.to_string(),
            "汉族".into(),
            if i % 3 == 0 {
                "中共党员"
            } else {
                "共青团员"
            }
            .to_string(),
            id.clone(),
            "本科生毕业".into(),
            training.into(),
            dept.into(),
            major.into(),
            class,
            "4".into(),
            origin.into(),
            mobile,
            format!("s{student_no}@example.com"),
            format!("{origin}幸福路{}号", i + 1),
            format!("{cohort}"),
        ];
        out.extend(csv_line(&cells));
        people.push((student_no, name, id));
    }
    (out, people)
}

/// A roster of `rows` synthetic graduates (valid ID numbers) for load tests.
const SYNTHETIC_FIRST_NUMBER: usize = 5001;

pub fn synthetic_roster_csv(rows: usize, year: u16) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(rows as u64);
    // Numbered after the demo's own graduates: importing it into the demo adds people instead
    // of renaming bound ones (which the import refuses).
    roster_csv(&mut rng, &SCHOOLS[0], year, rows, SYNTHETIC_FIRST_NUMBER).0
}

fn csv_line(cells: &[String]) -> Vec<u8> {
    let mut line = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line.into_bytes()
}

/// Seeds the demo province unless data exists. Returns the accounts to print.
pub async fn seed(
    store: &Store,
    blobs: &dyn BlobStore,
) -> anyhow::Result<Option<Vec<DemoAccount>>> {
    // Never into a database that holds anything else: a real deployment's first administrator
    // is an account, and the demo's known password must not reach it.
    let (existing,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM schools) + (SELECT COUNT(*) FROM accounts) + (SELECT COUNT(*) FROM employers)",
    )
    .fetch_one(store.reader())
    .await?;
    if existing > 0 {
        return Ok(None);
    }
    store.mark_demo().await?;
    let now = store.now();
    let cohort = current_cohort(now);
    let mut rng = StdRng::seed_from_u64(20_261_121);
    let hash = password::hash(DEMO_PASSWORD.to_string()).await?;
    let mut accounts = Vec::new();
    let account = |login: &str, role: &str, name: &str| AccountRow {
        id: crate::fresh(),
        login_name: login.to_string(),
        password_hash: hash.clone(),
        role: role.to_string(),
        display_name: name.to_string(),
        school_id: None,
        department_id: None,
        employer_id: None,
        employer_role: None,
        graduate_id: None,
        status: "active".into(),
        failed_logins: 0,
        locked_until: None,
        must_change_password: 0,
    };

    let mut tx = store.writer().begin().await?;
    insert_account(
        &mut tx,
        &account("province", "provincial_admin", "省就业指导中心"),
        now,
    )
    .await?;
    tx.commit().await?;
    accounts.push(DemoAccount {
        role: "省级管理员",
        login: "province".into(),
        note: "省就业指导中心：单位审核、院校管理".into(),
    });

    let mut school_ids = Vec::new();
    for school in &SCHOOLS {
        let school_id = new_id();
        let mut tx = store.writer().begin().await?;
        crate::orgs::insert_school(&mut tx, &school_id, school.code, school.name, "安徽省", now)
            .await?;
        // The contact block printed on every agreement of the school.
        sqlx::query(
            "UPDATE schools SET contact_department = '毕业生就业指导中心', contact_person = $1, address = $2, contact_phone = $3 WHERE id = $4",
        )
        .bind(if school.code == "19101" { "李老师" } else { "周老师" })
        .bind(format!("安徽省{}校区行政楼 2 楼", school.name))
        .bind(if school.code == "19101" { "0551-62900001" } else { "0553-28700002" })
        .bind(school_id.clone())
        .execute(&mut *tx)
        .await?;
        let admin_login = format!("admin{}", school.code);
        insert_account(
            &mut tx,
            &AccountRow {
                school_id: Some(school_id.as_str().into()),
                ..account(
                    &admin_login,
                    "school_admin",
                    &format!("{}就业中心", school.name),
                )
            },
            now,
        )
        .await?;
        // The roster goes through the real import: upload, job, validation, staging, merge.
        let (csv, people) = roster_csv(&mut rng, school, cohort, 150, 1);
        let (job_id, payload) = queue_import(
            &mut tx,
            blobs,
            &school_id,
            &format!("{}-demo-roster.csv", school.code),
            SheetKind::Csv,
            csv,
            None,
            now,
        )
        .await?;
        // Claimed in the same transaction: a running server's worker must not import it twice.
        crate::jobs::claim_in(&mut tx, &job_id, "demo", now).await?;
        tx.commit().await?;
        let report = import_file(store, blobs, &job_id, &payload).await?;
        if report.error_count > 0 {
            anyhow::bail!("demo roster did not import: {:?}", report.errors);
        }
        // The demo keeps 生源审核 on, with its roster already approved by the school's
        // administrator (through the real review, so the audit shows it).
        let (admin_id,): (String,) =
            sqlx::query_as("SELECT id FROM accounts WHERE login_name = $1")
                .bind(admin_login.clone())
                .fetch_one(store.reader())
                .await?;
        let admin = crate::accounts::actor_of_account(store, &admin_id).await?;
        crate::roster_review::review_roster_records(
            store,
            &admin,
            crate::roster_review::RosterReviewRequest {
                decision: wangqian_domain::roster_review::RosterDecision::Approve,
                reason: None,
                ids: None,
                filter: Some(crate::roster_review::RosterReviewFilter::default()),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo roster review failed: {e}"))?;
        accounts.push(DemoAccount {
            role: "学校管理员",
            login: admin_login,
            note: format!("{}（院校代码 {}）", school.name, school.code),
        });

        let departments = crate::orgs::departments(store, &school_id).await?;
        let mut tx = store.writer().begin().await?;
        for (i, d) in departments.iter().enumerate() {
            let login = format!("rev{}{}", school.code, (b'a' + i as u8) as char);
            insert_account(
                &mut tx,
                &AccountRow {
                    school_id: Some(school_id.as_str().into()),
                    department_id: Some(d.id.as_str().into()),
                    ..account(&login, "department_reviewer", &format!("{}辅导员", d.name))
                },
                now,
            )
            .await?;
            accounts.push(DemoAccount {
                role: "院系审核员",
                login,
                note: format!("{} {}", school.name, d.name),
            });
        }
        tx.commit().await?;

        // One graduate per school is already bound, so that the graduate role can log in.
        let (student_no, name, id) = people[0].clone();
        crate::accounts::bind_graduate(
            store,
            crate::accounts::BindGraduate {
                school_id: school_id.clone(),
                name: name.clone(),
                student_no: student_no.clone(),
                id_number: id.clone(),
                password: DEMO_PASSWORD.into(),
                password_confirm: DEMO_PASSWORD.into(),
            },
            &crate::accounts::SessionPolicy::default(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo binding failed: {e}"))?;
        let (s2, n2, id2) = people[1].clone();
        accounts.push(DemoAccount {
            role: "毕业生",
            login: id,
            note: format!(
                "{name}，学号 {student_no}（已绑定，用身份证号登录）；未绑定示例：{n2} / 学号 {s2} / 身份证 {id2}"
            ),
        });
        school_ids.push(school_id);
    }

    let employers = [
        (
            "合肥星辰软件有限公司",
            "340100",
            "hr1",
            "verified",
            "34",
            "39",
        ),
        (
            "芜湖长江汽车零部件股份有限公司",
            "340200",
            "hr2",
            "verified",
            "22",
            "39",
        ),
        (
            "安徽省皖信会计师事务所",
            "340100",
            "hr3",
            "verified",
            "37",
            "39",
        ),
        (
            "蚌埠新材料科技有限公司",
            "340300",
            "hr4",
            "pending",
            "22",
            "39",
        ),
    ];
    for (i, (name, division, login, status, industry, nature)) in employers.iter().enumerate() {
        let org: String = (0..9)
            .map(|_| CREDIT_ALPHABET[rng.gen_range(0..CREDIT_ALPHABET.len())] as char)
            .collect();
        let code = with_credit_check(&format!("91{division}{org}"));
        let employer_id = new_id();
        let mut tx = store.writer().begin().await?;
        sqlx::query(
            "INSERT INTO employers (id, name, credit_code, province, city, address, phone, email, postcode, unit_nature_code, \
               industry_code, size_code, registered_capital_code, status, decided_at, created_at, updated_at) \
             VALUES ($1, $2, $3, '安徽省', $4, $5, $6, $7, $8, $9, $10, '3', '4', $11, $12, $13, $13)",
        )
        .bind(employer_id.clone())
        .bind(name.to_string())
        .bind(code.clone())
        .bind(if *division == "340200" { "芜湖市" } else if *division == "340300" { "蚌埠市" } else { "合肥市" })
        .bind(format!("示范路{}号", i + 1))
        .bind(format!("0551-6{:07}", i + 1))
        .bind(format!("hr{}@example.com", i + 1))
        .bind("230000")
        .bind(nature.to_string())
        .bind(industry.to_string())
        .bind(status.to_string())
        .bind(if *status == "verified" { Some(now) } else { None })
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Every demo company has a licence and a stamped letter on file, so the review pages
        // show their evidence as they would in use.
        for (kind, column, seed) in [
            ("licence", "licence_upload_id", i as u8),
            (
                "authorisation_letter",
                "authorisation_upload_id",
                i as u8 + 100,
            ),
        ] {
            let upload = crate::blobs::save_upload(
                blobs,
                &mut tx,
                crate::blobs::NewUpload {
                    kind,
                    content_type: "image/png".into(),
                    original_name: format!("{kind}.png"),
                    bytes: demo_certificate_png(seed),
                    uploaded_by: None,
                    school_id: None,
                    at: now,
                },
            )
            .await?;
            sqlx::query(&format!("UPDATE employers SET {column} = $1 WHERE id = $2"))
                .bind(upload)
                .bind(employer_id.clone())
                .execute(&mut *tx)
                .await?;
        }
        for s in &school_ids {
            sqlx::query(
                "INSERT INTO employer_schools (employer_id, school_id, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(employer_id.clone())
            .bind(s.clone())
            .bind(if *status == "verified" { "verified" } else { "pending" })
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        insert_account(
            &mut tx,
            &AccountRow {
                employer_id: Some(employer_id.as_str().into()),
                employer_role: Some("manager".into()),
                ..account(
                    login,
                    "employer_member",
                    &format!("{}人事", &name.chars().take(4).collect::<String>()),
                )
            },
            now,
        )
        .await?;
        tx.commit().await?;
        accounts.push(DemoAccount {
            role: "用人单位",
            login: login.to_string(),
            note: format!(
                "{name}（信用代码 {code}，{}）",
                if *status == "verified" {
                    "已审核"
                } else {
                    "待审核"
                }
            ),
        });
    }
    Ok(Some(accounts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_numbers_pass_the_domain_validators() {
        let id = with_id_check("34052419800101001");
        assert_eq!(id, "34052419800101001X");
        assert!(wangqian_domain::id_number::IdNumber::parse(&id).is_ok());
        let code = with_credit_check("91350200776049653");
        assert_eq!(code, "91350200776049653A");
        assert!(wangqian_domain::credit_code::CreditCode::parse(&code).is_ok());
    }

    #[test]
    fn the_current_cohort_turns_in_september() {
        // 2026-11-21 China time -> the 2027 cohort; 2026-06-30 -> 2026.
        assert_eq!(current_cohort(Millis(1_795_219_200_000)), 2027);
        assert_eq!(current_cohort(Millis(1_782_777_600_000)), 2026);
    }
}
