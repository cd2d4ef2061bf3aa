//! Accounts, login with lock-out and rate limiting, database sessions, graduate binding and
//! staff accounts.

use sha2::{Digest, Sha256};
use wangqian_domain::id_number::IdNumber;
use wangqian_domain::policy::{self, Access};
use wangqian_domain::role::{Actor, EmployerRole, Role};

use crate::audit::{self, AuditEntry};
use crate::error::allow;
use crate::error::{is_unique_violation, FieldError};
use crate::pii::PiiField;
use crate::{
    new_id, password, AccountId, DepartmentId, EmployerId, GraduateId, Millis, SchoolId,
    ServiceError, ServiceResult, Store,
};

/// Session and lock-out timing, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle_timeout_ms: i64,
    pub absolute_timeout_ms: i64,
    pub max_failures: i64,
    pub lockout_ms: i64,
    /// Failures from one client address within `client_window_ms` before it must wait.
    pub client_max_failures: i64,
    pub client_window_ms: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle_timeout_ms: 30 * 60 * 1000,
            absolute_timeout_ms: 12 * 60 * 60 * 1000,
            max_failures: 5,
            lockout_ms: 15 * 60 * 1000,
            client_max_failures: 50,
            client_window_ms: 15 * 60 * 1000,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: AccountId,
    pub login_name: String,
    pub password_hash: String,
    pub role: String,
    pub display_name: String,
    pub school_id: Option<SchoolId>,
    pub department_id: Option<DepartmentId>,
    pub employer_id: Option<EmployerId>,
    pub employer_role: Option<String>,
    pub graduate_id: Option<GraduateId>,
    pub status: String,
    pub failed_logins: i64,
    pub locked_until: Option<Millis>,
    pub must_change_password: i64,
}

const ACCOUNT_COLUMNS: &str = "a.id, a.login_name, a.password_hash, a.role, a.display_name, a.school_id, \
    a.department_id, a.employer_id, a.employer_role, a.graduate_id, a.status, a.failed_logins, a.locked_until, \
    a.must_change_password";

impl AccountRow {
    pub fn actor(&self) -> anyhow::Result<Actor> {
        let role = Role::parse(&self.role)
            .ok_or_else(|| anyhow::anyhow!("unknown role {} in account {}", self.role, self.id))?;
        Ok(Actor {
            account_id: self.id.clone(),
            role,
            school_id: self.school_id.clone(),
            department_id: self.department_id.clone(),
            employer_id: self.employer_id.clone(),
            employer_role: self.employer_role.as_deref().and_then(EmployerRole::parse),
            graduate_id: self.graduate_id.clone(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    csrf_token: String,
    last_seen_at: Millis,
    expires_at: Millis,
    #[sqlx(flatten)]
    account: AccountRow,
}

/// What a session resolves to on each request.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub actor: Actor,
    pub display_name: String,
    pub csrf_token: String,
    /// A one-time password (create-admin): nothing but changing it is allowed until then.
    pub must_change_password: bool,
}

#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// The cookie value; only its hash is stored.
    pub session_token: String,
    pub session: SessionInfo,
}

fn random_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

const BAD_CREDENTIALS: &str = "账号或密码错误";

/// The actor of an active account, for work done on its behalf later (a self-service print
/// the graduate confirmed on the phone).
pub async fn actor_of_account(store: &Store, account_id: &str) -> ServiceResult<Actor> {
    let account = sqlx::query_as::<_, AccountRow>(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1 AND a.status = 'active'"
    ))
    .bind(account_id.to_string())
    .fetch_optional(store.reader())
    .await?
    .ok_or(ServiceError::NotFound("账号"))?;
    Ok(account.actor()?)
}

/// Logs in by login name, or by national ID number for graduates.
pub async fn login(
    store: &Store,
    login: &str,
    password_text: &str,
    client_key: &str,
    policy: &SessionPolicy,
) -> ServiceResult<LoginOutcome> {
    let now = store.now();
    let login = login.trim();
    if login.is_empty() || password_text.is_empty() {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "login",
            "请输入账号和密码",
        )]));
    }
    if throttled(
        store,
        client_key,
        now,
        policy.client_window_ms,
        policy.client_max_failures,
    )
    .await?
    {
        return Err(ServiceError::RateLimited);
    }

    let account = find_login_account(store, login).await?;
    let Some(account) = account else {
        // Spend the same time as a real check so that timing does not reveal which names exist.
        let dummy = DUMMY_HASH
            .get_or_try_init(|| password::hash(random_token()))
            .await?
            .clone();
        let _ = password::verify(password_text.to_string(), dummy).await;
        note_client_failure(store, client_key, now, policy).await?;
        return Err(ServiceError::Unauthenticated(BAD_CREDENTIALS.into()));
    };
    if let Some(until) = account.locked_until {
        if until > now {
            return Err(ServiceError::Locked {
                minutes: (until - now + 59_999) / Millis::MINUTE,
            });
        }
    }
    let ok = password::verify(password_text.to_string(), account.password_hash.clone()).await?;
    if !ok {
        note_client_failure(store, client_key, now, policy).await?;
        // The same answer as for an unknown account: a remaining-tries count would tell anyone
        // which ID numbers have accounts. The lock-out itself still applies.
        return Err(
            match count_failure(store, &account.id, now, policy).await? {
                Some(_) => ServiceError::Unauthenticated(BAD_CREDENTIALS.into()),
                None => locked(policy),
            },
        );
    }
    match account.status.as_str() {
        "active" => {}
        "pending_join" => {
            return Err(ServiceError::Unauthenticated(
                "加入公司的申请正在等待公司管理员审核".into(),
            ))
        }
        "pending_manager" => {
            return Err(ServiceError::Unauthenticated(
                "成为公司管理员的申请正在等待平台审核".into(),
            ))
        }
        "rejected" => return Err(ServiceError::Unauthenticated("账号申请未通过审核".into())),
        _ => return Err(ServiceError::Unauthenticated("账号已停用".into())),
    }
    sqlx::query("UPDATE accounts SET failed_logins = 0, locked_until = NULL, last_login_at = $1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(account.id.clone())
        .execute(store.writer())
        .await?;
    let actor = account.actor()?;
    open_session(
        store,
        actor,
        account.display_name,
        account.must_change_password != 0,
        policy,
    )
    .await
}

fn locked(policy: &SessionPolicy) -> ServiceError {
    ServiceError::Locked {
        minutes: (policy.lockout_ms + 59_999) / 60_000,
    }
}

/// Counts one wrong password against the account, atomically so that racing guesses are all
/// counted; at the limit the account locks. Answers the tries left, or `None` once locked.
async fn count_failure(
    store: &Store,
    account_id: &str,
    now: Millis,
    policy: &SessionPolicy,
) -> ServiceResult<Option<i64>> {
    let (failures,): (i64,) = sqlx::query_as(
        "UPDATE accounts SET failed_logins = failed_logins + 1, updated_at = $1 WHERE id = $2 RETURNING failed_logins",
    )
    .bind(now)
    .bind(account_id.to_string())
    .fetch_one(store.writer())
    .await?;
    if failures < policy.max_failures {
        return Ok(Some(policy.max_failures - failures));
    }
    sqlx::query("UPDATE accounts SET failed_logins = 0, locked_until = $1 WHERE id = $2")
        .bind(now + policy.lockout_ms)
        .bind(account_id.to_string())
        .execute(store.writer())
        .await?;
    Ok(None)
}

/// A fresh password check for a signed-in person before an act that binds them (accepting an
/// offer): wrong passwords count toward the same lock-out as at login, so the check cannot be
/// used to guess a password.
pub async fn reauthenticate(
    store: &Store,
    actor: &Actor,
    password_text: &str,
    policy: &SessionPolicy,
) -> ServiceResult<()> {
    let now = store.now();
    if password_text.is_empty() {
        return Err(ServiceError::field("password", "请输入登录密码"));
    }
    let hash = unlocked_password_hash(store, actor, now).await?;
    if password::verify(password_text.to_string(), hash).await? {
        sqlx::query("UPDATE accounts SET failed_logins = 0 WHERE id = $1 AND failed_logins <> 0")
            .bind(actor.account_id.clone())
            .execute(store.writer())
            .await?;
        return Ok(());
    }
    Err(
        match count_failure(store, &actor.account_id, now, policy).await? {
            Some(left) => ServiceError::field(
                "password",
                format!("密码不正确，签约未完成（还可尝试 {left} 次）"),
            ),
            None => locked(policy),
        },
    )
}

/// The actor's stored password hash, unless the account is locked out now.
async fn unlocked_password_hash(
    store: &Store,
    actor: &Actor,
    now: Millis,
) -> ServiceResult<String> {
    let (hash, locked_until): (String, Option<Millis>) =
        sqlx::query_as("SELECT password_hash, locked_until FROM accounts WHERE id = $1")
            .bind(actor.account_id.clone())
            .fetch_one(store.reader())
            .await?;
    if let Some(until) = locked_until.filter(|u| *u > now) {
        return Err(ServiceError::Locked {
            minutes: (until - now + 59_999) / Millis::MINUTE,
        });
    }
    Ok(hash)
}

/// The hash of a random string, verified against when the account is unknown.
static DUMMY_HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn find_login_account(store: &Store, login: &str) -> ServiceResult<Option<AccountRow>> {
    if let Ok(id) = IdNumber::parse(login) {
        let hash = store.pii.search_hash(PiiField::IdNumber, id.as_str());
        // A person may have records in two cohorts; the most recently bound account wins.
        let row = sqlx::query_as::<_, AccountRow>(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN graduates g ON g.id = a.graduate_id \
             WHERE g.id_number_hash = $1 AND a.status = 'active' ORDER BY g.bound_at DESC LIMIT 1"
        ))
        .bind(hash)
        .fetch_optional(store.reader())
        .await?;
        return Ok(row);
    }
    let row = sqlx::query_as::<_, AccountRow>(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.login_name = $1"
    ))
    .bind(login.to_string())
    .fetch_optional(store.reader())
    .await?;
    Ok(row)
}

async fn note_client_failure(
    store: &Store,
    client_key: &str,
    now: Millis,
    policy: &SessionPolicy,
) -> ServiceResult<()> {
    note_throttle(store, client_key, now, policy.client_window_ms).await
}

/// Counts one failure against `key` in a fixed window (`login_throttle` holds any such
/// counter: logins by client, graduate searches that miss by employer).
pub(crate) async fn note_throttle(
    store: &Store,
    key: &str,
    now: Millis,
    window_ms: i64,
) -> ServiceResult<()> {
    // A window that has run out starts again at one failure.
    sqlx::query(
        "INSERT INTO login_throttle (client_key, window_start, failures) VALUES ($1, $2, 1) \
         ON CONFLICT (client_key) DO UPDATE SET \
           failures = CASE WHEN $2 - login_throttle.window_start >= $3 THEN 1 ELSE login_throttle.failures + 1 END, \
           window_start = CASE WHEN $2 - login_throttle.window_start >= $3 THEN $2 ELSE login_throttle.window_start END",
    )
    .bind(key.to_string())
    .bind(now)
    .bind(window_ms)
    .execute(store.writer())
    .await?;
    Ok(())
}

/// Whether `key` has reached `max` failures in its current window.
pub(crate) async fn throttled(
    store: &Store,
    key: &str,
    now: Millis,
    window_ms: i64,
    max: i64,
) -> ServiceResult<bool> {
    let row: Option<(Millis, i64)> =
        sqlx::query_as("SELECT window_start, failures FROM login_throttle WHERE client_key = $1")
            .bind(key.to_string())
            .fetch_optional(store.reader())
            .await?;
    Ok(row.is_some_and(|(start, failures)| now - start < window_ms && failures >= max))
}

async fn open_session(
    store: &Store,
    actor: Actor,
    display_name: String,
    must_change_password: bool,
    policy: &SessionPolicy,
) -> ServiceResult<LoginOutcome> {
    let now = store.now();
    let token = random_token();
    let csrf = random_token();
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(token_hash(&token))
    .bind(actor.account_id.clone())
    .bind(csrf.clone())
    .bind(now)
    .bind(now + policy.absolute_timeout_ms)
    .execute(store.writer())
    .await?;
    Ok(LoginOutcome {
        session_token: token,
        session: SessionInfo {
            actor,
            display_name,
            csrf_token: csrf,
            must_change_password,
        },
    })
}

/// Resolves a session cookie; expired sessions are deleted and answer `None`.
pub async fn load_session(
    store: &Store,
    token: &str,
    policy: &SessionPolicy,
) -> ServiceResult<Option<SessionInfo>> {
    let now = store.now();
    let hash = token_hash(token);
    // One read per request: the session and its account together.
    let row = sqlx::query_as::<_, SessionRow>(&format!(
        "SELECT s.csrf_token, s.last_seen_at, s.expires_at, {ACCOUNT_COLUMNS} \
         FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1"
    ))
    .bind(hash.clone())
    .fetch_optional(store.reader())
    .await?;
    let Some(SessionRow {
        csrf_token: csrf,
        last_seen_at: last_seen,
        expires_at: expires,
        account,
    }) = row
    else {
        return Ok(None);
    };
    if now >= expires || now.since(last_seen) >= policy.idle_timeout_ms {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(hash)
            .execute(store.writer())
            .await?;
        return Ok(None);
    }
    if account.status != "active" {
        return Ok(None);
    }
    // Touch at most once a minute: reads should not all become writes.
    if now.since(last_seen) > Millis::MINUTE {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(hash)
            .execute(store.writer())
            .await?;
    }
    Ok(Some(SessionInfo {
        actor: account.actor()?,
        display_name: account.display_name,
        csrf_token: csrf,
        must_change_password: account.must_change_password != 0,
    }))
}

pub async fn logout(store: &Store, token: &str) -> ServiceResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(store.writer())
        .await?;
    Ok(())
}

/// Test and operations hook: ages a session as if time had passed.
pub async fn age_session(store: &Store, token: &str, by_ms: i64) -> ServiceResult<()> {
    sqlx::query(
        "UPDATE sessions SET last_seen_at = last_seen_at - $1, created_at = created_at - $1, expires_at = expires_at - $1 WHERE token_hash = $2",
    )
    .bind(by_ms)
    .bind(token_hash(token))
    .execute(store.writer())
    .await?;
    Ok(())
}

/// Input of graduate binding (SPEC §3).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct BindGraduate {
    pub school_id: String,
    pub name: String,
    pub student_no: String,
    pub id_number: String,
    pub password: String,
    pub password_confirm: String,
}

pub async fn bind_graduate(
    store: &Store,
    input: BindGraduate,
    policy: &SessionPolicy,
) -> ServiceResult<LoginOutcome> {
    let mut errors = Vec::new();
    let id = match IdNumber::parse(&input.id_number) {
        Ok(id) => Some(id),
        Err(e) => {
            errors.push(FieldError::new("id_number", e.to_string()));
            None
        }
    };
    let name = wangqian_domain::roster::normalize_person_name(&input.name);
    let student_no = input.student_no.trim().to_string();
    if name.is_empty() {
        errors.push(FieldError::new("name", "请输入姓名"));
    }
    if student_no.is_empty() {
        errors.push(FieldError::new("student_no", "请输入学号"));
    }
    if input.school_id.trim().is_empty() {
        errors.push(FieldError::new("school_id", "请选择学校"));
    }
    if let Err(m) = password::check_strength(&input.password) {
        errors.push(FieldError::new("password", m));
    } else if input.password != input.password_confirm {
        errors.push(FieldError::new("password_confirm", "两次输入的密码不一致"));
    }
    let Some(id) = id.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Validation(errors));
    };
    let hash = store.pii.search_hash(PiiField::IdNumber, id.as_str());
    let matches = sqlx::query_as::<_, (String, String, Option<String>, String)>(
        "SELECT id, department_id, account_id, student_no FROM graduates \
         WHERE school_id = $1 AND id_number_hash = $2 AND name = $3",
    )
    .bind(input.school_id.trim().to_string())
    .bind(hash)
    .bind(name.clone())
    .fetch_all(store.reader())
    .await?;
    let matches: Vec<_> = matches.into_iter().filter(|m| m.3 == student_no).collect();
    let (graduate_id, department_id, account_id) = match matches.as_slice() {
        [] => return Err(ServiceError::BadRequest(
            "信息不匹配或没有注册，请核对学校、姓名、学号和身份证号；如仍不符请联系学校就业中心"
                .into(),
        )),
        [(g, d, a, _)] => (g.clone(), d.clone(), a.clone()),
        _ => {
            return Err(ServiceError::Conflict(
                "信息重复：找到多条生源记录，请联系学校就业中心处理".into(),
            ))
        }
    };
    if account_id.is_some() {
        return Err(ServiceError::Conflict(
            "该生源信息已绑定账号，请直接登录；如非本人操作请联系学校解除绑定".into(),
        ));
    }
    let password_hash = password::hash(input.password).await?;
    let account_id = new_id();
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "INSERT INTO accounts (id, login_name, password_hash, role, display_name, school_id, department_id, graduate_id, status, created_at, updated_at) \
         VALUES ($1, $2, $3, 'graduate', $4, $5, $6, $7, 'active', $8, $8)",
    )
    .bind(account_id.clone())
    .bind(format!("graduate:{graduate_id}"))
    .bind(password_hash)
    .bind(name.clone())
    .bind(input.school_id.trim().to_string())
    .bind(department_id.clone())
    .bind(graduate_id.clone())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            ServiceError::Conflict("该生源信息已绑定账号，请直接登录".into())
        } else {
            e.into()
        }
    })?;
    // Guarded update: two racing bindings of one record cannot both win.
    let done = sqlx::query(
        "UPDATE graduates SET account_id = $1, bound_at = $2, updated_at = $2 WHERE id = $3 AND account_id IS NULL",
    )
    .bind(account_id.clone())
    .bind(now)
    .bind(graduate_id.clone())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::Conflict(
            "该生源信息已绑定账号，请直接登录".into(),
        ));
    }
    tx.commit().await?;
    let actor = Actor {
        account_id: account_id.into(),
        role: Role::Graduate,
        school_id: Some(input.school_id.trim().into()),
        department_id: Some(department_id.into()),
        employer_id: None,
        employer_role: None,
        graduate_id: Some(graduate_id.into()),
    };
    open_session(store, actor, name, false, policy).await
}

/// A school administrator releases a graduate's record from its account (解除绑定).
pub async fn unbind_graduate(store: &Store, actor: &Actor, graduate_id: &str) -> ServiceResult<()> {
    let row = sqlx::query_as::<_, (SchoolId, String, Option<String>)>(
        "SELECT school_id, department_id, account_id FROM graduates WHERE id = $1",
    )
    .bind(graduate_id.to_string())
    .fetch_optional(store.reader())
    .await?;
    let Some((school_id, _dept, account_id)) = row else {
        return Err(ServiceError::NotFound("毕业生"));
    };
    allow(policy::administer_school(actor, &school_id), "毕业生")?;
    let Some(account_id) = account_id else {
        return Err(ServiceError::Conflict("该毕业生尚未绑定账号".into()));
    };
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    release_binding(&mut tx, graduate_id, &account_id, now).await?;
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "unbind_graduate",
            target_kind: "graduate",
            target_id: graduate_id,
            school_id: Some(&school_id),
            detail: serde_json::json!({ "account_id": account_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Frees the record from its account: the record can be bound again, the account's sessions
/// end, and the account is kept (disabled, its login name freed) so that history keeps
/// pointing at someone. Guarded by the account read before: a second release finds nothing.
async fn release_binding(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    graduate_id: &str,
    account_id: &str,
    now: Millis,
) -> ServiceResult<()> {
    let done = sqlx::query(
        "UPDATE graduates SET account_id = NULL, bound_at = NULL, updated_at = $1 WHERE id = $2 AND account_id = $3",
    )
    .bind(now)
    .bind(graduate_id.to_string())
    .bind(account_id.to_string())
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::Conflict(
            "绑定状态已变化，请刷新后重试".into(),
        ));
    }
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id.to_string())
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE accounts SET status = 'disabled', login_name = login_name || ':unbound:' || $1, graduate_id = NULL, updated_at = $2 WHERE id = $3",
    )
    .bind(now.to_string())
    .bind(now)
    .bind(account_id.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseOwnBinding {
    /// The account's current password: releasing signs the graduate out for good.
    pub password: String,
    /// Why (e.g. "绑定了本科阶段的学籍记录"); the school administrators read it.
    pub reason: String,
}

/// 解除绑定并重新登录 (003 §1): a graduate who bound the wrong record releases it and can then
/// bind the right one. Allowed by the domain only while nothing they did on the record is in
/// progress ([`wangqian_domain::binding::self_unbind`]); the school's administrators are told
/// in the same transaction.
pub async fn release_own_binding(
    store: &Store,
    actor: &Actor,
    input: ReleaseOwnBinding,
    policy: &SessionPolicy,
) -> ServiceResult<()> {
    allow(policy::release_own_binding(actor), "毕业生")?;
    let Some(graduate_id) = actor.graduate_id.clone() else {
        return Err(ServiceError::Forbidden);
    };
    let reason = input.reason.trim().to_string();
    let mut errors = Vec::new();
    if input.password.is_empty() {
        errors.push(FieldError::new("password", "请输入当前密码"));
    }
    if reason.is_empty() {
        errors.push(FieldError::new("reason", "请说明解除绑定的原因"));
    } else if reason.chars().count() > 200 {
        errors.push(FieldError::new("reason", "原因不能超过 200 字"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let now = store.now();
    let hash = unlocked_password_hash(store, actor, now).await?;
    if !password::verify(input.password, hash).await? {
        return Err(
            match count_failure(store, &actor.account_id, now, policy).await? {
                Some(_) => ServiceError::field("password", "当前密码不正确"),
                None => locked(policy),
            },
        );
    }
    let mut tx = store.writer().begin().await?;
    // The release comes first so that, on PostgreSQL, the record's row is locked while its
    // facts are read; a second release of the same binding finds nothing to update.
    release_binding(&mut tx, &graduate_id, &actor.account_id, now).await?;
    let (school_id, name, student_no): (SchoolId, String, String) =
        sqlx::query_as("SELECT school_id, name, student_no FROM graduates WHERE id = $1")
            .bind(graduate_id.to_string())
            .fetch_one(&mut *tx)
            .await?;
    let facts = bound_record_facts(&mut tx, &graduate_id).await?;
    if let Err(refusal) = wangqian_domain::binding::self_unbind(&facts) {
        return Err(ServiceError::Conflict(refusal.message().into()));
    }
    crate::lifecycle::messages::send(
        &mut tx,
        crate::lifecycle::messages::Recipient::School(&school_id),
        &crate::lifecycle::messages::NewMessage {
            school_id: &school_id,
            record_kind: "graduate",
            record_id: &graduate_id,
            title: format!("毕业生 {name}（学号 {student_no}）自助解除了账号绑定"),
            body: format!(
                "该生解除了账号与学籍记录的绑定，可重新绑定。原因：{reason}。如非本人操作，请核实后处理。"
            ),
            at: now,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "release_own_binding",
            target_kind: "graduate",
            target_id: &graduate_id,
            school_id: Some(&school_id),
            detail: serde_json::json!({ "reason": reason }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn bound_record_facts(
    conn: &mut sqlx::AnyConnection,
    graduate_id: &GraduateId,
) -> ServiceResult<wangqian_domain::binding::BoundRecordFacts> {
    use crate::typed::Coded;
    use wangqian_domain::lifecycle::{AgreementState, DestinationState};
    let held: Option<(i32,)> =
        sqlx::query_as("SELECT 1 FROM graduate_outcomes WHERE graduate_id = $1")
            .bind(graduate_id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let agreements: Vec<(Coded<AgreementState>,)> =
        sqlx::query_as("SELECT state FROM agreements WHERE graduate_id = $1")
            .bind(graduate_id.to_string())
            .fetch_all(&mut *conn)
            .await?;
    let destinations: Vec<(Coded<DestinationState>,)> =
        sqlx::query_as("SELECT state FROM destinations WHERE graduate_id = $1")
            .bind(graduate_id.to_string())
            .fetch_all(&mut *conn)
            .await?;
    Ok(wangqian_domain::binding::BoundRecordFacts {
        outcome_held: held.is_some(),
        agreements: agreements.into_iter().map(|(s,)| s.0).collect(),
        destinations: destinations.into_iter().map(|(s,)| s.0).collect(),
    })
}

/// Login names of staff and employer accounts: 4–32 letters, digits, '_', '-', '.', '@'.
pub fn check_login_name(name: &str) -> Result<(), &'static str> {
    let n = name.chars().count();
    if !(4..=32).contains(&n) {
        return Err("账号长度应为 4–32 个字符");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'))
    {
        return Err("账号只能包含字母、数字和 _ - . @");
    }
    if name.starts_with("graduate:") {
        return Err("该账号名不可用");
    }
    Ok(())
}

/// The fields every new staff account has: trimmed login and name, and every problem at once.
pub(crate) fn check_new_staff(
    login_name: &str,
    display_name: &str,
    initial_password: &str,
) -> (String, String, Vec<FieldError>) {
    let mut errors = Vec::new();
    let login_name = login_name.trim().to_string();
    if let Err(m) = check_login_name(&login_name) {
        errors.push(FieldError::new("login_name", m));
    }
    let display_name = display_name.trim().to_string();
    if display_name.is_empty() || display_name.chars().count() > 50 {
        errors.push(FieldError::new(
            "display_name",
            "请输入姓名（不超过 50 字）",
        ));
    }
    if let Err(m) = password::check_strength(initial_password) {
        errors.push(FieldError::new("password", m));
    }
    (login_name, display_name, errors)
}

/// An INSERT that met the unique login name.
pub(crate) fn login_taken(e: sqlx::Error) -> ServiceError {
    if is_unique_violation(&e) {
        ServiceError::field("login_name", "该账号已被使用")
    } else {
        e.into()
    }
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct NewReviewer {
    pub department_id: String,
    pub login_name: String,
    pub display_name: String,
    pub password: String,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StaffRow {
    pub id: String,
    pub login_name: String,
    pub display_name: String,
    pub role: String,
    pub department_id: Option<String>,
    pub department_name: Option<String>,
    pub status: String,
    pub last_login_at: Option<Millis>,
}

/// A school administrator creates a department reviewer scoped to one department.
pub async fn create_reviewer(
    store: &Store,
    actor: &Actor,
    input: NewReviewer,
) -> ServiceResult<StaffRow> {
    let school_id = actor.school_id.clone().unwrap_or_default();
    match policy::administer_school(actor, &school_id) {
        Access::Allowed => {}
        Access::Forbidden | Access::NotFound => return Err(ServiceError::Forbidden),
    }
    let (login_name, display_name, mut errors) =
        check_new_staff(&input.login_name, &input.display_name, &input.password);
    let dept = sqlx::query_as::<_, (String,)>(
        "SELECT name FROM departments WHERE id = $1 AND school_id = $2",
    )
    .bind(input.department_id.clone())
    .bind(school_id.clone())
    .fetch_optional(store.reader())
    .await?;
    if dept.is_none() {
        errors.push(FieldError::new("department_id", "请选择本校的院系"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let hash = password::hash(input.password).await?;
    let id = new_id();
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "INSERT INTO accounts (id, login_name, password_hash, role, display_name, school_id, department_id, status, created_at, updated_at) \
         VALUES ($1, $2, $3, 'department_reviewer', $4, $5, $6, 'active', $7, $7)",
    )
    .bind(id.clone())
    .bind(login_name.clone())
    .bind(hash)
    .bind(display_name)
    .bind(school_id.clone())
    .bind(input.department_id.clone())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(login_taken)?;
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "create_reviewer",
            target_kind: "account",
            target_id: &id,
            school_id: Some(&school_id),
            detail: serde_json::json!({ "department_id": input.department_id }),
        },
    )
    .await?;
    tx.commit().await?;
    list_staff(store, actor)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(ServiceError::NotFound("账号"))
}

/// Staff accounts of the administrator's school.
pub async fn list_staff(store: &Store, actor: &Actor) -> ServiceResult<Vec<StaffRow>> {
    let school_id = actor.school_id.clone().unwrap_or_default();
    match policy::administer_school(actor, &school_id) {
        Access::Allowed => {}
        Access::Forbidden | Access::NotFound => return Err(ServiceError::Forbidden),
    }
    Ok(sqlx::query_as::<_, StaffRow>(
        "SELECT a.id, a.login_name, a.display_name, a.role, a.department_id, d.name AS department_name, a.status, a.last_login_at \
         FROM accounts a LEFT JOIN departments d ON d.id = a.department_id \
         WHERE a.school_id = $1 AND a.role IN ('department_reviewer', 'school_admin') ORDER BY a.role DESC, d.name, a.login_name",
    )
    .bind(school_id)
    .fetch_all(store.reader())
    .await?)
}

/// Disables or re-enables a reviewer of the administrator's school.
pub async fn set_reviewer_active(
    store: &Store,
    actor: &Actor,
    account_id: &str,
    active: bool,
) -> ServiceResult<()> {
    let school_id = actor.school_id.clone().unwrap_or_default();
    match policy::administer_school(actor, &school_id) {
        Access::Allowed => {}
        Access::Forbidden | Access::NotFound => return Err(ServiceError::Forbidden),
    }
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    let done = sqlx::query(
        "UPDATE accounts SET status = $1, updated_at = $2 WHERE id = $3 AND school_id = $4 AND role = 'department_reviewer'",
    )
    .bind(if active { "active" } else { "disabled" })
    .bind(now)
    .bind(account_id.to_string())
    .bind(school_id.clone())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::NotFound("审核员账号"));
    }
    if !active {
        sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account_id.to_string())
            .execute(&mut *tx)
            .await?;
    }
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: if active {
                "enable_reviewer"
            } else {
                "disable_reviewer"
            },
            target_kind: "account",
            target_id: account_id,
            school_id: Some(&school_id),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates an account directly (demo data and bootstrap of administrators).
pub async fn insert_account(
    conn: &mut sqlx::AnyConnection,
    a: &AccountRow,
    now: Millis,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO accounts (id, login_name, password_hash, role, display_name, school_id, department_id, employer_id, employer_role, graduate_id, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(a.id.clone())
    .bind(a.login_name.clone())
    .bind(a.password_hash.clone())
    .bind(a.role.clone())
    .bind(a.display_name.clone())
    .bind(a.school_id.clone())
    .bind(a.department_id.clone())
    .bind(a.employer_id.clone())
    .bind(a.employer_role.clone())
    .bind(a.graduate_id.clone())
    .bind(a.status.clone())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A random one-time password: letters and digits without look-alikes, read off a screen or a
/// terminal and typed once.
fn one_time_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    let mut p: String = (0..14)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    p.push_str("7a"); // always both letters and digits
    p
}

/// The first provincial administrator of a real deployment (`wangqian create-admin`). Returns
/// the one-time password, which must be changed at first login.
pub async fn create_provincial_admin(
    store: &Store,
    login_name: &str,
    display_name: &str,
) -> ServiceResult<String> {
    let login = login_name.trim();
    let mut errors = Vec::new();
    if login.is_empty()
        || login.len() > 32
        || !login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        errors.push(FieldError::new(
            "login",
            "登录名须为 1–32 位字母、数字、下划线、点或连字符",
        ));
    }
    if IdNumber::parse(login).is_ok() {
        errors.push(FieldError::new("login", "登录名不能是身份证号"));
    }
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        errors.push(FieldError::new("name", "请填写 1–50 字的名称"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let one_time = one_time_password();
    let hash = password::hash(one_time.clone()).await?;
    let now = store.now();
    sqlx::query(
        "INSERT INTO accounts (id, login_name, password_hash, role, display_name, status, must_change_password, created_at, updated_at) \
         VALUES ($1, $2, $3, 'provincial_admin', $4, 'active', 1, $5, $5)",
    )
    .bind(new_id())
    .bind(login.to_string())
    .bind(hash)
    .bind(name.to_string())
    .bind(now)
    .execute(store.writer())
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            ServiceError::field("login", format!("登录名 {login} 已存在"))
        } else {
            e.into()
        }
    })?;
    Ok(one_time)
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
    pub new_password_confirm: String,
}

/// Changes the actor's own password (and ends the one-time password requirement). Every field's
/// problem is reported at once; a wrong current password counts towards the lock-out. Every
/// other session of the account ends (whoever knew the old password is signed out); the one
/// making the change, `current_session_token`, stays.
pub async fn change_password(
    store: &Store,
    actor: &Actor,
    input: ChangePassword,
    policy: &SessionPolicy,
    current_session_token: &str,
) -> ServiceResult<()> {
    let mut errors = Vec::new();
    if input.current_password.is_empty() {
        errors.push(FieldError::new("current_password", "请输入当前密码"));
    }
    if let Err(m) = password::check_strength(&input.new_password) {
        errors.push(FieldError::new("new_password", m));
    } else if input.new_password == input.current_password {
        errors.push(FieldError::new("new_password", "新密码不能与当前密码相同"));
    }
    if input.new_password_confirm != input.new_password {
        errors.push(FieldError::new(
            "new_password_confirm",
            "两次输入的新密码不一致",
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let now = store.now();
    let hash = unlocked_password_hash(store, actor, now).await?;
    if !password::verify(input.current_password, hash.clone()).await? {
        return Err(
            match count_failure(store, &actor.account_id, now, policy).await? {
                Some(_) => ServiceError::field("current_password", "当前密码不正确"),
                None => locked(policy),
            },
        );
    }
    let new_hash = password::hash(input.new_password).await?;
    let mut tx = store.writer().begin().await?;
    // Guarded by the hash read above: two racing changes cannot both apply.
    let n = sqlx::query(
        "UPDATE accounts SET password_hash = $1, must_change_password = 0, failed_logins = 0, updated_at = $2 \
         WHERE id = $3 AND password_hash = $4",
    )
    .bind(new_hash)
    .bind(now)
    .bind(actor.account_id.clone())
    .bind(hash)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ServiceError::Conflict("密码已被修改，请重新登录".into()));
    }
    let ended = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
        .bind(actor.account_id.clone())
        .bind(token_hash(current_session_token))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "change_password",
            target_kind: "account",
            target_id: &actor.account_id,
            school_id: actor.school_id.as_deref(),
            detail: serde_json::json!({ "other_sessions_ended": ended }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What an administrator is shown once after resetting a password. Only its hash is stored.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PasswordReset {
    pub account_id: AccountId,
    pub display_name: String,
    /// How the person logs in: the login name, or 身份证号 for a graduate.
    pub login_hint: String,
    /// Shown this once; the person must change it at first login.
    pub one_time_password: String,
    /// Sessions of the account that were ended.
    pub sessions_ended: u64,
}

/// An id that names no account is outside every scope: the policy answers 403 or 404 for it as
/// for any other account, so roles that may never reset learn nothing from ids.
fn no_account_to_reset(actor: &Actor) -> ServiceError {
    let nobody = policy::AccountScope {
        account_id: &AccountId::default(),
        role: Role::ProvincialAdmin,
        school_id: None,
    };
    match allow(policy::reset_account_password(actor, nobody), "账号") {
        Err(e) => e,
        Ok(()) => ServiceError::NotFound("账号"),
    }
}

/// The account bound to a graduate's record, for pages that list graduates rather than
/// accounts; an unbound record has none to reset.
pub async fn account_of_graduate(
    store: &Store,
    actor: &Actor,
    graduate_id: &str,
) -> ServiceResult<AccountId> {
    let row: Option<(Option<AccountId>,)> =
        sqlx::query_as("SELECT account_id FROM graduates WHERE id = $1")
            .bind(graduate_id.to_string())
            .fetch_optional(store.reader())
            .await?;
    row.and_then(|(a,)| a)
        .ok_or_else(|| no_account_to_reset(actor))
}

/// An administrator resets another account's password (重置密码): a fresh one-time password,
/// which must be changed at the next login, and every session of the account ends (including
/// one opened by whoever made the reset necessary). The lock-out is lifted too: a locked-out
/// person is the usual reason to ask.
pub async fn reset_account_password(
    store: &Store,
    actor: &Actor,
    account_id: &str,
) -> ServiceResult<PasswordReset> {
    let target: Option<(AccountId, String, String, String, Option<SchoolId>)> = sqlx::query_as(
        "SELECT id, login_name, role, display_name, school_id FROM accounts WHERE id = $1",
    )
    .bind(account_id.to_string())
    .fetch_optional(store.reader())
    .await?;
    let Some((id, login_name, role, display_name, school_id)) = target else {
        return Err(no_account_to_reset(actor));
    };
    let role =
        Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role {role} in account {id}"))?;
    allow(
        policy::reset_account_password(
            actor,
            policy::AccountScope {
                account_id: &id,
                role,
                school_id: school_id.as_ref(),
            },
        ),
        "账号",
    )?;
    let one_time = one_time_password();
    let hash = password::hash(one_time.clone()).await?;
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "UPDATE accounts SET password_hash = $1, must_change_password = 1, failed_logins = 0, locked_until = NULL, updated_at = $2 \
         WHERE id = $3",
    )
    .bind(hash)
    .bind(now)
    .bind(id.clone())
    .execute(&mut *tx)
    .await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(id.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "reset_account_password",
            target_kind: "account",
            target_id: &id,
            school_id: school_id.as_deref(),
            detail: serde_json::json!({ "role": role.as_str(), "sessions_ended": ended }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(PasswordReset {
        login_hint: if role == Role::Graduate {
            "身份证号".into()
        } else {
            login_name
        },
        account_id: id,
        display_name,
        one_time_password: one_time,
        sessions_ended: ended,
    })
}
