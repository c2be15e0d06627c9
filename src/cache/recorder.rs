//! Records a stream for the cache as it passes to the client: wraps the
//! stream's transform and keeps a copy of every byte the client is sent,
//! so the stored answer is exactly what the client saw. Recording stops
//! (and nothing is stored) past the size limit.

use super::entry::MAX_ANSWER_BYTES;
use crate::core::error::GatewayError;
use crate::providers::sse::SseParser;
use crate::providers::stream_transform::{ChunkOut, StreamSummary, StreamTransform};
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Debug, Default)]
pub struct Recording {
    bytes: Vec<u8>,
    overflow: bool,
}

impl Recording {
    fn keep(&mut self, bytes: &[u8]) {
        if self.overflow {
            return;
        }
        if self.bytes.len() + bytes.len() > MAX_ANSWER_BYTES {
            self.overflow = true;
            self.bytes = Vec::new();
            return;
        }
        self.bytes.extend_from_slice(bytes);
    }

    /// The stream's `data:` payloads, `[DONE]` and comments left out; `None`
    /// when the stream was too big to keep.
    pub fn events(&self) -> Option<Vec<String>> {
        if self.overflow {
            return None;
        }
        let mut parser = SseParser::new();
        let mut events = parser.push(&self.bytes);
        events.extend(parser.finish());
        Some(
            events
                .into_iter()
                .filter(|e| !e.is_comment_only() && e.data.trim() != "[DONE]")
                .map(|e| e.data)
                .collect(),
        )
    }
}

pub struct Recorder {
    inner: Box<dyn StreamTransform>,
    recording: Rc<RefCell<Recording>>,
}

impl Recorder {
    /// `already_sent`: what the client got before the recorder was in place
    /// (the first chunk, read before the answer was committed).
    pub fn wrap(inner: Box<dyn StreamTransform>, already_sent: &[u8]) -> (Recorder, Rc<RefCell<Recording>>) {
        let recording = Rc::new(RefCell::new(Recording::default()));
        recording.borrow_mut().keep(already_sent);
        (Recorder { inner, recording: recording.clone() }, recording)
    }
}

impl StreamTransform for Recorder {
    fn push(&mut self, chunk: &[u8]) -> ChunkOut {
        let out = self.inner.push(chunk);
        let mut r = self.recording.borrow_mut();
        match &out {
            ChunkOut::Same => r.keep(chunk),
            ChunkOut::Bytes(b) => r.keep(b),
        }
        out
    }

    fn finish(&mut self) -> Vec<u8> {
        let tail = self.inner.finish();
        self.recording.borrow_mut().keep(&tail);
        tail
    }

    fn summary(&self) -> StreamSummary {
        self.inner.summary()
    }

    fn error_event(&self, e: &GatewayError) -> Vec<u8> {
        // A stream that needs an error event is incomplete and never stored.
        self.inner.error_event(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Passes chunks on, but rewrites the ones that say "swap".
    struct Swapper;
    impl StreamTransform for Swapper {
        fn push(&mut self, chunk: &[u8]) -> ChunkOut {
            if chunk.starts_with(b"data: swap") {
                ChunkOut::Bytes(b"data: {\"swapped\":true}\n\n".to_vec())
            } else {
                ChunkOut::Same
            }
        }
        fn finish(&mut self) -> Vec<u8> {
            b"data: [DONE]\n\n".to_vec()
        }
        fn summary(&self) -> StreamSummary {
            StreamSummary::default()
        }
        fn error_event(&self, _: &GatewayError) -> Vec<u8> {
            Vec::new()
        }
    }

    #[test]
    fn records_what_the_client_was_sent() {
        let (mut rec, recording) = Recorder::wrap(Box::new(Swapper), b": keep-alive\n\ndata: {\"n\":1}\n\n");
        assert_eq!(rec.push(b"data: {\"n\""), ChunkOut::Same);
        rec.push(b":2}\n\n");
        assert!(matches!(rec.push(b"data: swap\n\n"), ChunkOut::Bytes(_)));
        rec.finish();
        assert_eq!(
            recording.borrow().events().unwrap(),
            vec![r#"{"n":1}"#.to_string(), r#"{"n":2}"#.to_string(), r#"{"swapped":true}"#.to_string()]
        );
    }

    #[test]
    fn oversized_streams_are_not_kept() {
        let (mut rec, recording) = Recorder::wrap(Box::new(Swapper), b"");
        let big = vec![b'x'; MAX_ANSWER_BYTES / 2 + 1];
        rec.push(&big);
        rec.push(&big);
        assert_eq!(recording.borrow().events(), None);
    }
}
