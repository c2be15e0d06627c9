//! Injecting the provider credential into an upstream request.

use super::UpstreamRequest;
use crate::catalog::AuthScheme;

/// Adds the credential the way the provider expects it. AWS SigV4 signs the
/// whole request and is applied by the Bedrock adapter instead.
pub fn apply(scheme: AuthScheme, secret: Option<&str>, req: &mut UpstreamRequest) {
    let Some(secret) = secret.filter(|s| !s.is_empty()) else { return };
    match scheme {
        AuthScheme::Bearer => req.headers.push(("authorization".into(), format!("Bearer {secret}"))),
        AuthScheme::XApiKey => req.headers.push(("x-api-key".into(), secret.into())),
        AuthScheme::ApiKey => req.headers.push(("api-key".into(), secret.into())),
        AuthScheme::XGoogApiKey => req.headers.push(("x-goog-api-key".into(), secret.into())),
        AuthScheme::QueryKey => {
            let sep = if req.url.contains('?') { '&' } else { '?' };
            req.url = format!("{}{sep}key={}", req.url, encode_query(secret));
        }
        AuthScheme::Sigv4 | AuthScheme::None => {}
    }
}

fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> UpstreamRequest {
        UpstreamRequest { method: "POST", url: "https://p/v1/x".into(), headers: vec![], body: None }
    }

    #[test]
    fn header_schemes() {
        let mut r = req();
        apply(AuthScheme::Bearer, Some("sk-1"), &mut r);
        assert_eq!(r.header("authorization"), Some("Bearer sk-1"));
        let mut r = req();
        apply(AuthScheme::XApiKey, Some("k"), &mut r);
        assert_eq!(r.header("x-api-key"), Some("k"));
        let mut r = req();
        apply(AuthScheme::ApiKey, Some("k"), &mut r);
        assert_eq!(r.header("api-key"), Some("k"));
    }

    #[test]
    fn query_key_is_encoded() {
        let mut r = req();
        apply(AuthScheme::QueryKey, Some("a b&c"), &mut r);
        assert_eq!(r.url, "https://p/v1/x?key=a%20b%26c");
    }

    #[test]
    fn no_secret_no_header() {
        let mut r = req();
        apply(AuthScheme::Bearer, None, &mut r);
        apply(AuthScheme::None, Some("x"), &mut r);
        assert!(r.headers.is_empty());
    }
}
