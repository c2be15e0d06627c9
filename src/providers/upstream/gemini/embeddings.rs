//! Embeddings through `batchEmbedContents`: one request per batch of up to
//! 100 inputs (Gemini's batch limit). Gemini reports no token count, so
//! usage is estimated from the inputs.

use super::response::PROVIDER;
use super::wire::{BatchEmbedRequest, BatchEmbedResponse, EmbedContent, EmbedRequest, Part};
use crate::core::error::GatewayResult;
use crate::providers::adapter::invalid_answer;
use crate::providers::model::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use crate::providers::client::chat::embeddings::estimate_tokens;
use crate::core::usage::Usage;

pub const BATCH: usize = 100;

/// The bodies, one per batch; `model` is the bare model id.
pub fn bodies(req: &EmbeddingsRequest, model: &str) -> Vec<BatchEmbedRequest> {
    req.inputs
        .chunks(BATCH)
        .map(|batch| BatchEmbedRequest {
            requests: batch
                .iter()
                .map(|text| EmbedRequest {
                    model: format!("models/{model}"),
                    content: EmbedContent { parts: vec![Part::text(text.clone())] },
                    output_dimensionality: req.dimensions,
                })
                .collect(),
        })
        .collect()
}

pub fn parse(bodies: &[Vec<u8>], req: &EmbeddingsRequest) -> GatewayResult<EmbeddingsResponse> {
    let mut vectors = Vec::with_capacity(req.inputs.len());
    for body in bodies {
        let r: BatchEmbedResponse = serde_json::from_slice(body)
            .map_err(|_| invalid_answer(PROVIDER, "the body is not a batchEmbedContents answer"))?;
        vectors.extend(r.embeddings.into_iter().map(|e| e.values));
    }
    if vectors.len() != req.inputs.len() {
        return Err(invalid_answer(PROVIDER, format!("{} embeddings for {} inputs", vectors.len(), req.inputs.len())));
    }
    Ok(EmbeddingsResponse {
        vectors,
        usage: Usage { prompt_tokens: estimate_tokens(&req.inputs), ..Default::default() },
    })
}
