//! Watching OpenAI's own Responses stream as it passes to the client
//! untouched: usage, the end, in-stream failures. Only the few events that
//! can carry those are parsed in full; text deltas are only counted.

use super::response::response_object;
use super::stream::failure_frames;
use super::Echo;
use crate::core::error::GatewayError;
use crate::providers::sse::{SseEvent, SseParser};
use crate::providers::stream_transform::{ChunkOut, StreamSummary, StreamTransform};
use crate::providers::usage::{OpenAiUsage, Usage};
use serde::Deserialize;

#[derive(Debug, Default)]
pub struct ResponsesObserver {
    parser: SseParser,
    /// Events with data seen: the next sequence number, for an error event
    /// the gateway appends.
    events: u64,
    id: Option<String>,
    model: Option<String>,
    created_at: u64,
    pub usage: Option<Usage>,
    /// `response.completed`/`incomplete` (or a terminal failure) was seen.
    pub done: bool,
    pub error_message: Option<String>,
    pub finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    response: Option<Resp>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Deserialize)]
struct Resp {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    created_at: Option<u64>,
    #[serde(default)]
    usage: Option<OpenAiUsage>,
    #[serde(default)]
    error: Option<ErrorBody>,
    #[serde(default)]
    incomplete_details: Option<Incomplete>,
    #[serde(default)]
    output: Option<Vec<Item>>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(rename = "type", default)]
    kind: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct Incomplete {
    #[serde(default)]
    reason: Option<String>,
}

/// Substrings of the events worth parsing.
const WATCHED: &[&str] =
    &["\"response.completed\"", "\"response.incomplete\"", "\"response.failed\"", "\"type\":\"error\"", "\"response.created\""];

impl ResponsesObserver {
    pub fn new() -> Self {
        Self::default()
    }

    fn observe(&mut self, e: &SseEvent) {
        if e.is_comment_only() {
            return;
        }
        self.events += 1;
        let data = e.data.trim();
        if !WATCHED.iter().any(|w| data.contains(w)) {
            return;
        }
        let Ok(event) = serde_json::from_str::<Event>(data) else { return };
        let response = event.response;
        match event.kind.as_str() {
            "response.created" => {
                if let Some(r) = response {
                    self.id = r.id;
                    self.model = r.model;
                    self.created_at = r.created_at.unwrap_or(0);
                }
            }
            "response.completed" | "response.incomplete" => {
                self.done = true;
                let Some(r) = response else { return };
                if let Some(u) = r.usage {
                    self.usage = Some(u.into());
                }
                let reason = if event.kind == "response.incomplete" {
                    match r.incomplete_details.and_then(|d| d.reason).as_deref() {
                        Some("content_filter") => "content_filter",
                        _ => "length",
                    }
                } else if r.output.iter().flatten().any(|i| i.kind == "function_call" || i.kind == "custom_tool_call") {
                    "tool_calls"
                } else {
                    "stop"
                };
                self.finish_reason = Some(reason.to_string());
            }
            "response.failed" => {
                // The stream ends here, in the client's own format.
                self.done = true;
                let (usage, message) = match response {
                    Some(r) => (r.usage, r.error.and_then(|e| e.message)),
                    None => (None, None),
                };
                if let Some(u) = usage {
                    self.usage = Some(u.into());
                }
                self.error_message = Some(message.unwrap_or_else(|| "The response failed.".into()));
            }
            "error" => {
                self.done = true;
                let message = event.message.or_else(|| event.error.and_then(|e| e.message));
                self.error_message = Some(message.unwrap_or_else(|| "stream error".into()));
            }
            _ => {}
        }
    }
}

impl StreamTransform for ResponsesObserver {
    fn push(&mut self, chunk: &[u8]) -> ChunkOut {
        for e in self.parser.push(chunk) {
            self.observe(&e);
        }
        ChunkOut::Same
    }

    fn finish(&mut self) -> Vec<u8> {
        if let Some(e) = self.parser.finish() {
            self.observe(&e);
        }
        Vec::new()
    }

    fn summary(&self) -> StreamSummary {
        StreamSummary {
            usage: self.usage,
            done: self.done,
            error_message: self.error_message.clone(),
            finish_reason: self.finish_reason.clone(),
            // Most events of a Responses stream are deltas of about a token.
            output_tokens_seen: self.events,
        }
    }

    fn error_event(&self, e: &GatewayError) -> Vec<u8> {
        let id = self.id.as_deref().unwrap_or("resp_gateway");
        let model = self.model.as_deref().unwrap_or_default();
        let response = response_object(&Echo::default(), id, model, self.created_at, "failed", Vec::new(), self.usage.as_ref());
        failure_frames(self.events, response, e.code.as_str(), e.code.as_str(), &e.message, e.param.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;
    use serde_json::{json, Value};

    fn event(v: Value) -> String {
        format!("event: {}\ndata: {}\n\n", v["type"].as_str().unwrap(), v)
    }

    /// A Responses stream as OpenAI sends it, ending with `last`.
    fn transcript(last: Value) -> String {
        let created = json!({"id": "resp_67c", "object": "response", "created_at": 1741290958, "status": "in_progress",
            "error": null, "incomplete_details": null, "instructions": "You are helpful.", "model": "gpt-4.1-2025-04-14",
            "output": [], "usage": null, "tools": [], "text": {"format": {"type": "text"}}});
        let item = json!({"id": "msg_67c", "type": "message", "status": "in_progress", "role": "assistant", "content": []});
        let part = json!({"type": "output_text", "text": "", "annotations": []});
        [
            event(json!({"type": "response.created", "sequence_number": 0, "response": created})),
            event(json!({"type": "response.in_progress", "sequence_number": 1, "response": created})),
            ": keep-alive\n\n".to_string(),
            event(json!({"type": "response.output_item.added", "sequence_number": 2, "output_index": 0, "item": item})),
            event(json!({"type": "response.content_part.added", "sequence_number": 3, "item_id": "msg_67c", "output_index": 0, "content_index": 0, "part": part})),
            event(json!({"type": "response.output_text.delta", "sequence_number": 4, "item_id": "msg_67c", "output_index": 0, "content_index": 0, "delta": "Hi \"response.completed\""})),
            event(json!({"type": "response.output_text.delta", "sequence_number": 5, "item_id": "msg_67c", "output_index": 0, "content_index": 0, "delta": " there"})),
            event(json!({"type": "response.output_text.done", "sequence_number": 6, "item_id": "msg_67c", "output_index": 0, "content_index": 0, "text": "Hi there"})),
            event(last),
        ]
        .concat()
    }

    fn completed(kind: &str, output: Value, extra: Value) -> Value {
        let mut r = json!({"id": "resp_67c", "object": "response", "created_at": 1741290958, "status": "completed",
            "model": "gpt-4.1-2025-04-14", "output": output,
            "usage": {"input_tokens": 37, "input_tokens_details": {"cached_tokens": 5}, "output_tokens": 11,
                      "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 48}});
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        json!({"type": kind, "sequence_number": 7, "response": r})
    }

    fn observe(stream: &str, chunk_size: usize) -> ResponsesObserver {
        let mut o = ResponsesObserver::new();
        for c in stream.as_bytes().chunks(chunk_size) {
            assert_eq!(o.push(c), ChunkOut::Same);
        }
        assert!(o.finish().is_empty());
        o
    }

    fn message() -> Value {
        json!([{"id": "msg_67c", "type": "message", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": "Hi there", "annotations": []}]}])
    }

    #[test]
    fn usage_and_end_whatever_the_chunking() {
        let s = transcript(completed("response.completed", message(), json!({})));
        for size in [1, 3, 17, 64, 100_000] {
            let o = observe(&s, size);
            assert!(o.done, "chunk size {size}");
            assert_eq!(o.usage, Some(Usage { prompt_tokens: 37, completion_tokens: 11, cached_tokens: 5, ..Default::default() }));
            assert_eq!(o.finish_reason.as_deref(), Some("stop"));
            assert_eq!(o.error_message, None);
            assert_eq!(o.events, 8, "comments are not events");
        }
    }

    #[test]
    fn function_calls_finish_with_tool_calls() {
        let output = json!([{"id": "fc_1", "type": "function_call", "status": "completed", "call_id": "call_1",
            "name": "weather", "arguments": "{}"}]);
        let o = observe(&transcript(completed("response.completed", output, json!({}))), 5);
        assert_eq!(o.finish_reason.as_deref(), Some("tool_calls"));
    }

    #[test]
    fn incomplete_answers_are_done_with_length() {
        let last = completed(
            "response.incomplete",
            message(),
            json!({"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}),
        );
        let o = observe(&transcript(last), 7);
        assert!(o.done);
        assert_eq!(o.finish_reason.as_deref(), Some("length"));
        assert_eq!(o.usage.unwrap().completion_tokens, 11);
    }

    #[test]
    fn failures_are_noticed() {
        let last = json!({"type": "response.failed", "sequence_number": 7, "response": {"id": "resp_67c", "status": "failed",
            "error": {"code": "server_error", "message": "The model crashed."}, "output": [], "usage": null}});
        let o = observe(&transcript(last), 11);
        assert!(o.done);
        assert_eq!(o.error_message.as_deref(), Some("The model crashed."));
        assert_eq!(o.usage, None);

        let last = json!({"type": "error", "sequence_number": 7, "code": "rate_limit_exceeded", "message": "Slow down.", "param": null});
        let o = observe(&transcript(last), 11);
        assert_eq!(o.error_message.as_deref(), Some("Slow down."));
        assert_eq!(o.summary().error_message.as_deref(), Some("Slow down."));
    }

    #[test]
    fn a_cut_stream_is_not_done_and_fails_in_the_client_format() {
        let s = transcript(completed("response.completed", message(), json!({})));
        let cut = &s[..s.find("event: response.completed").unwrap()];
        let o = observe(cut, 13);
        assert!(!o.done);
        assert_eq!(o.usage, None);
        let bytes = o.error_event(&GatewayError::bad_gateway(ErrorCode::UpstreamStreamInterrupted, "cut"));
        let frames: Vec<Value> = SseParser::new().push(&bytes).iter().map(|e| serde_json::from_str(&e.data).unwrap()).collect();
        assert_eq!(frames[0]["type"], "error");
        assert_eq!(frames[0]["sequence_number"], 7);
        assert_eq!(frames[1]["type"], "response.failed");
        assert_eq!(frames[1]["sequence_number"], 8);
        assert_eq!(frames[1]["response"]["id"], "resp_67c");
        assert_eq!(frames[1]["response"]["model"], "gpt-4.1-2025-04-14");
        assert_eq!(frames[1]["response"]["error"]["code"], "upstream_stream_interrupted");
    }
}
