//! Golden streams from `tests/fixtures/anthropic/*.sse`, decoded whole, at
//! every split point and byte by byte.

use super::*;
use crate::providers::model::FinishReason;
use crate::core::usage::Usage;
use serde_json::{json, Value};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/anthropic/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn decode_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<StreamEvent> {
    crate::testkit::decode_pieces(Box::new(MessagesStream::new()), chunks)
}

fn decode(bytes: &[u8]) -> Vec<StreamEvent> {
    decode_chunks([bytes])
}

/// The same events whatever the chunking: split once at every byte, and
/// fed one byte at a time.
fn assert_chunking_invariant(bytes: &[u8]) {
    crate::testkit::assert_chunking_invariant(&|| Box::new(MessagesStream::new()), bytes, &|e| e);
}

fn text(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn tool_args(events: &[StreamEvent], tool: u32) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolCallArgs { index, delta } if *index == tool => Some(delta.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn text_stream() {
    let events = decode(&fixture("stream_text.sse"));
    let start_usage = Usage { prompt_tokens: 25 + 1024, completion_tokens: 1, cached_tokens: 1024, ..Default::default() };
    let end_usage = Usage { completion_tokens: 15, ..start_usage };
    assert_eq!(
        events,
        vec![
            StreamEvent::Start {
                id: Some("msg_01XFDUDYJgAACzvnptvVoYEL".into()),
                model: Some("claude-sonnet-4-5-20250929".into())
            },
            StreamEvent::Usage(start_usage),
            StreamEvent::TextDelta("Hello".into()),
            StreamEvent::TextDelta(", wörld! 👋".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(end_usage),
            StreamEvent::Done,
        ]
    );
}

#[test]
fn tool_use_stream_numbers_tools_in_start_order() {
    let events = decode(&fixture("stream_tool_use.sse"));
    assert_eq!(text(&events), "I'll check both cities.");
    let starts: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolCallStart { index, id, name } => Some((*index, id.as_str(), name.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        starts,
        vec![
            (0, "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather"),
            (1, "toolu_01B3fJk2Yq2Yz8Wm1Lx4Pq7", "get_weather"),
            (2, "toolu_01NoArgs0000000000000000", "get_time"),
        ]
    );
    let args = |i| serde_json::from_str::<Value>(&tool_args(&events, i)).unwrap();
    assert_eq!(args(0), json!({"city": "Paris", "unit": "celsius"}));
    assert_eq!(args(1), json!({"city": "Rome", "unit": "celsius"}));
    assert_eq!(args(2), json!({}), "a tool without arguments gets {{}}");
    // No empty argument deltas reach the client.
    assert!(!events.iter().any(|e| matches!(e, StreamEvent::ToolCallArgs { delta, .. } if delta.is_empty())));
    // Start first; Finish, Usage, Done last.
    assert!(matches!(events[0], StreamEvent::Start { .. }));
    let n = events.len();
    assert_eq!(events[n - 3], StreamEvent::Finish(FinishReason::ToolCalls));
    assert_eq!(events[n - 2], StreamEvent::Usage(Usage { prompt_tokens: 472, completion_tokens: 89, ..Default::default() }));
    assert_eq!(events[n - 1], StreamEvent::Done);
}

#[test]
fn thinking_stream() {
    let events = decode(&fixture("stream_thinking.sse"));
    let reasoning: String = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ReasoningDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert!(reasoning.starts_with("Let me solve this") && reasoning.ends_with("400 + 50 + 3"));
    assert_eq!(text(&events), "27 * 453 = 12,231");
    assert!(events.contains(&StreamEvent::Finish(FinishReason::Length)));
    let last_usage = events.iter().rev().find_map(|e| match e {
        StreamEvent::Usage(u) => Some(*u),
        _ => None,
    });
    assert_eq!(
        last_usage,
        Some(Usage { prompt_tokens: 52 + 2048, completion_tokens: 1024, cache_creation_tokens: 2048, ..Default::default() })
    );
}

#[test]
fn in_stream_error() {
    let events = decode(&fixture("stream_error.sse"));
    assert_eq!(text(&events), "Once upon");
    assert_eq!(events.last(), Some(&StreamEvent::Error { message: "Anthropic overloaded_error: Overloaded".into() }));
    assert!(!events.contains(&StreamEvent::Done));
}

#[test]
fn every_chunking_gives_the_same_events() {
    for name in ["stream_text.sse", "stream_tool_use.sse", "stream_thinking.sse", "stream_error.sse"] {
        assert_chunking_invariant(&fixture(name));
    }
}

#[test]
fn crlf_line_endings() {
    let lf = fixture("stream_tool_use.sse");
    let crlf = String::from_utf8(lf.clone()).unwrap().replace('\n', "\r\n").into_bytes();
    assert_eq!(decode(&crlf), decode(&lf));
}

#[test]
fn a_cut_stream_is_not_done_and_the_last_frame_is_flushed() {
    let bytes = fixture("stream_text.sse");
    let text_ = String::from_utf8(bytes).unwrap();
    // Cut right after the message_delta data line, before its blank line.
    let cut = text_.find("\"output_tokens\":15}}").unwrap() + "\"output_tokens\":15}}".len();
    let mut d = MessagesStream::new();
    let mut events = d.push(&text_.as_bytes()[..cut]);
    assert!(!events.contains(&StreamEvent::Finish(FinishReason::Stop)));
    events.extend(d.finish());
    assert!(events.contains(&StreamEvent::Finish(FinishReason::Stop)));
    assert!(!events.contains(&StreamEvent::Done));
}

#[test]
fn unknown_events_are_skipped_and_garbage_is_an_error() {
    let s = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\"}}\n\n\
             event: brand_new_event\ndata: {\"type\":\"brand_new_event\",\"x\":1}\n\n\
             event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"server_tool_use\",\"id\":\"srvtoolu_1\",\"name\":\"web_search\",\"input\":{}}}\n\n\
             event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"q\\\":1}\"}}\n\n\
             event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"citations_delta\",\"citation\":{}}}\n\n\
             event: content_block_delta\ndata: {not json\n\n";
    let events = decode(s.as_bytes());
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(matches!(&events[0], StreamEvent::Start { id: Some(id), .. } if id == "m"));
    assert!(matches!(&events[1], StreamEvent::Error { message } if message.contains("content_block_delta")));
}

#[test]
fn start_comes_first_even_without_message_start() {
    let s = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"Hi\"}}\n\n";
    assert_eq!(decode(s.as_bytes()), vec![StreamEvent::Start { id: None, model: None }, StreamEvent::TextDelta("Hi".into())]);
}

#[test]
fn translated_for_an_openai_client() {
    use crate::providers::client::chat::chunks::ChunkEncoder;
    use crate::providers::stream_transform::{ChunkOut, StreamTransform};
    use crate::providers::translate::TranslatingStream;

    let mut t = TranslatingStream::new(Box::new(MessagesStream::new()), Box::new(ChunkEncoder::new("r1", "claude-sonnet-4-5", 1, true)));
    let mut out = Vec::new();
    for c in fixture("stream_tool_use.sse").chunks(17) {
        let ChunkOut::Bytes(b) = t.push(c) else { panic!("a translator replaces chunks") };
        out.extend(b);
    }
    out.extend(t.finish());
    let chunks: Vec<Value> = SseParser::new()
        .push(&out)
        .into_iter()
        .filter(|e| e.data != "[DONE]")
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect();
    assert!(String::from_utf8(out).unwrap().ends_with("data: [DONE]\n\n"));
    assert!(chunks.iter().all(|c| c["id"] == "msg_014p7gG3wDgGV9EUtLvnow3U"));
    let finish: Vec<_> = chunks.iter().filter_map(|c| c["choices"][0]["finish_reason"].as_str()).collect();
    assert_eq!(finish, vec!["tool_calls"]);
    let usage = &chunks.last().unwrap()["usage"];
    assert_eq!((usage["prompt_tokens"].as_u64(), usage["completion_tokens"].as_u64()), (Some(472), Some(89)));
    let s = t.summary();
    assert!(s.done);
    assert_eq!(s.finish_reason.as_deref(), Some("tool_calls"));
}
