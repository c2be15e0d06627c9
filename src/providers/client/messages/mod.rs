//! Anthropic's Messages API (`POST /v1/messages`) as a *client* format:
//! what Claude Code and the official Anthropic SDKs send, parsed into the
//! provider-neutral `ChatRequest`, and the neutral answer or stream events
//! encoded back into Anthropic's JSON and named-event SSE — so a Messages
//! client can use any model a translating adapter serves.
//!
//! - `request`: Messages request JSON → `ChatRequest` (+ `Echo`);
//! - `response`: `ChatResponse` → a `"type": "message"` answer;
//! - `stream`: `StreamEvent`s → `message_start` … `message_stop` events;
//! - `count_tokens`: an input-token estimate for `/v1/messages/count_tokens`
//!   when the provider has no counting endpoint.
//!
//! (`providers::upstream::anthropic` is the other direction: the gateway as a client
//! of Anthropic.) Parsing walks `serde_json::Value`s by hand, without
//! tagged serde enums, to keep the worker small.

pub mod count_tokens;
pub mod request;
pub mod response;
pub mod stream;

/// What the answer's encoders need to know about the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Echo {
    /// The client enabled extended thinking. Only then are reasoning texts
    /// returned, as `thinking` blocks (with an empty signature): Anthropic
    /// sends none otherwise, and clients need not expect them.
    pub thinking: bool,
    /// The request's estimated input tokens, reported in `message_start`
    /// when the provider has not counted them yet; the real count follows
    /// in `message_delta`.
    pub input_tokens: u64,
}
