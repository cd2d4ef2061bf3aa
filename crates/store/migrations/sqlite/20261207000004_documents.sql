-- The agreement document (SPEC §9): signature and seal images, agreement templates per school
-- and cohort, the content hashes that QR tokens carry, print records and self-service print codes.

-- Signature and seal images are uploads too, checked by their bytes and served by their owner's rule.
CREATE TABLE uploads_v3 (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('authorisation_letter', 'licence', 'roster',
        'termination_proof', 'signed_agreement', 'destination_proof', 'release_proof',
        'graduate_signature', 'employer_signature', 'employer_seal')),
    content_type TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    original_name TEXT NOT NULL,
    uploaded_by TEXT,
    school_id TEXT,
    created_at INTEGER NOT NULL
);
INSERT INTO uploads_v3 SELECT id, kind, content_type, byte_size, sha256, storage_key, original_name, uploaded_by, school_id, created_at FROM uploads;
DROP TABLE uploads;
ALTER TABLE uploads_v3 RENAME TO uploads;
-- One image each; replacing it changes every agreement rendered afterwards (seed 000).
ALTER TABLE graduates ADD COLUMN signature_upload_id TEXT;
ALTER TABLE employers ADD COLUMN signature_upload_id TEXT;
ALTER TABLE employers ADD COLUMN seal_upload_id TEXT;

-- The school's contact person printed in the agreement's school block (seed 000 sample).
ALTER TABLE schools ADD COLUMN contact_person TEXT NOT NULL DEFAULT '';

-- Copies per printed agreement (1–3), a school setting per cohort.
ALTER TABLE signing_settings ADD COLUMN agreement_copies INTEGER NOT NULL DEFAULT 3;

-- Templates uploaded by a school (scope = its id) or the province (scope = 'province'), per
-- cohort and kind; absent = the built-in template. Accepted only after rendering a sample.
CREATE TABLE document_templates (
    scope TEXT NOT NULL,
    graduation_year INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('online', 'paper', 'termination')),
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (scope, graduation_year, kind)
);

-- Every distinct content ever rendered for an agreement: a QR token is genuine only if its
-- content hash is here (the token's signature alone proves the platform issued it).
CREATE TABLE agreement_documents (
    agreement_id TEXT NOT NULL REFERENCES agreements(id),
    content_hash TEXT NOT NULL,
    school_id TEXT NOT NULL,
    terms_version INTEGER NOT NULL,
    template_kind TEXT NOT NULL,
    first_rendered_at INTEGER NOT NULL,
    PRIMARY KEY (agreement_id, content_hash)
);

-- Each download or self-service print (打印管理 counts them).
CREATE TABLE print_records (
    id TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL REFERENCES agreements(id),
    school_id TEXT NOT NULL,
    account_id TEXT,
    party TEXT NOT NULL,
    via TEXT NOT NULL CHECK (via IN ('download', 'self_service')),
    content_hash TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX print_records_agreement ON print_records (agreement_id, at);

-- The summary the print list shows, kept in the same transaction as each record.
CREATE TABLE agreement_print_stats (
    agreement_id TEXT PRIMARY KEY REFERENCES agreements(id),
    school_id TEXT NOT NULL,
    print_count INTEGER NOT NULL,
    last_printed_at INTEGER NOT NULL
);

-- Self-service printing (seed 003): a PC shows the code, the graduate confirms it on the phone,
-- the PC fetches the PDF once. The PC proves itself with a secret kept only as a hash.
CREATE TABLE print_codes (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    agreement_id TEXT REFERENCES agreements(id),
    school_id TEXT,
    confirmed_by TEXT,
    confirmed_at INTEGER,
    used_at INTEGER
);
CREATE INDEX print_codes_expires ON print_codes (expires_at);
