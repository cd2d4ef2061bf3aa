-- 单位信息维护 (seed 004 §3): the company's logo, an upload kept through the blob store like
-- its certificates; empty until the manager sends one.
ALTER TABLE uploads DROP CONSTRAINT uploads_kind_check;
ALTER TABLE uploads ADD CONSTRAINT uploads_kind_check CHECK (kind IN ('authorisation_letter', 'licence', 'roster',
    'termination_proof', 'signed_agreement', 'destination_proof', 'release_proof',
    'graduate_signature', 'employer_signature', 'employer_seal', 'employer_logo'));
ALTER TABLE employers ADD COLUMN logo_upload_id TEXT;
