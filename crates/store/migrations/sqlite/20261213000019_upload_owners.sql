-- Downloading a file asks for the record it belongs to (policy::download_upload): one probe
-- per kind, so these columns get indexes of their own (only rows that hold a file).
CREATE INDEX agreements_termination_proof ON agreements (termination_proof_id) WHERE termination_proof_id IS NOT NULL;
CREATE INDEX agreements_signed_scan ON agreements (signed_scan_id) WHERE signed_scan_id IS NOT NULL;
CREATE INDEX destinations_release_proof ON destinations (release_proof_id) WHERE release_proof_id IS NOT NULL;
CREATE INDEX graduates_signature_upload ON graduates (signature_upload_id) WHERE signature_upload_id IS NOT NULL;
