//! The client's side of a translated request: which format the client
//! spoke (OpenAI chat, the Responses API, Anthropic Messages), parsed into
//! the neutral chat model, and the answer encoded back into it — as one
//! JSON document or as that format's stream.

pub mod chat;
pub mod messages;
pub mod responses;
pub mod stream;

use crate::providers::model::{ChatRequest, ChatResponse};
use stream::ClientStreamEncoder;
use messages::{count_tokens, stream::MessagesEncoder};
use responses::ResponsesEncoder;
use chat::{chunks::ChunkEncoder, request as chat_request, response as chat_response};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::core::endpoint::Endpoint;
use serde_json::Value;

/// What encoding the answer needs to know about the request.
#[derive(Debug, Clone)]
pub enum ClientFormat {
    Chat { include_usage: bool },
    Responses(Box<responses::Echo>),
    Messages(messages::Echo),
}

/// The client's body (already rewritten for the target) as a chat request.
pub fn parse(endpoint: &Endpoint, body: &Value, model_id: &str) -> GatewayResult<(ChatRequest, ClientFormat)> {
    match endpoint {
        Endpoint::ChatCompletions => {
            let chat = chat_request::parse(body, model_id)?;
            let include_usage = chat.include_usage;
            Ok((chat, ClientFormat::Chat { include_usage }))
        }
        Endpoint::Responses => {
            let parsed = responses::parse(body, model_id)?;
            Ok((parsed.chat, ClientFormat::Responses(Box::new(parsed.echo))))
        }
        Endpoint::Messages => {
            let parsed = messages::request::parse(body, model_id)?;
            Ok((parsed.chat, ClientFormat::Messages(parsed.echo)))
        }
        Endpoint::CountTokens => {
            // Counting needs no answer length; parse it as a message would be.
            let mut body = body.clone();
            if let Some(o) = body.as_object_mut() {
                o.entry("max_tokens").or_insert(Value::from(1));
            }
            let parsed = messages::request::parse(&body, model_id)?;
            Ok((parsed.chat, ClientFormat::Messages(parsed.echo)))
        }
        other => Err(GatewayError::invalid_request(
            ErrorCode::UnsupportedForProvider,
            format!("The {} endpoint cannot be translated for this provider.", other.name()),
        )
        .with_param("model")),
    }
}

impl ClientFormat {
    /// Tools of the request the provider never saw (OpenAI's built-in ones).
    pub fn dropped_tools(&self) -> &[String] {
        match self {
            ClientFormat::Responses(echo) => &echo.dropped_tools,
            _ => &[],
        }
    }

    /// Holds the answer length to the model's ceiling for clients of another
    /// provider's API, which choose it for that provider's models: Claude
    /// Code asks every model for 32,000 tokens, which gpt-4o-mini (16,384)
    /// refuses. Chat clients chose for this model and keep what they asked.
    pub fn fit_max_tokens(&self, chat: &mut ChatRequest, model_max_output: Option<u32>) {
        if matches!(self, ClientFormat::Chat { .. }) {
            return;
        }
        if let (Some(asked), Some(ceiling)) = (chat.max_tokens, model_max_output) {
            chat.max_tokens = Some(asked.min(ceiling));
        }
    }

    /// A complete answer in the client's format. `id` is the gateway's
    /// request id, `created` in seconds.
    pub fn to_json(&self, answer: &ChatResponse, id: &str, model: &str, created: u64) -> Vec<u8> {
        match self {
            ClientFormat::Chat { .. } => chat_response::to_json(answer, id, model, created),
            ClientFormat::Responses(echo) => responses::response::to_json(answer, echo, id, model, created),
            ClientFormat::Messages(echo) => messages::response::to_json(answer, echo, id, model),
        }
    }

    /// The encoder of a streamed answer in the client's format.
    pub fn encoder(self, id: &str, model: &str, created: u64) -> Box<dyn ClientStreamEncoder> {
        match self {
            ClientFormat::Chat { include_usage } => Box::new(ChunkEncoder::new(id, model, created, include_usage)),
            ClientFormat::Responses(echo) => Box::new(ResponsesEncoder::new(*echo, id, model, created)),
            ClientFormat::Messages(echo) => Box::new(MessagesEncoder::new(echo, id, model)),
        }
    }
}

/// `/v1/messages/count_tokens` for providers that cannot count: an estimate.
pub fn count_tokens(chat: &ChatRequest) -> Vec<u8> {
    count_tokens::to_json(count_tokens::estimate(chat))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::model::FinishReason;
    use serde_json::json;

    fn answer() -> ChatResponse {
        ChatResponse { text: Some("hi".into()), finish_reason: Some(FinishReason::Stop), ..Default::default() }
    }

    #[test]
    fn each_client_format_round_trips_in_its_own_shape() {
        let chat = json!({"model": "x", "messages": [{"role": "user", "content": "q"}]});
        let responses = json!({"model": "x", "input": "q"});
        let messages = json!({"model": "x", "max_tokens": 5, "messages": [{"role": "user", "content": "q"}]});
        let cases = [
            (Endpoint::ChatCompletions, chat, "/choices/0/message/content"),
            (Endpoint::Responses, responses, "/output/0/content/0/text"),
            (Endpoint::Messages, messages, "/content/0/text"),
        ];
        for (endpoint, body, text_at) in cases {
            let (req, format) = parse(&endpoint, &body, "m").unwrap();
            assert_eq!(req.model, "m");
            assert_eq!(req.messages[0].text(), "q");
            let out: Value = serde_json::from_slice(&format.to_json(&answer(), "r1", "m", 0)).unwrap();
            assert_eq!(out.pointer(text_at), Some(&json!("hi")), "{endpoint:?}: {out}");
        }
    }

    #[test]
    fn other_apis_are_held_to_the_model_ceiling_chat_is_not() {
        let messages = json!({"model": "x", "max_tokens": 32000, "messages": [{"role": "user", "content": "q"}]});
        let (mut chat, format) = parse(&Endpoint::Messages, &messages, "x").unwrap();
        format.fit_max_tokens(&mut chat, Some(16384));
        assert_eq!(chat.max_tokens, Some(16384));
        format.fit_max_tokens(&mut chat, None);
        assert_eq!(chat.max_tokens, Some(16384));
        let small = json!({"model": "x", "max_tokens": 100, "messages": [{"role": "user", "content": "q"}]});
        let (mut chat, format) = parse(&Endpoint::Messages, &small, "x").unwrap();
        format.fit_max_tokens(&mut chat, Some(16384));
        assert_eq!(chat.max_tokens, Some(100));
        let openai = json!({"model": "x", "max_tokens": 32000, "messages": [{"role": "user", "content": "q"}]});
        let (mut chat, format) = parse(&Endpoint::ChatCompletions, &openai, "x").unwrap();
        format.fit_max_tokens(&mut chat, Some(16384));
        assert_eq!(chat.max_tokens, Some(32000));
    }

    #[test]
    fn token_counts_need_no_max_tokens_but_messages_do() {
        let body = json!({"model": "x", "messages": [{"role": "user", "content": "count these words please"}]});
        let (req, _) = parse(&Endpoint::CountTokens, &body, "m").unwrap();
        let counted: Value = serde_json::from_slice(&count_tokens(&req)).unwrap();
        assert!(counted["input_tokens"].as_u64().unwrap() > 0);
        assert_eq!(parse(&Endpoint::Messages, &body, "m").unwrap_err().status, 400);
        assert_eq!(parse(&Endpoint::Embeddings, &body, "m").unwrap_err().code, "unsupported_for_provider");
    }
}
