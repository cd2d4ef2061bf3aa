-- Why the school suspended the graduate's online signing: employers read it when they find or
-- invite the graduate, the graduate on the home page. NULL while unlocked (and on locks made
-- before reasons were kept).
ALTER TABLE graduates ADD COLUMN signing_lock_reason TEXT;
