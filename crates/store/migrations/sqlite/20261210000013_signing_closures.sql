-- 签约开放列表 (issue 10): a school closes online signing for a department or a major, with the
-- reason employers are told; NULL = open (within the school's signing window).
ALTER TABLE departments ADD COLUMN signing_closed_reason TEXT;
ALTER TABLE majors ADD COLUMN signing_closed_reason TEXT;
