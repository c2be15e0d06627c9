//! `ChatRequest` → Gemini `generateContent` body.
//!
//! - System and developer messages become `systemInstruction`.
//! - Turns are `user` or `model`; consecutive turns of the same role are
//!   merged (tool results and a following user message share one turn).
//! - Tool results are `functionResponse` parts in a `user` turn (the role the
//!   current API documents; the older `function` role is not used). Gemini
//!   answers by function *name*, found from the assistant turn that made the
//!   call. A result that is a JSON object is sent as the `response`; any
//!   other text as `{"result": text}`.
//! - Replayed `functionCall` parts carry the documented
//!   `skip_thought_signature_validator` signature for models that demand
//!   thought signatures (Gemini 3 and later): the OpenAI format has no place
//!   to carry Gemini's real signatures through the client.
//! - Images: base64 → `inlineData`; http(s) URLs → `fileData` (MIME type
//!   guessed from the file extension, `image/jpeg` when unknown).

use super::schema;
use super::wire::{
    Blob, Content, FileData, FunctionCallOut, FunctionCallingConfig, FunctionDeclaration, FunctionResponse,
    GenerateContentRequest, GenerationConfig, Part, PartData, SystemInstruction, ThinkingConfig, ToolConfig,
    ToolDeclarations,
};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::providers::model::{ChatRequest, ContentPart, ImageSource, Message, ResponseFormat, Role, ToolChoice};
use serde_json::{json, Value};

/// Google's documented stand-in for a thought signature the client lost.
pub const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

/// Models released before thought signatures were enforced.
fn needs_thought_signature(model: &str) -> bool {
    let model = model.strip_prefix("models/").unwrap_or(model);
    !["gemini-1", "gemini-2", "gemma", "learnlm"].iter().any(|p| model.starts_with(p))
}

pub fn body(req: &ChatRequest, model: &str) -> GatewayResult<GenerateContentRequest> {
    Ok(GenerateContentRequest {
        contents: contents(req, model)?,
        system_instruction: req.system_text().map(|text| SystemInstruction { parts: vec![Part::text(text)] }),
        tools: tools(req),
        tool_config: tool_config(req),
        generation_config: generation_config(req),
    })
}

fn contents(req: &ChatRequest, model: &str) -> GatewayResult<Vec<Content>> {
    let mut turns: Vec<Content> = Vec::with_capacity(req.messages.len());
    let signature = needs_thought_signature(model).then(|| SKIP_SIGNATURE.to_string());
    for (i, m) in req.messages.iter().enumerate() {
        let (role, parts) = match m.role {
            Role::User => ("user", content_parts(m, i)?),
            Role::Assistant => {
                let mut parts = content_parts(m, i)?;
                for call in &m.tool_calls {
                    let mut part = Part::new(PartData::FunctionCall(FunctionCallOut {
                        name: call.name.clone(),
                        args: arguments(&call.arguments),
                    }));
                    part.thought_signature = signature.clone();
                    parts.push(part);
                }
                ("model", parts)
            }
            Role::Tool => ("user", vec![function_response(req, i, m)?]),
        };
        if parts.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some(last) if last.role == role => last.parts.extend(parts),
            _ => turns.push(Content { role, parts }),
        }
    }
    if turns.is_empty() {
        return Err(GatewayError::invalid_request(
            ErrorCode::EmptyConversation,
            "Gemini needs at least one user or assistant message with content besides the system prompt.",
        )
        .with_param("messages"));
    }
    Ok(turns)
}

fn content_parts(m: &Message, i: usize) -> GatewayResult<Vec<Part>> {
    let mut parts = Vec::with_capacity(m.content.len());
    for p in &m.content {
        match p {
            ContentPart::Text(t) if t.is_empty() => {}
            ContentPart::Text(t) => parts.push(Part::text(t.clone())),
            ContentPart::Image(ImageSource::Base64 { media_type, data }) => {
                parts.push(Part::new(PartData::InlineData(Blob { mime_type: media_type.clone(), data: data.clone() })))
            }
            ContentPart::Image(ImageSource::Url(url)) => {
                let lower = url.to_ascii_lowercase();
                if !(lower.starts_with("https://") || lower.starts_with("http://")) {
                    return Err(GatewayError::invalid_request(
                        ErrorCode::UnsupportedImageUrl,
                        "Gemini accepts images as base64 data URLs (data:<type>;base64,…) or http(s) URLs.",
                    )
                    .with_param(&format!("messages[{i}]")));
                }
                parts.push(Part::new(PartData::FileData(FileData {
                    mime_type: mime_from_url(url).to_string(),
                    file_uri: url.clone(),
                })));
            }
        }
    }
    Ok(parts)
}

/// The MIME type Gemini needs beside a file URI, from the URL's extension.
fn mime_from_url(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "pdf" => "application/pdf",
        _ => "image/jpeg",
    }
}

/// A tool call's arguments as the JSON object Gemini wants. Arguments that
/// are not a JSON object (a model elsewhere produced broken JSON) are kept
/// as text rather than failing the whole conversation.
fn arguments(text: &str) -> Value {
    if text.trim().is_empty() {
        return json!({});
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => v,
        Ok(other) => json!({ "value": other }),
        Err(_) => json!({ "arguments": text }),
    }
}

/// The name of the function a tool result answers: the nearest earlier
/// assistant turn that made the call (ids such as `call_0` repeat across
/// turns with Gemini), or a legacy `function` message naming it directly.
fn tool_name<'a>(req: &'a ChatRequest, i: usize, call_id: &'a str) -> Option<&'a str> {
    let nearest = req.messages[..i]
        .iter()
        .rev()
        .filter(|m| m.role == Role::Assistant)
        .flat_map(|m| m.tool_calls.iter())
        .find(|c| c.id == call_id)
        .map(|c| c.name.as_str());
    nearest.or_else(|| req.tool_name_for_call(call_id)).or_else(|| {
        let named = req.tools.iter().any(|t| t.name == call_id)
            || req.messages.iter().flat_map(|m| m.tool_calls.iter()).any(|c| c.name == call_id);
        named.then_some(call_id)
    })
}

fn function_response(req: &ChatRequest, i: usize, m: &Message) -> GatewayResult<Part> {
    let call_id = m.tool_call_id.as_deref().unwrap_or_default();
    let name = tool_name(req, i, call_id).ok_or_else(|| {
        GatewayError::invalid_request(
            ErrorCode::UnknownToolCallId,
            format!(
                "messages[{i}] answers tool call '{call_id}', which no earlier assistant message made; \
                 Gemini needs the function's name to accept a tool result."
            ),
        )
        .with_param(&format!("messages[{i}]"))
    })?;
    let text = m.text();
    let response = match serde_json::from_str::<Value>(&text) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({ "result": text }),
    };
    Ok(Part::new(PartData::FunctionResponse(FunctionResponse { name: name.to_string(), response })))
}

fn tools(req: &ChatRequest) -> Vec<ToolDeclarations> {
    if req.tools.is_empty() {
        return Vec::new();
    }
    let function_declarations = req
        .tools
        .iter()
        .map(|t| FunctionDeclaration {
            name: t.name.clone(),
            description: t.description.clone().filter(|d| !d.is_empty()),
            parameters: schema::parameters(&t.parameters),
        })
        .collect();
    vec![ToolDeclarations { function_declarations }]
}

fn tool_config(req: &ChatRequest) -> Option<ToolConfig> {
    if req.tools.is_empty() {
        return None;
    }
    let (mode, allowed_function_names) = match req.tool_choice.as_ref()? {
        ToolChoice::Auto => ("AUTO", Vec::new()),
        ToolChoice::None => ("NONE", Vec::new()),
        ToolChoice::Required => ("ANY", Vec::new()),
        ToolChoice::Function(name) => ("ANY", vec![name.clone()]),
    };
    Some(ToolConfig { function_calling_config: FunctionCallingConfig { mode, allowed_function_names } })
}

/// OpenAI's `reasoning_effort` as a thinking budget (tokens), the knob every
/// thinking Gemini model accepts.
fn thinking(effort: Option<&str>) -> Option<ThinkingConfig> {
    let budget = match effort? {
        "low" => 1024,
        "medium" => 8192,
        "high" => 24576,
        _ => return None,
    };
    Some(ThinkingConfig { include_thoughts: true, thinking_budget: budget })
}

fn generation_config(req: &ChatRequest) -> Option<GenerationConfig> {
    let (response_mime_type, response_schema) = match &req.response_format {
        Some(ResponseFormat::JsonObject) => (Some("application/json"), None),
        Some(ResponseFormat::JsonSchema { schema: s, .. }) => {
            (Some("application/json"), s.is_object().then(|| schema::to_gemini(s)))
        }
        Some(ResponseFormat::Text) | None => (None, None),
    };
    let config = GenerationConfig {
        max_output_tokens: req.max_tokens,
        temperature: req.temperature,
        top_p: req.top_p,
        stop_sequences: req.stop.iter().filter(|s| !s.is_empty()).cloned().collect(),
        response_mime_type,
        response_schema,
        seed: req.seed,
        presence_penalty: req.presence_penalty,
        frequency_penalty: req.frequency_penalty,
        thinking_config: thinking(req.reasoning_effort.as_deref()),
    };
    (config != GenerationConfig::default()).then_some(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::model::ToolCall;

    fn user(text: &str) -> Message {
        Message {
            role: Role::User,
            content: vec![ContentPart::Text(text.into())],
            tool_calls: vec![],
            tool_call_id: None,
        }
    }

    fn assistant_call(id: &str, name: &str) -> Message {
        Message {
            role: Role::Assistant,
            content: vec![],
            tool_calls: vec![ToolCall { id: id.into(), name: name.into(), arguments: "{}".into() }],
            tool_call_id: None,
        }
    }

    fn tool(id: &str, text: &str) -> Message {
        Message {
            role: Role::Tool,
            content: vec![ContentPart::Text(text.into())],
            tool_calls: vec![],
            tool_call_id: Some(id.into()),
        }
    }

    fn to_json(req: &ChatRequest, model: &str) -> Value {
        serde_json::to_value(body(req, model).unwrap()).unwrap()
    }

    #[test]
    fn repeated_call_ids_resolve_to_the_nearest_call() {
        let req = ChatRequest {
            messages: vec![
                user("a"),
                assistant_call("call_0", "weather"),
                tool("call_0", "sunny"),
                assistant_call("call_0", "time"),
                tool("call_0", "{\"now\":\"noon\"}"),
            ],
            ..Default::default()
        };
        let v = to_json(&req, "gemini-2.5-flash");
        assert_eq!(
            v["contents"][2]["parts"][0]["functionResponse"],
            json!({"name": "weather", "response": {"result": "sunny"}})
        );
        assert_eq!(
            v["contents"][4]["parts"][0]["functionResponse"],
            json!({"name": "time", "response": {"now": "noon"}})
        );
    }

    #[test]
    fn unknown_call_ids_are_client_errors() {
        let req = ChatRequest { messages: vec![user("a"), tool("nope", "x")], ..Default::default() };
        let e = body(&req, "gemini-2.5-flash").unwrap_err();
        assert_eq!((e.status, e.code.as_str(), e.param.as_deref()), (400, "unknown_tool_call_id", Some("messages[1]")));
    }

    #[test]
    fn legacy_function_messages_name_the_function() {
        let mut req = ChatRequest {
            messages: vec![user("a"), assistant_call("call_0", "f"), tool("f", "1")],
            ..Default::default()
        };
        assert_eq!(to_json(&req, "gemini-2.5-flash")["contents"][2]["parts"][0]["functionResponse"]["name"], "f");
        req.messages[2].tool_call_id = Some("call_0".into());
        assert_eq!(to_json(&req, "gemini-2.5-flash")["contents"][2]["parts"][0]["functionResponse"]["name"], "f");
    }

    #[test]
    fn thought_signatures_only_for_models_that_need_them() {
        let req =
            ChatRequest { messages: vec![user("a"), assistant_call("c", "f"), tool("c", "1")], ..Default::default() };
        let sig = |model: &str| to_json(&req, model)["contents"][1]["parts"][0].get("thoughtSignature").cloned();
        assert_eq!(sig("gemini-3-pro-preview"), Some(json!(SKIP_SIGNATURE)));
        assert_eq!(sig("gemini-2.5-flash"), None);
        assert_eq!(sig("gemma-3-27b-it"), None);
    }

    #[test]
    fn odd_urls_and_arguments() {
        let mut m = user("see");
        m.content.push(ContentPart::Image(ImageSource::Url("data:image/svg+xml;utf8,<svg/>".into())));
        let req = ChatRequest { messages: vec![m], ..Default::default() };
        assert_eq!(body(&req, "m").unwrap_err().code, "unsupported_image_url");
        assert_eq!(mime_from_url("https://x/a.PNG?x=1"), "image/png");
        assert_eq!(mime_from_url("https://x/photo"), "image/jpeg");
        assert_eq!(arguments(""), json!({}));
        assert_eq!(arguments("[1]"), json!({"value": [1]}));
        assert_eq!(arguments("{bad"), json!({"arguments": "{bad"}));
    }

    #[test]
    fn empty_messages_are_skipped_and_no_config_is_sent_when_unset() {
        let req = ChatRequest { messages: vec![user(""), user("hi")], ..Default::default() };
        let v = to_json(&req, "gemini-2.5-flash");
        assert_eq!(v, json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}));
    }

    #[test]
    fn a_conversation_needs_content() {
        let req = ChatRequest { system: vec!["Be brief.".into()], messages: vec![user("")], ..Default::default() };
        let e = body(&req, "gemini-2.5-flash").unwrap_err();
        assert_eq!((e.status, e.code.as_str(), e.param.as_deref()), (400, "empty_conversation", Some("messages")));
    }

    #[test]
    fn reasoning_effort_sets_a_thinking_budget() {
        let req =
            ChatRequest { messages: vec![user("hi")], reasoning_effort: Some("medium".into()), ..Default::default() };
        assert_eq!(
            to_json(&req, "gemini-2.5-pro")["generationConfig"],
            json!({"thinkingConfig": {"includeThoughts": true, "thinkingBudget": 8192}})
        );
    }
}
