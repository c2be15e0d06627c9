//! The contract of a client format's stream encoder: provider-neutral
//! `StreamEvent`s in, the bytes of the client's own stream format out
//! (OpenAI chat chunks, Responses API events, Anthropic Messages events).
//! `TranslatingStream` pairs one with a provider's `StreamDecoder`.

use crate::providers::model::StreamEvent;
use crate::core::error::GatewayError;

pub trait ClientStreamEncoder {
    /// Encodes one event (possibly as nothing, or as several frames).
    fn encode(&mut self, event: StreamEvent) -> Vec<u8>;
    /// The error, as an event in this format (a stream that breaks mid-way).
    fn error_event(&self, e: &GatewayError) -> Vec<u8>;
}

impl ClientStreamEncoder for super::chat::chunks::ChunkEncoder {
    fn encode(&mut self, event: StreamEvent) -> Vec<u8> {
        super::chat::chunks::ChunkEncoder::encode(self, event)
    }

    fn error_event(&self, e: &GatewayError) -> Vec<u8> {
        crate::providers::sse::encode(None, &e.to_openai_json())
    }
}
