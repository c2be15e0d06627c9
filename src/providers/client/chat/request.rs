//! OpenAI chat request JSON → `ChatRequest`.

use crate::core::error::{GatewayError, GatewayResult, invalid_value, ErrorCode};
use crate::providers::model::{
    ChatRequest, ContentPart, ImageSource, Message, ResponseFormat, Role, Tool, ToolCall, ToolChoice,
};
use serde_json::Value;

pub(crate) fn opt_f64(v: &Value, key: &str) -> GatewayResult<Option<f64>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x.as_f64().map(Some).ok_or_else(|| invalid_value(key, format!("'{key}' must be a number."))),
    }
}

pub(crate) fn opt_u32(v: &Value, key: &str) -> GatewayResult<Option<u32>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| invalid_value(key, format!("'{key}' must be a positive integer."))),
    }
}

/// `data:<media type>;base64,<data>` → parts; anything else is a URL.
pub fn image_source(url: &str) -> ImageSource {
    if let Some(rest) = url.strip_prefix("data:") {
        if let Some((meta, data)) = rest.split_once(',') {
            if let Some(media_type) = meta.strip_suffix(";base64") {
                return ImageSource::Base64 { media_type: media_type.to_string(), data: data.to_string() };
            }
        }
    }
    ImageSource::Url(url.to_string())
}

fn content(v: Option<&Value>, at: &str) -> GatewayResult<Vec<ContentPart>> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![ContentPart::Text(s.clone())]),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| {
                let kind = p.get("type").and_then(Value::as_str).unwrap_or("text");
                match kind {
                    "text" | "input_text" | "output_text" => {
                        Some(Ok(ContentPart::Text(p.get("text").and_then(Value::as_str).unwrap_or_default().to_string())))
                    }
                    "image_url" => {
                        let url = p
                            .get("image_url")
                            .and_then(|i| i.get("url").or(Some(i)))
                            .and_then(Value::as_str);
                        Some(
                            url.map(|u| ContentPart::Image(image_source(u)))
                                .ok_or_else(|| invalid_value(at, "an image_url part needs a url.")),
                        )
                    }
                    // Audio, files and refusals have no counterpart in the
                    // translating providers' formats; they are left out.
                    _ => None,
                }
            })
            .collect(),
        Some(_) => Err(invalid_value(at, "message content must be a string or an array of parts.")),
    }
}

fn tool_calls(v: Option<&Value>) -> Vec<ToolCall> {
    v.and_then(Value::as_array)
        .map(|calls| {
            calls
                .iter()
                .filter_map(|c| {
                    let f = c.get("function")?;
                    Some(ToolCall {
                        id: c.get("id").and_then(Value::as_str).unwrap_or_default().to_string(),
                        name: f.get("name").and_then(Value::as_str)?.to_string(),
                        arguments: match f.get("arguments") {
                            Some(Value::String(s)) => s.clone(),
                            Some(other) => other.to_string(),
                            None => "{}".into(),
                        },
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn tools(v: &Value) -> GatewayResult<Vec<Tool>> {
    // `functions` is the legacy spelling of `tools`.
    let list = v.get("tools").or_else(|| v.get("functions"));
    let Some(list) = list.filter(|l| !l.is_null()) else { return Ok(Vec::new()) };
    let list = list.as_array().ok_or_else(|| invalid_value("tools", "'tools' must be an array."))?;
    list.iter()
        .map(|t| {
            let f = t.get("function").unwrap_or(t);
            let name = f
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| invalid_value("tools", "every tool needs a function name."))?;
            Ok(Tool {
                name: name.to_string(),
                description: f.get("description").and_then(Value::as_str).map(str::to_string),
                parameters: f
                    .get("parameters")
                    .cloned()
                    .unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}})),
            })
        })
        .collect()
}

fn tool_choice(v: &Value) -> GatewayResult<Option<ToolChoice>> {
    let choice = v.get("tool_choice").or_else(|| v.get("function_call"));
    Ok(match choice {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(match s.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" | "any" => ToolChoice::Required,
            other => return Err(invalid_value("tool_choice", format!("unknown tool_choice '{other}'."))),
        }),
        Some(obj) => {
            let name = obj
                .pointer("/function/name")
                .or_else(|| obj.get("name"))
                .and_then(Value::as_str)
                .ok_or_else(|| invalid_value("tool_choice", "tool_choice must name a function."))?;
            Some(ToolChoice::Function(name.to_string()))
        }
    })
}

fn response_format(v: &Value) -> Option<ResponseFormat> {
    let rf = v.get("response_format")?;
    match rf.get("type").and_then(Value::as_str)? {
        "json_object" => Some(ResponseFormat::JsonObject),
        "json_schema" => {
            let js = rf.get("json_schema")?;
            Some(ResponseFormat::JsonSchema {
                name: js.get("name").and_then(Value::as_str).unwrap_or("response").to_string(),
                schema: js.get("schema").cloned().unwrap_or(Value::Null),
            })
        }
        _ => Some(ResponseFormat::Text),
    }
}

/// Parses an OpenAI chat request for a translating adapter. `model` is the
/// upstream model id already resolved from the request's `model`.
pub fn parse(v: &Value, model: &str) -> GatewayResult<ChatRequest> {
    if v.get("n").and_then(Value::as_u64).is_some_and(|n| n > 1) {
        return Err(GatewayError::invalid_request(
            ErrorCode::UnsupportedParameter,
            "'n' greater than 1 is only supported for OpenAI-compatible providers.",
        )
        .with_param("n"));
    }
    let messages = v
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid_value("messages", "'messages' must be an array of messages."))?;
    let mut req = ChatRequest { model: model.to_string(), ..Default::default() };
    for (i, m) in messages.iter().enumerate() {
        let at = format!("messages[{i}]");
        let role = m.get("role").and_then(Value::as_str).ok_or_else(|| invalid_value(&at, format!("{at} has no role.")))?;
        match role {
            "system" | "developer" => {
                let text = content(m.get("content"), &at)?
                    .into_iter()
                    .filter_map(|p| match p {
                        ContentPart::Text(t) => Some(t),
                        ContentPart::Image(_) => None,
                    })
                    .collect::<Vec<_>>()
                    .join("");
                req.system.push(text);
            }
            "user" => req.messages.push(Message {
                role: Role::User,
                content: content(m.get("content"), &at)?,
                tool_calls: Vec::new(),
                tool_call_id: None,
            }),
            "assistant" => {
                let mut calls = tool_calls(m.get("tool_calls"));
                if let Some(fc) = m.get("function_call") {
                    calls.extend(tool_calls(Some(&serde_json::json!([{ "id": "call_0", "function": fc }]))));
                }
                req.messages.push(Message {
                    role: Role::Assistant,
                    content: content(m.get("content"), &at)?,
                    tool_calls: calls,
                    tool_call_id: None,
                })
            }
            "tool" | "function" => req.messages.push(Message {
                role: Role::Tool,
                content: content(m.get("content"), &at)?,
                tool_calls: Vec::new(),
                tool_call_id: Some(
                    m.get("tool_call_id")
                        .or_else(|| m.get("name"))
                        .and_then(Value::as_str)
                        .ok_or_else(|| invalid_value(&at, format!("{at}: a tool message needs tool_call_id.")))?
                        .to_string(),
                ),
            }),
            other => return Err(invalid_value(&at, format!("{at} has an unknown role '{other}'."))),
        }
    }
    req.tools = tools(v)?;
    req.tool_choice = tool_choice(v)?;
    req.parallel_tool_calls = v.get("parallel_tool_calls").and_then(Value::as_bool);
    req.max_tokens = match opt_u32(v, "max_completion_tokens")? {
        Some(n) => Some(n),
        None => opt_u32(v, "max_tokens")?,
    };
    req.temperature = opt_f64(v, "temperature")?;
    req.top_p = opt_f64(v, "top_p")?;
    req.presence_penalty = opt_f64(v, "presence_penalty")?;
    req.frequency_penalty = opt_f64(v, "frequency_penalty")?;
    req.seed = v.get("seed").and_then(Value::as_i64);
    req.stop = match v.get("stop") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    };
    req.stream = v.get("stream").and_then(Value::as_bool).unwrap_or(false);
    req.include_usage = v.pointer("/stream_options/include_usage").and_then(Value::as_bool).unwrap_or(false);
    req.response_format = response_format(v);
    req.user = v.get("user").and_then(Value::as_str).map(str::to_string);
    req.reasoning_effort = v.get("reasoning_effort").and_then(Value::as_str).map(str::to_string);
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_tool_conversation() {
        let v = json!({
            "model": "anthropic/claude", "max_tokens": 100, "temperature": 0.5, "stop": "END",
            "stream": true, "stream_options": {"include_usage": true},
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
                {"role": "user", "content": [
                    {"type": "text", "text": "Weather in Paris?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                    {"type": "image_url", "image_url": {"url": "https://x/y.jpg", "detail": "low"}}
                ]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
            ],
            "tools": [{"type": "function", "function": {"name": "weather", "description": "d", "parameters": {"type": "object"}}}],
            "tool_choice": {"type": "function", "function": {"name": "weather"}}
        });
        let r = parse(&v, "claude").unwrap();
        assert_eq!(r.model, "claude");
        assert_eq!(r.system, vec!["Be brief.", "Use tools."]);
        assert_eq!(r.messages.len(), 3);
        assert_eq!(r.messages[0].content[1], ContentPart::Image(ImageSource::Base64 { media_type: "image/png".into(), data: "AAAA".into() }));
        assert_eq!(r.messages[0].content[2], ContentPart::Image(ImageSource::Url("https://x/y.jpg".into())));
        assert_eq!(r.messages[1].tool_calls[0].arguments, "{\"city\":\"Paris\"}");
        assert_eq!(r.messages[2].tool_call_id.as_deref(), Some("call_1"));
        assert_eq!(r.tool_name_for_call("call_1"), Some("weather"));
        assert_eq!(r.tool_choice, Some(ToolChoice::Function("weather".into())));
        assert_eq!((r.max_tokens, r.stop.clone(), r.stream, r.include_usage), (Some(100), vec!["END".to_string()], true, true));
    }

    #[test]
    fn max_completion_tokens_wins() {
        let r = parse(&json!({"messages": [], "max_tokens": 5, "max_completion_tokens": 7}), "m").unwrap();
        assert_eq!(r.max_tokens, Some(7));
    }

    #[test]
    fn bad_requests_name_the_parameter() {
        assert_eq!(parse(&json!({}), "m").unwrap_err().param.as_deref(), Some("messages"));
        assert_eq!(parse(&json!({"messages": [{"content": "x"}]}), "m").unwrap_err().param.as_deref(), Some("messages[0]"));
        assert_eq!(parse(&json!({"messages": [], "n": 2}), "m").unwrap_err().code, "unsupported_parameter");
        assert_eq!(parse(&json!({"messages": [], "temperature": "hot"}), "m").unwrap_err().param.as_deref(), Some("temperature"));
        assert!(parse(&json!({"messages": [{"role": "tool", "content": "x"}]}), "m").is_err());
    }

    #[test]
    fn legacy_functions() {
        let r = parse(
            &json!({"messages": [], "functions": [{"name": "f", "parameters": {}}], "function_call": {"name": "f"}}),
            "m",
        )
        .unwrap();
        assert_eq!(r.tools[0].name, "f");
        assert_eq!(r.tool_choice, Some(ToolChoice::Function("f".into())));
    }
}
