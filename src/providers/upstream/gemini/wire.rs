//! Gemini's JSON, as the `generateContent` family of endpoints speaks it
//! (`v1beta`, camelCase). Requests are built from these types; answers are
//! read leniently (every field optional) so that a new field or a missing
//! one never turns a good answer into an error.

use crate::core::usage::Usage;
use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---------------------------------------------------------------- requests

#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentRequest {
    pub contents: Vec<Content>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_instruction: Option<SystemInstruction>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolDeclarations>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation_config: Option<GenerationConfig>,
}

/// One turn: `user` or `model`, and its parts.
#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct Content {
    pub role: &'static str,
    pub parts: Vec<Part>,
}

#[derive(Debug, Serialize)]
pub struct SystemInstruction {
    pub parts: Vec<Part>,
}

/// A part is one of text / inlineData / fileData / functionCall /
/// functionResponse, with an optional `thoughtSignature` beside it.
#[derive(Debug, Serialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    #[serde(flatten)]
    pub data: PartData,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thought_signature: Option<String>,
}

impl Part {
    pub fn new(data: PartData) -> Part {
        Part { data, thought_signature: None }
    }

    pub fn text(text: impl Into<String>) -> Part {
        Part::new(PartData::Text(text.into()))
    }
}

/// Externally tagged: serializes as `{"text": …}`, `{"inlineData": {…}}`, ….
#[derive(Debug, Serialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub enum PartData {
    Text(String),
    InlineData(Blob),
    FileData(FileData),
    FunctionCall(FunctionCallOut),
    FunctionResponse(FunctionResponse),
}

#[derive(Debug, Serialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Blob {
    pub mime_type: String,
    pub data: String,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FileData {
    pub mime_type: String,
    pub file_uri: String,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct FunctionCallOut {
    pub name: String,
    pub args: Value,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct FunctionResponse {
    pub name: String,
    /// Always a JSON object (Gemini's `Struct`).
    pub response: Value,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolDeclarations {
    pub function_declarations: Vec<FunctionDeclaration>,
}

#[derive(Debug, Serialize)]
pub struct FunctionDeclaration {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Gemini's OpenAPI-subset schema; absent for functions without arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig {
    pub function_calling_config: FunctionCallingConfig,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionCallingConfig {
    /// `AUTO`, `ANY` or `NONE`.
    pub mode: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_function_names: Vec<String>,
}

#[derive(Debug, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GenerationConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_mime_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_schema: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_config: Option<ThinkingConfig>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ThinkingConfig {
    pub include_thoughts: bool,
    pub thinking_budget: u32,
}

// ---------------------------------------------------------------- answers

/// A `generateContent` answer, or one event of a `streamGenerateContent` stream.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct GenerateContentResponse {
    pub candidates: Vec<Candidate>,
    pub prompt_feedback: Option<PromptFeedback>,
    pub usage_metadata: Option<UsageMetadata>,
    pub model_version: Option<String>,
    pub response_id: Option<String>,
    /// An error reported inside a 200 stream.
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Candidate {
    pub content: Option<ContentIn>,
    pub finish_reason: Option<String>,
    pub index: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ContentIn {
    pub parts: Vec<PartIn>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PartIn {
    pub text: Option<String>,
    /// True for a thought (reasoning summary) part.
    pub thought: bool,
    pub function_call: Option<FunctionCallIn>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct FunctionCallIn {
    pub id: Option<String>,
    pub name: String,
    pub args: Option<Value>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PromptFeedback {
    pub block_reason: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "camelCase", default)]
pub struct UsageMetadata {
    pub prompt_token_count: u64,
    pub candidates_token_count: u64,
    pub cached_content_token_count: u64,
    pub thoughts_token_count: u64,
    pub tool_use_prompt_token_count: u64,
    pub total_token_count: u64,
}

impl UsageMetadata {
    /// Gemini's counts in OpenAI's semantics: the prompt includes cached
    /// tokens (as Gemini's `promptTokenCount` already does) and the tokens of
    /// tool-use prompts; thoughts are completion tokens and reasoning tokens.
    pub fn normalized(&self) -> Usage {
        Usage {
            prompt_tokens: self.prompt_token_count + self.tool_use_prompt_token_count,
            completion_tokens: self.candidates_token_count + self.thoughts_token_count,
            cached_tokens: self.cached_content_token_count,
            cache_creation_tokens: 0,
            reasoning_tokens: self.thoughts_token_count,
            images: 0,
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ErrorBody {
    pub code: Option<Value>,
    pub message: Option<String>,
    pub status: Option<String>,
}

impl ErrorBody {
    pub fn describe(&self) -> String {
        let message = self.message.as_deref().unwrap_or("stream error");
        match &self.status {
            Some(status) => format!("{status}: {message}"),
            None => message.to_string(),
        }
    }
}

// ------------------------------------------------------------- embeddings

#[derive(Debug, Serialize)]
pub struct BatchEmbedRequest {
    pub requests: Vec<EmbedRequest>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbedRequest {
    /// `models/{model}`: must match the model in the URL.
    pub model: String,
    pub content: EmbedContent,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_dimensionality: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct EmbedContent {
    pub parts: Vec<Part>,
}

#[derive(Debug, Deserialize)]
pub struct BatchEmbedResponse {
    pub embeddings: Vec<Embedding>,
}

#[derive(Debug, Deserialize)]
pub struct Embedding {
    pub values: Vec<f32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parts_serialize_in_gemini_shape() {
        let mut call = Part::new(PartData::FunctionCall(FunctionCallOut { name: "f".into(), args: json!({"a": 1}) }));
        call.thought_signature = Some("sig".into());
        let parts = vec![
            Part::text("hi"),
            Part::new(PartData::InlineData(Blob { mime_type: "image/png".into(), data: "AAAA".into() })),
            call,
        ];
        assert_eq!(
            serde_json::to_value(parts).unwrap(),
            json!([
                {"text": "hi"},
                {"inlineData": {"mimeType": "image/png", "data": "AAAA"}},
                {"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": "sig"}
            ])
        );
    }

    #[test]
    fn usage_counts_thoughts_as_completion() {
        let u: UsageMetadata = serde_json::from_value(json!({
            "promptTokenCount": 100, "candidatesTokenCount": 20, "cachedContentTokenCount": 60,
            "thoughtsTokenCount": 30, "totalTokenCount": 150
        }))
        .unwrap();
        let n = u.normalized();
        assert_eq!((n.prompt_tokens, n.completion_tokens, n.cached_tokens, n.reasoning_tokens), (100, 50, 60, 30));
        assert_eq!(n.total_tokens(), u.total_token_count);
    }
}
