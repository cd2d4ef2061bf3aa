//! Personal data at rest: XChaCha20-Poly1305 ciphertext plus an HMAC-SHA256 keyed hash for
//! exact-match search. Both subkeys derive from one 32-byte master key kept outside the database.

use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::sync::Arc;

type HmacSha256 = Hmac<Sha256>;

/// The first bytes of an encrypted upload.
const FILE_MAGIC: &[u8] = b"WQF1";

/// Which column a value belongs to; bound into the ciphertext as associated data so that a
/// value cannot be moved to another column unnoticed.
#[derive(Debug, Clone, Copy)]
pub enum PiiField {
    IdNumber,
    Mobile,
    HomeAddress,
    AccountPhone,
    Email,
    MailingAddress,
}

impl PiiField {
    fn label(self) -> &'static [u8] {
        match self {
            PiiField::IdNumber => b"id_number",
            PiiField::Mobile => b"mobile",
            PiiField::HomeAddress => b"home_address",
            PiiField::AccountPhone => b"account_phone",
            PiiField::Email => b"email",
            PiiField::MailingAddress => b"mailing_address",
        }
    }
}

#[derive(Clone)]
pub struct Pii {
    inner: Arc<Keys>,
}

struct Keys {
    cipher: XChaCha20Poly1305,
    /// Uploaded files: a key of their own, so that file and column ciphertexts never mix.
    files: XChaCha20Poly1305,
    fingerprint: String,
    mac_key: [u8; 32],
    trail_key: [u8; 32],
}

impl std::fmt::Debug for Pii {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pii(<keys hidden>)")
    }
}

fn derive(master: &[u8; 32], purpose: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(purpose);
    mac.finalize().into_bytes().into()
}

impl Pii {
    pub fn new(master: [u8; 32]) -> Pii {
        let enc = derive(&master, b"wangqian pii encryption v1");
        let mac_key = derive(&master, b"wangqian pii search hash v1");
        let trail_key = derive(&master, b"wangqian flow trail v1");
        let files = derive(&master, b"wangqian upload files v1");
        let fingerprint = hex::encode(&derive(&master, b"wangqian key fingerprint v1")[..16]);
        Pii {
            inner: Arc::new(Keys {
                cipher: XChaCha20Poly1305::new(&enc.into()),
                files: XChaCha20Poly1305::new(&files.into()),
                fingerprint,
                mac_key,
                trail_key,
            }),
        }
    }

    /// Parses a key given as 64 hex characters (the key file's content).
    pub fn from_hex(hex_key: &str) -> anyhow::Result<Pii> {
        let bytes = hex::decode(hex_key.trim())?;
        let master: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("the PII key must be 32 bytes (64 hex characters)"))?;
        Ok(Pii::new(master))
    }

    pub fn generate_hex() -> String {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        hex::encode(k)
    }

    pub fn encrypt(&self, field: PiiField, plaintext: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .inner
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: field.label(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(24 + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        format!("v1:{}", B64.encode(out))
    }

    pub fn decrypt(&self, field: PiiField, stored: &str) -> anyhow::Result<String> {
        let body = stored
            .strip_prefix("v1:")
            .ok_or_else(|| anyhow::anyhow!("unknown ciphertext version"))?;
        let raw = B64.decode(body)?;
        if raw.len() < 24 {
            anyhow::bail!("ciphertext too short");
        }
        let (nonce, ct) = raw.split_at(24);
        let pt = self
            .inner
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: field.label(),
                },
            )
            .map_err(|_| anyhow::anyhow!("ciphertext does not authenticate (wrong key?)"))?;
        Ok(String::from_utf8(pt)?)
    }

    /// Identifies the key without revealing it (a one-way derivation): stored in the database
    /// so that a server started with another key refuses instead of writing under it.
    pub fn fingerprint(&self) -> &str {
        &self.inner.fingerprint
    }

    /// An uploaded file's bytes at rest: magic, nonce, ciphertext bound to the storage key.
    pub fn seal_file(&self, storage_key: &str, bytes: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .inner
            .files
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: bytes,
                    aad: storage_key.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(FILE_MAGIC.len() + 24 + ct.len());
        out.extend_from_slice(FILE_MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// The bytes of a file written by [`Pii::seal_file`]; files stored before encryption
    /// (no magic) are returned as they are.
    pub fn open_file(&self, storage_key: &str, stored: Vec<u8>) -> anyhow::Result<Vec<u8>> {
        let Some(body) = stored.strip_prefix(FILE_MAGIC) else {
            return Ok(stored);
        };
        if body.len() < 24 {
            anyhow::bail!("encrypted file too short");
        }
        let (nonce, ct) = body.split_at(24);
        self.inner
            .files
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: storage_key.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("file does not authenticate (wrong key or altered)"))
    }

    /// Deterministic keyed hash of a normalised value, for `WHERE x_hash = $1` look-ups.
    /// The keyed hash (HMAC-SHA256, hex) that chains flow-trail events: without the key, held
    /// outside the database, nobody can write a trail that the check accepts.
    pub fn trail_mac(&self, data: &[u8]) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.inner.trail_key)
            .expect("HMAC takes any key length");
        mac.update(data);
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn search_hash(&self, field: PiiField, normalised: &str) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.inner.mac_key)
            .expect("HMAC takes any key length");
        mac.update(field.label());
        mac.update(b"\0");
        mac.update(normalised.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ciphertext_round_trips_and_hides_the_value() {
        let pii = Pii::from_hex(&Pii::generate_hex()).unwrap();
        let ct = pii.encrypt(PiiField::IdNumber, "11010519491231002X");
        assert!(!ct.contains("11010519491231002X"));
        assert_eq!(
            pii.decrypt(PiiField::IdNumber, &ct).unwrap(),
            "11010519491231002X"
        );
        // Bound to its column: decrypting as another field fails.
        assert!(pii.decrypt(PiiField::Mobile, &ct).is_err());
        // Random nonce: the same value encrypts differently each time.
        assert_ne!(ct, pii.encrypt(PiiField::IdNumber, "11010519491231002X"));
    }

    #[test]
    fn search_hash_is_stable_per_key_and_differs_across_keys() {
        let a = Pii::from_hex(&Pii::generate_hex()).unwrap();
        let b = Pii::from_hex(&Pii::generate_hex()).unwrap();
        let h = a.search_hash(PiiField::IdNumber, "11010519491231002X");
        assert_eq!(h, a.search_hash(PiiField::IdNumber, "11010519491231002X"));
        assert_ne!(h, b.search_hash(PiiField::IdNumber, "11010519491231002X"));
        assert_ne!(h, a.search_hash(PiiField::Mobile, "11010519491231002X"));
    }

    #[test]
    fn files_round_trip_bound_to_their_key_and_fingerprints_differ_per_key() {
        let pii = Pii::from_hex(&Pii::generate_hex()).unwrap();
        let sealed = pii.seal_file("licence/ab/x", b"%PDF-1.7 scan of 11010519491231002X");
        assert!(!sealed.windows(18).any(|w| w == b"11010519491231002X"));
        assert_eq!(
            pii.open_file("licence/ab/x", sealed.clone()).unwrap(),
            b"%PDF-1.7 scan of 11010519491231002X"
        );
        assert!(pii.open_file("licence/ab/y", sealed).is_err());
        let other = Pii::from_hex(&Pii::generate_hex()).unwrap();
        assert_ne!(pii.fingerprint(), other.fingerprint());
        assert_eq!(pii.fingerprint().len(), 32);
    }

    #[test]
    fn a_wrong_key_length_is_refused() {
        assert!(Pii::from_hex("abcd").is_err());
    }
}
