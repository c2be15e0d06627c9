//! The encoder's streams, checked event by event, against the protocol's
//! rules, and read back with the Anthropic provider's own stream decoder.

use super::*;
use crate::providers::adapter::ChatAdapter;
use crate::providers::upstream::anthropic::Anthropic;
use crate::providers::sse::SseParser;
use crate::providers::stream_transform::{ChunkOut, StreamTransform};
use crate::providers::translate::TranslatingStream;

fn echo() -> Echo {
    Echo { thinking: true, input_tokens: 42 }
}

fn encode_all(echo: Echo, events: &[StreamEvent]) -> Vec<u8> {
    let mut enc = MessagesEncoder::new(echo, "req-1", "requested-model");
    events.iter().flat_map(|e| enc.encode(e.clone())).collect()
}

/// (event name, data) of every frame; the name always equals data's type.
fn frames(bytes: &[u8]) -> Vec<(String, Value)> {
    let mut p = SseParser::new();
    let mut events = p.push(bytes);
    events.extend(p.finish());
    assert!(p.pending() == 0);
    events
        .into_iter()
        .map(|e| {
            let data: Value = serde_json::from_str(&e.data).unwrap();
            let name = e.event.unwrap();
            assert_eq!(data["type"], name.as_str(), "{data}");
            (name, data)
        })
        .collect()
}

fn names(frames: &[(String, Value)]) -> Vec<&str> {
    frames.iter().map(|(n, _)| n.as_str()).collect()
}

/// A complete stream follows the protocol: message_start (and ping) first,
/// blocks one after another with increasing indexes, deltas of the type the
/// block needs, message_delta and message_stop last. Returns each block's
/// start and its concatenated deltas.
fn check_protocol(frames: &[(String, Value)]) -> Vec<(Value, String)> {
    assert_eq!(names(&frames[..2]), ["message_start", "ping"]);
    let msg = &frames[0].1["message"];
    assert_eq!((msg["type"].as_str(), msg["role"].as_str()), (Some("message"), Some("assistant")));
    assert_eq!(msg["content"], json!([]));
    assert!(msg["stop_reason"].is_null() && msg["usage"]["input_tokens"].is_u64());
    let n = frames.len();
    assert_eq!(names(&frames[n - 2..]), ["message_delta", "message_stop"]);
    assert!(frames[n - 2].1["delta"]["stop_reason"].is_string());
    assert!(frames[n - 2].1["usage"]["output_tokens"].is_u64());
    let mut blocks: Vec<(Value, String)> = Vec::new();
    let mut open: Option<u64> = None;
    for (name, data) in &frames[2..n - 2] {
        match name.as_str() {
            "content_block_start" => {
                assert_eq!(open, None, "a block starts while another is open");
                assert_eq!(data["index"].as_u64(), Some(blocks.len() as u64));
                open = data["index"].as_u64();
                blocks.push((data["content_block"].clone(), String::new()));
            }
            "content_block_delta" => {
                assert_eq!(data["index"].as_u64(), open, "a delta to a block that is not open");
                let (block, text) = blocks.last_mut().unwrap();
                let d = &data["delta"];
                let piece = match (block["type"].as_str().unwrap(), d["type"].as_str().unwrap()) {
                    ("text", "text_delta") => d["text"].as_str(),
                    ("thinking", "thinking_delta") => d["thinking"].as_str(),
                    ("tool_use", "input_json_delta") => d["partial_json"].as_str(),
                    other => panic!("delta {other:?}"),
                };
                text.push_str(piece.unwrap());
            }
            "content_block_stop" => {
                assert_eq!(data["index"].as_u64(), open);
                open = None;
            }
            other => panic!("unexpected {other} inside the message"),
        }
    }
    assert_eq!(open, None, "a block is left open");
    blocks
}

fn usage(prompt: u64, completion: u64, cached: u64, written: u64) -> Usage {
    Usage { prompt_tokens: prompt, completion_tokens: completion, cached_tokens: cached, cache_creation_tokens: written, ..Default::default() }
}

#[test]
fn text_stream() {
    let out = encode_all(
        echo(),
        &[
            StreamEvent::Start { id: Some("chatcmpl-9".into()), model: Some("gpt-5-2025".into()) },
            StreamEvent::TextDelta("Hel".into()),
            StreamEvent::TextDelta(String::new()),
            StreamEvent::TextDelta("lo".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(usage(1200, 7, 1000, 0)),
            StreamEvent::Done,
        ],
    );
    let f = frames(&out);
    assert_eq!(
        names(&f),
        [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let blocks = check_protocol(&f);
    assert_eq!(blocks, vec![(json!({"type": "text", "text": ""}), "Hello".to_string())]);
    let msg = &f[0].1["message"];
    assert_eq!((msg["id"].as_str(), msg["model"].as_str()), (Some("msg_req1"), Some("gpt-5-2025")));
    // Usage came after the content: the estimate, then the real numbers.
    assert_eq!(msg["usage"], json!({"input_tokens": 42, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}));
    let delta = &f[6].1;
    assert_eq!(delta["delta"], json!({"stop_reason": "end_turn", "stop_sequence": null}));
    assert_eq!(delta["usage"], json!({"input_tokens": 200, "output_tokens": 7, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1000}));
    // The exact framing Anthropic uses.
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("event: message_start\ndata: {"), "{text}");
    assert!(text.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"), "{text}");
}

#[test]
fn usage_known_up_front_goes_in_message_start() {
    let f = frames(&encode_all(
        echo(),
        &[
            StreamEvent::Start { id: Some("msg_01abc".into()), model: None },
            StreamEvent::Usage(usage(1110, 1, 1000, 100)),
            StreamEvent::TextDelta("Hi".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(usage(1110, 9, 1000, 100)),
            StreamEvent::Done,
        ],
    ));
    check_protocol(&f);
    let msg = &f[0].1["message"];
    assert_eq!((msg["id"].as_str(), msg["model"].as_str()), (Some("msg_01abc"), Some("requested-model")));
    assert_eq!(msg["usage"], json!({"input_tokens": 10, "output_tokens": 1, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 1000}));
    assert_eq!(f.last().unwrap().0, "message_stop");
    assert_eq!(f[f.len() - 2].1["usage"]["output_tokens"], 9);
}

#[test]
fn a_tool_call_with_fragmented_arguments() {
    let f = frames(&encode_all(
        echo(),
        &[
            StreamEvent::Start { id: None, model: None },
            StreamEvent::ToolCallStart { index: 0, id: "call_1".into(), name: "weather".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "{\"ci".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: String::new() },
            StreamEvent::ToolCallArgs { index: 0, delta: "ty\": \"Par".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "is\"}".into() },
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Usage(usage(50, 20, 0, 0)),
            StreamEvent::Done,
        ],
    ));
    assert_eq!(
        names(&f),
        [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let blocks = check_protocol(&f);
    assert_eq!(blocks[0].0, json!({"type": "tool_use", "id": "call_1", "name": "weather", "input": {}}));
    assert_eq!(serde_json::from_str::<Value>(&blocks[0].1).unwrap(), json!({"city": "Paris"}));
    assert_eq!(f[f.len() - 2].1["delta"]["stop_reason"], "tool_use");
}

#[test]
fn text_then_tools_then_a_provider_saying_stop() {
    let f = frames(&encode_all(
        echo(),
        &[
            StreamEvent::TextDelta("Checking.".into()),
            StreamEvent::ToolCallStart { index: 0, id: String::new(), name: "now".into() },
            StreamEvent::ToolCallStart { index: 1, id: "c2".into(), name: "weather".into() },
            StreamEvent::ToolCallArgs { index: 1, delta: "{\"city\":\"Rome\"}".into() },
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Done,
        ],
    ));
    let blocks = check_protocol(&f);
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[0], (json!({"type": "text", "text": ""}), "Checking.".into()));
    // A tool without id gets one; one without arguments streams none.
    assert_eq!(blocks[1].0, json!({"type": "tool_use", "id": "toolu_req1_0", "name": "now", "input": {}}));
    assert_eq!(blocks[1].1, "");
    assert_eq!(blocks[2].0["id"], "c2");
    assert_eq!(blocks[2].1, "{\"city\":\"Rome\"}");
    assert_eq!(f[f.len() - 2].1["delta"]["stop_reason"], "tool_use");
    // No usage from the provider: the estimate and zero output.
    assert_eq!(f[f.len() - 2].1["usage"]["input_tokens"], 42);
}

#[test]
fn reasoning_then_text() {
    let events = [
        StreamEvent::Start { id: None, model: None },
        StreamEvent::ReasoningDelta("Think".into()),
        StreamEvent::ReasoningDelta("ing.".into()),
        StreamEvent::TextDelta("Answer".into()),
        StreamEvent::Finish(FinishReason::Stop),
        StreamEvent::Done,
    ];
    let blocks = check_protocol(&frames(&encode_all(echo(), &events)));
    assert_eq!(
        blocks,
        vec![
            (json!({"type": "thinking", "thinking": "", "signature": ""}), "Thinking.".into()),
            (json!({"type": "text", "text": ""}), "Answer".into()),
        ]
    );
    // Thinking not enabled by the client: the reasoning is left out.
    let blocks = check_protocol(&frames(&encode_all(Echo::default(), &events)));
    assert_eq!(blocks, vec![(json!({"type": "text", "text": ""}), "Answer".into())]);
}

#[test]
fn hidden_reasoning_still_starts_the_message() {
    let mut enc = MessagesEncoder::new(Echo::default(), "r", "m");
    let out = enc.encode(StreamEvent::ReasoningDelta("hm".into()));
    assert_eq!(names(&frames(&out)), ["message_start", "ping"]);
    assert!(enc.encode(StreamEvent::ReasoningDelta("more".into())).is_empty());
}

#[test]
fn parallel_tool_calls_with_interleaved_arguments() {
    let f = frames(&encode_all(
        echo(),
        &[
            StreamEvent::Start { id: None, model: None },
            StreamEvent::ToolCallStart { index: 0, id: "t0".into(), name: "a".into() },
            StreamEvent::ToolCallStart { index: 1, id: "t1".into(), name: "b".into() },
            StreamEvent::ToolCallArgs { index: 1, delta: "{\"y\":".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "{\"x\":".into() },
            StreamEvent::ToolCallStart { index: 2, id: "t2".into(), name: "c".into() },
            StreamEvent::ToolCallArgs { index: 2, delta: "{\"z\":3}".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "1}".into() },
            StreamEvent::ToolCallArgs { index: 1, delta: "2}".into() },
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Done,
        ],
    ));
    let blocks = check_protocol(&f);
    let got: Vec<(String, Value)> =
        blocks.iter().map(|(b, args)| (b["id"].as_str().unwrap().to_string(), serde_json::from_str(args).unwrap())).collect();
    assert_eq!(
        got,
        vec![("t0".into(), json!({"x": 1})), ("t1".into(), json!({"y": 2})), ("t2".into(), json!({"z": 3}))]
    );
    // Tool 1 got its block as soon as tool 0's arguments were complete,
    // with its buffered fragment, and streamed the rest.
    let deltas: Vec<(u64, &str)> = f
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .map(|(_, d)| (d["index"].as_u64().unwrap(), d["delta"]["partial_json"].as_str().unwrap()))
        .collect();
    assert_eq!(deltas, vec![(0, "{\"x\":"), (0, "1}"), (1, "{\"y\":"), (1, "2}"), (2, "{\"z\":3}")]);
}

#[test]
fn sequential_parallel_calls_stream_each_in_turn() {
    // OpenAI's way: each call whole before the next starts.
    let f = frames(&encode_all(
        echo(),
        &[
            StreamEvent::ToolCallStart { index: 0, id: "t0".into(), name: "a".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "{}".into() },
            StreamEvent::ToolCallStart { index: 1, id: "t1".into(), name: "b".into() },
            StreamEvent::ToolCallArgs { index: 1, delta: "{\"q\":".into() },
            StreamEvent::ToolCallArgs { index: 1, delta: "true}".into() },
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Done,
        ],
    ));
    check_protocol(&f);
    let kinds: Vec<String> = f[2..f.len() - 2].iter().map(|(n, d)| format!("{n}:{}", d["index"])).collect();
    assert_eq!(
        kinds,
        [
            "content_block_start:0",
            "content_block_delta:0",
            "content_block_stop:0",
            "content_block_start:1",
            "content_block_delta:1",
            "content_block_delta:1",
            "content_block_stop:1"
        ]
    );
}

#[test]
fn length_finish() {
    let f = frames(&encode_all(
        echo(),
        &[StreamEvent::TextDelta("Once upon a".into()), StreamEvent::Finish(FinishReason::Length), StreamEvent::Done],
    ));
    check_protocol(&f);
    assert_eq!(f[f.len() - 2].1["delta"]["stop_reason"], "max_tokens");
}

#[test]
fn an_empty_answer_is_still_a_message() {
    let f = frames(&encode_all(echo(), &[StreamEvent::Start { id: None, model: None }, StreamEvent::Done]));
    assert_eq!(names(&f), ["message_start", "ping", "message_delta", "message_stop"]);
    assert_eq!(f[2].1["delta"]["stop_reason"], "end_turn");
}

#[test]
fn an_error_mid_stream_ends_it() {
    let mut enc = MessagesEncoder::new(echo(), "r", "m");
    let mut out = Vec::new();
    for e in [StreamEvent::TextDelta("Once".into()), StreamEvent::Error { message: "Upstream overloaded".into() }] {
        out.extend(enc.encode(e));
    }
    let f = frames(&out);
    assert_eq!(names(&f), ["message_start", "ping", "content_block_start", "content_block_delta", "error"]);
    assert_eq!(f[4].1, json!({"type": "error", "error": {"type": "api_error", "message": "Upstream overloaded"}}));
    // Nothing after the error, and the pipe's own error event is not doubled.
    assert!(enc.encode(StreamEvent::Done).is_empty());
    assert!(ClientStreamEncoder::error_event(&enc, &GatewayError::gateway_timeout("late")).is_empty());
}

#[test]
fn a_cut_stream_gets_the_pipes_error_event() {
    let mut enc = MessagesEncoder::new(echo(), "r", "m");
    enc.encode(StreamEvent::TextDelta("Once".into()));
    let e = GatewayError::rate_limited(ErrorCode::RateLimitExceeded, "slow down");
    let f = frames(&ClientStreamEncoder::error_event(&enc, &e));
    assert_eq!(f, vec![("error".to_string(), json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}))]);
    // After message_stop there is nothing to add.
    enc.encode(StreamEvent::Done);
    assert!(ClientStreamEncoder::error_event(&enc, &e).is_empty());
}

// ---- read back by the Anthropic provider's decoder ----

fn decode(bytes: &[u8]) -> Vec<StreamEvent> {
    let mut d = Anthropic.stream_decoder();
    // Odd-sized chunks, to cross frame boundaries.
    let mut out: Vec<StreamEvent> = bytes.chunks(7).flat_map(|c| d.push(c)).collect();
    out.extend(d.finish());
    out
}

fn without_usage(events: &[StreamEvent]) -> Vec<StreamEvent> {
    events.iter().filter(|e| !matches!(e, StreamEvent::Usage(_))).cloned().collect()
}

fn last_usage(events: &[StreamEvent]) -> Option<Usage> {
    events.iter().rev().find_map(|e| match e {
        StreamEvent::Usage(u) => Some(*u),
        _ => None,
    })
}

#[test]
fn round_trip_through_the_anthropic_decoder() {
    let start = StreamEvent::Start { id: Some("msg_01rt".into()), model: Some("gpt-5".into()) };
    let final_usage = StreamEvent::Usage(usage(2000, 300, 1500, 200));
    let sequences: Vec<Vec<StreamEvent>> = vec![
        vec![
            start.clone(),
            StreamEvent::TextDelta("Hello, wörld! 👋".into()),
            StreamEvent::TextDelta(" Bye.".into()),
            StreamEvent::Finish(FinishReason::Stop),
            final_usage.clone(),
            StreamEvent::Done,
        ],
        vec![
            start.clone(),
            StreamEvent::ReasoningDelta("Let me think\nabout \"quotes\".".into()),
            StreamEvent::TextDelta("I'll check.".into()),
            StreamEvent::ToolCallStart { index: 0, id: "toolu_01".into(), name: "weather".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "{\"city\":".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "\"Paris\"}".into() },
            StreamEvent::ToolCallStart { index: 1, id: "call_x".into(), name: "time".into() },
            StreamEvent::ToolCallArgs { index: 1, delta: "{}".into() },
            StreamEvent::Finish(FinishReason::ToolCalls),
            final_usage.clone(),
            StreamEvent::Done,
        ],
        vec![start.clone(), StreamEvent::TextDelta("Truncat".into()), StreamEvent::Finish(FinishReason::Length), final_usage.clone(), StreamEvent::Done],
        vec![start.clone(), StreamEvent::Finish(FinishReason::ContentFilter), final_usage.clone(), StreamEvent::Done],
    ];
    for events in sequences {
        let bytes = encode_all(echo(), &events);
        check_protocol(&frames(&bytes));
        let back = decode(&bytes);
        assert_eq!(without_usage(&back), without_usage(&events));
        assert_eq!(last_usage(&back), last_usage(&events));
    }
}

#[test]
fn interleaved_tools_round_trip_per_call() {
    let events = [
        StreamEvent::ToolCallStart { index: 0, id: "t0".into(), name: "a".into() },
        StreamEvent::ToolCallStart { index: 1, id: "t1".into(), name: "b".into() },
        StreamEvent::ToolCallArgs { index: 1, delta: "{\"y\":[1,".into() },
        StreamEvent::ToolCallArgs { index: 0, delta: "{\"x\":".into() },
        StreamEvent::ToolCallArgs { index: 1, delta: "2]}".into() },
        StreamEvent::ToolCallArgs { index: 0, delta: "\"v\"}".into() },
        StreamEvent::Finish(FinishReason::ToolCalls),
        StreamEvent::Done,
    ];
    let back = decode(&encode_all(echo(), &events));
    let args = |i: u32| -> Value {
        let s: String = back
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCallArgs { index, delta } if *index == i => Some(delta.as_str()),
                _ => None,
            })
            .collect();
        serde_json::from_str(&s).unwrap()
    };
    assert_eq!((args(0), args(1)), (json!({"x": "v"}), json!({"y": [1, 2]})));
    assert!(back.contains(&StreamEvent::ToolCallStart { index: 1, id: "t1".into(), name: "b".into() }));
    assert_eq!(back.last(), Some(&StreamEvent::Done));
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/anthropic/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A real Anthropic stream, decoded and re-encoded by the translating
/// stream, decodes to exactly what the original does.
#[test]
fn anthropic_streams_survive_translation() {
    for name in ["stream_text.sse", "stream_tool_use.sse", "stream_thinking.sse"] {
        let original = fixture(name);
        let encoder = MessagesEncoder::new(echo(), "req-1", "claude");
        let mut t = TranslatingStream::new(Anthropic.stream_decoder(), Box::new(encoder));
        let mut out = Vec::new();
        for c in original.chunks(13) {
            let ChunkOut::Bytes(b) = t.push(c) else { panic!("a translator replaces chunks") };
            out.extend(b);
        }
        out.extend(t.finish());
        assert!(t.summary().done, "{name}");
        check_protocol(&frames(&out));
        assert_eq!(decode(&out), decode(&original), "{name}");
    }
}

#[test]
fn an_anthropic_error_stream_stays_an_error() {
    let encoder = MessagesEncoder::new(echo(), "req-1", "claude");
    let mut t = TranslatingStream::new(Anthropic.stream_decoder(), Box::new(encoder));
    let ChunkOut::Bytes(mut out) = t.push(&fixture("stream_error.sse")) else { panic!() };
    out.extend(t.finish());
    assert!(!t.summary().done);
    // The pipe adds its own error event to an unfinished stream: here, none.
    assert!(t.error_event(&GatewayError::gateway_timeout("cut")).is_empty());
    let f = frames(&out);
    let (name, data) = f.last().unwrap();
    assert_eq!(name, "error");
    assert_eq!(data["error"]["message"], "Anthropic overloaded_error: Overloaded");
    assert!(!names(&f).contains(&"message_stop"));
}
