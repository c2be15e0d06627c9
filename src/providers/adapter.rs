//! The contract a translating provider adapter fulfils, and the registry
//! that picks one by the catalog's `adapter` kind.
//!
//! Adding a provider with a new wire format is one folder under
//! `providers/upstream/` implementing `ChatAdapter` and one line in the
//! registration list (`core::wire_formats`); the test below fails until
//! `schema/provider.schema.json` names it too.

use super::model::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use super::model::{ChatRequest, ChatResponse, StreamEvent};
use super::{upstream_error, Target, UpstreamRequest};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::catalog::AdapterKind;

/// Turns a provider's stream bytes into provider-neutral events. Stateful:
/// it keeps partial frames, block-index → tool-call-index maps, ids.
pub trait StreamDecoder {
    fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent>;
    /// The upstream ended: events still held (an unterminated last frame).
    fn finish(&mut self) -> Vec<StreamEvent>;
}

pub trait ChatAdapter: Sync {
    /// The provider's request for a chat turn (streaming or not, per `req.stream`).
    fn build_chat(&self, req: &ChatRequest, target: &Target) -> GatewayResult<UpstreamRequest>;

    /// A complete answer in the provider's format.
    fn parse_chat(&self, body: &[u8]) -> GatewayResult<ChatResponse>;

    /// A decoder for the provider's streamed answer.
    fn stream_decoder(&self) -> Box<dyn StreamDecoder>;

    /// Embeddings: one or more provider requests (some providers take one input per call).
    fn build_embeddings(&self, _req: &EmbeddingsRequest, target: &Target) -> GatewayResult<Vec<UpstreamRequest>> {
        Err(unsupported(target, "embeddings"))
    }

    /// The answers to `build_embeddings`' requests, in the same order.
    fn parse_embeddings(&self, _bodies: &[Vec<u8>], _req: &EmbeddingsRequest) -> GatewayResult<EmbeddingsResponse> {
        Err(GatewayError::internal(ErrorCode::EmbeddingsNotBuilt))
    }

    /// The provider's error body, in the gateway's shape (status kept).
    fn error_from(&self, status: u16, body: &[u8], target: &Target) -> GatewayError {
        upstream_error::normalize(status, body, &target.provider.id, target.secret)
    }

    /// For native pass-through: the model a request names, from its URL path
    /// or body (so usage can be priced).
    fn passthrough_model(&self, _path: &str, body: &[u8]) -> Option<String> {
        model_in_body(body)
    }
}

/// The `model` field of a JSON body.
pub fn model_in_body(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct M {
        model: Option<String>,
    }
    serde_json::from_slice::<M>(body).ok().and_then(|m| m.model)
}

pub fn unsupported(target: &Target, endpoint: &str) -> GatewayError {
    GatewayError::invalid_request(
        ErrorCode::UnsupportedForProvider,
        format!("Provider '{}' does not serve the {endpoint} endpoint.", target.provider.id),
    )
    .with_param("model")
}

/// A provider answer the adapter could not read: the provider broke its own format.
pub fn invalid_answer(provider: &str, what: impl std::fmt::Display) -> GatewayError {
    GatewayError::bad_gateway(ErrorCode::UpstreamInvalidResponse, format!("{provider} sent an answer the gateway could not read: {what}."))
}

/// The translating adapter for a wire format; `None` for formats the
/// gateway forwards as they are (OpenAI and Azure OpenAI).
pub fn adapter_for(kind: AdapterKind) -> Option<&'static dyn ChatAdapter> {
    super::upstream::adapter(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wire_format_is_registered_once_and_in_the_schema() {
        let schema: serde_json::Value = serde_json::from_str(include_str!("../../schema/provider.schema.json")).unwrap();
        let named: Vec<&str> = schema["properties"]["adapter"]["enum"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
        let mut listed: Vec<&str> = AdapterKind::ALL.iter().map(|k| k.name()).collect();
        let mut in_schema = named.clone();
        listed.sort();
        in_schema.sort();
        assert_eq!(listed, in_schema, "schema/provider.schema.json and AdapterKind::ALL disagree");
        for &kind in AdapterKind::ALL {
            let parsed: AdapterKind = serde_json::from_value(serde_json::json!(kind.name())).unwrap();
            assert_eq!(parsed, kind, "{}", kind.name());
            assert_eq!(adapter_for(kind).is_none(), kind.speaks_openai(), "{}: a translated format needs an adapter", kind.name());
        }
    }
}
