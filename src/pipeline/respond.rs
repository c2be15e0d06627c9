//! Stage 6: the answer to the client. JSON answers pass through byte for
//! byte; streams are forwarded chunk by chunk as they arrive (never
//! buffered) while usage is read on the way. Settling (stage 7) runs in
//! `wait_until`, after the stream ends or the client goes away.

use super::context::RequestContext;
use super::settle;
use crate::api::error::GatewayError;
use crate::api::headers::{ALEPHANT_ATTEMPTS, ALEPHANT_ID, ALEPHANT_MODEL, ALEPHANT_PROVIDER, ALEPHANT_PROVIDER_REQ_ID};
use crate::catalog::{pricing, ModelSpec};
use crate::providers::openai_compat::request::StreamPlan;
use crate::providers::openai_compat::stream::StreamObserver;
use crate::providers::usage;
use crate::runtime::http::{self, ErrorShape};
use crate::runtime::now_ms;
use futures::channel::mpsc;
use futures::StreamExt;
use worker::{Context, Env, Headers, Response, ResponseBuilder};

/// Status recorded when the client disconnected before the answer ended
/// (nginx's convention; no response was delivered).
pub const CLIENT_CLOSED: u16 = 499;

/// Headers that tell the client who answered.
fn gateway_headers(rc: &RequestContext, content_type: &str) -> Headers {
    let h = Headers::new();
    let _ = h.set("content-type", content_type);
    let _ = h.set(ALEPHANT_ID, &rc.id);
    let _ = h.set("x-request-id", &rc.id);
    if let Some(p) = &rc.provider {
        let _ = h.set(ALEPHANT_PROVIDER, p);
    }
    if let (Some(p), Some(m)) = (&rc.provider, &rc.model) {
        let _ = h.set(ALEPHANT_MODEL, &format!("{p}/{m}"));
    }
    if let Some(id) = &rc.provider_request_id {
        let _ = h.set(ALEPHANT_PROVIDER_REQ_ID, id);
    }
    let _ = h.set(ALEPHANT_ATTEMPTS, &rc.attempts.len().to_string());
    for (k, v) in &rc.response_headers {
        let _ = h.set(k, v);
    }
    let _ = h.set("access-control-allow-origin", "*");
    let _ = h.set("access-control-expose-headers", "*");
    h
}

fn price(rc: &mut RequestContext, model: Option<&ModelSpec>) {
    if let (Some(m), Some(u)) = (model, rc.usage.as_ref()) {
        rc.cost = pricing::cost(m, u);
    }
}

/// A complete JSON answer: read it, note usage and cost, pass the bytes on.
pub async fn json_answer(
    mut upstream: Response,
    mut rc: RequestContext,
    model: Option<ModelSpec>,
    env: &Env,
    ctx: &Context,
) -> Response {
    let bytes = match upstream.bytes().await {
        Ok(b) => b,
        Err(_) => {
            let e = GatewayError::bad_gateway(
                "upstream_body_unreadable",
                format!("The answer from {} was cut off.", rc.provider.as_deref().unwrap_or("the provider")),
            );
            return fail(rc, e, env, ctx, ErrorShape::OpenAi);
        }
    };
    let now = now_ms();
    rc.first_token_ms = Some(now);
    rc.finished_ms = Some(now);
    rc.status = 200;
    rc.usage = usage::from_openai_body(&bytes);
    price(&mut rc, model.as_ref());
    let content_type = upstream
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_else(|| "application/json".into());
    let headers = gateway_headers(&rc, &content_type);
    settle::schedule(ctx, env, rc);
    ResponseBuilder::new().with_status(200).with_headers(headers).fixed(bytes)
}

/// A streamed answer: a task in `wait_until` pumps upstream chunks to the
/// client through a channel, observing usage; when the upstream ends (or
/// breaks, or the client leaves) it settles the request.
pub fn stream_answer(
    mut upstream: Response,
    rc: RequestContext,
    plan: StreamPlan,
    model: Option<ModelSpec>,
    env: &Env,
    ctx: &Context,
) -> Response {
    let mut body = match upstream.stream() {
        Ok(s) => s,
        Err(_) => {
            let e = GatewayError::bad_gateway("upstream_body_unreadable", "The provider's stream could not be read.");
            return fail(rc, e, env, ctx, ErrorShape::OpenAi);
        }
    };
    let headers = gateway_headers(&rc, "text/event-stream; charset=utf-8");
    let _ = headers.set("cache-control", "no-cache");
    let (tx, rx) = mpsc::unbounded::<Result<Vec<u8>, worker::Error>>();
    let env = env.clone();
    let mut rc = rc;
    ctx.wait_until(async move {
        let mut observer = StreamObserver::new(plan.strip_usage_chunk);
        let mut client_gone = false;
        let mut broken = false;
        while let Some(item) = body.next().await {
            match item {
                Ok(chunk) => {
                    if rc.first_token_ms.is_none() && !chunk.is_empty() {
                        rc.first_token_ms = Some(now_ms());
                    }
                    let out = observer.push(&chunk);
                    if !out.is_empty() && tx.unbounded_send(Ok(out)).is_err() {
                        // The client disconnected: stop reading, which
                        // cancels the upstream request and its cost.
                        client_gone = true;
                        break;
                    }
                }
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        let tail = observer.finish();
        if !client_gone && !tail.is_empty() {
            let _ = tx.unbounded_send(Ok(tail));
        }
        rc.finished_ms = Some(now_ms());
        rc.usage = observer.usage;
        price(&mut rc, model.as_ref());
        if client_gone {
            rc.status = CLIENT_CLOSED;
            rc.error = Some(GatewayError::new(
                CLIENT_CLOSED,
                crate::api::error::ErrorType::InvalidRequestError,
                "client_closed",
                "The client closed the stream before it ended.",
            ));
        } else if broken || !observer.done {
            // Never end a broken stream as if it were complete: the client
            // gets an error event it can act on.
            let e = GatewayError::bad_gateway(
                "upstream_stream_interrupted",
                format!(
                    "The stream from {} ended before it was complete.",
                    rc.provider.as_deref().unwrap_or("the provider")
                ),
            );
            let _ = tx.unbounded_send(Ok(stream_error_event(&e)));
            rc.status = 502;
            rc.error = Some(e);
        } else if let Some(message) = observer.error_message.take() {
            rc.status = 502;
            rc.error = Some(GatewayError::bad_gateway("upstream_stream_error", message));
        } else {
            rc.status = 200;
        }
        drop(tx);
        settle::settle(&env, rc).await;
    });
    match Response::from_stream(rx) {
        Ok(r) => r.with_headers(headers),
        Err(_) => http::error(&GatewayError::internal("stream_setup"), None, ErrorShape::OpenAi),
    }
}

/// An OpenAI-style error event inside an SSE stream.
pub fn stream_error_event(e: &GatewayError) -> Vec<u8> {
    crate::providers::sse::encode(None, &e.to_openai_json())
}

/// Ends the request with an error response and schedules its log record.
pub fn fail(mut rc: RequestContext, e: GatewayError, env: &Env, ctx: &Context, shape: ErrorShape) -> Response {
    rc.fail(&e, now_ms());
    let resp = http::error(&e, Some(&rc.id), shape);
    if let Some(p) = &rc.provider {
        let _ = resp.headers().set(ALEPHANT_PROVIDER, p);
    }
    for (k, v) in &rc.response_headers {
        let _ = resp.headers().set(k, v);
    }
    settle::schedule(ctx, env, rc);
    resp
}
