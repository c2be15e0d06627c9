//! A stored answer in the form this request wants: a JSON answer to a
//! streaming request is replayed as the chunks it would have streamed, a
//! recorded stream to a non-streaming request is folded into one JSON
//! answer, and a stream is replayed with or without its usage chunk as the
//! client asked (`stream_options.include_usage`).

use super::convert::{self, AnswerKind};
use super::entry::{StoredAnswer, StoredBody};

pub const SSE_CONTENT_TYPE: &str = "text/event-stream; charset=utf-8";

#[derive(Debug, PartialEq)]
pub enum Served {
    Json(String),
    Sse(Vec<u8>),
}

/// What the request wants back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wanted {
    /// The endpoint's answer shape; `None` for endpoints that never stream
    /// (embeddings), whose answers are served only as stored.
    pub kind: Option<AnswerKind>,
    pub stream: bool,
    pub include_usage: bool,
}

impl Wanted {
    pub fn for_endpoint(endpoint: &str, stream: bool, include_usage: bool) -> Wanted {
        let kind = match endpoint {
            "chat" => Some(AnswerKind::Chat),
            "completions" => Some(AnswerKind::Completion),
            _ => None,
        };
        Wanted { kind, stream, include_usage }
    }
}

/// `None` when the stored form cannot be turned into the wanted one (then
/// the request is treated as a miss).
pub fn serve(answer: &StoredAnswer, wanted: Wanted) -> Option<Served> {
    match (&answer.body, wanted.stream) {
        (StoredBody::Json { body }, false) => Some(Served::Json(body.clone())),
        (StoredBody::Json { body }, true) => {
            let kind = wanted.kind?;
            let events = convert::json_to_events(kind, body)?;
            Some(Served::Sse(convert::replay(kind, &events, wanted.include_usage, answer.usage.as_ref())))
        }
        (StoredBody::Sse { events }, true) => {
            let kind = wanted.kind?;
            Some(Served::Sse(convert::replay(kind, events, wanted.include_usage, answer.usage.as_ref())))
        }
        (StoredBody::Sse { events }, false) => convert::events_to_json(wanted.kind?, events).map(Served::Json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::usage::Usage;

    fn stored(body: StoredBody) -> StoredAnswer {
        StoredAnswer {
            body,
            usage: Some(Usage { prompt_tokens: 5, completion_tokens: 2, ..Default::default() }),
            cost_nanos: 7,
            provider: None,
            model: None,
            request_id: "r".into(),
            created_ms: 0,
            expires_ms: 1,
        }
    }

    const JSON: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Paris."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}"#;

    fn text(s: &Served) -> String {
        match s {
            Served::Json(j) => j.clone(),
            Served::Sse(b) => String::from_utf8_lossy(b).into_owned(),
        }
    }

    #[test]
    fn json_is_served_as_stored_or_as_a_stream() {
        let a = stored(StoredBody::Json { body: JSON.into() });
        assert_eq!(serve(&a, Wanted::for_endpoint("chat", false, false)), Some(Served::Json(JSON.into())));
        let sse = text(&serve(&a, Wanted::for_endpoint("chat", true, true)).unwrap());
        assert!(sse.contains("chat.completion.chunk") && sse.contains("Paris.") && sse.contains("\"total_tokens\":7"), "{sse}");
        assert!(sse.ends_with("data: [DONE]\n\n"));
        let quiet = text(&serve(&a, Wanted::for_endpoint("chat", true, false)).unwrap());
        assert!(!quiet.contains("total_tokens"), "{quiet}");
    }

    #[test]
    fn a_stream_is_replayed_or_folded() {
        let events = vec![
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Par"},"finish_reason":null}]}"#.to_string(),
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"is."},"finish_reason":"stop"}]}"#.to_string(),
        ];
        let a = stored(StoredBody::Sse { events });
        let Some(Served::Json(json)) = serve(&a, Wanted::for_endpoint("chat", false, false)) else { panic!() };
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["choices"][0]["message"]["content"], "Paris.");
        let replay = text(&serve(&a, Wanted::for_endpoint("chat", true, true)).unwrap());
        assert!(replay.starts_with("data: {\"id\":\"c\""), "{replay}");
        assert!(replay.contains("\"usage\""), "usage appended for a client that asked: {replay}");
    }

    #[test]
    fn embeddings_are_never_streamed() {
        let a = stored(StoredBody::Json { body: r#"{"object":"list","data":[]}"#.into() });
        assert!(serve(&a, Wanted::for_endpoint("embeddings", false, false)).is_some());
        assert_eq!(serve(&a, Wanted::for_endpoint("embeddings", true, false)), None);
    }
}
