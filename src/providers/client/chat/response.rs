//! `ChatResponse` → OpenAI `chat.completion` JSON.

use crate::providers::model::{ChatResponse, FinishReason};
use crate::core::usage::Usage;
use serde_json::{json, Value};

/// OpenAI's `usage` object for normalized usage.
pub fn usage_json(u: &Usage) -> Value {
    json!({
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.total_tokens(),
        "prompt_tokens_details": { "cached_tokens": u.cached_tokens },
        "completion_tokens_details": { "reasoning_tokens": u.reasoning_tokens },
    })
}

/// The id clients see: the provider's when it gave one, else the gateway's.
pub fn completion_id(provider_id: Option<&str>, request_id: &str) -> String {
    match provider_id {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => format!("chatcmpl-{}", request_id.replace('-', "")),
    }
}

pub fn to_json(r: &ChatResponse, request_id: &str, model: &str, created: u64) -> Vec<u8> {
    let tool_calls: Vec<Value> = r
        .tool_calls
        .iter()
        .map(|c| json!({ "id": c.id, "type": "function", "function": { "name": c.name, "arguments": c.arguments } }))
        .collect();
    let mut message = json!({ "role": "assistant", "content": r.text, "refusal": null });
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    if let Some(reasoning) = &r.reasoning {
        message["reasoning_content"] = Value::String(reasoning.clone());
    }
    let finish = r
        .finish_reason
        .unwrap_or(if r.tool_calls.is_empty() { FinishReason::Stop } else { FinishReason::ToolCalls });
    let body = json!({
        "id": completion_id(r.id.as_deref(), request_id),
        "object": "chat.completion",
        "created": created,
        "model": r.model.as_deref().unwrap_or(model),
        "choices": [{ "index": 0, "message": message, "logprobs": null, "finish_reason": finish.as_openai() }],
        "usage": usage_json(&r.usage.unwrap_or_default()),
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::model::ToolCall;

    #[test]
    fn text_answer() {
        let r = ChatResponse {
            id: Some("msg_1".into()),
            text: Some("hi".into()),
            finish_reason: Some(FinishReason::Stop),
            usage: Some(Usage { prompt_tokens: 3, completion_tokens: 1, cached_tokens: 2, ..Default::default() }),
            ..Default::default()
        };
        let v: Value = serde_json::from_slice(&to_json(&r, "req", "claude-x", 7)).unwrap();
        assert_eq!(v["id"], "msg_1");
        assert_eq!(v["model"], "claude-x");
        assert_eq!(v["choices"][0]["message"]["content"], "hi");
        assert_eq!(v["choices"][0]["finish_reason"], "stop");
        assert_eq!(v["usage"]["total_tokens"], 4);
        assert_eq!(v["usage"]["prompt_tokens_details"]["cached_tokens"], 2);
    }

    #[test]
    fn tool_calls_default_their_finish_reason() {
        let r = ChatResponse {
            tool_calls: vec![ToolCall { id: "c1".into(), name: "f".into(), arguments: "{}".into() }],
            ..Default::default()
        };
        let v: Value = serde_json::from_slice(&to_json(&r, "a-b", "m", 0)).unwrap();
        assert_eq!(v["id"], "chatcmpl-ab");
        assert!(v["choices"][0]["message"]["content"].is_null());
        assert_eq!(v["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "f");
        assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    }
}
