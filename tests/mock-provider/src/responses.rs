//! OpenAI's Responses API: `POST /v1/responses` (a Response object, or with
//! `stream: true` the named event stream: response.created, in_progress,
//! output_item.added/done, content_part.added/done, output_text.delta/done,
//! function_call_arguments.delta/done, custom_tool_call_input.delta/done,
//! response.completed). Input is a string or items; function and custom
//! (freeform) tools; `function_call_output` answers a call.

use crate::conversation::{Conversation, Reply, Tool};
use crate::openai::parallel_calls;
use crate::output::Output;
use crate::text;
use serde_json::{json, Value};

const CREATED: u64 = 1_700_000_000;

/// The request reduced to a conversation, and the names of its custom tools.
pub fn conversation(req: &Value) -> (Conversation, Vec<String>) {
    let mut c = Conversation::default();
    let mut custom = Vec::new();
    let mut all = Vec::new();
    if let Some(i) = req.get("instructions").and_then(Value::as_str) {
        all.push(i.to_string());
        c.system = Some(i.to_string());
    }
    let empty = Vec::new();
    match req.get("input") {
        Some(Value::String(s)) => {
            all.push(s.clone());
            c.last_user = s.clone();
        }
        Some(Value::Array(items)) => {
            for item in items {
                let kind = item.get("type").and_then(Value::as_str).unwrap_or("message");
                match kind {
                    "message" => {
                        let t = item.get("content").map(text::content_text).unwrap_or_default();
                        all.push(t.clone());
                        match item.get("role").and_then(Value::as_str) {
                            Some("user") => {
                                c.last_user = t;
                                c.tool_result = None;
                            }
                            Some("system" | "developer") => c.system = Some(t),
                            _ => {}
                        }
                    }
                    "function_call_output" | "custom_tool_call_output" => {
                        let t = match item.get("output") {
                            Some(o @ (Value::String(_) | Value::Array(_))) => text::content_text(o),
                            Some(other) => other.to_string(),
                            None => String::new(),
                        };
                        all.push(t.clone());
                        c.tool_result = Some(t);
                    }
                    "function_call" => all.push(item.get("arguments").and_then(Value::as_str).unwrap_or_default().to_string()),
                    "custom_tool_call" => all.push(item.get("input").and_then(Value::as_str).unwrap_or_default().to_string()),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    for t in req.get("tools").and_then(Value::as_array).unwrap_or(&empty) {
        let Some(name) = t.get("name").and_then(Value::as_str) else { continue };
        match t.get("type").and_then(Value::as_str) {
            Some("function") => {
                c.tools.push(Tool { name: name.into(), parameters: t.get("parameters").cloned().unwrap_or(json!({})) })
            }
            Some("custom") => {
                custom.push(name.to_string());
                c.tools.push(Tool {
                    name: name.into(),
                    parameters: json!({"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]}),
                });
            }
            _ => {}
        }
    }
    c.parallel_calls = parallel_calls(req.get("parallel_tool_calls"), &c.last_user, c.tools.len());
    if req.get("tool_choice").and_then(Value::as_str) == Some("none") {
        c.tools.clear();
    }
    c.all_text = all.join(" ");
    (c, custom)
}

fn usage(input: u64, output: u64) -> Value {
    json!({
        "input_tokens": input, "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output, "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input + output
    })
}

fn reply_tokens(reply: &Reply) -> u64 {
    match reply {
        Reply::Text(t) => text::tokens(t),
        Reply::ToolCalls(calls) => calls.iter().map(|(_, n, a)| text::tokens(&format!("{n}{a}"))).sum(),
    }
}

/// A custom tool's input: the `input` argument the agent loop filled in.
fn custom_input(args: &Value) -> String {
    args.get("input").and_then(Value::as_str).unwrap_or_default().to_string()
}

/// The completed output items of a reply.
fn items(reply: &Reply, rid: &str, custom: &[String]) -> Vec<Value> {
    match reply {
        Reply::Text(t) => vec![json!({
            "id": format!("msg_{rid}"), "type": "message", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": t, "annotations": [], "logprobs": []}]
        })],
        Reply::ToolCalls(calls) => calls
            .iter()
            .enumerate()
            .map(|(i, (call_id, name, args))| {
                if custom.contains(name) {
                    json!({"id": format!("ctc_{rid}_{i}"), "type": "custom_tool_call", "status": "completed",
                        "call_id": call_id, "name": name, "input": custom_input(args)})
                } else {
                    json!({"id": format!("fc_{rid}_{i}"), "type": "function_call", "status": "completed",
                        "call_id": call_id, "name": name, "arguments": args.to_string()})
                }
            })
            .collect(),
    }
}

fn response(req: &Value, rid: &str, model: &str, status: &str, output: Vec<Value>, usage: Value) -> Value {
    json!({
        "id": format!("resp_{rid}"), "object": "response", "created_at": CREATED, "status": status,
        "background": false, "error": null, "incomplete_details": null,
        "instructions": req.get("instructions").cloned().unwrap_or(Value::Null),
        "max_output_tokens": req.get("max_output_tokens").cloned().unwrap_or(Value::Null),
        "model": model, "output": output,
        "parallel_tool_calls": req.get("parallel_tool_calls").cloned().unwrap_or(json!(true)),
        "previous_response_id": req.get("previous_response_id").cloned().unwrap_or(Value::Null),
        "reasoning": {"effort": null, "summary": null},
        "store": req.get("store").cloned().unwrap_or(json!(true)),
        "temperature": req.get("temperature").cloned().unwrap_or(json!(1.0)),
        "text": {"format": {"type": "text"}},
        "tool_choice": req.get("tool_choice").cloned().unwrap_or(json!("auto")),
        "tools": req.get("tools").cloned().unwrap_or(json!([])),
        "top_p": req.get("top_p").cloned().unwrap_or(json!(1.0)),
        "truncation": "disabled", "usage": usage, "user": null,
        "metadata": req.get("metadata").cloned().unwrap_or(json!({}))
    })
}

/// Splits text in two at a character boundary near the middle.
fn halves(s: &str) -> [&str; 2] {
    let mid = s.len() / 2;
    let mid = (0..=mid).rev().find(|&m| s.is_char_boundary(m)).unwrap_or(0);
    [&s[..mid], &s[mid..]]
}

/// Builds the named, numbered event stream.
struct Events {
    seq: u64,
    out: Vec<String>,
}

impl Events {
    fn push(&mut self, kind: &str, mut body: Value) {
        body["type"] = json!(kind);
        body["sequence_number"] = json!(self.seq);
        self.seq += 1;
        self.out.push(format!("event: {kind}\ndata: {body}\n\n"));
    }
}

pub fn create(req: &Value, content: Option<&str>, request_id: &str) -> Output {
    if req.get("input").is_none() {
        return crate::openai::error(400, "Missing required parameter: 'input'.", "invalid_request_error");
    }
    let model = req.get("model").and_then(Value::as_str).unwrap_or("mock-model").to_string();
    let (conv, custom) = conversation(req);
    let reply = conv.reply(content);
    let (input, output) = (conv.prompt_tokens(), reply_tokens(&reply));
    let rid = request_id.to_string();
    let done_items = items(&reply, &rid, &custom);
    if !req.get("stream").and_then(Value::as_bool).unwrap_or(false) {
        return Output::json(200, response(req, &rid, &model, "completed", done_items, usage(input, output)));
    }

    let mut ev = Events { seq: 0, out: Vec::new() };
    let opening = response(req, &rid, &model, "in_progress", Vec::new(), Value::Null);
    ev.push("response.created", json!({"response": opening}));
    ev.push("response.in_progress", json!({"response": opening}));
    for (oi, item) in done_items.iter().enumerate() {
        let id = item["id"].clone();
        let mut added = item.clone();
        added["status"] = json!("in_progress");
        match item["type"].as_str() {
            Some("message") => {
                added["content"] = json!([]);
                ev.push("response.output_item.added", json!({"output_index": oi, "item": added}));
                let part = json!({"type": "output_text", "text": "", "annotations": [], "logprobs": []});
                ev.push("response.content_part.added", json!({"item_id": id, "output_index": oi, "content_index": 0, "part": part}));
                let t = item["content"][0]["text"].as_str().unwrap_or_default();
                for piece in text::pieces(t) {
                    ev.push(
                        "response.output_text.delta",
                        json!({"item_id": id, "output_index": oi, "content_index": 0, "delta": piece, "logprobs": []}),
                    );
                }
                ev.push(
                    "response.output_text.done",
                    json!({"item_id": id, "output_index": oi, "content_index": 0, "text": t, "logprobs": []}),
                );
                ev.push(
                    "response.content_part.done",
                    json!({"item_id": id, "output_index": oi, "content_index": 0, "part": item["content"][0]}),
                );
            }
            Some("function_call") => {
                added["arguments"] = json!("");
                ev.push("response.output_item.added", json!({"output_index": oi, "item": added}));
                let args = item["arguments"].as_str().unwrap_or_default();
                for part in halves(args) {
                    ev.push("response.function_call_arguments.delta", json!({"item_id": id, "output_index": oi, "delta": part}));
                }
                ev.push(
                    "response.function_call_arguments.done",
                    json!({"item_id": id, "output_index": oi, "name": item["name"], "arguments": args}),
                );
            }
            _ => {
                added["input"] = json!("");
                ev.push("response.output_item.added", json!({"output_index": oi, "item": added}));
                let input = item["input"].as_str().unwrap_or_default();
                for part in halves(input) {
                    ev.push("response.custom_tool_call_input.delta", json!({"item_id": id, "output_index": oi, "delta": part}));
                }
                ev.push("response.custom_tool_call_input.done", json!({"item_id": id, "output_index": oi, "input": input}));
            }
        }
        ev.push("response.output_item.done", json!({"output_index": oi, "item": item}));
    }
    let done = response(req, &rid, &model, "completed", done_items, usage(input, output));
    ev.push("response.completed", json!({"response": done}));
    Output::sse(ev.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(o: Output) -> Vec<(String, Value)> {
        let Output::Stream { chunks, .. } = o else { panic!("not a stream") };
        chunks
            .into_iter()
            .map(|c| {
                let s = String::from_utf8(c).unwrap();
                let (head, data) = s.trim_end().split_once('\n').unwrap();
                let v: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
                assert_eq!(head.strip_prefix("event: "), v["type"].as_str());
                (head["event: ".len()..].to_string(), v)
            })
            .collect()
    }

    fn json_body(o: Output) -> Value {
        match o {
            Output::Json { status: 200, body, .. } => body,
            _ => panic!("expected a 200 JSON answer"),
        }
    }

    fn weather() -> Value {
        json!({"type": "function", "name": "weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}})
    }

    #[test]
    fn text_json_and_stream_agree() {
        let req = json!({"model": "gpt-4.1", "input": "hello there", "instructions": "Be brief."});
        let v = json_body(create(&req, None, "r1"));
        assert_eq!(v["id"], "resp_r1");
        assert_eq!(v["object"], "response");
        assert_eq!(v["status"], "completed");
        assert_eq!(v["model"], "gpt-4.1");
        assert_eq!(v["instructions"], "Be brief.");
        assert_eq!(v["output"][0]["type"], "message");
        assert_eq!(v["output"][0]["content"][0]["text"], "Mock answer to: hello there");
        assert_eq!(v["usage"]["total_tokens"], v["usage"]["input_tokens"].as_u64().unwrap() + v["usage"]["output_tokens"].as_u64().unwrap());

        let mut sreq = req.clone();
        sreq["stream"] = json!(true);
        let ev = events(create(&sreq, None, "r1"));
        let kinds: Vec<&str> = ev.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kinds[..4], ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]);
        assert!(kinds.iter().filter(|k| **k == "response.output_text.delta").count() >= 2);
        assert_eq!(
            kinds[kinds.len() - 4..],
            ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"]
        );
        for (i, (_, v)) in ev.iter().enumerate() {
            assert_eq!(v["sequence_number"], i as u64);
        }
        let deltas: String = ev.iter().filter_map(|(_, v)| v["delta"].as_str()).collect();
        assert_eq!(deltas, "Mock answer to: hello there");
        assert_eq!(ev[0].1["response"]["status"], "in_progress");
        let completed = &ev.last().unwrap().1["response"];
        assert_eq!(completed["output"], v["output"]);
        assert_eq!(completed["usage"], v["usage"]);
    }

    #[test]
    fn agent_loop_with_function_calls() {
        let req = json!({"model": "m", "input": [{"role": "user", "content": [{"type": "input_text", "text": "Paris"}]}], "tools": [weather()]});
        let v = json_body(create(&req, None, "r2"));
        let call = &v["output"][0];
        assert_eq!((call["type"].as_str(), call["name"].as_str()), (Some("function_call"), Some("weather")));
        assert_eq!(call["arguments"], "{\"city\":\"Paris\"}");
        assert_eq!(call["call_id"], "call_mock_0");

        let mut next = req.clone();
        next["input"].as_array_mut().unwrap().extend([
            json!({"type": "function_call", "call_id": "call_mock_0", "name": "weather", "arguments": "{\"city\":\"Paris\"}"}),
            json!({"type": "function_call_output", "call_id": "call_mock_0", "output": "sunny"}),
        ]);
        let v = json_body(create(&next, None, "r3"));
        assert_eq!(v["output"][0]["content"][0]["text"], "The tool returned: sunny");

        let mut sreq = req.clone();
        sreq["stream"] = json!(true);
        let ev = events(create(&sreq, None, "r2"));
        let kinds: Vec<&str> = ev.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.done",
                "response.output_item.done",
                "response.completed"
            ]
        );
        assert_eq!(ev[2].1["item"]["arguments"], "");
        assert_eq!(ev[2].1["item"]["status"], "in_progress");
        let args: String = ev[3..5].iter().map(|(_, v)| v["delta"].as_str().unwrap()).collect();
        assert_eq!(args, "{\"city\":\"Paris\"}");
        assert_eq!(ev[5].1["arguments"], args);
        assert_eq!(ev[6].1["item"]["status"], "completed");
    }

    #[test]
    fn custom_tools_take_freeform_input() {
        let req = json!({"model": "m", "stream": true, "input": "add a file",
            "tools": [{"type": "custom", "name": "apply_patch", "description": "Patch files.", "format": {"type": "text"}}]});
        let ev = events(create(&req, None, "r4"));
        let kinds: Vec<&str> = ev.iter().map(|(k, _)| k.as_str()).collect();
        assert!(kinds.contains(&"response.custom_tool_call_input.done"));
        let done = &ev.last().unwrap().1["response"]["output"][0];
        assert_eq!(done["type"], "custom_tool_call");
        assert_eq!(done["input"], "add a file");
        let deltas: String = ev.iter().filter(|(k, _)| k == "response.custom_tool_call_input.delta").map(|(_, v)| v["delta"].as_str().unwrap()).collect();
        assert_eq!(deltas, "add a file");
    }

    #[test]
    fn content_override_and_tool_choice_none() {
        let req = json!({"model": "m", "input": "Paris", "tools": [weather()], "tool_choice": "none"});
        let v = json_body(create(&req, None, "r5"));
        assert_eq!(v["output"][0]["content"][0]["text"], "Mock answer to: Paris");
        let v = json_body(create(&req, Some("Scripted."), "r5"));
        assert_eq!(v["output"][0]["content"][0]["text"], "Scripted.");
    }

    #[test]
    fn parallel_calls_when_asked() {
        let other = json!({"type": "function", "name": "time", "parameters": {"type": "object"}});
        let req = json!({"model": "m", "input": "both in parallel", "tools": [weather(), other]});
        let v = json_body(create(&req, None, "r6"));
        assert_eq!(v["output"].as_array().unwrap().len(), 2);
        assert_eq!(v["output"][1]["id"], "fc_r6_1");
    }

    #[test]
    fn input_is_required() {
        let Output::Json { status, body, .. } = create(&json!({"model": "m"}), None, "r7") else { panic!() };
        assert_eq!(status, 400);
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
}
