//! HTTP at the edge: reading the client's body within a limit, sending an
//! `UpstreamRequest` with a timeout, and building the gateway's responses.

use crate::api::error::GatewayError;
use crate::api::headers::ALEPHANT_ID;
use crate::providers::UpstreamRequest;
use futures::future::{select, Either};
use std::time::Duration;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, Response, ResponseBuilder};

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
        Err(_) => error(&GatewayError::internal("serialize_response"), request_id, ErrorShape::OpenAi),
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

/// Reads the request body, refusing more than `limit` bytes with a 413.
pub async fn read_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, GatewayError> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(GatewayError::payload_too_large(limit));
    }
    let body = req
        .bytes()
        .await
        .map_err(|_| GatewayError::invalid_request("unreadable_body", "The request body could not be read."))?;
    if body.len() > limit {
        return Err(GatewayError::payload_too_large(limit));
    }
    Ok(body)
}

/// Why an upstream call produced no response.
#[derive(Debug)]
pub enum SendFailure {
    Timeout,
    Network(String),
    /// The request could not even be built (bad URL in a provider key, …).
    Invalid(String),
}

/// Sends the request; gives up after `timeout_ms` waiting for the response
/// headers (the body is then read by the caller with its own rules).
pub async fn send(upstream: &UpstreamRequest, timeout_ms: u64) -> Result<Response, SendFailure> {
    let headers = Headers::new();
    for (k, v) in &upstream.headers {
        headers.append(k, v).map_err(|_| SendFailure::Invalid(format!("header '{k}' is not valid")))?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(upstream.method.to_string())).with_headers(headers);
    if let Some(body) = &upstream.body {
        init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
    }
    let request =
        Request::new_with_init(&upstream.url, &init).map_err(|_| SendFailure::Invalid("invalid upstream URL".into()))?;

    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let outcome = {
        let sending = Box::pin(fetch.send_with_signal(&signal));
        let timer = Box::pin(Delay::from(Duration::from_millis(timeout_ms)));
        match select(sending, timer).await {
            Either::Left((Ok(resp), _)) => Ok(resp),
            Either::Left((Err(e), _)) => Err(SendFailure::Network(e.to_string())),
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
