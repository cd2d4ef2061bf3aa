-- 生源信息确认 and 纠错 (seed 003 §2, SPEC §4). The graduate confirms the unlocked fields; 生源所在地
-- keeps its readable name in origin_location and now its county code beside it (empty for
-- records imported before). SQLite changes the uploads kind CHECK by rebuilding the table.
ALTER TABLE graduates ADD COLUMN origin_location_code TEXT;
ALTER TABLE graduates ADD COLUMN source_confirmed_at INTEGER;
CREATE TABLE uploads_v5 (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('authorisation_letter', 'licence', 'roster',
        'termination_proof', 'signed_agreement', 'destination_proof', 'release_proof',
        'graduate_signature', 'employer_signature', 'employer_seal', 'employer_logo',
        'correction_proof')),
    content_type TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    original_name TEXT NOT NULL,
    uploaded_by TEXT,
    school_id TEXT,
    created_at INTEGER NOT NULL
);
INSERT INTO uploads_v5 SELECT id, kind, content_type, byte_size, sha256, storage_key, original_name, uploaded_by, school_id, created_at FROM uploads;
DROP TABLE uploads;
ALTER TABLE uploads_v5 RENAME TO uploads;
-- A correction request of locked fields: `changes` is the JSON list [{field, from, to}] as
-- asked; the record's department decides it (the scope is read from the graduate's row).
CREATE TABLE record_corrections (
    id TEXT PRIMARY KEY,
    graduate_id TEXT NOT NULL REFERENCES graduates(id),
    school_id TEXT NOT NULL REFERENCES schools(id),
    changes TEXT NOT NULL,
    reason TEXT NOT NULL,
    proof_upload_id TEXT,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
    requested_by TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    decided_by TEXT,
    decided_at INTEGER,
    decision_reason TEXT
);
-- One open request per graduate, whatever the application does.
CREATE UNIQUE INDEX record_corrections_one_open ON record_corrections (graduate_id) WHERE state = 'pending';
CREATE INDEX record_corrections_school ON record_corrections (school_id, state, requested_at);
CREATE INDEX record_corrections_graduate ON record_corrections (graduate_id, requested_at);
CREATE INDEX record_corrections_proof ON record_corrections (proof_upload_id) WHERE proof_upload_id IS NOT NULL;
