//! `ChatRequest` → an Anthropic Messages request (`POST /v1/messages`).
//!
//! What changes on the way:
//! - system and developer prompts become the one top-level `system` text;
//! - OpenAI `tool` messages become `tool_result` blocks in a user turn, and
//!   consecutive turns of the same role are merged into one message, since
//!   Anthropic wants user and assistant turns to alternate;
//! - tool-call arguments (JSON text) are parsed into the `input` object;
//! - `max_tokens`, which Anthropic requires, gets a default;
//! - `response_format` has no Anthropic counterpart and becomes an
//!   instruction appended to the system prompt (see `json_instruction`).
//!
//! Parameters Anthropic has no equivalent for (`seed`, `presence_penalty`,
//! `frequency_penalty`, `reasoning_effort`) are left out.

use super::wire::{Block, Metadata, MessagesRequest, Source, ToolChoice, ToolDef, ToolResultContent, Turn, TurnRole};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::providers::model::{self as chat, ChatRequest, ContentPart, ImageSource, Message, ResponseFormat, Role, ToolCall};
use crate::providers::{auth, join_url, Target, UpstreamRequest};
use serde_json::Value;

/// `max_tokens` when the client sets none and the catalog knows no limit.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;
/// The most the default asks for, even for models that could write more:
/// a client that wants long answers says so.
pub const MAX_DEFAULT_MAX_TOKENS: u32 = 8192;
/// Sent when the catalog entry has no `anthropic-version` default header.
const API_VERSION: &str = "2023-06-01";

fn bad(code: ErrorCode, message: impl Into<String>) -> GatewayError {
    GatewayError::invalid_request(code, message).with_param("messages")
}

/// The complete upstream request: URL, headers, credential and body.
pub fn build(req: &ChatRequest, target: &Target) -> GatewayResult<UpstreamRequest> {
    let default_max = target
        .provider
        .model(target.model_id)
        .and_then(|m| m.max_output)
        .map_or(DEFAULT_MAX_TOKENS, |m| m.min(MAX_DEFAULT_MAX_TOKENS));
    let body = body(req, target.model_id, default_max)?;
    let body = serde_json::to_vec(&body).map_err(|_| GatewayError::internal(ErrorCode::AnthropicRequestEncoding))?;
    let mut up = UpstreamRequest {
        method: "POST",
        url: messages_url(target.base_url),
        headers: Vec::with_capacity(5),
        body: Some(body),
    };
    up.headers.push(("content-type".into(), "application/json".into()));
    up.headers.push(("accept".into(), if req.stream { "text/event-stream" } else { "application/json" }.into()));
    for (k, v) in &target.provider.default_headers {
        up.headers.push((k.clone(), v.clone()));
    }
    if up.header("anthropic-version").is_none() {
        up.headers.push(("anthropic-version".into(), API_VERSION.into()));
    }
    auth::apply(target.provider.auth, target.secret, &mut up);
    Ok(up)
}

/// `{base}/v1/messages`. A base URL that already ends in `/v1` (as OpenAI
/// base URLs do) is accepted too, without doubling it.
pub fn messages_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    join_url(base.strip_suffix("/v1").unwrap_or(base), "/v1/messages")
}

/// The request body for `model`, with `default_max_tokens` when the client set none.
pub fn body<'a>(req: &'a ChatRequest, model: &'a str, default_max_tokens: u32) -> GatewayResult<MessagesRequest<'a>> {
    Ok(MessagesRequest {
        model,
        max_tokens: req.max_tokens.unwrap_or(default_max_tokens),
        system: system(req),
        messages: turns(&req.messages)?,
        tools: req
            .tools
            .iter()
            .map(|t| ToolDef { name: &t.name, description: t.description.as_deref(), input_schema: &t.parameters })
            .collect(),
        tool_choice: tool_choice(req),
        stop_sequences: &req.stop,
        temperature: req.temperature,
        top_p: req.top_p,
        stream: req.stream,
        metadata: req.user.as_deref().map(|user_id| Metadata { user_id }),
    })
}

/// The system prompts joined, plus the JSON instruction when one applies.
fn system(req: &ChatRequest) -> Option<String> {
    let instruction = req.response_format.as_ref().and_then(json_instruction);
    match (req.system_text(), instruction) {
        (Some(s), Some(i)) => Some(format!("{s}\n\n{i}")),
        (s, i) => s.or(i),
    }
}

/// Anthropic has no JSON mode or structured-output parameter in the
/// Messages API version the gateway speaks, so `response_format` is
/// honoured by instruction: the model is told to answer with a JSON object
/// only (conforming to the schema, when one is given). Claude follows this
/// reliably, but unlike OpenAI's strict mode nothing enforces it.
fn json_instruction(format: &ResponseFormat) -> Option<String> {
    const ONLY_JSON: &str = "Respond only with a single JSON object: no text, explanation or code fence before or after it.";
    match format {
        ResponseFormat::Text => None,
        ResponseFormat::JsonObject => Some(ONLY_JSON.to_string()),
        ResponseFormat::JsonSchema { name, schema } => {
            Some(format!("{ONLY_JSON} The object must conform to this JSON Schema (named \"{name}\"):\n{schema}"))
        }
    }
}

/// Messages → alternating turns. Empty messages are dropped (Anthropic
/// rejects empty content), and a turn with the same role as the one before
/// it joins that one: several tool results answering one assistant turn, or
/// a tool result followed by the user's next words, become one user message.
fn turns(messages: &[Message]) -> GatewayResult<Vec<Turn<'_>>> {
    let mut turns: Vec<Turn> = Vec::with_capacity(messages.len());
    for m in messages {
        let (role, blocks) = match m.role {
            Role::User => (TurnRole::User, parts(&m.content)?),
            Role::Assistant => {
                let mut blocks = parts(&m.content)?;
                for call in &m.tool_calls {
                    blocks.push(Block::ToolUse { id: &call.id, name: &call.name, input: tool_input(call)? });
                }
                (TurnRole::Assistant, blocks)
            }
            Role::Tool => (TurnRole::User, vec![tool_result(m)?]),
        };
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some(last) if last.role == role => last.content.extend(blocks),
            _ => turns.push(Turn { role, content: blocks }),
        }
    }
    Ok(turns)
}

fn parts(content: &[ContentPart]) -> GatewayResult<Vec<Block<'_>>> {
    let mut blocks = Vec::with_capacity(content.len());
    for p in content {
        match p {
            // Anthropic rejects text blocks without visible text.
            ContentPart::Text(t) if t.trim().is_empty() => {}
            ContentPart::Text(t) => blocks.push(Block::Text { text: t }),
            ContentPart::Image(source) => blocks.push(media(source)?),
        }
    }
    Ok(blocks)
}

/// An image part: http(s) URLs Anthropic fetches itself, inline images in
/// the four formats it reads, and inline PDFs as a document block.
fn media(source: &ImageSource) -> GatewayResult<Block<'_>> {
    match source {
        ImageSource::Url(url) if url.starts_with("https://") || url.starts_with("http://") => {
            Ok(Block::Image { source: Source::Url { url } })
        }
        ImageSource::Url(_) => Err(bad(
            ErrorCode::UnsupportedImage,
            "Anthropic accepts images as http(s) URLs or base64 data URLs (data:image/png;base64,…) only.",
        )),
        ImageSource::Base64 { media_type, data } => {
            let media_type = media_type.to_ascii_lowercase();
            let known = match media_type.as_str() {
                "image/jpeg" | "image/jpg" => "image/jpeg",
                "image/png" => "image/png",
                "image/gif" => "image/gif",
                "image/webp" => "image/webp",
                "application/pdf" => {
                    return Ok(Block::Document { source: Source::Base64 { media_type: "application/pdf", data } })
                }
                other => {
                    return Err(bad(
                        ErrorCode::UnsupportedImage,
                        format!(
                            "Anthropic reads inline images as JPEG, PNG, GIF or WebP (and documents as PDF), not '{other}'."
                        ),
                    ))
                }
            };
            Ok(Block::Image { source: Source::Base64 { media_type: known, data } })
        }
    }
}

/// The tool call's arguments as the object Anthropic wants. Empty text
/// means "no arguments"; anything else that is not a JSON object is refused
/// rather than replaced, so a broken history is not silently rewritten.
fn tool_input(call: &ToolCall) -> GatewayResult<Value> {
    let text = call.arguments.trim();
    if text.is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(bad(
            ErrorCode::InvalidToolArguments,
            format!(
                "The arguments of tool call '{}' (function '{}') are not a JSON object; Anthropic needs them as one.",
                call.id, call.name
            ),
        )),
    }
}

fn tool_result(m: &Message) -> GatewayResult<Block<'_>> {
    let tool_use_id = m
        .tool_call_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| bad(ErrorCode::InvalidValue, "A tool message needs the tool_call_id it answers."))?;
    let has_media = m.content.iter().any(|p| matches!(p, ContentPart::Image(_)));
    let content = if has_media {
        Some(ToolResultContent::Blocks(parts(&m.content)?))
    } else {
        Some(m.text()).filter(|t| !t.is_empty()).map(ToolResultContent::Text)
    };
    Ok(Block::ToolResult { tool_use_id, content })
}

/// OpenAI's `tool_choice` and `parallel_tool_calls` in Anthropic's one
/// `tool_choice` object. Without tools there is nothing to choose.
fn tool_choice(req: &ChatRequest) -> Option<ToolChoice<'_>> {
    if req.tools.is_empty() {
        return None;
    }
    let disable_parallel_tool_use = req.parallel_tool_calls == Some(false);
    match &req.tool_choice {
        None if disable_parallel_tool_use => Some(ToolChoice::Auto { disable_parallel_tool_use }),
        None => None,
        Some(chat::ToolChoice::Auto) => Some(ToolChoice::Auto { disable_parallel_tool_use }),
        Some(chat::ToolChoice::Required) => Some(ToolChoice::Any { disable_parallel_tool_use }),
        Some(chat::ToolChoice::Function(name)) => Some(ToolChoice::Tool { name, disable_parallel_tool_use }),
        Some(chat::ToolChoice::None) => Some(ToolChoice::None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;
    use crate::providers::client::chat::request::parse;
    use serde_json::json;

    fn target(model: &'static str, base_url: &'static str) -> Target<'static> {
        static CONFIG: Value = Value::Null;
        Target {
            provider: catalog().provider("anthropic").unwrap(),
            model_id: model,
            base_url,
            secret: Some("sk-ant-test"),
            config: &CONFIG,
            now_ms: 0,
        }
    }

    fn built(openai: &Value, model: &'static str) -> (UpstreamRequest, Value) {
        let req = parse(openai, model).unwrap();
        let up = build(&req, &target(model, "https://api.anthropic.com")).unwrap();
        let body = serde_json::from_slice(up.body.as_ref().unwrap()).unwrap();
        (up, body)
    }

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/fixtures/anthropic/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    #[test]
    fn golden_tool_conversation() {
        let (up, body) = built(&fixture("request_tools.openai.json"), "claude-sonnet-4-5");
        assert_eq!(body, fixture("request_tools.anthropic.json"));
        assert_eq!(up.url, "https://api.anthropic.com/v1/messages");
        assert_eq!(up.method, "POST");
        assert_eq!(up.header("x-api-key"), Some("sk-ant-test"));
        assert_eq!(up.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(up.header("accept"), Some("text/event-stream"));
        assert_eq!(up.header("authorization"), None);
    }

    #[test]
    fn golden_vision_and_json_mode() {
        let (up, body) = built(&fixture("request_vision.openai.json"), "claude-haiku-4-5");
        assert_eq!(body, fixture("request_vision.anthropic.json"));
        assert_eq!(up.header("accept"), Some("application/json"));
    }

    #[test]
    fn max_tokens_defaults() {
        let msgs = json!({"messages": [{"role": "user", "content": "hi"}]});
        // The catalog's max_output (64000) is capped.
        assert_eq!(built(&msgs, "claude-haiku-4-5").1["max_tokens"], MAX_DEFAULT_MAX_TOKENS);
        // Unknown to the catalog.
        assert_eq!(built(&msgs, "claude-next-unknown").1["max_tokens"], DEFAULT_MAX_TOKENS);
        // The client's own value wins, even above the cap.
        let mut own = msgs.clone();
        own["max_tokens"] = json!(20000);
        assert_eq!(built(&own, "claude-haiku-4-5").1["max_tokens"], 20000);
    }

    #[test]
    fn a_small_catalog_limit_is_kept() {
        let mut req = ChatRequest::default();
        req.messages.push(Message { role: Role::User, content: vec![ContentPart::Text("x".into())], tool_calls: vec![], tool_call_id: None });
        assert_eq!(body(&req, "m", 1024).unwrap().max_tokens, 1024);
    }

    #[test]
    fn urls() {
        assert_eq!(messages_url("https://api.anthropic.com"), "https://api.anthropic.com/v1/messages");
        assert_eq!(messages_url("https://api.anthropic.com/"), "https://api.anthropic.com/v1/messages");
        assert_eq!(messages_url("http://127.0.0.1:9/~tag=a/v1"), "http://127.0.0.1:9/~tag=a/v1/messages");
    }

    #[test]
    fn invalid_tool_arguments_are_refused_by_name() {
        for args in ["{\"city\": \"Par", "[1,2]", "\"text\""] {
            let v = json!({"messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "tool_calls": [{"id": "call_9", "type": "function", "function": {"name": "weather", "arguments": args}}]},
                {"role": "tool", "tool_call_id": "call_9", "content": "x"}
            ]});
            let req = parse(&v, "claude-haiku-4-5").unwrap();
            let e = build(&req, &target("claude-haiku-4-5", "https://a")).unwrap_err();
            assert_eq!((e.status, e.code.as_str()), (400, "invalid_tool_arguments"));
            assert!(e.message.contains("call_9") && e.message.contains("weather"), "{}", e.message);
        }
    }

    #[test]
    fn empty_arguments_mean_no_arguments() {
        let v = json!({"messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "now", "arguments": ""}}]}
        ]});
        let body = built(&v, "m").1;
        assert_eq!(body["messages"][1]["content"], json!([{"type": "tool_use", "id": "c", "name": "now", "input": {}}]));
    }

    #[test]
    fn tool_results_without_text_and_with_images() {
        let v = json!({"messages": [
            {"role": "user", "content": "draw"},
            {"role": "assistant", "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "noop", "arguments": "{}"}},
                {"id": "b", "type": "function", "function": {"name": "render", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": "a", "content": ""},
            {"role": "tool", "tool_call_id": "b", "content": [
                {"type": "text", "text": "done"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
            ]}
        ]});
        let body = built(&v, "m").1;
        assert_eq!(
            body["messages"][2]["content"],
            json!([
                {"type": "tool_result", "tool_use_id": "a"},
                {"type": "tool_result", "tool_use_id": "b", "content": [
                    {"type": "text", "text": "done"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
                ]}
            ])
        );
    }

    #[test]
    fn unsupported_images_are_named() {
        for url in ["data:image/tiff;base64,AAAA", "ftp://x/y.png"] {
            let v = json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}]});
            let req = parse(&v, "m").unwrap();
            let e = build(&req, &target("m", "https://a")).unwrap_err();
            assert_eq!((e.status, e.code.as_str()), (400, "unsupported_image"), "{url}");
        }
    }

    #[test]
    fn tool_choice_mapping() {
        let base = json!({"messages": [{"role": "user", "content": "x"}],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]});
        let with = |extra: Value| {
            let mut v = base.clone();
            v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            built(&v, "m").1.get("tool_choice").cloned()
        };
        assert_eq!(with(json!({})), None);
        assert_eq!(with(json!({"tool_choice": "auto"})), Some(json!({"type": "auto"})));
        assert_eq!(with(json!({"tool_choice": "required"})), Some(json!({"type": "any"})));
        assert_eq!(with(json!({"tool_choice": "none"})), Some(json!({"type": "none"})));
        assert_eq!(
            with(json!({"tool_choice": {"type": "function", "function": {"name": "f"}}, "parallel_tool_calls": false})),
            Some(json!({"type": "tool", "name": "f", "disable_parallel_tool_use": true}))
        );
        assert_eq!(with(json!({"parallel_tool_calls": false})), Some(json!({"type": "auto", "disable_parallel_tool_use": true})));
        assert_eq!(with(json!({"tool_choice": "required", "parallel_tool_calls": true})), Some(json!({"type": "any"})));
        // No tools: no tool_choice, whatever the client said.
        let v = json!({"messages": [{"role": "user", "content": "x"}], "tool_choice": "auto", "parallel_tool_calls": false});
        assert!(built(&v, "m").1.get("tool_choice").is_none());
    }

    #[test]
    fn json_schema_instruction_without_system_prompt() {
        let v = json!({"messages": [{"role": "user", "content": "x"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "person", "schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}});
        let system = built(&v, "m").1["system"].as_str().unwrap().to_string();
        assert!(system.starts_with("Respond only with a single JSON object"), "{system}");
        assert!(system.contains("\"person\"") && system.contains("\"name\":{\"type\":\"string\"}"), "{system}");
        let v = json!({"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "text"}});
        assert!(built(&v, "m").1.get("system").is_none());
    }

    #[test]
    fn no_credential_no_key_header() {
        let req = parse(&json!({"messages": [{"role": "user", "content": "x"}]}), "m").unwrap();
        let mut t = target("m", "https://a");
        t.secret = None;
        let up = build(&req, &t).unwrap();
        assert_eq!(up.header("x-api-key"), None);
        assert_eq!(up.header("anthropic-version"), Some("2023-06-01"));
    }
}
