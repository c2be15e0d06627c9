//! Stream transforms built from a provider's `StreamDecoder`:
//!
//! - `TranslatingStream`: provider stream → the client's stream format
//!   (OpenAI chunks, Responses events, Anthropic Messages events).
//! - `ObservingStream`: provider stream forwarded untouched (native
//!   pass-through), decoded on the side only to learn usage.

use super::adapter::StreamDecoder;
use super::model::StreamEvent;
use super::client::stream::ClientStreamEncoder;
use super::stream_transform::{ChunkOut, StreamSummary, StreamTransform};
use crate::core::error::GatewayError;

fn note(summary: &mut StreamSummary, event: &StreamEvent) {
    match event {
        StreamEvent::Usage(u) => summary.usage = Some(*u),
        StreamEvent::Done => summary.done = true,
        StreamEvent::Error { message } => summary.error_message = Some(message.clone()),
        StreamEvent::Finish(reason) => summary.finish_reason = Some(reason.as_openai().to_string()),
        StreamEvent::TextDelta(t) | StreamEvent::ReasoningDelta(t) | StreamEvent::ToolCallArgs { delta: t, .. } => {
            summary.output_tokens_seen += super::stream_transform::tokens_in(t)
        }
        _ => {}
    }
}

pub struct TranslatingStream {
    decoder: Box<dyn StreamDecoder>,
    encoder: Box<dyn ClientStreamEncoder>,
    summary: StreamSummary,
}

impl TranslatingStream {
    pub fn new(decoder: Box<dyn StreamDecoder>, encoder: Box<dyn ClientStreamEncoder>) -> Self {
        TranslatingStream { decoder, encoder, summary: StreamSummary::default() }
    }

    fn encode_all(&mut self, events: Vec<StreamEvent>) -> Vec<u8> {
        let mut out = Vec::new();
        for e in events {
            note(&mut self.summary, &e);
            out.extend(self.encoder.encode(e));
        }
        out
    }
}

impl StreamTransform for TranslatingStream {
    fn push(&mut self, chunk: &[u8]) -> ChunkOut {
        let events = self.decoder.push(chunk);
        ChunkOut::Bytes(self.encode_all(events))
    }

    fn finish(&mut self) -> Vec<u8> {
        let events = self.decoder.finish();
        self.encode_all(events)
    }

    fn summary(&self) -> StreamSummary {
        self.summary.clone()
    }

    fn error_event(&self, e: &GatewayError) -> Vec<u8> {
        self.encoder.error_event(e)
    }
}

/// Forwards the provider's bytes as they are and reads usage on the side.
pub struct ObservingStream {
    decoder: Box<dyn StreamDecoder>,
    summary: StreamSummary,
    /// How errors are written in this (native) stream format.
    error_encoder: fn(&GatewayError) -> Vec<u8>,
}

impl ObservingStream {
    pub fn new(decoder: Box<dyn StreamDecoder>, error_encoder: fn(&GatewayError) -> Vec<u8>) -> Self {
        ObservingStream { decoder, summary: StreamSummary::default(), error_encoder }
    }
}

impl StreamTransform for ObservingStream {
    fn push(&mut self, chunk: &[u8]) -> ChunkOut {
        for e in self.decoder.push(chunk) {
            note(&mut self.summary, &e);
        }
        ChunkOut::Same
    }

    fn finish(&mut self) -> Vec<u8> {
        for e in self.decoder.finish() {
            note(&mut self.summary, &e);
        }
        Vec::new()
    }

    fn summary(&self) -> StreamSummary {
        self.summary.clone()
    }

    fn error_event(&self, e: &GatewayError) -> Vec<u8> {
        (self.error_encoder)(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::model::FinishReason;
    use crate::core::usage::Usage;

    /// A decoder that turns each line into one text delta; "!" ends the stream.
    struct Lines;
    impl StreamDecoder for Lines {
        fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
            String::from_utf8_lossy(bytes)
                .lines()
                .map(|l| match l {
                    "!" => StreamEvent::Done,
                    "." => StreamEvent::Finish(FinishReason::Stop),
                    "u" => StreamEvent::Usage(Usage { prompt_tokens: 1, completion_tokens: 2, ..Default::default() }),
                    t => StreamEvent::TextDelta(t.to_string()),
                })
                .collect()
        }
        fn finish(&mut self) -> Vec<StreamEvent> {
            Vec::new()
        }
    }

    #[test]
    fn translation_summarises_and_encodes() {
        let encoder = crate::providers::client::chat::chunks::ChunkEncoder::new("r", "m", 0, false);
        let mut t = TranslatingStream::new(Box::new(Lines), Box::new(encoder));
        let ChunkOut::Bytes(out) = t.push(b"hello\n.\nu\n!\n") else { panic!() };
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\"content\":\"hello\""));
        assert!(text.ends_with("data: [DONE]\n\n"));
        let s = t.summary();
        assert!(s.done);
        assert_eq!(s.usage.unwrap().completion_tokens, 2);
        assert_eq!(s.finish_reason.as_deref(), Some("stop"));
    }

    #[test]
    fn observation_forwards_unchanged() {
        let mut o = ObservingStream::new(Box::new(Lines), |_| Vec::new());
        assert_eq!(o.push(b"u\n!\n"), ChunkOut::Same);
        assert!(o.summary().done);
        assert!(o.summary().usage.is_some());
    }
}
