//! AWS Bedrock Runtime through its model-neutral Converse API.
//!
//! - Chat: `POST {base}/model/{modelId}/converse` (JSON) and
//!   `…/converse-stream` (the binary AWS event stream, `eventstream.rs`).
//! - Embeddings: `POST {base}/model/{modelId}/invoke` with Titan or Cohere
//!   bodies (`embeddings.rs`).
//! - Every request is signed with AWS Signature Version 4 (`sigv4.rs`,
//!   service `bedrock`); the provider key is
//!   `ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]` and the region comes
//!   from the key's `region` setting or the base URL (`endpoint.rs`).
//! - The model id is a URL path segment, percent-encoded (`:` → `%3A`);
//!   native pass-through reads it back from the path.
//! - Errors are `{"message": …}` with the type in `x-amzn-errortype`; the
//!   shared normalizer reads `message`.

pub mod embeddings;
pub mod endpoint;
pub mod eventstream;
pub mod request;
pub mod response;
pub mod sigv4;
pub mod stream;
pub mod wire;

#[cfg(test)]
mod tests;

use crate::providers::adapter::{model_in_body, ChatAdapter, StreamDecoder};
use crate::providers::model::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use crate::providers::model::{ChatRequest, ChatResponse};
use crate::providers::{Target, UpstreamRequest};
use crate::core::error::GatewayResult;

pub struct Bedrock;

/// The content type of ConverseStream answers.
pub const EVENT_STREAM: &str = "application/vnd.amazon.eventstream";

impl ChatAdapter for Bedrock {
    fn build_chat(&self, req: &ChatRequest, target: &Target) -> GatewayResult<UpstreamRequest> {
        let body = request::body(req)?;
        let (action, accept) = if req.stream { ("converse-stream", EVENT_STREAM) } else { ("converse", "application/json") };
        endpoint::signed_post(target, action, body, accept)
    }

    fn parse_chat(&self, body: &[u8]) -> GatewayResult<ChatResponse> {
        response::parse(body)
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::new(stream::ConverseStream::new())
    }

    fn build_embeddings(&self, req: &EmbeddingsRequest, target: &Target) -> GatewayResult<Vec<UpstreamRequest>> {
        embeddings::build(req, target)
    }

    fn parse_embeddings(&self, bodies: &[Vec<u8>], req: &EmbeddingsRequest) -> GatewayResult<EmbeddingsResponse> {
        embeddings::parse(bodies, req)
    }

    /// `…/model/{modelId}/{converse|converse-stream|invoke|invoke-with-response-stream}`.
    fn passthrough_model(&self, path: &str, body: &[u8]) -> Option<String> {
        endpoint::model_from_path(path).or_else(|| model_in_body(body))
    }
}
