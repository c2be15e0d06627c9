//! ConverseStream byte streams → events, at every chunk boundary.

use super::fixture;
use crate::providers::adapter::ChatAdapter;
use crate::providers::upstream::bedrock::eventstream::encode;
use crate::providers::upstream::bedrock::Bedrock;
use crate::providers::model::{FinishReason, StreamEvent};
use crate::providers::client::chat::chunks::ChunkEncoder;
use crate::providers::stream_transform::{ChunkOut, StreamTransform};
use crate::providers::translate::TranslatingStream;
use crate::core::usage::Usage;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

/// One binary frame per fixture line: `{"event": type, "payload"}` or `{"exception": type, "payload"}`.
fn frames(name: &str) -> Vec<Vec<u8>> {
    fixture(name)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let payload = serde_json::to_vec(&v["payload"]).unwrap();
            match (v["event"].as_str(), v["exception"].as_str()) {
                (Some(e), _) => encode(&[(":event-type", e), (":content-type", "application/json"), (":message-type", "event")], &payload),
                (None, Some(x)) => encode(&[(":exception-type", x), (":content-type", "application/json"), (":message-type", "exception")], &payload),
                _ => panic!("bad fixture line {l}"),
            }
        })
        .collect()
}

fn decode_in_chunks(bytes: &[u8], size: usize) -> Vec<StreamEvent> {
    crate::testkit::decode_in_chunks(&|| Bedrock.stream_decoder(), bytes, size)
}

/// The same events whatever the chunking: every chunk size, and every
/// single split point into two pieces.
fn decode_everywhere(bytes: &[u8]) -> Vec<StreamEvent> {
    for size in 2..bytes.len() {
        assert_eq!(decode_in_chunks(bytes, size), decode_in_chunks(bytes, bytes.len()), "chunk size {size}");
    }
    crate::testkit::assert_chunking_invariant(&|| Bedrock.stream_decoder(), bytes, &|e| e)
}

fn start() -> StreamEvent {
    StreamEvent::Start { id: None, model: None }
}

#[test]
fn text_stream() {
    let events = decode_everywhere(&frames("stream_text.jsonl").concat());
    assert_eq!(
        events,
        vec![
            start(),
            StreamEvent::TextDelta("Rome".into()),
            StreamEvent::TextDelta(" is the capital".into()),
            StreamEvent::TextDelta(" of Italy — ✓.".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(Usage { prompt_tokens: 41, completion_tokens: 9, ..Default::default() }),
            StreamEvent::Done,
        ]
    );
}

#[test]
fn parallel_tool_calls_split_across_deltas() {
    let events = decode_everywhere(&frames("stream_tool_use.jsonl").concat());
    assert_eq!(
        events,
        vec![
            start(),
            StreamEvent::TextDelta("I'll look up both cities.".into()),
            StreamEvent::ToolCallStart { index: 0, id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q".into(), name: "get_weather".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "{\"city\": \"Pa".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "ris\"}".into() },
            StreamEvent::ToolCallStart { index: 1, id: "tooluse_Wq1aPGEYQ2CxAs3k3tWqfA".into(), name: "get_weather".into() },
            StreamEvent::ToolCallArgs { index: 1, delta: "{\"city\": ".into() },
            StreamEvent::ToolCallArgs { index: 1, delta: "\"Rome\"}".into() },
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Usage(Usage {
                prompt_tokens: 2168,
                completion_tokens: 96,
                cached_tokens: 1536,
                cache_creation_tokens: 512,
                ..Default::default()
            }),
            StreamEvent::Done,
        ]
    );
}

#[test]
fn reasoning_stream() {
    let events = decode_everywhere(&frames("stream_reasoning.jsonl").concat());
    assert_eq!(
        &events[..4],
        &[
            start(),
            StreamEvent::ReasoningDelta("17 * 20 = 340, ".into()),
            StreamEvent::ReasoningDelta("17 * 3 = 51.".into()),
            StreamEvent::TextDelta("391".into()),
        ]
    );
    assert_eq!(events[4], StreamEvent::Finish(FinishReason::Length));
    assert_eq!(events.last(), Some(&StreamEvent::Done));
}

#[test]
fn exception_frames_end_the_stream_with_an_error() {
    let events = decode_everywhere(&frames("stream_exception.jsonl").concat());
    assert_eq!(
        events,
        vec![
            start(),
            StreamEvent::TextDelta("Once upon".into()),
            StreamEvent::Error { message: "modelStreamErrorException: Model stream processing failed: the model timed out.".into() },
        ]
    );
}

#[test]
fn generic_error_frames() {
    let f = encode(&[(":message-type", "error"), (":error-code", "InternalFailure"), (":error-message", "boom")], b"");
    assert_eq!(decode_in_chunks(&f, 3), vec![StreamEvent::Error { message: "InternalFailure: boom".into() }]);
}

#[test]
fn end_without_metadata_is_done_end_before_stop_is_not() {
    let f = frames("stream_text.jsonl");
    let without_metadata = f[..f.len() - 1].concat();
    let events = decode_in_chunks(&without_metadata, 7);
    assert_eq!(&events[events.len() - 2..], &[StreamEvent::Finish(FinishReason::Stop), StreamEvent::Done]);

    let mut truncated = f[..3].concat();
    truncated.extend_from_slice(&f[3][..10]);
    let events = decode_in_chunks(&truncated, 5);
    assert!(!events.contains(&StreamEvent::Done));
    assert!(!events.iter().any(|e| matches!(e, StreamEvent::Finish(_) | StreamEvent::Error { .. })));
}

#[test]
fn corrupted_frames_are_an_error() {
    let mut bytes = frames("stream_text.jsonl").concat();
    bytes[60] ^= 0x20;
    let events = decode_in_chunks(&bytes, 16);
    assert!(matches!(events.last(), Some(StreamEvent::Error { message }) if message.contains("checksum")), "{events:?}");
    assert_eq!(events.iter().filter(|e| matches!(e, StreamEvent::Error { .. })).count(), 1);
}

#[test]
fn unreadable_payload_is_an_error() {
    let f = encode(&[(":event-type", "contentBlockDelta"), (":message-type", "event")], b"{oops");
    let events = decode_in_chunks(&f, 100);
    assert!(matches!(&events[..], [StreamEvent::Error { message }] if message.contains("contentBlockDelta")));
}

#[test]
fn invoke_stream_metrics_give_usage() {
    let inner = json!({"type": "message_stop", "amazon-bedrock-invocationMetrics":
        {"inputTokenCount": 25, "outputTokenCount": 7, "invocationLatency": 800, "firstByteLatency": 300}});
    let text = json!({"type": "content_block_delta", "delta": {"type": "text_delta", "text": "hi"}});
    let chunk = |v: &Value| {
        let payload = json!({"bytes": STANDARD.encode(v.to_string()), "p": "abcd"}).to_string();
        encode(&[(":event-type", "chunk"), (":content-type", "application/json"), (":message-type", "event")], payload.as_bytes())
    };
    let events = decode_in_chunks(&[chunk(&text), chunk(&inner)].concat(), 11);
    assert_eq!(
        events,
        vec![start(), StreamEvent::Usage(Usage { prompt_tokens: 25, completion_tokens: 7, ..Default::default() }), StreamEvent::Done]
    );
}

#[test]
fn translated_to_openai_chunks() {
    let mut t = TranslatingStream::new(Bedrock.stream_decoder(), Box::new(ChunkEncoder::new("req1", "bedrock/x", 0, true)));
    let mut out = Vec::new();
    for c in frames("stream_tool_use.jsonl").concat().chunks(9) {
        match t.push(c) {
            ChunkOut::Bytes(b) => out.extend(b),
            ChunkOut::Same => panic!("a translating stream rewrites"),
        }
    }
    out.extend(t.finish());
    let sse = String::from_utf8(out).unwrap();
    assert!(sse.contains(r#""id":"tooluse_Wq1aPGEYQ2CxAs3k3tWqfA""#));
    assert!(sse.contains(r#""finish_reason":"tool_calls""#));
    assert!(sse.contains(r#""prompt_tokens":2168"#));
    assert!(sse.ends_with("data: [DONE]\n\n"));
    let s = t.summary();
    assert!(s.done);
    assert_eq!(s.usage.unwrap().cached_tokens, 1536);
}
