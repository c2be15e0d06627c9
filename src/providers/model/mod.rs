//! The one internal model every translating adapter converts to and from.
//!
//! Client formats (OpenAI chat completions; later Anthropic Messages and the
//! Responses API) are parsed into `ChatRequest`; each provider adapter turns
//! a `ChatRequest` into its own wire format and its answer back into a
//! `ChatResponse` or a sequence of `StreamEvent`s, which the client format
//! encodes again. N client formats + M providers = N + M converters.

pub mod embeddings;

use super::usage::Usage;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
    /// A tool's result, answering an assistant tool call (`tool_call_id`).
    Tool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImageSource {
    /// An http(s) URL the provider fetches itself.
    Url(String),
    /// Inline bytes (from a `data:` URL or a base64 block).
    Base64 { media_type: String, data: String },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ContentPart {
    Text(String),
    Image(ImageSource),
}

impl ContentPart {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ContentPart::Text(t) => Some(t),
            ContentPart::Image(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The arguments as JSON text, exactly as the model produced them.
    pub arguments: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub content: Vec<ContentPart>,
    /// Assistant turns: the tools it called.
    pub tool_calls: Vec<ToolCall>,
    /// Tool turns: which call this answers.
    pub tool_call_id: Option<String>,
}

impl Message {
    /// All text parts concatenated (images left out), as OpenAI reads a
    /// content array, for APIs that take one string.
    pub fn text(&self) -> String {
        self.content.iter().filter_map(ContentPart::as_text).collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    pub name: String,
    pub description: Option<String>,
    /// JSON Schema of the arguments (an object schema).
    pub parameters: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ToolChoice {
    Auto,
    None,
    /// The model must call some tool.
    Required,
    /// The model must call this tool.
    Function(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResponseFormat {
    Text,
    JsonObject,
    /// `json_schema`: name and schema.
    JsonSchema { name: String, schema: Value },
}

/// A chat request, provider-neutral.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRequest {
    /// The upstream model id (without the `provider/` prefix).
    pub model: String,
    /// System and developer messages, in order. Providers with a single
    /// top-level system prompt join them with a blank line.
    pub system: Vec<String>,
    pub messages: Vec<Message>,
    pub tools: Vec<Tool>,
    pub tool_choice: Option<ToolChoice>,
    pub parallel_tool_calls: Option<bool>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub stop: Vec<String>,
    pub stream: bool,
    /// The client asked for a usage chunk at the end of the stream.
    pub include_usage: bool,
    pub response_format: Option<ResponseFormat>,
    pub seed: Option<i64>,
    pub presence_penalty: Option<f64>,
    pub frequency_penalty: Option<f64>,
    pub user: Option<String>,
    /// `low` / `medium` / `high` where the provider supports reasoning effort.
    pub reasoning_effort: Option<String>,
}

impl ChatRequest {
    /// The system prompt as one text, `None` when there is none.
    pub fn system_text(&self) -> Option<String> {
        (!self.system.is_empty()).then(|| self.system.join("\n\n"))
    }

    /// The name of the tool a tool call id refers to, from earlier assistant
    /// turns (Gemini answers tool results by name, not id).
    pub fn tool_name_for_call(&self, call_id: &str) -> Option<&str> {
        self.messages
            .iter()
            .flat_map(|m| m.tool_calls.iter())
            .find(|c| c.id == call_id)
            .map(|c| c.name.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
}

impl FinishReason {
    /// OpenAI's `finish_reason` value.
    pub fn as_openai(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::ContentFilter => "content_filter",
        }
    }
}

/// A complete (non-streamed) answer, provider-neutral.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatResponse {
    /// The provider's id for the answer, when it gives one.
    pub id: Option<String>,
    /// The model that answered, as the provider names it.
    pub model: Option<String>,
    pub text: Option<String>,
    /// Reasoning / thinking text, when the provider exposes it.
    pub reasoning: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub finish_reason: Option<FinishReason>,
    pub usage: Option<Usage>,
}

/// What a provider stream says, event by event, provider-neutral.
///
/// Tool calls are numbered by `index` in the order the provider started
/// them (0, 1, …) — decoders map the provider's own block indexes to these.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// The answer begins (id and model when the provider says them).
    Start { id: Option<String>, model: Option<String> },
    TextDelta(String),
    ReasoningDelta(String),
    ToolCallStart { index: u32, id: String, name: String },
    ToolCallArgs { index: u32, delta: String },
    Finish(FinishReason),
    /// Usage so far; a later `Usage` replaces an earlier one.
    Usage(Usage),
    /// The provider reported an error inside the stream.
    Error { message: String },
    /// The stream ended properly.
    Done,
}
