-- 院校管理 (issue 10): the school's postcode completes the contact block printed on agreements;
-- a disabled school is no longer offered for binding and gets no new administrators.
ALTER TABLE schools ADD COLUMN postcode TEXT NOT NULL DEFAULT '';
ALTER TABLE schools ADD COLUMN disabled_at BIGINT;
