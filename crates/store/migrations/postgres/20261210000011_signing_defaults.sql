-- 签约信息确认 (002 §2.1.1): the company's signing defaults, confirmed once by a member and the
-- starting point of every invitation form. One row per employer; no row means "not confirmed
-- yet", which the home page asks for. Typed columns rather than JSON so the choices are checked
-- here too.
CREATE TABLE employer_signing_defaults (
    employer_id TEXT PRIMARY KEY REFERENCES employers(id),
    unit_nature_code TEXT NOT NULL,
    location TEXT NOT NULL,
    archive_mode TEXT NOT NULL CHECK (archive_mode IN ('forward_to_employer', 'forward_to_talent_centre', 'keep_at_school', 'return_to_origin', 'not_received')),
    archive_unit_name TEXT NOT NULL DEFAULT '',
    archive_address TEXT NOT NULL DEFAULT '',
    archive_postcode TEXT NOT NULL DEFAULT '',
    archive_contact_name TEXT NOT NULL DEFAULT '',
    archive_contact_phone TEXT NOT NULL DEFAULT '',
    household_kind TEXT NOT NULL CHECK (household_kind IN ('move_to_employer_city', 'return_to_origin', 'not_moved')),
    household_address TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
