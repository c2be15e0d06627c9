//! Responses API request JSON → `ChatRequest` (plus what the answer echoes).

use super::Echo;
use crate::core::error::{GatewayError, GatewayResult, invalid_value, ErrorCode};
use crate::providers::model::{
    ChatRequest, ContentPart, Message, ResponseFormat, Role, Tool, ToolCall, ToolChoice,
};
use crate::providers::client::chat::request::{image_source, opt_f64, opt_u32};
use serde_json::{json, Value};

/// A parsed Responses request: the chat turn for the provider and what the
/// answer must echo.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub chat: ChatRequest,
    pub echo: Echo,
}

fn unsupported(param: &str, message: impl Into<String>) -> GatewayError {
    GatewayError::invalid_request(ErrorCode::UnsupportedParameter, message).with_param(param)
}

fn needs_openai(param: &str, message: impl Into<String>) -> GatewayError {
    GatewayError::invalid_request(ErrorCode::UnsupportedForProvider, message).with_param(param)
}

fn present<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

fn opt_str(v: &Value, key: &str) -> GatewayResult<Option<String>> {
    match present(v, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid_value(key, format!("'{key}' must be a string."))),
    }
}

fn opt_bool(v: &Value, key: &str) -> GatewayResult<Option<bool>> {
    match present(v, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid_value(key, format!("'{key}' must be a boolean."))),
    }
}

/// A required string field of an input item.
fn field<'a>(item: &'a Value, key: &str, at: &str) -> GatewayResult<&'a str> {
    item.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid_value(at, format!("{at} needs a string '{key}'.")))
}

/// Content parts of a message or of a tool's output. Files and audio have
/// no counterpart in the translating providers' formats and are left out.
fn parts(v: Option<&Value>, at: &str) -> GatewayResult<Vec<ContentPart>> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![ContentPart::Text(s.clone())]),
        Some(Value::Array(list)) => {
            let mut out = Vec::with_capacity(list.len());
            for p in list {
                let kind = p.get("type").and_then(Value::as_str).unwrap_or("input_text");
                match kind {
                    "input_text" | "output_text" | "text" => {
                        let text = p.get("text").and_then(Value::as_str);
                        let text = text.ok_or_else(|| invalid_value(at, format!("a {kind} part in {at} needs 'text'.")))?;
                        out.push(ContentPart::Text(text.to_string()));
                    }
                    "refusal" => {
                        let text = p.get("refusal").and_then(Value::as_str).unwrap_or_default();
                        out.push(ContentPart::Text(text.to_string()));
                    }
                    "input_image" => {
                        let url = p.get("image_url").and_then(|u| u.as_str().or_else(|| u.get("url")?.as_str()));
                        match url {
                            Some(u) if !u.is_empty() => out.push(ContentPart::Image(image_source(u))),
                            _ if p.get("file_id").is_some_and(|f| !f.is_null()) => {
                                return Err(needs_openai(
                                    at,
                                    format!("{at}: images by file_id need an OpenAI model; send image_url (an http or data: URL) instead."),
                                ))
                            }
                            _ => return Err(invalid_value(at, format!("an input_image part in {at} needs 'image_url'."))),
                        }
                    }
                    _ => {}
                }
            }
            Ok(out)
        }
        Some(_) => Err(invalid_value(at, format!("{at}: content must be a string or an array of parts."))),
    }
}

fn text_of(parts: Vec<ContentPart>) -> String {
    parts
        .into_iter()
        .filter_map(|p| match p {
            ContentPart::Text(t) => Some(t),
            ContentPart::Image(_) => None,
        })
        .collect::<Vec<_>>()
        .join("")
}

/// Adds a call to the assistant turn in progress (after its text or other
/// calls), or starts an assistant turn.
fn push_call(messages: &mut Vec<Message>, call: ToolCall) {
    match messages.last_mut() {
        Some(m) if m.role == Role::Assistant => m.tool_calls.push(call),
        _ => messages.push(Message { role: Role::Assistant, content: Vec::new(), tool_calls: vec![call], tool_call_id: None }),
    }
}

/// The function parameters a freeform (`custom`) tool is offered with.
pub fn custom_tool_parameters() -> Value {
    json!({"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]})
}

/// Items of OpenAI's built-in tools, which only OpenAI models produce or read.
const BUILT_IN_ITEMS: &[&str] = &[
    "web_search_call",
    "file_search_call",
    "computer_call",
    "computer_call_output",
    "local_shell_call",
    "local_shell_call_output",
    "shell_call",
    "shell_call_output",
    "apply_patch_call",
    "apply_patch_call_output",
    "image_generation_call",
    "code_interpreter_call",
    "mcp_call",
    "mcp_list_tools",
    "mcp_approval_request",
    "mcp_approval_response",
];

fn input_items(items: &[Value], req: &mut ChatRequest) -> GatewayResult<()> {
    for (i, item) in items.iter().enumerate() {
        let at = format!("input[{i}]");
        if !item.is_object() {
            return Err(invalid_value(&at, format!("{at} must be an object (an input item).")));
        }
        let kind = match item.get("type").and_then(Value::as_str) {
            Some(k) => k,
            None if item.get("role").is_some() => "message",
            None => return Err(invalid_value(&at, format!("{at} has neither a 'type' nor a 'role'."))),
        };
        match kind {
            "message" => {
                let role = field(item, "role", &at)?;
                let content = parts(item.get("content"), &at)?;
                match role {
                    "system" | "developer" => req.system.push(text_of(content)),
                    "user" => req.messages.push(Message {
                        role: Role::User,
                        content,
                        tool_calls: Vec::new(),
                        tool_call_id: None,
                    }),
                    "assistant" => {
                        let text = text_of(content);
                        if !text.is_empty() {
                            req.messages.push(Message {
                                role: Role::Assistant,
                                content: vec![ContentPart::Text(text)],
                                tool_calls: Vec::new(),
                                tool_call_id: None,
                            });
                        }
                    }
                    other => return Err(invalid_value(&at, format!("{at} has an unknown role '{other}'."))),
                }
            }
            "function_call" => {
                let arguments = match item.get("arguments") {
                    Some(Value::String(s)) => s.clone(),
                    None | Some(Value::Null) => "{}".to_string(),
                    Some(other) => other.to_string(),
                };
                let call = ToolCall {
                    id: field(item, "call_id", &at)?.to_string(),
                    name: field(item, "name", &at)?.to_string(),
                    arguments,
                };
                push_call(&mut req.messages, call);
            }
            "custom_tool_call" => {
                let input = item.get("input").and_then(Value::as_str).unwrap_or_default();
                let call = ToolCall {
                    id: field(item, "call_id", &at)?.to_string(),
                    name: field(item, "name", &at)?.to_string(),
                    arguments: json!({ "input": input }).to_string(),
                };
                push_call(&mut req.messages, call);
            }
            "function_call_output" | "custom_tool_call_output" => {
                let call_id = field(item, "call_id", &at)?.to_string();
                let content = match item.get("output") {
                    Some(Value::Object(_)) | Some(Value::Number(_)) | Some(Value::Bool(_)) => {
                        vec![ContentPart::Text(item["output"].to_string())]
                    }
                    other => parts(other, &at)?,
                };
                req.messages.push(Message { role: Role::Tool, content, tool_calls: Vec::new(), tool_call_id: Some(call_id) });
            }
            // Reasoning passed back carries encrypted content only the model
            // that wrote it can read; another provider cannot use it.
            "reasoning" => {}
            "item_reference" => {
                return Err(unsupported(
                    &at,
                    format!("{at}: item references need stored items, which the gateway does not keep when translating to this provider; send the items themselves."),
                ))
            }
            k if BUILT_IN_ITEMS.contains(&k) => {
                return Err(needs_openai(&at, format!("{at} is a {k} item, which only an OpenAI model can read.")))
            }
            other => return Err(invalid_value(&at, format!("{at} has an unknown item type '{other}'."))),
        }
    }
    Ok(())
}

/// `tools` → function tools; custom tools are remembered by name.
fn tools(v: &Value, echo: &mut Echo) -> GatewayResult<Vec<Tool>> {
    let Some(list) = present(v, "tools") else { return Ok(Vec::new()) };
    let list = list.as_array().ok_or_else(|| invalid_value("tools", "'tools' must be an array."))?;
    let mut out = Vec::with_capacity(list.len());
    for t in list {
        let kind = t.get("type").and_then(Value::as_str).unwrap_or("function");
        if kind != "function" && kind != "custom" {
            // Built-in tools (web_search, file_search, …) run inside OpenAI
            // and namespaces group tools only OpenAI resolves: another model
            // cannot call them, so they are left out — and said so.
            let name = if kind == "namespace" { t.get("name").and_then(Value::as_str).unwrap_or(kind) } else { kind };
            echo.dropped_tools.push(name.to_string());
            continue;
        }
        let name = t
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid_value("tools", "every function or custom tool needs a 'name'."))?;
        let mut description = t.get("description").and_then(Value::as_str).map(str::to_string);
        let parameters = if kind == "custom" {
            echo.custom_tools.push(name.to_string());
            // A grammar the provider cannot enforce is at least described.
            if let Some(definition) = t.pointer("/format/definition").and_then(Value::as_str) {
                let syntax = t.pointer("/format/syntax").and_then(Value::as_str).unwrap_or("grammar");
                let rule = format!("The input must follow this {syntax} grammar:\n{definition}");
                description = Some(match description {
                    Some(d) if !d.is_empty() => format!("{d}\n\n{rule}"),
                    _ => rule,
                });
            }
            custom_tool_parameters()
        } else {
            present(t, "parameters").cloned().unwrap_or_else(|| json!({"type": "object", "properties": {}}))
        };
        out.push(Tool { name: name.to_string(), description, parameters });
    }
    Ok(out)
}

fn tool_choice(v: &Value, tools: &mut Vec<Tool>) -> GatewayResult<Option<ToolChoice>> {
    let Some(choice) = present(v, "tool_choice") else { return Ok(None) };
    if let Some(s) = choice.as_str() {
        return Ok(Some(match s {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" => ToolChoice::Required,
            other => return Err(invalid_value("tool_choice", format!("unknown tool_choice '{other}'."))),
        }));
    }
    match choice.get("type").and_then(Value::as_str) {
        Some("function") | Some("custom") => {
            let name = choice
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid_value("tool_choice", "tool_choice must name the tool."))?;
            Ok(Some(ToolChoice::Function(name.to_string())))
        }
        Some("allowed_tools") => {
            let allowed: Vec<&str> = choice
                .get("tools")
                .and_then(Value::as_array)
                .ok_or_else(|| invalid_value("tool_choice", "allowed_tools needs a 'tools' array."))?
                .iter()
                .filter_map(|t| t.get("name").and_then(Value::as_str))
                .collect();
            tools.retain(|t| allowed.contains(&t.name.as_str()));
            Ok(Some(match choice.get("mode").and_then(Value::as_str) {
                Some("required") => ToolChoice::Required,
                _ => ToolChoice::Auto,
            }))
        }
        Some(other) => Err(needs_openai(
            "tool_choice",
            format!("tool_choice '{other}' refers to an OpenAI built-in tool and needs an OpenAI model."),
        )),
        None => Err(invalid_value("tool_choice", "tool_choice must be a string or an object with a 'type'.")),
    }
}

fn text_format(v: &Value) -> GatewayResult<Option<ResponseFormat>> {
    let Some(format) = v.get("text").and_then(|t| present(t, "format")) else { return Ok(None) };
    match format.get("type").and_then(Value::as_str) {
        Some("text") => Ok(Some(ResponseFormat::Text)),
        Some("json_object") => Ok(Some(ResponseFormat::JsonObject)),
        Some("json_schema") => {
            let schema = present(format, "schema")
                .cloned()
                .ok_or_else(|| invalid_value("text.format.schema", "a json_schema format needs a 'schema'."))?;
            let name = format.get("name").and_then(Value::as_str).unwrap_or("response").to_string();
            Ok(Some(ResponseFormat::JsonSchema { name, schema }))
        }
        _ => Err(invalid_value("text.format", "text.format.type must be 'text', 'json_object' or 'json_schema'.")),
    }
}

/// Parses a Responses API request for a translating adapter. `model_id` is
/// the upstream model id already resolved from the request's `model`.
pub fn parse(body: &Value, model_id: &str) -> GatewayResult<Parsed> {
    if !body.is_object() {
        return Err(GatewayError::invalid_request(ErrorCode::InvalidValue, "The request body must be a JSON object."));
    }
    for key in ["previous_response_id", "conversation"] {
        if present(body, key).is_some() {
            return Err(unsupported(
                key,
                format!("'{key}' needs conversation state, which the gateway does not keep when translating to this provider; send the whole conversation in 'input' instead."),
            ));
        }
    }
    if present(body, "prompt").is_some() {
        return Err(needs_openai("prompt", "Stored prompts ('prompt') need an OpenAI model."));
    }
    if opt_bool(body, "background")? == Some(true) {
        return Err(unsupported("background", "Background responses need an OpenAI model."));
    }

    let mut chat = ChatRequest { model: model_id.to_string(), include_usage: true, ..Default::default() };
    let mut echo = Echo::default();

    if let Some(instructions) = present(body, "instructions") {
        let text = instructions.as_str().ok_or_else(|| invalid_value("instructions", "'instructions' must be a string."))?;
        chat.system.push(text.to_string());
        echo.instructions = instructions.clone();
    }
    match present(body, "input") {
        Some(Value::String(s)) => chat.messages.push(Message {
            role: Role::User,
            content: vec![ContentPart::Text(s.clone())],
            tool_calls: Vec::new(),
            tool_call_id: None,
        }),
        Some(Value::Array(items)) => input_items(items, &mut chat)?,
        _ => return Err(invalid_value("input", "'input' must be a string or an array of input items.")),
    }

    chat.tools = tools(body, &mut echo)?;
    chat.tool_choice = tool_choice(body, &mut chat.tools)?;
    chat.parallel_tool_calls = opt_bool(body, "parallel_tool_calls")?;
    chat.max_tokens = opt_u32(body, "max_output_tokens")?;
    chat.temperature = opt_f64(body, "temperature")?;
    chat.top_p = opt_f64(body, "top_p")?;
    chat.stream = opt_bool(body, "stream")?.unwrap_or(false);
    chat.user = match opt_str(body, "user")? {
        Some(u) => Some(u),
        None => opt_str(body, "safety_identifier")?,
    };
    if let Some(r) = present(body, "reasoning") {
        if !r.is_object() {
            return Err(invalid_value("reasoning", "'reasoning' must be an object."));
        }
        chat.reasoning_effort = opt_str(r, "effort").map_err(|_| invalid_value("reasoning.effort", "'reasoning.effort' must be a string."))?;
        echo.reasoning = r.clone();
    }
    if let Some(t) = present(body, "text") {
        if !t.is_object() {
            return Err(invalid_value("text", "'text' must be an object."));
        }
        chat.response_format = text_format(body)?;
        echo.text = t.clone();
        if present(t, "format").is_none() {
            echo.text["format"] = json!({"type": "text"});
        }
    }
    if let Some(metadata) = present(body, "metadata") {
        if !metadata.is_object() {
            return Err(invalid_value("metadata", "'metadata' must be an object."));
        }
        echo.metadata = metadata.clone();
    }

    if let Some(t) = present(body, "tools") {
        echo.tools = t.clone();
    }
    if let Some(c) = present(body, "tool_choice") {
        echo.tool_choice = c.clone();
    }
    echo.parallel_tool_calls = chat.parallel_tool_calls.unwrap_or(true);
    echo.temperature = chat.temperature;
    echo.top_p = chat.top_p;
    echo.max_output_tokens = chat.max_tokens;
    echo.store = opt_bool(body, "store")?.unwrap_or(false);
    echo.user = chat.user.clone();
    if let Some(t) = present(body, "truncation") {
        echo.truncation = t.clone();
    }
    // `include`, `service_tier`, `prompt_cache_key`, `stream_options`,
    // `top_logprobs`, `max_tool_calls` are accepted and have no effect here.
    Ok(Parsed { chat, echo })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::model::ImageSource;

    fn err(v: Value) -> GatewayError {
        parse(&v, "m").unwrap_err()
    }

    #[test]
    fn string_input() {
        let p = parse(&json!({"model": "anthropic/claude", "input": "Hi", "instructions": "Be brief."}), "claude").unwrap();
        assert_eq!(p.chat.model, "claude");
        assert_eq!(p.chat.system, vec!["Be brief."]);
        assert_eq!(p.chat.messages.len(), 1);
        assert_eq!(p.chat.messages[0].role, Role::User);
        assert_eq!(p.chat.messages[0].text(), "Hi");
        assert!(p.chat.include_usage);
        assert!(!p.chat.stream);
        assert_eq!(p.echo.instructions, json!("Be brief."));
        assert_eq!(p.echo, Echo { instructions: json!("Be brief."), ..Echo::default() });
    }

    #[test]
    fn items_with_a_tool_round_trip() {
        let v = json!({
            "input": [
                {"role": "developer", "content": "Use tools."},
                {"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "Weather in Paris?"},
                    {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"},
                    {"type": "input_image", "image_url": "https://x/y.jpg"}
                ]},
                {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Let me check.", "annotations": []}]},
                {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "weather", "arguments": "{\"city\":\"Paris\"}"},
                {"type": "function_call", "call_id": "call_2", "name": "time", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
                {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "noon"}]},
                {"type": "message", "role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]},
                {"type": "function_call", "call_id": "call_3", "name": "time", "arguments": "{}"}
            ],
            "tools": [
                {"type": "function", "name": "weather", "description": "d", "parameters": {"type": "object"}, "strict": true},
                {"type": "function", "name": "time"}
            ],
            "tool_choice": {"type": "function", "name": "weather"},
            "parallel_tool_calls": false, "max_output_tokens": 100, "temperature": 0.5, "top_p": 0.9,
            "stream": true, "user": "u1", "store": true, "metadata": {"k": "v"}, "include": ["reasoning.encrypted_content"],
            "reasoning": {"effort": "high", "summary": "auto"}, "truncation": "auto", "service_tier": "auto",
            "prompt_cache_key": "pk", "stream_options": {"include_obfuscation": false}
        });
        let p = parse(&v, "m").unwrap();
        let c = &p.chat;
        assert_eq!(c.system, vec!["Use tools."]);
        assert_eq!(c.messages.len(), 5, "{:#?}", c.messages);
        assert_eq!(c.messages[0].content[1], ContentPart::Image(ImageSource::Base64 { media_type: "image/png".into(), data: "AAAA".into() }));
        assert_eq!(c.messages[0].content[2], ContentPart::Image(ImageSource::Url("https://x/y.jpg".into())));
        // The text and both calls are one assistant turn; the reasoning item is dropped.
        assert_eq!(c.messages[1].role, Role::Assistant);
        assert_eq!(c.messages[1].text(), "Let me check.");
        assert_eq!(c.messages[1].tool_calls.len(), 2);
        assert_eq!(c.messages[1].tool_calls[0], ToolCall { id: "call_1".into(), name: "weather".into(), arguments: "{\"city\":\"Paris\"}".into() });
        assert_eq!((c.messages[2].role, c.messages[2].tool_call_id.as_deref(), c.messages[2].text().as_str()), (Role::Tool, Some("call_1"), "sunny"));
        assert_eq!((c.messages[3].tool_call_id.as_deref(), c.messages[3].text().as_str()), (Some("call_2"), "noon"));
        assert_eq!(c.messages[4].text(), "No.");
        assert_eq!(c.messages[4].tool_calls[0].id, "call_3");
        assert_eq!(c.messages[4].role, Role::Assistant);
        assert_eq!(c.tool_name_for_call("call_2"), Some("time"));
        assert_eq!(c.tools.len(), 2);
        assert_eq!(c.tools[1].parameters, json!({"type": "object", "properties": {}}));
        assert_eq!(c.tool_choice, Some(ToolChoice::Function("weather".into())));
        assert_eq!(c.parallel_tool_calls, Some(false));
        assert_eq!((c.max_tokens, c.temperature, c.top_p, c.stream), (Some(100), Some(0.5), Some(0.9), true));
        assert_eq!((c.user.as_deref(), c.reasoning_effort.as_deref()), (Some("u1"), Some("high")));
        let e = &p.echo;
        assert_eq!(e.tools, v["tools"]);
        assert_eq!(e.tool_choice, v["tool_choice"]);
        assert!(!e.parallel_tool_calls && e.store);
        assert_eq!((e.max_output_tokens, e.temperature, e.top_p), (Some(100), Some(0.5), Some(0.9)));
        assert_eq!(e.metadata, json!({"k": "v"}));
        assert_eq!(e.reasoning, json!({"effort": "high", "summary": "auto"}));
        assert_eq!(e.truncation, json!("auto"));
        assert_eq!(e.text, json!({"format": {"type": "text"}}));
        assert!(e.custom_tools.is_empty());
    }

    #[test]
    fn custom_tools_become_function_tools_with_an_input() {
        let v = json!({
            "input": [
                {"role": "user", "content": "patch it"},
                {"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": "*** Begin Patch\n*** End Patch"},
                {"type": "custom_tool_call_output", "call_id": "c1", "output": "Done"}
            ],
            "tools": [{"type": "custom", "name": "apply_patch", "description": "Edit files.",
                "format": {"type": "grammar", "syntax": "lark", "definition": "start: x"}}],
            "tool_choice": {"type": "custom", "name": "apply_patch"}
        });
        let p = parse(&v, "m").unwrap();
        assert_eq!(p.echo.custom_tools, vec!["apply_patch"]);
        assert!(p.echo.is_custom("apply_patch") && !p.echo.is_custom("other"));
        let t = &p.chat.tools[0];
        assert_eq!(t.parameters, custom_tool_parameters());
        assert_eq!(t.description.as_deref(), Some("Edit files.\n\nThe input must follow this lark grammar:\nstart: x"));
        let call = &p.chat.messages[1].tool_calls[0];
        let args: Value = serde_json::from_str(&call.arguments).unwrap();
        assert_eq!(args, json!({"input": "*** Begin Patch\n*** End Patch"}));
        assert_eq!(p.chat.messages[2].tool_call_id.as_deref(), Some("c1"));
        assert_eq!(p.chat.tool_choice, Some(ToolChoice::Function("apply_patch".into())));
    }

    #[test]
    fn text_formats() {
        let p = parse(
            &json!({"input": "x", "text": {"format": {"type": "json_schema", "name": "person", "strict": true,
                "schema": {"type": "object", "properties": {"name": {"type": "string"}}}}, "verbosity": "low"}}),
            "m",
        )
        .unwrap();
        assert_eq!(
            p.chat.response_format,
            Some(ResponseFormat::JsonSchema { name: "person".into(), schema: json!({"type": "object", "properties": {"name": {"type": "string"}}}) })
        );
        assert_eq!(p.echo.text["verbosity"], "low");
        let p = parse(&json!({"input": "x", "text": {"format": {"type": "json_object"}}}), "m").unwrap();
        assert_eq!(p.chat.response_format, Some(ResponseFormat::JsonObject));
        let p = parse(&json!({"input": "x", "text": {"verbosity": "high"}}), "m").unwrap();
        assert_eq!(p.chat.response_format, None);
        assert_eq!(p.echo.text, json!({"verbosity": "high", "format": {"type": "text"}}));
        assert_eq!(err(json!({"input": "x", "text": {"format": {"type": "json_schema"}}})).param.as_deref(), Some("text.format.schema"));
        assert_eq!(err(json!({"input": "x", "text": {"format": {"type": "yaml"}}})).param.as_deref(), Some("text.format"));
    }

    #[test]
    fn tool_choices() {
        let tools = json!([{"type": "function", "name": "a"}, {"type": "function", "name": "b"}]);
        let choice = |c: Value| parse(&json!({"input": "x", "tools": tools, "tool_choice": c}), "m").unwrap().chat;
        assert_eq!(choice(json!("auto")).tool_choice, Some(ToolChoice::Auto));
        assert_eq!(choice(json!("none")).tool_choice, Some(ToolChoice::None));
        assert_eq!(choice(json!("required")).tool_choice, Some(ToolChoice::Required));
        let c = choice(json!({"type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "b"}]}));
        assert_eq!(c.tool_choice, Some(ToolChoice::Required));
        assert_eq!(c.tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), vec!["b"]);
        let e = err(json!({"input": "x", "tool_choice": {"type": "web_search_preview"}}));
        assert_eq!(e.code, "unsupported_for_provider");
        assert_eq!(err(json!({"input": "x", "tool_choice": "sometimes"})).param.as_deref(), Some("tool_choice"));
    }

    #[test]
    fn built_in_tools_are_left_out_and_named() {
        let tools = json!([{"type": "function", "name": "f"}, {"type": "web_search", "external_web_access": true},
            {"type": "namespace", "name": "multi_agent_v1", "tools": [{"type": "function", "name": "spawn"}]}, {"type": "file_search"}]);
        let p = parse(&json!({"input": "x", "tools": tools}), "m").unwrap();
        assert_eq!(p.chat.tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), vec!["f"]);
        assert_eq!(p.echo.dropped_tools, vec!["web_search", "multi_agent_v1", "file_search"]);
        let e = err(json!({"input": [{"type": "web_search_call", "id": "ws_1", "status": "completed"}]}));
        assert_eq!((e.code.as_str(), e.param.as_deref()), ("unsupported_for_provider", Some("input[0]")));
    }

    #[test]
    fn state_is_not_kept() {
        for key in ["previous_response_id", "conversation"] {
            let e = err(json!({"input": "x", (key): "resp_1"}));
            assert_eq!((e.status, e.code.as_str(), e.param.as_deref()), (400, "unsupported_parameter", Some(key)));
        }
        let e = err(json!({"input": [{"type": "item_reference", "id": "msg_1"}]}));
        assert_eq!((e.code.as_str(), e.param.as_deref()), ("unsupported_parameter", Some("input[0]")));
        // Null means absent.
        assert!(parse(&json!({"input": "x", "previous_response_id": null}), "m").is_ok());
        assert_eq!(err(json!({"input": "x", "background": true})).param.as_deref(), Some("background"));
    }

    #[test]
    fn bad_shapes_name_the_parameter() {
        assert_eq!(err(json!({})).param.as_deref(), Some("input"));
        assert_eq!(err(json!({"input": 5})).param.as_deref(), Some("input"));
        assert_eq!(err(json!([1])).status, 400);
        assert_eq!(err(json!({"input": [1]})).param.as_deref(), Some("input[0]"));
        assert_eq!(err(json!({"input": [{"content": "x"}]})).param.as_deref(), Some("input[0]"));
        assert_eq!(err(json!({"input": [{"role": "robot", "content": "x"}]})).param.as_deref(), Some("input[0]"));
        assert_eq!(err(json!({"input": [{"role": "user", "content": 3}]})).param.as_deref(), Some("input[0]"));
        assert_eq!(err(json!({"input": [{"type": "function_call", "name": "f"}]})).param.as_deref(), Some("input[0]"));
        assert_eq!(err(json!({"input": [{"type": "function_call_output", "output": "x"}]})).param.as_deref(), Some("input[0]"));
        assert_eq!(err(json!({"input": ["x", {"type": "nonsense"}]})).param.as_deref(), Some("input[0]"));
        assert_eq!(err(json!({"input": [{"role": "user", "content": "a"}, {"type": "nonsense"}]})).param.as_deref(), Some("input[1]"));
        assert_eq!(
            err(json!({"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "file_1"}]}]})).code,
            "unsupported_for_provider"
        );
        assert_eq!(err(json!({"input": "x", "temperature": "hot"})).param.as_deref(), Some("temperature"));
        assert_eq!(err(json!({"input": "x", "max_output_tokens": -1})).param.as_deref(), Some("max_output_tokens"));
        assert_eq!(err(json!({"input": "x", "instructions": 1})).param.as_deref(), Some("instructions"));
        assert_eq!(err(json!({"input": "x", "tools": {}})).param.as_deref(), Some("tools"));
        assert_eq!(err(json!({"input": "x", "tools": [{"type": "function"}]})).param.as_deref(), Some("tools"));
        assert_eq!(err(json!({"input": "x", "stream": "yes"})).param.as_deref(), Some("stream"));
        assert!(err(json!({})).message.contains("'input'"));
    }

    #[test]
    fn safety_identifier_is_the_user() {
        let p = parse(&json!({"input": "x", "safety_identifier": "s"}), "m").unwrap();
        assert_eq!(p.chat.user.as_deref(), Some("s"));
    }
}
