//! Provider-neutral stream events → OpenAI `chat.completion.chunk` SSE.
//!
//! Stateful per stream: the completion id and model are fixed by the first
//! event; the assistant role goes in the first chunk; tool calls keep the
//! indexes the decoder gave them; the usage chunk (`choices: []`) is sent
//! only when the client asked for it, right before `[DONE]`.

use super::response::{completion_id, usage_json};
use crate::core::error::{GatewayError, ErrorCode};
use crate::providers::model::StreamEvent;
use crate::providers::sse;
use crate::core::usage::Usage;
use serde_json::{json, Value};

pub struct ChunkEncoder {
    request_id: String,
    id: Option<String>,
    model: String,
    created: u64,
    include_usage: bool,
    role_sent: bool,
    usage: Option<Usage>,
    finished: bool,
}

impl ChunkEncoder {
    pub fn new(request_id: &str, model: &str, created: u64, include_usage: bool) -> Self {
        ChunkEncoder {
            request_id: request_id.to_string(),
            id: None,
            model: model.to_string(),
            created,
            include_usage,
            role_sent: false,
            usage: None,
            finished: false,
        }
    }

    fn chunk(&mut self, mut delta: Value, finish: Option<&str>) -> Vec<u8> {
        if !self.role_sent {
            delta["role"] = json!("assistant");
            self.role_sent = true;
        }
        let body = json!({
            "id": completion_id(self.id.as_deref(), &self.request_id),
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }],
        });
        sse::encode(None, &body.to_string())
    }

    /// Encodes one event; returns the SSE bytes for the client (maybe none).
    pub fn encode(&mut self, event: StreamEvent) -> Vec<u8> {
        match event {
            StreamEvent::Start { id, model } => {
                if self.id.is_none() {
                    self.id = id;
                }
                if let Some(m) = model {
                    self.model = m;
                }
                self.chunk(json!({ "content": "" }), None)
            }
            StreamEvent::TextDelta(text) if text.is_empty() => Vec::new(),
            StreamEvent::TextDelta(text) => self.chunk(json!({ "content": text }), None),
            StreamEvent::ReasoningDelta(text) => self.chunk(json!({ "reasoning_content": text }), None),
            StreamEvent::ToolCallStart { index, id, name } => self.chunk(
                json!({ "tool_calls": [{ "index": index, "id": id, "type": "function",
                    "function": { "name": name, "arguments": "" } }] }),
                None,
            ),
            StreamEvent::ToolCallArgs { index, delta } => {
                self.chunk(json!({ "tool_calls": [{ "index": index, "function": { "arguments": delta } }] }), None)
            }
            StreamEvent::Finish(reason) => {
                if self.finished {
                    return Vec::new();
                }
                self.finished = true;
                self.chunk(json!({}), Some(reason.as_openai()))
            }
            StreamEvent::Usage(u) => {
                self.usage = Some(u);
                Vec::new()
            }
            StreamEvent::Error { message } => {
                let e = GatewayError::bad_gateway(ErrorCode::UpstreamStreamError, message);
                sse::encode(None, &e.to_openai_json())
            }
            StreamEvent::Done => self.done(),
        }
    }

    /// The end of a complete stream: the usage chunk if asked for, then `[DONE]`.
    fn done(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.include_usage {
            let body = json!({
                "id": completion_id(self.id.as_deref(), &self.request_id),
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": [],
                "usage": usage_json(&self.usage.unwrap_or_default()),
            });
            out.extend(sse::encode(None, &body.to_string()));
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::model::FinishReason;
    use crate::providers::sse::SseParser;

    fn events(bytes: &[u8]) -> Vec<Value> {
        SseParser::new()
            .push(bytes)
            .into_iter()
            .filter(|e| e.data != "[DONE]")
            .map(|e| serde_json::from_str(&e.data).unwrap())
            .collect()
    }

    #[test]
    fn text_stream_with_usage() {
        let mut enc = ChunkEncoder::new("r-1", "claude", 5, true);
        let mut out = Vec::new();
        for ev in [
            StreamEvent::Start { id: Some("msg_9".into()), model: Some("claude-3".into()) },
            StreamEvent::TextDelta("Hel".into()),
            StreamEvent::TextDelta("lo".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(Usage { prompt_tokens: 4, completion_tokens: 2, ..Default::default() }),
            StreamEvent::Done,
        ] {
            out.extend(enc.encode(ev));
        }
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.ends_with("data: [DONE]\n\n"));
        let ev = events(&out);
        assert_eq!(ev[0]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(ev[0]["id"], "msg_9");
        assert_eq!(ev[1]["choices"][0]["delta"]["content"], "Hel");
        assert_eq!(ev[3]["choices"][0]["finish_reason"], "stop");
        assert_eq!(ev[4]["choices"], json!([]));
        assert_eq!(ev[4]["usage"]["total_tokens"], 6);
        assert!(ev.iter().all(|e| e["model"] == "claude-3"));
    }

    #[test]
    fn tool_calls_keep_their_index_and_usage_stays_hidden() {
        let mut enc = ChunkEncoder::new("r", "m", 0, false);
        let mut out = Vec::new();
        for ev in [
            StreamEvent::ToolCallStart { index: 0, id: "t1".into(), name: "a".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "{\"x\":".into() },
            StreamEvent::ToolCallStart { index: 1, id: "t2".into(), name: "b".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "1}".into() },
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Usage(Usage::default()),
            StreamEvent::Done,
        ] {
            out.extend(enc.encode(ev));
        }
        let ev = events(&out);
        assert_eq!(ev[0]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(ev[0]["choices"][0]["delta"]["tool_calls"][0]["id"], "t1");
        assert_eq!(ev[2]["choices"][0]["delta"]["tool_calls"][0]["index"], 1);
        assert_eq!(ev[3]["choices"][0]["delta"]["tool_calls"][0]["index"], 0);
        assert_eq!(ev[4]["choices"][0]["finish_reason"], "tool_calls");
        assert!(!String::from_utf8(out).unwrap().contains("\"usage\""));
    }
}
