-- 单位信息维护 (seed 004 §3): the company's logo, an upload kept through the blob store like
-- its certificates; empty until the manager sends one. SQLite changes a CHECK by rebuilding.
CREATE TABLE uploads_v4 (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('authorisation_letter', 'licence', 'roster',
        'termination_proof', 'signed_agreement', 'destination_proof', 'release_proof',
        'graduate_signature', 'employer_signature', 'employer_seal', 'employer_logo')),
    content_type TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    original_name TEXT NOT NULL,
    uploaded_by TEXT,
    school_id TEXT,
    created_at INTEGER NOT NULL
);
INSERT INTO uploads_v4 SELECT id, kind, content_type, byte_size, sha256, storage_key, original_name, uploaded_by, school_id, created_at FROM uploads;
DROP TABLE uploads;
ALTER TABLE uploads_v4 RENAME TO uploads;
ALTER TABLE employers ADD COLUMN logo_upload_id TEXT;
