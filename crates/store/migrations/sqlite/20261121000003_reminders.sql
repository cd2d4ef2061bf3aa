-- When the graduate was reminded that an invitation is about to expire (once per deadline).
ALTER TABLE agreements ADD COLUMN reminded_at INTEGER;
