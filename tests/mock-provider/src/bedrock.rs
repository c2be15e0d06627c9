//! AWS Bedrock Runtime's wire format: Converse (JSON), ConverseStream (the
//! binary AWS event stream, `application/vnd.amazon.eventstream`, with real
//! CRC32s), InvokeModel for Titan and Cohere embeddings, and errors as
//! `{"message": …}` with an `x-amzn-errortype` header.
//!
//! Signatures are not verified, but a request without a SigV4
//! `authorization` header is refused as AWS refuses it (403), so tests
//! prove the gateway signed.

use crate::conversation::{Conversation, Reply, Tool};
use crate::openai::parallel_calls;
use crate::output::Output;
use crate::text;
use serde_json::{json, Value};

const ACTIONS: [&str; 4] = ["/converse", "/converse-stream", "/invoke", "/invoke-with-response-stream"];

/// A Bedrock runtime path: `…/model/<id>/<action>`.
pub fn handles(path: &str) -> bool {
    path.contains("/model/") && ACTIONS.iter().any(|a| path.ends_with(a))
}

/// Whether the request carries a SigV4 `authorization` header.
pub fn signed(authorization: Option<&str>) -> bool {
    authorization.is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 Credential="))
}

/// What AWS answers a request without a signature.
pub fn unsigned() -> Output {
    with_type(error(403, "Missing Authentication Token"), "MissingAuthenticationTokenException")
}

fn error_type(status: u16) -> &'static str {
    match status {
        403 => "AccessDeniedException",
        404 => "ResourceNotFoundException",
        408 => "ModelTimeoutException",
        424 => "ModelErrorException",
        429 => "ThrottlingException",
        503 => "ServiceUnavailableException",
        400..=499 => "ValidationException",
        _ => "InternalServerException",
    }
}

fn with_type(mut o: Output, kind: &str) -> Output {
    if let Output::Json { headers, .. } = &mut o {
        headers.retain(|(k, _)| k != "x-amzn-errortype");
        headers.push(("x-amzn-errortype".into(), format!("{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/")));
    }
    o
}

/// An error answer in Bedrock's shape.
pub fn error(status: u16, message: &str) -> Output {
    let o = Output::Json { status, body: json!({ "message": message }), headers: Vec::new() };
    with_type(o, error_type(status))
}

/// Dispatches a Bedrock runtime path (POST only).
pub fn route(path: &str, body: &Value, content: Option<&str>) -> Output {
    let model = path.split("/model/").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or("");
    if model.is_empty() {
        return error(400, "The provided model identifier is invalid.");
    }
    if path.ends_with("/converse") {
        converse(body, content, false)
    } else if path.ends_with("/converse-stream") {
        converse(body, content, true)
    } else if path.ends_with("/invoke") {
        invoke(body)
    } else {
        error(400, "The mock does not implement InvokeModelWithResponseStream.")
    }
}

fn block_text(block: &Value) -> Option<String> {
    block.get("text").and_then(Value::as_str).map(str::to_string)
}

fn tool_result_text(result: &Value) -> String {
    let empty = Vec::new();
    result
        .get("content")
        .and_then(Value::as_array)
        .unwrap_or(&empty)
        .iter()
        .map(|c| block_text(c).unwrap_or_else(|| c.get("json").map(Value::to_string).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The agent-loop view of a Converse request.
pub fn conversation(req: &Value) -> Conversation {
    let mut c = Conversation::default();
    let empty = Vec::new();
    let mut all = Vec::new();
    let system: Vec<String> =
        req.get("system").and_then(Value::as_array).unwrap_or(&empty).iter().filter_map(block_text).collect();
    if !system.is_empty() {
        all.push(system.join(" "));
        c.system = Some(system.join("\n\n"));
    }
    for m in req.get("messages").and_then(Value::as_array).unwrap_or(&empty) {
        let user = m.get("role").and_then(Value::as_str) == Some("user");
        let mut texts = Vec::new();
        for block in m.get("content").and_then(Value::as_array).unwrap_or(&empty) {
            if let Some(t) = block_text(block) {
                all.push(t.clone());
                texts.push(t);
                if user {
                    c.tool_result = None;
                }
            } else if let Some(result) = block.get("toolResult").filter(|_| user) {
                let t = tool_result_text(result);
                all.push(t.clone());
                c.tool_result = Some(t);
            }
        }
        if user && !texts.is_empty() {
            c.last_user = texts.join(" ");
        }
    }
    for t in req.pointer("/toolConfig/tools").and_then(Value::as_array).unwrap_or(&empty) {
        if let Some(spec) = t.get("toolSpec") {
            if let Some(name) = spec.get("name").and_then(Value::as_str) {
                let parameters = spec.pointer("/inputSchema/json").cloned().unwrap_or(json!({}));
                c.tools.push(Tool { name: name.into(), parameters });
            }
        }
    }
    c.parallel_calls = parallel_calls(None, &c.last_user, c.tools.len());
    c.all_text = all.join(" ");
    c
}

fn reply_tokens(reply: &Reply) -> u64 {
    match reply {
        Reply::Text(t) => text::tokens(t),
        Reply::ToolCalls(calls) => calls.iter().map(|(_, n, a)| text::tokens(&format!("{n}{a}"))).sum(),
    }
}

fn usage(input: u64, output: u64) -> Value {
    json!({ "inputTokens": input, "outputTokens": output, "totalTokens": input + output })
}

pub fn converse(req: &Value, content: Option<&str>, stream: bool) -> Output {
    let conv = conversation(req);
    let reply = conv.reply(content);
    let (input, output) = (conv.prompt_tokens(), reply_tokens(&reply));
    let stop_reason = match reply {
        Reply::Text(_) => "end_turn",
        Reply::ToolCalls(_) => "tool_use",
    };
    if !stream {
        let blocks: Vec<Value> = match &reply {
            Reply::Text(t) => vec![json!({ "text": t })],
            Reply::ToolCalls(calls) => calls
                .iter()
                .map(|(id, name, args)| json!({ "toolUse": { "toolUseId": id, "name": name, "input": args } }))
                .collect(),
        };
        return Output::json(
            200,
            json!({
                "output": { "message": { "role": "assistant", "content": blocks } },
                "stopReason": stop_reason,
                "usage": usage(input, output),
                "metrics": { "latencyMs": 1 }
            }),
        );
    }
    let mut events = vec![event("messageStart", json!({ "role": "assistant" }))];
    match &reply {
        Reply::Text(t) => {
            for piece in text::pieces(t) {
                events.push(event("contentBlockDelta", json!({ "contentBlockIndex": 0, "delta": { "text": piece } })));
            }
            events.push(event("contentBlockStop", json!({ "contentBlockIndex": 0 })));
        }
        Reply::ToolCalls(calls) => {
            for (i, (id, name, args)) in calls.iter().enumerate() {
                let start = json!({ "toolUse": { "toolUseId": id, "name": name } });
                events.push(event("contentBlockStart", json!({ "contentBlockIndex": i, "start": start })));
                let args = args.to_string();
                let mid = (0..=args.len() / 2).rev().find(|&m| args.is_char_boundary(m)).unwrap_or(0);
                for part in [&args[..mid], &args[mid..]] {
                    let delta = json!({ "toolUse": { "input": part } });
                    events.push(event("contentBlockDelta", json!({ "contentBlockIndex": i, "delta": delta })));
                }
                events.push(event("contentBlockStop", json!({ "contentBlockIndex": i })));
            }
        }
    }
    events.push(event("messageStop", json!({ "stopReason": stop_reason })));
    events.push(event("metadata", json!({ "usage": usage(input, output), "metrics": { "latencyMs": 1 } })));
    Output::Stream { content_type: "application/vnd.amazon.eventstream", chunks: events }
}

/// InvokeModel for embedding models: Titan (`inputText`) or Cohere (`texts`).
pub fn invoke(req: &Value) -> Output {
    if let Some(input) = req.get("inputText").and_then(Value::as_str) {
        let dims = req
            .get("dimensions")
            .or_else(|| req.pointer("/embeddingConfig/outputEmbeddingLength"))
            .and_then(Value::as_u64)
            .unwrap_or(1024) as usize;
        let v = text::embed(input, dims);
        return Output::json(
            200,
            json!({ "embedding": v, "embeddingsByType": { "float": v }, "inputTextTokenCount": text::tokens(input) }),
        );
    }
    if let Some(texts) = req.get("texts").and_then(Value::as_array) {
        let texts: Vec<String> = texts.iter().filter_map(Value::as_str).map(str::to_string).collect();
        let dims = req.get("output_dimension").and_then(Value::as_u64).unwrap_or(1024) as usize;
        let vectors: Vec<Vec<f32>> = texts.iter().map(|t| text::embed(t, dims)).collect();
        let typed = req.get("embedding_types").is_some();
        let (embeddings, kind) =
            if typed { (json!({ "float": vectors }), "embeddings_by_type") } else { (json!(vectors), "embeddings_floats") };
        return Output::json(
            200,
            json!({ "id": "mock-embed", "embeddings": embeddings, "response_type": kind, "texts": texts }),
        );
    }
    error(400, "Malformed input request: expected inputText (Titan) or texts (Cohere), please reformat your input and try again.")
}

/// One event-stream frame for a ConverseStream event (with the `p`
/// padding member Bedrock adds to every payload).
fn event(kind: &str, mut payload: Value) -> Vec<u8> {
    payload["p"] = json!("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"[..(kind.len() * 3) % 40 + 1]);
    let headers = [(":event-type", kind), (":content-type", "application/json"), (":message-type", "event")];
    frame(&headers, payload.to_string().as_bytes())
}

fn crc(bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(bytes);
    h.finalize()
}

/// Encodes one AWS event-stream message with string headers:
/// prelude (total length, headers length, CRC), headers, payload, CRC.
pub fn frame(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    for (name, value) in headers {
        h.push(name.len() as u8);
        h.extend_from_slice(name.as_bytes());
        h.push(7); // string
        h.extend_from_slice(&(value.len() as u16).to_be_bytes());
        h.extend_from_slice(value.as_bytes());
    }
    let total = (12 + h.len() + payload.len() + 4) as u32;
    let mut out = Vec::with_capacity(total as usize);
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&(h.len() as u32).to_be_bytes());
    let prelude_crc = crc(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(payload);
    let message_crc = crc(&out);
    out.extend_from_slice(&message_crc.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads frames back, checking both CRCs: (event type, payload).
    fn unframe(chunks: &[Vec<u8>]) -> Vec<(String, Value)> {
        chunks
            .iter()
            .map(|f| {
                let total = u32::from_be_bytes(f[0..4].try_into().unwrap()) as usize;
                let hlen = u32::from_be_bytes(f[4..8].try_into().unwrap()) as usize;
                assert_eq!(total, f.len());
                assert_eq!(crc(&f[..8]), u32::from_be_bytes(f[8..12].try_into().unwrap()));
                assert_eq!(crc(&f[..total - 4]), u32::from_be_bytes(f[total - 4..].try_into().unwrap()));
                let (mut h, mut kind) = (&f[12..12 + hlen], String::new());
                while !h.is_empty() {
                    let n = h[0] as usize;
                    let name = std::str::from_utf8(&h[1..1 + n]).unwrap();
                    let len = u16::from_be_bytes([h[2 + n], h[3 + n]]) as usize;
                    if name == ":event-type" {
                        kind = std::str::from_utf8(&h[4 + n..4 + n + len]).unwrap().to_string();
                    }
                    h = &h[4 + n + len..];
                }
                (kind, serde_json::from_slice(&f[12 + hlen..total - 4]).unwrap())
            })
            .collect()
    }

    fn stream_of(o: Output) -> Vec<(String, Value)> {
        match o {
            Output::Stream { content_type, chunks } => {
                assert_eq!(content_type, "application/vnd.amazon.eventstream");
                unframe(&chunks)
            }
            _ => panic!("not a stream"),
        }
    }

    fn weather_request(extra: Value) -> Value {
        let mut req = json!({"messages": [{"role": "user", "content": [{"text": "Paris"}]}],
            "toolConfig": {"tools": [{"toolSpec": {"name": "get_weather",
                "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}}]}});
        if let Value::Object(m) = extra {
            req.as_object_mut().unwrap().extend(m);
        }
        req
    }

    #[test]
    fn converse_answers_and_agent_loop() {
        let req = json!({"system": [{"text": "Be brief."}], "messages": [{"role": "user", "content": [{"text": "hello there"}]}]});
        let Output::Json { body, .. } = route("/model/amazon.nova-pro-v1%3A0/converse", &req, None) else { panic!() };
        assert_eq!(body["output"]["message"]["content"][0]["text"], "Mock answer to: hello there");
        assert_eq!(body["stopReason"], "end_turn");
        assert!(body["usage"]["inputTokens"].as_u64().unwrap() > 0);

        let Output::Json { body, .. } = converse(&weather_request(json!({})), None, false) else { panic!() };
        assert_eq!(body["stopReason"], "tool_use");
        let tu = &body["output"]["message"]["content"][0]["toolUse"];
        assert_eq!((tu["name"].as_str(), &tu["input"]), (Some("get_weather"), &json!({"city": "Paris"})));

        let follow_up = weather_request(json!({"messages": [
            {"role": "user", "content": [{"text": "Paris"}]},
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "call_mock_0", "name": "get_weather", "input": {"city": "Paris"}}}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": "call_mock_0", "content": [{"text": "sunny"}]}}]}
        ]}));
        let Output::Json { body, .. } = converse(&follow_up, None, false) else { panic!() };
        assert_eq!(body["output"]["message"]["content"][0]["text"], "The tool returned: sunny");
    }

    #[test]
    fn converse_stream_frames() {
        let req = json!({"messages": [{"role": "user", "content": [{"text": "hello there"}]}]});
        let events = stream_of(converse(&req, None, true));
        let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kinds.first(), Some(&"messageStart"));
        assert_eq!(&kinds[kinds.len() - 3..], &["contentBlockStop", "messageStop", "metadata"]);
        let text: String = events.iter().filter_map(|(_, p)| p.pointer("/delta/text").and_then(Value::as_str)).collect();
        assert_eq!(text, "Mock answer to: hello there");

        let events = stream_of(converse(&weather_request(json!({})), None, true));
        assert_eq!(events[1].1["start"]["toolUse"]["name"], "get_weather");
        let args: String = events.iter().filter_map(|(_, p)| p.pointer("/delta/toolUse/input").and_then(Value::as_str)).collect();
        assert_eq!(serde_json::from_str::<Value>(&args).unwrap(), json!({"city": "Paris"}));
        assert_eq!(events[events.len() - 2].1["stopReason"], "tool_use");
    }

    #[test]
    fn embeddings_in_both_shapes() {
        let Output::Json { body, .. } = invoke(&json!({"inputText": "capital of France", "dimensions": 256, "normalize": true})) else { panic!() };
        assert_eq!(body["embedding"].as_array().unwrap().len(), 256);
        assert_eq!(body["inputTextTokenCount"], 5);
        let Output::Json { body, .. } = invoke(&json!({"texts": ["a", "b"], "input_type": "search_document"})) else { panic!() };
        assert_eq!(body["embeddings"].as_array().unwrap().len(), 2);
        let Output::Json { body, .. } = invoke(&json!({"texts": ["a"], "embedding_types": ["float"], "output_dimension": 8})) else { panic!() };
        assert_eq!(body["embeddings"]["float"][0].as_array().unwrap().len(), 8);
        let Output::Json { status, .. } = invoke(&json!({"prompt": "x"})) else { panic!() };
        assert_eq!(status, 400);
    }

    #[test]
    fn errors_and_signatures() {
        let Output::Json { status, body, headers } = error(429, "Too many requests") else { panic!() };
        assert_eq!((status, body), (429, json!({"message": "Too many requests"})));
        assert!(headers.iter().any(|(k, v)| k == "x-amzn-errortype" && v.starts_with("ThrottlingException:")));
        let Output::Json { status, headers, .. } = unsigned() else { panic!() };
        assert_eq!(status, 403);
        assert!(headers.iter().any(|(_, v)| v.starts_with("MissingAuthenticationTokenException:")));
        assert!(signed(Some("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=ab")));
        assert!(!signed(Some("Bearer sk-1")) && !signed(None));
        assert!(handles("/~tag=b/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream"));
        assert!(!handles("/v1/chat/completions") && !handles("/v1/models"));
    }
}
