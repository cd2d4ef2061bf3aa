-- One index per list's filter and order, so that a page reads the rows it shows instead of
-- sorting a whole school (issue 9). Each ends with the list's sort key and the id that breaks
-- ties, which is also what the keyset cursor ("next page") compares.

-- 签约管理: a school, a department, an employer or the province, newest change first.
CREATE INDEX agreements_school_updated ON agreements (school_id, updated_at, id);
CREATE INDEX agreements_department_updated ON agreements (department_id, updated_at, id);
CREATE INDEX agreements_employer_updated ON agreements (employer_id, updated_at, id);
CREATE INDEX agreements_updated ON agreements (updated_at, id);
-- 打印管理: numbered agreements, latest effective first.
CREATE INDEX agreements_school_numbered ON agreements (school_id, effective_at, id) WHERE number IS NOT NULL;
CREATE INDEX agreements_department_numbered ON agreements (department_id, effective_at, id) WHERE number IS NOT NULL;

-- 生源信息: by student number within a school (the unique (school_id, student_no) serves the
-- unfiltered list), a cohort or a department.
CREATE INDEX graduates_school_year_no ON graduates (school_id, graduation_year, student_no);
CREATE INDEX graduates_department_no ON graduates (department_id, student_no);

-- 毕业去向: newest change first.
CREATE INDEX destinations_school_updated ON destinations (school_id, updated_at, id);
CREATE INDEX destinations_department_updated ON destinations (department_id, updated_at, id);

-- 消息: newest first, all or unread only (replaces the index without the tie-breaking id).
DROP INDEX messages_recipient;
CREATE INDEX messages_recipient ON messages (recipient_kind, recipient_id, created_at, id);
CREATE INDEX messages_recipient_unread ON messages (recipient_kind, recipient_id, created_at, id) WHERE read_at IS NULL;

-- 签约发送列表: newest addition first.
CREATE INDEX send_list_employer_added ON send_list (employer_id, added_at, graduate_id);

-- 单位审核: the province's queue by status, oldest application first.
DROP INDEX employers_status;
CREATE INDEX employers_status ON employers (status, created_at, id);


-- A school's import jobs, newest first.
CREATE INDEX jobs_school_kind ON jobs (school_id, kind, created_at);
