//! Anthropic Messages API wire types: the request body the gateway sends,
//! the answer it reads, and the usage object both share.
//!
//! Request types borrow from the `ChatRequest` they are built from; answer
//! types are lenient (unknown block kinds and fields are ignored) so that a
//! new Anthropic feature does not break reading the parts the gateway needs.

use crate::core::usage::Usage;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Serialize)]
pub struct MessagesRequest<'a> {
    pub model: &'a str,
    pub max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub messages: Vec<Turn<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolDef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub stop_sequences: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TurnRole {
    User,
    Assistant,
}

/// One message; Anthropic wants user and assistant turns to alternate.
#[derive(Debug, Serialize)]
pub struct Turn<'a> {
    pub role: TurnRole,
    pub content: Vec<Block<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block<'a> {
    Text { text: &'a str },
    Image { source: Source<'a> },
    /// PDFs arrive as `data:application/pdf;base64,…` image URLs.
    Document { source: Source<'a> },
    ToolUse { id: &'a str, name: &'a str, input: Value },
    ToolResult {
        tool_use_id: &'a str,
        /// Left out for a tool that returned nothing.
        #[serde(skip_serializing_if = "Option::is_none")]
        content: Option<ToolResultContent<'a>>,
    },
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ToolResultContent<'a> {
    Text(String),
    /// Used only when the result carries images.
    Blocks(Vec<Block<'a>>),
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source<'a> {
    Base64 { media_type: &'a str, data: &'a str },
    Url { url: &'a str },
}

#[derive(Debug, Serialize)]
pub struct ToolDef<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    pub input_schema: &'a Value,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice<'a> {
    Auto {
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        disable_parallel_tool_use: bool,
    },
    Any {
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        disable_parallel_tool_use: bool,
    },
    Tool {
        name: &'a str,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        disable_parallel_tool_use: bool,
    },
    None,
}

#[derive(Debug, Serialize)]
pub struct Metadata<'a> {
    pub user_id: &'a str,
}

/// A complete answer (`"type": "message"`), also the `message` of a
/// stream's `message_start` event (with empty `content` there).
#[derive(Debug, Deserialize)]
pub struct MessagesResponse {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    pub content: Vec<ContentBlock>,
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
}

/// An answer's content block. Server tools, citations-only and redacted
/// thinking blocks carry nothing an OpenAI client can receive.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    Thinking {
        #[serde(default)]
        thinking: String,
    },
    #[serde(other)]
    Other,
}

/// Anthropic's usage: `input_tokens` excludes cache reads and writes.
/// Every field is optional because `message_delta` events send only some.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub struct WireUsage {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Overwrites the counters `later` reports (stream totals are cumulative).
    pub fn update(&mut self, later: &WireUsage) {
        let keep = |old: &mut Option<u64>, new: Option<u64>| {
            if new.is_some() {
                *old = new;
            }
        };
        keep(&mut self.input_tokens, later.input_tokens);
        keep(&mut self.output_tokens, later.output_tokens);
        keep(&mut self.cache_creation_input_tokens, later.cache_creation_input_tokens);
        keep(&mut self.cache_read_input_tokens, later.cache_read_input_tokens);
    }

    /// OpenAI semantics: prompt tokens include cache reads and writes.
    pub fn normalize(&self) -> Usage {
        let read = self.cache_read_input_tokens.unwrap_or(0);
        let written = self.cache_creation_input_tokens.unwrap_or(0);
        Usage {
            prompt_tokens: self.input_tokens.unwrap_or(0) + read + written,
            completion_tokens: self.output_tokens.unwrap_or(0),
            cached_tokens: read,
            cache_creation_tokens: written,
            ..Usage::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_counts_cache_into_prompt() {
        let u: WireUsage = serde_json::from_str(
            r#"{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000}"#,
        )
        .unwrap();
        let n = u.normalize();
        assert_eq!((n.prompt_tokens, n.completion_tokens, n.cached_tokens, n.cache_creation_tokens), (1110, 5, 1000, 100));
        assert_eq!(n.total_tokens(), 1115);
    }

    #[test]
    fn usage_update_keeps_what_is_not_resent() {
        let mut u = WireUsage { input_tokens: Some(7), output_tokens: Some(1), cache_read_input_tokens: Some(3), ..Default::default() };
        u.update(&WireUsage { output_tokens: Some(40), ..Default::default() });
        assert_eq!(u, WireUsage { input_tokens: Some(7), output_tokens: Some(40), cache_read_input_tokens: Some(3), ..Default::default() });
    }

    #[test]
    fn unknown_blocks_are_tolerated() {
        let r: MessagesResponse = serde_json::from_str(
            r#"{"id":"m","content":[{"type":"server_tool_use","id":"s","name":"web_search","input":{}},{"type":"redacted_thinking","data":"x"},{"type":"text","text":"hi","citations":[]}]}"#,
        )
        .unwrap();
        assert!(matches!(r.content[0], ContentBlock::Other));
        assert!(matches!(r.content[1], ContentBlock::Other));
        assert!(matches!(&r.content[2], ContentBlock::Text { text } if text == "hi"));
    }
}
