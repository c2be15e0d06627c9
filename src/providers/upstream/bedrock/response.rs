//! A Converse answer → `ChatResponse`: text, tool calls, reasoning, finish
//! reason and usage.

use super::wire::{self, ConverseResponse};
use crate::core::error::GatewayResult;
use crate::providers::adapter::invalid_answer;
use crate::providers::model::{ChatResponse, FinishReason, ToolCall};
use crate::core::usage::Usage;

pub const PROVIDER: &str = "AWS Bedrock";

/// Bedrock's `stopReason` → the OpenAI finish reason.
pub fn finish_reason(stop_reason: &str) -> FinishReason {
    match stop_reason {
        "tool_use" => FinishReason::ToolCalls,
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "guardrail_intervened" | "content_filtered" => FinishReason::ContentFilter,
        // end_turn, stop_sequence and anything new
        _ => FinishReason::Stop,
    }
}

/// Bedrock counts cache reads and writes apart from `inputTokens`; the
/// normalized prompt count includes them.
pub fn usage(u: &wire::Usage) -> Usage {
    Usage {
        prompt_tokens: u.input_tokens + u.cache_read_input_tokens + u.cache_write_input_tokens,
        completion_tokens: u.output_tokens,
        cached_tokens: u.cache_read_input_tokens,
        cache_creation_tokens: u.cache_write_input_tokens,
        ..Usage::default()
    }
}

fn join(parts: Vec<String>) -> Option<String> {
    (!parts.is_empty()).then(|| parts.concat())
}

pub fn parse(body: &[u8]) -> GatewayResult<ChatResponse> {
    let r: ConverseResponse =
        serde_json::from_slice(body).map_err(|e| invalid_answer(PROVIDER, format_args!("not a Converse answer ({e})")))?;
    let message = r
        .output
        .and_then(|o| o.message)
        .ok_or_else(|| invalid_answer(PROVIDER, "no output.message in the Converse answer"))?;
    let (mut text, mut reasoning, mut tool_calls) = (Vec::new(), Vec::new(), Vec::new());
    for block in message.content {
        if let Some(t) = block.text {
            text.push(t);
        }
        if let Some(t) = block.reasoning_content.and_then(|r| r.reasoning_text).and_then(|r| r.text) {
            reasoning.push(t);
        }
        if let Some(tu) = block.tool_use {
            let arguments = if tu.input.is_null() { "{}".to_string() } else { tu.input.to_string() };
            tool_calls.push(ToolCall { id: tu.tool_use_id, name: tu.name, arguments });
        }
    }
    Ok(ChatResponse {
        id: None,
        model: None,
        text: join(text),
        reasoning: join(reasoning),
        tool_calls,
        finish_reason: r.stop_reason.as_deref().map(finish_reason),
        usage: r.usage.as_ref().map(usage),
    })
}
