//! Stage 5, the attempt loop: the request tries its planned targets in
//! order, each with its retries, within an overall deadline.
//!
//! - A retryable failure (a status in the router's `on_status`, a timeout, a
//!   connection error, a stream that fails before its first byte) is retried
//!   after a backoff (`retry-after` honoured up to a cap), then falls back to
//!   the next target.
//! - A target the request cannot be translated for (a 400 the gateway itself
//!   raised) is skipped. Any other provider answer (e.g. a 400 about the
//!   request) ends the loop: another provider would refuse it too.
//! - Outcomes update target health; targets out of rotation were put last by
//!   the planner. Nothing is retried once the first byte of a stream has
//!   been committed to the client: streams are peeked before committing.

use super::context::RequestContext;
use super::dispatch::send_attempt;
use super::plan::{self, Step};
use super::resolve::{self, Selected};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::core::endpoint::Endpoint;
use crate::governance::scope_policy::EffectivePolicy;
use crate::catalog::{catalog, ModelSpec};
use crate::providers::adapter::{adapter_for, invalid_answer, unsupported, ChatAdapter};
use crate::providers::client::{self as client_format, ClientFormat};
use crate::providers::upstream::openai_compat::chat::OpenAiChat;
use crate::providers::upstream::openai_compat::request as openai_request;
use crate::providers::upstream::openai_compat::stream::StreamObserver;
use crate::providers::client::chat::embeddings as openai_embeddings;
use crate::providers::client::responses::ResponsesObserver;
use crate::providers::serving::{serving, Serving};
use crate::providers::stream_transform::StreamTransform;
use crate::providers::translate::{ObservingStream, TranslatingStream};
use crate::providers::{sse, upstream_error, Target};
use crate::routing::{health, health_client};
use crate::runtime::http::UpstreamResponse;
use crate::runtime::now_ms;
use crate::runtime::stream_pipe::{read_first, FirstChunk};
use crate::store::records::WorkspaceConfig;
use crate::util::json_object::JsonObject;
use futures::future::{select, Either};
use std::time::Duration;
use worker::Delay;

pub use super::plan::{Candidate, Resilience};

/// What a successful attempt produced and how stage 6 must answer it.
pub enum Answer {
    /// A JSON answer in the client's own format, forwarded; usage is read
    /// as OpenAI reports it unless a provider adapter must read it.
    Forward { upstream: UpstreamResponse, usage_reader: Option<&'static dyn ChatAdapter> },
    /// A translated JSON chat answer, to encode in the client's format.
    Chat { upstream: UpstreamResponse, adapter: &'static dyn ChatAdapter, format: ClientFormat },
    /// A stream, its first chunk already read and judged.
    Stream { upstream: UpstreamResponse, transform: Box<dyn StreamTransform>, first: Option<FirstChunk> },
    /// An answer composed by the gateway (translated embeddings).
    Composed(Vec<u8>),
}

pub struct Attempted {
    pub answer: Answer,
    pub model: Option<ModelSpec>,
}

/// The inputs every attempt shares.
pub struct Request<'a> {
    pub policy: &'a EffectivePolicy,
    pub workspace: &'a WorkspaceConfig,
    pub body: &'a JsonObject,
    pub forwarded: &'a [(String, String)],
}

fn jitter() -> f64 {
    js_sys::Math::random()
}

async fn sleep(ms: u64) {
    if ms > 0 {
        Delay::from(Duration::from_millis(ms)).await;
    }
}

pub async fn run(
    rc: &mut RequestContext,
    req: &Request<'_>,
    candidates: &[Candidate],
    resilience: &Resilience,
) -> GatewayResult<Attempted> {
    let deadline = rc.started_ms + resilience.deadline_ms;
    let mut last: Option<GatewayError> = None;
    for candidate in candidates {
        let endpoint = rc.endpoint.clone();
        let selected = match resolve::select_target(
            catalog(),
            req.workspace,
            req.policy,
            &endpoint,
            &candidate.qualified,
            candidate.provider_key.as_deref(),
        ) {
            Ok(s) => s,
            // This target cannot serve the request (no key, not allowed,
            // wrong endpoint): the next one may.
            Err(e) => {
                last = Some(e);
                continue;
            }
        };
        let health_key = health::key(
            &selected.resolved.provider.id,
            selected.resolved.model_id,
            selected.credential.map(|c| c.id.as_str()),
        );
        for try_number in 0..=resilience.retry.attempts {
            let now = now_ms();
            if now >= deadline {
                return Err(last.unwrap_or_else(|| GatewayError::gateway_timeout("The request's deadline passed before any provider answered.")));
            }
            let timeout = resilience.attempt_timeout_ms.min(deadline - now);
            rc.provider = Some(selected.resolved.provider.id.clone());
            rc.model = Some(selected.resolved.model_id.to_string());
            match attempt(rc, req, &selected, candidate, timeout).await {
                Ok(answer) => {
                    health_client::record(&req.workspace.workspace_id, &health_key, health::Outcome::Success, &resilience.health, now_ms());
                    return Ok(Attempted { answer, model: selected.resolved.model.cloned() });
                }
                Err(e) => {
                    let step = plan::next_step(&e, &resilience.retry, try_number, jitter());
                    let health = match &step {
                        Step::Retry { health, .. } | Step::NextTarget { health: Some(health) } => Some(*health),
                        _ => None,
                    };
                    if let Some(outcome) = health {
                        health_client::record(&req.workspace.workspace_id, &health_key, outcome, &resilience.health, now_ms());
                    }
                    match step {
                        Step::Stop => return Err(e),
                        Step::NextTarget { .. } => {
                            last = Some(e);
                            break;
                        }
                        Step::Retry { wait_ms, .. } => {
                            last = Some(e);
                            if now_ms() + wait_ms >= deadline {
                                break;
                            }
                            sleep(wait_ms).await;
                        }
                    }
                }
            }
        }
    }
    Err(last.unwrap_or_else(|| GatewayError::bad_gateway(ErrorCode::NoTargetAvailable, "No provider could serve this request.")))
}

/// The request body for one target: its model id and parameter overrides.
fn body_for(body: &JsonObject, candidate: &Candidate) -> GatewayResult<JsonObject> {
    let mut b = body.clone();
    for (k, v) in &candidate.params {
        b.set(k, v).map_err(|_| GatewayError::internal(ErrorCode::BodyRewrite))?;
    }
    Ok(b)
}

async fn attempt(
    rc: &mut RequestContext,
    req: &Request<'_>,
    selected: &Selected<'_>,
    candidate: &Candidate,
    timeout_ms: u64,
) -> GatewayResult<Answer> {
    let target = selected.target(now_ms());
    let body = body_for(req.body, candidate)?;
    let endpoint = rc.endpoint.clone();
    let started = now_ms();
    let serving = serving(target.provider, &endpoint).ok_or_else(|| unsupported(&target, endpoint.name()))?;
    let adapter = adapter_for(target.provider.adapter);
    // Forwarded in the client's own format: OpenAI-compatible providers
    // (every endpoint they serve) and Anthropic for Messages clients.
    if serving == Serving::Native && (adapter.is_none() || endpoint.speaks_anthropic()) {
        let (upstream_req, plan) = openai_request::build(&endpoint, body, &target, req.forwarded)?;
        rc.stream = plan.stream;
        let reader = if endpoint.speaks_anthropic() { adapter } else { None };
        let read_error = |status: u16, body: &[u8]| match reader {
            Some(a) => a.error_from(status, body, &target),
            None => upstream_error::normalize(status, body, &target.provider.id, target.secret),
        };
        let upstream = send_attempt(rc, &target, &upstream_req, timeout_ms, &read_error).await?;
        if !plan.stream {
            return Ok(Answer::Forward { upstream, usage_reader: reader });
        }
        let transform: Box<dyn StreamTransform> = match (&endpoint, reader) {
            (_, Some(a)) => Box::new(ObservingStream::new(a.stream_decoder(), anthropic_error_event)),
            (Endpoint::Responses, None) => Box::new(ResponsesObserver::new()),
            _ => Box::new(StreamObserver::new(plan.strip_usage_chunk)),
        };
        return stream(rc, upstream, transform, &target, timeout_ms.saturating_sub(now_ms() - started)).await;
    }
    // Translated: the client's format → neutral chat → the provider's chat
    // API (OpenAI's own for OpenAI-compatible providers) and back.
    let adapter: &'static dyn ChatAdapter = adapter.unwrap_or(&OpenAiChat);
    let value = body
        .to_value()
        .map_err(|_| GatewayError::invalid_request(ErrorCode::InvalidJson, "The request body is not valid JSON."))?;
    let read_error = |status: u16, body: &[u8]| adapter.error_from(status, body, &target);
    if endpoint == Endpoint::Embeddings {
        let request = openai_embeddings::parse(&value, target.model_id)?;
        let mut bodies = Vec::new();
        for upstream_req in &adapter.build_embeddings(&request, &target)? {
            let upstream = send_attempt(rc, &target, upstream_req, timeout_ms, &read_error).await?;
            let (_, bytes) = upstream.bytes().await.map_err(|_| invalid_answer(&target.provider.id, "the body was cut off"))?;
            bodies.push(bytes);
        }
        let answer = adapter.parse_embeddings(&bodies, &request)?;
        rc.usage = Some(answer.usage);
        return Ok(Answer::Composed(openai_embeddings::to_json(&answer, &request, target.model_id)));
    }
    let (mut chat, format) = client_format::parse(&endpoint, &value, target.model_id)?;
    if endpoint == Endpoint::CountTokens {
        // No provider but Anthropic counts tokens: the gateway estimates.
        return Ok(Answer::Composed(client_format::count_tokens(&chat)));
    }
    format.fit_max_tokens(&mut chat, selected.resolved.model.and_then(|m| m.max_output));
    rc.stream = chat.stream;
    if !format.dropped_tools().is_empty() {
        rc.response_headers.retain(|(k, _)| k != DROPPED_TOOLS);
        rc.response_headers.push((DROPPED_TOOLS.into(), format.dropped_tools().join(", ")));
    }
    let upstream_req = adapter.build_chat(&chat, &target)?;
    let upstream = send_attempt(rc, &target, &upstream_req, timeout_ms, &read_error).await?;
    if !chat.stream {
        return Ok(Answer::Chat { upstream, adapter, format });
    }
    let encoder = format.encoder(&rc.id, target.model_id, now_ms() / 1000);
    let transform: Box<dyn StreamTransform> = Box::new(TranslatingStream::new(adapter.stream_decoder(), encoder));
    stream(rc, upstream, transform, &target, timeout_ms.saturating_sub(now_ms() - started)).await
}

/// Names the request's tools a translating provider was not given.
const DROPPED_TOOLS: &str = "alephant-dropped-tools";

/// Errors inside an Anthropic-format stream.
fn anthropic_error_event(e: &GatewayError) -> Vec<u8> {
    sse::encode(Some("error"), &e.to_anthropic_json())
}

/// Reads a stream's first chunk (within what is left of the attempt's
/// time) before committing: a stream that ends at once or opens with an
/// error is a failed attempt, which may still be retried or fallen back from.
async fn stream(
    rc: &mut RequestContext,
    upstream: UpstreamResponse,
    mut transform: Box<dyn StreamTransform>,
    target: &Target<'_>,
    timeout_ms: u64,
) -> GatewayResult<Answer> {
    let provider = &target.provider.id;
    let body = upstream
        .body()
        .ok_or_else(|| GatewayError::bad_gateway(ErrorCode::UpstreamStreamError, format!("{provider} sent an empty stream.")))?;
    let reading = Box::pin(read_first(&body));
    let timer = Box::pin(Delay::from(Duration::from_millis(timeout_ms.max(1))));
    let chunk = match select(reading, timer).await {
        Either::Left((Ok(Some(chunk)), _)) => chunk,
        Either::Left((Ok(None), _)) | Either::Left((Err(_), _)) => {
            return Err(GatewayError::bad_gateway(ErrorCode::UpstreamStreamError, format!("{provider} ended its stream before any data.")))
        }
        Either::Right(_) => {
            let _ = body.cancel();
            return Err(GatewayError::gateway_timeout(format!("{provider} sent no data within {timeout_ms} ms.")));
        }
    };
    let at_ms = now_ms();
    let out = transform.push(&chunk.to_vec());
    if let Some(message) = transform.summary().error_message {
        let _ = body.cancel();
        return Err(GatewayError::bad_gateway(ErrorCode::UpstreamStreamError, format!("{provider}: {message}")));
    }
    rc.first_token_ms = Some(at_ms);
    Ok(Answer::Stream { upstream, transform, first: Some(FirstChunk { chunk, out, at_ms }) })
}
