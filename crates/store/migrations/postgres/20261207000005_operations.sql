-- Running it for real (issue 8).

-- Facts about this installation: the fingerprint of the personal-data key it was written
-- under (a missing or wrong key is refused at start), and whether it holds the demo province.
CREATE TABLE system_facts (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The graduate's e-mail is encrypted like phone and ID number; the masked form is for views.
ALTER TABLE graduates ADD COLUMN email_masked TEXT;
ALTER TABLE roster_staging ADD COLUMN email_masked TEXT;

-- Each event's hash also covers the record's terms (every version) at that moment, so that
-- changing the terms or the salary in the database is found by check-trail.
ALTER TABLE flow_events ADD COLUMN terms_hash TEXT;

-- The first provincial administrator (create-admin) gets a one-time password to change.
ALTER TABLE accounts ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;

-- For the sweeps of what grows forever.
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX login_throttle_window ON login_throttle (window_start);
