-- Foundation schema: organisations, accounts and sessions, graduates (roster), employers,
-- uploads, settings, jobs and the audit log.
-- Portable subset shared with the PostgreSQL folder: TEXT ids (UUIDs), times as unix
-- milliseconds in 64-bit integers, flags as 0/1 integers, statuses as TEXT with CHECK.
-- Every row about a graduate carries school_id so that a national deployment can shard by school.

CREATE TABLE schools (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,            -- 5-digit national school code (院校代码)
    name TEXT NOT NULL,
    province TEXT NOT NULL,
    contact_department TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE departments (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools(id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (school_id, name)
);

CREATE TABLE majors (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (department_id, name)
);

CREATE TABLE classes (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools(id),
    major_id TEXT NOT NULL REFERENCES majors(id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (major_id, name)
);

CREATE TABLE employers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    credit_code TEXT NOT NULL UNIQUE,     -- 统一社会信用代码
    -- A code that fails the GB 32100 check is kept only with an administrator's logged override.
    credit_code_warning TEXT,
    credit_code_override_by TEXT,
    province TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    hr_email TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    unit_nature_code TEXT NOT NULL DEFAULT '',
    industry_code TEXT NOT NULL DEFAULT '',
    size_code TEXT NOT NULL DEFAULT '',
    registered_capital_code TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    authorisation_upload_id TEXT,
    licence_upload_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'rejected')),
    decision_reason TEXT,
    decided_by TEXT,
    decided_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX employers_status ON employers (status, created_at);

-- Which schools an employer recruits at (registration step 4), with the school's own verification.
CREATE TABLE employer_schools (
    employer_id TEXT NOT NULL REFERENCES employers(id),
    school_id TEXT NOT NULL REFERENCES schools(id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'rejected')),
    decision_reason TEXT,
    decided_by TEXT,
    decided_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (employer_id, school_id)
);
CREATE INDEX employer_schools_school ON employer_schools (school_id, status);

CREATE TABLE graduates (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    major_id TEXT NOT NULL REFERENCES majors(id),
    class_id TEXT REFERENCES classes(id),
    graduation_year INTEGER NOT NULL,
    student_no TEXT NOT NULL,
    name TEXT NOT NULL,
    gender TEXT NOT NULL,
    ethnicity_code TEXT,
    political_status_code TEXT,
    -- Personal data: AEAD ciphertext, keyed hash for exact-match search, masked form for display.
    id_number_enc TEXT NOT NULL,
    id_number_hash TEXT NOT NULL,
    id_number_masked TEXT NOT NULL,
    mobile_enc TEXT,
    mobile_hash TEXT,
    mobile_masked TEXT,
    email TEXT,
    home_address_enc TEXT,
    education_level_code TEXT NOT NULL,
    training_mode_code TEXT NOT NULL,
    years_of_schooling INTEGER NOT NULL,
    origin_location TEXT NOT NULL,
    signing_locked INTEGER NOT NULL DEFAULT 0 CHECK (signing_locked IN (0, 1)),
    account_id TEXT UNIQUE,               -- set by binding; one account per record
    bound_at INTEGER,
    import_job_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (school_id, student_no)
);
CREATE INDEX graduates_school_id_hash ON graduates (school_id, id_number_hash);
CREATE INDEX graduates_school_dept ON graduates (school_id, department_id, graduation_year);
CREATE INDEX graduates_school_name ON graduates (school_id, name);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    login_name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('graduate', 'employer_member', 'department_reviewer', 'school_admin', 'provincial_admin')),
    display_name TEXT NOT NULL,
    school_id TEXT REFERENCES schools(id),
    department_id TEXT REFERENCES departments(id),
    employer_id TEXT REFERENCES employers(id),
    employer_role TEXT CHECK (employer_role IN ('manager', 'hr')),
    graduate_id TEXT REFERENCES graduates(id),
    -- pending_join: waits for the company manager; pending_manager: waits for the platform.
    status TEXT NOT NULL CHECK (status IN ('active', 'pending_join', 'pending_manager', 'rejected', 'disabled')),
    phone_enc TEXT,
    phone_hash TEXT,
    phone_masked TEXT,
    email TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    last_login_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX accounts_employer ON accounts (employer_id, status);
CREATE INDEX accounts_school ON accounts (school_id, role);

-- Sessions live here, not in a process, so that several app nodes can share them.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,          -- SHA-256 of the cookie value; the value itself is never stored
    account_id TEXT NOT NULL REFERENCES accounts(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL           -- absolute timeout
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Failed logins per client address, for rate limiting across nodes.
CREATE TABLE login_throttle (
    client_key TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    failures INTEGER NOT NULL
);

CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('authorisation_letter', 'licence', 'roster')),
    content_type TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    original_name TEXT NOT NULL,
    uploaded_by TEXT,
    school_id TEXT,
    created_at INTEGER NOT NULL
);

-- Per-school, per-cohort settings (SPEC §10). Absent row = the domain's defaults.
CREATE TABLE signing_settings (
    school_id TEXT NOT NULL REFERENCES schools(id),
    graduation_year INTEGER NOT NULL,
    signing_opens_on TEXT NOT NULL,       -- ISO date
    signing_closes_on TEXT NOT NULL,
    review_levels TEXT NOT NULL CHECK (review_levels IN ('one', 'two')),
    binding_moment TEXT NOT NULL CHECK (binding_moment IN ('on_acceptance', 'on_attestation')),
    employer_may_request_termination INTEGER NOT NULL CHECK (employer_may_request_termination IN (0, 1)),
    termination_not_before TEXT NOT NULL,
    max_terminations INTEGER NOT NULL,
    invitation_validity_days INTEGER NOT NULL,
    employer_verification TEXT NOT NULL CHECK (employer_verification IN ('platform_sufficient', 'school_required')),
    updated_by TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (school_id, graduation_year)
);

-- Slow or bulk work (roster import; later PDF, XLSX, e-mail). Claimed by one node at a time.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    school_id TEXT,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    phase TEXT NOT NULL DEFAULT '',
    progress_done INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER NOT NULL DEFAULT 0,
    result TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_by TEXT,
    locked_at INTEGER,
    created_by TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, created_at);

-- Validated roster rows of one import job, merged into graduates in a single statement so that
-- an import applies whole or not at all while progress stays visible.
CREATE TABLE roster_staging (
    job_id TEXT NOT NULL,
    row_no INTEGER NOT NULL,
    new_id TEXT NOT NULL,
    school_id TEXT NOT NULL,
    department TEXT NOT NULL,
    major TEXT NOT NULL,
    class_name TEXT,
    graduation_year INTEGER NOT NULL,
    student_no TEXT NOT NULL,
    name TEXT NOT NULL,
    gender TEXT NOT NULL,
    ethnicity_code TEXT,
    political_status_code TEXT,
    id_number_enc TEXT NOT NULL,
    id_number_hash TEXT NOT NULL,
    id_number_masked TEXT NOT NULL,
    mobile_enc TEXT,
    mobile_hash TEXT,
    mobile_masked TEXT,
    email TEXT,
    home_address_enc TEXT,
    education_level_code TEXT NOT NULL,
    training_mode_code TEXT NOT NULL,
    years_of_schooling INTEGER NOT NULL,
    origin_location TEXT NOT NULL,
    PRIMARY KEY (job_id, row_no)
);

-- Who did what outside the agreement flow (verification, overrides, unbinding, settings).
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_account_id TEXT,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    school_id TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_target ON audit_log (target_kind, target_id, at);
