//! Anthropic's streamed answer (SSE with named events) → `StreamEvent`s.
//!
//! The stream is `message_start`, then per content block
//! `content_block_start` / `content_block_delta`… / `content_block_stop`,
//! then `message_delta` (stop reason, cumulative usage) and `message_stop`;
//! `ping` may come anywhere and `error` ends a failing stream. The decoder
//! keeps, per stream: which provider block index is which tool call (tool
//! calls are numbered 0, 1, … in the order they start; text and thinking
//! blocks take no number), and the usage so far, whose fields arrive in
//! different events.

use super::response::{finish_reason, PROVIDER};
use super::wire::WireUsage;
use crate::providers::adapter::StreamDecoder;
use crate::providers::model::StreamEvent;
use crate::providers::sse::{SseEvent, SseParser};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: u32,
        content_block: StartBlock,
    },
    ContentBlockDelta {
        index: u32,
        delta: Delta,
    },
    ContentBlockStop {
        index: u32,
    },
    MessageDelta {
        #[serde(default)]
        delta: MessageDeltaBody,
        #[serde(default)]
        usage: Option<WireUsage>,
    },
    MessageStop,
    Ping,
    Error {
        #[serde(default)]
        error: ErrorBody,
    },
    /// Event types newer than this decoder are skipped, as Anthropic asks.
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Deserialize)]
struct StartMessage {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StartBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
    },
    Thinking {
        #[serde(default)]
        thinking: String,
    },
    /// Redacted thinking, server tool use and its results.
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
enum Delta {
    #[serde(rename = "text_delta")]
    Text { text: String },
    #[serde(rename = "input_json_delta")]
    InputJson { partial_json: String },
    #[serde(rename = "thinking_delta")]
    Thinking { thinking: String },
    /// Signatures and citations.
    #[serde(other)]
    Other,
}

#[derive(Debug, Default, Deserialize)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// What the decoder remembers about an open content block.
#[derive(Debug, Clone, Copy)]
enum Block {
    /// A client tool call, numbered among the tool calls.
    Tool { index: u32, has_args: bool },
    /// Text, thinking and server-tool blocks need no state.
    Other,
}

#[derive(Debug, Default)]
pub struct MessagesStream {
    parser: SseParser,
    /// Provider content-block index → what the block is.
    blocks: BTreeMap<u32, Block>,
    next_tool: u32,
    usage: WireUsage,
    started: bool,
}

impl MessagesStream {
    pub fn new() -> Self {
        Self::default()
    }

    fn start(&mut self, out: &mut Vec<StreamEvent>, id: Option<String>, model: Option<String>) {
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start { id, model });
        }
    }

    fn on_sse(&mut self, sse: SseEvent, out: &mut Vec<StreamEvent>) {
        let data = sse.data.trim();
        if data.is_empty() {
            return; // comments, keep-alives, a bare `event: ping`
        }
        match serde_json::from_str::<Event>(data) {
            Ok(event) => self.on_event(event, out),
            Err(_) => out.push(StreamEvent::Error {
                message: format!(
                    "{PROVIDER} sent a stream event the gateway could not read ({}).",
                    sse.event.as_deref().unwrap_or("unnamed")
                ),
            }),
        }
    }

    fn on_event(&mut self, event: Event, out: &mut Vec<StreamEvent>) {
        match event {
            Event::MessageStart { message } => {
                self.start(out, message.id, message.model);
                if let Some(u) = message.usage {
                    self.usage.update(&u);
                    out.push(StreamEvent::Usage(self.usage.normalize()));
                }
            }
            Event::ContentBlockStart { index, content_block } => {
                self.start(out, None, None);
                let block = match content_block {
                    StartBlock::Text { text } => {
                        if !text.is_empty() {
                            out.push(StreamEvent::TextDelta(text));
                        }
                        Block::Other
                    }
                    StartBlock::Thinking { thinking } => {
                        if !thinking.is_empty() {
                            out.push(StreamEvent::ReasoningDelta(thinking));
                        }
                        Block::Other
                    }
                    StartBlock::ToolUse { id, name } => {
                        let tool = self.next_tool;
                        self.next_tool += 1;
                        out.push(StreamEvent::ToolCallStart { index: tool, id, name });
                        Block::Tool { index: tool, has_args: false }
                    }
                    StartBlock::Other => Block::Other,
                };
                self.blocks.insert(index, block);
            }
            Event::ContentBlockDelta { index, delta } => {
                self.start(out, None, None);
                let block = self.blocks.get_mut(&index);
                match (delta, block) {
                    (Delta::Text { text }, _) if !text.is_empty() => out.push(StreamEvent::TextDelta(text)),
                    (Delta::Thinking { thinking }, _) if !thinking.is_empty() => {
                        out.push(StreamEvent::ReasoningDelta(thinking))
                    }
                    (Delta::InputJson { partial_json }, Some(Block::Tool { index, has_args }))
                        if !partial_json.is_empty() =>
                    {
                        *has_args = true;
                        out.push(StreamEvent::ToolCallArgs { index: *index, delta: partial_json });
                    }
                    _ => {}
                }
            }
            Event::ContentBlockStop { index } => {
                // A tool called without arguments streams no JSON at all;
                // OpenAI clients parse the arguments, so give them `{}`.
                if let Some(Block::Tool { index, has_args }) = self.blocks.get_mut(&index) {
                    if !*has_args {
                        *has_args = true;
                        out.push(StreamEvent::ToolCallArgs { index: *index, delta: "{}".into() });
                    }
                }
            }
            Event::MessageDelta { delta, usage } => {
                self.start(out, None, None);
                if let Some(reason) = delta.stop_reason.as_deref().and_then(finish_reason) {
                    out.push(StreamEvent::Finish(reason));
                }
                if let Some(u) = usage {
                    self.usage.update(&u);
                    out.push(StreamEvent::Usage(self.usage.normalize()));
                }
            }
            Event::MessageStop => out.push(StreamEvent::Done),
            Event::Error { error } => {
                let message = error.message.unwrap_or_else(|| "stream error".into());
                out.push(StreamEvent::Error {
                    message: match error.kind {
                        Some(kind) => format!("{PROVIDER} {kind}: {message}"),
                        None => format!("{PROVIDER}: {message}"),
                    },
                });
            }
            Event::Ping | Event::Unknown => {}
        }
    }
}

impl StreamDecoder for MessagesStream {
    fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        for sse in self.parser.push(bytes) {
            self.on_sse(sse, &mut out);
        }
        out
    }

    fn finish(&mut self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if let Some(sse) = self.parser.finish() {
            self.on_sse(sse, &mut out);
        }
        out
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
