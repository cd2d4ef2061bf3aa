-- Employer members (issue 10): a company always has exactly one active manager. The service
-- hands the role over in one transaction (old manager first, then the new one); this index makes
-- two racing hand-overs or approvals fail instead of leaving two managers. A "become manager"
-- request waits as employer_role = 'manager' with status 'pending_manager', so it is not counted.
CREATE UNIQUE INDEX accounts_one_employer_manager ON accounts (employer_id)
    WHERE employer_role = 'manager' AND status = 'active';

-- 基本资料 the employer keeps itself (seed 004 §3): the contact person and the introduction.
ALTER TABLE employers ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE employers ADD COLUMN introduction TEXT NOT NULL DEFAULT '';
