//! Provider-neutral stream events → Anthropic Messages SSE.
//!
//! The stream a Messages client expects:
//!
//! ```text
//! message_start                      {message: {id, model, content: [], usage}}
//! ping
//! content_block_start  {index: 0, content_block: {type: text|thinking|tool_use, …}}
//! content_block_delta  {index: 0, delta: text_delta|thinking_delta|input_json_delta}
//! content_block_stop   {index: 0}
//! …                                  (one block after another, indexes 0, 1, 2…)
//! message_delta        {delta: {stop_reason, stop_sequence}, usage}
//! message_stop
//! ```
//!
//! `message_start` waits for the first content (or the finish), so that
//! the usage a provider reports up front (Anthropic, Gemini) is in it;
//! otherwise it carries the request's estimated input tokens. The final
//! usage goes in `message_delta`, sent at `Done` because many providers
//! report usage after the finish reason. A stream that ends without `Done`
//! gets no `message_stop`: the stream pipe appends an error event instead.
//!
//! Blocks are strictly sequential, but neutral tool calls may interleave
//! (several started, their argument deltas mixed). A tool call that starts
//! while another tool block is open and its arguments are not yet complete
//! JSON waits, its arguments buffered; it gets its block once the open
//! one's arguments are complete, or when text or the finish arrives.
//! Reasoning becomes `thinking` blocks only when the client enabled
//! thinking (see `Echo`).

use super::response::{message_id, stop_reason, tool_use_id, usage_json};
use super::Echo;
use crate::core::error::{GatewayError, ErrorCode};
use crate::providers::model::{FinishReason, StreamEvent};
use crate::providers::client::stream::ClientStreamEncoder;
use crate::providers::sse;
use crate::core::usage::Usage;
use serde_json::{json, Value};

/// The content block being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Text,
    Thinking,
    /// A tool call, by position in `tools`.
    Tool(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ToolState {
    /// Started by the provider, its block not yet (arguments buffered).
    Waiting,
    Open,
    Closed,
}

#[derive(Debug)]
struct ToolBlock {
    /// The neutral tool-call index.
    index: u32,
    id: String,
    name: String,
    /// Every argument fragment so far.
    args: String,
    state: ToolState,
}

pub struct MessagesEncoder {
    echo: Echo,
    /// The gateway's id; the message id unless the provider gives a `msg_` one.
    request_id: String,
    provider_id: Option<String>,
    model: String,
    /// The message id, fixed by `message_start`.
    id: String,
    started: bool,
    /// `message_stop` or an error was sent: nothing more follows.
    ended: bool,
    /// Blocks started so far; the open one is the last.
    blocks: u32,
    open: Option<Open>,
    tools: Vec<ToolBlock>,
    usage: Option<Usage>,
    finish: Option<FinishReason>,
}

fn frame(out: &mut Vec<u8>, kind: &str, body: &Value) {
    out.extend(sse::encode(Some(kind), &body.to_string()));
}

/// Arguments that already form a whole JSON value.
fn complete(args: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(args).is_ok()
}

impl MessagesEncoder {
    pub fn new(echo: Echo, id: &str, model: &str) -> Self {
        MessagesEncoder {
            echo,
            request_id: id.to_string(),
            provider_id: None,
            model: model.to_string(),
            id: String::new(),
            started: false,
            ended: false,
            blocks: 0,
            open: None,
            tools: Vec::new(),
            usage: None,
            finish: None,
        }
    }

    /// The usage to report: the provider's, else the estimated input.
    fn usage_json(&self) -> Value {
        match &self.usage {
            Some(u) => usage_json(u),
            None => json!({
                "input_tokens": self.echo.input_tokens,
                "output_tokens": 0,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            }),
        }
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        self.id = message_id(self.provider_id.as_deref(), &self.request_id);
        let message = json!({
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": null,
            "stop_sequence": null,
            "usage": self.usage_json(),
        });
        frame(out, "message_start", &json!({ "type": "message_start", "message": message }));
        frame(out, "ping", &json!({ "type": "ping" }));
    }

    fn close(&mut self, out: &mut Vec<u8>) {
        if let Some(open) = self.open.take() {
            frame(out, "content_block_stop", &json!({ "type": "content_block_stop", "index": self.blocks - 1 }));
            if let Open::Tool(p) = open {
                self.tools[p].state = ToolState::Closed;
            }
        }
    }

    fn open_block(&mut self, out: &mut Vec<u8>, open: Open, block: Value) {
        self.close(out);
        let index = self.blocks;
        self.blocks += 1;
        self.open = Some(open);
        frame(out, "content_block_start", &json!({ "type": "content_block_start", "index": index, "content_block": block }));
    }

    fn delta(&self, out: &mut Vec<u8>, delta: Value) {
        frame(out, "content_block_delta", &json!({ "type": "content_block_delta", "index": self.blocks - 1, "delta": delta }));
    }

    /// Opens the block of tool `p`, with the arguments buffered so far.
    fn open_tool(&mut self, out: &mut Vec<u8>, p: usize) {
        let id = tool_use_id(&self.tools[p].id, &self.id, p);
        let block = json!({ "type": "tool_use", "id": id, "name": self.tools[p].name, "input": {} });
        self.open_block(out, Open::Tool(p), block);
        self.tools[p].state = ToolState::Open;
        if !self.tools[p].args.is_empty() {
            self.delta(out, json!({ "type": "input_json_delta", "partial_json": self.tools[p].args }));
        }
    }

    fn first_waiting(&self) -> Option<usize> {
        self.tools.iter().position(|t| t.state == ToolState::Waiting)
    }

    /// Closes the open block and writes every waiting tool call whole:
    /// before other content, and at the end.
    fn settle(&mut self, out: &mut Vec<u8>) {
        while let Some(p) = self.first_waiting() {
            self.open_tool(out, p);
        }
        self.close(out);
    }

    /// Moves on to waiting tool calls while the open one looks complete.
    fn advance(&mut self, out: &mut Vec<u8>) {
        while let (Some(Open::Tool(p)), Some(next)) = (self.open, self.first_waiting()) {
            if !complete(&self.tools[p].args) {
                break;
            }
            self.open_tool(out, next);
        }
    }

    fn text_like(&mut self, out: &mut Vec<u8>, kind: Open, text: String) {
        if self.open != Some(kind) {
            self.settle(out);
            let block = match kind {
                Open::Thinking => json!({ "type": "thinking", "thinking": "", "signature": "" }),
                _ => json!({ "type": "text", "text": "" }),
            };
            self.open_block(out, kind, block);
        }
        let delta = match kind {
            Open::Thinking => json!({ "type": "thinking_delta", "thinking": text }),
            _ => json!({ "type": "text_delta", "text": text }),
        };
        self.delta(out, delta);
    }

    fn tool_start(&mut self, out: &mut Vec<u8>, index: u32, id: String, name: String) {
        if self.tools.iter().any(|t| t.index == index) {
            return;
        }
        self.tools.push(ToolBlock { index, id, name, args: String::new(), state: ToolState::Waiting });
        let p = self.tools.len() - 1;
        match self.open {
            Some(Open::Tool(q)) if !complete(&self.tools[q].args) => {}
            _ => self.open_tool(out, p),
        }
    }

    fn tool_args(&mut self, out: &mut Vec<u8>, index: u32, delta: String) {
        let Some(p) = self.tools.iter().position(|t| t.index == index) else { return };
        let tool = &mut self.tools[p];
        tool.args.push_str(&delta);
        // Fragments of a closed block are lost: a provider interleaved
        // text into an unfinished tool call, which none is known to do.
        if tool.state == ToolState::Open {
            self.delta(out, json!({ "type": "input_json_delta", "partial_json": delta }));
            self.advance(out);
        }
    }

    /// The end of a complete stream: the stop reason and final usage.
    fn done(&mut self, out: &mut Vec<u8>) {
        self.start(out);
        self.settle(out);
        let reason = stop_reason(self.finish, !self.tools.is_empty());
        let body = json!({
            "type": "message_delta",
            "delta": { "stop_reason": reason, "stop_sequence": null },
            "usage": self.usage_json(),
        });
        frame(out, "message_delta", &body);
        frame(out, "message_stop", &json!({ "type": "message_stop" }));
        self.ended = true;
    }

    /// Encodes one event; returns the SSE bytes for the client (maybe none).
    pub fn encode(&mut self, event: StreamEvent) -> Vec<u8> {
        let mut out = Vec::new();
        if self.ended {
            return out;
        }
        match event {
            StreamEvent::Start { id, model } => {
                if !self.started {
                    if self.provider_id.is_none() {
                        self.provider_id = id;
                    }
                    if let Some(m) = model {
                        self.model = m;
                    }
                }
            }
            StreamEvent::TextDelta(text) => {
                self.start(&mut out);
                if !text.is_empty() {
                    self.text_like(&mut out, Open::Text, text);
                }
            }
            StreamEvent::ReasoningDelta(text) => {
                // Starts the message even when the reasoning is not shown.
                self.start(&mut out);
                if self.echo.thinking && !text.is_empty() {
                    self.text_like(&mut out, Open::Thinking, text);
                }
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                self.start(&mut out);
                self.tool_start(&mut out, index, id, name);
            }
            StreamEvent::ToolCallArgs { index, delta } => {
                if !delta.is_empty() {
                    self.tool_args(&mut out, index, delta);
                }
            }
            StreamEvent::Finish(reason) => {
                self.start(&mut out);
                self.settle(&mut out);
                self.finish.get_or_insert(reason);
            }
            StreamEvent::Usage(u) => self.usage = Some(u),
            StreamEvent::Error { message } => {
                let e = GatewayError::bad_gateway(ErrorCode::UpstreamStreamError, message);
                out = self.error_event(&e);
                self.ended = true;
            }
            StreamEvent::Done => self.done(&mut out),
        }
        out
    }
}

impl ClientStreamEncoder for MessagesEncoder {
    fn encode(&mut self, event: StreamEvent) -> Vec<u8> {
        MessagesEncoder::encode(self, event)
    }

    /// `event: error`, unless the stream already ended (with `message_stop`
    /// or an error of its own): one end is enough.
    fn error_event(&self, e: &GatewayError) -> Vec<u8> {
        if self.ended {
            return Vec::new();
        }
        sse::encode(Some("error"), &e.to_anthropic_json())
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
