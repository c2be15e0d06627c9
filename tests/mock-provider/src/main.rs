//! A scriptable LLM provider on loopback for the gateway's tests and
//! benchmarks. It speaks the providers' real wire formats and records every
//! request it receives.
//!
//! Usage: mock-provider [--port N]   (0 or absent: any free port)
//! Prints `mock-provider listening on http://127.0.0.1:<port>` when ready.
//!
//! Control endpoints:
//!   GET  /_mock/requests[?tag=T]   requests received (JSON, newest last)
//!   GET  /_mock/stats?tag=T        {count, in_flight, max_in_flight}
//!   POST /_mock/script             {"tag": T, "behaviours": [Behaviour, …]} queued per request
//!   POST /_mock/reset              forget requests and scripts
//! Behaviour from the base URL: http://127.0.0.1:<port>/~tag=a,status=500/v1 (see behaviour.rs).
//! Formats by path: OpenAI (`/chat/completions`, `/completions`, `/embeddings`,
//! `/models`, `/responses`), Azure OpenAI (`/openai/deployments/{d}/…?api-version=`,
//! `/openai/responses?api-version=`),
//! Anthropic (`/v1/messages`, `/v1/messages/count_tokens`), Gemini
//! (`/v1beta/models/{m}:generateContent|streamGenerateContent|embedContent|batchEmbedContents`),
//! Bedrock (`/model/{id}/converse|converse-stream|invoke`, binary event
//! stream, SigV4 header required), Cohere (`/v2/chat`, `/v2/embed`).

mod anthropic;
mod azure;
mod bedrock;
mod behaviour;
mod cohere;
mod conversation;
mod gemini;
mod openai;
mod output;
mod responses;
mod state;
mod text;

use behaviour::{parse_directives, Behaviour};
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response};
use output::Output;
use serde_json::{json, Value};
use state::{Recorded, State};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

type HttpBody = BoxBody<Bytes, std::io::Error>;

/// A response body fed by a channel; an `Err` item breaks the connection.
struct ChannelBody(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.0.poll_recv(cx).map(|item| item.map(|r| r.map(Frame::data)))
    }
}

fn full(status: u16, content_type: &str, body: Vec<u8>, headers: &[(String, String)]) -> Response<HttpBody> {
    let mut b = Response::builder().status(status).header("content-type", content_type);
    for (k, v) in headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed())
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).map_err(|never| match never {}).boxed()))
}

fn json_response(status: u16, v: &Value) -> Response<HttpBody> {
    full(status, "application/json", v.to_string().into_bytes(), &[])
}

/// Splits `/~directives/rest` into the directives and `/rest`.
fn split_path(path: &str) -> (Option<&str>, &str) {
    match path.strip_prefix("/~") {
        Some(rest) => match rest.find('/') {
            Some(i) => (Some(&rest[..i]), &rest[i..]),
            None => (Some(rest), "/"),
        },
        None => (None, path),
    }
}

async fn handle(req: Request<Incoming>, state: Arc<State>) -> Result<Response<HttpBody>, Infallible> {
    let (parts, body) = req.into_parts();
    let raw_path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    // Bodies that are not JSON (e.g. JSON lines to a log sink) are recorded as text.
    let json_body: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| match bytes.is_empty() {
        true => Value::Null,
        false => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
    });

    let (directive_text, path) = split_path(&raw_path);
    let directives = match directive_text.map(parse_directives).transpose() {
        Ok(d) => d.unwrap_or_default(),
        Err(e) => return Ok(json_response(400, &json!({"error": {"message": e, "type": "mock_usage"}}))),
    };
    if let Some(control) = path.strip_prefix("/_mock/") {
        return Ok(control_endpoint(&state, parts.method.as_str(), control, query.as_deref(), &json_body));
    }

    let tag = directives.tag.clone().unwrap_or_else(|| "default".to_string());
    state.record(Recorded {
        seq: 0,
        tag: Some(tag.clone()),
        method: parts.method.to_string(),
        path: path.to_string(),
        query: query.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: json_body.clone(),
    });
    let guard = state.enter(&tag);
    let behaviour: Behaviour = state.next_scripted(&tag).unwrap_or(directives.behaviour);
    let request_id = format!("req_mock_{}", state.recorded.lock().map(|r| r.len()).unwrap_or(0));

    if behaviour.hang {
        // Answer never; the client's timeout (or disconnect) ends this.
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    if behaviour.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(behaviour.latency_ms)).await;
    }

    let authorization = parts.headers.get("authorization").and_then(|v| v.to_str().ok());
    let output = match behaviour.status {
        // AWS refuses an unsigned request before anything else.
        _ if bedrock::handles(path) && !bedrock::signed(authorization) => bedrock::unsigned(),
        Some(status) if status >= 400 => {
            let message = behaviour.message.clone().unwrap_or_else(|| format!("mock failure with status {status}"));
            let mut o = error_for_path(path, status, &message);
            if let (Output::Json { headers, .. }, Some(secs)) = (&mut o, behaviour.retry_after) {
                headers.push(("retry-after".into(), secs.to_string()));
            }
            o
        }
        _ => {
            let api_key = parts.headers.get("api-key").and_then(|v| v.to_str().ok());
            let call = Call { method: parts.method.as_str(), path, query: query.as_deref(), api_key, body: &json_body };
            route(&call, behaviour.content.as_deref(), &request_id)
        }
    };

    Ok(match output {
        Output::Json { status, body, mut headers } => {
            headers.push(("x-request-id".into(), request_id));
            drop(guard);
            full(status, "application/json", body.to_string().into_bytes(), &headers)
        }
        Output::Stream { content_type, chunks } => {
            let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(16);
            let delay = behaviour.chunk_delay_ms;
            let cut_after = behaviour.cut_after;
            tokio::spawn(async move {
                let _guard = guard;
                for (i, chunk) in chunks.into_iter().enumerate() {
                    if cut_after == Some(i) {
                        // Let hyper flush what was sent before breaking the
                        // connection, so the client sees a partial stream.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        let _ = tx.send(Err(std::io::Error::other("mock cut the stream"))).await;
                        return;
                    }
                    if i > 0 && delay > 0 {
                        // A client that goes away ends the stream (and its
                        // in-flight count) at once, not at the next chunk.
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(delay)) => {}
                            _ = tx.closed() => return,
                        }
                    }
                    if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                        return; // client went away
                    }
                }
            });
            Response::builder()
                .status(200)
                .header("content-type", content_type)
                .header("cache-control", "no-cache")
                .header("x-request-id", request_id)
                .body(ChannelBody(rx).boxed())
                .unwrap_or_else(|_| json_response(500, &json!({})))
        }
    })
}

/// What routing needs to know about a provider request.
struct Call<'a> {
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    /// The `api-key` header (Azure OpenAI's credential).
    api_key: Option<&'a str>,
    body: &'a Value,
}

/// Dispatches a provider endpoint by method and path.
fn route(call: &Call, content: Option<&str>, request_id: &str) -> Output {
    let (method, body) = (call.method, call.body);
    let path = call.path.trim_end_matches('/');
    if let Some(out) = azure::route(method, path, call.query, call.api_key, body, content, request_id) {
        return out;
    }
    match (method, path) {
        ("POST", p) if bedrock::handles(p) => bedrock::route(p, body, content),
        ("POST", p) if p.ends_with(":generateContent") => gemini::generate(p, body, content, request_id, false),
        ("POST", p) if p.ends_with(":streamGenerateContent") => gemini::generate(p, body, content, request_id, true),
        ("POST", p) if p.ends_with(":batchEmbedContents") => gemini::batch_embed(body),
        ("POST", p) if p.ends_with(":embedContent") => gemini::embed(body),
        ("GET", p) if p.ends_with("/v1beta/models") => gemini::models(),
        ("POST", p) if p.ends_with("/v2/chat") => cohere::chat(body, content, request_id),
        ("POST", p) if p.ends_with("/v2/embed") => cohere::embed(body),
        ("POST", p) if p.ends_with("/messages/count_tokens") => anthropic::count_tokens(body),
        ("POST", p) if p.ends_with("/messages") => anthropic::messages(body, content, request_id),
        ("POST", p) if p.ends_with("/responses") => responses::create(body, content, request_id),
        ("POST", p) if p.ends_with("/chat/completions") => openai::chat(body, content, request_id),
        ("POST", p) if p.ends_with("/completions") => openai::completions(body, content, request_id),
        ("POST", p) if p.ends_with("/embeddings") => openai::embeddings(body),
        ("POST", p) if p.ends_with("/moderations") => openai::moderations(body),
        ("GET", p) if p.ends_with("/models") => openai::models(),
        // An account API (OpenAI files), for pass-through policy tests.
        ("GET", p) if p.ends_with("/v1/files") => Output::json(200, json!({"object": "list", "data": []})),
        ("DELETE", p) if p.contains("/v1/files/") => {
            let id = p.rsplit('/').next().unwrap_or_default();
            Output::json(200, json!({"id": id, "object": "file", "deleted": true}))
        }
        // A webhook or log-sink receiver: takes anything (it is recorded above).
        ("POST", p) if p.ends_with("/ingest") || p.ends_with("-hook") => Output::json(200, json!({"received": true})),
        _ => error_for_path(path, 404, &format!("mock has no endpoint {method} {path}")),
    }
}

/// An error answer (`behaviour.status`) in the shape of the API the path belongs to.
fn error_for_path(path: &str, status: u16, message: &str) -> Output {
    let path = path.trim_end_matches('/');
    if azure::serves(path) {
        azure::error(status, message)
    } else if path.ends_with("/v2/chat") || path.ends_with("/v2/embed") {
        cohere::error(status, message)
    } else if anthropic::serves(path) {
        anthropic::error(status, message)
    } else if bedrock::handles(path) {
        bedrock::error(status, message)
    } else if gemini::is_gemini_path(path) {
        gemini::error(status, message)
    } else {
        let kind = if status == 429 { "rate_limit_error" } else if status >= 500 { "server_error" } else { "invalid_request_error" };
        openai::error(status, message, kind)
    }
}

fn query_tag(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|kv| kv.strip_prefix("tag=")).map(str::to_string)
}

fn control_endpoint(state: &Arc<State>, method: &str, op: &str, query: Option<&str>, body: &Value) -> Response<HttpBody> {
    let tag = query_tag(query);
    match (method, op) {
        ("GET", "requests") => {
            let rec = state.recorded.lock().map(|r| r.clone()).unwrap_or_default();
            let list: Vec<_> = rec.into_iter().filter(|r| tag.is_none() || r.tag == tag).collect();
            json_response(200, &json!({ "requests": list }))
        }
        ("GET", "stats") => {
            let t = tag.unwrap_or_else(|| "default".into());
            let count = state.recorded.lock().map(|r| r.iter().filter(|x| x.tag.as_deref() == Some(&t)).count()).unwrap_or(0);
            let (now, max) = state.concurrency(&t);
            json_response(200, &json!({"tag": t, "count": count, "in_flight": now, "max_in_flight": max}))
        }
        ("POST", "script") => {
            let tag = body.get("tag").and_then(Value::as_str).unwrap_or("default").to_string();
            let list: Result<Vec<Behaviour>, _> =
                serde_json::from_value(body.get("behaviours").cloned().unwrap_or(json!([])));
            match list {
                Ok(list) => {
                    let n = list.len();
                    if let Ok(mut s) = state.scripts.lock() {
                        s.entry(tag.clone()).or_default().extend(list);
                    }
                    json_response(200, &json!({"tag": tag, "queued": n}))
                }
                Err(e) => json_response(400, &json!({"error": {"message": e.to_string()}})),
            }
        }
        ("POST", "reset") => {
            state.reset();
            json_response(200, &json!({"reset": true}))
        }
        _ => json_response(404, &json!({"error": {"message": format!("unknown control {method} {op}")}})),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args
        .iter()
        .position(|a| a == "--port")
        .and_then(|i| args.get(i + 1))
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("mock-provider listening on http://{}", listener.local_addr()?);
    let state = Arc::new(State::default());
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let service = hyper::service::service_fn(move |req| handle(req, state.clone()));
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_and_body(o: Output) -> (u16, Value) {
        match o {
            Output::Json { status, body, .. } => (status, body),
            Output::Stream { .. } => panic!("expected JSON"),
        }
    }

    #[test]
    fn errors_take_the_shape_of_the_called_api() {
        let (_, v) = status_and_body(error_for_path("/v1/chat/completions", 500, "boom"));
        assert_eq!(v["error"]["type"], "server_error");
        let (_, v) = status_and_body(error_for_path("/v2/chat", 429, "slow"));
        assert_eq!(v["message"], "slow");
        assert!(v.get("error").is_none());
        let (_, v) = status_and_body(error_for_path("/openai/deployments/d/chat/completions", 429, "slow"));
        assert_eq!((v["error"]["code"].as_str(), v["error"]["message"].as_str()), (Some("429"), Some("slow")));
    }

    #[test]
    fn routes_by_path() {
        let body = json!({"model": "command-a-03-2025", "messages": [{"role": "user", "content": "hi"}]});
        let call = |path, api_key| Call { method: "POST", path, query: Some("api-version=2024-10-21"), api_key, body: &body };
        let (_, v) = status_and_body(route(&call("/v2/chat", None), None, "1"));
        assert_eq!(v["finish_reason"], "COMPLETE");
        let (_, v) = status_and_body(route(&call("/v1/chat/completions", None), None, "1"));
        assert_eq!(v["object"], "chat.completion");
        let (status, _) = status_and_body(route(&call("/openai/deployments/d/chat/completions", None), None, "1"));
        assert_eq!(status, 401);
        let (_, v) = status_and_body(route(&call("/openai/deployments/d/chat/completions", Some("k")), None, "1"));
        assert_eq!(v["model"], "d");
        let body = json!({"model": "gpt-4.1", "input": "hi"});
        let call = |path, api_key| Call { method: "POST", path, query: Some("api-version=preview"), api_key, body: &body };
        let (_, v) = status_and_body(route(&call("/v1/responses", None), None, "1"));
        assert_eq!(v["object"], "response");
        let (status, _) = status_and_body(route(&call("/openai/responses", None), None, "1"));
        assert_eq!(status, 401);
        let (_, v) = status_and_body(route(&call("/openai/responses", Some("k")), None, "1"));
        assert_eq!((v["object"].as_str(), v["model"].as_str()), (Some("response"), Some("gpt-4.1")));
    }
}
