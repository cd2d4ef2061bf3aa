-- A graduate's unfinished other-destination form (暂存, 002 §2.5.1): one per graduate, kept
-- apart from `destinations` because a draft is no registration: it takes no outcome, has no
-- trail and is seen by nobody but the graduate. Submitting it (保存并送审) registers the
-- destination and deletes the draft in the same transaction.
CREATE TABLE destination_drafts (
    graduate_id TEXT PRIMARY KEY REFERENCES graduates(id),
    school_id TEXT NOT NULL REFERENCES schools(id),
    -- The account that wrote it: a record bound again after a wrong binding does not show the
    -- next person what the previous one typed.
    account_id TEXT NOT NULL REFERENCES accounts(id),
    content TEXT NOT NULL,              -- JSON: category_code, subcategory, unit_name, details, place_region
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
