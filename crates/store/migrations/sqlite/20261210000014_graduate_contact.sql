-- 首次登录确认联系方式 (issue 10, seed 002 §2.1.2): a graduate confirms phone, e-mail and a
-- mailing address once after binding; the address is ciphertext like the home address.
ALTER TABLE graduates ADD COLUMN mailing_address_enc TEXT;
ALTER TABLE graduates ADD COLUMN contact_confirmed_at INTEGER;
