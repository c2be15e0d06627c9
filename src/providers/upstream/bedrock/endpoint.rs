//! Where a Bedrock request goes and how it is signed: the credential from
//! the provider key, the region, the base URL, the model's URL segment.

use super::sigv4::{self, Credentials, Scope, Signable};
use crate::core::error::{ErrorType, GatewayError, GatewayResult, ErrorCode};
use crate::providers::{join_url, Target, UpstreamRequest};

/// The SigV4 service name of the Bedrock runtime.
pub const SERVICE: &str = "bedrock";
pub const DEFAULT_REGION: &str = "us-east-1";

fn bad_credential(provider: &str) -> GatewayError {
    GatewayError::new(
        500,
        ErrorType::ApiError,
        ErrorCode::ProviderCredentialInvalid,
        format!(
            "The credential configured for provider '{provider}' must be \
             ACCESS_KEY_ID:SECRET_ACCESS_KEY or ACCESS_KEY_ID:SECRET_ACCESS_KEY:SESSION_TOKEN. \
             An administrator must update the provider key."
        ),
    )
}

/// `ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]` (secret keys and
/// session tokens are base64-like and never contain `:`).
pub fn credentials<'a>(secret: Option<&'a str>, provider: &str) -> GatewayResult<Credentials<'a>> {
    let secret = secret.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| bad_credential(provider))?;
    let mut parts = secret.splitn(3, ':');
    let access_key_id = parts.next().filter(|s| !s.is_empty()).ok_or_else(|| bad_credential(provider))?;
    let secret_access_key = parts.next().filter(|s| !s.is_empty()).ok_or_else(|| bad_credential(provider))?;
    let session_token = parts.next().filter(|s| !s.is_empty());
    Ok(Credentials { access_key_id, secret_access_key, session_token })
}

/// The `Host` an HTTP client sends for a URL: `host[:port]`, without user
/// info, the scheme's default port left out.
pub fn authority(url: &str) -> &str {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = &rest[..end];
    let host = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    let default_port = if scheme.eq_ignore_ascii_case("http") { ":80" } else { ":443" };
    host.strip_suffix(default_port).unwrap_or(host)
}

/// Path (with a leading `/`) and query (without `?`) of a URL.
fn path_and_query(url: &str) -> (&str, &str) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let rest = rest.find(['/', '?']).map_or("", |i| &rest[i..]);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    (if path.is_empty() { "/" } else { path }, query)
}

/// The region in `bedrock-runtime[-fips].<region>.amazonaws.com` (also
/// behind a VPC endpoint prefix), if the host is one.
pub fn region_from_host(host: &str) -> Option<&str> {
    let host = host.split(':').next().unwrap_or(host);
    if !(host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn")) {
        return None;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let i = labels.iter().position(|l| l.starts_with("bedrock-runtime"))?;
    labels.get(i + 1).copied().filter(|r| valid_region(r))
}

fn valid_region(r: &str) -> bool {
    !r.is_empty() && r.len() <= 32 && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// True for the plain public endpoint `https://bedrock-runtime.<region>.amazonaws.com`.
fn is_default_host(base_url: &str) -> bool {
    base_url
        .trim_end_matches('/')
        .strip_prefix("https://bedrock-runtime.")
        .and_then(|r| r.strip_suffix(".amazonaws.com"))
        .is_some_and(valid_region)
}

/// Region and base URL for a target: the key's `region` setting, else the
/// base URL's host, else us-east-1. A region setting moves the default AWS
/// endpoint to that region; a custom base URL (a proxy, a mock) is kept.
pub fn region_and_base(target: &Target) -> GatewayResult<(String, String)> {
    match target.setting("region") {
        Some(r) if !valid_region(r) => Err(GatewayError::new(
            500,
            ErrorType::ApiError,
            ErrorCode::ProviderConfigInvalid,
            format!("The region configured for provider '{}' is not a valid AWS region name.", target.provider.id),
        )),
        Some(r) => {
            let base = if is_default_host(target.base_url) {
                format!("https://bedrock-runtime.{r}.amazonaws.com")
            } else {
                target.base_url.to_string()
            };
            Ok((r.to_string(), base))
        }
        None => {
            let region = region_from_host(authority(target.base_url)).unwrap_or(DEFAULT_REGION);
            Ok((region.to_string(), target.base_url.to_string()))
        }
    }
}

/// `model/<id>` with the id encoded as one path segment (`:` → `%3A`,
/// `/` of an ARN → `%2F`).
pub fn model_path(model_id: &str, action: &str) -> String {
    format!("model/{}/{action}", sigv4::uri_encode(model_id, false))
}

/// The model id named by a Bedrock runtime path (`…/model/<id>/<action>`), decoded.
pub fn model_from_path(path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let mut segments = path.split('/');
    segments.find(|s| *s == "model")?;
    segments.next().filter(|s| !s.is_empty()).map(crate::util::url_path::percent_decode)
}

/// A signed JSON POST to `<base>/model/<id>/<action>`.
pub fn signed_post(target: &Target, action: &str, body: Vec<u8>, accept: &str) -> GatewayResult<UpstreamRequest> {
    let creds = credentials(target.secret, &target.provider.id)?;
    let (region, base) = region_and_base(target)?;
    let mut req = UpstreamRequest {
        method: "POST",
        url: join_url(&base, &model_path(target.model_id, action)),
        headers: Vec::with_capacity(8),
        body: Some(body),
    };
    req.headers.push(("content-type".into(), "application/json".into()));
    req.headers.push(("accept".into(), accept.into()));
    for (k, v) in &target.provider.default_headers {
        req.headers.push((k.clone(), v.clone()));
    }
    sign(&mut req, &creds, &region, target.now_ms);
    Ok(req)
}

/// Adds `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (for
/// temporary credentials) and `authorization`. Signed: `host`,
/// `content-type` and every `x-amz-*` header.
pub fn sign(req: &mut UpstreamRequest, creds: &Credentials, region: &str, now_ms: u64) {
    let amz_date = sigv4::amz_date(now_ms);
    let payload_hash = sigv4::sha256_hex(req.body.as_deref().unwrap_or_default());
    req.headers.push(("x-amz-date".into(), amz_date.clone()));
    req.headers.push(("x-amz-content-sha256".into(), payload_hash.clone()));
    if let Some(token) = creds.session_token {
        req.headers.push(("x-amz-security-token".into(), token.into()));
    }
    let mut signed: Vec<(String, String)> = vec![("host".into(), authority(&req.url).to_string())];
    signed.extend(
        req.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("content-type") || k.to_ascii_lowercase().starts_with("x-amz-"))
            .cloned(),
    );
    let (path, query) = path_and_query(&req.url);
    let scope = Scope { region, service: SERVICE, amz_date: &amz_date };
    let signable = Signable { method: req.method, path, query, headers: &signed, payload_hash: &payload_hash };
    let signature = sigv4::sign(&signable, creds, &scope);
    req.headers.push(("authorization".into(), signature.authorization));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;
    use serde_json::{json, Value};

    fn target<'a>(config: &'a Value, base: &'a str, secret: Option<&'a str>) -> Target<'a> {
        Target {
            provider: catalog().provider("bedrock").unwrap(),
            model_id: "anthropic.claude-3-haiku-20240307-v1:0",
            base_url: base,
            secret,
            config,
            now_ms: 1_440_938_160_000,
        }
    }

    #[test]
    fn credentials_with_and_without_token() {
        let c = credentials(Some("AKID:se/cr+et"), "bedrock").unwrap();
        assert_eq!((c.access_key_id, c.secret_access_key, c.session_token), ("AKID", "se/cr+et", None));
        let c = credentials(Some("AKID:secret:tok/en=="), "bedrock").unwrap();
        assert_eq!(c.session_token, Some("tok/en=="));
        for bad in [None, Some(""), Some("AKID"), Some("AKID:"), Some(":secret")] {
            let e = credentials(bad, "bedrock").unwrap_err();
            assert_eq!(e.code, "provider_credential_invalid");
            assert!(!e.message.contains("secret"));
        }
    }

    #[test]
    fn region_resolution() {
        let none = Value::Null;
        let (r, b) = region_and_base(&target(&none, "https://bedrock-runtime.eu-west-3.amazonaws.com", None)).unwrap();
        assert_eq!((r.as_str(), b.as_str()), ("eu-west-3", "https://bedrock-runtime.eu-west-3.amazonaws.com"));
        let (r, _) = region_and_base(&target(&none, "http://127.0.0.1:9000/~tag=b", None)).unwrap();
        assert_eq!(r, "us-east-1");
        let cfg = json!({"region": "ap-northeast-1"});
        let (r, b) = region_and_base(&target(&cfg, "https://bedrock-runtime.us-east-1.amazonaws.com", None)).unwrap();
        assert_eq!((r.as_str(), b.as_str()), ("ap-northeast-1", "https://bedrock-runtime.ap-northeast-1.amazonaws.com"));
        let (r, b) = region_and_base(&target(&cfg, "http://127.0.0.1:9000", None)).unwrap();
        assert_eq!((r.as_str(), b.as_str()), ("ap-northeast-1", "http://127.0.0.1:9000"));
        let evil = json!({"region": "x.evil.com/"});
        assert!(region_and_base(&target(&evil, "https://bedrock-runtime.us-east-1.amazonaws.com", None)).is_err());
        assert_eq!(region_from_host("vpce-1a2b.bedrock-runtime.us-west-2.vpce.amazonaws.com"), Some("us-west-2"));
        assert_eq!(region_from_host("bedrock-runtime-fips.us-east-2.amazonaws.com"), Some("us-east-2"));
        assert_eq!(region_from_host("example.com"), None);
    }

    #[test]
    fn model_segment_round_trip() {
        let p = model_path("arn:aws:bedrock:us-east-1:123:inference-profile/us.anthropic.x-v1:0", "converse");
        assert_eq!(p, "model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Ainference-profile%2Fus.anthropic.x-v1%3A0/converse");
        assert_eq!(
            model_from_path(&format!("/{p}")).as_deref(),
            Some("arn:aws:bedrock:us-east-1:123:inference-profile/us.anthropic.x-v1:0")
        );
        assert_eq!(model_from_path("/bedrock/model/amazon.nova-pro-v1%3A0/converse-stream").as_deref(), Some("amazon.nova-pro-v1:0"));
        assert_eq!(model_from_path("/v1/chat/completions"), None);
    }

    #[test]
    fn url_parts() {
        assert_eq!(authority("https://u:p@h.example:8443/a?b"), "h.example:8443");
        assert_eq!(authority("https://h.example:443/a"), "h.example");
        assert_eq!(authority("http://127.0.0.1:80"), "127.0.0.1");
        assert_eq!(path_and_query("https://h/model/x%3A0/converse?a=1"), ("/model/x%3A0/converse", "a=1"));
        assert_eq!(path_and_query("https://h"), ("/", ""));
    }

    /// A Converse request in us-west-2, signed bit-exact as botocore's
    /// SigV4Auth signs it (values computed with botocore 1.43 at the same
    /// instant; the canonical path carries `%253A`).
    #[test]
    fn bedrock_request_matches_reference_signer() {
        let body = br#"{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}"#.to_vec();
        for (secret, expected) in [
            (
                "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, \
                 Signature=17482c1120597441136df020e9964c798edb40c4a720da99953a022fbc01a2b2",
            ),
            (
                "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY:SESSIONTOKEN/abc+def==",
                "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, \
                 Signature=6b8839540e38e799c6d36871ef7937ab81e7276d8c224eea82e9fa85be22b607",
            ),
        ] {
            let creds = credentials(Some(secret), "bedrock").unwrap();
            let mut req = UpstreamRequest {
                method: "POST",
                url: "https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse".into(),
                headers: vec![("content-type".into(), "application/json".into()), ("accept".into(), "application/json".into())],
                body: Some(body.clone()),
            };
            sign(&mut req, &creds, "us-west-2", 1_715_938_215_000);
            assert_eq!(
                req.header("authorization").unwrap(),
                format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240517/us-west-2/bedrock/aws4_request, {expected}")
            );
        }
    }

    #[test]
    fn signed_request_shape() {
        let none = Value::Null;
        let t = target(&none, "https://bedrock-runtime.us-east-1.amazonaws.com", Some("AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY:TOKEN"));
        let req = signed_post(&t, "converse", b"{}".to_vec(), "application/json").unwrap();
        assert_eq!(req.url, "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse");
        assert_eq!(req.header("x-amz-date"), Some("20150830T123600Z"));
        assert_eq!(req.header("x-amz-security-token"), Some("TOKEN"));
        assert_eq!(req.header("x-amz-content-sha256"), Some(sigv4::sha256_hex(b"{}").as_str()));
        let auth = req.header("authorization").unwrap();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, "));
        assert!(auth.contains("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "));
        assert!(req.header("host").is_none(), "fetch sets Host from the URL");
    }
}
