-- Every state, kind and party column accepts only the values of its domain enum
-- (`wangqian_domain::lifecycle`: AgreementState, AgreementKind, DestinationState, Party), so a
-- bug or a hand-written UPDATE cannot store a state the code cannot read. `crates/store/tests/
-- schema.rs` checks these lists against the enums and against the SQLite folder (which has to
-- rebuild the tables to add them).
ALTER TABLE agreements ADD CONSTRAINT agreements_state_check CHECK (state IN (
    'invited', 'withdrawn', 'rejected', 'expired', 'signed', 'dept_approved',
    'review_rejected', 'cancelled', 'amendment_pending', 'amendment_review', 'effective',
    'termination_requested', 'termination_review', 'termination_dept_approved', 'terminated',
    'draft', 'content_review', 'awaiting_feedback', 'feedback_review'));
ALTER TABLE agreements ADD CONSTRAINT agreements_awaiting_check CHECK (awaiting IN (
    'graduate', 'employer', 'department_reviewer', 'school_admin', 'system'));
ALTER TABLE agreements ADD CONSTRAINT agreements_termination_requested_by_check
    CHECK (termination_requested_by IN (
    'graduate', 'employer', 'department_reviewer', 'school_admin', 'system'));

ALTER TABLE destinations ADD CONSTRAINT destinations_state_check CHECK (state IN (
    'submitted', 'withdrawn', 'approved', 'rejected', 'release_requested', 'released'));
ALTER TABLE destinations ADD CONSTRAINT destinations_awaiting_check CHECK (awaiting IN (
    'graduate', 'employer', 'department_reviewer', 'school_admin', 'system'));

-- The trail's states are those of agreements and destinations together (one table holds both).
ALTER TABLE flow_events ADD CONSTRAINT flow_events_party_check CHECK (party IN (
    'graduate', 'employer', 'department_reviewer', 'school_admin', 'system'));
ALTER TABLE flow_events ADD CONSTRAINT flow_events_from_state_check CHECK (from_state IN (
    'invited', 'withdrawn', 'rejected', 'expired', 'signed', 'dept_approved',
    'review_rejected', 'cancelled', 'amendment_pending', 'amendment_review', 'effective',
    'termination_requested', 'termination_review', 'termination_dept_approved', 'terminated',
    'draft', 'content_review', 'awaiting_feedback', 'feedback_review', 'submitted', 'approved',
    'release_requested', 'released'));
ALTER TABLE flow_events ADD CONSTRAINT flow_events_to_state_check CHECK (to_state IN (
    'invited', 'withdrawn', 'rejected', 'expired', 'signed', 'dept_approved',
    'review_rejected', 'cancelled', 'amendment_pending', 'amendment_review', 'effective',
    'termination_requested', 'termination_review', 'termination_dept_approved', 'terminated',
    'draft', 'content_review', 'awaiting_feedback', 'feedback_review', 'submitted', 'approved',
    'release_requested', 'released'));
