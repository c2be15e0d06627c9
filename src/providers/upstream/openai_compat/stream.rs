//! Watching an OpenAI-format SSE stream as it passes to the client: usage,
//! finish, in-stream errors; and removing the usage chunk the gateway asked
//! for when the client did not.

use crate::providers::sse::{self, SseEvent, SseParser};
use crate::providers::stream_transform::{ChunkOut, StreamSummary, StreamTransform};
use crate::providers::usage::{OpenAiUsage, Usage};
use crate::core::error::GatewayError;
use serde::Deserialize;

#[derive(Debug, Default)]
pub struct StreamObserver {
    parser: SseParser,
    strip_usage_chunk: bool,
    pub usage: Option<Usage>,
    /// `data: [DONE]` was seen: the stream ended normally.
    pub done: bool,
    /// Events that carried data (not comments or keep-alives).
    pub data_events: u32,
    /// An `{"error": …}` event inside a 200 stream.
    pub error_message: Option<String>,
    pub finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Option<Vec<Choice>>,
    #[serde(default)]
    usage: Option<OpenAiUsage>,
    #[serde(default)]
    error: Option<ErrorField>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorField {
    Object { message: Option<String> },
    Text(String),
}

impl StreamObserver {
    pub fn new(strip_usage_chunk: bool) -> Self {
        StreamObserver { strip_usage_chunk, ..Default::default() }
    }

    /// Observes a chunk and says what the client gets. Without stripping it
    /// is always the chunk itself, forwarded at once.
    pub fn push(&mut self, chunk: &[u8]) -> ChunkOut {
        let events = self.parser.push(chunk);
        if !self.strip_usage_chunk {
            for e in &events {
                self.observe(e);
            }
            return ChunkOut::Same;
        }
        // Only complete events are forwarded, so that the usage event can
        // be left out even when it arrives split across chunks.
        let mut out = Vec::with_capacity(chunk.len());
        for e in events {
            if !self.observe(&e) {
                out.extend_from_slice(&e.raw);
            }
        }
        if out == chunk {
            ChunkOut::Same
        } else {
            ChunkOut::Bytes(out)
        }
    }

    /// The upstream ended; returns any unterminated tail still owed to the client.
    pub fn finish(&mut self) -> Vec<u8> {
        match self.parser.finish() {
            Some(e) => {
                let drop = self.observe(&e);
                if self.strip_usage_chunk && !drop {
                    e.raw
                } else {
                    Vec::new()
                }
            }
            None => Vec::new(),
        }
    }

    /// Records what the event says; true when it is the gateway's own usage
    /// chunk that must not reach the client.
    fn observe(&mut self, e: &SseEvent) -> bool {
        if e.is_comment_only() {
            return false;
        }
        self.data_events += 1;
        let data = e.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return false;
        }
        // Only chunks that can carry what we track are parsed in full.
        if !(data.contains("\"usage\"") || data.contains("\"error\"") || data.contains("\"finish_reason\":\"")) {
            return false;
        }
        let Ok(chunk) = serde_json::from_str::<Chunk>(data) else { return false };
        if let Some(err) = chunk.error {
            self.error_message = Some(match err {
                ErrorField::Object { message } => message.unwrap_or_else(|| "stream error".into()),
                ErrorField::Text(t) => t,
            });
        }
        if let Some(reason) = chunk.choices.iter().flatten().find_map(|c| c.finish_reason.clone()) {
            self.finish_reason = Some(reason);
        }
        let usage_only = chunk.choices.as_ref().is_some_and(|c| c.is_empty());
        match chunk.usage {
            Some(u) => {
                self.usage = Some(u.into());
                usage_only && self.strip_usage_chunk
            }
            None => false,
        }
    }
}

impl StreamTransform for StreamObserver {
    fn push(&mut self, chunk: &[u8]) -> ChunkOut {
        StreamObserver::push(self, chunk)
    }

    fn finish(&mut self) -> Vec<u8> {
        StreamObserver::finish(self)
    }

    fn summary(&self) -> StreamSummary {
        StreamSummary {
            usage: self.usage,
            done: self.done,
            error_message: self.error_message.clone(),
            finish_reason: self.finish_reason.clone(),
            // A provider streams about one token per content chunk.
            output_tokens_seen: u64::from(self.data_events.saturating_sub(u32::from(self.done))),
        }
    }

    fn error_event(&self, e: &GatewayError) -> Vec<u8> {
        sse::encode(None, &e.to_openai_json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = concat!(
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
        "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1,\"total_tokens\":10}}\n\n",
        "data: [DONE]\n\n"
    );

    fn run(strip: bool, chunk_size: usize) -> (StreamObserver, String) {
        let mut o = StreamObserver::new(strip);
        let mut out = Vec::new();
        for c in STREAM.as_bytes().chunks(chunk_size) {
            match o.push(c) {
                ChunkOut::Same => out.extend_from_slice(c),
                ChunkOut::Bytes(b) => out.extend(b),
            }
        }
        out.extend(o.finish());
        (o, String::from_utf8(out).unwrap())
    }

    #[test]
    fn usage_is_read_and_stream_untouched_when_client_asked() {
        let (o, out) = run(false, 7);
        assert_eq!(out, STREAM);
        assert_eq!(o.usage.unwrap().prompt_tokens, 9);
        assert!(o.done);
        assert_eq!(o.finish_reason.as_deref(), Some("stop"));
    }

    #[test]
    fn gateway_usage_chunk_is_removed() {
        for size in [1, 5, 64, 4096] {
            let (o, out) = run(true, size);
            assert!(!out.contains("prompt_tokens"), "chunk size {size}");
            assert!(out.contains("\"Hi\""));
            assert!(out.ends_with("data: [DONE]\n\n"));
            assert_eq!(o.usage.unwrap().completion_tokens, 1);
        }
    }

    #[test]
    fn usage_inside_a_content_chunk_is_kept() {
        let s = "data: {\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\n";
        let mut o = StreamObserver::new(true);
        assert_eq!(o.push(s.as_bytes()), ChunkOut::Same, "an unchanged chunk is forwarded as is");
        assert!(o.usage.is_some());
    }

    #[test]
    fn in_stream_errors_are_noticed() {
        let mut o = StreamObserver::new(false);
        o.push(b"data: {\"error\":{\"message\":\"overloaded\"}}\n\n");
        assert_eq!(o.error_message.as_deref(), Some("overloaded"));
        assert!(!o.done);
    }

    #[test]
    fn truncated_stream_is_not_done() {
        let mut o = StreamObserver::new(true);
        let out = o.push(b"data: {\"choices\":[{\"delta\":{\"content\":\"par");
        assert_eq!(out, ChunkOut::Bytes(Vec::new()), "a partial event is held back");
        let tail = o.finish();
        assert!(String::from_utf8(tail).unwrap().contains("par"));
        assert!(!o.done);
    }
}
