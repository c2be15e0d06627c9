//! Gateway headers in and out, and which client headers may reach a provider.
//!
//! Gateway-only headers (`alephant-*`, `x-alephant-*`) and every credential
//! the client sent are never forwarded upstream: the provider credential is
//! injected by the adapter instead.

/// Response headers the gateway sets.
pub const ALEPHANT_ID: &str = "alephant-id";
pub const ALEPHANT_PROVIDER: &str = "alephant-provider";
pub const ALEPHANT_MODEL: &str = "alephant-model";
pub const ALEPHANT_PROVIDER_REQ_ID: &str = "alephant-provider-req-id";
pub const ALEPHANT_ATTEMPTS: &str = "alephant-attempts";

/// Request headers the gateway reads.
pub const X_REQUEST_ID: &str = "x-request-id";
pub const FORCED_ROUTING: &str = "alephant-forced-routing";
pub const RATELIMIT_POLICY: &str = "alephant-ratelimit-policy";
pub const PROMPT_ID: &str = "alephant-prompt-id";
pub const PROMPT_VERSION: &str = "alephant-prompt-version";
pub const GUARDRAILS: &str = "alephant-guardrails";

/// Headers a provider commonly uses to name its own request id, in order of preference.
pub const PROVIDER_REQUEST_ID_HEADERS: &[&str] = &[
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "apim-request-id",
    "cf-ray",
];

/// True for headers that only the gateway understands.
pub fn is_gateway_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("alephant-") || n.starts_with("x-alephant-")
}

/// Headers never forwarded upstream, whatever the endpoint: credentials,
/// hop-by-hop headers, and what the edge adds about the client.
fn is_never_forwarded(lower: &str) -> bool {
    matches!(
        lower,
        "authorization"
            | "x-api-key"
            | "api-key"
            | "x-goog-api-key"
            | "x-amz-security-token"
            | "x-amz-date"
            | "x-amz-content-sha256"
            | "proxy-authorization"
            | "cookie"
            | "host"
            | "content-length"
            | "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "upgrade"
            | "te"
            | "trailer"
            | "accept-encoding"
            | "origin"
            | "referer"
            | "x-real-ip"
            | "true-client-ip"
            | "x-request-id"
    ) || lower.starts_with("cf-")
        || lower.starts_with("x-forwarded-")
        || lower.starts_with("proxy-")
        || lower.starts_with("sec-")
}

/// Headers a client may pass to the provider on native passthrough routes
/// (`/openai/...`, `/anthropic/...`): everything except gateway headers and
/// the denylist above. Provider options such as `anthropic-beta` or
/// `openai-beta` must survive.
pub fn forward_on_passthrough(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !is_gateway_header(&lower) && !is_never_forwarded(&lower)
}

/// Headers a client may pass to the provider on unified `/v1` routes, where
/// the gateway builds the upstream request itself: only provider feature
/// flags that do not change who is billed or where the request goes.
pub fn forward_on_unified(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(lower.as_str(), "openai-beta" | "anthropic-beta")
}

/// `Authorization: Bearer <token>` → token. Also accepts the headers other
/// SDKs put their key in (`x-api-key` from Anthropic's, `x-goog-api-key`
/// from Google's), so one virtual key works with every client.
pub fn client_token<'a>(
    authorization: Option<&'a str>,
    x_api_key: Option<&'a str>,
    x_goog_api_key: Option<&'a str>,
) -> Option<&'a str> {
    bearer_token(authorization, x_api_key).or_else(|| x_goog_api_key.map(str::trim).filter(|t| !t.is_empty()))
}

/// `Authorization: Bearer <token>` → token, else the `x-api-key` header.
pub fn bearer_token<'a>(authorization: Option<&'a str>, x_api_key: Option<&'a str>) -> Option<&'a str> {
    if let Some(value) = authorization {
        let value = value.trim();
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        if scheme.eq_ignore_ascii_case("bearer") {
            let token = rest.trim();
            if !token.is_empty() {
                return Some(token);
            }
        }
    }
    x_api_key.map(str::trim).filter(|t| !t.is_empty())
}

/// The longest client request id kept.
pub const MAX_CLIENT_REQUEST_ID: usize = 128;

/// The client's `x-request-id`, kept to be searched and echoed — never as
/// the gateway's own id, which keys the log row, the archive and the
/// ledger holds: two requests with one client id are two requests.
/// Printable ASCII only, at most `MAX_CLIENT_REQUEST_ID` characters.
pub fn client_request_id(value: Option<&str>) -> Option<String> {
    let v = value?.trim();
    let ok = !v.is_empty() && v.len() <= MAX_CLIENT_REQUEST_ID && v.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| v.to_string())
}

/// Truthy header values: `true`, `1`, `yes`, `on` (any case).
pub fn is_truthy(value: Option<&str>) -> bool {
    matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("true" | "1" | "yes" | "on")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_headers_are_recognised_in_any_case() {
        assert!(is_gateway_header("Alephant-Cache-Enabled"));
        assert!(is_gateway_header("x-alephant-country-code"));
        assert!(!is_gateway_header("x-stainless-os"));
    }

    #[test]
    fn credentials_never_pass_through() {
        for h in ["Authorization", "x-api-key", "api-key", "Cookie", "cf-connecting-ip", "x-forwarded-for", "Host"] {
            assert!(!forward_on_passthrough(h), "{h} must be dropped");
        }
        assert!(!forward_on_passthrough("alephant-session-id"));
    }

    #[test]
    fn provider_flags_pass_through() {
        assert!(forward_on_passthrough("anthropic-version"));
        assert!(forward_on_passthrough("anthropic-beta"));
        assert!(forward_on_passthrough("OpenAI-Beta"));
        assert!(forward_on_passthrough("content-type"));
    }

    #[test]
    fn unified_routes_forward_only_feature_flags() {
        assert!(forward_on_unified("OpenAI-Beta"));
        assert!(!forward_on_unified("x-stainless-lang"));
        assert!(!forward_on_unified("authorization"));
        assert!(!forward_on_unified("openai-organization"));
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer_token(Some("Bearer vk-abc"), None), Some("vk-abc"));
        assert_eq!(bearer_token(Some("bearer   vk-abc  "), None), Some("vk-abc"));
        assert_eq!(bearer_token(Some("Basic Zm9v"), None), None);
        assert_eq!(bearer_token(Some("Bearer "), None), None);
        assert_eq!(bearer_token(None, Some("vk-x")), Some("vk-x"));
        assert_eq!(bearer_token(None, None), None);
    }

    #[test]
    fn tokens_from_any_sdk_header() {
        assert_eq!(client_token(None, None, Some("vk-g")), Some("vk-g"));
        assert_eq!(client_token(Some("Bearer vk-a"), None, Some("vk-g")), Some("vk-a"));
        assert_eq!(client_token(None, None, Some(" ")), None);
    }

    #[test]
    fn client_request_ids_are_kept_printable_and_short() {
        assert_eq!(client_request_id(Some(" 6F9619FF-8B86-D011-B42D-00C04FC964FF ")).as_deref(), Some("6F9619FF-8B86-D011-B42D-00C04FC964FF"));
        assert_eq!(client_request_id(Some("job-42/step-3")).as_deref(), Some("job-42/step-3"));
        assert_eq!(client_request_id(Some("a b")), None);
        assert_eq!(client_request_id(Some("x\u{0}")), None);
        assert_eq!(client_request_id(Some(&"x".repeat(129))), None);
        assert_eq!(client_request_id(None), None);
    }

    #[test]
    fn truthiness() {
        assert!(is_truthy(Some("TRUE")));
        assert!(is_truthy(Some("1")));
        assert!(!is_truthy(Some("false")));
        assert!(!is_truthy(None));
    }
}
