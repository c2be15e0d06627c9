//! ConverseStream (binary event stream) → `StreamEvent`s.
//!
//! Events: `messageStart` → Start; `contentBlockStart` with a `toolUse` →
//! ToolCallStart (tool calls numbered 0, 1, … in start order, mapped from
//! Bedrock's `contentBlockIndex`); `contentBlockDelta` → text, tool-argument
//! or reasoning deltas; `messageStop` → Finish; `metadata` → Usage, then
//! Done. Bedrock always sends `metadata` after `messageStop`; if the
//! connection closes between the two, the answer is complete and only its
//! usage is missing, so `finish` still says Done. A stream that closes
//! before `messageStop` is truncated: no Done.
//!
//! Exception frames (`:message-type: exception`, e.g. a throttling or
//! model-stream error mid-answer) and unreadable frames become one
//! `StreamEvent::Error`, after which nothing more is decoded.
//!
//! Native `InvokeModelWithResponseStream` streams (observed in pass-through)
//! carry `chunk` events whose base64 `bytes` hold the model's own JSON; the
//! last one has `amazon-bedrock-invocationMetrics`, read here for usage.

use super::eventstream::{Decoder, Message};
use super::response::{finish_reason, usage, PROVIDER};
use super::wire::{ContentBlockDelta, ContentBlockStart, ErrorBody, Metadata, MessageStop};
use crate::providers::adapter::StreamDecoder;
use crate::providers::model::StreamEvent;
use crate::core::usage::Usage;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Deserialize;

#[derive(Default)]
pub struct ConverseStream {
    frames: Decoder,
    started: bool,
    /// (Bedrock content block index, tool-call index) in start order.
    tools: Vec<(u32, u32)>,
    stopped: bool,
    ended: bool,
}

impl ConverseStream {
    pub fn new() -> Self {
        Self::default()
    }

    fn start(&mut self, out: &mut Vec<StreamEvent>) {
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start { id: None, model: None });
        }
    }

    fn fail(&mut self, out: &mut Vec<StreamEvent>, message: String) {
        self.ended = true;
        out.push(StreamEvent::Error { message });
    }

    fn payload<T: DeserializeOwned>(&mut self, m: &Message, event: &str, out: &mut Vec<StreamEvent>) -> Option<T> {
        match serde_json::from_slice(&m.payload) {
            Ok(v) => Some(v),
            Err(_) => {
                self.fail(out, format!("{PROVIDER} sent an unreadable {event} event."));
                None
            }
        }
    }

    fn tool_index(&self, block: u32) -> Option<u32> {
        self.tools.iter().find(|(b, _)| *b == block).map(|(_, i)| *i)
    }

    fn event(&mut self, m: &Message, out: &mut Vec<StreamEvent>) {
        match m.header(":message-type").unwrap_or("event") {
            "exception" => {
                let kind = m.header(":exception-type").unwrap_or("exception");
                let text = serde_json::from_slice::<ErrorBody>(&m.payload).ok().and_then(|b| b.message);
                let message = match text {
                    Some(t) => format!("{kind}: {t}"),
                    None => kind.to_string(),
                };
                self.fail(out, message);
                return;
            }
            "error" => {
                let code = m.header(":error-code").unwrap_or("error");
                let text = m.header(":error-message").unwrap_or("the event stream failed");
                self.fail(out, format!("{code}: {text}"));
                return;
            }
            _ => {}
        }
        let kind = m.header(":event-type").unwrap_or("").to_string();
        match kind.as_str() {
            "messageStart" => self.start(out),
            "contentBlockStart" => {
                let Some(e) = self.payload::<ContentBlockStart>(m, &kind, out) else { return };
                self.start(out);
                if let Some(tu) = e.start.and_then(|s| s.tool_use) {
                    let index = self.tools.len() as u32;
                    self.tools.push((e.content_block_index, index));
                    out.push(StreamEvent::ToolCallStart { index, id: tu.tool_use_id, name: tu.name });
                }
            }
            "contentBlockDelta" => {
                let Some(e) = self.payload::<ContentBlockDelta>(m, &kind, out) else { return };
                self.start(out);
                let Some(delta) = e.delta else { return };
                if let Some(text) = delta.text.filter(|t| !t.is_empty()) {
                    out.push(StreamEvent::TextDelta(text));
                }
                if let Some(tu) = delta.tool_use.filter(|t| !t.input.is_empty()) {
                    if let Some(index) = self.tool_index(e.content_block_index) {
                        out.push(StreamEvent::ToolCallArgs { index, delta: tu.input });
                    }
                }
                if let Some(text) = delta.reasoning_content.and_then(|r| r.text).filter(|t| !t.is_empty()) {
                    out.push(StreamEvent::ReasoningDelta(text));
                }
            }
            "messageStop" => {
                let Some(e) = self.payload::<MessageStop>(m, &kind, out) else { return };
                self.start(out);
                self.stopped = true;
                out.push(StreamEvent::Finish(finish_reason(e.stop_reason.as_deref().unwrap_or("end_turn"))));
            }
            "metadata" => {
                let Some(e) = self.payload::<Metadata>(m, &kind, out) else { return };
                self.start(out);
                if let Some(u) = e.usage {
                    out.push(StreamEvent::Usage(usage(&u)));
                }
                self.ended = true;
                out.push(StreamEvent::Done);
            }
            "chunk" => self.invoke_chunk(m, out),
            // contentBlockStop, and event types added later
            _ => {}
        }
    }

    /// An `InvokeModelWithResponseStream` chunk: only its final invocation
    /// metrics matter here.
    fn invoke_chunk(&mut self, m: &Message, out: &mut Vec<StreamEvent>) {
        #[derive(Deserialize)]
        struct Chunk {
            bytes: Option<String>,
        }
        #[derive(Deserialize)]
        struct Inner {
            #[serde(rename = "amazon-bedrock-invocationMetrics")]
            metrics: Option<Metrics>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Metrics {
            #[serde(default)]
            input_token_count: u64,
            #[serde(default)]
            output_token_count: u64,
            #[serde(default)]
            cache_read_input_token_count: u64,
            #[serde(default)]
            cache_write_input_token_count: u64,
        }
        self.start(out);
        let inner = serde_json::from_slice::<Chunk>(&m.payload)
            .ok()
            .and_then(|c| c.bytes)
            .and_then(|b| STANDARD.decode(b).ok())
            .and_then(|raw| serde_json::from_slice::<Inner>(&raw).ok());
        if let Some(metrics) = inner.and_then(|i| i.metrics) {
            let (read, write) = (metrics.cache_read_input_token_count, metrics.cache_write_input_token_count);
            out.push(StreamEvent::Usage(Usage {
                prompt_tokens: metrics.input_token_count + read + write,
                completion_tokens: metrics.output_token_count,
                cached_tokens: read,
                cache_creation_tokens: write,
                ..Usage::default()
            }));
            self.ended = true;
            out.push(StreamEvent::Done);
        }
    }
}

impl StreamDecoder for ConverseStream {
    fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if self.ended {
            return out;
        }
        for frame in self.frames.push(bytes) {
            if self.ended {
                break;
            }
            match frame {
                Ok(m) => self.event(&m, &mut out),
                Err(e) => self.fail(&mut out, format!("{PROVIDER} sent a broken event stream: {e}.")),
            }
        }
        out
    }

    fn finish(&mut self) -> Vec<StreamEvent> {
        if self.ended || !self.stopped {
            return Vec::new();
        }
        self.ended = true;
        vec![StreamEvent::Done]
    }
}
