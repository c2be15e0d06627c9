//! Embeddings, provider-neutral.

use crate::core::usage::Usage;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EmbeddingsRequest {
    /// The upstream model id.
    pub model: String,
    pub inputs: Vec<String>,
    /// Requested vector size, where the model supports choosing it.
    pub dimensions: Option<u32>,
    /// OpenAI's `encoding_format` was "base64" (the answer is encoded again by the client format).
    pub base64: bool,
    pub user: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EmbeddingsResponse {
    /// One vector per input, in input order.
    pub vectors: Vec<Vec<f32>>,
    /// Prompt tokens; estimated by the adapter when the provider reports none.
    pub usage: Usage,
}
