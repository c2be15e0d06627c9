//! Console sessions: the cookie a browser holds after logging in, what the
//! session stands for, and its CSRF token. The session token itself lives
//! only in the `HttpOnly` cookie; D1 keeps its hash.

use super::bearer;
use super::virtual_key::sha256_hex;

pub const PREFIX: &str = "cs-";
pub const COOKIE: &str = "alephant_session";
/// How long a session lasts from login (12 hours), whatever happens.
pub const TTL_MS: u64 = 12 * 3600 * 1000;
/// The header state-changing calls carry.
pub const CSRF_HEADER: &str = "x-csrf-token";

pub fn generate(random: &[u8; bearer::RANDOM_BYTES]) -> String {
    bearer::generate(PREFIX, random)
}

/// The stored key of a session: the SHA-256 of its token.
pub fn id_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// The session's CSRF token: derived from the session token (so nothing
/// more is stored) under a label of its own (so it is never the stored
/// hash), and useless without the cookie it belongs to.
pub fn csrf_token(session_token: &str) -> String {
    let mut input = b"alephant-csrf\0".to_vec();
    input.extend_from_slice(session_token.as_bytes());
    sha256_hex(&input)[..48].to_string()
}

/// The session token in a `Cookie` header, if it has a well-formed one.
pub fn from_cookie_header(cookie: Option<&str>) -> Option<&str> {
    cookie?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|v| bearer::is_well_formed(PREFIX, v))
}

/// `Set-Cookie` for a new session: never readable by scripts, sent only
/// over HTTPS (browsers treat localhost as secure) and only to this site.
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}", TTL_MS / 1000)
}

pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// What a session stands for; re-checked on every call, so revoking the
/// token, removing the member or rotating the master key ends its sessions
/// at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The master key, by a fingerprint of it (`master_fingerprint`).
    Master(String),
    Token(String),
    Member(String),
}

/// Names one master key without holding it: 64 bits of its SHA-256.
pub fn master_fingerprint(master: &str) -> String {
    sha256_hex(master.as_bytes())[..16].to_string()
}

impl Subject {
    pub fn parse(s: &str) -> Option<Subject> {
        match s.split_once(':') {
            Some(("master", fp)) if !fp.is_empty() => Some(Subject::Master(fp.to_string())),
            Some(("token", id)) if !id.is_empty() => Some(Subject::Token(id.to_string())),
            Some(("member", email)) if !email.is_empty() => Some(Subject::Member(email.to_string())),
            _ => None,
        }
    }

    pub fn encode(&self) -> String {
        match self {
            Subject::Master(fp) => format!("master:{fp}"),
            Subject::Token(id) => format!("token:{id}"),
            Subject::Member(email) => format!("member:{email}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others_and_malformed_ones_are_ignored() {
        let t = generate(&[3u8; bearer::RANDOM_BYTES]);
        let header = format!("theme=dark; {COOKIE}={t}; other=1");
        assert_eq!(from_cookie_header(Some(&header)), Some(t.as_str()));
        assert_eq!(from_cookie_header(Some("alephant_session=cs-short")), None);
        assert_eq!(from_cookie_header(Some("x_alephant_session=1")), None);
        assert_eq!(from_cookie_header(None), None);
    }

    #[test]
    fn the_cookie_is_http_only_secure_and_strict() {
        let c = set_cookie("cs-x");
        for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
            assert!(c.contains(attr), "{c}");
        }
        assert!(clear_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn csrf_is_bound_to_the_session_and_is_not_its_stored_hash() {
        let a = generate(&[1u8; bearer::RANDOM_BYTES]);
        let b = generate(&[2u8; bearer::RANDOM_BYTES]);
        assert_ne!(csrf_token(&a), csrf_token(&b));
        assert_eq!(csrf_token(&a), csrf_token(&a));
        assert!(!id_hash(&a).starts_with(&csrf_token(&a)));
    }

    #[test]
    fn subjects_round_trip() {
        for s in [Subject::Master(master_fingerprint("m")), Subject::Token("wt_1".into()), Subject::Member("a@b.co".into())] {
            assert_eq!(Subject::parse(&s.encode()), Some(s));
        }
        assert_eq!(Subject::parse("token:"), None);
        assert_eq!(Subject::parse("key:vk_1"), None);
        assert_eq!(Subject::parse("master"), None);
    }
}
