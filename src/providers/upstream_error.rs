//! Provider error bodies → the gateway's OpenAI-shaped error, keeping the
//! provider's status and machine code.
//!
//! Providers disagree on error shapes (`{"error":{"message"}}`,
//! `{"error":"text"}`, `{"message"}`, `{"detail"}`, Anthropic's
//! `{"type":"error","error":{...}}`, Gemini's `{"error":{"status"}}`), so this
//! reads them all. Two rules protect secrets: an upstream 401/403 is about
//! the gateway's provider credential, not the caller, so its text is
//! replaced; and any message is scrubbed of the credential before it leaves.

use crate::core::error::{ErrorCode, ErrorType, GatewayError};
use serde_json::Value;

const MAX_MESSAGE: usize = 1_000;

pub fn normalize(status: u16, body: &[u8], provider: &str, secret: Option<&str>) -> GatewayError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let (message, code) = match &parsed {
        Some(v) => (find_message(v), find_code(v)),
        None => {
            let text = String::from_utf8_lossy(body).trim().to_string();
            ((!text.is_empty()).then_some(text), None)
        }
    };
    let error_type = type_for_status(status);
    let mut e = if status == 401 || status == 403 {
        GatewayError::new(
            status,
            error_type,
            ErrorCode::ProviderAuthFailed,
            format!(
                "{provider} rejected the workspace's credential for this provider ({status}). \
                 An administrator must update the provider key."
            ),
        )
    } else {
        let message = message.unwrap_or_else(|| format!("The provider answered with status {status}."));
        let message = scrub(&message, secret);
        GatewayError::new(
            status,
            error_type,
            code.map_or_else(|| default_code(status), ErrorCode::Provider),
            format!("{provider}: {message}"),
        )
    };
    if let Some(param) = parsed.as_ref().and_then(|v| v.pointer("/error/param")).and_then(Value::as_str) {
        e.param = Some(param.to_string());
    }
    e.from_upstream = true;
    e
}

fn find_message(v: &Value) -> Option<String> {
    let candidates = [
        v.pointer("/error/message"),
        v.get("error").filter(|e| e.is_string()),
        v.get("message"),
        v.get("Message"),
        v.get("detail").filter(|d| d.is_string()),
        v.pointer("/detail/0/msg"),
        v.pointer("/0/error/message"),
    ];
    candidates.into_iter().flatten().find_map(Value::as_str).map(str::to_string)
}

fn find_code(v: &Value) -> Option<String> {
    let candidates = [
        v.pointer("/error/code"),
        v.pointer("/error/type"),
        v.pointer("/error/status"),
        v.get("code"),
        v.get("__type"),
    ];
    candidates.into_iter().flatten().find_map(|c| match c {
        Value::String(s) if !s.is_empty() && s != "error" => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

pub fn type_for_status(status: u16) -> ErrorType {
    match status {
        401 => ErrorType::AuthenticationError,
        403 => ErrorType::PermissionError,
        404 => ErrorType::NotFoundError,
        429 => ErrorType::RateLimitError,
        400..=499 => ErrorType::InvalidRequestError,
        _ => ErrorType::UpstreamError,
    }
}

fn default_code(status: u16) -> ErrorCode {
    match status {
        400 => ErrorCode::UpstreamBadRequest,
        404 => ErrorCode::UpstreamNotFound,
        408 => ErrorCode::UpstreamTimeout,
        413 => ErrorCode::UpstreamRequestTooLarge,
        429 => ErrorCode::UpstreamRateLimited,
        500..=599 => ErrorCode::UpstreamUnavailable,
        _ => ErrorCode::UpstreamError,
    }
}

/// Removes the credential (and anything after a `Bearer `) from a message and
/// caps its length.
fn scrub(message: &str, secret: Option<&str>) -> String {
    let mut m = message.to_string();
    if let Some(s) = secret.filter(|s| s.len() >= 6) {
        m = m.replace(s, "[redacted]");
    }
    if let Some(i) = m.find("Bearer ") {
        m.truncate(i);
        m.push_str("Bearer [redacted]");
    }
    if m.chars().count() > MAX_MESSAGE {
        m = m.chars().take(MAX_MESSAGE).collect::<String>() + "…";
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_shape_keeps_status_code_and_param() {
        let body = br#"{"error":{"message":"max_tokens is too large","type":"invalid_request_error","param":"max_tokens","code":"invalid_value"}}"#;
        let e = normalize(400, body, "openai", None);
        assert_eq!(e.status, 400);
        assert_eq!(e.code, "invalid_value");
        assert_eq!(e.param.as_deref(), Some("max_tokens"));
        assert_eq!(e.message, "openai: max_tokens is too large");
        assert!(e.from_upstream);
    }

    #[test]
    fn anthropic_shape() {
        let body = br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        let e = normalize(529, body, "anthropic", None);
        assert_eq!(e.status, 529);
        assert_eq!(e.code, "overloaded_error");
        assert_eq!(e.error_type, ErrorType::UpstreamError);
        assert!(e.message.contains("Overloaded"));
    }

    #[test]
    fn gemini_shape() {
        let body = br#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}"#;
        let e = normalize(429, body, "gemini", None);
        assert_eq!(e.error_type, ErrorType::RateLimitError);
        assert_eq!(e.code, "429");
        assert!(e.message.contains("exhausted"));
    }

    #[test]
    fn plain_and_string_errors() {
        assert!(normalize(502, b"Bad Gateway", "x", None).message.contains("Bad Gateway"));
        assert_eq!(normalize(503, b"", "x", None).code, "upstream_unavailable");
        assert!(normalize(400, br#"{"error":"model not loaded"}"#, "ollama", None).message.contains("model not loaded"));
        assert!(normalize(422, br#"{"detail":[{"msg":"field required"}]}"#, "vllm", None).message.contains("field required"));
        assert!(normalize(400, br#"{"message":"bad input"}"#, "cohere", None).message.contains("bad input"));
    }

    #[test]
    fn upstream_auth_failures_never_echo_the_provider_text() {
        let body = br#"{"error":{"message":"Incorrect API key provided: sk-proj-abc***wxyz","code":"invalid_api_key"}}"#;
        let e = normalize(401, body, "openai", Some("sk-proj-abcdefwxyz"));
        assert_eq!(e.status, 401);
        assert_eq!(e.code, "provider_auth_failed");
        assert!(!e.message.contains("sk-"));
    }

    #[test]
    fn secrets_are_scrubbed_from_messages() {
        let body = br#"{"error":{"message":"key sk-secret-123456 over quota, header Authorization: Bearer sk-secret-123456"}}"#;
        let e = normalize(429, body, "openai", Some("sk-secret-123456"));
        assert!(!e.message.contains("sk-secret"), "{}", e.message);
    }

    #[test]
    fn long_messages_are_capped() {
        let body = format!(r#"{{"error":{{"message":"{}"}}}}"#, "x".repeat(5000));
        assert!(normalize(500, body.as_bytes(), "p", None).message.chars().count() < 1100);
    }
}
