//! Anthropic's Messages API (`POST /v1/messages`): Claude models.
//!
//! - `wire`: the JSON shapes of requests, answers and usage;
//! - `request`: `ChatRequest` → Messages request (turn merging, tool
//!   results, `max_tokens` default, JSON mode by instruction);
//! - `response`: answer → `ChatResponse` (stop reasons, cache usage);
//! - `stream`: the named-event SSE stream → `StreamEvent`s.
//!
//! Errors (`{"type":"error","error":{"type","message"}}`) are read by the
//! shared `upstream_error::normalize`; Anthropic has no embeddings endpoint.

mod request;
mod response;
mod stream;
mod wire;

use crate::providers::adapter::{ChatAdapter, StreamDecoder};
use crate::providers::model::{ChatRequest, ChatResponse};
use crate::providers::{Target, UpstreamRequest};
use crate::core::error::GatewayResult;

pub struct Anthropic;

impl ChatAdapter for Anthropic {
    fn build_chat(&self, req: &ChatRequest, target: &Target) -> GatewayResult<UpstreamRequest> {
        request::build(req, target)
    }

    fn parse_chat(&self, body: &[u8]) -> GatewayResult<ChatResponse> {
        response::parse(body)
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::new(stream::MessagesStream::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorType;
    use crate::catalog::{catalog, AdapterKind};
    use crate::providers::adapter::adapter_for;
    use crate::providers::model::embeddings::EmbeddingsRequest;

    fn target() -> Target<'static> {
        static CONFIG: serde_json::Value = serde_json::Value::Null;
        Target {
            provider: catalog().provider("anthropic").unwrap(),
            model_id: "claude-haiku-4-5",
            base_url: "https://api.anthropic.com",
            secret: Some("sk-ant-api03-secretsecret"),
            config: &CONFIG,
            now_ms: 0,
        }
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/anthropic/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn registered_for_its_kind() {
        assert!(adapter_for(AdapterKind::Anthropic).is_some());
        assert_eq!(catalog().provider("anthropic").unwrap().adapter, AdapterKind::Anthropic);
    }

    #[test]
    fn provider_errors_keep_status_and_type() {
        let t = target();
        let e = Anthropic.error_from(529, &fixture("error_overloaded.json"), &t);
        assert_eq!((e.status, e.code.as_str(), e.error_type), (529, "overloaded_error", ErrorType::UpstreamError));
        assert!(e.message.contains("Overloaded"));
        let e = Anthropic.error_from(429, &fixture("error_rate_limit.json"), &t);
        assert_eq!((e.code.as_str(), e.error_type), ("rate_limit_error", ErrorType::RateLimitError));
        let e = Anthropic.error_from(400, &fixture("error_invalid_request.json"), &t);
        assert_eq!((e.code.as_str(), e.error_type), ("invalid_request_error", ErrorType::InvalidRequestError));
        assert!(e.message.contains("tool_use_id"));
        let e = Anthropic.error_from(401, &fixture("error_authentication.json"), &t);
        assert_eq!((e.status, e.code.as_str()), (401, "provider_auth_failed"));
    }

    #[test]
    fn no_embeddings() {
        let e = Anthropic.build_embeddings(&EmbeddingsRequest::default(), &target()).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (400, "unsupported_for_provider"));
    }

    #[test]
    fn passthrough_model_from_the_body() {
        let body = br#"{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}"#;
        assert_eq!(Anthropic.passthrough_model("/v1/messages", body).as_deref(), Some("claude-sonnet-4-5"));
    }
}
