//! Cohere's v2 API (`/v2/chat`, `/v2/embed`), translated to and from the
//! internal chat model.
//!
//! - `wire`: serde types of Cohere's JSON.
//! - `request`: `ChatRequest` → `POST /v2/chat` (and the translation choices).
//! - `response`: the chat answer → `ChatResponse`; finish reasons and usage.
//! - `stream`: the SSE stream → `StreamEvent`s.
//! - `embeddings`: `POST /v2/embed`.
//!
//! Errors arrive as `{"id"?, "message"}` and are read by the shared
//! `upstream_error::normalize`. The model is named in the body, so native
//! pass-through reads it there (the trait's default).

pub mod embeddings;
pub mod request;
pub mod response;
pub mod stream;
pub mod wire;

use crate::providers::adapter::{ChatAdapter, StreamDecoder};
use crate::providers::model::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use crate::providers::model::{ChatRequest, ChatResponse};
use crate::providers::{Target, UpstreamRequest};
use crate::core::error::GatewayResult;

pub struct Cohere;

impl ChatAdapter for Cohere {
    fn build_chat(&self, req: &ChatRequest, target: &Target) -> GatewayResult<UpstreamRequest> {
        request::build(req, target)
    }

    fn parse_chat(&self, body: &[u8]) -> GatewayResult<ChatResponse> {
        response::parse(body)
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::new(stream::Decoder::new())
    }

    fn build_embeddings(&self, req: &EmbeddingsRequest, target: &Target) -> GatewayResult<Vec<UpstreamRequest>> {
        embeddings::build(req, target)
    }

    fn parse_embeddings(&self, bodies: &[Vec<u8>], req: &EmbeddingsRequest) -> GatewayResult<EmbeddingsResponse> {
        embeddings::parse(bodies, req)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::error::ErrorType;
    use crate::catalog::{catalog, AdapterKind};
    use crate::providers::adapter::adapter_for;
    use crate::providers::client::chat as openai_format;
    use serde_json::Value;

    static CONFIG: Value = Value::Null;

    /// The catalog's Cohere entry, aimed at the real API.
    pub fn target(secret: Option<&'static str>) -> Target<'static> {
        Target {
            provider: catalog().provider("cohere").unwrap(),
            model_id: "command-a-03-2025",
            base_url: "https://api.cohere.com",
            secret,
            config: &CONFIG,
            now_ms: 0,
        }
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/cohere/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn registered_for_its_kind() {
        let p = catalog().provider("cohere").unwrap();
        assert_eq!(p.adapter, AdapterKind::Cohere);
        assert!(adapter_for(AdapterKind::Cohere).is_some());
    }

    #[test]
    fn error_bodies_keep_status_and_message() {
        let t = target(Some("co-secret-123456"));
        let e = Cohere.error_from(400, &fixture("error_400.json"), &t);
        assert_eq!((e.status, e.error_type), (400, ErrorType::InvalidRequestError));
        assert_eq!(e.message, "cohere: invalid request: all elements in history must have a message.");
        let e = Cohere.error_from(429, &fixture("error_429.json"), &t);
        assert_eq!(e.error_type, ErrorType::RateLimitError);
        assert!(e.message.contains("Trial key"));
        let e = Cohere.error_from(401, &fixture("error_401.json"), &t);
        assert_eq!(e.code, "provider_auth_failed");
    }

    #[test]
    fn passthrough_model_is_in_the_body() {
        assert_eq!(Cohere.passthrough_model("/v2/chat", br#"{"model":"command-a-03-2025"}"#).as_deref(), Some("command-a-03-2025"));
    }

    /// OpenAI request → Cohere request → Cohere answer → OpenAI answer.
    #[test]
    fn round_trip_through_the_openai_format() {
        let openai = serde_json::json!({
            "model": "cohere/command-a-03-2025",
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]
        });
        let req = openai_format::request::parse(&openai, "command-a-03-2025").unwrap();
        let up = Cohere.build_chat(&req, &target(Some("k"))).unwrap();
        let body: Value = serde_json::from_slice(up.body.as_ref().unwrap()).unwrap();
        assert_eq!(body["messages"][0], serde_json::json!({"role": "system", "content": "Be brief."}));
        let answer = Cohere.parse_chat(&fixture("response_text.json")).unwrap();
        let out: Value = serde_json::from_slice(&openai_format::response::to_json(&answer, "r", "command-a-03-2025", 1)).unwrap();
        assert_eq!(out["id"], "c14c80c3-18eb-4519-9460-6c92edd8cfb4");
        assert_eq!(out["choices"][0]["message"]["content"], "Paris is the capital of France. It is known for the Eiffel Tower.");
        assert_eq!(out["choices"][0]["finish_reason"], "stop");
        assert_eq!(out["usage"]["total_tokens"], 1223);
    }

    #[test]
    fn stream_round_trip_to_openai_chunks() {
        let mut decoder = Cohere.stream_decoder();
        let mut enc = openai_format::chunks::ChunkEncoder::new("r", "command-a-03-2025", 1, true);
        let mut out = Vec::new();
        for c in fixture("stream_tool_calls.sse").chunks(13) {
            for e in decoder.push(c) {
                out.extend(enc.encode(e));
            }
        }
        for e in decoder.finish() {
            out.extend(enc.encode(e));
        }
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("data: [DONE]\n\n"));
        assert_eq!(text.matches("data: [DONE]").count(), 1);
        assert!(text.contains("\"finish_reason\":\"tool_calls\""));
        assert!(text.contains("\"id\":\"get_weather_2ykb1xmzvi0b\""));
        assert!(text.contains("\"prompt_tokens\":1422"));
    }
}
