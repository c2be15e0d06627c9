//! Cohere v2's chat answer → `ChatResponse`: text, reasoning (`thinking`
//! content and the `tool_plan`), tool calls, finish reason, usage.

use super::wire::{ChatAnswer, ContentItem, WireUnits, WireUsage};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::providers::adapter::invalid_answer;
use crate::providers::model::{ChatResponse, FinishReason, ToolCall};
use crate::core::usage::Usage;

pub const PROVIDER: &str = "cohere";

pub fn parse(body: &[u8]) -> GatewayResult<ChatResponse> {
    let answer: ChatAnswer =
        serde_json::from_slice(body).map_err(|_| invalid_answer(PROVIDER, "the chat answer is not the expected JSON"))?;
    let message = answer.message.ok_or_else(|| invalid_answer(PROVIDER, "the chat answer has no message"))?;

    let mut tool_calls = Vec::new();
    for (i, call) in message.tool_calls.unwrap_or_default().into_iter().enumerate() {
        let function = call.function.unwrap_or_default();
        let name = function
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid_answer(PROVIDER, format!("tool call {i} has no function name")))?;
        tool_calls.push(ToolCall {
            id: call.id.filter(|id| !id.is_empty()).unwrap_or_else(|| format!("call_{i}")),
            name,
            arguments: function.arguments_text(),
        });
    }

    let items = message.content.unwrap_or_default();
    let text: String = items.iter().filter(|c| is_text(c)).filter_map(|c| c.text.as_deref()).collect();
    let mut reasoning: Vec<&str> =
        items.iter().filter(|c| c.kind.as_deref() == Some("thinking")).filter_map(|c| c.thinking.as_deref()).collect();
    if let Some(plan) = message.tool_plan.as_deref() {
        reasoning.push(plan);
    }
    reasoning.retain(|r| !r.is_empty());

    let finish_reason = finish(answer.finish_reason.as_deref(), !tool_calls.is_empty())
        .map_err(|reason| generation_failed(reason, None))?;

    Ok(ChatResponse {
        id: answer.id.filter(|id| !id.is_empty()),
        model: None,
        text: if text.is_empty() && !tool_calls.is_empty() { None } else { Some(text) },
        reasoning: (!reasoning.is_empty()).then(|| reasoning.join("\n")),
        tool_calls,
        finish_reason,
        usage: answer.usage.as_ref().and_then(usage),
    })
}

fn is_text(c: &ContentItem) -> bool {
    matches!(c.kind.as_deref(), None | Some("text"))
}

/// Cohere's `finish_reason` → OpenAI's. `Err` carries a reason that means
/// the generation failed (`ERROR`, `TIMEOUT`). Cohere may report `COMPLETE`
/// for a turn that called tools; OpenAI clients expect `tool_calls` then.
pub fn finish(reason: Option<&str>, called_tools: bool) -> Result<Option<FinishReason>, String> {
    let mapped = match reason {
        Some("MAX_TOKENS") => Some(FinishReason::Length),
        Some("TOOL_CALL") => Some(FinishReason::ToolCalls),
        Some("COMPLETE") | Some("STOP_SEQUENCE") => Some(FinishReason::Stop),
        Some(r @ ("ERROR" | "TIMEOUT")) => return Err(r.to_string()),
        _ => None,
    };
    Ok(match mapped {
        Some(FinishReason::Stop) | None if called_tools => Some(FinishReason::ToolCalls),
        other => other,
    })
}

/// A generation Cohere itself reported as failed.
pub fn generation_failed(reason: String, detail: Option<&str>) -> GatewayError {
    let detail = detail.filter(|d| !d.is_empty()).map(|d| format!(": {d}")).unwrap_or_default();
    GatewayError::bad_gateway(
        ErrorCode::UpstreamGenerationFailed,
        format!("{PROVIDER} stopped the generation with finish reason {reason}{detail}."),
    )
}

/// Cohere's usage → normalized usage. `tokens` (what the model processed)
/// is preferred; `billed_units` (what is billed, without the prompt
/// template) is the fallback. `cached_tokens` are taken to be part of the
/// input tokens, as OpenAI counts them.
pub fn usage(u: &WireUsage) -> Option<Usage> {
    let has_counts = |units: &Option<WireUnits>| units.filter(|x| x.input_tokens.is_some() || x.output_tokens.is_some());
    let units = has_counts(&u.tokens).or_else(|| has_counts(&u.billed_units))?;
    let prompt = count(units.input_tokens);
    Some(Usage {
        prompt_tokens: prompt,
        completion_tokens: count(units.output_tokens),
        cached_tokens: count(u.cached_tokens).min(prompt),
        ..Default::default()
    })
}

fn count(n: Option<f64>) -> u64 {
    match n {
        Some(x) if x.is_finite() && x > 0.0 => x.round() as u64,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/cohere/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn text_answer() {
        let r = parse(&fixture("response_text.json")).unwrap();
        assert_eq!(r.id.as_deref(), Some("c14c80c3-18eb-4519-9460-6c92edd8cfb4"));
        assert_eq!(r.text.as_deref(), Some("Paris is the capital of France. It is known for the Eiffel Tower."));
        assert_eq!(r.reasoning, None);
        assert!(r.tool_calls.is_empty());
        assert_eq!(r.finish_reason, Some(FinishReason::Stop));
        assert_eq!(r.usage, Some(Usage { prompt_tokens: 1207, completion_tokens: 16, ..Default::default() }));
    }

    #[test]
    fn tool_call_answer() {
        let r = parse(&fixture("response_tool_calls.json")).unwrap();
        assert_eq!(r.text, None);
        assert_eq!(r.reasoning.as_deref(), Some("I will look up the weather in Paris and in Berlin."));
        assert_eq!(
            r.tool_calls,
            vec![
                ToolCall { id: "get_weather_9ts9amabyhkp".into(), name: "get_weather".into(), arguments: "{\"city\":\"Paris\"}".into() },
                ToolCall { id: "get_weather_a0wtxwnxy2rr".into(), name: "get_weather".into(), arguments: "{\"city\":\"Berlin\"}".into() },
            ]
        );
        assert_eq!(r.finish_reason, Some(FinishReason::ToolCalls));
        let u = r.usage.unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens, u.cached_tokens), (1960, 61, 1024));
    }

    #[test]
    fn thinking_answer_and_billed_units_fallback() {
        let r = parse(&fixture("response_thinking.json")).unwrap();
        assert_eq!(r.reasoning.as_deref(), Some("The user wants 17 * 3. That is 51."));
        assert_eq!(r.text.as_deref(), Some("17 × 3 = 51."));
        assert_eq!(r.finish_reason, Some(FinishReason::Length));
        assert_eq!(r.usage, Some(Usage { prompt_tokens: 12, completion_tokens: 40, ..Default::default() }));
    }

    #[test]
    fn failed_generation_is_an_upstream_error() {
        let e = parse(br#"{"id":"x","finish_reason":"ERROR","message":{"role":"assistant","content":[]}}"#).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (502, "upstream_generation_failed"));
        assert!(e.from_upstream);
        assert!(parse(br#"{"finish_reason":"TIMEOUT","message":{}}"#).is_err());
    }

    #[test]
    fn broken_answers_are_502_not_panics() {
        for body in [&b"not json"[..], b"{}", b"[]", br#"{"message":{"tool_calls":[{"id":"a","function":{}}]}}"#] {
            let e = parse(body).unwrap_err();
            assert_eq!((e.status, e.code.as_str()), (502, "upstream_invalid_response"), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn finish_mapping() {
        assert_eq!(finish(Some("COMPLETE"), false), Ok(Some(FinishReason::Stop)));
        assert_eq!(finish(Some("STOP_SEQUENCE"), false), Ok(Some(FinishReason::Stop)));
        assert_eq!(finish(Some("MAX_TOKENS"), true), Ok(Some(FinishReason::Length)));
        assert_eq!(finish(Some("TOOL_CALL"), true), Ok(Some(FinishReason::ToolCalls)));
        assert_eq!(finish(Some("COMPLETE"), true), Ok(Some(FinishReason::ToolCalls)));
        assert_eq!(finish(Some("NEW_REASON"), false), Ok(None));
        assert_eq!(finish(Some("ERROR"), false), Err("ERROR".into()));
    }

    #[test]
    fn usage_shapes() {
        let u: WireUsage = serde_json::from_str(r#"{"tokens":{"input_tokens":10.0,"output_tokens":2}}"#).unwrap();
        assert_eq!(usage(&u), Some(Usage { prompt_tokens: 10, completion_tokens: 2, ..Default::default() }));
        let u: WireUsage = serde_json::from_str(r#"{"billed_units":{"input_tokens":3},"tokens":{}}"#).unwrap();
        assert_eq!(usage(&u).map(|u| u.prompt_tokens), Some(3));
        let u: WireUsage = serde_json::from_str(r#"{"billed_units":{"search_units":1}}"#).unwrap();
        assert_eq!(usage(&u), None);
    }
}
