//! Cohere v2's chat stream → provider-neutral `StreamEvent`s.
//!
//! Cohere sends SSE events named by `event:` and, again, by the `type` of
//! their JSON data (the data's `type` is read; the `event:` name is the
//! fallback):
//!
//! ```text
//! message-start   {id, delta:{message:{role, content:[], tool_plan:"", tool_calls:[]}}}  → Start
//! content-start   {index, delta:{message:{content:{type:"text"|"thinking", text|thinking}}}}
//! content-delta   {index, delta:{message:{content:{text | thinking}}}}   → TextDelta / ReasoningDelta
//! content-end     {index}
//! tool-plan-delta {delta:{message:{tool_plan}}}                           → ReasoningDelta
//! tool-call-start {index, delta:{message:{tool_calls:{id, type, function:{name, arguments}}}}} → ToolCallStart
//! tool-call-delta {index, delta:{message:{tool_calls:{function:{arguments}}}}} → ToolCallArgs
//! tool-call-end   {index}
//! citation-start / citation-end / debug                                    (ignored)
//! message-end     {delta:{finish_reason, usage, error?}}                  → Finish, Usage, Done
//! data: [DONE]                                                             (ignored)
//! ```
//!
//! Tool calls are renumbered 0, 1, … in the order they start; a delta
//! without an `index` belongs to the call started last. A `message-end`
//! whose finish reason is `ERROR` or `TIMEOUT` becomes `StreamEvent::Error`
//! (after its usage), as does an error object sent in place of an event.

use super::response::{finish, generation_failed, usage, PROVIDER};
use super::wire::{DeltaContent, DeltaToolCall, StreamData};
use crate::providers::adapter::StreamDecoder;
use crate::providers::model::{FinishReason, StreamEvent};
use crate::providers::sse::{SseEvent, SseParser};
use serde_json::Value;

#[derive(Debug, Default)]
pub struct Decoder {
    parser: SseParser,
    started: bool,
    /// `Done` or `Error` was sent: anything after is ignored.
    ended: bool,
    /// (Cohere's tool-call index, ours), in start order.
    tools: Vec<(Option<u32>, u32)>,
    /// Content block indexes that carry thinking rather than answer text.
    thinking_blocks: Vec<Option<u32>>,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    fn start(&mut self, id: Option<String>, out: &mut Vec<StreamEvent>) {
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start { id: id.filter(|i| !i.is_empty()), model: None });
        }
    }

    fn fail(&mut self, message: String, out: &mut Vec<StreamEvent>) {
        self.ended = true;
        out.push(StreamEvent::Error { message });
    }

    /// Our index for a Cohere tool-call index (the latest call when absent or unknown).
    fn tool_index(&self, cohere: Option<u32>) -> Option<u32> {
        cohere
            .and_then(|c| self.tools.iter().rev().find(|(ci, _)| *ci == Some(c)))
            .or_else(|| self.tools.last())
            .map(|(_, ours)| *ours)
    }

    fn event(&mut self, e: &SseEvent, out: &mut Vec<StreamEvent>) {
        if self.ended || e.is_comment_only() {
            return;
        }
        let data = e.data.trim();
        if data.is_empty() || data == "[DONE]" {
            return;
        }
        let Ok(d) = serde_json::from_str::<StreamData>(data) else {
            self.fail(format!("{PROVIDER} sent a stream event the gateway could not read"), out);
            return;
        };
        let kind = d.kind.clone().or_else(|| e.event.clone()).unwrap_or_default();
        match kind.as_str() {
            "message-start" => self.start(d.id, out),
            "content-start" | "content-delta" => self.content(&kind, d, out),
            "tool-plan-delta" => {
                self.start(None, out);
                if let Some(plan) = d.delta.and_then(|x| x.message).and_then(|m| m.tool_plan).filter(|p| !p.is_empty()) {
                    out.push(StreamEvent::ReasoningDelta(plan));
                }
            }
            "tool-call-start" => self.tool_call_start(d, out),
            "tool-call-delta" => {
                self.start(None, out);
                let Some(index) = self.tool_index(d.index) else { return };
                let call = d.delta.and_then(|x| x.message).and_then(|m| m.tool_calls);
                if let Some(DeltaToolCall::One(call)) = call {
                    let args = call.function.map(|f| f.arguments_text()).unwrap_or_default();
                    if !args.is_empty() {
                        out.push(StreamEvent::ToolCallArgs { index, delta: args });
                    }
                }
            }
            "message-end" => self.message_end(d, out),
            "" | "error" if d.message.is_some() => {
                let message = match d.message {
                    Some(Value::String(s)) => s,
                    _ => "stream error".to_string(),
                };
                self.fail(format!("{PROVIDER}: {message}"), out);
            }
            // content-end, tool-call-end, citation-start/end, debug, and
            // event types added after this was written.
            _ => {}
        }
    }

    fn content(&mut self, kind: &str, d: StreamData, out: &mut Vec<StreamEvent>) {
        self.start(None, out);
        let Some(DeltaContent::One(item)) = d.delta.and_then(|x| x.message).and_then(|m| m.content) else { return };
        if kind == "content-start" && item.kind.as_deref() == Some("thinking") {
            self.thinking_blocks.push(d.index);
        }
        let in_thinking = self.thinking_blocks.contains(&d.index);
        if let Some(t) = item.thinking.filter(|t| !t.is_empty()) {
            out.push(StreamEvent::ReasoningDelta(t));
        }
        if let Some(t) = item.text.filter(|t| !t.is_empty()) {
            out.push(if in_thinking { StreamEvent::ReasoningDelta(t) } else { StreamEvent::TextDelta(t) });
        }
    }

    fn tool_call_start(&mut self, d: StreamData, out: &mut Vec<StreamEvent>) {
        self.start(None, out);
        let Some(DeltaToolCall::One(call)) = d.delta.and_then(|x| x.message).and_then(|m| m.tool_calls) else {
            self.fail(format!("{PROVIDER} started a tool call without describing it"), out);
            return;
        };
        let function = call.function.unwrap_or_default();
        let Some(name) = function.name.clone().filter(|n| !n.is_empty()) else {
            self.fail(format!("{PROVIDER} started a tool call without a function name"), out);
            return;
        };
        let index = self.tools.len() as u32;
        self.tools.push((d.index, index));
        let id = call.id.filter(|i| !i.is_empty()).unwrap_or_else(|| format!("call_{index}"));
        out.push(StreamEvent::ToolCallStart { index, id, name });
        let args = function.arguments_text();
        if !args.is_empty() {
            out.push(StreamEvent::ToolCallArgs { index, delta: args });
        }
    }

    fn message_end(&mut self, d: StreamData, out: &mut Vec<StreamEvent>) {
        self.start(None, out);
        let delta = d.delta.unwrap_or_default();
        let used = delta.usage.as_ref().and_then(usage);
        match finish(delta.finish_reason.as_deref(), !self.tools.is_empty()) {
            Ok(reason) => {
                out.push(StreamEvent::Finish(reason.unwrap_or(FinishReason::Stop)));
                if let Some(u) = used {
                    out.push(StreamEvent::Usage(u));
                }
                out.push(StreamEvent::Done);
                self.ended = true;
            }
            Err(reason) => {
                if let Some(u) = used {
                    out.push(StreamEvent::Usage(u));
                }
                self.fail(generation_failed(reason, delta.error.as_deref()).message, out);
            }
        }
    }
}

impl StreamDecoder for Decoder {
    fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        for e in self.parser.push(bytes) {
            self.event(&e, &mut out);
        }
        out
    }

    fn finish(&mut self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if let Some(e) = self.parser.finish() {
            self.event(&e, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::usage::Usage;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/cohere/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn decode_in_chunks(bytes: &[u8], size: usize) -> Vec<StreamEvent> {
        crate::testkit::decode_in_chunks(&|| Box::new(Decoder::new()), bytes, size)
    }

    /// Adjacent text, reasoning and argument deltas merged, so that results
    /// can be compared whatever the chunking.
    fn merged(events: Vec<StreamEvent>) -> Vec<StreamEvent> {
        let mut out: Vec<StreamEvent> = Vec::new();
        for e in events {
            match (out.last_mut(), e) {
                (Some(StreamEvent::TextDelta(a)), StreamEvent::TextDelta(b)) => a.push_str(&b),
                (Some(StreamEvent::ReasoningDelta(a)), StreamEvent::ReasoningDelta(b)) => a.push_str(&b),
                (Some(StreamEvent::ToolCallArgs { index: i, delta: a }), StreamEvent::ToolCallArgs { index: j, delta: b })
                    if *i == j =>
                {
                    a.push_str(&b)
                }
                (_, e) => out.push(e),
            }
        }
        out
    }

    /// The same events whatever the chunking, down to one byte at a time.
    fn decode_every_way(name: &str) -> Vec<StreamEvent> {
        let bytes = fixture(name);
        let whole = crate::testkit::assert_chunking_invariant(&|| Box::new(Decoder::new()), &bytes, &merged);
        for size in 2..=64 {
            assert_eq!(merged(decode_in_chunks(&bytes, size)), whole, "{name} in chunks of {size}");
        }
        whole
    }

    #[test]
    fn text_stream() {
        let events = decode_every_way("stream_text.sse");
        assert_eq!(
            events,
            vec![
                StreamEvent::Start { id: Some("29f14a5a-11de-4cae-9800-25e4747408ea".into()), model: None },
                StreamEvent::TextDelta("Hello! How can I help you today?".into()),
                StreamEvent::Finish(FinishReason::Stop),
                StreamEvent::Usage(Usage { prompt_tokens: 496, completion_tokens: 10, ..Default::default() }),
                StreamEvent::Done,
            ]
        );
        // Unmerged, each content-delta is its own event.
        let raw = decode_in_chunks(&fixture("stream_text.sse"), 1);
        assert_eq!(raw.iter().filter(|e| matches!(e, StreamEvent::TextDelta(_))).count(), 5);
    }

    #[test]
    fn parallel_tool_calls_with_a_plan() {
        let events = decode_every_way("stream_tool_calls.sse");
        assert_eq!(
            events,
            vec![
                StreamEvent::Start { id: Some("b5a3c2e1-7a6f-4d1c-9e0b-2f3a4b5c6d7e".into()), model: None },
                StreamEvent::ReasoningDelta("I will look up the weather in Paris and Berlin.".into()),
                StreamEvent::ToolCallStart { index: 0, id: "get_weather_1byjy32y4hvq".into(), name: "get_weather".into() },
                StreamEvent::ToolCallArgs { index: 0, delta: "{\n    \"city\": \"Paris\"\n}".into() },
                StreamEvent::ToolCallStart { index: 1, id: "get_weather_2ykb1xmzvi0b".into(), name: "get_weather".into() },
                StreamEvent::ToolCallArgs { index: 1, delta: "{\n    \"city\": \"Berlin\"\n}".into() },
                StreamEvent::Finish(FinishReason::ToolCalls),
                StreamEvent::Usage(Usage { prompt_tokens: 1422, completion_tokens: 52, cached_tokens: 1024, ..Default::default() }),
                StreamEvent::Done,
            ]
        );
    }

    #[test]
    fn provider_indexes_are_renumbered_in_start_order() {
        // Cohere numbers these 3 and 5; a delta names its call by that number.
        let s = concat!(
            "event: tool-call-start\ndata: {\"type\":\"tool-call-start\",\"index\":3,\"delta\":{\"message\":{\"tool_calls\":{\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\":\"}}}}}\n\n",
            "event: tool-call-start\ndata: {\"type\":\"tool-call-start\",\"index\":5,\"delta\":{\"message\":{\"tool_calls\":{\"id\":\"b\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"\"}}}}}\n\n",
            "event: tool-call-delta\ndata: {\"type\":\"tool-call-delta\",\"index\":3,\"delta\":{\"message\":{\"tool_calls\":{\"function\":{\"arguments\":\"1}\"}}}}}\n\n",
            "event: tool-call-delta\ndata: {\"type\":\"tool-call-delta\",\"delta\":{\"message\":{\"tool_calls\":{\"function\":{\"arguments\":\"{}\"}}}}}\n\n",
        );
        let events = decode_in_chunks(s.as_bytes(), 7);
        assert_eq!(
            events,
            vec![
                StreamEvent::Start { id: None, model: None },
                StreamEvent::ToolCallStart { index: 0, id: "a".into(), name: "f".into() },
                StreamEvent::ToolCallArgs { index: 0, delta: "{\"x\":".into() },
                StreamEvent::ToolCallStart { index: 1, id: "b".into(), name: "g".into() },
                StreamEvent::ToolCallArgs { index: 0, delta: "1}".into() },
                StreamEvent::ToolCallArgs { index: 1, delta: "{}".into() },
            ]
        );
    }

    #[test]
    fn thinking_stream() {
        let events = decode_every_way("stream_thinking.sse");
        assert_eq!(
            events,
            vec![
                StreamEvent::Start { id: Some("0f5c6c1a-2f0e-4c55-8d3b-5b1b9f7c3e21".into()), model: None },
                StreamEvent::ReasoningDelta("17 times 3 is 51.".into()),
                StreamEvent::TextDelta("51".into()),
                StreamEvent::Finish(FinishReason::Length),
                StreamEvent::Usage(Usage { prompt_tokens: 14, completion_tokens: 9, ..Default::default() }),
                StreamEvent::Done,
            ]
        );
    }

    #[test]
    fn failed_generation_in_the_stream() {
        let events = decode_every_way("stream_error.sse");
        assert_eq!(events.len(), 4, "{events:?}");
        assert_eq!(events[1], StreamEvent::TextDelta("The answer".into()));
        assert!(matches!(&events[2], StreamEvent::Usage(u) if u.prompt_tokens == 20 && u.completion_tokens == 2));
        let StreamEvent::Error { message } = &events[3] else { panic!("{events:?}") };
        assert!(message.contains("ERROR") && message.contains("internal server error"), "{message}");
        assert!(!events.contains(&StreamEvent::Done));
    }

    #[test]
    fn error_objects_and_garbage_end_the_stream() {
        let mut d = Decoder::new();
        let ev = d.push(b"data: {\"id\":\"e1\",\"message\":\"too many tokens\"}\n\ndata: {\"type\":\"message-end\"}\n\n");
        assert_eq!(ev, vec![StreamEvent::Error { message: "cohere: too many tokens".into() }]);
        let mut d = Decoder::new();
        let ev = d.push(b"event: content-delta\ndata: {not json\n\n");
        assert!(matches!(&ev[..], [StreamEvent::Error { .. }]));
    }

    #[test]
    fn truncated_stream_is_not_done() {
        let bytes = fixture("stream_text.sse");
        let cut = bytes.len() / 2;
        let mut d = Decoder::new();
        let mut events = d.push(&bytes[..cut]);
        events.extend(d.finish());
        assert!(events.iter().any(|e| matches!(e, StreamEvent::TextDelta(_))));
        assert!(!events.iter().any(|e| matches!(e, StreamEvent::Done | StreamEvent::Finish(_))));
    }

    #[test]
    fn unterminated_last_event_is_still_read() {
        let bytes = fixture("stream_text.sse");
        let text = String::from_utf8(bytes).unwrap();
        // Drop "data: [DONE]\n\n" and the blank line after message-end.
        let body = text.trim_end().trim_end_matches("data: [DONE]").trim_end();
        let events = decode_in_chunks(body.as_bytes(), 4096);
        assert_eq!(events.last(), Some(&StreamEvent::Done));
    }
}
