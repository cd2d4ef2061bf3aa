-- The agreement lifecycle (SPEC §5–§8): agreements (online and paper), their term versions,
-- other-destination registrations, the graduate's one binding outcome, agreement numbers,
-- the hash-chained flow trail, idempotency keys, in-app messages and employers' send lists.
-- The invariants that racing requests must not break are enforced here, by keys and indexes.

-- New kinds of uploaded proof: termination letters, signed scans, destination proofs.
CREATE TABLE uploads_v2 (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('authorisation_letter', 'licence', 'roster',
        'termination_proof', 'signed_agreement', 'destination_proof', 'release_proof')),
    content_type TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    original_name TEXT NOT NULL,
    uploaded_by TEXT,
    school_id TEXT,
    created_at INTEGER NOT NULL
);
INSERT INTO uploads_v2 SELECT id, kind, content_type, byte_size, sha256, storage_key, original_name, uploaded_by, school_id, created_at FROM uploads;
DROP TABLE uploads;
ALTER TABLE uploads_v2 RENAME TO uploads;

ALTER TABLE graduates ADD COLUMN terminations_used INTEGER NOT NULL DEFAULT 0;

CREATE TABLE agreements (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('online', 'paper')),
    school_id TEXT NOT NULL REFERENCES schools(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    graduate_id TEXT NOT NULL REFERENCES graduates(id),
    graduation_year INTEGER NOT NULL,
    employer_id TEXT REFERENCES employers(id),      -- online only
    employer_name TEXT NOT NULL,
    employer_credit_code TEXT NOT NULL,
    paper_employer TEXT,                            -- JSON, paper only
    state TEXT NOT NULL,
    awaiting TEXT,                                  -- whose move it is (party), for to-do lists
    version INTEGER NOT NULL,                       -- optimistic concurrency
    terms_version INTEGER NOT NULL,                 -- the version number of the terms in force
    terms TEXT NOT NULL,                            -- JSON of the terms in force
    amendment_from TEXT,                            -- where a pending amendment returns
    binding_moment TEXT NOT NULL,                   -- the school's rule when sent, shown to both
    deadline_at INTEGER,                            -- invitation: 24:00 China time of the last day
    termination_requested_by TEXT,
    termination_reason TEXT,
    termination_proof_id TEXT,
    signed_scan_id TEXT,
    number TEXT UNIQUE,                             -- assigned once, at effectiveness
    trail_seq INTEGER NOT NULL,                     -- head of the flow trail, checked by `check-trail`
    trail_hash TEXT NOT NULL,
    sent_at INTEGER,
    signed_at INTEGER,
    effective_at INTEGER,
    created_by TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- Invariant 2: one pending invitation per employer and graduate.
CREATE UNIQUE INDEX agreements_one_pending_invitation ON agreements (employer_id, graduate_id) WHERE state = 'invited';
CREATE INDEX agreements_school_state ON agreements (school_id, state, updated_at);
CREATE INDEX agreements_school_awaiting ON agreements (school_id, awaiting, department_id);
CREATE INDEX agreements_graduate ON agreements (graduate_id, updated_at);
CREATE INDEX agreements_employer ON agreements (employer_id, state, updated_at);
CREATE INDEX agreements_deadline ON agreements (state, deadline_at);

-- Every version of the terms (amendments keep the old ones).
CREATE TABLE agreement_versions (
    agreement_id TEXT NOT NULL REFERENCES agreements(id),
    version_no INTEGER NOT NULL,
    school_id TEXT NOT NULL,
    terms TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'in_force', 'superseded', 'declined', 'withdrawn', 'rejected')),
    proposed_by TEXT,
    proposed_at INTEGER NOT NULL,
    decided_at INTEGER,
    PRIMARY KEY (agreement_id, version_no)
);

CREATE TABLE destinations (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    graduate_id TEXT NOT NULL REFERENCES graduates(id),
    graduation_year INTEGER NOT NULL,
    category_code TEXT NOT NULL,                    -- 毕业去向代码
    subcategory TEXT NOT NULL DEFAULT '',
    unit_name TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}',             -- JSON of the category's fields
    proof_ids TEXT NOT NULL DEFAULT '[]',           -- JSON array of upload ids (≤ 4)
    state TEXT NOT NULL,
    awaiting TEXT,
    version INTEGER NOT NULL,
    review_reason TEXT,
    release_reason TEXT,
    release_proof_id TEXT,
    trail_seq INTEGER NOT NULL,
    trail_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX destinations_school_state ON destinations (school_id, state, updated_at);
CREATE INDEX destinations_graduate ON destinations (graduate_id, updated_at);

-- Invariant 1: a graduate holds at most one binding outcome (online agreement, paper agreement
-- or other destination). The row exists exactly while its record holds the outcome.
CREATE TABLE graduate_outcomes (
    graduate_id TEXT PRIMARY KEY REFERENCES graduates(id),
    school_id TEXT NOT NULL,
    record_kind TEXT NOT NULL CHECK (record_kind IN ('agreement', 'destination')),
    record_id TEXT NOT NULL UNIQUE,
    since INTEGER NOT NULL
);

-- Invariant 3: agreement numbers come from one counter per kind, school and cohort.
CREATE TABLE agreement_number_sequences (
    kind TEXT NOT NULL,
    school_id TEXT NOT NULL,
    graduation_year INTEGER NOT NULL,
    last_value INTEGER NOT NULL,
    PRIMARY KEY (kind, school_id, graduation_year)
);

-- Invariant 4: the flow trail (流程追踪). Append-only, hash-chained per record.
CREATE TABLE flow_events (
    record_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    record_kind TEXT NOT NULL CHECK (record_kind IN ('agreement', 'destination')),
    school_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor_account_id TEXT,
    actor_name TEXT NOT NULL,
    party TEXT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    remark TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (record_id, seq)
);
CREATE INDEX flow_events_school ON flow_events (school_id, at);
CREATE TRIGGER flow_events_no_update BEFORE UPDATE ON flow_events
BEGIN SELECT RAISE(ABORT, 'flow_events is append-only'); END;
CREATE TRIGGER flow_events_no_delete BEFORE DELETE ON flow_events
BEGIN SELECT RAISE(ABORT, 'flow_events is append-only'); END;

-- Invariant 5: a retried request with the same key gets the first answer.
CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    operation TEXT NOT NULL,
    target TEXT NOT NULL,
    response TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- In-app messages to a graduate, an employer, a department or a school.
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL,
    recipient_kind TEXT NOT NULL CHECK (recipient_kind IN ('graduate', 'employer', 'department', 'school')),
    recipient_id TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX messages_recipient ON messages (recipient_kind, recipient_id, created_at);

-- An employer's send list (签约发送列表): graduates it has found and may invite.
CREATE TABLE send_list (
    employer_id TEXT NOT NULL REFERENCES employers(id),
    graduate_id TEXT NOT NULL REFERENCES graduates(id),
    school_id TEXT NOT NULL,
    added_by TEXT,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (employer_id, graduate_id)
);
