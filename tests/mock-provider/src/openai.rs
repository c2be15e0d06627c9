//! OpenAI's wire format: chat completions (JSON and SSE, tool calls,
//! `stream_options.include_usage`), legacy completions, embeddings, models.

use crate::conversation::{Conversation, Reply, Tool};
use crate::output::{data_event, Output};
use crate::text;
use serde_json::{json, Value};

const CREATED: u64 = 1_700_000_000;

pub fn conversation(req: &Value) -> Conversation {
    let mut c = Conversation::default();
    let empty = Vec::new();
    let messages = req.get("messages").and_then(Value::as_array).unwrap_or(&empty);
    let mut all = Vec::new();
    for m in messages {
        let role = m.get("role").and_then(Value::as_str).unwrap_or("");
        let content = m.get("content").map(text::content_text).unwrap_or_default();
        all.push(content.clone());
        match role {
            "system" | "developer" => c.system = Some(content),
            "user" => {
                c.last_user = content;
                c.tool_result = None;
            }
            "tool" => c.tool_result = Some(content),
            _ => {}
        }
    }
    for t in req.get("tools").and_then(Value::as_array).unwrap_or(&empty) {
        let f = t.get("function").unwrap_or(t);
        if let Some(name) = f.get("name").and_then(Value::as_str) {
            c.tools.push(Tool { name: name.into(), parameters: f.get("parameters").cloned().unwrap_or(json!({})) });
        }
    }
    c.parallel_calls = parallel_calls(req.get("parallel_tool_calls"), &c.last_user, c.tools.len());
    if req.get("tool_choice").and_then(Value::as_str) == Some("none") {
        c.tools.clear();
    }
    c.all_text = all.join(" ");
    c
}

/// One tool call at a time, unless the task asks for several "in parallel"
/// and the request allows it: then one call per offered tool (at most 3).
pub fn parallel_calls(allowed: Option<&Value>, task: &str, tools: usize) -> usize {
    if allowed == Some(&Value::Bool(false)) || !task.contains("parallel") {
        1
    } else {
        tools.clamp(1, 3)
    }
}

fn usage(prompt: u64, completion: u64) -> Value {
    json!({
        "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}
    })
}

fn reply_tokens(reply: &Reply) -> u64 {
    match reply {
        Reply::Text(t) => text::tokens(t),
        Reply::ToolCalls(calls) => calls.iter().map(|(_, n, a)| text::tokens(&format!("{n}{a}"))).sum(),
    }
}

pub fn chat(req: &Value, content: Option<&str>, request_id: &str) -> Output {
    let model = req.get("model").and_then(Value::as_str).unwrap_or("mock-model").to_string();
    let conv = conversation(req);
    let reply = conv.reply(content);
    let (prompt, completion) = (conv.prompt_tokens(), reply_tokens(&reply));
    let id = format!("chatcmpl-{request_id}");
    let stream = req.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if !stream {
        let (message, finish) = match &reply {
            Reply::Text(t) => (json!({"role": "assistant", "content": t, "refusal": null}), "stop"),
            Reply::ToolCalls(calls) => (
                json!({"role": "assistant", "content": null, "tool_calls": calls.iter().map(|(id, name, args)| json!({
                    "id": id, "type": "function", "function": {"name": name, "arguments": args.to_string()}
                })).collect::<Vec<_>>()}),
                "tool_calls",
            ),
        };
        return Output::json(
            200,
            json!({
                "id": id, "object": "chat.completion", "created": CREATED, "model": model,
                "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
                "usage": usage(prompt, completion), "system_fingerprint": "fp_mock"
            }),
        );
    }
    let chunk = |delta: Value, finish: Value| {
        data_event(&json!({
            "id": id, "object": "chat.completion.chunk", "created": CREATED, "model": model,
            "system_fingerprint": "fp_mock",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
        }))
    };
    let mut events = vec![chunk(json!({"role": "assistant", "content": ""}), Value::Null)];
    let finish = match &reply {
        Reply::Text(t) => {
            for piece in text::pieces(t) {
                events.push(chunk(json!({"content": piece}), Value::Null));
            }
            "stop"
        }
        Reply::ToolCalls(calls) => {
            for (i, (call_id, name, args)) in calls.iter().enumerate() {
                events.push(chunk(
                    json!({"tool_calls": [{"index": i, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}]}),
                    Value::Null,
                ));
                let args = args.to_string();
                let mid = args.len() / 2;
                let mid = (0..=mid).rev().find(|&m| args.is_char_boundary(m)).unwrap_or(0);
                for part in [&args[..mid], &args[mid..]] {
                    events.push(chunk(json!({"tool_calls": [{"index": i, "function": {"arguments": part}}]}), Value::Null));
                }
            }
            "tool_calls"
        }
    };
    events.push(chunk(json!({}), json!(finish)));
    let include_usage = req.pointer("/stream_options/include_usage").and_then(Value::as_bool).unwrap_or(false);
    if include_usage {
        events.push(data_event(&json!({
            "id": id, "object": "chat.completion.chunk", "created": CREATED, "model": model,
            "choices": [], "usage": usage(prompt, completion)
        })));
    }
    events.push("data: [DONE]\n\n".to_string());
    Output::sse(events)
}

pub fn completions(req: &Value, content: Option<&str>, request_id: &str) -> Output {
    let model = req.get("model").and_then(Value::as_str).unwrap_or("mock-model");
    let prompt = match req.get("prompt") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
        _ => String::new(),
    };
    let answer = content.map(str::to_string).unwrap_or_else(|| format!("Mock completion of: {prompt}"));
    let (p, c) = (text::tokens(&prompt), text::tokens(&answer));
    let id = format!("cmpl-{request_id}");
    if req.get("stream").and_then(Value::as_bool).unwrap_or(false) {
        let mut events: Vec<String> = text::pieces(&answer)
            .into_iter()
            .map(|piece| data_event(&json!({"id": id, "object": "text_completion", "created": CREATED, "model": model,
                "choices": [{"index": 0, "text": piece, "logprobs": null, "finish_reason": null}]})))
            .collect();
        events.push(data_event(&json!({"id": id, "object": "text_completion", "created": CREATED, "model": model,
            "choices": [{"index": 0, "text": "", "logprobs": null, "finish_reason": "stop"}]})));
        if req.pointer("/stream_options/include_usage").and_then(Value::as_bool).unwrap_or(false) {
            events.push(data_event(&json!({"id": id, "object": "text_completion", "created": CREATED, "model": model,
                "choices": [], "usage": usage(p, c)})));
        }
        events.push("data: [DONE]\n\n".into());
        return Output::sse(events);
    }
    Output::json(
        200,
        json!({"id": id, "object": "text_completion", "created": CREATED, "model": model,
            "choices": [{"index": 0, "text": answer, "logprobs": null, "finish_reason": "stop"}], "usage": usage(p, c)}),
    )
}

pub fn embeddings(req: &Value) -> Output {
    let inputs: Vec<String> = match req.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect(),
        _ => return error(400, "'input' is required", "invalid_request_error"),
    };
    let dims = req.get("dimensions").and_then(Value::as_u64).unwrap_or(64) as usize;
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": text::embed(t, dims)}))
        .collect();
    let tokens: u64 = inputs.iter().map(|t| text::tokens(t)).sum();
    Output::json(
        200,
        json!({"object": "list", "data": data, "model": req.get("model").cloned().unwrap_or(json!("mock-embed")),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}),
    )
}

/// Categories of the moderation answer, as OpenAI names them.
const MODERATION_CATEGORIES: &[&str] = &["harassment", "hate", "self-harm", "sexual", "violence", "illicit"];

/// `POST /v1/moderations`, deterministic: a text scores 0.93 for
/// `violence` when it contains "attack plan", 0.4 for `harassment` when it
/// contains "you idiot", and 0.01 for everything else.
pub fn moderations(req: &Value) -> Output {
    let inputs: Vec<String> = match req.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect(),
        _ => return error(400, "'input' is required", "invalid_request_error"),
    };
    let results: Vec<Value> = inputs
        .iter()
        .map(|t| {
            let lower = t.to_lowercase();
            let score = |c: &str| match c {
                "violence" if lower.contains("attack plan") => 0.93,
                "harassment" if lower.contains("you idiot") => 0.4,
                _ => 0.01,
            };
            let scores: serde_json::Map<String, Value> = MODERATION_CATEGORIES.iter().map(|c| (c.to_string(), json!(score(c)))).collect();
            let flags: serde_json::Map<String, Value> = MODERATION_CATEGORIES.iter().map(|c| (c.to_string(), json!(score(c) >= 0.5))).collect();
            let flagged = flags.values().any(|f| f == &json!(true));
            json!({"flagged": flagged, "categories": flags, "category_scores": scores})
        })
        .collect();
    Output::json(200, json!({"id": "modr-mock", "model": req.get("model").cloned().unwrap_or(json!("omni-moderation-latest")), "results": results}))
}

pub fn models() -> Output {
    let ids = ["gpt-4o", "gpt-4o-mini", "text-embedding-3-small"];
    Output::json(
        200,
        json!({"object": "list", "data": ids.iter().map(|id| json!({"id": id, "object": "model", "created": CREATED, "owned_by": "mock"})).collect::<Vec<_>>()}),
    )
}

pub fn error(status: u16, message: &str, kind: &str) -> Output {
    let code = match status {
        401 => "invalid_api_key",
        429 => "rate_limit_exceeded",
        _ => "mock_error",
    };
    Output::json(status, json!({"error": {"message": message, "type": kind, "param": null, "code": code}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sse_text(o: Output) -> String {
        match o {
            Output::Stream { chunks, .. } => chunks.into_iter().map(|c| String::from_utf8(c).unwrap()).collect(),
            _ => panic!("not a stream"),
        }
    }

    #[test]
    fn chat_json_and_stream_agree() {
        let req = json!({"model":"gpt-4o","messages":[{"role":"user","content":"hello there"}]});
        let Output::Json { body, .. } = chat(&req, None, "1") else { panic!() };
        assert_eq!(body["choices"][0]["message"]["content"], "Mock answer to: hello there");
        let mut sreq = req.clone();
        sreq["stream"] = json!(true);
        let s = sse_text(chat(&sreq, None, "1"));
        assert!(!s.contains("\"usage\""));
        assert!(s.ends_with("data: [DONE]\n\n"));
        sreq["stream_options"] = json!({"include_usage": true});
        assert!(sse_text(chat(&sreq, None, "1")).contains("\"choices\":[],"));
    }

    #[test]
    fn tool_call_stream() {
        let req = json!({"model":"m","stream":true,"messages":[{"role":"user","content":"Paris"}],
            "tools":[{"type":"function","function":{"name":"weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]});
        let s = sse_text(chat(&req, None, "1"));
        assert!(s.contains("\"name\":\"weather\""));
        assert!(s.contains("\"finish_reason\":\"tool_calls\""));
    }
}
