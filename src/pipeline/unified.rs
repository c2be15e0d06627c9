//! The unified `/v1` endpoints: one OpenAI-style request in, one OpenAI-style
//! answer out, whatever the provider. OpenAI-compatible providers get the
//! client's body with only `model` (and stream usage) rewritten; the others
//! go through their translating adapter and the shared internal model.

use super::context::RequestContext;
use super::dispatch::send_attempt;
use super::respond::{composed_answer, fail, json_answer, keep_openai, stream_answer, JsonConversion};
use super::start::intake;
use super::{authenticate, body, models, resolve};
use crate::api::error::{GatewayError, GatewayResult};
use crate::api::headers::forward_on_unified;
use crate::api::routes::Endpoint;
use crate::catalog::{catalog, ModelSpec};
use crate::providers::adapter::{adapter_for, invalid_answer, ChatAdapter};
use crate::providers::openai_compat::request::{self as openai_request, StreamPlan};
use crate::providers::openai_compat::stream::StreamObserver;
use crate::providers::openai_format::chunks::ChunkEncoder;
use crate::providers::openai_format::{embeddings as openai_embeddings, request as openai_chat, response as openai_response};
use crate::providers::stream_transform::StreamTransform;
use crate::providers::translate::TranslatingStream;
use crate::providers::{upstream_error, Target};
use crate::runtime::config::Config;
use crate::runtime::http::{self, ErrorShape, UpstreamResponse};
use crate::runtime::now_ms;
use crate::store::config as store;
use crate::util::json_object::JsonObject;
use worker::{Context, Env, Request, Response};

const SSE: &str = "text/event-stream; charset=utf-8";

/// What stage 5 produced and how stage 6 must answer it.
enum Answer {
    /// An OpenAI-compatible provider's own answer.
    Forward { upstream: UpstreamResponse, plan: StreamPlan },
    /// A translated chat answer.
    Chat { upstream: UpstreamResponse, adapter: &'static dyn ChatAdapter, stream: bool, include_usage: bool },
    /// An answer composed by the gateway (translated embeddings).
    Composed(Vec<u8>),
}

pub async fn handle_unified(mut req: Request, env: &Env, ctx: &Context, endpoint: Endpoint) -> Response {
    let cfg = Config::from_env(env);
    let (mut rc, headers) = intake(&req, env, endpoint.clone());
    match run(&mut req, env, &cfg, &mut rc, headers).await {
        Ok((answer, model)) => respond(answer, rc, model, env, ctx).await,
        Err(e) => fail(rc, e, env, ctx, ErrorShape::OpenAi),
    }
}

async fn run(
    req: &mut Request,
    env: &Env,
    cfg: &Config,
    rc: &mut RequestContext,
    headers: Vec<(String, String)>,
) -> GatewayResult<(Answer, Option<ModelSpec>)> {
    let principal = authenticate::authenticate(req, env, cfg, rc, None).await?;
    let bytes = http::read_body(req, cfg.max_body_bytes).await?;
    let parsed = body::parse(&bytes)?;
    drop(bytes);
    rc.requested_model = Some(parsed.model.clone());
    if rc.meta.user_id.is_none() {
        rc.meta.user_id = parsed.user.clone();
    }
    let workspace = store::workspace_config(env, cfg, &principal.workspace_id, rc.started_ms).await?;
    let selected = resolve::select(catalog(), &workspace, &principal, &rc.endpoint, &parsed.model)?;
    rc.provider = Some(selected.resolved.provider.id.clone());
    rc.model = Some(selected.resolved.model_id.to_string());
    crate::governance::limits::enforce(env, &principal, rc).await?;

    let null = serde_json::Value::Null;
    let target = Target {
        provider: selected.resolved.provider,
        model_id: selected.resolved.model_id,
        base_url: selected.base_url,
        secret: selected.secret(),
        config: selected.credential.map_or(&null, |c| &c.config),
        now_ms: now_ms(),
    };
    let model = selected.resolved.model.cloned();
    let endpoint = rc.endpoint.clone();
    let answer = match adapter_for(target.provider.adapter) {
        None => {
            let forwarded: Vec<(String, String)> = headers.into_iter().filter(|(k, _)| forward_on_unified(k)).collect();
            let (upstream_req, plan) = openai_request::build(&endpoint, parsed.object, &target, &forwarded)?;
            rc.stream = plan.stream;
            let read_error = |status: u16, body: &[u8]| {
                upstream_error::normalize(status, body, &target.provider.id, target.secret)
            };
            let upstream = send_attempt(rc, &target, &upstream_req, cfg.upstream_timeout_ms, &read_error).await?;
            Answer::Forward { upstream, plan }
        }
        Some(adapter) => translate(rc, adapter, &target, &endpoint, parsed.object, cfg).await?,
    };
    Ok((answer, model))
}

/// The translating path: OpenAI request → internal model → provider.
async fn translate(
    rc: &mut RequestContext,
    adapter: &'static dyn ChatAdapter,
    target: &Target<'_>,
    endpoint: &Endpoint,
    object: JsonObject,
    cfg: &Config,
) -> GatewayResult<Answer> {
    let value = object
        .to_value()
        .map_err(|_| GatewayError::invalid_request("invalid_json", "The request body is not valid JSON."))?;
    let read_error = |status: u16, body: &[u8]| adapter.error_from(status, body, target);
    match endpoint {
        Endpoint::ChatCompletions => {
            let chat = openai_chat::parse(&value, target.model_id)?;
            rc.stream = chat.stream;
            let upstream_req = adapter.build_chat(&chat, target)?;
            let upstream = send_attempt(rc, target, &upstream_req, cfg.upstream_timeout_ms, &read_error).await?;
            Ok(Answer::Chat { upstream, adapter, stream: chat.stream, include_usage: chat.include_usage })
        }
        Endpoint::Embeddings => {
            let request = openai_embeddings::parse(&value, target.model_id)?;
            let upstream_reqs = adapter.build_embeddings(&request, target)?;
            let mut bodies = Vec::with_capacity(upstream_reqs.len());
            for upstream_req in &upstream_reqs {
                let upstream = send_attempt(rc, target, upstream_req, cfg.upstream_timeout_ms, &read_error).await?;
                let (_, bytes) = upstream
                    .bytes()
                    .await
                    .map_err(|_| invalid_answer(&target.provider.id, "the body was cut off"))?;
                bodies.push(bytes);
            }
            let answer = adapter.parse_embeddings(&bodies, &request)?;
            rc.usage = Some(answer.usage);
            Ok(Answer::Composed(openai_embeddings::to_json(&answer, &request, &upstream_model(rc))))
        }
        other => Err(GatewayError::invalid_request(
            "unsupported_for_provider",
            format!("Provider '{}' does not serve the {} endpoint.", target.provider.id, other.name()),
        )
        .with_param("model")),
    }
}

/// The upstream model id, as translated answers name it when the provider does not.
fn upstream_model(rc: &RequestContext) -> String {
    rc.model.clone().unwrap_or_default()
}

/// Stage 6 for each kind of answer.
async fn respond(answer: Answer, rc: RequestContext, model: Option<ModelSpec>, env: &Env, ctx: &Context) -> Response {
    match answer {
        Answer::Forward { upstream, plan } if plan.stream => {
            let observer: Box<dyn StreamTransform> = Box::new(StreamObserver::new(plan.strip_usage_chunk));
            stream_answer(upstream, rc, observer, model, SSE, env, ctx)
        }
        Answer::Forward { upstream, .. } => json_answer(upstream, rc, model, keep_openai(), env, ctx).await,
        Answer::Chat { upstream, adapter, stream: true, include_usage } => {
            let encoder = ChunkEncoder::new(&rc.id, &upstream_model(&rc), now_ms() / 1000, include_usage);
            let transform: Box<dyn StreamTransform> = Box::new(TranslatingStream::new(adapter.stream_decoder(), encoder));
            stream_answer(upstream, rc, transform, model, SSE, env, ctx)
        }
        Answer::Chat { upstream, adapter, .. } => {
            let (id, model_id) = (rc.id.clone(), upstream_model(&rc));
            let convert: JsonConversion = Box::new(move |bytes: &[u8]| {
                let answer = adapter.parse_chat(bytes)?;
                let json = openai_response::to_json(&answer, &id, &model_id, now_ms() / 1000);
                Ok((Some(json), answer.usage))
            });
            json_answer(upstream, rc, model, convert, env, ctx).await
        }
        Answer::Composed(body) => composed_answer(rc, body, model, env, ctx),
    }
}

/// `GET /v1/models` and `GET /v1/models/{id}`: what this key may call.
pub async fn handle_models(req: Request, env: &Env, endpoint: Endpoint) -> Response {
    let cfg = Config::from_env(env);
    let (mut rc, _) = intake(&req, env, endpoint.clone());
    let listed = async {
        let principal = authenticate::authenticate(&req, env, &cfg, &mut rc, None).await?;
        let workspace = store::workspace_config(env, &cfg, &principal.workspace_id, rc.started_ms).await?;
        Ok::<_, GatewayError>((principal, workspace))
    }
    .await;
    let (principal, workspace) = match listed {
        Ok(p) => p,
        Err(e) => return http::error(&e, Some(&rc.id), ErrorShape::OpenAi),
    };
    match &endpoint {
        Endpoint::RetrieveModel(id) => match models::retrieve(&principal, &workspace, id) {
            Ok(m) => http::json_value(200, &m, Some(&rc.id)),
            Err(e) => http::error(&e, Some(&rc.id), ErrorShape::OpenAi),
        },
        _ => http::json_value(200, &models::list(&principal, &workspace), Some(&rc.id)),
    }
}
