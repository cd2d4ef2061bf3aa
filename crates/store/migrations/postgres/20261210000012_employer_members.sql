-- Employer members (issue 10): a company always has exactly one active manager. The service
-- hands the role over in one transaction (old manager first, then the new one); this index makes
-- two racing hand-overs or approvals fail instead of leaving two managers. A "become manager"
-- request waits as employer_role = 'manager' with status 'pending_manager', so it is not counted.
CREATE UNIQUE INDEX accounts_one_employer_manager ON accounts (employer_id)
    WHERE employer_role = 'manager' AND status = 'active';

-- 基本资料 the employer keeps itself (seed 004 §3): the contact person and the introduction.
ALTER TABLE employers ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE employers ADD COLUMN introduction TEXT NOT NULL DEFAULT '';

-- 认证信息 changes wait here for the platform: the employers row keeps the verified name, code,
-- nature and licence (and the company keeps signing under them) until a change is approved.
CREATE TABLE employer_certification_changes (
    id TEXT PRIMARY KEY,
    employer_id TEXT NOT NULL REFERENCES employers(id),
    name TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    unit_nature_code TEXT NOT NULL,
    licence_upload_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_by TEXT NOT NULL REFERENCES accounts(id),
    decision_reason TEXT,
    decided_by TEXT,
    decided_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One pending change per company: a second request waits for the first decision.
CREATE UNIQUE INDEX employer_certification_changes_one_pending
    ON employer_certification_changes (employer_id) WHERE status = 'pending';
