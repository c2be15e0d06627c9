//! Cohere's v2 wire format: `POST /v2/chat` (JSON, and SSE with Cohere's
//! `event:` names and typed data, ending in `data: [DONE]`), `POST
//! /v2/embed`, and Cohere's error body `{"id", "message"}`.

use crate::conversation::{Conversation, Reply, Tool};
use crate::openai::parallel_calls;
use crate::output::Output;
use crate::text;
use serde_json::{json, Value};

pub fn conversation(req: &Value) -> Conversation {
    let mut c = Conversation::default();
    let empty = Vec::new();
    let mut all = Vec::new();
    for m in req.get("messages").and_then(Value::as_array).unwrap_or(&empty) {
        let role = m.get("role").and_then(Value::as_str).unwrap_or("");
        let content = m.get("content").map(content_text).unwrap_or_default();
        all.push(content.clone());
        match role {
            "system" => c.system = Some(content),
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
    // Cohere has no parallel-calls switch: "parallel" in the task is enough.
    c.parallel_calls = parallel_calls(None, &c.last_user, c.tools.len());
    if req.get("tool_choice").and_then(Value::as_str) == Some("NONE") {
        c.tools.clear();
    }
    c.all_text = all.join(" ");
    c
}

/// Message text; tool results may also come as `{"type":"document","document":{"data"}}` parts.
fn content_text(content: &Value) -> String {
    match content {
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| match p.pointer("/document/data") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
                None => p.get("text").and_then(Value::as_str).map(str::to_string),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => text::content_text(other),
    }
}

fn usage(prompt: u64, completion: u64) -> Value {
    json!({
        "billed_units": {"input_tokens": prompt, "output_tokens": completion},
        "tokens": {"input_tokens": prompt, "output_tokens": completion}
    })
}

fn plan(calls: &[(String, String, Value)]) -> String {
    let names: Vec<&str> = calls.iter().map(|(_, n, _)| n.as_str()).collect();
    format!("I will call {}.", names.join(" and "))
}

/// `event: <type>\ndata: <json>\n\n`, the type repeated inside the data as Cohere does.
fn event(kind: &str, mut data: Value) -> String {
    data["type"] = json!(kind);
    format!("event: {kind}\ndata: {data}\n\n")
}

pub fn chat(req: &Value, content: Option<&str>, request_id: &str) -> Output {
    if req.get("model").and_then(Value::as_str).is_none_or(str::is_empty) {
        return error(400, "invalid request: model is required");
    }
    let conv = conversation(req);
    let reply = conv.reply(content);
    let prompt = conv.prompt_tokens();
    let id = format!("mock-{request_id}");
    let stream = req.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if !stream {
        let (message, finish, completion) = match &reply {
            Reply::Text(t) => {
                (json!({"role": "assistant", "content": [{"type": "text", "text": t}]}), "COMPLETE", text::tokens(t))
            }
            Reply::ToolCalls(calls) => {
                let plan = plan(calls);
                let tokens = text::tokens(&plan) + calls.iter().map(|(_, n, a)| text::tokens(&format!("{n}{a}"))).sum::<u64>();
                (
                    json!({"role": "assistant", "tool_plan": plan, "tool_calls": calls.iter().map(|(id, name, args)| json!({
                        "id": id, "type": "function", "function": {"name": name, "arguments": args.to_string()}
                    })).collect::<Vec<_>>()}),
                    "TOOL_CALL",
                    tokens,
                )
            }
        };
        return Output::json(
            200,
            json!({"id": id, "message": message, "finish_reason": finish, "usage": usage(prompt, completion)}),
        );
    }

    let mut events = vec![event(
        "message-start",
        json!({"id": id, "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}}),
    )];
    let (finish, completion) = match &reply {
        Reply::Text(t) => {
            events.push(event("content-start", json!({"index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}})));
            for piece in text::pieces(t) {
                events.push(event("content-delta", json!({"index": 0, "delta": {"message": {"content": {"text": piece}}}})));
            }
            events.push(event("content-end", json!({"index": 0})));
            ("COMPLETE", text::tokens(t))
        }
        Reply::ToolCalls(calls) => {
            let plan = plan(calls);
            let mut tokens = text::tokens(&plan);
            for piece in text::pieces(&plan) {
                events.push(event("tool-plan-delta", json!({"delta": {"message": {"tool_plan": piece}}})));
            }
            for (i, (call_id, name, args)) in calls.iter().enumerate() {
                tokens += text::tokens(&format!("{name}{args}"));
                events.push(event(
                    "tool-call-start",
                    json!({"index": i, "delta": {"message": {"tool_calls": {"id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}}}}),
                ));
                let args = args.to_string();
                let mid = args.len() / 2;
                let mid = (0..=mid).rev().find(|&m| args.is_char_boundary(m)).unwrap_or(0);
                for part in [&args[..mid], &args[mid..]] {
                    events.push(event(
                        "tool-call-delta",
                        json!({"index": i, "delta": {"message": {"tool_calls": {"function": {"arguments": part}}}}}),
                    ));
                }
                events.push(event("tool-call-end", json!({"index": i})));
            }
            ("TOOL_CALL", tokens)
        }
    };
    events.push(event("message-end", json!({"delta": {"finish_reason": finish, "usage": usage(prompt, completion)}})));
    events.push("data: [DONE]\n\n".to_string());
    Output::sse(events)
}

pub fn embed(req: &Value) -> Output {
    let Some(texts) = req.get("texts").and_then(Value::as_array) else {
        return error(400, "invalid request: texts must be provided");
    };
    let texts: Vec<String> = texts.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect();
    if texts.len() > 96 {
        return error(400, &format!("invalid request: texts must contain at most 96 items, got {}", texts.len()));
    }
    let dims = req.get("output_dimension").and_then(Value::as_u64).unwrap_or(1024) as usize;
    let vectors: Vec<Vec<f32>> = texts.iter().map(|t| text::embed(t, dims)).collect();
    let tokens: u64 = texts.iter().map(|t| text::tokens(t)).sum();
    Output::json(
        200,
        json!({
            "id": "mock-embed",
            "embeddings": {"float": vectors},
            "texts": texts,
            "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": tokens}},
            "response_type": "embeddings_by_type"
        }),
    )
}

/// Cohere's error body.
pub fn error(status: u16, message: &str) -> Output {
    Output::json(status, json!({"id": "mock-error", "message": message}))
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

    fn json_of(o: Output) -> Value {
        match o {
            Output::Json { body, .. } => body,
            _ => panic!("not JSON"),
        }
    }

    /// The `type` of every event, checking that it matches the `event:` name.
    fn event_types(s: &str) -> Vec<String> {
        s.split("\n\n")
            .filter(|e| !e.is_empty() && !e.starts_with("data: [DONE]"))
            .map(|e| {
                let (name, data) = e.split_once('\n').unwrap();
                let v: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
                assert_eq!(name.strip_prefix("event: ").unwrap(), v["type"]);
                v["type"].as_str().unwrap().to_string()
            })
            .collect()
    }

    #[test]
    fn text_json_and_stream() {
        let req = json!({"model": "command-a-03-2025", "messages": [{"role": "user", "content": "hello there"}]});
        let v = json_of(chat(&req, None, "1"));
        assert_eq!(v["message"]["content"][0]["text"], "Mock answer to: hello there");
        assert_eq!(v["finish_reason"], "COMPLETE");
        assert!(v["usage"]["tokens"]["input_tokens"].as_u64().unwrap() > 0);
        let mut sreq = req.clone();
        sreq["stream"] = json!(true);
        let s = sse_text(chat(&sreq, None, "1"));
        assert!(s.ends_with("data: [DONE]\n\n"));
        let types = event_types(&s);
        assert_eq!(types.first().map(String::as_str), Some("message-start"));
        assert_eq!(&types[1], "content-start");
        assert!(types.iter().filter(|t| *t == "content-delta").count() >= 2);
        assert_eq!(&types[types.len() - 2..], ["content-end", "message-end"]);
    }

    #[test]
    fn agent_loop_with_tools() {
        let tools = json!([{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]);
        let req = json!({"model": "m", "messages": [{"role": "user", "content": "Paris"}], "tools": tools});
        let v = json_of(chat(&req, None, "1"));
        assert_eq!(v["finish_reason"], "TOOL_CALL");
        assert_eq!(v["message"]["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Paris\"}");
        assert!(v["message"]["tool_plan"].is_string());

        let mut sreq = req.clone();
        sreq["stream"] = json!(true);
        let s = sse_text(chat(&sreq, None, "1"));
        let types = event_types(&s);
        assert!(types.contains(&"tool-plan-delta".to_string()));
        assert_eq!(types.iter().filter(|t| *t == "tool-call-delta").count(), 2);
        assert!(s.contains("\"finish_reason\":\"TOOL_CALL\""));

        let answered = json!({"model": "m", "tools": tools, "messages": [
            {"role": "user", "content": "Paris"},
            {"role": "assistant", "tool_plan": "I will call get_weather.", "tool_calls": [{"id": "call_mock_0", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_mock_0", "content": [{"type": "text", "text": "sunny"}]}
        ]});
        assert_eq!(json_of(chat(&answered, None, "2"))["message"]["content"][0]["text"], "The tool returned: sunny");
        let mut documents = answered.clone();
        documents["messages"][2]["content"] = json!([{"type": "document", "document": {"data": {"forecast": "rain"}}}]);
        assert_eq!(json_of(chat(&documents, None, "2"))["message"]["content"][0]["text"], "The tool returned: {\"forecast\":\"rain\"}");

        let mut none = req.clone();
        none["tool_choice"] = json!("NONE");
        assert_eq!(json_of(chat(&none, None, "3"))["finish_reason"], "COMPLETE");
    }

    #[test]
    fn embeddings_and_errors() {
        let v = json_of(embed(&json!({"model": "embed-v4.0", "texts": ["a", "b"], "input_type": "search_document", "embedding_types": ["float"], "output_dimension": 256})));
        assert_eq!(v["embeddings"]["float"].as_array().unwrap().len(), 2);
        assert_eq!(v["embeddings"]["float"][0].as_array().unwrap().len(), 256);
        assert!(v["meta"]["billed_units"]["input_tokens"].as_u64().unwrap() >= 2);
        let Output::Json { status, body, .. } = embed(&json!({"model": "embed-v4.0"})) else { panic!() };
        assert_eq!(status, 400);
        assert!(body["message"].is_string() && body.get("error").is_none());
        let Output::Json { status, .. } = chat(&json!({"messages": []}), None, "1") else { panic!() };
        assert_eq!(status, 400);
    }
}
