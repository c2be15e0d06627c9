//! The unified `/v1` endpoints (and `/router/{id}/v1`): one OpenAI-style
//! request in, one OpenAI-style answer out, whatever the provider.
//!
//! The request's targets come from a router (named in the path or as
//! `model: "router/<id>"`), from the zero-config default route
//! (`model: "auto"` in the default workspace), or from the model name
//! alone; `attempts` then tries them with retries and fallback.

use super::attempts::{self, Answer, Attempted};
use super::context::RequestContext;
use crate::observe::archive::ArchivePlan;
use super::plan::{self, Candidate, Defaults, Resilience};
use super::respond::{cached_answer, composed_answer, fail, json_answer, keep_openai, stream_answer, JsonConversion};
use super::start::intake;
use super::{authenticate, body, cache, govern, guard, models, prompt, resolve};
use crate::guardrails::config::GuardPolicy;
use crate::auth::principal::Principal;
use crate::catalog::{catalog, ModelSpec};
use crate::core::endpoint::Endpoint;
use crate::core::error::{GatewayError, GatewayResult};
use crate::core::headers::{forward_on_unified, FORCED_ROUTING};
use crate::governance::scope_policy::EffectivePolicy;
use crate::governance::{estimate, token_cap};
use crate::routing::config::Target as RouterTarget;
use crate::routing::facts::RequestFacts;
use crate::routing::{health_client, zero_config};
use crate::runtime::config::{secret, Config};
use crate::runtime::http::{self, ErrorShape};
use crate::runtime::now_ms;
use crate::store::records::WorkspaceConfig;
use crate::store::{config as store, prompts, routers};
use crate::runtime::client_request::ClientRequest;
use worker::{Context, Env, Response};

const SSE: &str = "text/event-stream; charset=utf-8";

pub async fn handle_unified(req: ClientRequest, env: &Env, ctx: &Context, endpoint: Endpoint, router: Option<String>) -> Response {
    let cfg = Config::from_env(env);
    let mut rc = intake(&req, env, endpoint);
    let result = run(&req, env, &cfg, &mut rc, router).await;
    if let Some(ws) = rc.workspace_id.clone() {
        // Share what this request learned about target health (in the background).
        let (env, many) = (env.clone(), rc.attempts.len() > 1 || rc.router_id.is_some());
        ctx.wait_until(async move { health_client::sync(&env, &ws, now_ms(), many).await });
    }
    match result {
        Ok(Ran::Upstream(Attempted { answer, model })) => respond(answer, rc, model, env, ctx).await,
        Ok(Ran::Cached(hit)) => cached_answer(rc, hit.served, env, ctx),
        Err(e) => fail(rc, e, env, ctx, ErrorShape::OpenAi),
    }
}

/// Where the answer comes from.
enum Ran {
    Upstream(Attempted),
    Cached(cache::Hit),
}

async fn run(
    req: &ClientRequest,
    env: &Env,
    cfg: &Config,
    rc: &mut RequestContext,
    router: Option<String>,
) -> GatewayResult<Ran> {
    let headers = &req.headers;
    // 1 authenticate
    let principal = authenticate::authenticate(req, env, cfg, rc, None).await?;
    let wanted_prompt = prompt::requested(headers, &rc.endpoint)?;
    let bytes = req.read_body(cfg.max_body_bytes).await?;
    let workspace = store::workspace_config(env, cfg, &principal.workspace_id, rc.started_ms).await?;
    let policy = workspace.effective_policy(&principal);
    policy.check_headers(headers)?;
    rc.archive = ArchivePlan::new(cfg.archive, policy.archive_bodies(), headers);
    let guards = policy.guardrails(headers)?;
    // 1b prompt, guardrails, and the body as the request from here on
    let incoming = read_request(env, cfg, rc, &policy, &workspace.workspace_id, bytes, wanted_prompt, guards).await?;
    super::moderate::input(env, rc, &workspace, &incoming.parsed.object).await?;
    // 2 resolve: the targets, in order, each allowed by the key's policy
    let routed = route(env, cfg, rc, &principal, &workspace, &policy, headers, &incoming.parsed, router).await?;
    // 3 govern: limits, concurrency and budgets, for the dearest planned target
    let models: Vec<ModelSpec> = routed.candidates.iter().filter_map(|c| resolve_model(&workspace, &c.qualified)).collect();
    let max_tokens = estimate::requested_max_tokens(&incoming.parsed.object);
    let est = estimate::estimate(incoming.body_len, incoming.images, max_tokens, &models.iter().collect::<Vec<_>>());
    let unpriced = routed.candidates.iter().find(|c| !resolve_model(&workspace, &c.qualified).is_some_and(|m| m.is_priced()));
    govern::govern(env, rc, &principal, &policy, &workspace, headers, &est, unpriced.map(|c| c.qualified.as_str())).await?;
    // 4 cache
    let body = &incoming.parsed.object;
    let lookup = cache::Lookup { env, cfg, workspace: &workspace, policy: &policy, headers, body, target: &routed.cache_target };
    if let Some(hit) = cache::lookup(rc, &lookup).await? {
        return Ok(Ran::Cached(hit));
    }
    // 5 dispatch (and 6 respond, by the caller)
    let forwarded: Vec<(String, String)> = headers.iter().filter(|(k, _)| forward_on_unified(k)).cloned().collect();
    let request = attempts::Request { policy: &policy, workspace: &workspace, body, forwarded: &forwarded };
    let attempted = attempts::run(rc, &request, &routed.candidates, &routed.resilience).await?;
    conform(rc, &request, &routed, attempted).await.map(Ran::Upstream)
}

/// `output_schema: fallback`: a JSON answer that does not follow the JSON
/// schema its request asked for is tried once more on the route's next
/// target. Whatever answers last is checked again when it is sent (and
/// refused with 502 `invalid_model_output` if it still does not conform).
async fn conform(rc: &mut RequestContext, request: &attempts::Request<'_>, routed: &Routed, attempted: Attempted) -> GatewayResult<Attempted> {
    let Some(guard) = rc.guard.clone().filter(|g| g.schema_fallback()) else { return Ok(attempted) };
    let answer = match &attempted.answer {
        Answer::Forward { upstream, .. } => read_copy(upstream).await,
        Answer::Chat { upstream, adapter, format } => read_copy(upstream).await.and_then(|bytes| {
            let chat = adapter.parse_chat(&bytes).ok()?;
            Some(format.to_json(&chat, &rc.id, rc.model.as_deref().unwrap_or_default(), 0))
        }),
        _ => None,
    };
    let Some(Err(e)) = answer.map(|a| guard.check_schema(&a)) else { return Ok(attempted) };
    let answered = rc.provider.clone().zip(rc.model.clone());
    let next = routed.candidates.iter().position(|c| answered.as_ref().is_some_and(|(p, m)| c.split() == (p.as_str(), m.as_str())));
    let Some(rest) = next.map(|i| &routed.candidates[i + 1..]).filter(|rest| !rest.is_empty()) else { return Ok(attempted) };
    rc.policy.push(serde_json::json!({
        "decision": "invalid_model_output", "action": "fallback", "target": answered.map(|(p, m)| format!("{p}/{m}")), "why": e.message,
    }));
    attempts::run(rc, request, &rest[..1], &routed.resilience).await
}

/// A JSON answer's bytes, read from a copy so the answer itself can still be sent.
async fn read_copy(upstream: &crate::runtime::http::UpstreamResponse) -> Option<Vec<u8>> {
    let copy = web_sys::Response::clone(&upstream.0).ok()?;
    crate::runtime::http::UpstreamResponse(copy).bytes().await.ok().map(|(_, bytes)| bytes)
}

/// The request body as read and rendered: what every later stage decides on.
struct Incoming {
    parsed: body::ParsedBody,
    /// Bytes of the (rendered) request and its image parts, for estimates.
    body_len: usize,
    images: u64,
}

/// Stage 1b and the body checks: a stored prompt rendered into the body,
/// its shape checked for the endpoint, the model read, the `max_tokens` cap
/// applied, the guardrails' input checks run over its text. Keeps the
/// client's bytes for the archive (the guarded body when guardrails changed it).
#[allow(clippy::too_many_arguments)]
async fn read_request(
    env: &Env,
    cfg: &Config,
    rc: &mut RequestContext,
    policy: &EffectivePolicy,
    workspace_id: &str,
    bytes: Vec<u8>,
    wanted_prompt: Option<crate::prompts::PromptRef>,
    guards: Option<GuardPolicy>,
) -> GatewayResult<Incoming> {
    let mut object = body::parse_object(&bytes)?;
    let (mut body_len, images) = (bytes.len(), estimate::image_parts(&bytes));
    if rc.archive.request {
        rc.request_body = Some(bytes);
    }
    if let Some(wanted) = wanted_prompt {
        let stored = prompts::prompt(env, cfg, workspace_id, &wanted, rc.started_ms).await?;
        rc.prompt = Some((stored.id.clone(), stored.version));
        prompt::apply(&mut object, &stored.id, stored.version, &stored.template)?;
        body_len = object.to_vec().len();
    }
    body::check_shape(&rc.endpoint, &object, false)?;
    let mut parsed = body::fields(object)?;
    rc.requested_model = Some(parsed.model.clone());
    if rc.meta.user_id.is_none() {
        rc.meta.user_id = parsed.user.clone();
    }
    if rc.endpoint.generates() {
        body::cap_tokens(rc, policy, &mut parsed.object, token_cap::Site::top(rc.endpoint.max_tokens_field()))?;
    }
    if guard::guard_request(rc, guards, &mut parsed.object, body_len, images)? && rc.archive.request {
        rc.request_body = Some(parsed.object.to_vec());
    }
    Ok(Incoming { parsed, body_len, images })
}

/// Stage 2's outcome: what to try, how hard, and what the cache keys on.
struct Routed {
    candidates: Vec<Candidate>,
    resilience: Resilience,
    cache_target: String,
}

/// Stage 2: the request's targets from a router (named in the path or as
/// `model: "router/<id>"`), the zero-config route (`auto` in the default
/// workspace) or the model name; forced routing; the key's policy over
/// every target, before any cache lookup.
#[allow(clippy::too_many_arguments)]
async fn route(
    env: &Env,
    cfg: &Config,
    rc: &mut RequestContext,
    principal: &Principal,
    workspace: &WorkspaceConfig,
    policy: &EffectivePolicy,
    headers: &[(String, String)],
    parsed: &body::ParsedBody,
    router: Option<String>,
) -> GatewayResult<Routed> {
    let defaults = Defaults { retries: cfg.default_retries, attempt_timeout_ms: cfg.upstream_timeout_ms, deadline_ms: cfg.request_deadline_ms };
    let facts = RequestFacts { meta: &rc.meta, principal, model: &parsed.model, body: &parsed.object };
    let now = now_ms();
    let available = |t: &RouterTarget| health_client::available(&workspace.workspace_id, &plan::health_key(workspace, t), now);
    let mut random = || js_sys::Math::random();
    let router_name = router.or_else(|| parsed.model.strip_prefix("router/").map(str::to_string));
    let (candidates, resilience, router_key, router_id) = if let Some(name) = router_name {
        let stored = routers::router(env, cfg, &principal.workspace_id, &name, rc.started_ms).await?;
        let candidates = plan::router_candidates(&stored.config, &facts, &available, &mut random)?;
        let key = format!("router:{}@{}", stored.id, stored.version);
        (candidates, Resilience::of_router(&stored.config, defaults), Some(key), Some(stored.id.clone()))
    } else if workspace.workspace_id == zero_config::DEFAULT_WORKSPACE && parsed.model == zero_config::AUTO_MODEL {
        let providers = secret(env, "GATEWAY_PROVIDERS");
        let config = plan::default_router(providers.as_deref(), secret(env, "GATEWAY_WEIGHTS").as_deref())?;
        let candidates = plan::router_candidates(&config, &facts, &available, &mut random)?;
        let key = format!("router:default@{}", providers.as_deref().unwrap_or_default());
        (candidates, Resilience::of_router(&config, defaults), Some(key), Some("default".to_string()))
    } else {
        // One target from the model name: checked now, so a bad name or a
        // missing key is the request's error, not a failed attempt.
        let selected = resolve::select(catalog(), workspace, policy, &rc.endpoint, &parsed.model)?;
        let candidate = Candidate::of(selected.resolved.qualified(), selected.credential.map(|c| c.id.clone()));
        (vec![candidate], Resilience::plain(defaults), None, None)
    };
    rc.router_id = router_id;
    let forcing = headers.iter().find(|(k, _)| k == FORCED_ROUTING).map(|(_, v)| v.as_str());
    let candidates = plan::forced(forcing, policy, candidates)?;
    let (candidates, dropped) = plan::permitted(policy, workspace, candidates)?;
    if let Some((p, m)) = candidates.first().map(Candidate::split) {
        rc.provider = Some(p.to_string());
        rc.model = Some(m.to_string());
    }
    let cache_target = plan::cache_target(router_key.as_deref(), forcing.is_some(), dropped, &candidates);
    Ok(Routed { candidates, resilience, cache_target })
}

/// The catalog entry of `provider/model`, for estimates.
fn resolve_model(workspace: &WorkspaceConfig, qualified: &str) -> Option<ModelSpec> {
    crate::catalog::resolve::resolve(catalog(), &workspace.custom_providers, qualified).ok()?.model.cloned()
}

/// Stage 6 for each kind of answer.
async fn respond(answer: Answer, rc: RequestContext, model: Option<ModelSpec>, env: &Env, ctx: &Context) -> Response {
    match answer {
        Answer::Forward { upstream, usage_reader: None } => json_answer(upstream, rc, model, keep_openai(), env, ctx).await,
        Answer::Forward { upstream, usage_reader: Some(adapter) } => {
            let convert: JsonConversion = Box::new(move |bytes: &[u8]| Ok((None, adapter.parse_chat(bytes).ok().and_then(|r| r.usage))));
            json_answer(upstream, rc, model, convert, env, ctx).await
        }
        Answer::Stream { upstream, transform, first } => stream_answer(upstream, rc, transform, first, model, SSE, env, ctx),
        Answer::Chat { upstream, adapter, format } => {
            let (id, model_id) = (rc.id.clone(), rc.model.clone().unwrap_or_default());
            let convert: JsonConversion = Box::new(move |bytes: &[u8]| {
                let answer = adapter.parse_chat(bytes)?;
                let json = format.to_json(&answer, &id, &model_id, now_ms() / 1000);
                Ok((Some(json), answer.usage))
            });
            json_answer(upstream, rc, model, convert, env, ctx).await
        }
        Answer::Composed(body) => composed_answer(rc, body, model, env, ctx),
    }
}

/// `GET /v1/models` and `GET /v1/models/{id}`: what this key may call.
pub async fn handle_models(req: ClientRequest, env: &Env, endpoint: Endpoint) -> Response {
    let cfg = Config::from_env(env);
    let mut rc = intake(&req, env, endpoint.clone());
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
        Endpoint::RetrieveModel(id) => match models::retrieve(&workspace.effective_policy(&principal), &workspace, id) {
            Ok(m) => http::json_value(200, &m, Some(&rc.id)),
            Err(e) => http::error(&e, Some(&rc.id), ErrorShape::OpenAi),
        },
        _ => http::json_value(200, &models::list(&workspace.effective_policy(&principal), &workspace), Some(&rc.id)),
    }
}
