//! The one error type every stage returns, rendered in the shape of the API
//! the client called.
//!
//! Each error carries a stable machine `code`, an HTTP status, an OpenAI
//! `type`, a human message and optionally the offending `param`. The message
//! is written for the caller: it never contains `Debug` output, internals or
//! secrets. Context meant only for operators goes into the log record.

use serde::Serialize;

/// Declares the machine codes: each variant and its wire string, once.
macro_rules! error_codes {
    ($($variant:ident = $text:literal,)*) => {
        /// The stable machine `code` of an error. Its string form is the wire
        /// contract (clients and log queries match on it); the gateway's own
        /// control flow matches on the variants, so a typo cannot compile.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum ErrorCode {
            $($variant,)*
            /// A code a provider gave, kept as it said it.
            Provider(String),
        }

        impl ErrorCode {
            /// Every code the gateway itself raises.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(&self) -> &str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                    ErrorCode::Provider(code) => code,
                }
            }
        }
    };
}

error_codes! {
    AccessJwtInvalid = "access_jwt_invalid",
    AdminDisabled = "admin_disabled",
    AdminTokenExpired = "admin_token_expired",
    AdminTokenNotFound = "admin_token_not_found",
    AgentNotFound = "agent_not_found",
    AnthropicRequestEncoding = "anthropic_request_encoding",
    ArchiveUnavailable = "archive_unavailable",
    BodyRewrite = "body_rewrite",
    BudgetExceeded = "budget_exceeded",
    BudgetNotFound = "budget_not_found",
    BudgetUnavailable = "budget_unavailable",
    ClientClosed = "client_closed",
    CohereBodyEncode = "cohere_body_encode",
    CohereEmbedAnswersMissing = "cohere_embed_answers_missing",
    ConcurrencyLimitExceeded = "concurrency_limit_exceeded",
    ConfigStoreUnavailable = "config_store_unavailable",
    Conflict = "conflict",
    CsrfTokenInvalid = "csrf_token_invalid",
    D1Unavailable = "d1_unavailable",
    DomainNotFound = "domain_not_found",
    DuplicateField = "duplicate_field",
    EmbeddingsNotBuilt = "embeddings_not_built",
    EmptyConversation = "empty_conversation",
    EncryptionFailed = "encryption_failed",
    EncryptionKeyMissing = "encryption_key_missing",
    ForcedRoutingNotAllowed = "forced_routing_not_allowed",
    GatewayMisconfigured = "gateway_misconfigured",
    GeminiRequestEncode = "gemini_request_encode",
    GuardrailViolation = "guardrail_violation",
    HeaderNotAllowed = "header_not_allowed",
    InternalError = "internal_error",
    InvalidAdminToken = "invalid_admin_token",
    InvalidApiKey = "invalid_api_key",
    InvalidBody = "invalid_body",
    InvalidCacheHeader = "invalid_cache_header",
    InvalidGuardrailsHeader = "invalid_guardrails_header",
    InvalidJson = "invalid_json",
    InvalidModelOutput = "invalid_model_output",
    InvalidMasterKey = "invalid_master_key",
    InvalidModel = "invalid_model",
    InvalidParameter = "invalid_parameter",
    InvalidPath = "invalid_path",
    InvalidPromptHeader = "invalid_prompt_header",
    InvalidRatelimitPolicy = "invalid_ratelimit_policy",
    InvalidReference = "invalid_reference",
    InvalidToolArguments = "invalid_tool_arguments",
    InvalidType = "invalid_type",
    InvalidUsageEvent = "invalid_usage_event",
    InvalidValue = "invalid_value",
    JsonTooDeep = "json_too_deep",
    KeyExpired = "key_expired",
    KeyNotValidForDomain = "key_not_valid_for_domain",
    KeyRevoked = "key_revoked",
    LogNotFound = "log_not_found",
    LogSinkNotFound = "log_sink_not_found",
    MaxInputTokensExceeded = "max_input_tokens_exceeded",
    MasterKeyTooShort = "master_key_too_short",
    MemberNotFound = "member_not_found",
    MethodNotAllowed = "method_not_allowed",
    ModerationUnavailable = "moderation_unavailable",
    MissingApiKey = "missing_api_key",
    MissingBody = "missing_body",
    MissingModel = "missing_model",
    MissingPromptVariables = "missing_prompt_variables",
    MissingRequiredParameter = "missing_required_parameter",
    ModelNotAllowed = "model_not_allowed",
    ModelNotFound = "model_not_found",
    NoDefaultRoute = "no_default_route",
    NoRoute = "no_route",
    NoTargetAvailable = "no_target_available",
    NotAMember = "not_a_member",
    PolicyDenied = "policy_denied",
    PromptNotFound = "prompt_not_found",
    PromptNotSupported = "prompt_not_supported",
    ProviderAccountApiNotAllowed = "provider_account_api_not_allowed",
    ProviderAuthFailed = "provider_auth_failed",
    ProviderConfigInvalid = "provider_config_invalid",
    ProviderCredentialInvalid = "provider_credential_invalid",
    ProviderKeyNotFound = "provider_key_not_found",
    ProviderKeyUnusable = "provider_key_unusable",
    ProviderNotAllowed = "provider_not_allowed",
    ProviderNotConfigured = "provider_not_configured",
    ProviderNotFound = "provider_not_found",
    RandomnessUnavailable = "randomness_unavailable",
    RateLimitExceeded = "rate_limit_exceeded",
    RequestEncoding = "request_encoding",
    RequestTooLarge = "request_too_large",
    ResponseBuild = "response_build",
    RoleNotAllowed = "role_not_allowed",
    RouterNotFound = "router_not_found",
    SerializeHeaders = "serialize_headers",
    SerializePolicy = "serialize_policy",
    SerializeProvider = "serialize_provider",
    SerializeResponse = "serialize_response",
    SessionExpired = "session_expired",
    SessionNotFound = "session_not_found",
    TooManyFailedAuthentications = "too_many_failed_authentications",
    UnknownEndpoint = "unknown_endpoint",
    UnknownProvider = "unknown_provider",
    UnknownScope = "unknown_scope",
    UnknownToolCallId = "unknown_tool_call_id",
    UnpricedModel = "unpriced_model",
    UnreadableBody = "unreadable_body",
    UnsupportedContent = "unsupported_content",
    UnsupportedForProvider = "unsupported_for_provider",
    UnsupportedImage = "unsupported_image",
    UnsupportedImageUrl = "unsupported_image_url",
    UnsupportedParameter = "unsupported_parameter",
    UpstreamBadRequest = "upstream_bad_request",
    UpstreamBodyUnreadable = "upstream_body_unreadable",
    UpstreamError = "upstream_error",
    UpstreamGenerationFailed = "upstream_generation_failed",
    UpstreamInvalidResponse = "upstream_invalid_response",
    UpstreamNotFound = "upstream_not_found",
    UpstreamRateLimited = "upstream_rate_limited",
    UpstreamRequestInvalid = "upstream_request_invalid",
    UpstreamRequestTooLarge = "upstream_request_too_large",
    UpstreamStreamError = "upstream_stream_error",
    UpstreamStreamInterrupted = "upstream_stream_interrupted",
    UpstreamTimeout = "upstream_timeout",
    UpstreamUnavailable = "upstream_unavailable",
    UpstreamUnreachable = "upstream_unreachable",
    VirtualKeyNotFound = "virtual_key_not_found",
    WorkspaceNotFound = "workspace_not_found",
}

impl ErrorCode {
    /// A gateway code by its wire string; any other string is a provider's.
    pub fn parse(text: &str) -> ErrorCode {
        ErrorCode::ALL.iter().find(|c| c.as_str() == text).cloned().unwrap_or_else(|| ErrorCode::Provider(text.to_string()))
    }

    /// A refusal by policy: audited as `policy.<code>`.
    pub fn is_policy_decision(&self) -> bool {
        matches!(
            self,
            ErrorCode::PolicyDenied
                | ErrorCode::ModelNotAllowed
                | ErrorCode::ProviderNotAllowed
                | ErrorCode::HeaderNotAllowed
                | ErrorCode::GuardrailViolation
                | ErrorCode::MaxInputTokensExceeded
                | ErrorCode::ForcedRoutingNotAllowed
                | ErrorCode::ProviderAccountApiNotAllowed
                | ErrorCode::UnpricedModel
                | ErrorCode::RateLimitExceeded
                | ErrorCode::ConcurrencyLimitExceeded
                | ErrorCode::BudgetExceeded
        )
    }

    /// The provider could not be reached, did not answer in time, or broke
    /// its stream before the first byte: worth another try.
    pub fn is_transport_failure(&self) -> bool {
        matches!(self, ErrorCode::UpstreamTimeout | ErrorCode::UpstreamUnreachable | ErrorCode::UpstreamStreamError)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
impl From<&str> for ErrorCode {
    fn from(text: &str) -> Self {
        ErrorCode::parse(text)
    }
}

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
    pub code: ErrorCode,
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
    pub fn new(status: u16, error_type: ErrorType, code: ErrorCode, message: impl Into<String>) -> Self {
        GatewayError {
            status,
            error_type,
            code,
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

    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = code;
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn invalid_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(400, ErrorType::InvalidRequestError, code, message)
    }

    pub fn not_found(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(404, ErrorType::NotFoundError, code, message)
    }

    pub fn unauthorized(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(401, ErrorType::AuthenticationError, code, message)
    }

    pub fn forbidden(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(403, ErrorType::PermissionError, code, message)
    }

    pub fn rate_limited(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(429, ErrorType::RateLimitError, code, message)
    }

    pub fn method_not_allowed(allowed: &str) -> Self {
        Self::new(
            405,
            ErrorType::InvalidRequestError,
            ErrorCode::MethodNotAllowed,
            format!("Method not allowed here; use {allowed}."),
        )
    }

    /// A field the gateway decides on, given more than once in one object.
    pub fn duplicate_field(key: &str) -> Self {
        Self::invalid_request(ErrorCode::DuplicateField, format!("The request body gives '{key}' more than once; give it once."))
            .with_param(key)
    }

    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(
            413,
            ErrorType::InvalidRequestError,
            ErrorCode::RequestTooLarge,
            format!("Request body is larger than the gateway's limit of {limit_bytes} bytes."),
        )
    }

    /// The provider could not be reached or did not answer in time.
    pub fn bad_gateway(code: ErrorCode, message: impl Into<String>) -> Self {
        let mut e = Self::new(502, ErrorType::UpstreamError, code, message);
        e.from_upstream = true;
        e
    }

    pub fn gateway_timeout(message: impl Into<String>) -> Self {
        let mut e = Self::new(504, ErrorType::UpstreamError, ErrorCode::UpstreamTimeout, message);
        e.from_upstream = true;
        e
    }

    /// A failure of the gateway itself. The message must stay generic: the
    /// detail belongs in the log, not in the response.
    pub fn internal(code: ErrorCode) -> Self {
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
                code: self.code.as_str(),
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
    GatewayError::invalid_request(ErrorCode::InvalidValue, message).with_param(param)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_their_wire_strings_and_read_back() {
        for code in ErrorCode::ALL {
            assert_eq!(&ErrorCode::parse(code.as_str()), code);
            assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{code}");
        }
        assert_eq!(ErrorCode::parse("overloaded_error"), ErrorCode::Provider("overloaded_error".into()));
        assert!(ErrorCode::BudgetExceeded.is_policy_decision() && !ErrorCode::UpstreamTimeout.is_policy_decision());
    }

    #[test]
    fn openai_shape_has_all_four_fields() {
        let e = GatewayError::invalid_request(ErrorCode::MissingModel, "you must name a model").with_param("model");
        let v: serde_json::Value = serde_json::from_str(&e.to_openai_json()).unwrap();
        assert_eq!(v["error"]["message"], "you must name a model");
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["code"], "missing_model");
        assert_eq!(v["error"]["param"], "model");
    }

    #[test]
    fn param_is_null_when_absent() {
        let v: serde_json::Value =
            serde_json::from_str(&GatewayError::unauthorized(ErrorCode::InvalidApiKey, "bad key").to_openai_json()).unwrap();
        assert!(v["error"]["param"].is_null());
        assert_eq!(v["error"]["type"], "authentication_error");
    }

    #[test]
    fn anthropic_shape() {
        let v: serde_json::Value =
            serde_json::from_str(&GatewayError::rate_limited(ErrorCode::RateLimitExceeded, "slow down").to_anthropic_json())
                .unwrap();
        assert_eq!(v["type"], "error");
        assert_eq!(v["error"]["type"], "rate_limit_error");
        assert_eq!(v["error"]["message"], "slow down");
    }

    #[test]
    fn messages_are_json_escaped() {
        let e = GatewayError::invalid_request(ErrorCode::InvalidValue, "quote \" and newline \n");
        let v: serde_json::Value = serde_json::from_str(&e.to_openai_json()).unwrap();
        assert_eq!(v["error"]["message"], "quote \" and newline \n");
    }

    #[test]
    fn internal_errors_hide_details() {
        let e = GatewayError::internal(ErrorCode::D1Unavailable);
        assert_eq!(e.status, 500);
        assert!(!e.message.contains("d1"));
    }
}
