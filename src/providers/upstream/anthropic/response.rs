//! An Anthropic Messages answer → `ChatResponse`.

use super::wire::{ContentBlock, MessagesResponse};
use crate::core::error::GatewayResult;
use crate::providers::adapter::invalid_answer;
use crate::providers::model::{ChatResponse, FinishReason, ToolCall};

pub const PROVIDER: &str = "Anthropic";

/// Anthropic's `stop_reason` as OpenAI's `finish_reason`. `pause_turn` (a
/// server tool paused a long turn) ends this answer like a normal stop;
/// `refusal` is the closest thing to OpenAI's content filter.
pub fn finish_reason(stop_reason: &str) -> Option<FinishReason> {
    match stop_reason {
        "end_turn" | "stop_sequence" | "pause_turn" => Some(FinishReason::Stop),
        "max_tokens" | "model_context_window_exceeded" => Some(FinishReason::Length),
        "tool_use" => Some(FinishReason::ToolCalls),
        "refusal" => Some(FinishReason::ContentFilter),
        _ => None,
    }
}

pub fn parse(body: &[u8]) -> GatewayResult<ChatResponse> {
    let r: MessagesResponse = serde_json::from_slice(body).map_err(|e| invalid_answer(PROVIDER, e))?;
    let mut text: Option<String> = None;
    let mut reasoning: Option<String> = None;
    let mut tool_calls = Vec::new();
    for block in r.content {
        match block {
            ContentBlock::Text { text: t } => text.get_or_insert_with(String::new).push_str(&t),
            ContentBlock::Thinking { thinking } => reasoning.get_or_insert_with(String::new).push_str(&thinking),
            ContentBlock::ToolUse { id, name, input } => {
                let arguments = if input.is_null() { "{}".to_string() } else { input.to_string() };
                tool_calls.push(ToolCall { id, name, arguments });
            }
            ContentBlock::Other => {}
        }
    }
    Ok(ChatResponse {
        id: r.id,
        model: r.model,
        text,
        reasoning,
        tool_calls,
        finish_reason: r.stop_reason.as_deref().and_then(finish_reason),
        usage: r.usage.map(|u| u.normalize()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::usage::Usage;
    use serde_json::{json, Value};

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/anthropic/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn text_answer_with_cache_usage() {
        let r = parse(&fixture("response_text.json")).unwrap();
        assert_eq!(r.id.as_deref(), Some("msg_013Zva2CMHLNnXjNJJKqJ2EF"));
        assert_eq!(r.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
        assert_eq!(r.text.as_deref(), Some("Rome is warmer: 22°C and sunny, against 15°C with light rain in Paris."));
        assert_eq!(r.reasoning, None);
        assert!(r.tool_calls.is_empty());
        assert_eq!(r.finish_reason, Some(FinishReason::Stop));
        assert_eq!(
            r.usage,
            Some(Usage { prompt_tokens: 2095 + 1800 + 248, completion_tokens: 503, cached_tokens: 1800, cache_creation_tokens: 248, ..Default::default() })
        );
    }

    #[test]
    fn tool_use_answer() {
        let r = parse(&fixture("response_tool_use.json")).unwrap();
        assert_eq!(r.text.as_deref(), Some("I'll check both cities."));
        assert_eq!(r.finish_reason, Some(FinishReason::ToolCalls));
        assert_eq!(r.tool_calls.len(), 2);
        assert_eq!(r.tool_calls[0].id, "toolu_01A09q90qw90lq917835lq9");
        assert_eq!(r.tool_calls[0].name, "get_weather");
        let args: Value = serde_json::from_str(&r.tool_calls[1].arguments).unwrap();
        assert_eq!(args, json!({"city": "Rome", "unit": "celsius"}));
        assert_eq!(r.usage.unwrap().prompt_tokens, 472);
    }

    #[test]
    fn thinking_becomes_reasoning() {
        let r = parse(&fixture("response_thinking.json")).unwrap();
        assert!(r.reasoning.as_deref().unwrap().starts_with("Let me analyze"));
        assert_eq!(r.text.as_deref(), Some("27 * 453 = 12,231"));
        assert_eq!(r.finish_reason, Some(FinishReason::Length));
    }

    #[test]
    fn stop_reasons() {
        let cases = [
            ("end_turn", Some(FinishReason::Stop)),
            ("stop_sequence", Some(FinishReason::Stop)),
            ("pause_turn", Some(FinishReason::Stop)),
            ("max_tokens", Some(FinishReason::Length)),
            ("tool_use", Some(FinishReason::ToolCalls)),
            ("refusal", Some(FinishReason::ContentFilter)),
            ("something_new", None),
        ];
        for (wire, expected) in cases {
            assert_eq!(finish_reason(wire), expected, "{wire}");
        }
    }

    #[test]
    fn tool_only_answer_has_no_text() {
        let body = br#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"tool_use","id":"toolu_1","name":"now","input":{}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":9}}"#;
        let r = parse(body).unwrap();
        assert_eq!(r.text, None);
        assert_eq!(r.tool_calls[0].arguments, "{}");
    }

    #[test]
    fn broken_answers_are_bad_gateway() {
        for body in [&b"not json"[..], br#"{"type":"message","id":"m"}"#, br#"{"content":[{"type":"text","text":1}]}"#] {
            let e = parse(body).unwrap_err();
            assert_eq!((e.status, e.code.as_str()), (502, "upstream_invalid_response"));
        }
    }
}
