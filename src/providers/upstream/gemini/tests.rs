//! Golden-fixture tests (`tests/fixtures/gemini/`): OpenAI requests → Gemini
//! bodies, Gemini answers, streams and errors → the internal model.

use super::*;
use crate::catalog::{catalog, AuthScheme, ProviderSpec};
use crate::providers::adapter::adapter_for;
use crate::providers::model::embeddings::EmbeddingsRequest;
use crate::providers::model::{FinishReason, StreamEvent, ToolCall};
use crate::providers::client::chat as openai_format;
use crate::providers::client::chat::chunks::ChunkEncoder;
use crate::providers::stream_transform::{ChunkOut, StreamTransform};
use crate::providers::translate::TranslatingStream;
use crate::core::usage::Usage;
use serde_json::{json, Value};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../../../tests/fixtures/gemini/", $name))
    };
}

static CONFIG: Value = Value::Null;

fn spec() -> &'static ProviderSpec {
    catalog().provider("google").expect("gemini is in the catalog under its alias")
}

fn target<'a>(provider: &'a ProviderSpec, model: &'a str) -> Target<'a> {
    Target {
        provider,
        model_id: model,
        base_url: &provider.base_url,
        secret: Some("AIza-test-key"),
        config: &CONFIG,
        now_ms: 0,
    }
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn openai_request(text: &str, model: &str) -> ChatRequest {
    openai_format::request::parse(&serde_json::from_str(text).unwrap(), model).unwrap()
}

// ------------------------------------------------------------- requests

#[test]
fn tool_conversation_request_matches_the_golden_body() {
    let req = openai_request(fixture!("chat_request.openai.json"), "gemini-2.5-flash");
    let up = Gemini.build_chat(&req, &target(spec(), "gemini-2.5-flash")).unwrap();
    assert_eq!(json_of(up.body.as_ref().unwrap()), json_of(fixture!("chat_request.gemini.json").as_bytes()));
    assert_eq!(
        up.url,
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
    assert_eq!(up.method, "POST");
    assert_eq!(up.header("x-goog-api-key"), Some("AIza-test-key"));
    assert_eq!(up.header("accept"), Some("text/event-stream"));
    assert_eq!(up.header("content-type"), Some("application/json"));
    assert_eq!(up.header("authorization"), None);
}

#[test]
fn gemini_3_replays_calls_with_the_skip_signature() {
    let req = openai_request(fixture!("chat_request.openai.json"), "gemini-3-pro-preview");
    let up = Gemini.build_chat(&req, &target(spec(), "gemini-3-pro-preview")).unwrap();
    let body = json_of(up.body.as_ref().unwrap());
    let mut expected = json_of(fixture!("chat_request.gemini.json").as_bytes());
    for i in [1, 2] {
        expected["contents"][1]["parts"][i]["thoughtSignature"] = json!("skip_thought_signature_validator");
    }
    assert_eq!(body, expected);
}

#[test]
fn json_schema_request_matches_the_golden_body() {
    let req = openai_request(fixture!("json_schema_request.openai.json"), "gemini-2.5-pro");
    let up = Gemini.build_chat(&req, &target(spec(), "gemini-2.5-pro")).unwrap();
    assert_eq!(json_of(up.body.as_ref().unwrap()), json_of(fixture!("json_schema_request.gemini.json").as_bytes()));
    assert_eq!(up.url, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent");
    assert_eq!(up.header("accept"), Some("application/json"));
}

#[test]
fn json_object_and_tool_choices() {
    use crate::providers::model::{Tool, ToolChoice};
    let mut req = openai_request(
        r#"{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}"#,
        "m",
    );
    let body = |req: &ChatRequest| {
        json_of(Gemini.build_chat(req, &target(spec(), "gemini-2.5-flash")).unwrap().body.as_ref().unwrap())
    };
    assert_eq!(body(&req)["generationConfig"], json!({"responseMimeType": "application/json"}));
    req.response_format = None;
    req.tools = vec![Tool { name: "f".into(), description: None, parameters: json!({}) }];
    for (choice, config) in [
        (None, Value::Null),
        (Some(ToolChoice::Auto), json!({"mode": "AUTO"})),
        (Some(ToolChoice::None), json!({"mode": "NONE"})),
        (Some(ToolChoice::Required), json!({"mode": "ANY"})),
        (Some(ToolChoice::Function("f".into())), json!({"mode": "ANY", "allowedFunctionNames": ["f"]})),
    ] {
        req.tool_choice = choice;
        let b = body(&req);
        assert_eq!(b["tools"], json!([{"functionDeclarations": [{"name": "f"}]}]));
        match config {
            Value::Null => assert!(b.get("toolConfig").is_none()),
            c => assert_eq!(b["toolConfig"]["functionCallingConfig"], c),
        }
    }
}

#[test]
fn base_urls_and_query_key_auth() {
    let req = openai_request(r#"{"messages":[{"role":"user","content":"hi"}],"stream":true}"#, "m");
    let mut custom = spec().clone();
    custom.auth = AuthScheme::QueryKey;
    custom.base_url = "https://gateway.example/google-ai-studio/v1beta/".into();
    let up = Gemini.build_chat(&req, &target(&custom, "models/gemini-2.5-flash")).unwrap();
    assert_eq!(
        up.url,
        "https://gateway.example/google-ai-studio/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=AIza-test-key"
    );
    assert_eq!(up.header("x-goog-api-key"), None);
    let tuned =
        Gemini.build_chat(&ChatRequest { stream: false, ..req }, &target(spec(), "tunedModels/my-model-7")).unwrap();
    assert_eq!(tuned.url, "https://generativelanguage.googleapis.com/v1beta/tunedModels/my-model-7:generateContent");
}

// -------------------------------------------------------------- answers

#[test]
fn text_answer_with_thoughts_and_cache() {
    let r = Gemini.parse_chat(fixture!("response_text.json").as_bytes()).unwrap();
    assert_eq!(r.id.as_deref(), Some("Xo9xaPq4Ns2hz7IP5tDO8AQ"));
    assert_eq!(r.model.as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(r.text.as_deref(), Some("The capital of France is Paris."));
    assert_eq!(r.reasoning.as_deref(), Some("**Answering directly**\n\nThe user asks for a capital; no tools needed."));
    assert_eq!(r.finish_reason, Some(FinishReason::Stop));
    let u = r.usage.unwrap();
    assert_eq!(
        u,
        Usage {
            prompt_tokens: 2056,
            completion_tokens: 61,
            cached_tokens: 2048,
            reasoning_tokens: 53,
            ..Default::default()
        }
    );
    assert_eq!(u.total_tokens(), 2117, "equals Gemini's totalTokenCount");

    let openai = json_of(&openai_format::response::to_json(&r, "req-1", "gemini-2.5-flash", 1));
    assert_eq!(openai["choices"][0]["message"]["content"], "The capital of France is Paris.");
    assert_eq!(openai["usage"]["prompt_tokens_details"]["cached_tokens"], 2048);
    assert_eq!(openai["usage"]["completion_tokens_details"]["reasoning_tokens"], 53);
}

#[test]
fn parallel_tool_call_answer() {
    let r = Gemini.parse_chat(fixture!("response_tools.json").as_bytes()).unwrap();
    assert_eq!(
        r.tool_calls,
        vec![
            ToolCall {
                id: "call_0".into(),
                name: "get_weather".into(),
                arguments: r#"{"city":"Paris","unit":"celsius"}"#.into()
            },
            ToolCall { id: "call_1".into(), name: "get_time".into(), arguments: "{}".into() },
        ]
    );
    assert_eq!(r.text, None);
    assert_eq!(r.finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(r.usage.unwrap().completion_tokens, 70);
}

#[test]
fn blocked_prompt_is_a_content_filtered_answer() {
    let r = Gemini.parse_chat(fixture!("response_blocked.json").as_bytes()).unwrap();
    assert_eq!(r.finish_reason, Some(FinishReason::ContentFilter));
    assert_eq!(r.text.as_deref(), Some(""));
    assert_eq!(r.usage.unwrap().prompt_tokens, 14);
    assert!(r.tool_calls.is_empty());
}

#[test]
fn max_tokens_is_length() {
    let r = Gemini.parse_chat(fixture!("response_max_tokens.json").as_bytes()).unwrap();
    assert_eq!(r.finish_reason, Some(FinishReason::Length));
    assert_eq!(r.text.as_deref(), Some("Once upon a time, in a"));
}

// -------------------------------------------------------------- streams

/// Decodes a stream fed in pieces of `size` bytes.
fn decode_chunked(bytes: &[u8], size: usize) -> Vec<StreamEvent> {
    crate::testkit::decode_in_chunks(&|| Gemini.stream_decoder(), bytes, size)
}

/// The same events whole, byte by byte, and split at every byte.
fn decode_everywhere(src: &str) -> Vec<StreamEvent> {
    crate::testkit::assert_chunking_invariant(&|| Gemini.stream_decoder(), src.as_bytes(), &|e| e)
}

fn start(id: &str, model: &str) -> StreamEvent {
    StreamEvent::Start { id: Some(id.into()), model: Some(model.into()) }
}

#[test]
fn text_stream() {
    let events = decode_everywhere(fixture!("stream_text.sse"));
    assert_eq!(
        events,
        vec![
            start("mAJxaNWcGdKgz7IPlbHX6Q4", "gemini-2.5-flash"),
            StreamEvent::TextDelta("The capital of France".into()),
            StreamEvent::TextDelta(" is Paris — «la Ville Lumière» 🗼.".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(Usage { prompt_tokens: 9, completion_tokens: 17, ..Default::default() }),
            StreamEvent::Done,
        ]
    );
}

#[test]
fn json_array_stream_reads_like_sse() {
    let events = decode_everywhere(fixture!("stream_text.array.json"));
    assert_eq!(events, decode_chunked(fixture!("stream_text.sse").as_bytes(), 64));
}

#[test]
fn tool_call_stream() {
    let events = decode_everywhere(fixture!("stream_tools.sse"));
    assert_eq!(
        events,
        vec![
            start("oJtxaK2uHMW1z7IP3Kf5uQ0", "gemini-3-flash-preview"),
            StreamEvent::TextDelta("Checking both.".into()),
            StreamEvent::ToolCallStart { index: 0, id: "call_0".into(), name: "get_weather".into() },
            StreamEvent::ToolCallArgs { index: 0, delta: r#"{"city":"Paris","unit":"celsius"}"#.into() },
            StreamEvent::ToolCallStart { index: 1, id: "call_1".into(), name: "get_time".into() },
            StreamEvent::ToolCallArgs { index: 1, delta: "{}".into() },
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Usage(Usage {
                prompt_tokens: 120,
                completion_tokens: 74,
                reasoning_tokens: 39,
                ..Default::default()
            }),
            StreamEvent::Done,
        ]
    );
}

#[test]
fn thinking_stream() {
    let events = decode_everywhere(fixture!("stream_thinking.sse"));
    assert_eq!(
        events,
        vec![
            start("wZxxaJu5A8mjz7IPsZ3_qAU", "gemini-2.5-pro"),
            StreamEvent::ReasoningDelta(
                "**Greeting the user**\n\nA simple hello deserves a short, friendly reply.".into()
            ),
            StreamEvent::TextDelta("Hello! How can I help you today?".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(Usage {
                prompt_tokens: 4,
                completion_tokens: 50,
                reasoning_tokens: 41,
                ..Default::default()
            }),
            StreamEvent::Done,
        ]
    );
}

#[test]
fn in_stream_error_ends_without_done() {
    let events = decode_everywhere(fixture!("stream_error.sse"));
    assert_eq!(
        events,
        vec![
            start("1Z1xaPXaBYGmz7IP9MeP4Qc", "gemini-2.5-flash"),
            StreamEvent::TextDelta("Once upon".into()),
            StreamEvent::Error {
                message: "Gemini: UNAVAILABLE: The model is overloaded. Please try again later.".into()
            },
            StreamEvent::Usage(Usage { prompt_tokens: 6, ..Default::default() }),
        ]
    );
}

#[test]
fn stream_without_finish_reason_is_incomplete() {
    let events = decode_everywhere(fixture!("stream_truncated.sse"));
    assert!(!events.contains(&StreamEvent::Done));
    assert!(!events.iter().any(|e| matches!(e, StreamEvent::Finish(_))));
    assert_eq!(
        events.last(),
        Some(&StreamEvent::Usage(Usage { prompt_tokens: 6, completion_tokens: 4, ..Default::default() }))
    );
}

#[test]
fn blocked_stream_finishes_as_content_filter() {
    let events = decode_everywhere(fixture!("stream_blocked.sse"));
    assert_eq!(
        events,
        vec![
            start("R55xaKDOJpOsz7IP7uvq-Ac", "gemini-2.5-flash"),
            StreamEvent::Finish(FinishReason::ContentFilter),
            StreamEvent::Usage(Usage { prompt_tokens: 11, ..Default::default() }),
            StreamEvent::Done,
        ]
    );
}

#[test]
fn unterminated_last_event_and_garbage() {
    // The final event without its blank line is still read at the end.
    let src = fixture!("stream_text.sse").trim_end();
    assert_eq!(decode_chunked(src.as_bytes(), 7).last(), Some(&StreamEvent::Done));
    let events = decode_chunked(b"data: {\"candidates\": [\n\n", 100);
    assert!(matches!(events.as_slice(), [StreamEvent::Error { .. }]), "{events:?}");
    // An error body without SSE framing is still an error, not silence.
    let events = decode_chunked(fixture!("error_400.json").as_bytes(), 9);
    assert!(
        matches!(events.as_slice(), [StreamEvent::Error { message }] if message.contains("INVALID_ARGUMENT")),
        "{events:?}"
    );
}

#[test]
fn translated_to_openai_chunks() {
    let mut t =
        TranslatingStream::new(Gemini.stream_decoder(), Box::new(ChunkEncoder::new("r1", "gemini-3-flash-preview", 9, true)));
    let mut out = Vec::new();
    for c in fixture!("stream_tools.sse").as_bytes().chunks(13) {
        match t.push(c) {
            ChunkOut::Bytes(b) => out.extend(b),
            ChunkOut::Same => panic!("a translating stream re-encodes"),
        }
    }
    out.extend(t.finish());
    let text = String::from_utf8(out).unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"));
    let chunks: Vec<Value> = text
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(chunks.iter().all(|c| c["id"] == "oJtxaK2uHMW1z7IP3Kf5uQ0"));
    let calls: Vec<&Value> = chunks.iter().filter_map(|c| c.pointer("/choices/0/delta/tool_calls/0")).collect();
    assert_eq!(calls[0]["id"], "call_0");
    assert_eq!(calls[2]["index"], 1);
    assert_eq!(calls[2]["function"]["name"], "get_time");
    let finish = chunks.iter().find_map(|c| c.pointer("/choices/0/finish_reason").and_then(Value::as_str));
    assert_eq!(finish, Some("tool_calls"));
    assert_eq!(chunks.last().unwrap()["usage"]["total_tokens"], 194);
    let s = t.summary();
    assert!(s.done);
    assert_eq!(s.usage.unwrap().reasoning_tokens, 39);
}

// ----------------------------------------------------------- embeddings

#[test]
fn embeddings_round_trip() {
    let req = EmbeddingsRequest {
        model: "gemini-embedding-001".into(),
        inputs: vec!["What is the capital of France?".into(), "How do I bake bread?".into()],
        dimensions: Some(3),
        ..Default::default()
    };
    let ups = Gemini.build_embeddings(&req, &target(spec(), "gemini-embedding-001")).unwrap();
    assert_eq!(ups.len(), 1);
    assert_eq!(
        ups[0].url,
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents"
    );
    assert_eq!(ups[0].header("x-goog-api-key"), Some("AIza-test-key"));
    assert_eq!(json_of(ups[0].body.as_ref().unwrap()), json_of(fixture!("embed_request.gemini.json").as_bytes()));

    let r = Gemini.parse_embeddings(&[fixture!("embed_response.json").as_bytes().to_vec()], &req).unwrap();
    assert_eq!(r.vectors.len(), 2);
    assert_eq!(r.vectors[1], vec![0.0108245, -0.038261093, -0.004451763]);
    assert_eq!(r.usage.prompt_tokens, 8 + 5, "estimated at ~4 characters a token");

    let short = EmbeddingsRequest { inputs: vec!["x".into()], ..req.clone() };
    let e = Gemini.parse_embeddings(&[fixture!("embed_response.json").as_bytes().to_vec()], &short).unwrap_err();
    assert_eq!(e.status, 502);
}

#[test]
fn large_embedding_requests_are_batched() {
    let req =
        EmbeddingsRequest { model: "text-embedding-004".into(), inputs: vec!["a".into(); 230], ..Default::default() };
    let ups = Gemini.build_embeddings(&req, &target(spec(), "text-embedding-004")).unwrap();
    let sizes: Vec<usize> =
        ups.iter().map(|u| json_of(u.body.as_ref().unwrap())["requests"].as_array().unwrap().len()).collect();
    assert_eq!(sizes, vec![100, 100, 30]);
    assert!(json_of(ups[0].body.as_ref().unwrap())["requests"][0].get("outputDimensionality").is_none());
    let answer = |n: usize| serde_json::to_vec(&json!({"embeddings": vec![json!({"values": [1.0]}); n]})).unwrap();
    let r = Gemini.parse_embeddings(&[answer(100), answer(100), answer(30)], &req).unwrap();
    assert_eq!(r.vectors.len(), 230);
}

// --------------------------------------------------------------- errors

#[test]
fn error_bodies() {
    let s = spec();
    let e = Gemini.error_from(400, fixture!("error_400.json").as_bytes(), &target(s, "m"));
    assert_eq!((e.status, e.code.as_str()), (400, "invalid_argument"));
    assert!(e.message.contains("should be non-empty for OBJECT type"), "{}", e.message);
    assert!(e.from_upstream);

    let e = Gemini.error_from(400, fixture!("error_api_key.json").as_bytes(), &target(s, "m"));
    assert_eq!((e.status, e.code.as_str()), (401, "provider_auth_failed"));
    assert!(!e.message.contains("API key not valid"));

    let e = Gemini.error_from(429, fixture!("error_429.json").as_bytes(), &target(s, "m"));
    assert_eq!((e.status, e.code.as_str(), e.retry_after), (429, "resource_exhausted", Some(37)));
    assert_eq!(e.error_type, crate::core::error::ErrorType::RateLimitError);

    let e = Gemini.error_from(503, b"upstream connect error", &target(s, "m"));
    assert_eq!(e.status, 503);
}

// ------------------------------------------------- registry, pass-through

#[test]
fn registered_for_its_kind() {
    assert!(adapter_for(crate::catalog::AdapterKind::Gemini).is_some());
    assert_eq!(spec().adapter, crate::catalog::AdapterKind::Gemini);
}

#[test]
fn passthrough_model_from_the_path() {
    let m = |path: &str, body: &[u8]| Gemini.passthrough_model(path, body);
    assert_eq!(m("/v1beta/models/gemini-2.5-flash:generateContent", b"{}").as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(
        m("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", b"").as_deref(),
        Some("gemini-2.5-pro")
    );
    assert_eq!(
        m("/gemini/v1/models/gemini-embedding-001:batchEmbedContents", b"").as_deref(),
        Some("gemini-embedding-001")
    );
    assert_eq!(m("/v1beta/tunedModels/my-model-7:generateContent", b"").as_deref(), Some("my-model-7"));
    assert_eq!(
        m("/v1beta/cachedContents", br#"{"model":"models/gemini-2.5-flash"}"#).as_deref(),
        Some("gemini-2.5-flash")
    );
    assert_eq!(m("/v1beta/files", b"").as_deref(), None);
}
