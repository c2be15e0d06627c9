//! `ChatRequest` → Cohere v2's `POST /v2/chat`.
//!
//! Translation choices, where the two APIs differ:
//! - System prompts become one `system` message at the start.
//! - An assistant turn that called tools keeps its text as `tool_plan`:
//!   Cohere refuses text `content` next to `tool_calls`.
//! - `tool_choice`: `auto` is Cohere's default (omitted), `none` → `NONE`,
//!   `required` → `REQUIRED`. Cohere cannot force one named function, so
//!   `{"type":"function","function":{"name":N}}` offers only tool N and sets
//!   `REQUIRED` — the model must call a tool, and N is the only one.
//! - `parallel_tool_calls` has no Cohere switch and is ignored; `user` too.
//! - `top_p` → `p`, clamped to Cohere's range 0.01–0.99 (clients send 1.0
//!   to mean "no nucleus cut", which Cohere refuses); the penalties are
//!   clamped to Cohere's 0–1.
//! - `response_format` `json_object` → `{"type":"json_object"}`;
//!   `json_schema` → the same with its `json_schema`.
//! - Images (URL or base64 as a `data:` URI) are sent in user turns only;
//!   Cohere's tool and assistant messages cannot carry them.
//! - `max_tokens` is optional at Cohere (it defaults to the model's limit),
//!   so none is invented.

use super::wire::{
    ChatBody, ImageUrl, UserContent, UserPart, WireFunction, WireFunctionCall, WireMessage, WireResponseFormat,
    WireTool, WireToolCall,
};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::providers::model::{ChatRequest, ContentPart, ImageSource, Message, ResponseFormat, Role, Tool, ToolChoice};
use crate::providers::{auth, join_url, Target, UpstreamRequest};

/// Cohere's documented range for `p`.
const P_MIN: f64 = 0.01;
const P_MAX: f64 = 0.99;

pub fn build(req: &ChatRequest, target: &Target) -> GatewayResult<UpstreamRequest> {
    let model = if target.model_id.is_empty() { req.model.as_str() } else { target.model_id };
    let body = chat_body(req, model)?;
    let bytes = serde_json::to_vec(&body).map_err(|_| GatewayError::internal(ErrorCode::CohereBodyEncode))?;
    Ok(post(target, "v2/chat", bytes, req.stream))
}

/// A JSON `POST` to a Cohere path, with the catalog's headers and the credential.
pub fn post(target: &Target, path: &str, body: Vec<u8>, stream: bool) -> UpstreamRequest {
    let mut req = UpstreamRequest {
        method: "POST",
        url: api_url(target.base_url, path),
        headers: Vec::with_capacity(3 + target.provider.default_headers.len()),
        body: Some(body),
    };
    req.headers.push(("content-type".into(), "application/json".into()));
    req.headers.push(("accept".into(), if stream { "text/event-stream" } else { "application/json" }.into()));
    for (k, v) in &target.provider.default_headers {
        req.headers.push((k.clone(), v.clone()));
    }
    auth::apply(target.provider.auth, target.secret, &mut req);
    req
}

/// `{base}/v2/…`; a base URL configured with the `/v2` already is accepted too.
pub fn api_url(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let base = base.strip_suffix("/v2").unwrap_or(base);
    join_url(base, path)
}

pub fn chat_body<'a>(req: &'a ChatRequest, model: &'a str) -> GatewayResult<ChatBody<'a>> {
    let (tools, tool_choice) = tools_and_choice(req)?;
    Ok(ChatBody {
        model,
        messages: messages(req)?,
        tools,
        tool_choice,
        stream: req.stream,
        max_tokens: req.max_tokens,
        temperature: req.temperature,
        p: req.top_p.map(|p| p.clamp(P_MIN, P_MAX)),
        stop_sequences: &req.stop,
        seed: req.seed,
        frequency_penalty: req.frequency_penalty.map(|x| x.clamp(0.0, 1.0)),
        presence_penalty: req.presence_penalty.map(|x| x.clamp(0.0, 1.0)),
        response_format: match &req.response_format {
            None | Some(ResponseFormat::Text) => None,
            Some(ResponseFormat::JsonObject) => Some(WireResponseFormat { kind: "json_object", json_schema: None }),
            Some(ResponseFormat::JsonSchema { schema, .. }) => {
                Some(WireResponseFormat { kind: "json_object", json_schema: (!schema.is_null()).then_some(schema) })
            }
        },
    })
}

fn wire_tool(t: &Tool) -> WireTool<'_> {
    WireTool {
        kind: "function",
        function: WireFunction { name: &t.name, description: t.description.as_deref(), parameters: &t.parameters },
    }
}

fn tools_and_choice(req: &ChatRequest) -> GatewayResult<(Vec<WireTool<'_>>, Option<&'static str>)> {
    if req.tools.is_empty() {
        // Cohere wants tools whenever tool_choice is set; with none offered
        // the choice means nothing.
        return Ok((Vec::new(), None));
    }
    let all = || req.tools.iter().map(wire_tool).collect();
    Ok(match &req.tool_choice {
        None | Some(ToolChoice::Auto) => (all(), None),
        Some(ToolChoice::None) => (all(), Some("NONE")),
        Some(ToolChoice::Required) => (all(), Some("REQUIRED")),
        Some(ToolChoice::Function(name)) => {
            let tool = req.tools.iter().find(|t| &t.name == name).ok_or_else(|| {
                GatewayError::invalid_request(
                    ErrorCode::InvalidValue,
                    format!("tool_choice names the function '{name}', which is not among the request's tools."),
                )
                .with_param("tool_choice")
            })?;
            (vec![wire_tool(tool)], Some("REQUIRED"))
        }
    })
}

fn messages(req: &ChatRequest) -> GatewayResult<Vec<WireMessage>> {
    let mut out = Vec::with_capacity(req.messages.len() + 1);
    if let Some(system) = req.system_text() {
        out.push(WireMessage::System { content: system });
    }
    for (i, m) in req.messages.iter().enumerate() {
        out.push(message(m, i)?);
    }
    Ok(out)
}

fn message(m: &Message, i: usize) -> GatewayResult<WireMessage> {
    Ok(match m.role {
        Role::User => WireMessage::User { content: user_content(&m.content) },
        Role::Assistant => {
            text_only(m, i, "assistant")?;
            let text = m.text();
            if m.tool_calls.is_empty() {
                WireMessage::Assistant { content: Some(text), tool_plan: None, tool_calls: Vec::new() }
            } else {
                WireMessage::Assistant {
                    content: None,
                    tool_plan: (!text.is_empty()).then_some(text),
                    tool_calls: m
                        .tool_calls
                        .iter()
                        .map(|c| WireToolCall {
                            id: c.id.clone(),
                            kind: "function",
                            function: WireFunctionCall {
                                name: c.name.clone(),
                                arguments: if c.arguments.trim().is_empty() { "{}".into() } else { c.arguments.clone() },
                            },
                        })
                        .collect(),
                }
            }
        }
        Role::Tool => {
            text_only(m, i, "tool")?;
            WireMessage::Tool { tool_call_id: m.tool_call_id.clone().unwrap_or_default(), content: m.text() }
        }
    })
}

fn text_only(m: &Message, i: usize, role: &str) -> GatewayResult<()> {
    if m.content.iter().any(|p| matches!(p, ContentPart::Image(_))) {
        return Err(GatewayError::invalid_request(
            ErrorCode::UnsupportedContent,
            format!("Cohere accepts images only in user messages; messages[{i}] is a {role} message with an image."),
        )
        .with_param(&format!("messages[{i}]")));
    }
    Ok(())
}

fn user_content(parts: &[ContentPart]) -> UserContent {
    if let [ContentPart::Text(t)] = parts {
        return UserContent::Text(t.clone());
    }
    if parts.is_empty() {
        return UserContent::Text(String::new());
    }
    UserContent::Parts(
        parts
            .iter()
            .map(|p| match p {
                ContentPart::Text(t) => UserPart::Text { text: t.clone() },
                ContentPart::Image(ImageSource::Url(url)) => UserPart::ImageUrl { image_url: ImageUrl { url: url.clone() } },
                ContentPart::Image(ImageSource::Base64 { media_type, data }) => {
                    UserPart::ImageUrl { image_url: ImageUrl { url: format!("data:{media_type};base64,{data}") } }
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::model::ToolCall;
    use crate::providers::upstream::cohere::tests::target;
    use serde_json::{json, Value};

    fn body_json(req: &UpstreamRequest) -> Value {
        serde_json::from_slice(req.body.as_ref().unwrap()).unwrap()
    }

    fn user(text: &str) -> Message {
        Message { role: Role::User, content: vec![ContentPart::Text(text.into())], tool_calls: vec![], tool_call_id: None }
    }

    /// The OpenAI-side request behind `tests/fixtures/cohere/request_tools.json`.
    fn tool_conversation() -> ChatRequest {
        ChatRequest {
            model: "command-a-03-2025".into(),
            system: vec!["You are a weather bot.".into(), "Answer briefly.".into()],
            messages: vec![
                Message {
                    role: Role::User,
                    content: vec![
                        ContentPart::Text("What is the weather in Paris and Berlin? Here is a photo.".into()),
                        ContentPart::Image(ImageSource::Url("https://example.com/sky.jpg".into())),
                        ContentPart::Image(ImageSource::Base64 { media_type: "image/png".into(), data: "iVBORw0KGgo=".into() }),
                    ],
                    tool_calls: vec![],
                    tool_call_id: None,
                },
                Message {
                    role: Role::Assistant,
                    content: vec![ContentPart::Text("I will look up both cities.".into())],
                    tool_calls: vec![
                        ToolCall { id: "get_weather_1".into(), name: "get_weather".into(), arguments: r#"{"city":"Paris"}"#.into() },
                        ToolCall { id: "get_weather_2".into(), name: "get_weather".into(), arguments: r#"{"city":"Berlin"}"#.into() },
                    ],
                    tool_call_id: None,
                },
                Message {
                    role: Role::Tool,
                    content: vec![ContentPart::Text(r#"{"temperature":21}"#.into())],
                    tool_calls: vec![],
                    tool_call_id: Some("get_weather_1".into()),
                },
                Message {
                    role: Role::Tool,
                    content: vec![ContentPart::Text(r#"{"temperature":17}"#.into())],
                    tool_calls: vec![],
                    tool_call_id: Some("get_weather_2".into()),
                },
            ],
            tools: vec![Tool {
                name: "get_weather".into(),
                description: Some("Current weather for a city".into()),
                parameters: json!({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}),
            }],
            tool_choice: Some(ToolChoice::Required),
            parallel_tool_calls: Some(true),
            max_tokens: Some(512),
            temperature: Some(0.2),
            top_p: Some(1.0),
            stop: vec!["END".into()],
            stream: true,
            include_usage: true,
            seed: Some(42),
            frequency_penalty: Some(0.5),
            presence_penalty: Some(-1.0),
            user: Some("u-1".into()),
            ..Default::default()
        }
    }

    #[test]
    fn golden_tool_conversation() {
        let req = build(&tool_conversation(), &target(Some("co-key"))).unwrap();
        let expected: Value = serde_json::from_str(include_str!("../../../../tests/fixtures/cohere/request_tools.json")).unwrap();
        assert_eq!(body_json(&req), expected);
        assert_eq!(req.url, "https://api.cohere.com/v2/chat");
        assert_eq!(req.header("authorization"), Some("Bearer co-key"));
        assert_eq!(req.header("accept"), Some("text/event-stream"));
        assert_eq!(req.header("content-type"), Some("application/json"));
    }

    #[test]
    fn minimal_request_leaves_defaults_to_cohere() {
        let req = ChatRequest { model: "command-r-08-2024".into(), messages: vec![user("Hi")], ..Default::default() };
        let mut t = target(None);
        t.model_id = "command-r-08-2024";
        let up = build(&req, &t).unwrap();
        assert_eq!(
            body_json(&up),
            json!({"model":"command-r-08-2024","messages":[{"role":"user","content":"Hi"}],"stream":false})
        );
        assert_eq!(up.header("accept"), Some("application/json"));
        assert_eq!(up.header("authorization"), None);
    }

    #[test]
    fn the_target_names_the_model() {
        let req = ChatRequest { model: "other".into(), messages: vec![user("Hi")], ..Default::default() };
        assert_eq!(body_json(&build(&req, &target(None)).unwrap())["model"], "command-a-03-2025");
    }

    #[test]
    fn tool_choice_mapping() {
        let mut req = tool_conversation();
        let choice = |req: &ChatRequest| {
            let v = serde_json::to_value(chat_body(req, "m").unwrap()).unwrap();
            (v.get("tool_choice").cloned(), v["tools"].as_array().map_or(0, Vec::len))
        };
        req.tool_choice = None;
        assert_eq!(choice(&req), (None, 1));
        req.tool_choice = Some(ToolChoice::Auto);
        assert_eq!(choice(&req), (None, 1));
        req.tool_choice = Some(ToolChoice::None);
        assert_eq!(choice(&req), (Some(json!("NONE")), 1));
        req.tools.push(Tool { name: "other".into(), description: None, parameters: json!({"type":"object"}) });
        req.tool_choice = Some(ToolChoice::Function("other".into()));
        let v = serde_json::to_value(chat_body(&req, "m").unwrap()).unwrap();
        assert_eq!(v["tool_choice"], "REQUIRED");
        assert_eq!(v["tools"], json!([{"type":"function","function":{"name":"other","parameters":{"type":"object"}}}]));
        req.tool_choice = Some(ToolChoice::Function("missing".into()));
        let e = chat_body(&req, "m").unwrap_err();
        assert_eq!((e.status, e.param.as_deref()), (400, Some("tool_choice")));
        req.tools.clear();
        req.tool_choice = Some(ToolChoice::Required);
        assert_eq!(choice(&req), (None, 0));
    }

    #[test]
    fn response_formats() {
        let mut req = ChatRequest { messages: vec![user("json please")], ..Default::default() };
        let rf = |req: &ChatRequest| serde_json::to_value(chat_body(req, "m").unwrap()).unwrap().get("response_format").cloned();
        req.response_format = Some(ResponseFormat::Text);
        assert_eq!(rf(&req), None);
        req.response_format = Some(ResponseFormat::JsonObject);
        assert_eq!(rf(&req), Some(json!({"type":"json_object"})));
        let schema = json!({"type":"object","properties":{"name":{"type":"string"}},"required":["name"]});
        req.response_format = Some(ResponseFormat::JsonSchema { name: "person".into(), schema: schema.clone() });
        assert_eq!(rf(&req), Some(json!({"type":"json_object","json_schema":schema})));
    }

    #[test]
    fn images_outside_user_turns_are_refused() {
        let img = ContentPart::Image(ImageSource::Url("https://x/y.png".into()));
        let req = ChatRequest {
            messages: vec![
                user("call it"),
                Message {
                    role: Role::Assistant,
                    content: vec![],
                    tool_calls: vec![ToolCall { id: "c1".into(), name: "f".into(), arguments: String::new() }],
                    tool_call_id: None,
                },
                Message { role: Role::Tool, content: vec![img], tool_calls: vec![], tool_call_id: Some("c1".into()) },
            ],
            ..Default::default()
        };
        let e = chat_body(&req, "m").unwrap_err();
        assert_eq!(e.status, 400);
        assert_eq!(e.param.as_deref(), Some("messages[2]"));
        assert!(e.message.contains("only in user messages"));
    }

    #[test]
    fn assistant_turns() {
        let req = ChatRequest {
            messages: vec![
                user("hi"),
                Message { role: Role::Assistant, content: vec![ContentPart::Text("hello".into())], tool_calls: vec![], tool_call_id: None },
                Message {
                    role: Role::Assistant,
                    content: vec![],
                    tool_calls: vec![ToolCall { id: "c1".into(), name: "f".into(), arguments: " ".into() }],
                    tool_call_id: None,
                },
            ],
            ..Default::default()
        };
        let v = serde_json::to_value(chat_body(&req, "m").unwrap()).unwrap();
        assert_eq!(v["messages"][1], json!({"role":"assistant","content":"hello"}));
        assert_eq!(
            v["messages"][2],
            json!({"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]})
        );
    }

    #[test]
    fn urls() {
        assert_eq!(api_url("https://api.cohere.com/", "v2/chat"), "https://api.cohere.com/v2/chat");
        assert_eq!(api_url("https://api.cohere.com/v2", "v2/embed"), "https://api.cohere.com/v2/embed");
        assert_eq!(api_url("http://127.0.0.1:9/~tag=a", "v2/chat"), "http://127.0.0.1:9/~tag=a/v2/chat");
    }
}
