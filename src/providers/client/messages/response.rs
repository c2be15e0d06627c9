//! `ChatResponse` → an Anthropic Messages answer (`"type": "message"`).

use super::Echo;
use crate::providers::model::{ChatResponse, FinishReason};
use crate::core::usage::Usage;
use serde_json::{json, Map, Value};

/// Anthropic's `input_tokens` from normalized usage: the input that was
/// neither read from nor written to the prompt cache.
pub fn uncached_input(u: &Usage) -> u64 {
    u.prompt_tokens.saturating_sub(u.cached_tokens).saturating_sub(u.cache_creation_tokens)
}

/// Anthropic's `usage` object for normalized usage.
pub fn usage_json(u: &Usage) -> Value {
    json!({
        "input_tokens": uncached_input(u),
        "output_tokens": u.completion_tokens,
        "cache_creation_input_tokens": u.cache_creation_tokens,
        "cache_read_input_tokens": u.cached_tokens,
    })
}

/// The id clients see: an Anthropic provider's own `msg_…` id, else the
/// gateway's id with the `msg_` prefix.
pub fn message_id(provider_id: Option<&str>, id: &str) -> String {
    match provider_id {
        Some(p) if p.starts_with("msg_") => p.to_string(),
        _ if id.starts_with("msg_") => id.to_string(),
        _ => format!("msg_{}", id.replace('-', "")),
    }
}

/// A tool call's id as sent to the client: the provider's, kept so that the
/// client's `tool_result` names it again; made up only when there is none.
pub fn tool_use_id(provider_id: &str, message_id: &str, n: usize) -> String {
    if provider_id.is_empty() {
        format!("toolu_{}_{n}", message_id.trim_start_matches("msg_"))
    } else {
        provider_id.to_string()
    }
}

/// Anthropic's `stop_reason`. A provider that says "stop" after calling
/// tools (some do) still gets `tool_use`, which is what makes a Messages
/// client run the tools.
pub fn stop_reason(finish: Option<FinishReason>, called_tools: bool) -> &'static str {
    match finish {
        Some(FinishReason::Length) => "max_tokens",
        Some(FinishReason::ContentFilter) => "refusal",
        Some(FinishReason::ToolCalls) => "tool_use",
        Some(FinishReason::Stop) | None if called_tools => "tool_use",
        Some(FinishReason::Stop) | None => "end_turn",
    }
}

/// A tool call's arguments as the `input` object. Empty arguments mean no
/// arguments; a JSON object encoded once more as a string (some models do
/// that) is unwrapped. Anything else — truncated or non-object JSON — is
/// sent as `{}`: the client's tool then reports its missing parameters to
/// the model, which can try again, whereas a non-object `input` would break
/// the client itself.
pub fn tool_input(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments.trim()) {
        Ok(v @ Value::Object(_)) => v,
        Ok(Value::String(inner)) => match serde_json::from_str::<Value>(&inner) {
            Ok(v @ Value::Object(_)) => v,
            _ => Value::Object(Map::new()),
        },
        _ => Value::Object(Map::new()),
    }
}

pub fn to_json(answer: &ChatResponse, echo: &Echo, id: &str, model: &str) -> Vec<u8> {
    let msg_id = message_id(answer.id.as_deref(), id);
    let mut content = Vec::with_capacity(2 + answer.tool_calls.len());
    if echo.thinking {
        if let Some(thinking) = answer.reasoning.as_deref().filter(|r| !r.is_empty()) {
            content.push(json!({ "type": "thinking", "thinking": thinking, "signature": "" }));
        }
    }
    if let Some(text) = answer.text.as_deref().filter(|t| !t.is_empty()) {
        content.push(json!({ "type": "text", "text": text }));
    }
    for (n, call) in answer.tool_calls.iter().enumerate() {
        content.push(json!({
            "type": "tool_use",
            "id": tool_use_id(&call.id, &msg_id, n),
            "name": call.name,
            "input": tool_input(&call.arguments),
        }));
    }
    let body = json!({
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": answer.model.as_deref().unwrap_or(model),
        "content": content,
        "stop_reason": stop_reason(answer.finish_reason, !answer.tool_calls.is_empty()),
        "stop_sequence": null,
        "usage": usage_json(&answer.usage.unwrap_or_default()),
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::model::ToolCall;

    fn encode(r: &ChatResponse, echo: &Echo) -> Value {
        serde_json::from_slice(&to_json(r, echo, "0190-abcd", "claude-sonnet-4-5")).unwrap()
    }

    #[test]
    fn text_answer_and_usage_conversion() {
        let r = ChatResponse {
            id: Some("chatcmpl-1".into()),
            text: Some("Hi there".into()),
            finish_reason: Some(FinishReason::Stop),
            usage: Some(Usage { prompt_tokens: 1110, completion_tokens: 5, cached_tokens: 1000, cache_creation_tokens: 100, reasoning_tokens: 2, images: 0 }),
            ..Default::default()
        };
        let v = encode(&r, &Echo::default());
        assert_eq!(
            v,
            json!({
                "id": "msg_0190abcd", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                "content": [{"type": "text", "text": "Hi there"}],
                "stop_reason": "end_turn", "stop_sequence": null,
                "usage": {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 1000}
            })
        );
    }

    #[test]
    fn provider_msg_ids_and_models_are_kept() {
        let r = ChatResponse { id: Some("msg_01X".into()), model: Some("claude-x-2025".into()), ..Default::default() };
        let v = encode(&r, &Echo::default());
        assert_eq!((v["id"].as_str(), v["model"].as_str()), (Some("msg_01X"), Some("claude-x-2025")));
        assert_eq!(message_id(None, "msg_own"), "msg_own");
        assert_eq!(v["content"], json!([]));
        assert_eq!(v["usage"]["input_tokens"], 0);
    }

    #[test]
    fn tool_calls_with_thinking() {
        let r = ChatResponse {
            text: Some("Checking.".into()),
            reasoning: Some("Need the weather.".into()),
            tool_calls: vec![
                ToolCall { id: "call_abc".into(), name: "weather".into(), arguments: "{\"city\":\"Paris\"}".into() },
                ToolCall { id: "".into(), name: "now".into(), arguments: "".into() },
            ],
            finish_reason: Some(FinishReason::ToolCalls),
            ..Default::default()
        };
        let v = encode(&r, &Echo { thinking: true, input_tokens: 0 });
        assert_eq!(
            v["content"],
            json!([
                {"type": "thinking", "thinking": "Need the weather.", "signature": ""},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "call_abc", "name": "weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_0190abcd_1", "name": "now", "input": {}}
            ])
        );
        assert_eq!(v["stop_reason"], "tool_use");
        // Without thinking asked for, reasoning stays out.
        let v = encode(&r, &Echo::default());
        assert_eq!(v["content"][0]["type"], "text");
    }

    #[test]
    fn stop_reasons() {
        assert_eq!(stop_reason(Some(FinishReason::Stop), false), "end_turn");
        assert_eq!(stop_reason(None, false), "end_turn");
        assert_eq!(stop_reason(Some(FinishReason::Length), false), "max_tokens");
        assert_eq!(stop_reason(Some(FinishReason::Length), true), "max_tokens");
        assert_eq!(stop_reason(Some(FinishReason::ToolCalls), true), "tool_use");
        assert_eq!(stop_reason(Some(FinishReason::Stop), true), "tool_use");
        assert_eq!(stop_reason(None, true), "tool_use");
        assert_eq!(stop_reason(Some(FinishReason::ContentFilter), false), "refusal");
    }

    #[test]
    fn tool_inputs() {
        assert_eq!(tool_input(" {\"a\": [1]} "), json!({"a": [1]}));
        assert_eq!(tool_input(""), json!({}));
        assert_eq!(tool_input("\"{\\\"a\\\":1}\""), json!({"a": 1}));
        assert_eq!(tool_input("{\"a\": tru"), json!({}));
        assert_eq!(tool_input("[1,2]"), json!({}));
        assert_eq!(tool_input("\"text\""), json!({}));
    }
}
