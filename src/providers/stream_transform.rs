//! The contract between the edge's stream pipe and the adapters' stream
//! logic: chunks go in as they arrive, and each comes out unchanged (the
//! edge then forwards the very same bytes object, no copy), replaced, or
//! dropped. Pass-through observers answer `Same`; translators re-encode.

use super::usage::Usage;
use crate::core::error::GatewayError;

#[derive(Debug, PartialEq, Eq)]
pub enum ChunkOut {
    /// Forward the input chunk exactly as received.
    Same,
    /// Forward these bytes instead (empty: forward nothing for now).
    Bytes(Vec<u8>),
}

/// What the stream said, read after it ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamSummary {
    pub usage: Option<Usage>,
    /// The stream reached its proper end (`[DONE]`, `message_stop`, …).
    pub done: bool,
    /// An error the provider reported inside a 200 stream.
    pub error_message: Option<String>,
    pub finish_reason: Option<String>,
    /// A rough count of the answer's tokens seen so far (one per content
    /// event, or four characters of text each): what an answer that never
    /// reported usage is charged.
    pub output_tokens_seen: u64,
}

/// Tokens in a streamed text fragment, estimated (at least one).
pub fn tokens_in(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4).max(1)
}

pub trait StreamTransform {
    fn push(&mut self, chunk: &[u8]) -> ChunkOut;
    /// The upstream ended: bytes still owed to the client.
    fn finish(&mut self) -> Vec<u8>;
    fn summary(&self) -> StreamSummary;
    /// The error, as an event in the client's stream format.
    fn error_event(&self, e: &GatewayError) -> Vec<u8>;
}
