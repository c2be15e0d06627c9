//! Anthropic's Messages wire format: `POST /v1/messages` (JSON, and SSE
//! with named events: message_start, content_block_start/delta/stop, ping,
//! message_delta, message_stop), `POST /v1/messages/count_tokens`, and the
//! `{"type":"error","error":{type,message}}` error body.

use crate::conversation::{Conversation, Reply, Tool};
use crate::openai::parallel_calls;
use crate::output::Output;
use crate::text;
use serde_json::{json, Value};

/// Whether a path belongs to the Messages API (error bodies in its shape).
pub fn serves(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    p.ends_with("/messages") || p.contains("/messages/")
}

pub fn conversation(req: &Value) -> Conversation {
    let mut c = Conversation::default();
    let mut all = Vec::new();
    if let Some(s @ (Value::String(_) | Value::Array(_))) = req.get("system") {
        let system = text::content_text(s);
        all.push(system.clone());
        c.system = Some(system);
    }
    let empty = Vec::new();
    for m in req.get("messages").and_then(Value::as_array).unwrap_or(&empty) {
        let is_user = m.get("role").and_then(Value::as_str) == Some("user");
        let blocks = match m.get("content") {
            Some(Value::String(s)) => vec![json!({"type": "text", "text": s})],
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        // Blocks in order, as separate OpenAI messages would be: a tool
        // result followed by user text leaves the user's words last.
        for b in &blocks {
            match b.get("type").and_then(Value::as_str) {
                Some("text") => {
                    let t = b.get("text").and_then(Value::as_str).unwrap_or_default().to_string();
                    all.push(t.clone());
                    if is_user {
                        c.last_user = t;
                        c.tool_result = None;
                    }
                }
                Some("tool_result") if is_user => {
                    let t = b.get("content").map(text::content_text).unwrap_or_default();
                    all.push(t.clone());
                    c.tool_result = Some(t);
                }
                Some("tool_use") => all.push(b.get("input").map(Value::to_string).unwrap_or_default()),
                _ => {}
            }
        }
    }
    for t in req.get("tools").and_then(Value::as_array).unwrap_or(&empty) {
        // Server tools (web search, …) have a `type` and no input schema.
        if let (Some(name), Some(schema)) = (t.get("name").and_then(Value::as_str), t.get("input_schema")) {
            c.tools.push(Tool { name: name.into(), parameters: schema.clone() });
        }
    }
    let choice = req.get("tool_choice");
    let serial = choice.and_then(|tc| tc.get("disable_parallel_tool_use")).and_then(Value::as_bool) == Some(true);
    c.parallel_calls = parallel_calls(serial.then_some(&Value::Bool(false)), &c.last_user, c.tools.len());
    if choice.and_then(|tc| tc.get("type")).and_then(Value::as_str) == Some("none") {
        c.tools.clear();
    }
    c.all_text = all.join(" ");
    c
}

/// The request's own mistakes, as Anthropic reports them.
fn invalid(req: &Value) -> Option<String> {
    if req.get("model").and_then(Value::as_str).is_none() {
        return Some("model: Field required".into());
    }
    if req.get("max_tokens").and_then(Value::as_u64).is_none_or(|n| n == 0) {
        return Some("max_tokens: Field required".into());
    }
    if req.get("messages").and_then(Value::as_array).is_none() {
        return Some("messages: Field required".into());
    }
    None
}

/// The text answer cut at the first stop sequence or at `max_tokens`,
/// with the stop reason and the matched sequence.
fn cut(answer: &str, req: &Value) -> (String, &'static str, Value) {
    let stops: Vec<&str> = req
        .get("stop_sequences")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if let Some((at, seq)) = stops.iter().filter_map(|s| answer.find(s).map(|i| (i, *s))).min() {
        return (answer[..at].to_string(), "stop_sequence", json!(seq));
    }
    let max = req.get("max_tokens").and_then(Value::as_u64).unwrap_or(u64::MAX);
    if text::tokens(answer) > max {
        let kept: String = answer.chars().take((max * 4) as usize).collect();
        return (kept, "max_tokens", Value::Null);
    }
    (answer.to_string(), "end_turn", Value::Null)
}

fn usage(input: u64, output: u64) -> Value {
    json!({"input_tokens": input, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": output})
}

fn tool_id(conversation_id: &str) -> String {
    format!("toolu_{}", conversation_id.trim_start_matches("call_"))
}

fn event(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

pub fn messages(req: &Value, content: Option<&str>, request_id: &str) -> Output {
    if let Some(message) = invalid(req) {
        return error(400, &message);
    }
    let model = req.get("model").and_then(Value::as_str).unwrap_or("claude-mock").to_string();
    let conv = conversation(req);
    let reply = conv.reply(content);
    let id = format!("msg_mock_{request_id}");
    let input_tokens = conv.prompt_tokens();
    let (blocks, stop_reason, stop_sequence) = match &reply {
        Reply::Text(t) => {
            let (t, reason, seq) = cut(t, req);
            (vec![json!({"type": "text", "text": t})], reason, seq)
        }
        Reply::ToolCalls(calls) => (
            calls
                .iter()
                .map(|(cid, name, args)| json!({"type": "tool_use", "id": tool_id(cid), "name": name, "input": args}))
                .collect(),
            "tool_use",
            Value::Null,
        ),
    };
    let output_tokens: u64 = blocks
        .iter()
        .map(|b| match b.get("text").and_then(Value::as_str) {
            Some(t) => text::tokens(t),
            None => text::tokens(&format!("{}{}", b["name"], b["input"])),
        })
        .sum();

    if req.get("stream").and_then(Value::as_bool) != Some(true) {
        let mut out = Output::json(
            200,
            json!({
                "id": id, "type": "message", "role": "assistant", "model": model, "content": blocks,
                "stop_reason": stop_reason, "stop_sequence": stop_sequence, "usage": usage(input_tokens, output_tokens)
            }),
        );
        if let Output::Json { headers, .. } = &mut out {
            headers.push(("request-id".into(), request_id.to_string()));
        }
        return out;
    }

    let mut events = vec![event(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null, "usage": usage(input_tokens, 1)
        }}),
    )];
    for (index, block) in blocks.iter().enumerate() {
        let (start, deltas): (Value, Vec<Value>) = match block.get("text").and_then(Value::as_str) {
            Some(t) => (
                json!({"type": "text", "text": ""}),
                text::pieces(t).into_iter().map(|p| json!({"type": "text_delta", "text": p})).collect(),
            ),
            None => {
                let args = block["input"].to_string();
                let mid = (0..=args.len() / 2).rev().find(|&m| args.is_char_boundary(m)).unwrap_or(0);
                (
                    json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}),
                    ["", &args[..mid], &args[mid..]]
                        .iter()
                        .map(|p| json!({"type": "input_json_delta", "partial_json": p}))
                        .collect(),
                )
            }
        };
        events.push(event("content_block_start", json!({"type": "content_block_start", "index": index, "content_block": start})));
        if index == 0 {
            events.push(event("ping", json!({"type": "ping"})));
        }
        for delta in deltas {
            events.push(event("content_block_delta", json!({"type": "content_block_delta", "index": index, "delta": delta})));
        }
        events.push(event("content_block_stop", json!({"type": "content_block_stop", "index": index})));
    }
    events.push(event(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
            "usage": {"output_tokens": output_tokens}}),
    ));
    events.push(event("message_stop", json!({"type": "message_stop"})));
    Output::sse(events)
}

pub fn count_tokens(req: &Value) -> Output {
    Output::json(200, json!({"input_tokens": conversation(req).prompt_tokens()}))
}

/// Anthropic's error body; the type follows the status as Anthropic's does.
pub fn error(status: u16, message: &str) -> Output {
    let kind = match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        500..=599 => "api_error",
        _ => "invalid_request_error",
    };
    Output::json(status, json!({"type": "error", "error": {"type": kind, "message": message}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(o: Output) -> Value {
        match o {
            Output::Json { body, .. } => body,
            Output::Stream { .. } => panic!("not JSON"),
        }
    }

    /// (event name, data) pairs of a streamed answer.
    fn events(o: Output) -> Vec<(String, Value)> {
        let Output::Stream { chunks, content_type } = o else { panic!("not a stream") };
        assert_eq!(content_type, "text/event-stream");
        chunks
            .into_iter()
            .map(|c| {
                let s = String::from_utf8(c).unwrap();
                let (name, data) = s.trim_end().split_once('\n').unwrap();
                let name = name.strip_prefix("event: ").unwrap().to_string();
                let data: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
                assert_eq!(data["type"], name.as_str(), "event name and data type agree");
                (name, data)
            })
            .collect()
    }

    fn weather() -> Value {
        json!({"name": "get_weather", "description": "d",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}})
    }

    #[test]
    fn text_answer_json_and_stream() {
        let req = json!({"model": "claude-haiku-4-5", "max_tokens": 100, "system": "Be brief.",
            "messages": [{"role": "user", "content": "hello there"}]});
        let b = body(messages(&req, None, "1"));
        assert_eq!(b["type"], "message");
        assert_eq!(b["content"][0], json!({"type": "text", "text": "Mock answer to: hello there"}));
        assert_eq!(b["stop_reason"], "end_turn");
        assert!(b["usage"]["input_tokens"].as_u64().unwrap() > 0);

        let mut s = req.clone();
        s["stream"] = json!(true);
        let ev = events(messages(&s, None, "1"));
        let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[..3], ["message_start", "content_block_start", "ping"]);
        assert_eq!(names[names.len() - 3..], ["content_block_stop", "message_delta", "message_stop"]);
        let text: String = ev.iter().filter_map(|(_, d)| d.pointer("/delta/text").and_then(Value::as_str)).collect();
        assert_eq!(text, "Mock answer to: hello there");
        let delta = &ev[ev.len() - 2].1;
        assert_eq!(delta["delta"]["stop_reason"], "end_turn");
        assert_eq!(delta["usage"]["output_tokens"], b["usage"]["output_tokens"]);
    }

    #[test]
    fn agent_loop_with_tools() {
        let req = json!({"model": "m", "max_tokens": 100, "stream": true, "tools": [weather()],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Paris"}]}]});
        let ev = events(messages(&req, None, "1"));
        let start = &ev.iter().find(|(n, _)| n == "content_block_start").unwrap().1;
        assert_eq!(start["content_block"]["type"], "tool_use");
        assert_eq!(start["content_block"]["name"], "get_weather");
        assert!(start["content_block"]["id"].as_str().unwrap().starts_with("toolu_"));
        let args: String = ev.iter().filter_map(|(_, d)| d.pointer("/delta/partial_json").and_then(Value::as_str)).collect();
        assert_eq!(serde_json::from_str::<Value>(&args).unwrap(), json!({"city": "Paris"}));
        assert_eq!(ev[ev.len() - 2].1["delta"]["stop_reason"], "tool_use");

        // The tool result (merged with nothing else) is answered in words.
        let req = json!({"model": "m", "max_tokens": 100, "tools": [weather()], "messages": [
            {"role": "user", "content": "Paris"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_mock_0", "name": "get_weather", "input": {"city": "Paris"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_mock_0", "content": [{"type": "text", "text": "sunny"}]}]}
        ]});
        assert_eq!(body(messages(&req, None, "2"))["content"][0]["text"], "The tool returned: sunny");
    }

    #[test]
    fn parallel_calls_and_tool_choice() {
        let time = json!({"name": "get_time", "input_schema": {"type": "object", "properties": {}}});
        let req = json!({"model": "m", "max_tokens": 100, "tools": [weather(), time],
            "messages": [{"role": "user", "content": "weather and time in parallel"}]});
        assert_eq!(body(messages(&req, None, "1"))["content"].as_array().unwrap().len(), 2);
        let mut serial = req.clone();
        serial["tool_choice"] = json!({"type": "auto", "disable_parallel_tool_use": true});
        assert_eq!(body(messages(&serial, None, "1"))["content"].as_array().unwrap().len(), 1);
        let mut none = req.clone();
        none["tool_choice"] = json!({"type": "none"});
        assert_eq!(body(messages(&none, None, "1"))["content"][0]["type"], "text");
    }

    #[test]
    fn stop_sequences_and_max_tokens() {
        let req = json!({"model": "m", "max_tokens": 100, "stop_sequences": ["to:"], "messages": [{"role": "user", "content": "x"}]});
        let b = body(messages(&req, None, "1"));
        assert_eq!((b["content"][0]["text"].as_str(), b["stop_reason"].as_str(), b["stop_sequence"].as_str()), (Some("Mock answer "), Some("stop_sequence"), Some("to:")));
        let req = json!({"model": "m", "max_tokens": 2, "messages": [{"role": "user", "content": "x"}]});
        let b = body(messages(&req, None, "1"));
        assert_eq!((b["content"][0]["text"].as_str(), b["stop_reason"].as_str()), (Some("Mock ans"), Some("max_tokens")));
    }

    #[test]
    fn required_fields_and_errors() {
        let b = body(messages(&json!({"model": "m", "messages": []}), None, "1"));
        assert_eq!(b["type"], "error");
        assert_eq!(b["error"]["type"], "invalid_request_error");
        assert!(b["error"]["message"].as_str().unwrap().contains("max_tokens"));
        for (status, kind) in [(529, "overloaded_error"), (429, "rate_limit_error"), (500, "api_error"), (401, "authentication_error")] {
            let Output::Json { status: s, body, .. } = error(status, "boom") else { panic!() };
            assert_eq!((s, body["error"]["type"].as_str(), body["error"]["message"].as_str()), (status, Some(kind), Some("boom")));
        }
        assert!(serves("/v1/messages") && serves("/anthropic/v1/messages/") && serves("/v1/messages/count_tokens"));
        assert!(!serves("/v1/chat/completions"));
    }

    #[test]
    fn token_count() {
        let req = json!({"model": "m", "messages": [{"role": "user", "content": "12345678"}]});
        assert_eq!(body(count_tokens(&req))["input_tokens"], 2);
    }
}
