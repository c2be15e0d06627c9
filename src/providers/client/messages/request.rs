//! Anthropic Messages request JSON → `ChatRequest`.
//!
//! What changes on the way:
//! - `system` (a string or text blocks) becomes the system prompts;
//! - `tool_result` blocks of a user turn become one `Role::Tool` message
//!   each, in order, followed by a user message with the turn's other
//!   content (Claude Code appends reminders after its tool results);
//! - `tool_use` blocks become the assistant's tool calls (`input` as JSON
//!   text); `thinking` and `redacted_thinking` blocks, and server-tool
//!   blocks of earlier turns, are dropped: their signatures and results
//!   mean something to Anthropic only;
//! - `is_error` has no neutral counterpart: the result's text is prefixed
//!   with `Error: ` so the model still learns the tool failed;
//! - `thinking.budget_tokens` becomes a reasoning effort;
//! - `cache_control`, `top_k` and unknown top-level fields are ignored.
//!
//! Anthropic server tools (web search, bash, text editor…), file references
//! and URL documents cannot be translated and are refused by name.

use super::count_tokens;
use super::Echo;
use crate::core::error::{GatewayError, GatewayResult, invalid_value, ErrorCode};
use crate::providers::model::{ChatRequest, ContentPart, ImageSource, Message, ResponseFormat, Role, Tool, ToolCall, ToolChoice};
use serde_json::{Map, Value};

/// A parsed request and what its answer's encoders need.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub chat: ChatRequest,
    pub echo: Echo,
}

fn unsupported(param: &str, message: impl Into<String>) -> GatewayError {
    GatewayError::invalid_request(ErrorCode::UnsupportedForProvider, message).with_param(param)
}

fn opt_f64(v: &Value, key: &str) -> GatewayResult<Option<f64>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x.as_f64().map(Some).ok_or_else(|| invalid_value(key, format!("{key}: Input should be a valid number"))),
    }
}

fn opt_bool(v: &Value, key: &str, at: &str) -> GatewayResult<bool> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(invalid_value(at, format!("{at}: Input should be a valid boolean"))),
    }
}

/// A required string field of `v`; `at` is `v`'s path.
fn str_field<'v>(v: &'v Value, key: &str, at: &str) -> GatewayResult<&'v str> {
    v.get(key).and_then(Value::as_str).ok_or_else(|| {
        let param = format!("{at}.{key}");
        invalid_value(&param, format!("{param}: Field required (a string)"))
    })
}

fn block_type<'v>(b: &'v Value, at: &str) -> GatewayResult<&'v str> {
    if !b.is_object() {
        return Err(invalid_value(at, format!("{at}: Input should be a content block object")));
    }
    str_field(b, "type", at)
}

/// A content array, or a string standing for one text block.
fn blocks<'v>(content: Option<&'v Value>, at: &str) -> GatewayResult<Blocks<'v>> {
    match content {
        None | Some(Value::Null) => Err(invalid_value(at, format!("{at}: Field required"))),
        Some(Value::String(s)) => Ok(Blocks::Text(s)),
        Some(Value::Array(a)) => Ok(Blocks::List(a)),
        Some(_) => Err(invalid_value(at, format!("{at}: Input should be a string or an array of content blocks"))),
    }
}

enum Blocks<'v> {
    Text(&'v str),
    List(&'v [Value]),
}

/// An `image` block's source.
fn image(b: &Value, at: &str) -> GatewayResult<ImageSource> {
    let src_at = format!("{at}.source");
    let source = b.get("source").filter(|s| s.is_object()).ok_or_else(|| invalid_value(&src_at, format!("{src_at}: Field required")))?;
    match str_field(source, "type", &src_at)? {
        "base64" => Ok(ImageSource::Base64 {
            media_type: str_field(source, "media_type", &src_at)?.to_string(),
            data: str_field(source, "data", &src_at)?.to_string(),
        }),
        "url" => Ok(ImageSource::Url(str_field(source, "url", &src_at)?.to_string())),
        "file" => Err(unsupported(&src_at, "Images referenced by file_id (Files API) are only available on Anthropic models; send them as base64 or url sources.")),
        other => Err(invalid_value(&src_at, format!("{src_at}.type: unknown image source type '{other}'"))),
    }
}

/// A `document` block: plain text, or an inline PDF (carried as an image
/// part with the PDF media type, as the neutral model does for PDFs).
fn document(b: &Value, at: &str) -> GatewayResult<ContentPart> {
    let src_at = format!("{at}.source");
    let source = b.get("source").filter(|s| s.is_object()).ok_or_else(|| invalid_value(&src_at, format!("{src_at}: Field required")))?;
    match str_field(source, "type", &src_at)? {
        "text" => Ok(ContentPart::Text(str_field(source, "data", &src_at)?.to_string())),
        "base64" if source.get("media_type").and_then(Value::as_str) == Some("application/pdf") => {
            Ok(ContentPart::Image(ImageSource::Base64 {
                media_type: "application/pdf".into(),
                data: str_field(source, "data", &src_at)?.to_string(),
            }))
        }
        other => Err(unsupported(
            &src_at,
            format!("{src_at}: documents with a '{other}' source are only available on Anthropic models; send plain text or a base64 PDF."),
        )),
    }
}

/// A block that may appear in user content or inside a tool result.
fn media_or_text(b: &Value, kind: &str, at: &str) -> GatewayResult<ContentPart> {
    match kind {
        "text" => Ok(ContentPart::Text(str_field(b, "text", at)?.to_string())),
        "image" => Ok(ContentPart::Image(image(b, at)?)),
        "document" => document(b, at),
        other => Err(unsupported(at, format!("{at}: content blocks of type '{other}' are only available on Anthropic models."))),
    }
}

fn tool_result(b: &Value, at: &str) -> GatewayResult<Message> {
    let id = str_field(b, "tool_use_id", at)?;
    let content_at = format!("{at}.content");
    let mut content = match b.get("content") {
        None | Some(Value::Null) => Vec::new(),
        c => match blocks(c, &content_at)? {
            Blocks::Text(s) => vec![ContentPart::Text(s.to_string())],
            Blocks::List(list) => list
                .iter()
                .enumerate()
                .map(|(k, inner)| {
                    let inner_at = format!("{content_at}.{k}");
                    media_or_text(inner, block_type(inner, &inner_at)?, &inner_at)
                })
                .collect::<GatewayResult<_>>()?,
        },
    };
    if opt_bool(b, "is_error", &format!("{at}.is_error"))? {
        match content.first_mut() {
            Some(ContentPart::Text(t)) => t.insert_str(0, "Error: "),
            _ => content.insert(0, ContentPart::Text("Error".into())),
        }
    }
    Ok(Message { role: Role::Tool, content, tool_calls: Vec::new(), tool_call_id: Some(id.to_string()) })
}

/// A user turn: its tool results first (one tool message each), then the
/// rest of its content as one user message.
fn user_turn(content: Blocks, at: &str, out: &mut Vec<Message>) -> GatewayResult<()> {
    let mut parts = Vec::new();
    let mut results = 0;
    match content {
        Blocks::Text(s) => parts.push(ContentPart::Text(s.to_string())),
        Blocks::List(list) => {
            for (j, b) in list.iter().enumerate() {
                let b_at = format!("{at}.{j}");
                match block_type(b, &b_at)? {
                    "tool_result" => {
                        out.push(tool_result(b, &b_at)?);
                        results += 1;
                    }
                    "thinking" | "redacted_thinking" => {}
                    "tool_use" => return Err(invalid_value(&b_at, format!("{b_at}: tool_use blocks belong in assistant turns"))),
                    kind => parts.push(media_or_text(b, kind, &b_at)?),
                }
            }
        }
    }
    if results == 0 || !parts.is_empty() {
        out.push(Message { role: Role::User, content: parts, tool_calls: Vec::new(), tool_call_id: None });
    }
    Ok(())
}

fn assistant_turn(content: Blocks, at: &str, out: &mut Vec<Message>) -> GatewayResult<()> {
    let mut parts = Vec::new();
    let mut calls = Vec::new();
    match content {
        Blocks::Text(s) => parts.push(ContentPart::Text(s.to_string())),
        Blocks::List(list) => {
            for (j, b) in list.iter().enumerate() {
                let b_at = format!("{at}.{j}");
                match block_type(b, &b_at)? {
                    "text" => parts.push(ContentPart::Text(str_field(b, "text", &b_at)?.to_string())),
                    "tool_use" => calls.push(ToolCall {
                        id: str_field(b, "id", &b_at)?.to_string(),
                        name: str_field(b, "name", &b_at)?.to_string(),
                        arguments: match b.get("input") {
                            None | Some(Value::Null) => "{}".into(),
                            Some(input) => input.to_string(),
                        },
                    }),
                    // Signed reasoning, and server tools Anthropic ran itself:
                    // meaningless to any other model.
                    "thinking" | "redacted_thinking" | "server_tool_use" | "mcp_tool_use" => {}
                    kind if kind.ends_with("_tool_result") => {}
                    other => {
                        return Err(unsupported(&b_at, format!("{b_at}: assistant content blocks of type '{other}' cannot be translated.")))
                    }
                }
            }
        }
    }
    // A turn that held only thinking carries nothing now.
    if !parts.is_empty() || !calls.is_empty() {
        out.push(Message { role: Role::Assistant, content: parts, tool_calls: calls, tool_call_id: None });
    }
    Ok(())
}

/// Text of a system prompt: a string or text blocks (`cache_control` and
/// other block fields do not carry over).
fn system_text(v: Option<&Value>, at: &str) -> GatewayResult<Vec<String>> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(if s.is_empty() { Vec::new() } else { vec![s.clone()] }),
        Some(Value::Array(list)) => {
            let mut out = Vec::with_capacity(list.len());
            for (i, b) in list.iter().enumerate() {
                let b_at = format!("{at}.{i}");
                match block_type(b, &b_at)? {
                    "text" => {
                        let text = str_field(b, "text", &b_at)?;
                        if !text.is_empty() {
                            out.push(text.to_string());
                        }
                    }
                    other => return Err(invalid_value(&b_at, format!("{b_at}: system blocks must be text, not '{other}'"))),
                }
            }
            Ok(out)
        }
        Some(_) => Err(invalid_value(at, format!("{at}: Input should be a string or an array of text blocks"))),
    }
}

fn tools(v: &Value) -> GatewayResult<Vec<Tool>> {
    let list = match v.get("tools") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(invalid_value("tools", "tools: Input should be an array")),
    };
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            let at = format!("tools.{i}");
            if !t.is_object() {
                return Err(invalid_value(&at, format!("{at}: Input should be a tool object")));
            }
            let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
            match t.get("type").and_then(Value::as_str) {
                None | Some("custom") => {}
                Some(kind) => {
                    return Err(unsupported(
                        "tools",
                        format!("Tool '{name}' ({kind}) is an Anthropic server tool, only available on Anthropic models."),
                    ))
                }
            }
            if name.is_empty() {
                return Err(invalid_value(&at, format!("{at}.name: Field required")));
            }
            let parameters = match t.get("input_schema") {
                None | Some(Value::Null) => serde_json::json!({"type": "object", "properties": {}}),
                Some(s @ Value::Object(_)) => s.clone(),
                Some(_) => return Err(invalid_value(&at, format!("{at}.input_schema: Input should be an object"))),
            };
            Ok(Tool {
                name: name.to_string(),
                description: t.get("description").and_then(Value::as_str).map(str::to_string),
                parameters,
            })
        })
        .collect()
}

/// `tool_choice` and whether parallel tool use is disabled.
fn tool_choice(v: &Value) -> GatewayResult<(Option<ToolChoice>, Option<bool>)> {
    let c = match v.get("tool_choice") {
        None | Some(Value::Null) => return Ok((None, None)),
        Some(c @ Value::Object(_)) => c,
        Some(_) => return Err(invalid_value("tool_choice", "tool_choice: Input should be an object")),
    };
    let choice = match str_field(c, "type", "tool_choice")? {
        "auto" => ToolChoice::Auto,
        "any" => ToolChoice::Required,
        "none" => ToolChoice::None,
        "tool" => ToolChoice::Function(str_field(c, "name", "tool_choice")?.to_string()),
        other => return Err(invalid_value("tool_choice", format!("tool_choice.type: unknown value '{other}'"))),
    };
    let parallel = opt_bool(c, "disable_parallel_tool_use", "tool_choice.disable_parallel_tool_use")?.then_some(false);
    Ok((Some(choice), parallel))
}

/// Extended thinking → (thinking on, reasoning effort). The budget picks the
/// effort: under 4,096 tokens low, under 16,384 medium, else high. Types
/// newer than this parser leave thinking off rather than fail the request.
fn thinking(v: &Value) -> GatewayResult<(bool, Option<String>)> {
    let Some(t) = v.get("thinking").filter(|t| !t.is_null()) else { return Ok((false, None)) };
    if !t.is_object() {
        return Err(invalid_value("thinking", "thinking: Input should be an object"));
    }
    match t.get("type").and_then(Value::as_str) {
        Some("enabled") => {
            let budget = match t.get("budget_tokens") {
                None | Some(Value::Null) => None,
                Some(b) => Some(b.as_u64().ok_or_else(|| {
                    invalid_value("thinking.budget_tokens", "thinking.budget_tokens: Input should be a positive integer")
                })?),
            };
            let effort = match budget {
                Some(b) if b < 4_096 => "low",
                Some(b) if b >= 16_384 => "high",
                _ => "medium",
            };
            Ok((true, Some(effort.to_string())))
        }
        _ => Ok((false, None)),
    }
}

/// Structured outputs (`output_format: {type: "json_schema", schema}`).
fn output_format(v: &Value) -> Option<ResponseFormat> {
    let f = v.get("output_format")?;
    (f.get("type").and_then(Value::as_str) == Some("json_schema")).then(|| ResponseFormat::JsonSchema {
        name: "output".into(),
        schema: f.get("schema").cloned().unwrap_or(Value::Object(Map::new())),
    })
}

/// Parses a Messages request for a translating adapter. `model_id` is the
/// upstream model id already resolved from the request's `model`.
pub fn parse(body: &Value, model_id: &str) -> GatewayResult<Parsed> {
    if !body.is_object() {
        return Err(invalid_value("body", "The request body must be a JSON object."));
    }
    let max_tokens = match body.get("max_tokens") {
        None | Some(Value::Null) => {
            return Err(GatewayError::invalid_request(ErrorCode::MissingRequiredParameter, "max_tokens: Field required")
                .with_param("max_tokens"))
        }
        Some(n) => n
            .as_u64()
            .filter(|n| *n >= 1)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| invalid_value("max_tokens", "max_tokens: Input should be a positive integer"))?,
    };
    let list = match body.get("messages") {
        Some(Value::Array(list)) => list,
        None | Some(Value::Null) => return Err(invalid_value("messages", "messages: Field required")),
        Some(_) => return Err(invalid_value("messages", "messages: Input should be an array of messages")),
    };
    let mut system = system_text(body.get("system"), "system")?;
    let mut messages = Vec::with_capacity(list.len());
    for (i, m) in list.iter().enumerate() {
        let at = format!("messages.{i}");
        let content_at = format!("{at}.content");
        match m.get("role").and_then(Value::as_str) {
            Some("user") => user_turn(blocks(m.get("content"), &content_at)?, &content_at, &mut messages)?,
            Some("assistant") => assistant_turn(blocks(m.get("content"), &content_at)?, &content_at, &mut messages)?,
            // A system turn among the messages (Claude Code sends its
            // environment this way) joins the system prompt, as chat
            // clients' later system messages do: not every provider takes
            // instructions mid-conversation.
            Some("system") => system.extend(system_text(m.get("content"), &content_at)?),
            Some(other) => {
                return Err(invalid_value(
                    &format!("{at}.role"),
                    format!("{at}.role: Input should be 'user', 'assistant' or 'system', not '{other}'"),
                ))
            }
            None => return Err(invalid_value(&format!("{at}.role"), format!("{at}.role: Field required"))),
        }
    }
    let (tool_choice, parallel_tool_calls) = tool_choice(body)?;
    let (thinking_on, reasoning_effort) = thinking(body)?;
    let stop = match body.get("stop_sequences") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|s| s.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid_value("stop_sequences", "stop_sequences: Input should be an array of strings"))?,
        Some(_) => return Err(invalid_value("stop_sequences", "stop_sequences: Input should be an array of strings")),
    };
    let chat = ChatRequest {
        model: model_id.to_string(),
        system,
        messages,
        tools: tools(body)?,
        tool_choice,
        parallel_tool_calls,
        max_tokens: Some(max_tokens),
        temperature: opt_f64(body, "temperature")?,
        top_p: opt_f64(body, "top_p")?,
        stop,
        stream: body.get("stream").and_then(Value::as_bool).unwrap_or(false),
        include_usage: true,
        response_format: output_format(body),
        user: body.pointer("/metadata/user_id").and_then(Value::as_str).map(str::to_string),
        reasoning_effort,
        ..ChatRequest::default()
    };
    let echo = Echo { thinking: thinking_on, input_tokens: count_tokens::estimate(&chat) };
    Ok(Parsed { chat, echo })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A Claude Code turn: cached system blocks, tools, a tool round trip
    /// with a failed result, reminders after the results, signed thinking.
    fn claude_code() -> Value {
        json!({
            "model": "claude-sonnet-4-5-20250929",
            "max_tokens": 32000,
            "stream": true,
            "temperature": 1,
            "metadata": {"user_id": "user_abc_account__session_123"},
            "system": [
                {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude.", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "You are an interactive CLI tool.", "cache_control": {"type": "ephemeral"}}
            ],
            "tools": [
                {"name": "Bash", "description": "Run a command", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}},
                {"name": "Read", "description": "Read a file", "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}}, "cache_control": {"type": "ephemeral"}}
            ],
            "thinking": {"type": "enabled", "budget_tokens": 31999},
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "<system-reminder>context</system-reminder>"},
                    {"type": "text", "text": "List the files and read main.rs", "cache_control": {"type": "ephemeral"}}
                ]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "I should list first.", "signature": "EqQBCgIYAhIM"},
                    {"type": "redacted_thinking", "data": "EmwKAhgBEgy3"},
                    {"type": "text", "text": "Let me look."},
                    {"type": "tool_use", "id": "toolu_01A", "name": "Bash", "input": {"command": "ls"}},
                    {"type": "tool_use", "id": "toolu_01B", "name": "Read", "input": {"file_path": "/x/main.rs"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "main.rs\nlib.rs"},
                    {"type": "tool_result", "tool_use_id": "toolu_01B", "is_error": true,
                     "content": [{"type": "text", "text": "<tool_use_error>File does not exist.</tool_use_error>"}]},
                    {"type": "text", "text": "<system-reminder>todo list empty</system-reminder>", "cache_control": {"type": "ephemeral"}}
                ]}
            ]
        })
    }

    fn text(s: &str) -> ContentPart {
        ContentPart::Text(s.into())
    }

    #[test]
    fn a_claude_code_turn() {
        let p = parse(&claude_code(), "gpt-5").unwrap();
        let r = &p.chat;
        assert_eq!(r.model, "gpt-5");
        assert_eq!(r.system, vec!["You are Claude Code, Anthropic's official CLI for Claude.", "You are an interactive CLI tool."]);
        assert_eq!((r.max_tokens, r.stream, r.include_usage, r.temperature), (Some(32000), true, true, Some(1.0)));
        assert_eq!(r.user.as_deref(), Some("user_abc_account__session_123"));
        assert_eq!(r.reasoning_effort.as_deref(), Some("high"));
        assert_eq!(r.tools.len(), 2);
        assert_eq!(r.tools[0].name, "Bash");
        assert_eq!(r.tools[0].parameters["required"], json!(["command"]));
        assert_eq!((r.tool_choice.clone(), r.parallel_tool_calls), (None, None));

        let roles: Vec<Role> = r.messages.iter().map(|m| m.role).collect();
        assert_eq!(roles, vec![Role::User, Role::Assistant, Role::Tool, Role::Tool, Role::User]);
        assert_eq!(r.messages[0].content, vec![text("<system-reminder>context</system-reminder>"), text("List the files and read main.rs")]);
        // Thinking dropped, text and calls kept.
        let a = &r.messages[1];
        assert_eq!(a.content, vec![text("Let me look.")]);
        assert_eq!(a.tool_calls.len(), 2);
        assert_eq!((a.tool_calls[0].id.as_str(), a.tool_calls[0].name.as_str()), ("toolu_01A", "Bash"));
        assert_eq!(serde_json::from_str::<Value>(&a.tool_calls[1].arguments).unwrap(), json!({"file_path": "/x/main.rs"}));
        // Results in order, the failure marked, the reminder after them.
        assert_eq!(r.messages[2].tool_call_id.as_deref(), Some("toolu_01A"));
        assert_eq!(r.messages[2].content, vec![text("main.rs\nlib.rs")]);
        assert_eq!(r.messages[3].tool_call_id.as_deref(), Some("toolu_01B"));
        assert_eq!(r.messages[3].text(), "Error: <tool_use_error>File does not exist.</tool_use_error>");
        assert_eq!(r.messages[4].content, vec![text("<system-reminder>todo list empty</system-reminder>")]);
        assert_eq!(r.tool_name_for_call("toolu_01B"), Some("Read"));

        assert!(p.echo.thinking);
        assert!(p.echo.input_tokens > 30, "{}", p.echo.input_tokens);
    }

    #[test]
    fn string_content_and_system() {
        let p = parse(
            &json!({"max_tokens": 10, "system": "Be brief.", "stop_sequences": ["END"], "top_p": 0.9, "top_k": 5,
                "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Bye"}]}),
            "m",
        )
        .unwrap();
        let r = p.chat;
        assert_eq!(r.system, vec!["Be brief."]);
        assert_eq!(r.stop, vec!["END"]);
        assert_eq!(r.top_p, Some(0.9));
        assert!(!r.stream);
        assert_eq!(r.messages.len(), 3);
        assert_eq!(r.messages[1], Message { role: Role::Assistant, content: vec![text("Hello")], tool_calls: vec![], tool_call_id: None });
        assert!(!p.echo.thinking);
        assert_eq!(r.reasoning_effort, None);
    }

    #[test]
    fn system_turns_join_the_system_prompt() {
        // As Claude Code 2.1 sends its environment: after the first user turn.
        let r = parse(
            &json!({"max_tokens": 10, "system": [{"type": "text", "text": "You are an agent."}],
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "echo hi"}]},
                    {"role": "system", "content": [{"type": "text", "text": "# Environment", "cache_control": {"type": "ephemeral"}}]},
                    {"role": "system", "content": "cwd: /tmp"}]}),
            "m",
        )
        .unwrap()
        .chat;
        assert_eq!(r.system, vec!["You are an agent.", "# Environment", "cwd: /tmp"]);
        assert_eq!(r.messages.len(), 1);
    }

    #[test]
    fn images_and_documents() {
        let r = parse(
            &json!({"max_tokens": 10, "messages": [{"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
                {"type": "image", "source": {"type": "url", "url": "https://x/y.jpg"}},
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain doc"}},
                {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
                {"type": "text", "text": "Describe"}
            ]}, {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "shot", "input": {}}]},
               {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [
                   {"type": "text", "text": "here"},
                   {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "BBBB"}}]}]}
            ]}),
            "m",
        )
        .unwrap()
        .chat;
        let c = &r.messages[0].content;
        assert_eq!(c[0], ContentPart::Image(ImageSource::Base64 { media_type: "image/png".into(), data: "AAAA".into() }));
        assert_eq!(c[1], ContentPart::Image(ImageSource::Url("https://x/y.jpg".into())));
        assert_eq!(c[2], text("plain doc"));
        assert_eq!(c[3], ContentPart::Image(ImageSource::Base64 { media_type: "application/pdf".into(), data: "JVBE".into() }));
        assert_eq!(c[4], text("Describe"));
        // A tool result with an image; no empty user message after it.
        assert_eq!(r.messages.len(), 3);
        assert_eq!(r.messages[2].role, Role::Tool);
        assert_eq!(r.messages[2].content[1], ContentPart::Image(ImageSource::Base64 { media_type: "image/jpeg".into(), data: "BBBB".into() }));
    }

    #[test]
    fn empty_and_failed_tool_results() {
        let r = parse(
            &json!({"max_tokens": 10, "messages": [
                {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "f"}, {"type": "tool_use", "id": "b", "name": "g", "input": {"x": 1}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a"}, {"type": "tool_result", "tool_use_id": "b", "is_error": true}]}
            ]}),
            "m",
        )
        .unwrap()
        .chat;
        assert_eq!(r.messages[0].tool_calls[0].arguments, "{}");
        assert_eq!(r.messages[1].content, vec![]);
        assert_eq!(r.messages[2].content, vec![text("Error")]);
        assert_eq!(r.messages.len(), 3);
    }

    #[test]
    fn a_thinking_only_turn_disappears() {
        let r = parse(
            &json!({"max_tokens": 10, "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm", "signature": "s"}]},
                {"role": "user", "content": "b"}
            ]}),
            "m",
        )
        .unwrap()
        .chat;
        assert_eq!(r.messages.iter().map(|m| m.role).collect::<Vec<_>>(), vec![Role::User, Role::User]);
    }

    #[test]
    fn missing_max_tokens_is_refused_like_anthropic() {
        let e = parse(&json!({"messages": [{"role": "user", "content": "x"}]}), "m").unwrap_err();
        assert_eq!((e.status, e.error_type.anthropic(), e.param.as_deref()), (400, "invalid_request_error", Some("max_tokens")));
        assert_eq!(e.message, "max_tokens: Field required");
        for bad_value in [json!(0), json!(-1), json!("10"), json!(1.5)] {
            let e = parse(&json!({"max_tokens": bad_value, "messages": []}), "m").unwrap_err();
            assert_eq!(e.param.as_deref(), Some("max_tokens"), "{bad_value}");
        }
    }

    #[test]
    fn server_tools_are_refused() {
        for tool in [
            json!({"type": "web_search_20250305", "name": "web_search", "max_uses": 5}),
            json!({"type": "bash_20250124", "name": "bash"}),
            json!({"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}),
        ] {
            let e = parse(&json!({"max_tokens": 10, "messages": [], "tools": [tool]}), "m").unwrap_err();
            assert_eq!((e.status, e.code.as_str(), e.param.as_deref()), (400, "unsupported_for_provider", Some("tools")));
            assert!(e.message.contains("server tool"), "{}", e.message);
        }
        // `custom` is an ordinary tool.
        let r = parse(&json!({"max_tokens": 10, "messages": [], "tools": [{"type": "custom", "name": "f", "input_schema": {"type": "object"}}]}), "m");
        assert_eq!(r.unwrap().chat.tools[0].name, "f");
    }

    #[test]
    fn tool_choice_mapping() {
        let choice = |c: Value| {
            let r = parse(&json!({"max_tokens": 10, "messages": [], "tool_choice": c}), "m").unwrap().chat;
            (r.tool_choice, r.parallel_tool_calls)
        };
        assert_eq!(choice(json!({"type": "auto"})), (Some(ToolChoice::Auto), None));
        assert_eq!(choice(json!({"type": "any"})), (Some(ToolChoice::Required), None));
        assert_eq!(choice(json!({"type": "none"})), (Some(ToolChoice::None), None));
        assert_eq!(choice(json!({"type": "tool", "name": "f"})), (Some(ToolChoice::Function("f".into())), None));
        assert_eq!(choice(json!({"type": "auto", "disable_parallel_tool_use": true})), (Some(ToolChoice::Auto), Some(false)));
        assert_eq!(choice(json!({"type": "any", "disable_parallel_tool_use": false})), (Some(ToolChoice::Required), None));
        for c in [json!({"type": "tool"}), json!({"type": "sometimes"}), json!("auto")] {
            let e = parse(&json!({"max_tokens": 10, "messages": [], "tool_choice": c}), "m").unwrap_err();
            assert!(e.param.as_deref().unwrap().starts_with("tool_choice"), "{c}");
        }
    }

    #[test]
    fn thinking_budget_to_effort() {
        let effort = |t: Value| {
            let p = parse(&json!({"max_tokens": 10, "messages": [], "thinking": t}), "m").unwrap();
            (p.echo.thinking, p.chat.reasoning_effort)
        };
        assert_eq!(effort(json!({"type": "enabled", "budget_tokens": 1024})), (true, Some("low".into())));
        assert_eq!(effort(json!({"type": "enabled", "budget_tokens": 4096})), (true, Some("medium".into())));
        assert_eq!(effort(json!({"type": "enabled", "budget_tokens": 16383})), (true, Some("medium".into())));
        assert_eq!(effort(json!({"type": "enabled", "budget_tokens": 16384})), (true, Some("high".into())));
        assert_eq!(effort(json!({"type": "disabled"})), (false, None));
        assert_eq!(effort(Value::Null), (false, None));
    }

    #[test]
    fn structured_output() {
        let r = parse(
            &json!({"max_tokens": 10, "messages": [], "output_format": {"type": "json_schema", "schema": {"type": "object"}}}),
            "m",
        )
        .unwrap()
        .chat;
        assert_eq!(r.response_format, Some(ResponseFormat::JsonSchema { name: "output".into(), schema: json!({"type": "object"}) }));
    }

    #[test]
    fn bad_shapes_name_the_parameter() {
        let param = |v: Value| parse(&v, "m").unwrap_err().param.unwrap_or_default();
        assert_eq!(param(json!([1])), "body");
        assert_eq!(param(json!({"max_tokens": 1})), "messages");
        assert_eq!(param(json!({"max_tokens": 1, "messages": {}})), "messages");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [{"content": "x"}]})), "messages.0.role");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [{"role": "tool", "content": "x"}]})), "messages.0.role");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [{"role": "system", "content": [{"type": "image"}]}]})), "messages.0.content.0");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [{"role": "user"}]})), "messages.0.content");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [{"role": "user", "content": 5}]})), "messages.0.content");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [{"role": "user", "content": ["x"]}]})), "messages.0.content.0");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [{"role": "user", "content": [{"text": "x"}]}]})), "messages.0.content.0.type");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "text"}]}]})), "messages.0.content.0.text");
        assert_eq!(
            param(json!({"max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "data": "x"}}]}]})),
            "messages.0.content.0.source.media_type"
        );
        assert_eq!(
            param(json!({"max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "tool_result", "content": "x"}]}]})),
            "messages.0.content.0.tool_use_id"
        );
        assert_eq!(
            param(json!({"max_tokens": 1, "messages": [{"role": "assistant", "content": [{"type": "tool_use", "id": "a", "input": {}}]}]})),
            "messages.0.content.0.name"
        );
        assert_eq!(param(json!({"max_tokens": 1, "messages": [], "system": 3})), "system");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [], "system": [{"type": "image"}]})), "system.0");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [], "tools": [{"input_schema": {}}]})), "tools.0");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [], "tools": {}})), "tools");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [], "temperature": "hot"})), "temperature");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [], "stop_sequences": [1]})), "stop_sequences");
        assert_eq!(param(json!({"max_tokens": 1, "messages": [], "thinking": {"type": "enabled", "budget_tokens": "x"}})), "thinking.budget_tokens");
    }

    #[test]
    fn untranslatable_content_is_refused_by_name() {
        let refused = |content: Value| {
            let e = parse(&json!({"max_tokens": 1, "messages": [{"role": "user", "content": [content]}]}), "m").unwrap_err();
            (e.code, e.param.unwrap_or_default())
        };
        assert_eq!(
            refused(json!({"type": "document", "source": {"type": "url", "url": "https://x/a.pdf"}})),
            ("unsupported_for_provider".into(), "messages.0.content.0.source".into())
        );
        assert_eq!(
            refused(json!({"type": "image", "source": {"type": "file", "file_id": "file_1"}})),
            ("unsupported_for_provider".into(), "messages.0.content.0.source".into())
        );
        assert_eq!(refused(json!({"type": "search_result", "source": "x"})), ("unsupported_for_provider".into(), "messages.0.content.0".into()));
        assert_eq!(refused(json!({"type": "tool_use", "id": "x", "name": "y"})).0, "invalid_value");
    }

    #[test]
    fn server_tool_history_is_dropped() {
        let r = parse(
            &json!({"max_tokens": 1, "messages": [{"role": "assistant", "content": [
                {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "x"}},
                {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
                {"type": "text", "text": "Found it."}
            ]}]}),
            "m",
        )
        .unwrap()
        .chat;
        assert_eq!(r.messages.len(), 1);
        assert_eq!(r.messages[0].content, vec![text("Found it.")]);
        assert!(r.messages[0].tool_calls.is_empty());
    }
}
