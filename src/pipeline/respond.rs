//! Stage 6: the answer to the client. JSON answers pass through byte for
//! byte; streams are forwarded chunk by chunk as they arrive (never
//! buffered) while usage is read on the way. Settling (stage 7) runs in
//! `wait_until`, after the stream ends or the client goes away.

use super::context::RequestContext;
use super::settle;
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::core::headers::{ALEPHANT_ATTEMPTS, ALEPHANT_ID, ALEPHANT_MODEL, ALEPHANT_PROVIDER, ALEPHANT_PROVIDER_REQ_ID};
use crate::cache::entry::StoredBody;
use crate::cache::recorder::Recorder;
use crate::cache::serve::{Served, SSE_CONTENT_TYPE};
use crate::catalog::pricing::Nanos;
use crate::catalog::{pricing, ModelSpec};
use crate::providers::stream_transform::{ChunkOut, StreamTransform};
use crate::guardrails::stream;
use super::guard::block_decision;
use crate::providers::usage::{self, Usage};
use crate::runtime::http::{self, ErrorShape, UpstreamResponse};
use crate::runtime::now_ms;
use crate::runtime::stream_pipe::{self, FirstChunk, PipeOutcome};
use worker::{Context, Env, Headers, Response, ResponseBuilder};

/// Status recorded when the client disconnected before the answer ended
/// (nginx's convention; no response was delivered).
pub const CLIENT_CLOSED: u16 = 499;

/// Headers that tell the client who answered.
pub fn gateway_headers(rc: &RequestContext, content_type: &str) -> Headers {
    let h = Headers::new();
    let _ = h.set("content-type", content_type);
    let _ = h.set(ALEPHANT_ID, &rc.id);
    // The client's own id comes back as it was sent; `alephant-id` is ours.
    let _ = h.set("x-request-id", rc.client_request_id.as_deref().unwrap_or(&rc.id));
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

pub fn price(rc: &mut RequestContext, model: Option<&ModelSpec>) {
    if let (Some(m), Some(u)) = (model, rc.usage.as_ref()) {
        rc.cost = pricing::cost(m, u);
    }
    // A semantic lookup's embedding call and a moderation call are spend too.
    let lookup = rc.cache.as_ref().map_or(0, |c| c.lookup_cost_nanos) + rc.guard.as_ref().map_or(0, |g| g.moderation_cost_nanos);
    if lookup > 0 {
        rc.cost = Some(Nanos(rc.cost.map_or(0, |c| c.0) + lookup));
    }
}

/// Keeps a copy of a complete JSON answer when the cache will store it (or
/// hand it to coalesced followers) or the archive will keep it.
fn keep_answer(rc: &mut RequestContext, body: &[u8]) {
    if rc.wants_answer() {
        rc.answer = Some(StoredBody::Json { body: String::from_utf8_lossy(body).into_owned() });
    }
}

/// What to do with a complete JSON answer: keep the provider's bytes (and
/// read usage from them), or replace them with a translation.
pub type JsonConversion = Box<dyn FnOnce(&[u8]) -> GatewayResult<(Option<Vec<u8>>, Option<Usage>)>>;

/// The OpenAI-compatible case: pass the bytes on, read OpenAI usage.
pub fn keep_openai() -> JsonConversion {
    Box::new(|bytes: &[u8]| Ok((None, usage::from_openai_body(bytes))))
}

/// A complete JSON answer: read it, convert it, note usage and cost, answer.
pub async fn json_answer(
    upstream: UpstreamResponse,
    mut rc: RequestContext,
    model: Option<ModelSpec>,
    convert: JsonConversion,
    env: &Env,
    ctx: &Context,
) -> Response {
    let (body, bytes) = match upstream.bytes().await {
        Ok(b) => b,
        Err(_) => {
            let e = GatewayError::bad_gateway(
                ErrorCode::UpstreamBodyUnreadable,
                format!("The answer from {} was cut off.", rc.provider.as_deref().unwrap_or("the provider")),
            );
            return fail(rc, e, env, ctx, ErrorShape::OpenAi);
        }
    };
    let (replacement, answer_usage) = match convert(&bytes) {
        Ok(c) => c,
        Err(e) => return fail(rc, e, env, ctx, ErrorShape::OpenAi),
    };
    let now = now_ms();
    rc.first_token_ms = Some(now);
    rc.finished_ms = Some(now);
    rc.status = 200;
    rc.usage = answer_usage;
    // An answer without usage is charged its estimate: the prompt, and the
    // answer's text at about four bytes a token where it is text.
    let answered = replacement.as_deref().unwrap_or(&bytes);
    let text_answer = rc.endpoint.generates() || matches!(rc.endpoint, crate::core::endpoint::Endpoint::Passthrough { .. });
    rc.estimate_missing_usage(if text_answer { (answered.len() as u64).div_ceil(4) } else { 0 });
    price(&mut rc, model.as_ref());
    let (scanned, restored) = match guard_json(&mut rc, replacement.as_deref().unwrap_or(&bytes)) {
        Ok(g) => g,
        Err(e) => return fail(rc, e, env, ctx, ErrorShape::OpenAi),
    };
    let replacement = scanned.or(replacement);
    keep_answer(&mut rc, replacement.as_deref().unwrap_or(&bytes));
    let replacement = restored.or(replacement);
    drop(bytes);
    let content_type = match &replacement {
        Some(_) => "application/json".to_string(),
        None => upstream.header("content-type").unwrap_or_else(|| "application/json".into()),
    };
    let headers = gateway_headers(&rc, &content_type);
    settle::schedule(ctx, env, rc);
    match replacement {
        Some(new_body) => ResponseBuilder::new().with_status(200).with_headers(headers).fixed(new_body),
        // The client gets the runtime's own buffer: no copy back out of wasm.
        None => {
            let init = web_sys::ResponseInit::new();
            init.set_status(200);
            init.set_headers(&headers.0);
            match web_sys::Response::new_with_opt_buffer_source_and_init(Some(&body), &init) {
                Ok(r) => Response::from(r),
                Err(_) => http::error(&GatewayError::internal(ErrorCode::ResponseBuild), None, ErrorShape::OpenAi),
            }
        }
    }
}

/// The output guardrails over a complete JSON answer: what the cache and
/// the archive keep (masked, placeholders as they are) and what the client
/// gets (placeholders restored), each `None` when unchanged; `Err` when an
/// output block withholds the answer.
fn guard_json(rc: &mut RequestContext, answer: &[u8]) -> GatewayResult<(Option<Vec<u8>>, Option<Vec<u8>>)> {
    let text = rc.endpoint != crate::core::endpoint::Endpoint::Embeddings;
    let Some(g) = rc.guard.as_ref().filter(|g| text && g.touches_answer()) else { return Ok((None, None)) };
    let scanned = match g.scan_answer(answer) {
        Ok(s) => s,
        Err(b) => {
            rc.policy.push(block_decision(&b));
            return Err(b.to_error());
        }
    };
    g.check_schema(answer)?;
    let restored = g.restore_answer(scanned.as_deref().unwrap_or(answer));
    Ok((scanned, restored))
}

/// An answer the gateway composed itself (e.g. translated embeddings).
pub fn composed_answer(mut rc: RequestContext, body: Vec<u8>, model: Option<ModelSpec>, env: &Env, ctx: &Context) -> Response {
    let now = now_ms();
    rc.first_token_ms = Some(now);
    rc.finished_ms = Some(now);
    rc.status = 200;
    price(&mut rc, model.as_ref());
    keep_answer(&mut rc, &body);
    let headers = gateway_headers(&rc, "application/json");
    settle::schedule(ctx, env, rc);
    ResponseBuilder::new().with_status(200).with_headers(headers).fixed(body)
}

/// An answer from the cache: no provider call, no cost (beyond a semantic
/// lookup's embedding), the stored usage reported as it was.
pub fn cached_answer(mut rc: RequestContext, served: Served, env: &Env, ctx: &Context) -> Response {
    let now = now_ms();
    rc.first_token_ms = Some(now);
    rc.finished_ms = Some(now);
    rc.status = 200;
    let lookup = rc.cache.as_ref().map_or(0, |c| c.lookup_cost_nanos);
    rc.cost = Some(Nanos(lookup));
    // Stored with this request's placeholders (an identical request's were the same): restored for this client.
    let guard = rc.guard.as_ref().filter(|g| !g.vault.is_empty());
    let (content_type, body) = match (served, guard) {
        (Served::Json(body), None) => ("application/json", body.into_bytes()),
        (Served::Json(body), Some(g)) => ("application/json", g.restore_answer(body.as_bytes()).unwrap_or_else(|| body.into_bytes())),
        (Served::Sse(bytes), None) => (SSE_CONTENT_TYPE, bytes),
        (Served::Sse(bytes), Some(g)) => (SSE_CONTENT_TYPE, stream::restore_sse(&bytes, g.vault.clone())),
    };
    let headers = gateway_headers(&rc, content_type);
    if content_type == SSE_CONTENT_TYPE {
        let _ = headers.set("cache-control", "no-cache");
    }
    settle::schedule(ctx, env, rc);
    ResponseBuilder::new().with_status(200).with_headers(headers).fixed(body)
}

/// A streamed answer: piped to the client chunk by chunk as it arrives
/// (see `runtime::stream_pipe`), observed on the way; settled in
/// `wait_until` when the upstream ends, breaks, or the client goes away.
pub fn stream_answer(
    upstream: UpstreamResponse,
    mut rc: RequestContext,
    transform: Box<dyn StreamTransform>,
    first: Option<FirstChunk>,
    model: Option<ModelSpec>,
    content_type: &str,
    env: &Env,
    ctx: &Context,
) -> Response {
    let provider = rc.provider.clone().unwrap_or_else(|| "the provider".into());
    let broken = GatewayError::bad_gateway(
        ErrorCode::UpstreamStreamInterrupted,
        format!("The stream from {provider} ended before it was complete."),
    );
    let mut first = first;
    // Guardrails on an SSE answer: the output checks before the recorder
    // (so the cache and archive keep masked text), the restore after it
    // (so they keep placeholders, never the values).
    let sse = content_type.contains("event-stream");
    let guard = rc.guard.clone().filter(|_| sse);
    let (transform, withheld) = match guard.as_ref().filter(|g| !g.output_checks().is_empty()) {
        Some(g) => {
            let scan = stream::Scan { checks: g.output_checks().to_vec(), findings: g.findings.clone() };
            let (mut guarded, withheld) = stream::GuardStream::new(transform, scan);
            if let Some(f) = first.as_mut() {
                f.out = ChunkOut::Bytes(guarded.feed(&f.sent()));
            }
            (Box::new(guarded) as Box<dyn StreamTransform>, Some(withheld))
        }
        None => (transform, None),
    };
    // Record the stream as it passes when the cache or the archive wants it.
    let (transform, recording) = match rc.wants_answer() {
        true => {
            let (recorder, recording) = Recorder::wrap(transform, &first.as_ref().map(FirstChunk::sent).unwrap_or_default());
            (Box::new(recorder) as Box<dyn StreamTransform>, Some(recording))
        }
        false => (transform, None),
    };
    let transform = match guard.as_ref().filter(|g| !g.vault.is_empty()) {
        Some(g) => {
            let (mut restoring, _) = stream::GuardStream::new(transform, stream::Restore(g.vault.clone()));
            if let Some(f) = first.as_mut() {
                f.out = ChunkOut::Bytes(restoring.feed(&f.sent()));
            }
            Box::new(restoring) as Box<dyn StreamTransform>
        }
        None => transform,
    };
    let piped = match upstream.body() {
        Some(body) => stream_pipe::pipe(body, transform, broken, first),
        None => Err(wasm_bindgen::JsValue::NULL),
    };
    let (readable, ended) = match piped {
        Ok(p) => p,
        Err(_) => {
            let e = GatewayError::bad_gateway(ErrorCode::UpstreamBodyUnreadable, "The provider's stream could not be read.");
            return fail(rc, e, env, ctx, ErrorShape::OpenAi);
        }
    };
    let headers = gateway_headers(&rc, content_type);
    let _ = headers.set("cache-control", "no-cache");
    let env = env.clone();
    ctx.wait_until(async move {
        let end = ended.await;
        rc.finished_ms = Some(now_ms());
        rc.first_token_ms = end.first_chunk_ms;
        rc.usage = end.summary.usage;
        // Cut, aborted or never reporting usage: charged what was estimated and seen.
        rc.estimate_missing_usage(end.summary.output_tokens_seen);
        price(&mut rc, model.as_ref());
        let (status, error) = match end.outcome {
            PipeOutcome::ClientGone => (
                CLIENT_CLOSED,
                Some(GatewayError::new(
                    CLIENT_CLOSED,
                    crate::core::error::ErrorType::InvalidRequestError,
                    ErrorCode::ClientClosed,
                    "The client closed the stream before it ended.",
                )),
            ),
            PipeOutcome::UpstreamBroken => (
                502,
                Some(GatewayError::bad_gateway(
                    ErrorCode::UpstreamStreamInterrupted,
                    format!("The stream from {provider} ended before it was complete."),
                )),
            ),
            PipeOutcome::Finished => match end.summary.error_message {
                Some(message) => (502, Some(GatewayError::bad_gateway(ErrorCode::UpstreamStreamError, message))),
                None => (200, None),
            },
        };
        rc.status = status;
        rc.error = error;
        if let Some(b) = withheld.and_then(|w| w.borrow().clone()) {
            rc.policy.push(block_decision(&b));
            let e = b.to_error();
            rc.status = e.status;
            rc.error = Some(e);
        }
        // Kept even when incomplete (the archive shows what the client got);
        // the cache stores only complete answers.
        if let Some(recording) = recording {
            rc.answer = recording.borrow().events().map(|events| StoredBody::Sse { events });
        }
        settle::settle(&env, rc).await;
    });
    ResponseBuilder::new().with_status(200).with_headers(headers).stream(readable)
}

/// Ends the request with an error response and schedules its log record.
pub fn fail(mut rc: RequestContext, e: GatewayError, env: &Env, ctx: &Context, shape: ErrorShape) -> Response {
    rc.fail(&e, now_ms());
    // Claude Code and the Anthropic SDK read only Anthropic's error shape.
    let shape = if rc.endpoint.speaks_anthropic() { ErrorShape::Anthropic } else { shape };
    let resp = http::error(&e, Some(&rc.id), shape);
    if let Some(client_id) = &rc.client_request_id {
        let _ = resp.headers().set("x-request-id", client_id);
    }
    if let Some(p) = &rc.provider {
        let _ = resp.headers().set(ALEPHANT_PROVIDER, p);
    }
    for (k, v) in &rc.response_headers {
        let _ = resp.headers().set(k, v);
    }
    settle::schedule(ctx, env, rc);
    resp
}
