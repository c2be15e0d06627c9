//! Gemini `streamGenerateContent` → provider-neutral stream events.
//!
//! With `alt=sse` every `data:` event is a complete `GenerateContentResponse`
//! fragment (without it, the same objects arrive as one JSON array; both are
//! read). Text and thought parts are deltas; a function call arrives whole
//! in one part, so it becomes a `ToolCallStart` and one `ToolCallArgs` with
//! the full arguments. Gemini sends no terminator: the stream is complete
//! when a `finishReason` was seen, and `Done` is emitted when the upstream
//! ends. Usage is held until the finish (it is repeated, growing, in many
//! events) and the last one wins.

use super::json_array::JsonArraySplitter;
use super::response::{finish_reason, first_candidate, tool_call, PROVIDER};
use super::wire::GenerateContentResponse;
use crate::providers::adapter::StreamDecoder;
use crate::providers::model::{FinishReason, StreamEvent};
use crate::providers::sse::SseParser;
use crate::core::usage::Usage;

#[derive(Debug)]
enum Framing {
    /// Nothing but whitespace seen yet.
    Unknown,
    Sse(SseParser),
    Array(JsonArraySplitter),
}

#[derive(Debug)]
pub struct GeminiStream {
    framing: Framing,
    started: bool,
    /// Tool calls started so far (the next call's index).
    tool_calls: u32,
    finished: bool,
    failed: bool,
    usage: Option<Usage>,
    usage_sent: bool,
}

impl Default for GeminiStream {
    fn default() -> Self {
        GeminiStream {
            framing: Framing::Unknown,
            started: false,
            tool_calls: 0,
            finished: false,
            failed: false,
            usage: None,
            usage_sent: false,
        }
    }
}

impl GeminiStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Complete frames (the JSON of each event) in the bytes.
    fn frames(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        if let Framing::Unknown = self.framing {
            match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
                // A JSON array of answers, or a bare JSON object (an error
                // body that is not SSE-framed): both are read object by object.
                Some(b'[' | b'{') => self.framing = Framing::Array(JsonArraySplitter::default()),
                Some(_) => self.framing = Framing::Sse(SseParser::new()),
                None => return Vec::new(),
            }
        }
        match &mut self.framing {
            Framing::Sse(p) => p.push(bytes).into_iter().map(|e| e.data.into_bytes()).collect(),
            Framing::Array(s) => s.push(bytes),
            Framing::Unknown => Vec::new(),
        }
    }

    fn on_frame(&mut self, frame: &[u8], out: &mut Vec<StreamEvent>) {
        let trimmed = frame.trim_ascii();
        if trimmed.is_empty() || trimmed == b"[DONE]" || self.failed {
            return;
        }
        let r: GenerateContentResponse = match serde_json::from_slice(trimmed) {
            Ok(r) => r,
            Err(_) => {
                self.failed = true;
                out.push(StreamEvent::Error {
                    message: format!("{PROVIDER} sent a stream event the gateway could not read."),
                });
                return;
            }
        };
        if let Some(err) = &r.error {
            self.failed = true;
            out.push(StreamEvent::Error { message: format!("{PROVIDER}: {}", err.describe()) });
            return;
        }
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start { id: r.response_id.clone(), model: r.model_version.clone() });
        }
        if let Some(u) = &r.usage_metadata {
            let u = u.normalized();
            if self.usage != Some(u) {
                self.usage = Some(u);
                self.usage_sent = false;
            }
        }
        match first_candidate(&r.candidates) {
            Some(candidate) => {
                for part in candidate.content.iter().flat_map(|c| c.parts.iter()) {
                    if let Some(call) = tool_call(part, self.tool_calls as usize) {
                        let index = self.tool_calls;
                        self.tool_calls += 1;
                        out.push(StreamEvent::ToolCallStart { index, id: call.id, name: call.name });
                        out.push(StreamEvent::ToolCallArgs { index, delta: call.arguments });
                    } else if let Some(text) = part.text.as_ref().filter(|t| !t.is_empty()) {
                        out.push(if part.thought {
                            StreamEvent::ReasoningDelta(text.clone())
                        } else {
                            StreamEvent::TextDelta(text.clone())
                        });
                    }
                }
                if let Some(reason) = candidate.finish_reason.as_deref() {
                    self.finish(finish_reason(Some(reason), self.tool_calls > 0), out);
                }
            }
            None => {
                if r.prompt_feedback.as_ref().and_then(|f| f.block_reason.as_ref()).is_some() {
                    self.finish(Some(FinishReason::ContentFilter), out);
                }
            }
        }
        if self.finished {
            self.flush_usage(out);
        }
    }

    fn finish(&mut self, reason: Option<FinishReason>, out: &mut Vec<StreamEvent>) {
        if let (false, Some(reason)) = (self.finished, reason) {
            self.finished = true;
            out.push(StreamEvent::Finish(reason));
        }
    }

    fn flush_usage(&mut self, out: &mut Vec<StreamEvent>) {
        if let (false, Some(u)) = (self.usage_sent, self.usage) {
            self.usage_sent = true;
            out.push(StreamEvent::Usage(u));
        }
    }
}

impl StreamDecoder for GeminiStream {
    fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        for frame in self.frames(bytes) {
            self.on_frame(&frame, &mut out);
        }
        out
    }

    fn finish(&mut self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if let Framing::Sse(p) = &mut self.framing {
            if let Some(last) = p.finish() {
                self.on_frame(last.data.as_bytes(), &mut out);
            }
        }
        // Usage of an unfinished stream still counts (it was consumed).
        self.flush_usage(&mut out);
        if self.finished && !self.failed {
            out.push(StreamEvent::Done);
        }
        out
    }
}
