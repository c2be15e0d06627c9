//! Converse answers and error bodies → the internal model.

use super::{fixture, target, NO_CONFIG};
use crate::providers::adapter::ChatAdapter;
use crate::providers::upstream::bedrock::{response, Bedrock};
use crate::providers::model::{FinishReason, ToolCall};
use crate::core::usage::Usage;

#[test]
fn text_answer() {
    let r = Bedrock.parse_chat(fixture("response_text.json").as_bytes()).unwrap();
    assert_eq!(r.text.as_deref(), Some("Rome."));
    assert_eq!(r.finish_reason, Some(FinishReason::Stop));
    assert_eq!(r.usage, Some(Usage { prompt_tokens: 41, completion_tokens: 4, ..Default::default() }));
    assert!(r.tool_calls.is_empty() && r.reasoning.is_none() && r.id.is_none());
}

#[test]
fn parallel_tool_calls_with_cache_usage() {
    let r = Bedrock.parse_chat(fixture("response_tool_use.json").as_bytes()).unwrap();
    assert_eq!(r.text.as_deref(), Some("I'll look up both cities."));
    assert_eq!(
        r.tool_calls,
        vec![
            ToolCall { id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q".into(), name: "get_weather".into(), arguments: r#"{"city":"Paris"}"#.into() },
            ToolCall { id: "tooluse_Wq1aPGEYQ2CxAs3k3tWqfA".into(), name: "get_weather".into(), arguments: r#"{"city":"Rome"}"#.into() },
        ]
    );
    assert_eq!(r.finish_reason, Some(FinishReason::ToolCalls));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.cached_tokens, u.cache_creation_tokens), (2168, 96, 1536, 512));
    assert_eq!(u.total_tokens(), 2264, "matches Bedrock's totalTokens");
}

#[test]
fn reasoning_and_length() {
    let r = Bedrock.parse_chat(fixture("response_reasoning.json").as_bytes()).unwrap();
    assert!(r.reasoning.unwrap().starts_with("The user wants 17 * 23."));
    assert_eq!(r.text.as_deref(), Some("17 × 23 = 391, and that is"));
    assert_eq!(r.finish_reason, Some(FinishReason::Length));
}

#[test]
fn guardrail_is_a_content_filter() {
    let r = Bedrock.parse_chat(fixture("response_guardrail.json").as_bytes()).unwrap();
    assert_eq!(r.finish_reason, Some(FinishReason::ContentFilter));
}

#[test]
fn stop_reasons() {
    use FinishReason::*;
    for (reason, expected) in [
        ("end_turn", Stop),
        ("stop_sequence", Stop),
        ("tool_use", ToolCalls),
        ("max_tokens", Length),
        ("model_context_window_exceeded", Length),
        ("guardrail_intervened", ContentFilter),
        ("content_filtered", ContentFilter),
        ("something_new", Stop),
    ] {
        assert_eq!(response::finish_reason(reason), expected, "{reason}");
    }
}

#[test]
fn broken_answers_are_bad_gateway() {
    for body in [&b"not json"[..], br#"{"output":{}}"#, br#"{"stopReason":"end_turn"}"#] {
        let e = Bedrock.parse_chat(body).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (502, "upstream_invalid_response"));
    }
}

#[test]
fn error_bodies_keep_status_and_message() {
    let t = target("anthropic.claude-3-haiku-20240307-v1:0", &NO_CONFIG);
    let e = Bedrock.error_from(400, fixture("error_validation.json").as_bytes(), &t);
    assert_eq!((e.status, e.code.as_str()), (400, "upstream_bad_request"));
    assert!(e.message.contains("tool result blocks cannot be provided"));
    let e = Bedrock.error_from(429, fixture("error_throttling.json").as_bytes(), &t);
    assert_eq!(e.status, 429);
    assert!(e.message.contains("Too many requests"));
    let e = Bedrock.error_from(403, fixture("error_access_denied.json").as_bytes(), &t);
    assert_eq!((e.status, e.code.as_str()), (403, "provider_auth_failed"));
    assert!(!e.message.contains("AKID"));
}
