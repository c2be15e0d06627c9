//! `ChatRequest` → the body of a Converse / ConverseStream request.
//!
//! Bedrock wants alternating `user` / `assistant` turns: tool results travel
//! as `toolResult` blocks in user turns, and consecutive turns of the same
//! role are merged into one. System prompts go to the top-level `system`
//! list. Images must be inline (base64): Converse has no image URLs.

use super::wire::{
    ContentBlock, ConverseRequest, Empty, FormatStructure, ImageBlock, ImageBytes, InferenceConfig, InputSchema,
    JsonSchemaDefinition, Message, NamedTool, OutputConfig, SystemBlock, TextFormat, ToolChoice as WireChoice,
    ToolConfig, ToolEntry, ToolResultBlock, ToolResultContent, ToolSpec, ToolUseBlock,
};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::providers::model::{ChatRequest, ContentPart, ImageSource, ResponseFormat, Role, ToolChoice};
use serde_json::{json, Value};

/// Added to the system prompt for `response_format: json_object`, which
/// Converse has no switch for (a JSON schema maps to `outputConfig`).
pub const JSON_OBJECT_INSTRUCTION: &str = "Respond with a single valid JSON object and nothing else.";

/// Something the client sent that Bedrock cannot take.
fn invalid(param: &str, message: impl Into<String>) -> GatewayError {
    GatewayError::invalid_request(ErrorCode::UnsupportedForProvider, message).with_param(param)
}

/// A conversation the client sent that is malformed.
fn malformed(message: impl Into<String>) -> GatewayError {
    GatewayError::invalid_request(ErrorCode::InvalidValue, message).with_param("messages")
}

/// Bedrock's image `format` for a media type.
fn image_format(media_type: &str) -> Option<&'static str> {
    match media_type.to_ascii_lowercase().as_str() {
        "image/png" => Some("png"),
        "image/jpeg" | "image/jpg" => Some("jpeg"),
        "image/gif" => Some("gif"),
        "image/webp" => Some("webp"),
        _ => None,
    }
}

fn image(source: &ImageSource) -> GatewayResult<ImageBlock> {
    match source {
        ImageSource::Url(_) => Err(invalid(
            "messages",
            "AWS Bedrock's Converse API does not fetch images from URLs; send the image inline as a \
             base64 data URL (data:image/png;base64,...).",
        )),
        ImageSource::Base64 { media_type, data } => {
            let format = image_format(media_type).ok_or_else(|| {
                invalid(
                    "messages",
                    format!("AWS Bedrock accepts png, jpeg, gif and webp images, not '{media_type}'."),
                )
            })?;
            Ok(ImageBlock { format, source: ImageBytes { bytes: data.clone() } })
        }
    }
}

fn content_blocks(parts: &[ContentPart]) -> GatewayResult<Vec<ContentBlock>> {
    let mut blocks = Vec::with_capacity(parts.len());
    for p in parts {
        match p {
            // Bedrock rejects blank text blocks.
            ContentPart::Text(t) if t.trim().is_empty() => {}
            ContentPart::Text(t) => blocks.push(ContentBlock::Text(t.clone())),
            ContentPart::Image(src) => blocks.push(ContentBlock::Image(image(src)?)),
        }
    }
    Ok(blocks)
}

/// The arguments of an earlier tool call as the JSON document Bedrock wants.
fn tool_input(arguments: &str, name: &str) -> GatewayResult<Value> {
    if arguments.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_str(arguments).map_err(|_| {
        malformed(format!(
            "The arguments of the earlier call to tool '{name}' are not valid JSON; AWS Bedrock needs them as a JSON object."
        ))
    })
}

fn tool_result(parts: &[ContentPart], call_id: Option<&str>) -> GatewayResult<ContentBlock> {
    let tool_use_id = call_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| malformed("A tool message needs the tool_call_id of the call it answers."))?;
    let mut content = Vec::with_capacity(parts.len());
    for p in parts {
        match p {
            ContentPart::Text(t) if t.is_empty() => {}
            ContentPart::Text(t) => content.push(ToolResultContent::Text(t.clone())),
            ContentPart::Image(src) => content.push(ToolResultContent::Image(image(src)?)),
        }
    }
    Ok(ContentBlock::ToolResult(ToolResultBlock { tool_use_id: tool_use_id.to_string(), content, status: None }))
}

/// Appends a turn, merging it into the previous one when the role repeats.
fn push_turn(messages: &mut Vec<Message>, role: &'static str, blocks: Vec<ContentBlock>) {
    if blocks.is_empty() {
        return;
    }
    match messages.last_mut() {
        Some(last) if last.role == role => last.content.extend(blocks),
        _ => messages.push(Message { role, content: blocks }),
    }
}

fn messages(req: &ChatRequest) -> GatewayResult<Vec<Message>> {
    let mut out: Vec<Message> = Vec::with_capacity(req.messages.len());
    for m in &req.messages {
        match m.role {
            Role::User => push_turn(&mut out, "user", content_blocks(&m.content)?),
            Role::Assistant => {
                let mut blocks = content_blocks(&m.content)?;
                for call in &m.tool_calls {
                    blocks.push(ContentBlock::ToolUse(ToolUseBlock {
                        tool_use_id: call.id.clone(),
                        name: call.name.clone(),
                        input: tool_input(&call.arguments, &call.name)?,
                    }));
                }
                push_turn(&mut out, "assistant", blocks);
            }
            Role::Tool => push_turn(&mut out, "user", vec![tool_result(&m.content, m.tool_call_id.as_deref())?]),
        }
    }
    Ok(out)
}

fn uses_tools(messages: &[Message]) -> bool {
    messages
        .iter()
        .flat_map(|m| &m.content)
        .any(|b| matches!(b, ContentBlock::ToolUse(_) | ContentBlock::ToolResult(_)))
}

/// Tools, and the choice among them. Bedrock refuses `toolUse` /
/// `toolResult` blocks without a `toolConfig`, so tools called earlier but
/// no longer offered are declared with an open schema; and since Converse
/// has no "none" choice, `tool_choice: none` drops the tools unless the
/// history needs them (then the model is left to choose).
fn tool_config(req: &ChatRequest, messages: &[Message]) -> Option<ToolConfig> {
    let history = uses_tools(messages);
    if req.tool_choice == Some(ToolChoice::None) && !history {
        return None;
    }
    let mut tools: Vec<ToolEntry> = req
        .tools
        .iter()
        .map(|t| ToolEntry {
            tool_spec: ToolSpec {
                name: t.name.clone(),
                description: t.description.clone().filter(|d| !d.is_empty()),
                input_schema: InputSchema { json: t.parameters.clone() },
            },
        })
        .collect();
    if history {
        for call in req.messages.iter().flat_map(|m| &m.tool_calls) {
            if !tools.iter().any(|t| t.tool_spec.name == call.name) {
                tools.push(ToolEntry {
                    tool_spec: ToolSpec {
                        name: call.name.clone(),
                        description: None,
                        input_schema: InputSchema { json: json!({"type": "object", "properties": {}}) },
                    },
                });
            }
        }
    }
    if tools.is_empty() {
        return None;
    }
    let tool_choice = match &req.tool_choice {
        Some(ToolChoice::Auto) => Some(WireChoice::Auto(Empty {})),
        Some(ToolChoice::Required) => Some(WireChoice::Any(Empty {})),
        Some(ToolChoice::Function(name)) => Some(WireChoice::Tool(NamedTool { name: name.clone() })),
        Some(ToolChoice::None) | None => None,
    };
    Some(ToolConfig { tools, tool_choice })
}

fn output_config(req: &ChatRequest) -> Option<OutputConfig> {
    match &req.response_format {
        Some(ResponseFormat::JsonSchema { name, schema }) => Some(OutputConfig {
            text_format: TextFormat {
                kind: "json_schema",
                structure: FormatStructure {
                    json_schema: JsonSchemaDefinition { schema: schema.to_string(), name: name.clone() },
                },
            },
        }),
        _ => None,
    }
}

/// The Converse request body for a chat turn.
pub fn converse_request(req: &ChatRequest) -> GatewayResult<ConverseRequest> {
    let messages = messages(req)?;
    let mut system: Vec<SystemBlock> =
        req.system.iter().filter(|s| !s.trim().is_empty()).map(|s| SystemBlock { text: s.clone() }).collect();
    if req.response_format == Some(ResponseFormat::JsonObject) {
        system.push(SystemBlock { text: JSON_OBJECT_INSTRUCTION.to_string() });
    }
    let inference = InferenceConfig {
        max_tokens: req.max_tokens,
        temperature: req.temperature,
        top_p: req.top_p,
        stop_sequences: req.stop.iter().filter(|s| !s.is_empty()).cloned().collect(),
    };
    Ok(ConverseRequest {
        tool_config: tool_config(req, &messages),
        messages,
        system,
        inference_config: (!inference.is_empty()).then_some(inference),
        output_config: output_config(req),
    })
}

pub fn body(req: &ChatRequest) -> GatewayResult<Vec<u8>> {
    let r = converse_request(req)?;
    serde_json::to_vec(&r).map_err(|_| GatewayError::internal(ErrorCode::RequestEncoding))
}
