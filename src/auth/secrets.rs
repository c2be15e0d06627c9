//! Provider keys at rest: AES-256-GCM with a key from the
//! `PROVIDER_KEY_ENCRYPTION_KEY` secret, the row id as associated data (a
//! ciphertext copied to another row does not decrypt), and a fresh 96-bit
//! nonce per encryption. Stored as `v1.<base64(nonce ‖ ciphertext ‖ tag)>`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

pub const NONCE_BYTES: usize = 12;
const VERSION: &str = "v1.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretError {
    /// The configured encryption secret is unusable.
    WeakKey,
    /// Wrong key, wrong row, or a tampered value.
    Undecryptable,
}

pub struct EncryptionKey(Aes256Gcm);

impl EncryptionKey {
    /// Accepts 32 bytes in base64 (`openssl rand -base64 32`), or any other
    /// secret of at least 32 characters, which is stretched with SHA-256.
    pub fn from_secret(secret: &str) -> Result<Self, SecretError> {
        let secret = secret.trim();
        let bytes: [u8; 32] = match STANDARD.decode(secret) {
            Ok(raw) if raw.len() == 32 => {
                let mut k = [0u8; 32];
                k.copy_from_slice(&raw);
                k
            }
            _ if secret.len() >= 32 => Sha256::digest(secret.as_bytes()).into(),
            _ => return Err(SecretError::WeakKey),
        };
        Aes256Gcm::new_from_slice(&bytes).map(EncryptionKey).map_err(|_| SecretError::WeakKey)
    }

    pub fn encrypt(&self, nonce: &[u8; NONCE_BYTES], plaintext: &str, row_id: &str) -> Result<String, SecretError> {
        let sealed = self
            .0
            .encrypt(Nonce::from_slice(nonce), Payload { msg: plaintext.as_bytes(), aad: row_id.as_bytes() })
            .map_err(|_| SecretError::Undecryptable)?;
        let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
        out.extend_from_slice(nonce);
        out.extend_from_slice(&sealed);
        Ok(format!("{VERSION}{}", STANDARD.encode(out)))
    }

    pub fn decrypt(&self, stored: &str, row_id: &str) -> Result<String, SecretError> {
        let b64 = stored.strip_prefix(VERSION).ok_or(SecretError::Undecryptable)?;
        let raw = STANDARD.decode(b64).map_err(|_| SecretError::Undecryptable)?;
        if raw.len() <= NONCE_BYTES {
            return Err(SecretError::Undecryptable);
        }
        let (nonce, sealed) = raw.split_at(NONCE_BYTES);
        let plain = self
            .0
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: row_id.as_bytes() })
            .map_err(|_| SecretError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| SecretError::Undecryptable)
    }
}

/// The shortest master key the admin API serves with: a shorter one could
/// be guessed.
pub const MIN_MASTER_KEY_CHARS: usize = 32;

/// Why a master key is not fit to guard the admin API, if it is not.
pub fn master_key_problem(master: &str) -> Option<String> {
    (master.chars().count() < MIN_MASTER_KEY_CHARS).then(|| {
        format!(
            "The admin API is disabled: the MASTER_KEY secret is shorter than {MIN_MASTER_KEY_CHARS} characters, \
             which could be guessed. Set a longer one (e.g. openssl rand -hex 32)."
        )
    })
}

/// Compares two secrets without leaking where they differ: both sides are
/// hashed first, so the comparison time depends on neither length nor content.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let (ha, hb) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    ha.iter().zip(hb.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Last characters of a provider key, for people to tell keys apart.
pub fn hint(secret: &str) -> String {
    let tail: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_master_keys_are_refused_with_a_reason() {
        assert!(master_key_problem(&"k".repeat(31)).unwrap().contains("32 characters"));
        assert_eq!(master_key_problem(&"k".repeat(32)), None);
    }

    fn key() -> EncryptionKey {
        EncryptionKey::from_secret("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=").unwrap()
    }

    #[test]
    fn round_trip() {
        let k = key();
        let sealed = k.encrypt(&[3u8; 12], "sk-live-secret", "pk_1").unwrap();
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("sk-live"));
        assert_eq!(k.decrypt(&sealed, "pk_1").unwrap(), "sk-live-secret");
    }

    #[test]
    fn bound_to_its_row() {
        let k = key();
        let sealed = k.encrypt(&[3u8; 12], "sk-live-secret", "pk_1").unwrap();
        assert_eq!(k.decrypt(&sealed, "pk_2"), Err(SecretError::Undecryptable));
    }

    #[test]
    fn wrong_key_or_tampering_fails() {
        let sealed = key().encrypt(&[3u8; 12], "sk", "pk_1").unwrap();
        let other = EncryptionKey::from_secret("a different secret that is long enough!!").unwrap();
        assert_eq!(other.decrypt(&sealed, "pk_1"), Err(SecretError::Undecryptable));
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(key().decrypt(&tampered, "pk_1"), Err(SecretError::Undecryptable));
        assert_eq!(key().decrypt("garbage", "pk_1"), Err(SecretError::Undecryptable));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(matches!(EncryptionKey::from_secret("short"), Err(SecretError::WeakKey)));
    }

    #[test]
    fn secret_comparison() {
        assert!(secrets_equal("master", "master"));
        assert!(!secrets_equal("master", "master2"));
        assert!(!secrets_equal("", "x"));
    }

    #[test]
    fn hint_shows_only_the_tail() {
        assert_eq!(hint("sk-abcdefgh1234"), "…1234");
        assert_eq!(hint("ab"), "…ab");
    }
}
