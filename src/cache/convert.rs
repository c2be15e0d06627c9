//! Converting a cached answer between its two stored forms.
//!
//! The cache keeps whichever form the first client received: the JSON body
//! of a non-streamed answer, or the `data:` payloads of a streamed one (each
//! the JSON text of one chunk, `[DONE]` left out). A later identical request
//! may want the other form, and answering it from the cache is only worth it
//! if the conversion is faithful, so both directions follow OpenAI's wire
//! format (other providers' answers were translated before they were stored)
//! and JSON → events → JSON gives back the same answer.
//!
//! Stored events come from our own storage but were produced by upstreams,
//! so nothing here trusts them: folding refuses anything that is not a
//! stream of the expected kind, and replay forwards what it cannot parse
//! rather than failing a request that the client would otherwise get.

use crate::providers::client::chat::response::usage_json;
use crate::providers::sse;
use crate::core::usage::Usage;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    /// `/v1/chat/completions`.
    Chat,
    /// The legacy `/v1/completions`.
    Completion,
}

impl AnswerKind {
    fn chunk_object(self) -> &'static str {
        match self {
            AnswerKind::Chat => "chat.completion.chunk",
            AnswerKind::Completion => "text_completion",
        }
    }

    fn answer_object(self) -> &'static str {
        match self {
            AnswerKind::Chat => "chat.completion",
            AnswerKind::Completion => "text_completion",
        }
    }
}

/// Top-level fields copied between an answer and its chunks. The first
/// three are always written so the result has OpenAI's mandatory shape.
const ENVELOPE: [&str; 5] = ["id", "created", "model", "system_fingerprint", "service_tier"];

/// Payloads that carry no chunk: keep-alives, comments, and a `[DONE]`
/// that slipped into storage (replaying it would end the stream twice).
fn is_filler(event: &str) -> bool {
    let t = event.trim();
    t.is_empty() || t.starts_with(':') || t == "[DONE]"
}

fn has_usage(chunk: &Map<String, Value>) -> bool {
    chunk.get("usage").is_some_and(|u| !u.is_null())
}

/// A missing `object` is tolerated (some compatible servers drop it); a
/// different one means the answer is of another kind.
fn object_ok(map: &Map<String, Value>, expected: &str) -> bool {
    map.get("object").is_none_or(|o| o.as_str() == Some(expected))
}

fn is_usage_chunk(chunk: &Map<String, Value>) -> bool {
    has_usage(chunk) && chunk.get("choices").and_then(Value::as_array).is_none_or(Vec::is_empty)
}

/// The envelope fields of `source`, missing optional ones left out.
fn envelope_of(source: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (i, key) in ENVELOPE.into_iter().enumerate() {
        let value = source.get(key).filter(|v| !v.is_null());
        if value.is_some() || i < 3 {
            out.insert(key.to_string(), value.cloned().unwrap_or(Value::Null));
        }
    }
    out
}

/// Appends a streamed string field; a non-string, non-null value means the
/// chunk is not OpenAI's and the fold gives up.
fn append(acc: &mut Option<String>, value: Option<&Value>) -> Option<()> {
    match value {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => acc.get_or_insert_with(String::new).push_str(s),
        Some(_) => return None,
    }
    Some(())
}

/// Logprobs stream as per-chunk slices (`content`/`refusal` for chat, the
/// `tokens`, `token_logprobs`, … arrays for completions); the whole answer's
/// are their concatenation, key by key.
fn merge_logprobs(acc: &mut Value, new: Option<&Value>) {
    let Some(new) = new.filter(|v| !v.is_null()) else { return };
    if acc.is_null() {
        *acc = new.clone();
        return;
    }
    let (Some(acc), Some(new)) = (acc.as_object_mut(), new.as_object()) else { return };
    for (key, value) in new {
        match (acc.get_mut(key), value) {
            (Some(Value::Array(a)), Value::Array(b)) => a.extend(b.iter().cloned()),
            (Some(slot), v) if slot.is_null() => *slot = v.clone(),
            (None, v) => {
                acc.insert(key.clone(), v.clone());
            }
            _ => {}
        }
    }
}

fn keep_finish(acc: &mut Value, new: Option<&Value>) {
    if let Some(v) = new.filter(|v| !v.is_null()) {
        *acc = v.clone();
    }
}

#[derive(Default)]
struct ToolCallAcc {
    id: Option<Value>,
    kind: Option<Value>,
    name: Option<Value>,
    arguments: String,
}

#[derive(Default)]
struct ChoiceAcc {
    /// The message content, or a completion's text.
    content: Option<String>,
    refusal: Option<String>,
    reasoning: Option<String>,
    tool_calls: BTreeMap<u64, ToolCallAcc>,
    logprobs: Value,
    finish_reason: Value,
}

fn first(slot: &mut Option<Value>, value: Option<&Value>) {
    if slot.is_none() {
        *slot = value.filter(|v| !v.is_null()).cloned();
    }
}

fn fold_chat_delta(acc: &mut ChoiceAcc, delta: &Map<String, Value>) -> Option<()> {
    append(&mut acc.content, delta.get("content"))?;
    append(&mut acc.refusal, delta.get("refusal"))?;
    append(&mut acc.reasoning, delta.get("reasoning_content"))?;
    let calls = match delta.get("tool_calls") {
        None | Some(Value::Null) => return Some(()),
        Some(v) => v.as_array()?,
    };
    for (pos, call) in calls.iter().enumerate() {
        let call = call.as_object()?;
        // Some OpenAI-compatible servers omit the index when there is only one call.
        let index = call.get("index").and_then(Value::as_u64).unwrap_or(pos as u64);
        let slot = acc.tool_calls.entry(index).or_default();
        first(&mut slot.id, call.get("id"));
        first(&mut slot.kind, call.get("type"));
        if let Some(function) = call.get("function").and_then(Value::as_object) {
            first(&mut slot.name, function.get("name"));
            let mut args = None;
            append(&mut args, function.get("arguments"))?;
            slot.arguments.push_str(&args.unwrap_or_default());
        }
    }
    Some(())
}

fn chat_choice(index: u64, acc: ChoiceAcc) -> Value {
    let tool_calls: Vec<Value> = acc
        .tool_calls
        .into_values()
        .map(|c| {
            json!({
                "id": c.id.unwrap_or(Value::Null),
                "type": c.kind.unwrap_or_else(|| json!("function")),
                "function": { "name": c.name.unwrap_or(Value::Null), "arguments": c.arguments },
            })
        })
        .collect();
    // A role chunk with `"content": ""` before tool calls is common; the
    // non-streamed form of such an answer has `content: null`.
    let content = acc.content.filter(|c| !c.is_empty() || tool_calls.is_empty());
    let mut message = json!({
        "role": "assistant",
        "content": content,
        "refusal": acc.refusal.filter(|r| !r.is_empty()),
    });
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    if let Some(reasoning) = acc.reasoning.filter(|r| !r.is_empty()) {
        message["reasoning_content"] = Value::String(reasoning);
    }
    json!({ "index": index, "message": message, "logprobs": acc.logprobs, "finish_reason": acc.finish_reason })
}

/// Folds a stored stream into the body of the equivalent non-streamed answer.
/// None when the events are not a well-formed OpenAI stream of that kind.
pub fn events_to_json(kind: AnswerKind, events: &[String]) -> Option<String> {
    let mut envelope: Option<Map<String, Value>> = None;
    let mut usage = Value::Null;
    let mut choices: BTreeMap<u64, ChoiceAcc> = BTreeMap::new();
    for event in events.iter().filter(|e| !is_filler(e)) {
        let chunk: Value = serde_json::from_str(event).ok()?;
        let chunk = chunk.as_object().filter(|c| object_ok(c, kind.chunk_object()))?;
        let env = envelope.get_or_insert_with(Map::new);
        for key in ENVELOPE {
            if let Some(v) = chunk.get(key).filter(|v| !v.is_null()) {
                env.entry(key).or_insert_with(|| v.clone());
            }
        }
        if has_usage(chunk) {
            usage = chunk.get("usage").cloned().unwrap_or(Value::Null);
        }
        let list = match chunk.get("choices") {
            None | Some(Value::Null) => continue,
            Some(v) => v.as_array()?,
        };
        for choice in list {
            let choice = choice.as_object()?;
            let index = choice.get("index").and_then(Value::as_u64).unwrap_or(0);
            let acc = choices.entry(index).or_default();
            match kind {
                AnswerKind::Chat => match choice.get("delta") {
                    None | Some(Value::Null) => {}
                    Some(delta) => fold_chat_delta(acc, delta.as_object()?)?,
                },
                AnswerKind::Completion => append(&mut acc.content, choice.get("text"))?,
            }
            merge_logprobs(&mut acc.logprobs, choice.get("logprobs"));
            keep_finish(&mut acc.finish_reason, choice.get("finish_reason"));
        }
    }
    let mut out = envelope_of(&envelope?);
    out.insert("object".into(), json!(kind.answer_object()));
    let choices: Vec<Value> = choices
        .into_iter()
        .map(|(index, acc)| match kind {
            AnswerKind::Chat => chat_choice(index, acc),
            AnswerKind::Completion => json!({
                "text": acc.content.unwrap_or_default(),
                "index": index,
                "logprobs": acc.logprobs,
                "finish_reason": acc.finish_reason,
            }),
        })
        .collect();
    out.insert("choices".into(), Value::Array(choices));
    if !usage.is_null() {
        out.insert("usage".into(), usage);
    }
    Some(Value::Object(out).to_string())
}

fn chunk_with(envelope: &Map<String, Value>, kind: AnswerKind, choices: Vec<Value>, usage: Option<Value>) -> String {
    let mut chunk = envelope.clone();
    chunk.insert("object".into(), json!(kind.chunk_object()));
    chunk.insert("choices".into(), Value::Array(choices));
    if let Some(usage) = usage {
        chunk.insert("usage".into(), usage);
    }
    Value::Object(chunk).to_string()
}

fn chat_first_delta(message: &Map<String, Value>) -> Option<Value> {
    let mut delta = json!({
        "role": "assistant",
        "content": message.get("content").cloned().unwrap_or(Value::Null),
    });
    for key in ["refusal", "reasoning_content"] {
        if let Some(v) = message.get(key).filter(|v| !v.is_null()) {
            delta[key] = v.clone();
        }
    }
    if let Some(calls) = message.get("tool_calls").filter(|v| !v.is_null()) {
        // A message's tool call is a stream delta without the index: the
        // whole call, arguments complete, goes out in one piece.
        let mut out = calls.as_array()?.clone();
        for (index, call) in out.iter_mut().enumerate() {
            call.as_object_mut()?.insert("index".into(), json!(index));
        }
        if !out.is_empty() {
            delta["tool_calls"] = Value::Array(out);
        }
    }
    Some(delta)
}

/// The chunks a streaming request would have received for a stored JSON answer
/// (without `[DONE]`); includes a usage chunk (`choices: []`) when the JSON had usage.
pub fn json_to_events(kind: AnswerKind, json: &str) -> Option<Vec<String>> {
    let answer: Value = serde_json::from_str(json).ok()?;
    let answer = answer.as_object().filter(|a| object_ok(a, kind.answer_object()))?;
    let envelope = envelope_of(answer);
    let choices = answer.get("choices")?.as_array()?;
    let mut events = Vec::with_capacity(2 * choices.len() + 1);
    let mut finishes = Vec::new();
    for (pos, choice) in choices.iter().enumerate() {
        let choice = choice.as_object()?;
        let index = choice.get("index").and_then(Value::as_u64).unwrap_or(pos as u64);
        let logprobs = choice.get("logprobs").cloned().unwrap_or(Value::Null);
        let finish = choice.get("finish_reason").cloned().unwrap_or(Value::Null);
        match kind {
            AnswerKind::Chat => {
                let delta = chat_first_delta(choice.get("message")?.as_object()?)?;
                let body = json!({ "index": index, "delta": delta, "logprobs": logprobs, "finish_reason": null });
                events.push(chunk_with(&envelope, kind, vec![body], None));
                let end = json!({ "index": index, "delta": {}, "logprobs": null, "finish_reason": finish });
                finishes.push(chunk_with(&envelope, kind, vec![end], None));
            }
            AnswerKind::Completion => {
                let text = choice.get("text").cloned().unwrap_or_else(|| json!(""));
                let body = json!({ "text": text, "index": index, "logprobs": logprobs, "finish_reason": finish });
                events.push(chunk_with(&envelope, kind, vec![body], None));
            }
        }
    }
    events.extend(finishes);
    if has_usage(answer) {
        events.push(chunk_with(&envelope, kind, Vec::new(), answer.get("usage").cloned()));
    }
    Some(events)
}

/// The SSE bytes that replay stored events to a streaming client:
/// `data: <event>\n\n` per event, then `data: [DONE]\n\n`. The usage chunk (a chunk with
/// empty `choices` and a `usage` object) is sent only when `include_usage`; when the
/// client asked for usage and the stored events have none but `usage` is given, one is
/// appended (shape from `crate::providers::client::chat::response::usage_json`).
/// When usage is not wanted, also drop any `"usage"` key from the other chunks.
pub fn replay(kind: AnswerKind, events: &[String], include_usage: bool, usage: Option<&Usage>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut envelope: Option<Map<String, Value>> = None;
    let mut saw_usage = false;
    for event in events.iter().filter(|e| !is_filler(e)) {
        let Ok(Value::Object(mut chunk)) = serde_json::from_str::<Value>(event) else {
            // Not ours to judge: the client got these bytes the first time too.
            out.extend(sse::encode(None, event));
            continue;
        };
        envelope.get_or_insert_with(|| envelope_of(&chunk));
        saw_usage |= has_usage(&chunk);
        if is_usage_chunk(&chunk) {
            if include_usage {
                out.extend(sse::encode(None, event));
            }
            continue;
        }
        // Re-serialise only when something changed, so stored bytes replay as stored.
        if !include_usage && chunk.remove("usage").is_some() {
            out.extend(sse::encode(None, &Value::Object(chunk).to_string()));
        } else {
            out.extend(sse::encode(None, event));
        }
    }
    if include_usage && !saw_usage {
        if let Some(usage) = usage {
            let envelope = envelope.unwrap_or_else(|| envelope_of(&Map::new()));
            out.extend(sse::encode(None, &chunk_with(&envelope, kind, Vec::new(), Some(usage_json(usage)))));
        }
    }
    out.extend_from_slice(b"data: [DONE]\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    fn strings(events: &[Value]) -> Vec<String> {
        events.iter().map(Value::to_string).collect()
    }

    /// The `data:` payloads of replayed SSE bytes, `[DONE]` included.
    fn payloads(bytes: &[u8]) -> Vec<String> {
        let text = std::str::from_utf8(bytes).unwrap();
        assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
        text.split("\n\n").filter(|e| !e.is_empty()).map(|e| e.strip_prefix("data: ").unwrap().to_string()).collect()
    }

    fn chat_chunk(choices: Value) -> Value {
        json!({ "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 7, "model": "gpt-4o",
                "system_fingerprint": "fp_1", "choices": choices, "usage": null })
    }

    fn usage_chunk() -> Value {
        json!({ "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 7, "model": "gpt-4o",
                "choices": [], "usage": { "prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8 } })
    }

    fn round_trip(kind: AnswerKind, answer: &Value) -> Value {
        let events = json_to_events(kind, &answer.to_string()).unwrap();
        v(&events_to_json(kind, &events).unwrap())
    }

    #[test]
    fn chat_text_round_trips() {
        let answer = json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 7, "model": "gpt-4o",
            "system_fingerprint": "fp_1",
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": "Hello there", "refusal": null,
                          "reasoning_content": "think" }, "logprobs": null, "finish_reason": "stop" }],
            "usage": { "prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8 },
        });
        let events = json_to_events(AnswerKind::Chat, &answer.to_string()).unwrap();
        assert_eq!(events.len(), 3);
        let last = v(&events[2]);
        assert_eq!(last["choices"], json!([]));
        assert_eq!(last["object"], "chat.completion.chunk");
        assert_eq!(v(&events[1])["choices"][0]["delta"], json!({}));
        assert_eq!(round_trip(AnswerKind::Chat, &answer), answer);
    }

    #[test]
    fn chat_tool_calls_round_trip() {
        let answer = json!({
            "id": "chatcmpl-2", "object": "chat.completion", "created": 9, "model": "gpt-4o",
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": null, "refusal": null,
                "tool_calls": [
                    { "id": "call_a", "type": "function", "function": { "name": "weather", "arguments": "{\"city\":\"Oslo\"}" } },
                    { "id": "call_b", "type": "function", "function": { "name": "time", "arguments": "{}" } },
                ] }, "logprobs": null, "finish_reason": "tool_calls" }],
        });
        let events = json_to_events(AnswerKind::Chat, &answer.to_string()).unwrap();
        assert_eq!(events.len(), 2, "no usage chunk without usage");
        assert_eq!(v(&events[0])["choices"][0]["delta"]["tool_calls"][1]["index"], 1);
        assert_eq!(round_trip(AnswerKind::Chat, &answer), answer);
    }

    #[test]
    fn stream_with_split_tool_call_arguments_folds() {
        let call = |index: u64, id: Option<&str>, name: Option<&str>, args: &str| {
            let mut c = json!({ "index": index, "function": { "arguments": args } });
            if let Some(id) = id {
                c["id"] = json!(id);
                c["type"] = json!("function");
                c["function"]["name"] = json!(name);
            }
            c
        };
        let delta = |d: Value, finish: Value| {
            chat_chunk(json!([{ "index": 0, "delta": d, "logprobs": null, "finish_reason": finish }]))
        };
        let events = strings(&[
            delta(
                json!({ "role": "assistant", "content": "", "refusal": null,
                          "tool_calls": [call(0, Some("call_a"), Some("weather"), "")] }),
                Value::Null,
            ),
            delta(json!({ "tool_calls": [call(0, None, None, "{\"ci")] }), Value::Null),
            delta(json!({ "tool_calls": [call(0, None, None, "ty\":\"Oslo\"}")] }), Value::Null),
            delta(json!({ "tool_calls": [call(1, Some("call_b"), Some("time"), "{")] }), Value::Null),
            delta(json!({ "tool_calls": [call(1, None, None, "}")] }), Value::Null),
            delta(json!({}), json!("tool_calls")),
            usage_chunk(),
        ]);
        let answer = v(&events_to_json(AnswerKind::Chat, &events).unwrap());
        assert_eq!(answer["object"], "chat.completion");
        assert_eq!(answer["system_fingerprint"], "fp_1");
        let choice = &answer["choices"][0];
        assert_eq!(choice["finish_reason"], "tool_calls");
        assert_eq!(choice["message"]["content"], Value::Null);
        assert_eq!(
            choice["message"]["tool_calls"],
            json!([
                { "id": "call_a", "type": "function", "function": { "name": "weather", "arguments": "{\"city\":\"Oslo\"}" } },
                { "id": "call_b", "type": "function", "function": { "name": "time", "arguments": "{}" } },
            ])
        );
        assert_eq!(answer["usage"]["total_tokens"], 8);
    }

    #[test]
    fn interleaved_choices_fold_by_index() {
        let piece = |i: u64, text: &str, finish: Value| json!({ "index": i, "delta": { "content": text }, "logprobs": { "content": [{ "token": text }] }, "finish_reason": finish });
        let events = strings(&[
            chat_chunk(
                json!([{ "index": 1, "delta": { "role": "assistant", "content": "" }, "logprobs": null, "finish_reason": null }]),
            ),
            chat_chunk(
                json!([{ "index": 0, "delta": { "role": "assistant", "content": "" }, "logprobs": null, "finish_reason": null }]),
            ),
            chat_chunk(json!([piece(1, "B1", Value::Null)])),
            chat_chunk(json!([piece(0, "A1", Value::Null), piece(1, "B2", Value::Null)])),
            chat_chunk(json!([piece(0, "A2", json!("stop"))])),
            chat_chunk(json!([{ "index": 1, "delta": {}, "logprobs": null, "finish_reason": "length" }])),
        ]);
        let answer = v(&events_to_json(AnswerKind::Chat, &events).unwrap());
        let choices = answer["choices"].as_array().unwrap();
        assert_eq!(choices.len(), 2);
        assert_eq!(choices[0]["index"], 0);
        assert_eq!(choices[0]["message"]["content"], "A1A2");
        assert_eq!(choices[0]["finish_reason"], "stop");
        assert_eq!(choices[0]["logprobs"]["content"], json!([{ "token": "A1" }, { "token": "A2" }]));
        assert_eq!(choices[1]["message"]["content"], "B1B2");
        assert_eq!(choices[1]["finish_reason"], "length");
        assert!(answer.get("usage").is_none(), "null usage is not usage");
        assert_eq!(round_trip(AnswerKind::Chat, &answer), answer);
    }

    #[test]
    fn refusal_and_reasoning_fold() {
        let delta = |d: Value| chat_chunk(json!([{ "index": 0, "delta": d, "logprobs": null, "finish_reason": null }]));
        let events = strings(&[
            delta(json!({ "role": "assistant", "content": null, "refusal": "" })),
            delta(json!({ "reasoning_content": "Hmm, " })),
            delta(json!({ "reasoning_content": "no." })),
            delta(json!({ "refusal": "I can't " })),
            delta(json!({ "refusal": "help with that." })),
        ]);
        let answer = v(&events_to_json(AnswerKind::Chat, &events).unwrap());
        let message = &answer["choices"][0]["message"];
        assert_eq!(message["content"], Value::Null);
        assert_eq!(message["refusal"], "I can't help with that.");
        assert_eq!(message["reasoning_content"], "Hmm, no.");
        assert!(message.get("tool_calls").is_none());
        assert_eq!(answer["choices"][0]["finish_reason"], Value::Null);
        assert_eq!(round_trip(AnswerKind::Chat, &answer), answer);
    }

    #[test]
    fn completions_fold_and_round_trip() {
        let chunk = |i: u64, text: &str, finish: Value| {
            json!({ "id": "cmpl-1", "object": "text_completion", "created": 3, "model": "gpt-3.5-turbo-instruct",
                    "choices": [{ "text": text, "index": i, "logprobs": null, "finish_reason": finish }] })
        };
        let mut usage = usage_chunk();
        usage["object"] = json!("text_completion");
        let events = strings(&[
            chunk(0, "Once", Value::Null),
            chunk(1, "A", Value::Null),
            chunk(0, " upon", json!("length")),
            chunk(1, " cat", json!("stop")),
            usage,
        ]);
        let answer = v(&events_to_json(AnswerKind::Completion, &events).unwrap());
        assert_eq!(answer["object"], "text_completion");
        assert_eq!(
            answer["choices"][0],
            json!({ "text": "Once upon", "index": 0, "logprobs": null, "finish_reason": "length" })
        );
        assert_eq!(answer["choices"][1]["text"], "A cat");
        assert_eq!(answer["usage"]["prompt_tokens"], 5);
        let back = json_to_events(AnswerKind::Completion, &answer.to_string()).unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(v(&back[2])["choices"], json!([]));
        assert_eq!(round_trip(AnswerKind::Completion, &answer), answer);
    }

    #[test]
    fn filler_events_are_skipped() {
        let events =
            strings(&[chat_chunk(json!([{ "index": 0, "delta": { "content": "hi" }, "finish_reason": "stop" }]))]);
        let mut with_filler = vec![String::new(), ": keep-alive".to_string()];
        with_filler.extend(events.clone());
        with_filler.push("[DONE]".to_string());
        assert_eq!(events_to_json(AnswerKind::Chat, &with_filler), events_to_json(AnswerKind::Chat, &events));
        assert_eq!(payloads(&replay(AnswerKind::Chat, &with_filler, true, None)).len(), 2);
    }

    #[test]
    fn malformed_input_gives_none() {
        let good = chat_chunk(json!([{ "index": 0, "delta": { "content": "hi" }, "finish_reason": null }]));
        let fold = |events: &[Value]| events_to_json(AnswerKind::Chat, &strings(events));
        assert!(events_to_json(AnswerKind::Chat, &[]).is_none());
        assert!(events_to_json(AnswerKind::Chat, &["{not json".to_string()]).is_none());
        assert!(events_to_json(AnswerKind::Chat, &[good.to_string(), "{\"id\":".to_string()]).is_none());
        assert!(fold(&[json!([1, 2])]).is_none());
        assert!(fold(&[json!({ "object": "chat.completion", "choices": [] })]).is_none());
        assert!(fold(&[json!({ "object": "chat.completion.chunk", "choices": {} })]).is_none());
        assert!(fold(&[
            json!({ "object": "chat.completion.chunk", "choices": [{ "index": 0, "delta": { "content": 5 } }] })
        ])
        .is_none());
        assert!(events_to_json(AnswerKind::Completion, &strings(&[good])).is_none(), "chat chunks are not completions");
        assert!(json_to_events(AnswerKind::Chat, "nope").is_none());
        assert!(json_to_events(AnswerKind::Chat, "{\"object\":\"text_completion\",\"choices\":[]}").is_none());
        assert!(json_to_events(AnswerKind::Chat, "{\"object\":\"chat.completion\"}").is_none());
        assert!(
            json_to_events(AnswerKind::Chat, "{\"choices\":[{\"index\":0}]}").is_none(),
            "chat choice without message"
        );
    }

    fn stored_stream(with_usage: bool) -> Vec<String> {
        let mut events = vec![
            chat_chunk(
                json!([{ "index": 0, "delta": { "role": "assistant", "content": "Hi" }, "finish_reason": null }]),
            ),
            chat_chunk(json!([{ "index": 0, "delta": {}, "finish_reason": "stop" }])),
        ];
        if with_usage {
            events.push(usage_chunk());
        }
        strings(&events)
    }

    #[test]
    fn replay_with_usage_keeps_stored_usage_chunk() {
        let events = stored_stream(true);
        let sent = payloads(&replay(AnswerKind::Chat, &events, true, Some(&Usage::default())));
        assert_eq!(sent.len(), 4);
        assert_eq!(&sent[..3], &events[..], "stored bytes replay unchanged");
        assert_eq!(sent[3], "[DONE]");
    }

    #[test]
    fn replay_without_usage_drops_usage_chunk_and_keys() {
        let sent = payloads(&replay(AnswerKind::Chat, &stored_stream(true), false, None));
        assert_eq!(sent.len(), 3);
        assert!(sent[..2].iter().all(|e| v(e).get("usage").is_none()), "{sent:?}");
        assert_eq!(v(&sent[0])["choices"][0]["delta"]["content"], "Hi");
        assert_eq!(sent[2], "[DONE]");
    }

    #[test]
    fn replay_appends_usage_when_stream_had_none() {
        let usage = Usage { prompt_tokens: 10, completion_tokens: 4, cached_tokens: 2, ..Usage::default() };
        let sent = payloads(&replay(AnswerKind::Chat, &stored_stream(false), true, Some(&usage)));
        assert_eq!(sent.len(), 4);
        let chunk = v(&sent[2]);
        assert_eq!(chunk["id"], "chatcmpl-1");
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["choices"], json!([]));
        assert_eq!(chunk["usage"], usage_json(&usage));
        assert_eq!(sent[3], "[DONE]");

        let without = payloads(&replay(AnswerKind::Chat, &stored_stream(false), true, None));
        assert_eq!(without.len(), 3, "nothing to append without a usage");
        let unwanted = payloads(&replay(AnswerKind::Chat, &stored_stream(false), false, Some(&usage)));
        assert_eq!(unwanted.len(), 3);
    }

    #[test]
    fn replay_passes_malformed_events_through() {
        let events = vec!["{broken".to_string(), "[1,2]".to_string()];
        let bytes = replay(AnswerKind::Completion, &events, false, None);
        assert_eq!(bytes, b"data: {broken\n\ndata: [1,2]\n\ndata: [DONE]\n\n".to_vec());
    }
}
