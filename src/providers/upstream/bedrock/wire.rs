//! Bedrock Converse / ConverseStream JSON, as serde types: the request the
//! gateway writes and the answers (whole and streamed) it reads.
//!
//! Content blocks are unions: exactly one member per object
//! (`{"text": …}`, `{"toolUse": {…}}`), which serde's externally tagged
//! enums write as they are. Answers are read leniently: unknown members
//! (`p` padding in stream events, `metrics`, `trace`) are ignored.

use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---- request ----

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConverseRequest {
    pub messages: Vec<Message>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub system: Vec<SystemBlock>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inference_config: Option<InferenceConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_config: Option<OutputConfig>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Message {
    /// `user` or `assistant`.
    pub role: &'static str,
    pub content: Vec<ContentBlock>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub enum ContentBlock {
    Text(String),
    Image(ImageBlock),
    ToolUse(ToolUseBlock),
    ToolResult(ToolResultBlock),
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ImageBlock {
    /// `png`, `jpeg`, `gif` or `webp`.
    pub format: &'static str,
    pub source: ImageBytes,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ImageBytes {
    /// Base64 (a blob in Bedrock's JSON protocol).
    pub bytes: String,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseBlock {
    pub tool_use_id: String,
    pub name: String,
    /// A JSON document (an object for every model that takes tools).
    pub input: Value,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultBlock {
    pub tool_use_id: String,
    pub content: Vec<ToolResultContent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub enum ToolResultContent {
    Text(String),
    Image(ImageBlock),
}

#[derive(Debug, Serialize, PartialEq)]
pub struct SystemBlock {
    pub text: String,
}

#[derive(Debug, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct InferenceConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
}

impl InferenceConfig {
    pub fn is_empty(&self) -> bool {
        *self == InferenceConfig::default()
    }
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig {
    pub tools: Vec<ToolEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ToolEntry {
    pub tool_spec: ToolSpec,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpec {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub input_schema: InputSchema,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct InputSchema {
    pub json: Value,
}

/// `{}` on the wire.
#[derive(Debug, Serialize, PartialEq)]
pub struct Empty {}

#[derive(Debug, Serialize, PartialEq)]
pub struct NamedTool {
    pub name: String,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub enum ToolChoice {
    Auto(Empty),
    Any(Empty),
    Tool(NamedTool),
}

/// Structured output: `{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{…}}}}`.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OutputConfig {
    pub text_format: TextFormat,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct TextFormat {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub structure: FormatStructure,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FormatStructure {
    pub json_schema: JsonSchemaDefinition,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct JsonSchemaDefinition {
    /// The schema as JSON text (Bedrock takes a string here).
    pub schema: String,
    pub name: String,
}

// ---- answers ----

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseResponse {
    pub output: Option<ResponseOutput>,
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
pub struct ResponseOutput {
    pub message: Option<ResponseMessage>,
}

#[derive(Debug, Deserialize)]
pub struct ResponseMessage {
    #[serde(default)]
    pub content: Vec<ResponseBlock>,
}

/// One content block of an answer; one member is set.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ResponseBlock {
    pub text: Option<String>,
    pub tool_use: Option<ResponseToolUse>,
    pub reasoning_content: Option<ReasoningBlock>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseToolUse {
    pub tool_use_id: String,
    pub name: String,
    #[serde(default)]
    pub input: Value,
}

/// `{"reasoningText":{"text","signature"}}` or `{"redactedContent": …}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasoningBlock {
    pub reasoning_text: Option<ReasoningText>,
}

#[derive(Debug, Deserialize)]
pub struct ReasoningText {
    pub text: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "camelCase", default)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub cache_write_input_tokens: u64,
}

// ---- stream event payloads (the event type is a frame header) ----

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockStart {
    #[serde(default)]
    pub content_block_index: u32,
    pub start: Option<BlockStart>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockStart {
    pub tool_use: Option<ToolUseStart>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseStart {
    pub tool_use_id: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockDelta {
    #[serde(default)]
    pub content_block_index: u32,
    pub delta: Option<BlockDelta>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockDelta {
    pub text: Option<String>,
    pub tool_use: Option<ToolUseDelta>,
    pub reasoning_content: Option<ReasoningDelta>,
}

#[derive(Debug, Deserialize)]
pub struct ToolUseDelta {
    #[serde(default)]
    pub input: String,
}

/// `{"text"}`, `{"signature"}` or `{"redactedContent"}`; only text is shown.
#[derive(Debug, Deserialize)]
pub struct ReasoningDelta {
    pub text: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageStop {
    pub stop_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Metadata {
    pub usage: Option<Usage>,
}

/// Exception frames and error bodies: `{"message": …}` (some services capitalise it).
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    #[serde(alias = "Message")]
    pub message: Option<String>,
}
