//! Embeddings through `InvokeModel` (`POST /model/<id>/invoke`), in the two
//! shapes Bedrock's embedding models take:
//!
//! - Amazon Titan: one text a request, `{"inputText", "dimensions",
//!   "normalize"}` → `{"embedding": […], "inputTextTokenCount"}`;
//! - Cohere Embed (`cohere.embed-*`): up to 96 texts a request,
//!   `{"texts", "input_type"}` → `{"embeddings": [[…]]}` (v3) or
//!   `{"embeddings": {"float": [[…]]}}` (v4, typed). Cohere reports no
//!   token count in the body, so usage is estimated.

use super::endpoint::signed_post;
use super::response::PROVIDER;
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::providers::adapter::invalid_answer;
use crate::providers::model::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use crate::providers::client::chat::embeddings::estimate_tokens;
use crate::core::usage::Usage;
use crate::providers::{Target, UpstreamRequest};
use serde::Deserialize;
use serde_json::{json, Value};

/// Cohere's per-request limit on texts.
const COHERE_BATCH: usize = 96;

fn is_cohere(model: &str) -> bool {
    model.contains("cohere.embed")
}

/// The request body for one Titan input.
fn titan_body(model: &str, text: &str, dimensions: Option<u32>) -> Value {
    if model.contains("titan-embed-image") {
        let mut body = json!({ "inputText": text });
        if let Some(d) = dimensions {
            body["embeddingConfig"] = json!({ "outputEmbeddingLength": d });
        }
        body
    } else if model.contains("titan-embed-text-v1") || model.contains("titan-embed-g1-text") {
        // The first Titan text model takes no options.
        json!({ "inputText": text })
    } else {
        let mut body = json!({ "inputText": text, "normalize": true });
        if let Some(d) = dimensions {
            body["dimensions"] = json!(d);
        }
        body
    }
}

fn cohere_body(model: &str, texts: &[String], dimensions: Option<u32>) -> Value {
    let mut body = json!({ "texts": texts, "input_type": "search_document" });
    if model.contains("embed-v4") {
        body["embedding_types"] = json!(["float"]);
        if let Some(d) = dimensions {
            body["output_dimension"] = json!(d);
        }
    }
    body
}

fn to_vec(v: &Value) -> GatewayResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(|_| GatewayError::internal(ErrorCode::RequestEncoding))
}

pub fn build(req: &EmbeddingsRequest, target: &Target) -> GatewayResult<Vec<UpstreamRequest>> {
    let model = target.model_id;
    let bodies: Vec<Value> = if is_cohere(model) {
        req.inputs.chunks(COHERE_BATCH).map(|batch| cohere_body(model, batch, req.dimensions)).collect()
    } else {
        req.inputs.iter().map(|t| titan_body(model, t, req.dimensions)).collect()
    };
    bodies.iter().map(|b| signed_post(target, "invoke", to_vec(b)?, "application/json")).collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    /// Titan
    embedding: Option<Vec<f32>>,
    input_text_token_count: Option<u64>,
    /// Cohere: a list of vectors, or vectors by type.
    embeddings: Option<CohereEmbeddings>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CohereEmbeddings {
    Floats(Vec<Vec<f32>>),
    ByType { float: Vec<Vec<f32>> },
}

/// The answers in request order; Titan answers one vector each, Cohere a batch.
pub fn parse(bodies: &[Vec<u8>], req: &EmbeddingsRequest) -> GatewayResult<EmbeddingsResponse> {
    let mut vectors = Vec::with_capacity(req.inputs.len());
    let mut tokens: Option<u64> = Some(0);
    for body in bodies {
        let a: Answer = serde_json::from_slice(body)
            .map_err(|e| invalid_answer(PROVIDER, format_args!("not an embeddings answer ({e})")))?;
        match (a.embedding, a.embeddings) {
            (Some(v), _) => {
                vectors.push(v);
                tokens = tokens.zip(a.input_text_token_count).map(|(t, n)| t + n);
            }
            (None, Some(CohereEmbeddings::Floats(vs) | CohereEmbeddings::ByType { float: vs })) => {
                vectors.extend(vs);
                tokens = None;
            }
            (None, None) => return Err(invalid_answer(PROVIDER, "an embeddings answer without vectors")),
        }
    }
    if vectors.len() != req.inputs.len() {
        return Err(invalid_answer(
            PROVIDER,
            format_args!("{} vectors for {} inputs", vectors.len(), req.inputs.len()),
        ));
    }
    let prompt_tokens = tokens.unwrap_or_else(|| estimate_tokens(&req.inputs));
    Ok(EmbeddingsResponse { vectors, usage: Usage { prompt_tokens, ..Usage::default() } })
}
