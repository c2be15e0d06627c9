//! `ChatResponse` → an OpenAI Response object. The item builders here are
//! shared with the stream encoder, so a streamed answer's final Response
//! and a whole one have the same items and ids.

use super::Echo;
use crate::providers::model::{ChatResponse, FinishReason, ToolCall};
use crate::core::usage::Usage;
use serde_json::{json, Value};

/// The id without its `resp_` prefix: item ids are built from it.
pub(crate) fn base_id(id: &str) -> &str {
    id.strip_prefix("resp_").unwrap_or(id)
}

/// Item ids, deterministic from the response id. The first reasoning and
/// message items are `rs_{id}` and `msg_{id}`; later ones (a stream may
/// interleave) add their output index. Tool calls add their index.
pub(crate) fn reasoning_id(base: &str, nth: usize, output_index: usize) -> String {
    if nth == 0 {
        format!("rs_{base}")
    } else {
        format!("rs_{base}_{output_index}")
    }
}

pub(crate) fn message_id(base: &str, nth: usize, output_index: usize) -> String {
    if nth == 0 {
        format!("msg_{base}")
    } else {
        format!("msg_{base}_{output_index}")
    }
}

pub(crate) fn call_id(base: &str, custom: bool, index: u32) -> String {
    if custom {
        format!("ctc_{base}_{index}")
    } else {
        format!("fc_{base}_{index}")
    }
}

/// The Responses API's `usage` object.
pub fn usage_json(u: &Usage) -> Value {
    json!({
        "input_tokens": u.prompt_tokens,
        "input_tokens_details": { "cached_tokens": u.cached_tokens },
        "output_tokens": u.completion_tokens,
        "output_tokens_details": { "reasoning_tokens": u.reasoning_tokens },
        "total_tokens": u.total_tokens(),
    })
}

pub(crate) fn summary_part(text: &str) -> Value {
    json!({ "type": "summary_text", "text": text })
}

pub(crate) fn reasoning_item(id: &str, text: &str) -> Value {
    let summary = if text.is_empty() { json!([]) } else { json!([summary_part(text)]) };
    json!({ "id": id, "type": "reasoning", "summary": summary })
}

pub(crate) fn text_part(text: &str) -> Value {
    json!({ "type": "output_text", "text": text, "annotations": [], "logprobs": [] })
}

pub(crate) fn message_item(id: &str, status: &str, text: Option<&str>) -> Value {
    let content = match text {
        Some(t) => json!([text_part(t)]),
        None => json!([]),
    };
    json!({ "id": id, "type": "message", "role": "assistant", "status": status, "content": content })
}

/// Arguments as the client gets them (never empty: at least `{}`).
pub(crate) fn arguments(raw: &str) -> &str {
    if raw.trim().is_empty() {
        "{}"
    } else {
        raw
    }
}

/// A custom tool's freeform input: the `input` string the provider wrote
/// into the function arguments (the raw arguments if it did not).
pub(crate) fn custom_input(raw: &str) -> String {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(mut m)) => match m.remove("input") {
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => raw.to_string(),
        },
        Ok(Value::String(s)) => s,
        _ => raw.to_string(),
    }
}

/// A `function_call` item, or a `custom_tool_call` item for custom tools.
/// `call` with empty arguments and `status` in_progress is the item as
/// first announced in a stream.
pub(crate) fn call_item(id: &str, call: &ToolCall, custom: bool, status: &str) -> Value {
    let done = status != "in_progress";
    if custom {
        let input = if done { custom_input(&call.arguments) } else { String::new() };
        json!({ "id": id, "type": "custom_tool_call", "status": status, "call_id": call.id,
            "name": call.name, "input": input })
    } else {
        let args = if done { arguments(&call.arguments) } else { "" };
        json!({ "id": id, "type": "function_call", "status": status, "call_id": call.id,
            "name": call.name, "arguments": args })
    }
}

/// Status and `incomplete_details.reason` for a finish reason.
pub(crate) fn outcome(reason: Option<FinishReason>) -> (&'static str, Option<&'static str>) {
    match reason {
        Some(FinishReason::Length) => ("incomplete", Some("max_output_tokens")),
        Some(FinishReason::ContentFilter) => ("incomplete", Some("content_filter")),
        _ => ("completed", None),
    }
}

/// The full Response object; callers set `error` (failed) and
/// `incomplete_details` (incomplete), null here.
pub(crate) fn response_object(
    echo: &Echo,
    id: &str,
    model: &str,
    created_at: u64,
    status: &str,
    output: Vec<Value>,
    usage: Option<&Usage>,
) -> Value {
    json!({
        "id": format!("resp_{}", base_id(id)),
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": false,
        "error": null,
        "incomplete_details": null,
        "instructions": echo.instructions,
        "max_output_tokens": echo.max_output_tokens,
        "model": model,
        "output": output,
        "parallel_tool_calls": echo.parallel_tool_calls,
        "previous_response_id": null,
        "reasoning": echo.reasoning,
        "store": echo.store,
        "temperature": echo.temperature,
        "text": echo.text,
        "tool_choice": echo.tool_choice,
        "tools": echo.tools,
        "top_p": echo.top_p,
        "truncation": echo.truncation,
        "usage": usage.map(usage_json),
        "user": echo.user,
        "metadata": echo.metadata,
    })
}

/// Output items of a complete answer, in order: reasoning, message, calls.
/// On an incomplete answer the last item is `incomplete`.
pub(crate) fn output_items(answer: &ChatResponse, echo: &Echo, base: &str) -> Vec<Value> {
    let mut output = Vec::new();
    if let Some(r) = answer.reasoning.as_deref().filter(|r| !r.is_empty()) {
        output.push(reasoning_item(&reasoning_id(base, 0, output.len()), r));
    }
    if let Some(t) = answer.text.as_deref().filter(|t| !t.is_empty()) {
        output.push(message_item(&message_id(base, 0, output.len()), "completed", Some(t)));
    }
    for (n, call) in answer.tool_calls.iter().enumerate() {
        let custom = echo.is_custom(&call.name);
        output.push(call_item(&call_id(base, custom, n as u32), call, custom, "completed"));
    }
    if outcome(answer.finish_reason).0 == "incomplete" {
        if let Some(status) = output.last_mut().and_then(|i| i.get_mut("status")) {
            *status = json!("incomplete");
        }
    }
    output
}

/// A complete answer as a Response object. `id` is the response id
/// (`resp_` is added unless present); `model` is used when the answer
/// does not name its model.
pub fn to_json(answer: &ChatResponse, echo: &Echo, id: &str, model: &str, created_at: u64) -> Vec<u8> {
    let base = base_id(id);
    let (status, incomplete) = outcome(answer.finish_reason);
    let mut body = response_object(
        echo,
        base,
        answer.model.as_deref().unwrap_or(model),
        created_at,
        status,
        output_items(answer, echo, base),
        Some(&answer.usage.unwrap_or_default()),
    );
    if let Some(reason) = incomplete {
        body["incomplete_details"] = json!({ "reason": reason });
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> ChatResponse {
        ChatResponse {
            id: Some("msg_provider".into()),
            model: Some("claude-x".into()),
            text: Some("Hi there".into()),
            reasoning: Some("Thinking.".into()),
            tool_calls: vec![
                ToolCall { id: "toolu_1".into(), name: "weather".into(), arguments: "{\"city\":\"Paris\"}".into() },
                ToolCall { id: "toolu_2".into(), name: "apply_patch".into(), arguments: "{\"input\":\"*** Begin Patch\"}".into() },
            ],
            finish_reason: Some(FinishReason::ToolCalls),
            usage: Some(Usage { prompt_tokens: 10, completion_tokens: 5, cached_tokens: 4, reasoning_tokens: 2, ..Default::default() }),
        }
    }

    fn echo() -> Echo {
        Echo {
            custom_tools: vec!["apply_patch".into()],
            instructions: json!("Be brief."),
            temperature: Some(0.2),
            max_output_tokens: Some(50),
            metadata: json!({"k": "v"}),
            user: Some("u".into()),
            ..Echo::default()
        }
    }

    fn body(a: &ChatResponse, e: &Echo, id: &str) -> Value {
        serde_json::from_slice(&to_json(a, e, id, "fallback", 1_700_000_000)).unwrap()
    }

    #[test]
    fn a_full_answer() {
        let v = body(&answer(), &echo(), "abc");
        assert_eq!(v["id"], "resp_abc");
        assert_eq!(v["object"], "response");
        assert_eq!(v["created_at"], 1_700_000_000);
        assert_eq!(v["status"], "completed");
        assert!(v["error"].is_null() && v["incomplete_details"].is_null());
        assert_eq!(v["model"], "claude-x");
        assert_eq!(
            v["output"],
            json!([
                {"id": "rs_abc", "type": "reasoning", "summary": [{"type": "summary_text", "text": "Thinking."}]},
                {"id": "msg_abc", "type": "message", "role": "assistant", "status": "completed",
                 "content": [{"type": "output_text", "text": "Hi there", "annotations": [], "logprobs": []}]},
                {"id": "fc_abc_0", "type": "function_call", "status": "completed", "call_id": "toolu_1",
                 "name": "weather", "arguments": "{\"city\":\"Paris\"}"},
                {"id": "ctc_abc_1", "type": "custom_tool_call", "status": "completed", "call_id": "toolu_2",
                 "name": "apply_patch", "input": "*** Begin Patch"}
            ])
        );
        assert_eq!(
            v["usage"],
            json!({"input_tokens": 10, "input_tokens_details": {"cached_tokens": 4}, "output_tokens": 5,
                   "output_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 15})
        );
        assert_eq!(v["instructions"], "Be brief.");
        assert_eq!((v["temperature"].as_f64(), v["max_output_tokens"].as_u64()), (Some(0.2), Some(50)));
        assert!(v["top_p"].is_null() && v["previous_response_id"].is_null());
        assert_eq!((v["tool_choice"].as_str(), v["parallel_tool_calls"].as_bool()), (Some("auto"), Some(true)));
        assert_eq!((v["truncation"].as_str(), v["store"].as_bool(), v["user"].as_str()), (Some("disabled"), Some(false), Some("u")));
        assert_eq!(v["text"], json!({"format": {"type": "text"}}));
        assert_eq!(v["metadata"], json!({"k": "v"}));
        assert_eq!(v["tools"], json!([]));
    }

    #[test]
    fn ids_keep_a_resp_prefix_once() {
        let a = ChatResponse { text: Some("x".into()), ..Default::default() };
        let v = body(&a, &Echo::default(), "resp_123");
        assert_eq!(v["id"], "resp_123");
        assert_eq!(v["output"][0]["id"], "msg_123");
        assert_eq!(v["model"], "fallback");
        assert_eq!(v["usage"]["total_tokens"], 0);
    }

    #[test]
    fn length_and_content_filter_are_incomplete() {
        let a = ChatResponse { text: Some("cut".into()), finish_reason: Some(FinishReason::Length), ..Default::default() };
        let v = body(&a, &Echo::default(), "x");
        assert_eq!(v["status"], "incomplete");
        assert_eq!(v["incomplete_details"], json!({"reason": "max_output_tokens"}));
        assert_eq!(v["output"][0]["status"], "incomplete");
        let a = ChatResponse { finish_reason: Some(FinishReason::ContentFilter), ..Default::default() };
        let v = body(&a, &Echo::default(), "x");
        assert_eq!((v["status"].as_str(), v["incomplete_details"]["reason"].as_str()), (Some("incomplete"), Some("content_filter")));
        assert_eq!(v["output"], json!([]));
    }

    #[test]
    fn custom_inputs() {
        assert_eq!(custom_input("{\"input\":\"a\\nb\"}"), "a\nb");
        assert_eq!(custom_input("\"plain\""), "plain");
        assert_eq!(custom_input("not json"), "not json");
        assert_eq!(custom_input("{\"other\":1}"), "{\"other\":1}");
        assert_eq!(arguments(""), "{}");
    }
}
