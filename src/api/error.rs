//! The one error type every stage returns, rendered in the shape of the API
//! the client called.
//!
//! Each error carries a stable machine `code`, an HTTP status, an OpenAI
//! `type`, a human message and optionally the offending `param`. The message
//! is written for the caller: it never contains `Debug` output, internals or
//! secrets. Context meant only for operators goes into the log record.

use serde::Serialize;

/// OpenAI's error `type` values, which the SDKs map to exception classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    InvalidRequestError,
    AuthenticationError,
    PermissionError,
    NotFoundError,
    RateLimitError,
    /// The provider failed or could not be reached.
    UpstreamError,
    /// The gateway itself failed; always a bug or an outage of a binding.
    ApiError,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::InvalidRequestError => "invalid_request_error",
            ErrorType::AuthenticationError => "authentication_error",
            ErrorType::PermissionError => "permission_error",
            ErrorType::NotFoundError => "not_found_error",
            ErrorType::RateLimitError => "rate_limit_error",
            ErrorType::UpstreamError => "upstream_error",
            ErrorType::ApiError => "api_error",
        }
    }

    /// The closest Anthropic Messages error type, for clients of `/v1/messages`.
    pub fn anthropic(self) -> &'static str {
        match self {
            ErrorType::InvalidRequestError => "invalid_request_error",
            ErrorType::AuthenticationError => "authentication_error",
            ErrorType::PermissionError => "permission_error",
            ErrorType::NotFoundError => "not_found_error",
            ErrorType::RateLimitError => "rate_limit_error",
            ErrorType::UpstreamError | ErrorType::ApiError => "api_error",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GatewayError {
    pub status: u16,
    pub error_type: ErrorType,
    pub code: String,
    pub message: String,
    pub param: Option<String>,
    /// Seconds the client should wait before retrying (sent as `retry-after`).
    pub retry_after: Option<u64>,
    /// True when the error came from the provider rather than the gateway;
    /// routing may fall back on these, never on the gateway's own refusals.
    pub from_upstream: bool,
}

pub type GatewayResult<T> = Result<T, GatewayError>;

impl GatewayError {
    pub fn new(status: u16, error_type: ErrorType, code: &str, message: impl Into<String>) -> Self {
        GatewayError {
            status,
            error_type,
            code: code.to_string(),
            message: message.into(),
            param: None,
            retry_after: None,
            from_upstream: false,
        }
    }

    pub fn with_param(mut self, param: &str) -> Self {
        self.param = Some(param.to_string());
        self
    }

    pub fn with_code(mut self, code: &str) -> Self {
        self.code = code.to_string();
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn invalid_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(400, ErrorType::InvalidRequestError, code, message)
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(404, ErrorType::NotFoundError, code, message)
    }

    pub fn unauthorized(code: &str, message: impl Into<String>) -> Self {
        Self::new(401, ErrorType::AuthenticationError, code, message)
    }

    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        Self::new(403, ErrorType::PermissionError, code, message)
    }

    pub fn rate_limited(code: &str, message: impl Into<String>) -> Self {
        Self::new(429, ErrorType::RateLimitError, code, message)
    }

    pub fn method_not_allowed(allowed: &str) -> Self {
        Self::new(
            405,
            ErrorType::InvalidRequestError,
            "method_not_allowed",
            format!("Method not allowed here; use {allowed}."),
        )
    }

    /// A field the gateway decides on, given more than once in one object.
    pub fn duplicate_field(key: &str) -> Self {
        Self::invalid_request("duplicate_field", format!("The request body gives '{key}' more than once; give it once."))
            .with_param(key)
    }

    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(
            413,
            ErrorType::InvalidRequestError,
            "request_too_large",
            format!("Request body is larger than the gateway's limit of {limit_bytes} bytes."),
        )
    }

    /// The provider could not be reached or did not answer in time.
    pub fn bad_gateway(code: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new(502, ErrorType::UpstreamError, code, message);
        e.from_upstream = true;
        e
    }

    pub fn gateway_timeout(message: impl Into<String>) -> Self {
        let mut e = Self::new(504, ErrorType::UpstreamError, "upstream_timeout", message);
        e.from_upstream = true;
        e
    }

    /// A failure of the gateway itself. The message must stay generic: the
    /// detail belongs in the log, not in the response.
    pub fn internal(code: &str) -> Self {
        Self::new(
            500,
            ErrorType::ApiError,
            code,
            "The gateway failed to process the request. It has been logged; retrying may help.",
        )
    }

    /// `{"error":{"message","type","code","param"}}` — what the OpenAI SDKs parse.
    pub fn to_openai_json(&self) -> String {
        #[derive(Serialize)]
        struct Body<'a> {
            error: Inner<'a>,
        }
        #[derive(Serialize)]
        struct Inner<'a> {
            message: &'a str,
            #[serde(rename = "type")]
            error_type: &'a str,
            code: &'a str,
            param: Option<&'a str>,
        }
        let body = Body {
            error: Inner {
                message: &self.message,
                error_type: self.error_type.as_str(),
                code: &self.code,
                param: self.param.as_deref(),
            },
        };
        serde_json::to_string(&body).unwrap_or_else(|_| FALLBACK_BODY.to_string())
    }

    /// `{"type":"error","error":{"type","message"}}` — what the Anthropic SDKs parse.
    pub fn to_anthropic_json(&self) -> String {
        let body = serde_json::json!({
            "type": "error",
            "error": { "type": self.error_type.anthropic(), "message": self.message },
        });
        body.to_string()
    }
}

const FALLBACK_BODY: &str =
    r#"{"error":{"message":"internal error","type":"api_error","code":"internal_error","param":null}}"#;

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

/// 400 `invalid_value` naming the parameter at fault: the refusal of a
/// malformed field, shared by every parser of client input.
pub fn invalid_value(param: &str, message: impl Into<String>) -> GatewayError {
    GatewayError::invalid_request("invalid_value", message).with_param(param)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_shape_has_all_four_fields() {
        let e = GatewayError::invalid_request("missing_model", "you must name a model").with_param("model");
        let v: serde_json::Value = serde_json::from_str(&e.to_openai_json()).unwrap();
        assert_eq!(v["error"]["message"], "you must name a model");
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["code"], "missing_model");
        assert_eq!(v["error"]["param"], "model");
    }

    #[test]
    fn param_is_null_when_absent() {
        let v: serde_json::Value =
            serde_json::from_str(&GatewayError::unauthorized("invalid_api_key", "bad key").to_openai_json()).unwrap();
        assert!(v["error"]["param"].is_null());
        assert_eq!(v["error"]["type"], "authentication_error");
    }

    #[test]
    fn anthropic_shape() {
        let v: serde_json::Value =
            serde_json::from_str(&GatewayError::rate_limited("rate_limit_exceeded", "slow down").to_anthropic_json())
                .unwrap();
        assert_eq!(v["type"], "error");
        assert_eq!(v["error"]["type"], "rate_limit_error");
        assert_eq!(v["error"]["message"], "slow down");
    }

    #[test]
    fn messages_are_json_escaped() {
        let e = GatewayError::invalid_request("bad", "quote \" and newline \n");
        let v: serde_json::Value = serde_json::from_str(&e.to_openai_json()).unwrap();
        assert_eq!(v["error"]["message"], "quote \" and newline \n");
    }

    #[test]
    fn internal_errors_hide_details() {
        let e = GatewayError::internal("d1_unavailable");
        assert_eq!(e.status, 500);
        assert!(!e.message.contains("d1"));
    }
}
