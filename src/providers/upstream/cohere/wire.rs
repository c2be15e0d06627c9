//! Cohere v2's JSON, as small serde types: the chat request we send, the
//! chat answer, the stream events and the embed answer we read.
//!
//! Reading is lenient (every field optional, unknown fields ignored): the
//! adapter decides what a missing field means, so a new Cohere field never
//! breaks a request.

use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---- Request: POST /v2/chat ----

#[derive(Debug, Serialize)]
pub struct ChatBody<'a> {
    pub model: &'a str,
    pub messages: Vec<WireMessage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<WireTool<'a>>,
    /// `REQUIRED` or `NONE`; absent means the model chooses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<&'static str>,
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling (OpenAI's `top_p`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub stop_sequences: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<WireResponseFormat<'a>>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum WireMessage {
    System {
        content: String,
    },
    User {
        content: UserContent,
    },
    Assistant {
        #[serde(skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        /// Cohere refuses text `content` next to `tool_calls`; the text of
        /// such a turn travels here instead.
        #[serde(skip_serializing_if = "Option::is_none")]
        tool_plan: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<WireToolCall>,
    },
    Tool {
        tool_call_id: String,
        content: String,
    },
}

/// A plain string when the turn is one text, parts otherwise.
#[derive(Debug, Serialize, PartialEq)]
#[serde(untagged)]
pub enum UserContent {
    Text(String),
    Parts(Vec<UserPart>),
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserPart {
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ImageUrl {
    /// An http(s) URL or a `data:` URI.
    pub url: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct WireToolCall {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: WireFunctionCall,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct WireFunctionCall {
    pub name: String,
    pub arguments: String,
}

#[derive(Debug, Serialize)]
pub struct WireTool<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: WireFunction<'a>,
}

#[derive(Debug, Serialize)]
pub struct WireFunction<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    pub parameters: &'a Value,
}

#[derive(Debug, Serialize)]
pub struct WireResponseFormat<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<&'a Value>,
}

// ---- Answer: POST /v2/chat (not streamed) ----

#[derive(Debug, Default, Deserialize)]
pub struct ChatAnswer {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub message: Option<AnswerMessage>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AnswerMessage {
    #[serde(default)]
    pub content: Option<Vec<ContentItem>>,
    #[serde(default)]
    pub tool_calls: Option<Vec<AnswerToolCall>>,
    #[serde(default)]
    pub tool_plan: Option<String>,
}

/// `{"type":"text","text"}` or, from reasoning models, `{"type":"thinking","thinking"}`.
#[derive(Debug, Default, Deserialize)]
pub struct ContentItem {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub thinking: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AnswerToolCall {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub function: Option<AnswerFunction>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AnswerFunction {
    #[serde(default)]
    pub name: Option<String>,
    /// JSON text; an object is accepted too and written back as text.
    #[serde(default)]
    pub arguments: Option<Value>,
}

impl AnswerFunction {
    pub fn arguments_text(&self) -> String {
        match &self.arguments {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => String::new(),
            Some(other) => other.to_string(),
        }
    }
}

/// Token counts. Cohere sends numbers that its SDKs type as floats.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct WireUsage {
    #[serde(default)]
    pub billed_units: Option<WireUnits>,
    #[serde(default)]
    pub tokens: Option<WireUnits>,
    /// Prompt tokens served from Cohere's inference cache.
    #[serde(default)]
    pub cached_tokens: Option<f64>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct WireUnits {
    #[serde(default)]
    pub input_tokens: Option<f64>,
    #[serde(default)]
    pub output_tokens: Option<f64>,
}

// ---- Stream events (`data:` of each SSE event) ----

#[derive(Debug, Default, Deserialize)]
pub struct StreamData {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub index: Option<u32>,
    #[serde(default)]
    pub delta: Option<StreamDelta>,
    /// Present on an error object sent in place of an event.
    #[serde(default)]
    pub message: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StreamDelta {
    #[serde(default)]
    pub message: Option<DeltaMessage>,
    // message-end
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DeltaMessage {
    /// content-start / content-delta: one content item, not a list.
    #[serde(default)]
    pub content: Option<DeltaContent>,
    #[serde(default)]
    pub tool_plan: Option<String>,
    /// tool-call-start / tool-call-delta: one call, not a list.
    #[serde(default)]
    pub tool_calls: Option<DeltaToolCall>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
pub enum DeltaContent {
    /// message-start carries `content: []` (tried first: a struct would
    /// also accept an empty list).
    Many(Vec<Value>),
    One(ContentItem),
    #[default]
    Other,
}

#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
pub enum DeltaToolCall {
    /// message-start carries `tool_calls: []`.
    Many(Vec<Value>),
    One(AnswerToolCall),
    #[default]
    Other,
}

// ---- Embed: POST /v2/embed ----

#[derive(Debug, Serialize)]
pub struct EmbedBody<'a> {
    pub model: &'a str,
    pub texts: &'a [String],
    pub input_type: &'static str,
    pub embedding_types: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_dimension: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
pub struct EmbedAnswer {
    #[serde(default)]
    pub embeddings: Option<EmbedVectors>,
    #[serde(default)]
    pub meta: Option<WireUsage>,
}

#[derive(Debug, Default, Deserialize)]
pub struct EmbedVectors {
    #[serde(default, rename = "float")]
    pub float: Option<Vec<Vec<f32>>>,
}
