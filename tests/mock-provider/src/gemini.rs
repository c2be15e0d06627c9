//! Google Gemini's wire format (`v1beta`): `models/{m}:generateContent`,
//! `:streamGenerateContent` (SSE, as with `?alt=sse`, events separated by
//! CRLF blank lines), `:batchEmbedContents`, `:embedContent`, the model
//! list, and Gemini's error shape. The key may come in `x-goog-api-key` or
//! `?key=`; like the other formats, the mock does not check it (requests
//! are recorded with headers and query for assertions).

use crate::conversation::{Conversation, Reply, Tool};
use crate::openai::parallel_calls;
use crate::output::Output;
use crate::text;
use serde_json::{json, Value};

/// Whether a path belongs to Gemini's API (so errors use its shape).
pub fn is_gemini_path(path: &str) -> bool {
    path.contains("/v1beta/") || path.rsplit('/').next().is_some_and(|last| last.contains(':'))
}

/// A field by its camelCase name or, as Google's JSON parsing also
/// accepts (and the official SDK sends for some fields), snake_case.
fn field<'a>(v: &'a Value, camel: &str) -> Option<&'a Value> {
    v.get(camel).or_else(|| {
        let snake: String = camel
            .chars()
            .flat_map(|c| if c.is_ascii_uppercase() { vec!['_', c.to_ascii_lowercase()] } else { vec![c] })
            .collect();
        v.get(snake.as_str())
    })
}

/// `…/models/{model}:{method}` → the model.
fn model_in_path(path: &str) -> String {
    path.rsplit('/')
        .next()
        .and_then(|last| last.split(':').next())
        .filter(|m| !m.is_empty())
        .unwrap_or("gemini-mock")
        .to_string()
}

fn part_texts(parts: Option<&Value>) -> Vec<String> {
    parts
        .and_then(Value::as_array)
        .map(|ps| ps.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).map(str::to_string).collect())
        .unwrap_or_default()
}

/// A function response as text: `{"result": "…"}` gives the text itself.
fn response_text(response: &Value) -> String {
    match (response.as_object().map(|o| o.len()), response.get("result").and_then(Value::as_str)) {
        (Some(1), Some(text)) => text.to_string(),
        _ => response.to_string(),
    }
}

pub fn conversation(req: &Value) -> Conversation {
    let mut c = Conversation::default();
    let mut all = Vec::new();
    let system = part_texts(field(req, "systemInstruction").and_then(|s| s.get("parts")));
    if !system.is_empty() {
        all.extend(system.iter().cloned());
        c.system = Some(system.join(""));
    }
    let empty = Vec::new();
    for content in req.get("contents").and_then(Value::as_array).unwrap_or(&empty) {
        let role = content.get("role").and_then(Value::as_str).unwrap_or("user");
        let mut user_texts = Vec::new();
        for part in content.get("parts").and_then(Value::as_array).unwrap_or(&empty) {
            if let Some(t) = part.get("text").and_then(Value::as_str) {
                all.push(t.to_string());
                if role == "user" {
                    user_texts.push(t.to_string());
                    c.last_user = user_texts.join(" ");
                    c.tool_result = None;
                }
            } else if let Some(r) = field(part, "functionResponse").and_then(|f| f.get("response")) {
                let t = response_text(r);
                all.push(t.clone());
                c.tool_result = Some(t);
                user_texts.clear();
            } else if let Some(call) = field(part, "functionCall") {
                all.push(call.to_string());
            }
        }
    }
    for group in req.get("tools").and_then(Value::as_array).unwrap_or(&empty) {
        for f in field(group, "functionDeclarations").and_then(Value::as_array).unwrap_or(&empty) {
            if let Some(name) = f.get("name").and_then(Value::as_str) {
                let parameters =
                    f.get("parameters").or_else(|| field(f, "parametersJsonSchema")).cloned().unwrap_or(json!({}));
                c.tools.push(Tool { name: name.into(), parameters });
            }
        }
    }
    let calling = field(req, "toolConfig").and_then(|t| field(t, "functionCallingConfig"));
    if calling.and_then(|f| f.get("mode")).and_then(Value::as_str) == Some("NONE") {
        c.tools.clear();
    }
    if let Some(allowed) = calling.and_then(|f| field(f, "allowedFunctionNames")).and_then(Value::as_array) {
        let allowed: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
        if !allowed.is_empty() {
            c.tools.retain(|t| allowed.contains(&t.name.as_str()));
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

fn usage(prompt: u64, candidates: Option<u64>) -> Value {
    let mut u = json!({
        "promptTokenCount": prompt,
        "totalTokenCount": prompt + candidates.unwrap_or(0),
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}]
    });
    if let Some(c) = candidates {
        u["candidatesTokenCount"] = json!(c);
    }
    u
}

fn response(parts: Vec<Value>, finish: bool, usage: Value, model: &str, id: &str) -> Value {
    let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
    if finish {
        candidate["finishReason"] = json!("STOP");
    }
    json!({"candidates": [candidate], "usageMetadata": usage, "modelVersion": model, "responseId": id})
}

fn sse_event(v: &Value) -> String {
    format!("data: {v}\r\n\r\n")
}

/// `generateContent` (JSON) or `streamGenerateContent` (SSE).
pub fn generate(path: &str, req: &Value, content: Option<&str>, request_id: &str, stream: bool) -> Output {
    if req.get("contents").and_then(Value::as_array).is_none_or(|c| c.is_empty()) {
        return error(400, "* GenerateContentRequest.contents: contents is not specified\n");
    }
    let model = model_in_path(path);
    let conv = conversation(req);
    let reply = conv.reply(content);
    let (prompt, completion) = (conv.prompt_tokens(), reply_tokens(&reply));
    let id = format!("mock{}", request_id.replace('_', ""));
    let parts: Vec<Value> = match &reply {
        Reply::Text(t) => text::pieces(t).into_iter().map(|p| json!({"text": p})).collect(),
        Reply::ToolCalls(calls) => {
            calls.iter().map(|(_, name, args)| json!({"functionCall": {"name": name, "args": args}})).collect()
        }
    };
    if !stream {
        let merged = match &reply {
            Reply::Text(t) => vec![json!({"text": t})],
            Reply::ToolCalls(_) => parts,
        };
        return Output::json(200, response(merged, true, usage(prompt, Some(completion)), &model, &id));
    }
    // One part per event; usage grows with the answer and is complete on
    // the last event, which also carries the finish reason.
    let n = parts.len().max(1);
    let parts = if parts.is_empty() { vec![json!({"text": ""})] } else { parts };
    let events = parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let last = i + 1 == n;
            let u = if last { usage(prompt, Some(completion)) } else { usage(prompt, None) };
            sse_event(&response(vec![part], last, u, &model, &id))
        })
        .collect();
    Output::sse(events)
}

fn embed_one(content: Option<&Value>, dims: Option<&Value>) -> Value {
    let text = part_texts(content.and_then(|c| c.get("parts"))).join(" ");
    let dims = dims.and_then(Value::as_u64).unwrap_or(64) as usize;
    json!({"values": text::embed(&text, dims)})
}

/// `batchEmbedContents`: `{requests: [{model, content, outputDimensionality}]}`.
pub fn batch_embed(req: &Value) -> Output {
    let Some(requests) = req.get("requests").and_then(Value::as_array).filter(|r| !r.is_empty()) else {
        return error(400, "* BatchEmbedContentsRequest.requests: requests is not specified\n");
    };
    let embeddings: Vec<Value> =
        requests.iter().map(|r| embed_one(r.get("content"), field(r, "outputDimensionality"))).collect();
    Output::json(200, json!({ "embeddings": embeddings }))
}

/// `embedContent`: `{content, outputDimensionality}`.
pub fn embed(req: &Value) -> Output {
    if req.get("content").is_none() {
        return error(400, "* EmbedContentRequest.content: content is not specified\n");
    }
    Output::json(200, json!({ "embedding": embed_one(req.get("content"), field(req, "outputDimensionality")) }))
}

pub fn models() -> Output {
    let models = [
        ("gemini-2.5-flash", "generateContent"),
        ("gemini-2.5-pro", "generateContent"),
        ("gemini-embedding-001", "embedContent"),
    ];
    let list: Vec<Value> = models
        .iter()
        .map(|(id, method)| {
            json!({"name": format!("models/{id}"), "version": "001", "displayName": id,
                "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
                "supportedGenerationMethods": [method, "countTokens"]})
        })
        .collect();
    Output::json(200, json!({ "models": list }))
}

/// Gemini's error body: `{"error": {"code", "message", "status"}}`.
pub fn error(status: u16, message: &str) -> Output {
    let rpc_status = match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ if status >= 500 => "INTERNAL",
        _ => "FAILED_PRECONDITION",
    };
    Output::json(status, json!({"error": {"code": status, "message": message, "status": rpc_status}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_body(o: Output) -> Value {
        match o {
            Output::Json { body, .. } => body,
            _ => panic!("not JSON"),
        }
    }

    fn sse_events(o: Output) -> Vec<Value> {
        let Output::Stream { chunks, content_type } = o else { panic!("not a stream") };
        assert_eq!(content_type, "text/event-stream");
        chunks
            .into_iter()
            .map(|c| {
                let s = String::from_utf8(c).unwrap();
                assert!(s.ends_with("\r\n\r\n"));
                serde_json::from_str(s.trim_end().strip_prefix("data: ").unwrap()).unwrap()
            })
            .collect()
    }

    const PATH: &str = "/v1beta/models/gemini-2.5-flash:generateContent";

    fn weather_tools() -> Value {
        json!([{"functionDeclarations": [
            {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
            {"name": "get_time"}
        ]}])
    }

    #[test]
    fn text_answer() {
        let req = json!({"contents": [{"role": "user", "parts": [{"text": "hello there"}]}],
            "systemInstruction": {"parts": [{"text": "Be brief."}]}});
        let body = json_body(generate(PATH, &req, None, "req_mock_1", false));
        assert_eq!(body["candidates"][0]["content"]["parts"][0]["text"], "Mock answer to: hello there");
        assert_eq!(body["candidates"][0]["content"]["role"], "model");
        assert_eq!(body["candidates"][0]["finishReason"], "STOP");
        assert_eq!(body["modelVersion"], "gemini-2.5-flash");
        let u = &body["usageMetadata"];
        assert_eq!(
            u["totalTokenCount"],
            u["promptTokenCount"].as_u64().unwrap() + u["candidatesTokenCount"].as_u64().unwrap()
        );
    }

    #[test]
    fn agent_loop() {
        let mut req = json!({"contents": [{"role": "user", "parts": [{"text": "Paris"}]}], "tools": weather_tools()});
        let body = json_body(generate(PATH, &req, None, "1", false));
        assert_eq!(
            body["candidates"][0]["content"]["parts"],
            json!([{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}])
        );

        req["contents"].as_array_mut().unwrap().extend([
            json!({"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]}),
            json!({"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"result": "sunny"}}}]}),
        ]);
        let body = json_body(generate(PATH, &req, None, "2", false));
        assert_eq!(body["candidates"][0]["content"]["parts"][0]["text"], "The tool returned: sunny");

        req["contents"][2]["parts"][0]["functionResponse"]["response"] = json!({"temp": 21});
        let body = json_body(generate(PATH, &req, None, "3", false));
        assert_eq!(body["candidates"][0]["content"]["parts"][0]["text"], "The tool returned: {\"temp\":21}");
    }

    #[test]
    fn snake_case_fields_are_read_too() {
        let req = json!({"contents": [{"role": "user", "parts": [{"text": "Paris"}]}],
            "tools": [{"function_declarations": [{"name": "w", "parameters_json_schema":
                {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]}]});
        let body = json_body(generate(PATH, &req, None, "1", false));
        assert_eq!(body["candidates"][0]["content"]["parts"][0]["functionCall"]["args"], json!({"city": "Paris"}));
    }

    #[test]
    fn tool_config_limits_the_calls() {
        let mut req =
            json!({"contents": [{"role": "user", "parts": [{"text": "both in parallel"}]}], "tools": weather_tools()});
        let calls =
            |req: &Value| json_body(generate(PATH, req, None, "1", false))["candidates"][0]["content"]["parts"].clone();
        assert_eq!(calls(&req).as_array().unwrap().len(), 2);
        req["toolConfig"] = json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_time"]}});
        assert_eq!(calls(&req), json!([{"functionCall": {"name": "get_time", "args": {}}}]));
        req["toolConfig"] = json!({"functionCallingConfig": {"mode": "NONE"}});
        assert!(calls(&req)[0]["text"].as_str().unwrap().starts_with("Mock answer to:"));
    }

    #[test]
    fn streams_finish_on_the_last_event() {
        let req = json!({"contents": [{"role": "user", "parts": [{"text": "one two three four five"}]}]});
        let events = sse_events(generate("/v1beta/models/gemini-2.5-pro:streamGenerateContent", &req, None, "1", true));
        assert!(events.len() > 2);
        let text: String =
            events.iter().map(|e| e["candidates"][0]["content"]["parts"][0]["text"].as_str().unwrap()).collect();
        assert_eq!(text, "Mock answer to: one two three four five");
        assert!(events[..events.len() - 1].iter().all(|e| e["candidates"][0].get("finishReason").is_none()));
        let last = events.last().unwrap();
        assert_eq!(last["candidates"][0]["finishReason"], "STOP");
        assert!(last["usageMetadata"]["candidatesTokenCount"].as_u64().unwrap() > 0);
        assert_eq!(last["modelVersion"], "gemini-2.5-pro");

        let tools = json!({"contents": [{"role": "user", "parts": [{"text": "x"}]}], "tools": weather_tools()});
        let events = sse_events(generate(PATH, &tools, None, "1", true));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["candidates"][0]["content"]["parts"][0]["functionCall"]["name"], "get_weather");
    }

    #[test]
    fn embeddings() {
        let req = json!({"requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "capital of France"}]}, "outputDimensionality": 8},
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "bread"}]}}
        ]});
        let body = json_body(batch_embed(&req));
        assert_eq!(body["embeddings"][0]["values"].as_array().unwrap().len(), 8);
        assert_eq!(body["embeddings"][1]["values"].as_array().unwrap().len(), 64);
        let one = json_body(embed(
            &json!({"content": {"parts": [{"text": "capital of France"}]}, "outputDimensionality": 8}),
        ));
        assert_eq!(one["embedding"], body["embeddings"][0]);
        assert_eq!(json_body(batch_embed(&json!({})))["error"]["status"], "INVALID_ARGUMENT");
    }

    #[test]
    fn errors_and_paths() {
        let Output::Json { status, body, .. } = error(429, "slow down") else { panic!() };
        assert_eq!(status, 429);
        assert_eq!(body, json!({"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}}));
        assert!(is_gemini_path("/v1beta/models/gemini-2.5-flash:generateContent"));
        assert!(is_gemini_path("/v1/models/gemini-2.5-flash:streamGenerateContent"));
        assert!(is_gemini_path("/v1beta/models"));
        assert!(!is_gemini_path("/v1/chat/completions"));
        assert!(!is_gemini_path("/v1/models"));
        assert_eq!(json_body(generate(PATH, &json!({}), None, "1", false))["error"]["code"], 400);
    }
}
