//! Virtual keys: `vk-` followed by 32 URL-safe base64 characters (192 random
//! bits). Only the SHA-256 hash and a short visible prefix are stored; the
//! token itself is shown once, when the key is created.

use super::bearer;
use sha2::{Digest, Sha256};

pub const PREFIX: &str = "vk-";
pub use bearer::RANDOM_BYTES;
/// Characters of the token kept in clear for people to recognise a key.
const VISIBLE_CHARS: usize = 10;

/// A new token from fresh random bytes.
pub fn generate(random: &[u8; RANDOM_BYTES]) -> String {
    bearer::generate(PREFIX, random)
}

/// Lower-case hex SHA-256 of the whole token: the lookup key in D1.
pub fn hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// `vk-AbCdEfG…` style prefix for listings and logs.
pub fn visible_prefix(token: &str) -> String {
    token.chars().take(VISIBLE_CHARS).collect()
}

/// Cheap shape check before any lookup, so garbage never reaches D1.
pub fn is_well_formed(token: &str) -> bool {
    bearer::is_well_formed(PREFIX, token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let a = generate(&[7u8; RANDOM_BYTES]);
        let b = generate(&[8u8; RANDOM_BYTES]);
        assert!(a.starts_with("vk-"));
        assert_eq!(a.len(), 35);
        assert!(is_well_formed(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn hash_is_sha256_hex() {
        // sha256("abc")
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hash("vk-x").len(), 64);
    }

    #[test]
    fn prefix_hides_most_of_the_token() {
        let t = generate(&[1u8; RANDOM_BYTES]);
        let p = visible_prefix(&t);
        assert_eq!(p.len(), 10);
        assert!(t.starts_with(&p));
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        assert!(!is_well_formed("vk-short"));
        assert!(!is_well_formed("sk-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
        assert!(!is_well_formed("vk-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'\""));
    }
}
