-- 鉴证 (seed 002 §2.1.3, 请填写信息): the normalised 单位性质, 单位行业, 单位所在地 (county code) and
-- 单位地址 the reviewer fills in for statistics and the destination export, with who and when.
-- Empty until filled: readers fall back to the company's own registration.
ALTER TABLE agreements ADD COLUMN attest_unit_nature_code TEXT;
ALTER TABLE agreements ADD COLUMN attest_industry_code TEXT;
ALTER TABLE agreements ADD COLUMN attest_county_code TEXT;
ALTER TABLE agreements ADD COLUMN attest_address TEXT;
ALTER TABLE agreements ADD COLUMN attest_by TEXT;
ALTER TABLE agreements ADD COLUMN attest_at BIGINT;
