//! HTTP at the edge: reading the client's body within a limit, sending an
//! `UpstreamRequest` with a timeout, and building the gateway's responses.

use crate::core::error::{GatewayError, ErrorCode};
use crate::core::headers::ALEPHANT_ID;
use crate::providers::UpstreamRequest;
use futures::future::{select, Either};
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::{Delay, Headers, Request, Response, ResponseBuilder};

/// Which error body shape the client's SDK expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    OpenAi,
    Anthropic,
}

/// Headers every gateway response carries so browsers may call it and read
/// the gateway's own headers.
fn cors(headers: &Headers) {
    let _ = headers.set("access-control-allow-origin", "*");
    let _ = headers.set(
        "access-control-expose-headers",
        "alephant-id, alephant-provider, alephant-model, alephant-provider-req-id, alephant-attempts, \
         alephant-cache, alephant-cache-bucket-idx, alephant-cache-latency, alephant-ratelimit-limit, \
         alephant-ratelimit-remaining, alephant-ratelimit-reset, alephant-ratelimit-policy, retry-after, x-request-id",
    );
}

pub fn preflight() -> Response {
    let headers = Headers::new();
    cors(&headers);
    let _ = headers.set("access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    let _ = headers.set("access-control-allow-headers", "*");
    let _ = headers.set("access-control-max-age", "86400");
    ResponseBuilder::new().with_status(204).with_headers(headers).empty()
}

/// A `302 Found` to a path of this gateway.
pub fn redirect(location: &str) -> Response {
    let headers = Headers::new();
    let _ = headers.set("location", location);
    ResponseBuilder::new().with_status(302).with_headers(headers).empty()
}

/// A JSON response with the gateway's standard headers.
pub fn json(status: u16, body: Vec<u8>, request_id: Option<&str>) -> Response {
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    if let Some(id) = request_id {
        let _ = headers.set(ALEPHANT_ID, id);
        let _ = headers.set("x-request-id", id);
    }
    cors(&headers);
    ResponseBuilder::new().with_status(status).with_headers(headers).fixed(body)
}

pub fn json_value<T: serde::Serialize>(status: u16, value: &T, request_id: Option<&str>) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json(status, body, request_id),
        Err(_) => error(&GatewayError::internal(ErrorCode::SerializeResponse), request_id, ErrorShape::OpenAi),
    }
}

/// The error in the shape the client expects, with `retry-after` when known.
pub fn error(e: &GatewayError, request_id: Option<&str>, shape: ErrorShape) -> Response {
    let body = match shape {
        ErrorShape::OpenAi => e.to_openai_json(),
        ErrorShape::Anthropic => e.to_anthropic_json(),
    };
    let resp = json(e.status, body.into_bytes(), request_id);
    if let Some(secs) = e.retry_after {
        let _ = resp.headers().set("retry-after", &secs.to_string());
    }
    if e.status == 405 {
        // The message names the allowed method; the header says it formally.
        if let Some(m) = e.message.split("use ").nth(1) {
            let _ = resp.headers().set("allow", m.trim_end_matches('.'));
        }
    }
    resp
}

/// Why an upstream call produced no response.
#[derive(Debug)]
pub enum SendFailure {
    Timeout,
    Network(String),
    /// The request could not even be built (bad URL in a provider key, …).
    Invalid(String),
}

/// A provider's answer, kept as the runtime's own Response object: its body
/// is read with one `arrayBuffer()` call or piped as a stream, never pulled
/// chunk by chunk through wasm.
pub struct UpstreamResponse(pub web_sys::Response);

impl UpstreamResponse {
    pub fn status(&self) -> u16 {
        self.0.status()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.0.headers().get(name).ok().flatten()
    }

    /// The whole body: the runtime's buffer (to hand on to the client
    /// without copying back) and a copy in wasm memory (to read).
    pub async fn bytes(&self) -> Result<(js_sys::Uint8Array, Vec<u8>), JsValue> {
        let buffer = JsFuture::from(self.0.array_buffer()?).await?;
        let array = js_sys::Uint8Array::new(&buffer);
        let copy = array.to_vec();
        Ok((array, copy))
    }

    pub fn body(&self) -> Option<web_sys::ReadableStream> {
        self.0.body()
    }
}

/// Sends the request; gives up after `timeout_ms` waiting for the response
/// headers (the body is then read by the caller with its own rules). Uses
/// the runtime's `fetch` directly: `worker::Request` would read the large
/// `cf` object of every request it wraps.
pub async fn send(upstream: &UpstreamRequest, timeout_ms: u64) -> Result<UpstreamResponse, SendFailure> {
    let headers = web_sys::Headers::new().map_err(|_| SendFailure::Invalid("headers".into()))?;
    for (k, v) in &upstream.headers {
        headers.append(k, v).map_err(|_| SendFailure::Invalid(format!("header '{k}' is not valid")))?;
    }
    let controller = web_sys::AbortController::new().map_err(|_| SendFailure::Invalid("abort controller".into()))?;
    let signal = controller.signal();
    let init = web_sys::RequestInit::new();
    init.set_method(upstream.method);
    init.set_headers(&headers);
    init.set_signal(Some(&signal));
    if let Some(body) = &upstream.body {
        init.set_body(&js_sys::Uint8Array::from(body.as_slice()));
    }
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let sending = JsFuture::from(global.fetch_with_str_and_init(&upstream.url, &init));
    let outcome = {
        let timer = Box::pin(Delay::from(Duration::from_millis(timeout_ms)));
        match select(sending, timer).await {
            Either::Left((Ok(resp), _)) => resp
                .dyn_into::<web_sys::Response>()
                .map(UpstreamResponse)
                .map_err(|_| SendFailure::Network("not a response".into())),
            Either::Left((Err(e), _)) => {
                let text = e.as_string().or_else(|| js_sys::Error::from(e).message().as_string()).unwrap_or_default();
                if text.contains("URL") || text.contains("url") {
                    Err(SendFailure::Invalid("invalid upstream URL".into()))
                } else {
                    Err(SendFailure::Network(text))
                }
            }
            Either::Right(_) => Err(SendFailure::Timeout),
        }
    };
    if matches!(outcome, Err(SendFailure::Timeout)) {
        controller.abort();
    }
    outcome
}

/// A header of a client request, trimmed; `None` when absent or empty.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}
