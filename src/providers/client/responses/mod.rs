//! OpenAI's Responses API (`/v1/responses`) as a *client* format: a request
//! is parsed into the internal chat model so any translating provider can
//! serve it, and the answer (whole or streamed) is encoded back as a
//! Response object or Responses stream events. The gateway keeps no state
//! here: `previous_response_id`, conversations and item references are
//! refused, and the client sends the whole conversation in `input`.
//!
//! `ResponsesObserver` watches OpenAI's own Responses stream when the
//! gateway forwards it untouched (usage, end, errors).

pub mod observer;
pub mod request;
pub mod response;
pub mod stream;

pub use observer::ResponsesObserver;
pub use request::{parse, Parsed};
pub use stream::ResponsesEncoder;

use serde_json::{json, Value};

/// What the answer must repeat or know about its request: OpenAI echoes
/// the request's settings in every Response object, and calls to `custom`
/// tools (sent to the provider as function tools) go back as
/// `custom_tool_call` items.
#[derive(Debug, Clone, PartialEq)]
pub struct Echo {
    /// Names of the request's `custom` (freeform) tools.
    pub custom_tools: Vec<String>,
    /// Built-in tools and tool namespaces left out for a non-OpenAI model.
    pub dropped_tools: Vec<String>,
    /// `instructions` as sent (null when absent).
    pub instructions: Value,
    /// `tools` as sent.
    pub tools: Value,
    /// `tool_choice` as sent (`"auto"` when absent).
    pub tool_choice: Value,
    pub parallel_tool_calls: bool,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_output_tokens: Option<u32>,
    /// `metadata` as sent (`{}` when absent).
    pub metadata: Value,
    /// `store` as sent; false when absent, since the gateway stores nothing.
    pub store: bool,
    /// `text` as sent, with `format` defaulting to `{"type":"text"}`.
    pub text: Value,
    /// `reasoning` as sent (`{"effort":null,"summary":null}` when absent).
    pub reasoning: Value,
    /// `truncation` as sent (`"disabled"` when absent).
    pub truncation: Value,
    pub user: Option<String>,
}

impl Default for Echo {
    fn default() -> Self {
        Echo {
            custom_tools: Vec::new(),
            dropped_tools: Vec::new(),
            instructions: Value::Null,
            tools: json!([]),
            tool_choice: json!("auto"),
            parallel_tool_calls: true,
            temperature: None,
            top_p: None,
            max_output_tokens: None,
            metadata: json!({}),
            store: false,
            text: json!({"format": {"type": "text"}}),
            reasoning: json!({"effort": null, "summary": null}),
            truncation: json!("disabled"),
            user: None,
        }
    }
}

impl Echo {
    /// True when `name` is one of the request's `custom` tools.
    pub fn is_custom(&self, name: &str) -> bool {
        self.custom_tools.iter().any(|n| n == name)
    }
}
