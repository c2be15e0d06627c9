//! Event sequences in, the exact Responses stream out.

use super::*;
use crate::core::error::ErrorCode;
use crate::providers::model::ChatResponse;
use crate::providers::client::responses::response::to_json;
use crate::providers::sse::SseParser;

fn run(enc: &mut ResponsesEncoder, events: Vec<StreamEvent>) -> Vec<Value> {
    let mut bytes = Vec::new();
    for e in events {
        bytes.extend(enc.encode(e));
    }
    let f = frames(&bytes);
    check_protocol(&f);
    f
}

/// The frames' JSON; checks that `event:` names the data's `type`.
fn frames(bytes: &[u8]) -> Vec<Value> {
    SseParser::new()
        .push(bytes)
        .into_iter()
        .map(|e| {
            let v: Value = serde_json::from_str(&e.data).unwrap();
            assert_eq!(e.event.as_deref(), v["type"].as_str(), "event name and type agree");
            v
        })
        .collect()
}

fn types(frames: &[Value]) -> Vec<&str> {
    frames.iter().map(|f| f["type"].as_str().unwrap()).collect()
}

fn assert_sequence_numbers(frames: &[Value], from: u64) {
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f["sequence_number"], from + i as u64, "frame {i}: {f}");
    }
}

fn usage() -> Usage {
    Usage { prompt_tokens: 12, completion_tokens: 7, cached_tokens: 3, reasoning_tokens: 2, ..Default::default() }
}

fn encoder(echo: Echo) -> ResponsesEncoder {
    ResponsesEncoder::new(echo, "r1", "gateway-model", 1_700_000_000)
}

/// What `to_json` says for the same answer.
fn whole(answer: &ChatResponse, echo: &Echo, model: &str) -> Value {
    serde_json::from_slice(&to_json(answer, echo, "r1", model, 1_700_000_000)).unwrap()
}

#[test]
fn text() {
    let mut enc = encoder(Echo { instructions: json!("Be brief."), ..Echo::default() });
    let f = run(
        &mut enc,
        vec![
            StreamEvent::Start { id: Some("msg_provider".into()), model: Some("claude-3".into()) },
            StreamEvent::TextDelta("Hel".into()),
            StreamEvent::TextDelta(String::new()),
            StreamEvent::TextDelta("lo".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(usage()),
            StreamEvent::Done,
        ],
    );
    assert_eq!(
        types(&f),
        vec![
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_sequence_numbers(&f, 0);
    let created = &f[0]["response"];
    assert_eq!((created["id"].as_str(), created["status"].as_str()), (Some("resp_r1"), Some("in_progress")));
    assert_eq!(created["output"], json!([]));
    assert!(created["usage"].is_null());
    assert_eq!(created["model"], "claude-3");
    assert_eq!(created["instructions"], "Be brief.");
    assert_eq!(f[1]["response"], *created);
    assert_eq!(
        f[2]["item"],
        json!({"id": "msg_r1", "type": "message", "role": "assistant", "status": "in_progress", "content": []})
    );
    assert_eq!(f[2]["output_index"], 0);
    assert_eq!(f[3]["part"], json!({"type": "output_text", "text": "", "annotations": [], "logprobs": []}));
    for d in &f[3..8] {
        assert_eq!((d["item_id"].as_str(), d["output_index"].as_u64(), d["content_index"].as_u64()), (Some("msg_r1"), Some(0), Some(0)));
    }
    assert_eq!((f[4]["delta"].as_str(), f[5]["delta"].as_str()), (Some("Hel"), Some("lo")));
    assert_eq!(f[6]["text"], "Hello");
    assert_eq!(f[7]["part"]["text"], "Hello");
    assert_eq!(f[8]["item"]["status"], "completed");
    let done = &f[9]["response"];
    assert_eq!(done["status"], "completed");
    assert_eq!(done["output"], json!([f[8]["item"]]));
    assert_eq!(done["usage"], json!({"input_tokens": 12, "input_tokens_details": {"cached_tokens": 3}, "output_tokens": 7,
        "output_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 19}));
    let answer = ChatResponse { text: Some("Hello".into()), finish_reason: Some(FinishReason::Stop), usage: Some(usage()), ..Default::default() };
    let echo = Echo { instructions: json!("Be brief."), ..Echo::default() };
    assert_eq!(*done, whole(&answer, &echo, "claude-3"), "the streamed Response is the whole one");
    // Nothing follows the end.
    assert!(enc.encode(StreamEvent::TextDelta("late".into())).is_empty());
    assert!(enc.error_event(&GatewayError::bad_gateway(ErrorCode::UpstreamError, "y")).is_empty());
}

#[test]
fn tool_call_with_arguments_in_fragments() {
    let mut enc = encoder(Echo::default());
    let f = run(
        &mut enc,
        vec![
            StreamEvent::Start { id: None, model: None },
            StreamEvent::ToolCallStart { index: 0, id: "toolu_1".into(), name: "weather".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "{\"ci".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "ty\":\"Paris\"}".into() },
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Usage(usage()),
            StreamEvent::Done,
        ],
    );
    assert_eq!(
        types(&f),
        vec![
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_sequence_numbers(&f, 0);
    assert_eq!(f[0]["response"]["model"], "gateway-model");
    assert_eq!(
        f[2]["item"],
        json!({"id": "fc_r1_0", "type": "function_call", "status": "in_progress", "call_id": "toolu_1", "name": "weather", "arguments": ""})
    );
    assert_eq!((f[3]["item_id"].as_str(), f[3]["output_index"].as_u64(), f[3]["delta"].as_str()), (Some("fc_r1_0"), Some(0), Some("{\"ci")));
    assert_eq!(f[5]["arguments"], "{\"city\":\"Paris\"}");
    assert_eq!(f[5]["name"], "weather");
    assert_eq!(f[6]["item"]["status"], "completed");
    assert_eq!(f[6]["item"]["arguments"], "{\"city\":\"Paris\"}");
    let answer = ChatResponse {
        tool_calls: vec![ToolCall { id: "toolu_1".into(), name: "weather".into(), arguments: "{\"city\":\"Paris\"}".into() }],
        finish_reason: Some(FinishReason::ToolCalls),
        usage: Some(usage()),
        ..Default::default()
    };
    assert_eq!(f[7]["response"], whole(&answer, &Echo::default(), "gateway-model"));
}

#[test]
fn two_parallel_calls_close_in_order() {
    let mut enc = encoder(Echo::default());
    let f = run(
        &mut enc,
        vec![
            StreamEvent::TextDelta("Checking.".into()),
            StreamEvent::ToolCallStart { index: 0, id: "c0".into(), name: "a".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "{\"x\":".into() },
            StreamEvent::ToolCallStart { index: 1, id: "c1".into(), name: "b".into() },
            StreamEvent::ToolCallStart { index: 1, id: "c1".into(), name: "b".into() },
            // A late fragment of the first call.
            StreamEvent::ToolCallArgs { index: 0, delta: "1}".into() },
            StreamEvent::ToolCallArgs { index: 1, delta: "{}".into() },
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Done,
        ],
    );
    assert_eq!(
        types(&f),
        vec![
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_sequence_numbers(&f, 0);
    // The second call waits until the first closes: its late fragment is streamed.
    assert_eq!(f[10]["delta"], "1}");
    assert_eq!(f[11]["arguments"], "{\"x\":1}");
    let indexes: Vec<(u64, &str)> = f
        .iter()
        .filter(|e| e["type"] == "response.output_item.added")
        .map(|e| (e["output_index"].as_u64().unwrap(), e["item"]["id"].as_str().unwrap()))
        .collect();
    assert_eq!(indexes, vec![(0, "msg_r1"), (1, "fc_r1_0"), (2, "fc_r1_1")]);
    assert_eq!((f[14]["item_id"].as_str(), f[14]["output_index"].as_u64()), (Some("fc_r1_1"), Some(2)));
    let answer = ChatResponse {
        text: Some("Checking.".into()),
        tool_calls: vec![
            ToolCall { id: "c0".into(), name: "a".into(), arguments: "{\"x\":1}".into() },
            ToolCall { id: "c1".into(), name: "b".into(), arguments: "{}".into() },
        ],
        finish_reason: Some(FinishReason::ToolCalls),
        ..Default::default()
    };
    let done = &f[17]["response"];
    assert_eq!(done["output"], whole(&answer, &Echo::default(), "gateway-model")["output"]);
    assert_eq!(done["usage"]["total_tokens"], 0, "no usage reported: zeros");
}

#[test]
fn reasoning_then_text() {
    let mut enc = encoder(Echo::default());
    let f = run(
        &mut enc,
        vec![
            StreamEvent::Start { id: None, model: Some("claude-3".into()) },
            StreamEvent::ReasoningDelta("Let me ".into()),
            StreamEvent::ReasoningDelta("think.".into()),
            StreamEvent::TextDelta("Answer.".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(usage()),
            StreamEvent::Done,
        ],
    );
    assert_eq!(
        types(&f),
        vec![
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_sequence_numbers(&f, 0);
    assert_eq!(f[2]["item"], json!({"id": "rs_r1", "type": "reasoning", "summary": []}));
    assert_eq!(f[3]["part"], json!({"type": "summary_text", "text": ""}));
    for e in &f[3..8] {
        assert_eq!((e["item_id"].as_str(), e["output_index"].as_u64(), e["summary_index"].as_u64()), (Some("rs_r1"), Some(0), Some(0)));
    }
    assert_eq!(f[6]["text"], "Let me think.");
    assert_eq!(f[7]["part"]["text"], "Let me think.");
    assert_eq!((f[9]["output_index"].as_u64(), f[11]["item_id"].as_str()), (Some(1), Some("msg_r1")));
    let answer = ChatResponse {
        text: Some("Answer.".into()),
        reasoning: Some("Let me think.".into()),
        finish_reason: Some(FinishReason::Stop),
        usage: Some(usage()),
        ..Default::default()
    };
    assert_eq!(f[15]["response"], whole(&answer, &Echo::default(), "claude-3"));
}

#[test]
fn custom_tool_input_is_decoded() {
    let echo = Echo { custom_tools: vec!["apply_patch".into()], ..Echo::default() };
    let mut enc = encoder(echo.clone());
    let f = run(
        &mut enc,
        vec![
            StreamEvent::ToolCallStart { index: 0, id: "call_9".into(), name: "apply_patch".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: "{\"input\":\"*** Begin".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: " Patch\\n\"}".into() },
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Done,
        ],
    );
    assert_eq!(
        types(&f),
        vec![
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.custom_tool_call_input.delta",
            "response.custom_tool_call_input.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_eq!(
        f[2]["item"],
        json!({"id": "ctc_r1_0", "type": "custom_tool_call", "status": "in_progress", "call_id": "call_9", "name": "apply_patch", "input": ""})
    );
    assert_eq!((f[3]["item_id"].as_str(), f[3]["delta"].as_str()), (Some("ctc_r1_0"), Some("*** Begin Patch\n")));
    assert_eq!(f[4]["input"], "*** Begin Patch\n");
    assert_eq!(f[5]["item"]["input"], "*** Begin Patch\n");
    let answer = ChatResponse {
        tool_calls: vec![ToolCall { id: "call_9".into(), name: "apply_patch".into(), arguments: "{\"input\":\"*** Begin Patch\\n\"}".into() }],
        finish_reason: Some(FinishReason::ToolCalls),
        ..Default::default()
    };
    assert_eq!(f[6]["response"], whole(&answer, &echo, "gateway-model"));
}

#[test]
fn length_ends_incomplete() {
    let mut enc = encoder(Echo { max_output_tokens: Some(3), ..Echo::default() });
    let f = run(
        &mut enc,
        vec![
            StreamEvent::TextDelta("Once upon".into()),
            StreamEvent::Finish(FinishReason::Length),
            StreamEvent::Usage(usage()),
            StreamEvent::Done,
        ],
    );
    let t = types(&f);
    assert_eq!(t[t.len() - 2..], ["response.output_item.done", "response.incomplete"]);
    assert_eq!(f[t.len() - 2]["item"]["status"], "incomplete");
    let r = &f[t.len() - 1]["response"];
    assert_eq!(r["status"], "incomplete");
    assert_eq!(r["incomplete_details"], json!({"reason": "max_output_tokens"}));
    assert_eq!(r["max_output_tokens"], 3);
    let answer = ChatResponse { text: Some("Once upon".into()), finish_reason: Some(FinishReason::Length), usage: Some(usage()), ..Default::default() };
    assert_eq!(*r, whole(&answer, &Echo { max_output_tokens: Some(3), ..Echo::default() }, "gateway-model"));
}

#[test]
fn an_error_in_the_stream_fails_the_response() {
    let mut enc = encoder(Echo::default());
    let f = run(
        &mut enc,
        vec![
            StreamEvent::TextDelta("Par".into()),
            StreamEvent::Usage(usage()),
            StreamEvent::Error { message: "overloaded".into() },
            StreamEvent::Done,
        ],
    );
    assert_eq!(
        types(&f),
        vec![
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "error",
            "response.failed",
        ]
    );
    assert_sequence_numbers(&f, 0);
    assert_eq!((f[5]["code"].as_str(), f[5]["message"].as_str()), (Some("upstream_stream_error"), Some("overloaded")));
    let r = &f[6]["response"];
    assert_eq!(r["status"], "failed");
    assert_eq!(r["error"], json!({"code": "server_error", "message": "overloaded"}));
    assert_eq!(r["output"][0]["status"], "incomplete");
    assert_eq!(r["output"][0]["content"][0]["text"], "Par");
    assert_eq!(r["usage"]["input_tokens"], 12);
    // The pipe's own error event adds nothing after the failure.
    assert!(enc.error_event(&GatewayError::bad_gateway(ErrorCode::UpstreamError, "y")).is_empty());
}

#[test]
fn a_broken_stream_fails_where_it_stopped() {
    let mut enc = encoder(Echo::default());
    let mut bytes = Vec::new();
    for e in [
        StreamEvent::ToolCallStart { index: 0, id: "c".into(), name: "f".into() },
        StreamEvent::ToolCallArgs { index: 0, delta: "{\"a\"".into() },
        StreamEvent::ToolCallStart { index: 1, id: "d".into(), name: "g".into() },
        StreamEvent::ToolCallArgs { index: 1, delta: "{\"b\":2}".into() },
    ] {
        bytes.extend(enc.encode(e));
    }
    let e = GatewayError::bad_gateway(ErrorCode::UpstreamStreamInterrupted, "The stream ended early.");
    bytes.extend(enc.error_event(&e));
    let f = frames(&bytes);
    assert_sequence_numbers(&f, 0);
    let t = types(&f);
    assert_eq!(t[t.len() - 2..], ["error", "response.failed"]);
    let last = &f[f.len() - 1]["response"];
    assert_eq!(last["error"], json!({"code": "upstream_stream_interrupted", "message": "The stream ended early."}));
    assert_eq!(last["output"][0]["arguments"], "{\"a\"");
    assert_eq!(last["output"][0]["status"], "incomplete");
    assert_eq!((last["output"][1]["id"].as_str(), last["output"][1]["arguments"].as_str()), (Some("fc_r1_1"), Some("{\"b\":2}")));

    // Before any event: the Response is still created, then failed.
    let f = frames(&encoder(Echo::default()).error_event(&e));
    assert_eq!(types(&f), vec!["response.created", "response.in_progress", "error", "response.failed"]);
    assert_sequence_numbers(&f, 0);
}

#[test]
fn an_error_before_anything_still_opens_the_response() {
    let mut enc = encoder(Echo::default());
    let f = run(&mut enc, vec![StreamEvent::Error { message: "boom".into() }]);
    assert_eq!(types(&f), vec!["response.created", "response.in_progress", "error", "response.failed"]);
    assert_sequence_numbers(&f, 0);
    assert!(enc.encode(StreamEvent::Done).is_empty());
}

#[test]
fn works_as_a_translating_stream_encoder() {
    let boxed: Box<dyn ClientStreamEncoder> = Box::new(encoder(Echo::default()));
    let mut boxed = boxed;
    let out = boxed.encode(StreamEvent::Done);
    let f = frames(&out);
    assert_eq!(types(&f), vec!["response.created", "response.in_progress", "response.completed"]);
    assert_eq!(f[2]["response"]["output"], json!([]));
}

/// The protocol clients rely on: numbered frames, one item open at a time,
/// deltas naming the open item, output indexes counting up, and a final
/// Response whose output is the items as closed.
fn check_protocol(f: &[Value]) {
    assert_sequence_numbers(f, 0);
    assert_eq!(types(&f[..2]), ["response.created", "response.in_progress"]);
    let mut open: Option<(u64, String)> = None;
    let mut closed: Vec<Value> = Vec::new();
    for (i, e) in f.iter().enumerate().skip(2) {
        let kind = e["type"].as_str().unwrap();
        match kind {
            "response.output_item.added" => {
                assert!(open.is_none(), "frame {i}: an item is still open");
                assert_eq!(e["output_index"], closed.len() as u64, "frame {i}");
                open = Some((closed.len() as u64, e["item"]["id"].as_str().unwrap().to_string()));
            }
            "response.output_item.done" => {
                let (index, id) = open.take().unwrap_or_else(|| panic!("frame {i}: nothing open"));
                assert_eq!((e["output_index"].as_u64(), e["item"]["id"].as_str()), (Some(index), Some(id.as_str())), "frame {i}");
                closed.push(e["item"].clone());
            }
            "response.completed" | "response.incomplete" => {
                assert_eq!(i, f.len() - 1, "the end is last");
                assert!(open.is_none());
                assert_eq!(e["response"]["output"], Value::Array(closed.clone()));
            }
            "response.failed" => assert_eq!(i, f.len() - 1, "the end is last"),
            "error" => {}
            _ => {
                let (index, id) = open.as_ref().unwrap_or_else(|| panic!("frame {i} ({kind}): nothing open"));
                assert_eq!((e["output_index"].as_u64(), e["item_id"].as_str()), (Some(*index), Some(id.as_str())), "frame {i}");
            }
        }
    }
}

/// The whole answer the events describe.
fn fold(events: &[StreamEvent]) -> ChatResponse {
    let mut r = ChatResponse::default();
    for e in events {
        match e {
            StreamEvent::Start { model, .. } => r.model = model.clone(),
            StreamEvent::TextDelta(t) => r.text.get_or_insert_with(String::new).push_str(t),
            StreamEvent::ReasoningDelta(t) => r.reasoning.get_or_insert_with(String::new).push_str(t),
            StreamEvent::ToolCallStart { id, name, .. } => {
                r.tool_calls.push(ToolCall { id: id.clone(), name: name.clone(), arguments: String::new() })
            }
            StreamEvent::ToolCallArgs { index, delta } => r.tool_calls[*index as usize].arguments.push_str(delta),
            StreamEvent::Finish(reason) => r.finish_reason = Some(*reason),
            StreamEvent::Usage(u) => r.usage = Some(*u),
            StreamEvent::Error { .. } | StreamEvent::Done => {}
        }
    }
    r
}

#[test]
fn anthropic_streams_translate_to_well_formed_responses() {
    use crate::catalog::AdapterKind;
    use crate::providers::adapter::adapter_for;
    for name in ["stream_text.sse", "stream_thinking.sse", "stream_tool_use.sse", "stream_error.sse"] {
        let bytes = std::fs::read(format!("{}/tests/fixtures/anthropic/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut decoder = adapter_for(AdapterKind::Anthropic).unwrap().stream_decoder();
        let mut events = decoder.push(&bytes);
        events.extend(decoder.finish());
        let mut enc = encoder(Echo::default());
        let f = run(&mut enc, events.clone());
        check_protocol(&f);
        let last = f.last().unwrap();
        if events.contains(&StreamEvent::Done) {
            let answer = fold(&events);
            let end = if answer.finish_reason == Some(FinishReason::Length) { "response.incomplete" } else { "response.completed" };
            assert_eq!(last["type"], end, "{name}");
            assert_eq!(last["response"], whole(&answer, &Echo::default(), "gateway-model"), "{name}");
            assert!(last["response"]["usage"]["input_tokens"].as_u64().unwrap() > 0, "{name}");
        } else {
            assert_eq!(last["type"], "response.failed", "{name}");
        }
    }
}
