//! Google's Gemini API (`generativelanguage.googleapis.com`, `v1beta`).
//!
//! The model is part of the URL: `/v1beta/models/{model}:generateContent`,
//! `:streamGenerateContent?alt=sse` and `:batchEmbedContents`; the key
//! travels in `x-goog-api-key` (the catalog's auth scheme).

mod embeddings;
mod errors;
mod json_array;
mod request;
mod response;
mod schema;
mod stream;
mod wire;

#[cfg(test)]
mod tests;

use crate::providers::adapter::{model_in_body, ChatAdapter, StreamDecoder};
use crate::providers::model::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use crate::providers::model::{ChatRequest, ChatResponse};
use crate::providers::{auth, Target, UpstreamRequest};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};

pub use stream::GeminiStream;

pub struct Gemini;

/// `models/{id}` (or a tuned model's own path), whatever form the id came in.
fn model_resource(model: &str) -> String {
    use crate::util::url_path::segment;
    match model.strip_prefix("tunedModels/") {
        Some(tuned) => format!("tunedModels/{}", segment(tuned)),
        None => format!("models/{}", segment(model.strip_prefix("models/").unwrap_or(model))),
    }
}

/// `{base}/v1beta/models/{model}:{method}`; a base URL that already ends in
/// an API version (`…/v1beta`, `…/v1`) keeps it.
fn method_url(base: &str, model: &str, method: &str) -> String {
    let base = base.trim_end_matches('/');
    let versioned = base.ends_with("/v1beta") || base.ends_with("/v1") || base.ends_with("/v1alpha");
    let version = if versioned { "" } else { "/v1beta" };
    format!("{base}{version}/{}:{method}", model_resource(model))
}

fn upstream(target: &Target, url: String, body: Vec<u8>, stream: bool) -> UpstreamRequest {
    let mut req = UpstreamRequest { method: "POST", url, headers: Vec::with_capacity(4), body: Some(body) };
    req.headers.push(("content-type".into(), "application/json".into()));
    req.headers.push(("accept".into(), if stream { "text/event-stream" } else { "application/json" }.into()));
    for (k, v) in &target.provider.default_headers {
        req.headers.push((k.clone(), v.clone()));
    }
    auth::apply(target.provider.auth, target.secret, &mut req);
    req
}

fn encode<T: serde::Serialize>(body: &T) -> GatewayResult<Vec<u8>> {
    serde_json::to_vec(body).map_err(|_| GatewayError::internal(ErrorCode::GeminiRequestEncode))
}

/// The model a native Gemini path names: `/v1beta/models/{model}:{method}`
/// (also under a prefix, or `tunedModels/{id}`).
fn model_in_path(path: &str) -> Option<String> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let start = ["/models/", "/tunedModels/"].iter().find_map(|m| path.find(m).map(|i| i + m.len()))?;
    let rest = &path[start..];
    let model = rest.split([':', '/']).next().unwrap_or(rest);
    (!model.is_empty()).then(|| model.to_string())
}

impl ChatAdapter for Gemini {
    fn build_chat(&self, req: &ChatRequest, target: &Target) -> GatewayResult<UpstreamRequest> {
        let model = if target.model_id.is_empty() { req.model.as_str() } else { target.model_id };
        let body = encode(&request::body(req, model)?)?;
        let url = if req.stream {
            format!("{}?alt=sse", method_url(target.base_url, model, "streamGenerateContent"))
        } else {
            method_url(target.base_url, model, "generateContent")
        };
        Ok(upstream(target, url, body, req.stream))
    }

    fn parse_chat(&self, body: &[u8]) -> GatewayResult<ChatResponse> {
        response::parse(body)
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::new(GeminiStream::new())
    }

    fn build_embeddings(&self, req: &EmbeddingsRequest, target: &Target) -> GatewayResult<Vec<UpstreamRequest>> {
        let model = if target.model_id.is_empty() { req.model.as_str() } else { target.model_id };
        let model = model.strip_prefix("models/").unwrap_or(model);
        let url = method_url(target.base_url, model, "batchEmbedContents");
        embeddings::bodies(req, model)
            .iter()
            .map(|body| Ok(upstream(target, url.clone(), encode(body)?, false)))
            .collect()
    }

    fn parse_embeddings(&self, bodies: &[Vec<u8>], req: &EmbeddingsRequest) -> GatewayResult<EmbeddingsResponse> {
        embeddings::parse(bodies, req)
    }

    fn error_from(&self, status: u16, body: &[u8], target: &Target) -> GatewayError {
        errors::normalize(status, body, target)
    }

    fn passthrough_model(&self, path: &str, body: &[u8]) -> Option<String> {
        model_in_path(path)
            .or_else(|| model_in_body(body).map(|m| m.strip_prefix("models/").map(str::to_string).unwrap_or(m)))
    }
}
