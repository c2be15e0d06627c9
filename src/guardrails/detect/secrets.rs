//! Credentials by their published shapes: provider API keys, cloud access
//! key ids, source-host and chat tokens, JWTs and PEM private keys.

use super::is_word;

fn is_token(b: u8) -> bool {
    is_word(b) || b == b'-'
}

/// Length of the run of token bytes from `i`.
fn token_len(t: &[u8], i: usize) -> usize {
    t[i..].iter().take_while(|&&b| is_token(b)).count()
}

/// `(prefix, least bytes after it)` of tokens that are secrets by shape.
const PREFIXED: &[(&[u8], usize)] = &[
    (b"sk-ant-", 20),    // Anthropic
    (b"sk-", 20),        // OpenAI (sk-proj-…, sk-svcacct-…) and OpenAI-style keys
    (b"sk_live_", 20),   // Stripe
    (b"rk_live_", 20),   // Stripe restricted
    (b"ghp_", 30),       // GitHub personal
    (b"gho_", 30),       // GitHub OAuth
    (b"ghu_", 30),       // GitHub user-to-server
    (b"ghs_", 30),       // GitHub server-to-server
    (b"ghr_", 30),       // GitHub refresh
    (b"github_pat_", 40), // GitHub fine-grained
    (b"glpat-", 20),     // GitLab
    (b"xoxb-", 10),      // Slack bot
    (b"xoxp-", 10),      // Slack user
    (b"xoxa-", 10),
    (b"xoxr-", 10),
    (b"xoxs-", 10),
    (b"AIza", 35),       // Google API key
];

/// AWS access key ids: `AKIA`/`ASIA` and 16 upper-case letters or digits.
fn aws_key(tok: &[u8]) -> bool {
    tok.len() == 20 && (tok.starts_with(b"AKIA") || tok.starts_with(b"ASIA")) && tok[4..].iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `eyJ…` header `.` `eyJ…` payload `.` signature (base64url). Returns the end.
fn jwt(t: &[u8], i: usize) -> Option<usize> {
    let seg = |at: usize| t[at..].iter().take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-').count();
    let h = seg(i);
    if h < 10 || t.get(i + h) != Some(&b'.') || !t[i + h + 1..].starts_with(b"eyJ") {
        return None;
    }
    let p_at = i + h + 1;
    let p = seg(p_at);
    if p < 10 || t.get(p_at + p) != Some(&b'.') {
        return None;
    }
    let s_at = p_at + p + 1;
    Some(s_at + seg(s_at))
}

/// `-----BEGIN … PRIVATE KEY-----` to its END line (or the end of the text
/// when the block is cut off: half a key is still a secret).
fn pem(t: &[u8], i: usize) -> Option<usize> {
    let line_end = t[i..].iter().take(80).position(|&b| b == b'\n').map_or((t.len() - i).min(80), |p| p);
    let header = &t[i..i + line_end];
    if !header.windows(16).any(|w| w == b"PRIVATE KEY-----") {
        return None;
    }
    let rest = &t[i + line_end..];
    let Some(p) = rest.windows(9).position(|w| w == b"-----END ") else { return Some(t.len()) };
    let after = i + line_end + p + 9;
    let close = t[after..].windows(5).position(|w| w == b"-----").map_or(t.len(), |q| after + q + 5);
    Some(close)
}

/// Whether a byte is where a secret's shape can be recognised: every
/// prefix holds one (`sk-`, `ghp_`, `AKIA`, `eyJ`, `-----BEGIN`).
pub fn is_trigger(b: u8) -> bool {
    matches!(b, b'-' | b'_' | b'A' | b'J')
}

fn token_start(t: &[u8], i: usize) -> bool {
    i == 0 || !is_token(t[i - 1])
}

/// A secret whose shape shows at the trigger byte `at` (`is_trigger`):
/// its start (before `at` for most prefixes) and end.
pub fn secret_at(t: &[u8], at: usize) -> Option<(usize, usize)> {
    match t[at] {
        b'-' if t[at..].starts_with(b"-----BEGIN ") => return pem(t, at).map(|end| (at, end)),
        b'J' if at >= 2 && &t[at - 2..at] == b"ey" && token_start(t, at - 2) => return jwt(t, at - 2).map(|end| (at - 2, end)),
        b'A' if token_start(t, at) && aws_key(&t[at..at + token_len(t, at)]) => return Some((at, at + 20)),
        _ => {}
    }
    let c = t[at];
    // Most `-` and `_` are not in a prefix: the byte before them says (`k-`, `p_`, `b-` …).
    let before = at.checked_sub(1).map(|p| t[p]);
    if matches!(c, b'-' | b'_') && !matches!(before, Some(b'k' | b'p' | b't' | b'o' | b'u' | b's' | b'r' | b'b' | b'a' | b'e')) {
        return None;
    }
    PREFIXED.iter().find_map(|(prefix, least)| {
        let off = prefix.iter().position(|&b| b == c)?;
        let start = at.checked_sub(off)?;
        if !(t[start..].starts_with(prefix) && token_start(t, start)) {
            return None;
        }
        let len = token_len(t, start);
        (len >= prefix.len() + least).then_some((start, start + len))
    })
}

#[cfg(test)]
mod tests {
    use crate::guardrails::detect::{found, Detector};

    #[test]
    fn provider_and_host_tokens() {
        let keys = [
            "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
            "sk-ant-api03-abcdefghijklmnopqrstuvwxyz_0123-AA",
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "github_pat_11ABCDEFG0abcdefghijklmnopqrstuvwxyz0123456789",
            "glpat-abcdefghijklmnopqrst",
            "xoxb-1234567890-abcdefghij",
            "sk_live_abcdefghijklmnopqrstuvwx",
            "AIzaSyA1234567890abcdefghijklmnopqrstuv",
        ];
        for k in keys {
            let t = format!("key: {k}, done");
            assert_eq!(found(&t, Detector::Secret), vec![k], "{k}");
        }
    }

    #[test]
    fn jwt_and_pem() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(found(&format!("Bearer {jwt}"), Detector::Secret), vec![jwt]);
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----";
        assert_eq!(found(&format!("key:\n{pem}\nthanks"), Detector::Secret), vec![pem]);
        let cut = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg";
        assert_eq!(found(cut, Detector::Secret), vec![cut]);
    }

    #[test]
    fn look_alikes_are_not_secrets() {
        for t in [
            "sk-short",
            "task-abcdefghijklmnopqrstuvwxyz",
            "AKIA is a prefix",
            "AKIAIOSFODNN7EXAMPLEX",
            "ghp_short",
            "eyJhbGciOiJIUzI1NiJ9 alone",
            "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
            "risk-assessment-of-the-quarterly-report",
        ] {
            assert!(found(t, Detector::Secret).is_empty(), "{t}: {:?}", found(t, Detector::Secret));
        }
    }
}
