//! Gemini `generateContent` answer → `ChatResponse`.

use super::wire::{Candidate, GenerateContentResponse, PartIn};
use crate::core::error::GatewayResult;
use crate::providers::adapter::invalid_answer;
use crate::providers::model::{ChatResponse, FinishReason, ToolCall};

pub const PROVIDER: &str = "Gemini";

/// Gemini's `finishReason` in OpenAI's terms. Safety-type stops win; then a
/// turn that called functions is `tool_calls` (Gemini says `STOP` there).
pub fn finish_reason(reason: Option<&str>, has_tool_calls: bool) -> Option<FinishReason> {
    let filtered = matches!(
        reason,
        Some(
            "SAFETY"
                | "RECITATION"
                | "BLOCKLIST"
                | "PROHIBITED_CONTENT"
                | "SPII"
                | "IMAGE_SAFETY"
                | "IMAGE_PROHIBITED_CONTENT"
                | "IMAGE_RECITATION"
        )
    );
    if filtered {
        return Some(FinishReason::ContentFilter);
    }
    if has_tool_calls {
        return Some(FinishReason::ToolCalls);
    }
    match reason? {
        "MAX_TOKENS" => Some(FinishReason::Length),
        // STOP, and the reasons with no OpenAI counterpart (LANGUAGE, OTHER,
        // MALFORMED_FUNCTION_CALL, …): the answer ended.
        _ => Some(FinishReason::Stop),
    }
}

/// A function call part as a tool call; Gemini usually gives no id, so the
/// call's position in the answer names it.
pub fn tool_call(part: &PartIn, index: usize) -> Option<ToolCall> {
    let call = part.function_call.as_ref()?;
    Some(ToolCall {
        id: call.id.clone().filter(|id| !id.is_empty()).unwrap_or_else(|| format!("call_{index}")),
        name: call.name.clone(),
        arguments: call.args.as_ref().map_or_else(|| "{}".to_string(), |a| a.to_string()),
    })
}

/// The candidate the answer is about (Gemini is asked for one).
pub fn first_candidate(candidates: &[Candidate]) -> Option<&Candidate> {
    candidates.iter().find(|c| c.index.unwrap_or(0) == 0).or_else(|| candidates.first())
}

pub fn parse(body: &[u8]) -> GatewayResult<ChatResponse> {
    let r: GenerateContentResponse = serde_json::from_slice(body)
        .map_err(|_| invalid_answer(PROVIDER, "the body is not a generateContent answer"))?;
    if let Some(err) = &r.error {
        return Err(invalid_answer(PROVIDER, format!("an error inside a successful answer ({})", err.describe())));
    }
    let mut out = ChatResponse {
        id: r.response_id.clone(),
        model: r.model_version.clone(),
        usage: r.usage_metadata.map(|u| u.normalized()),
        ..Default::default()
    };
    let Some(candidate) = first_candidate(&r.candidates) else {
        if r.prompt_feedback.as_ref().and_then(|f| f.block_reason.as_ref()).is_some() {
            // The prompt itself was blocked: an answer, not an error.
            out.text = Some(String::new());
            out.finish_reason = Some(FinishReason::ContentFilter);
            return Ok(out);
        }
        return Err(invalid_answer(PROVIDER, "an answer without candidates"));
    };

    let mut text: Option<String> = None;
    let mut reasoning: Option<String> = None;
    for part in candidate.content.iter().flat_map(|c| c.parts.iter()) {
        if let Some(call) = tool_call(part, out.tool_calls.len()) {
            out.tool_calls.push(call);
        } else if let Some(t) = &part.text {
            let target = if part.thought { &mut reasoning } else { &mut text };
            target.get_or_insert_with(String::new).push_str(t);
        }
    }
    out.text = text;
    out.reasoning = reasoning;
    out.finish_reason = finish_reason(candidate.finish_reason.as_deref(), !out.tool_calls.is_empty());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_reasons() {
        use FinishReason::*;
        let cases = [
            (Some("STOP"), false, Some(Stop)),
            (Some("STOP"), true, Some(ToolCalls)),
            (Some("MAX_TOKENS"), false, Some(Length)),
            (Some("MAX_TOKENS"), true, Some(ToolCalls)),
            (Some("SAFETY"), true, Some(ContentFilter)),
            (Some("RECITATION"), false, Some(ContentFilter)),
            (Some("BLOCKLIST"), false, Some(ContentFilter)),
            (Some("PROHIBITED_CONTENT"), false, Some(ContentFilter)),
            (Some("SPII"), false, Some(ContentFilter)),
            (Some("IMAGE_SAFETY"), false, Some(ContentFilter)),
            (Some("MALFORMED_FUNCTION_CALL"), false, Some(Stop)),
            (Some("OTHER"), false, Some(Stop)),
            (None, false, None),
            (None, true, Some(ToolCalls)),
        ];
        for (reason, calls, want) in cases {
            assert_eq!(finish_reason(reason, calls), want, "{reason:?} {calls}");
        }
    }

    #[test]
    fn broken_answers_are_bad_gateway() {
        assert_eq!(parse(b"<html>").unwrap_err().status, 502);
        assert_eq!(parse(b"{}").unwrap_err().code, "upstream_invalid_response");
        assert_eq!(parse(br#"{"error":{"code":500,"message":"x","status":"INTERNAL"}}"#).unwrap_err().status, 502);
    }

    #[test]
    fn given_ids_are_kept() {
        let body = br#"{"candidates":[{"content":{"role":"model","parts":[
            {"functionCall":{"id":"fc-1","name":"a","args":{}}},{"functionCall":{"name":"b"}}]},"finishReason":"STOP"}]}"#;
        let r = parse(body).unwrap();
        assert_eq!(r.tool_calls[0].id, "fc-1");
        assert_eq!((r.tool_calls[1].id.as_str(), r.tool_calls[1].arguments.as_str()), ("call_1", "{}"));
        assert_eq!(r.text, None);
    }
}
