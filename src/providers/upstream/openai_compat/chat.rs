//! OpenAI chat completions as a *translation target*: used when a client
//! speaks another format (the Responses API, Anthropic Messages) and the
//! chosen provider only speaks OpenAI chat (Groq, Mistral, DeepSeek, …, or
//! OpenAI itself for Messages clients). Chat clients never come through
//! here: their requests are forwarded as they are.

use crate::providers::adapter::{invalid_answer, ChatAdapter, StreamDecoder};
use crate::providers::model::{
    ChatRequest, ChatResponse, ContentPart, FinishReason, ImageSource, Message, ResponseFormat, Role, StreamEvent,
    ToolCall, ToolChoice,
};
use crate::providers::sse::SseParser;
use crate::providers::usage::OpenAiUsage;
use crate::providers::{Target, UpstreamRequest};
use super::request;
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::core::endpoint::Endpoint;
use crate::catalog::AdapterKind;
use crate::util::json_object::JsonObject;
use serde::Deserialize;
use serde_json::{json, Map, Value};

pub struct OpenAiChat;

impl ChatAdapter for OpenAiChat {
    fn build_chat(&self, req: &ChatRequest, target: &Target) -> GatewayResult<UpstreamRequest> {
        let modern = target.provider.id == "openai" || target.provider.adapter == AdapterKind::Azure;
        let body = to_body(req, modern);
        let body = JsonObject::parse(&body).map_err(|_| GatewayError::internal(ErrorCode::BodyRewrite))?;
        request::build(&Endpoint::ChatCompletions, body, target, &[]).map(|(r, _)| r)
    }

    fn parse_chat(&self, body: &[u8]) -> GatewayResult<ChatResponse> {
        parse_response(body)
    }

    fn stream_decoder(&self) -> Box<dyn StreamDecoder> {
        Box::new(ChunkDecoder::default())
    }
}

fn image_url(source: &ImageSource) -> String {
    match source {
        ImageSource::Url(u) => u.clone(),
        ImageSource::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
    }
}

/// A message's content: a plain string when it is text only (what every
/// OpenAI-compatible server accepts), else typed parts. Only Messages and
/// Responses clients reach this adapter (chat clients are forwarded as sent),
/// and their text blocks are separate: Claude Code sends `<system-reminder>`
/// blocks beside the user's words, so blocks become paragraphs rather than
/// being glued into one line.
fn content(parts: &[ContentPart]) -> Value {
    if parts.iter().all(|p| matches!(p, ContentPart::Text(_))) {
        return Value::String(parts.iter().filter_map(ContentPart::as_text).collect::<Vec<_>>().join("\n\n"));
    }
    Value::Array(
        parts
            .iter()
            .map(|p| match p {
                ContentPart::Text(t) => json!({"type": "text", "text": t}),
                ContentPart::Image(src) => json!({"type": "image_url", "image_url": {"url": image_url(src)}}),
            })
            .collect(),
    )
}

fn message(m: &Message) -> Value {
    match m.role {
        Role::User => json!({"role": "user", "content": content(&m.content)}),
        Role::Tool => json!({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.text()}),
        Role::Assistant => {
            let text = m.text();
            let mut v = json!({"role": "assistant", "content": if text.is_empty() { Value::Null } else { Value::String(text) }});
            if !m.tool_calls.is_empty() {
                v["tool_calls"] = m
                    .tool_calls
                    .iter()
                    .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
                    .collect();
            }
            v
        }
    }
}

/// The OpenAI chat body for a neutral request. OpenAI's own API (and
/// Azure's) take `max_completion_tokens`, which its reasoning models
/// require; other servers know only `max_tokens`.
pub fn to_body(req: &ChatRequest, max_completion_tokens: bool) -> Vec<u8> {
    let mut messages: Vec<Value> = req.system.iter().map(|s| json!({"role": "system", "content": s})).collect();
    messages.extend(req.messages.iter().map(message));
    let mut b = Map::new();
    b.insert("model".into(), json!(req.model));
    b.insert("messages".into(), Value::Array(messages));
    if !req.tools.is_empty() {
        let tools = req
            .tools
            .iter()
            .map(|t| {
                let mut f = json!({"name": t.name, "parameters": t.parameters});
                if let Some(d) = &t.description {
                    f["description"] = json!(d);
                }
                json!({"type": "function", "function": f})
            })
            .collect();
        b.insert("tools".into(), Value::Array(tools));
    }
    if let Some(choice) = &req.tool_choice {
        let v = match choice {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::None => json!("none"),
            ToolChoice::Required => json!("required"),
            ToolChoice::Function(name) => json!({"type": "function", "function": {"name": name}}),
        };
        b.insert("tool_choice".into(), v);
    }
    if let (Some(p), false) = (req.parallel_tool_calls, req.tools.is_empty()) {
        b.insert("parallel_tool_calls".into(), json!(p));
    }
    if let Some(n) = req.max_tokens {
        let key = if max_completion_tokens { "max_completion_tokens" } else { "max_tokens" };
        b.insert(key.into(), json!(n));
    }
    let numbers = [
        ("temperature", req.temperature),
        ("top_p", req.top_p),
        ("presence_penalty", req.presence_penalty),
        ("frequency_penalty", req.frequency_penalty),
    ];
    for (k, v) in numbers {
        if let Some(v) = v {
            b.insert(k.into(), json!(v));
        }
    }
    if !req.stop.is_empty() {
        b.insert("stop".into(), json!(req.stop));
    }
    if let Some(seed) = req.seed {
        b.insert("seed".into(), json!(seed));
    }
    if let Some(user) = &req.user {
        b.insert("user".into(), json!(user));
    }
    if let Some(effort) = &req.reasoning_effort {
        b.insert("reasoning_effort".into(), json!(effort));
    }
    match &req.response_format {
        None | Some(ResponseFormat::Text) => {}
        Some(ResponseFormat::JsonObject) => {
            b.insert("response_format".into(), json!({"type": "json_object"}));
        }
        Some(ResponseFormat::JsonSchema { name, schema }) => {
            b.insert("response_format".into(), json!({"type": "json_schema", "json_schema": {"name": name, "schema": schema}}));
        }
    }
    if req.stream {
        b.insert("stream".into(), json!(true));
        b.insert("stream_options".into(), json!({"include_usage": true}));
    }
    serde_json::to_vec(&Value::Object(b)).unwrap_or_default()
}

pub fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "length" => FinishReason::Length,
        "tool_calls" | "function_call" => FinishReason::ToolCalls,
        "content_filter" => FinishReason::ContentFilter,
        _ => FinishReason::Stop,
    }
}

#[derive(Deserialize)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

/// A `message` (complete answers) or a `delta` (stream chunks).
#[derive(Deserialize, Default)]
struct WireMessage {
    #[serde(default)]
    content: Option<String>,
    /// DeepSeek, vLLM and others name the thinking `reasoning_content`;
    /// OpenRouter and Groq name it `reasoning`.
    #[serde(default, alias = "reasoning")]
    reasoning_content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Deserialize)]
struct WireChoice {
    #[serde(default)]
    message: Option<WireMessage>,
    #[serde(default)]
    delta: Option<WireMessage>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireBody {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<WireChoice>,
    #[serde(default)]
    usage: Option<OpenAiUsage>,
    #[serde(default)]
    error: Option<Value>,
}

fn error_message(e: &Value) -> String {
    e.get("message").and_then(Value::as_str).or(e.as_str()).unwrap_or("stream error").to_string()
}

pub fn parse_response(body: &[u8]) -> GatewayResult<ChatResponse> {
    let b: WireBody = serde_json::from_slice(body).map_err(|e| invalid_answer("the provider", e))?;
    let choice = b.choices.into_iter().next();
    let finish = choice.as_ref().and_then(|c| c.finish_reason.as_deref()).map(finish_reason);
    let message = choice.and_then(|c| c.message).unwrap_or_default();
    let tool_calls = message
        .tool_calls
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let f = c.function.unwrap_or(WireFunction { name: None, arguments: None });
            ToolCall {
                id: c.id.unwrap_or_else(|| format!("call_{i}")),
                name: f.name.unwrap_or_default(),
                arguments: f.arguments.filter(|a| !a.is_empty()).unwrap_or_else(|| "{}".into()),
            }
        })
        .collect();
    Ok(ChatResponse {
        id: b.id,
        model: b.model,
        text: message.content.filter(|t| !t.is_empty()),
        reasoning: message.reasoning_content.filter(|t| !t.is_empty()),
        tool_calls,
        finish_reason: finish,
        usage: b.usage.map(Into::into),
    })
}

/// OpenAI chat chunks → neutral events. Tool calls keep OpenAI's own
/// `index` (0, 1, … per answer); a call without one continues the last.
#[derive(Default)]
pub struct ChunkDecoder {
    parser: SseParser,
    started: bool,
    ended: bool,
    /// OpenAI tool-call indexes already started.
    tools: Vec<u32>,
    /// Finish and usage are held until the end: some servers send usage in
    /// the finish chunk, others in a chunk of its own after it.
    finish: Option<FinishReason>,
    usage: Option<crate::providers::usage::Usage>,
}

impl ChunkDecoder {
    fn data(&mut self, data: &str, out: &mut Vec<StreamEvent>) {
        if self.ended {
            return;
        }
        if data == "[DONE]" {
            self.close(out);
            return;
        }
        let chunk: WireBody = match serde_json::from_str(data) {
            Ok(c) => c,
            Err(e) => {
                self.ended = true;
                out.push(StreamEvent::Error { message: format!("unreadable stream chunk: {e}") });
                return;
            }
        };
        if let Some(e) = &chunk.error {
            self.ended = true;
            out.push(StreamEvent::Error { message: error_message(e) });
            return;
        }
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start { id: chunk.id.clone(), model: chunk.model.clone() });
        }
        if let Some(u) = chunk.usage {
            self.usage = Some(u.into());
        }
        for choice in chunk.choices {
            if let Some(delta) = choice.delta {
                if let Some(r) = delta.reasoning_content.filter(|r| !r.is_empty()) {
                    out.push(StreamEvent::ReasoningDelta(r));
                }
                if let Some(t) = delta.content.filter(|t| !t.is_empty()) {
                    out.push(StreamEvent::TextDelta(t));
                }
                for call in delta.tool_calls.unwrap_or_default() {
                    self.tool_call(call, out);
                }
            }
            if let Some(reason) = choice.finish_reason.as_deref() {
                self.finish = Some(finish_reason(reason));
            }
        }
    }

    fn tool_call(&mut self, call: WireToolCall, out: &mut Vec<StreamEvent>) {
        let index = call.index.or_else(|| self.tools.last().copied()).unwrap_or(0);
        let f = call.function.unwrap_or(WireFunction { name: None, arguments: None });
        if !self.tools.contains(&index) {
            self.tools.push(index);
            out.push(StreamEvent::ToolCallStart {
                index,
                id: call.id.unwrap_or_else(|| format!("call_{index}")),
                name: f.name.unwrap_or_default(),
            });
        }
        if let Some(args) = f.arguments.filter(|a| !a.is_empty()) {
            out.push(StreamEvent::ToolCallArgs { index, delta: args });
        }
    }

    fn close(&mut self, out: &mut Vec<StreamEvent>) {
        self.ended = true;
        let finish = self.finish.take().unwrap_or(if self.tools.is_empty() { FinishReason::Stop } else { FinishReason::ToolCalls });
        out.push(StreamEvent::Finish(finish));
        if let Some(u) = self.usage.take() {
            out.push(StreamEvent::Usage(u));
        }
        out.push(StreamEvent::Done);
    }
}

impl StreamDecoder for ChunkDecoder {
    fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        for e in self.parser.push(bytes) {
            if !e.is_comment_only() {
                self.data(e.data.trim(), &mut out);
            }
        }
        out
    }

    fn finish(&mut self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if let Some(e) = self.parser.finish() {
            if !e.is_comment_only() {
                self.data(e.data.trim(), &mut out);
            }
        }
        // Some servers end without `[DONE]` once the finish chunk is sent.
        if !self.ended && self.finish.is_some() {
            self.close(&mut out);
        }
        out
    }
}

#[cfg(test)]
#[path = "chat_tests.rs"]
mod tests;
