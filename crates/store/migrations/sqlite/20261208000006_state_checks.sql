-- Every state, kind and party column accepts only the values of its domain enum
-- (`wangqian_domain::lifecycle`: AgreementState, AgreementKind, DestinationState, Party), so a
-- bug or a hand-written UPDATE cannot store a state the code cannot read. `crates/store/tests/
-- schema.rs` checks these lists against the enums and against the PostgreSQL folder.
--
-- SQLite cannot add a CHECK to an existing table: each table is rebuilt (copy, drop, create,
-- copy back; recreate its indexes and triggers). Other tables reference `agreements`, and
-- migrations run inside a transaction where foreign keys cannot be switched off, so they are
-- deferred: emptying `agreements` counts its children as dangling, and inserting the rows
-- again under the same name counts them back before the commit checks.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE agreements_before_checks AS SELECT * FROM agreements;
DELETE FROM agreements;
DROP TABLE agreements;
CREATE TABLE agreements (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CONSTRAINT agreements_kind_check CHECK (kind IN ('online', 'paper')),
    school_id TEXT NOT NULL REFERENCES schools(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    graduate_id TEXT NOT NULL REFERENCES graduates(id),
    graduation_year INTEGER NOT NULL,
    employer_id TEXT REFERENCES employers(id),      -- online only
    employer_name TEXT NOT NULL,
    employer_credit_code TEXT NOT NULL,
    paper_employer TEXT,                            -- JSON, paper only
    state TEXT NOT NULL CONSTRAINT agreements_state_check CHECK (state IN (
        'invited', 'withdrawn', 'rejected', 'expired', 'signed', 'dept_approved',
        'review_rejected', 'cancelled', 'amendment_pending', 'amendment_review', 'effective',
        'termination_requested', 'termination_review', 'termination_dept_approved', 'terminated',
        'draft', 'content_review', 'awaiting_feedback', 'feedback_review')),
    -- whose move it is (party), for to-do lists
    awaiting TEXT CONSTRAINT agreements_awaiting_check CHECK (awaiting IN (
        'graduate', 'employer', 'department_reviewer', 'school_admin', 'system')),
    version INTEGER NOT NULL,                       -- optimistic concurrency
    terms_version INTEGER NOT NULL,                 -- the version number of the terms in force
    terms TEXT NOT NULL,                            -- JSON of the terms in force
    amendment_from TEXT,                            -- where a pending amendment returns
    binding_moment TEXT NOT NULL,                   -- the school's rule when sent, shown to both
    deadline_at INTEGER,                            -- invitation: 24:00 China time of the last day
    termination_requested_by TEXT CONSTRAINT agreements_termination_requested_by_check
        CHECK (termination_requested_by IN (
        'graduate', 'employer', 'department_reviewer', 'school_admin', 'system')),
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
    updated_at INTEGER NOT NULL,
    reminded_at INTEGER
);
INSERT INTO agreements (id, kind, school_id, department_id, graduate_id, graduation_year, employer_id,
    employer_name, employer_credit_code, paper_employer, state, awaiting, version, terms_version, terms,
    amendment_from, binding_moment, deadline_at, termination_requested_by, termination_reason,
    termination_proof_id, signed_scan_id, number, trail_seq, trail_hash, sent_at, signed_at, effective_at,
    created_by, created_at, updated_at, reminded_at)
SELECT id, kind, school_id, department_id, graduate_id, graduation_year, employer_id,
    employer_name, employer_credit_code, paper_employer, state, awaiting, version, terms_version, terms,
    amendment_from, binding_moment, deadline_at, termination_requested_by, termination_reason,
    termination_proof_id, signed_scan_id, number, trail_seq, trail_hash, sent_at, signed_at, effective_at,
    created_by, created_at, updated_at, reminded_at
FROM agreements_before_checks;
DROP TABLE agreements_before_checks;
CREATE UNIQUE INDEX agreements_one_pending_invitation ON agreements (employer_id, graduate_id) WHERE state = 'invited';
CREATE INDEX agreements_school_state ON agreements (school_id, state, updated_at);
CREATE INDEX agreements_school_awaiting ON agreements (school_id, awaiting, department_id);
CREATE INDEX agreements_graduate ON agreements (graduate_id, updated_at);
CREATE INDEX agreements_employer ON agreements (employer_id, state, updated_at);
CREATE INDEX agreements_deadline ON agreements (state, deadline_at);

CREATE TABLE destinations_v2 (
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
    state TEXT NOT NULL CONSTRAINT destinations_state_check CHECK (state IN (
        'submitted', 'withdrawn', 'approved', 'rejected', 'release_requested', 'released')),
    awaiting TEXT CONSTRAINT destinations_awaiting_check CHECK (awaiting IN (
        'graduate', 'employer', 'department_reviewer', 'school_admin', 'system')),
    version INTEGER NOT NULL,
    review_reason TEXT,
    release_reason TEXT,
    release_proof_id TEXT,
    trail_seq INTEGER NOT NULL,
    trail_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO destinations_v2 (id, school_id, department_id, graduate_id, graduation_year, category_code,
    subcategory, unit_name, details, proof_ids, state, awaiting, version, review_reason, release_reason,
    release_proof_id, trail_seq, trail_hash, created_at, updated_at)
SELECT id, school_id, department_id, graduate_id, graduation_year, category_code,
    subcategory, unit_name, details, proof_ids, state, awaiting, version, review_reason, release_reason,
    release_proof_id, trail_seq, trail_hash, created_at, updated_at
FROM destinations;
DROP TABLE destinations;
ALTER TABLE destinations_v2 RENAME TO destinations;
CREATE INDEX destinations_school_state ON destinations (school_id, state, updated_at);
CREATE INDEX destinations_graduate ON destinations (graduate_id, updated_at);

-- The trail's states are those of agreements and destinations together (one table holds both);
-- the copy keeps every event and hash as it is, so every chain still verifies.
CREATE TABLE flow_events_v2 (
    record_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    record_kind TEXT NOT NULL CHECK (record_kind IN ('agreement', 'destination')),
    school_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor_account_id TEXT,
    actor_name TEXT NOT NULL,
    party TEXT NOT NULL CONSTRAINT flow_events_party_check CHECK (party IN (
        'graduate', 'employer', 'department_reviewer', 'school_admin', 'system')),
    action TEXT NOT NULL,
    from_state TEXT CONSTRAINT flow_events_from_state_check CHECK (from_state IN (
        'invited', 'withdrawn', 'rejected', 'expired', 'signed', 'dept_approved',
        'review_rejected', 'cancelled', 'amendment_pending', 'amendment_review', 'effective',
        'termination_requested', 'termination_review', 'termination_dept_approved', 'terminated',
        'draft', 'content_review', 'awaiting_feedback', 'feedback_review', 'submitted', 'approved',
        'release_requested', 'released')),
    to_state TEXT NOT NULL CONSTRAINT flow_events_to_state_check CHECK (to_state IN (
        'invited', 'withdrawn', 'rejected', 'expired', 'signed', 'dept_approved',
        'review_rejected', 'cancelled', 'amendment_pending', 'amendment_review', 'effective',
        'termination_requested', 'termination_review', 'termination_dept_approved', 'terminated',
        'draft', 'content_review', 'awaiting_feedback', 'feedback_review', 'submitted', 'approved',
        'release_requested', 'released')),
    remark TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    terms_hash TEXT,
    PRIMARY KEY (record_id, seq)
);
INSERT INTO flow_events_v2 (record_id, seq, record_kind, school_id, at, actor_account_id, actor_name, party,
    action, from_state, to_state, remark, prev_hash, hash, terms_hash)
SELECT record_id, seq, record_kind, school_id, at, actor_account_id, actor_name, party,
    action, from_state, to_state, remark, prev_hash, hash, terms_hash
FROM flow_events;
-- Dropping a table deletes its rows without firing its own DELETE trigger.
DROP TABLE flow_events;
ALTER TABLE flow_events_v2 RENAME TO flow_events;
CREATE INDEX flow_events_school ON flow_events (school_id, at);
CREATE TRIGGER flow_events_no_update BEFORE UPDATE ON flow_events
BEGIN SELECT RAISE(ABORT, 'flow_events is append-only'); END;
CREATE TRIGGER flow_events_no_delete BEFORE DELETE ON flow_events
BEGIN SELECT RAISE(ABORT, 'flow_events is append-only'); END;
