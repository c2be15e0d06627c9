//! The shape shared by every secret the gateway mints — virtual keys
//! (`vk-`), workspace admin tokens (`wt-`), console sessions (`cs-`): a
//! prefix and 192 random bits as 32 URL-safe base64 characters. Only the
//! SHA-256 of a token is ever stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Random bytes in a new token.
pub const RANDOM_BYTES: usize = 24;
const ENCODED_CHARS: usize = 32;

/// A new token from fresh random bytes.
pub fn generate(prefix: &str, random: &[u8; RANDOM_BYTES]) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random))
}

/// Cheap shape check before any lookup, so garbage never reaches D1.
pub fn is_well_formed(prefix: &str, token: &str) -> bool {
    token.len() == prefix.len() + ENCODED_CHARS
        && token.starts_with(prefix)
        && token[prefix.len()..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_their_prefix_and_192_bits() {
        let t = generate("wt-", &[9u8; RANDOM_BYTES]);
        assert_eq!(t.len(), 35);
        assert!(is_well_formed("wt-", &t));
        assert!(!is_well_formed("vk-", &t));
        assert!(!is_well_formed("wt-", &t[..34]));
        assert!(!is_well_formed("wt-", &format!("{}'", &t[..34])));
    }
}
