-- 生源审核 (004 §4.2 note, 002 FAQ 5): a source record is reviewed before employers can find
-- it. Records that exist already were in use without a review step, so they start approved;
-- the import writes the state of every new or changed record itself.
ALTER TABLE graduates ADD COLUMN review_state TEXT NOT NULL DEFAULT 'approved' CHECK (review_state IN ('pending', 'approved', 'returned'));
-- The last decision: who (account id), when, and the reason while returned.
ALTER TABLE graduates ADD COLUMN reviewed_by TEXT;
ALTER TABLE graduates ADD COLUMN reviewed_at INTEGER;
ALTER TABLE graduates ADD COLUMN review_return_reason TEXT;
-- Reviewers' to-do counts and the list filtered by state, per school and department.
CREATE INDEX graduates_school_review ON graduates (school_id, review_state, department_id);
-- 生源审核 may be switched off per school and cohort (imported records are then approved at once).
ALTER TABLE signing_settings ADD COLUMN roster_review INTEGER NOT NULL DEFAULT 1 CHECK (roster_review IN (0, 1));
