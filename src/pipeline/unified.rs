//! The unified `/v1` endpoints (and `/router/{id}/v1`): one OpenAI-style
//! request in, one OpenAI-style answer out, whatever the provider.
//!
//! The request's targets come from a router (named in the path or as
//! `model: "router/<id>"`), from the zero-config default route
//! (`model: "auto"` in the default workspace), or from the model name
//! alone; `attempts` then tries them with retries and fallback.

use super::attempts::{self, Answer, Attempted, Candidate, Resilience};
use super::context::RequestContext;
use super::respond::{cached_answer, composed_answer, fail, json_answer, keep_openai, stream_answer, JsonConversion};
use super::start::intake;
use super::{authenticate, body, cache, models, prompt, resolve};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::core::headers::{forward_on_unified, FORCED_ROUTING, RATELIMIT_POLICY};
use crate::core::endpoint::Endpoint;
use crate::auth::principal::Principal;
use crate::catalog::{catalog, ModelSpec};
use crate::governance::scope_policy::EffectivePolicy;
use crate::governance::scopes::{Estimates, Subject};
use crate::governance::{admission, estimate, rate_limit, token_cap};
use crate::util::json_object::JsonObject;
use crate::routing::config::{RetryPolicy, RouterConfig, Target};
use crate::routing::facts::RequestFacts;
use crate::routing::plan::{plan, PlanError};
use crate::routing::{health, health_client, zero_config};
use crate::runtime::config::{secret, test_hooks, Config};
use crate::runtime::http::{self, ErrorShape};
use crate::runtime::now_ms;
use crate::store::records::{BudgetRow, WorkspaceConfig};
use crate::store::{config as store, prompts, routers};
use serde_json::Map;
use worker::{Context, Env, Request, Response};

const SSE: &str = "text/event-stream; charset=utf-8";

pub async fn handle_unified(mut req: Request, env: &Env, ctx: &Context, endpoint: Endpoint, router: Option<String>) -> Response {
    let cfg = Config::from_env(env);
    let (mut rc, headers) = intake(&req, env, endpoint);
    let result = run(&mut req, env, &cfg, &mut rc, headers, router).await;
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
    req: &mut Request,
    env: &Env,
    cfg: &Config,
    rc: &mut RequestContext,
    headers: Vec<(String, String)>,
    router: Option<String>,
) -> GatewayResult<Ran> {
    let principal = authenticate::authenticate(req, env, cfg, rc, None).await?;
    let wanted_prompt = prompt::requested(&headers, &rc.endpoint)?;
    let bytes = http::read_body(req, cfg.max_body_bytes).await?;
    if rc.archive.request {
        rc.request_body = Some(bytes.clone());
    }
    let mut object = body::parse_object(&bytes)?;
    let (mut body_len, images) = (bytes.len(), estimate::image_parts(&bytes));
    drop(bytes);
    let workspace = store::workspace_config(env, cfg, &principal.workspace_id, rc.started_ms).await?;
    let policy = workspace.effective_policy(&principal);
    policy.check_headers(&headers)?;
    // The rendered body is the request from here on: model, caps, estimates, cache key.
    if let Some(wanted) = wanted_prompt {
        let stored = prompts::prompt(env, cfg, &principal.workspace_id, &wanted, rc.started_ms).await?;
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
        cap_tokens(rc, &policy, &mut parsed.object, token_cap::Site::top(rc.endpoint.max_tokens_field()))?;
    }

    let router_name = router.or_else(|| parsed.model.strip_prefix("router/").map(str::to_string));
    // What the cache keys on besides the body: the router (and its version), else the target.
    let mut cache_target = None;
    let (candidates, resilience) = if let Some(name) = router_name {
        let stored = routers::router(env, cfg, &principal.workspace_id, &name, rc.started_ms).await?;
        rc.router_id = Some(stored.id.clone());
        cache_target = Some(format!("router:{}@{}", stored.id, stored.version));
        let facts = RequestFacts { meta: &rc.meta, principal: &principal, model: &parsed.model, body: &parsed.object };
        planned(&stored.config, &facts, &workspace, cfg)?
    } else if workspace.workspace_id == zero_config::DEFAULT_WORKSPACE && parsed.model == zero_config::AUTO_MODEL {
        let providers = secret(env, "GATEWAY_PROVIDERS");
        let weights = secret(env, "GATEWAY_WEIGHTS");
        let config = zero_config::default_router(providers.as_deref(), weights.as_deref())
            .map_err(|why| GatewayError::new(500, crate::core::error::ErrorType::ApiError, ErrorCode::GatewayMisconfigured, why))?
            .ok_or_else(|| {
                GatewayError::invalid_request(
                    ErrorCode::NoDefaultRoute,
                    "'auto' needs a default route: set GATEWAY_PROVIDERS (e.g. \"openai:gpt-4o-mini,anthropic:claude-haiku-4-5\").",
                )
                .with_param("model")
            })?;
        rc.router_id = Some("default".into());
        cache_target = Some(format!("router:default@{}", providers.as_deref().unwrap_or_default()));
        let facts = RequestFacts { meta: &rc.meta, principal: &principal, model: &parsed.model, body: &parsed.object };
        planned(&config, &facts, &workspace, cfg)?
    } else {
        // One target from the model name: checked now, so a bad name or a
        // missing key is the request's error, not a failed attempt.
        let selected = resolve::select(catalog(), &workspace, &policy, &rc.endpoint, &parsed.model)?;
        let candidate = Candidate {
            qualified: selected.resolved.qualified(),
            provider_key: selected.credential.map(|c| c.id.clone()),
            params: Map::new(),
        };
        let resilience = Resilience {
            retry: RetryPolicy { attempts: cfg.default_retries, ..RetryPolicy::default() },
            health: Default::default(),
            attempt_timeout_ms: cfg.upstream_timeout_ms,
            deadline_ms: cfg.request_deadline_ms,
        };
        (vec![candidate], resilience)
    };
    if headers.iter().any(|(k, _)| k == FORCED_ROUTING) {
        cache_target = None;
    }
    let candidates = forced(&headers, &policy, candidates)?;
    // Every planned target is checked against the key's policy before the
    // cache is asked: a key that may use none of them gets no cached answer.
    let (candidates, dropped) = permitted(&policy, &workspace, candidates)?;
    if dropped {
        // Key the cache on the targets this key may use, not the whole router.
        cache_target = None;
    }
    if let Some(first) = candidates.first() {
        if let Some((p, m)) = first.qualified.split_once('/') {
            rc.provider = Some(p.to_string());
            rc.model = Some(m.to_string());
        }
    }
    // Stage 3: limits, concurrency and budgets, for the dearest planned target.
    let models: Vec<ModelSpec> = candidates
        .iter()
        .filter_map(|c| resolve_model(&workspace, &c.qualified))
        .collect();
    let est = estimate::estimate(body_len, images, estimate::requested_max_tokens(&parsed.object), &models.iter().collect::<Vec<_>>());
    let unpriced = candidates.iter().find(|c| !resolve_model(&workspace, &c.qualified).is_some_and(|m| m.is_priced()));
    govern(env, rc, &principal, &policy, &workspace, &headers, &est, unpriced.map(|c| c.qualified.as_str())).await?;

    // Stage 4: the cache.
    let target = cache_target.or_else(|| candidates.first().map(|c| c.qualified.clone())).unwrap_or_default();
    let lookup = cache::Lookup { env, cfg, workspace: &workspace, policy: &policy, headers: &headers, body: &parsed.object, target: &target };
    if let Some(hit) = cache::lookup(rc, &lookup).await? {
        return Ok(Ran::Cached(hit));
    }

    let forwarded: Vec<(String, String)> = headers.into_iter().filter(|(k, _)| forward_on_unified(k)).collect();
    let request = attempts::Request { policy: &policy, workspace: &workspace, body: &parsed.object, forwarded: &forwarded };
    attempts::run(rc, &request, &candidates, &resilience).await.map(Ran::Upstream)
}

/// The catalog entry of `provider/model`, for estimates.
fn resolve_model(workspace: &WorkspaceConfig, qualified: &str) -> Option<ModelSpec> {
    crate::catalog::resolve::resolve(catalog(), &workspace.custom_providers, qualified).ok()?.model.cloned()
}

/// Holds the request's answer-length limit, under every name, to the
/// policy's cap, and notes in the log when the client asked for more.
pub fn cap_tokens(
    rc: &mut RequestContext,
    policy: &EffectivePolicy,
    body: &mut JsonObject,
    site: token_cap::Site,
) -> GatewayResult<token_cap::Capped> {
    let cap = policy.max_tokens();
    let capped = token_cap::apply(body, &site, cap.as_ref().map(|(c, _)| *c))?;
    if let (Some(requested), Some((cap, scope))) = (capped.requested, cap) {
        if requested > u64::from(cap) {
            rc.policy.push(serde_json::json!({ "decision": "max_tokens_capped", "requested": requested, "cap": cap, "scope": scope }));
        }
    }
    Ok(capped)
}

/// The candidates the key's policy allows; refused (403, the first
/// denial) when it allows none. `true` when some were left out.
fn permitted(policy: &EffectivePolicy, workspace: &WorkspaceConfig, candidates: Vec<Candidate>) -> GatewayResult<(Vec<Candidate>, bool)> {
    let mut denial = None;
    let total = candidates.len();
    let allowed: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| match crate::catalog::resolve::resolve(catalog(), &workspace.custom_providers, &c.qualified) {
            Ok(r) => match policy.check_model(&r.provider.id, r.model_id) {
                Ok(()) => true,
                Err(e) => {
                    denial.get_or_insert(e);
                    false
                }
            },
            // An unknown target is the attempt loop's to skip, with its own error.
            Err(_) => true,
        })
        .collect();
    match denial {
        Some(e) if allowed.is_empty() => Err(e),
        _ => {
            let dropped = allowed.len() < total;
            Ok((allowed, dropped))
        }
    }
}

/// Stage 3: the request admitted by every limit scope it falls under.
/// `unpriced`: a planned target with no price, which budgets refuse
/// unless they allow unpriced models.
#[allow(clippy::too_many_arguments)]
pub async fn govern(
    env: &Env,
    rc: &mut RequestContext,
    principal: &Principal,
    policy: &EffectivePolicy,
    workspace: &WorkspaceConfig,
    headers: &[(String, String)],
    est: &Estimates,
    unpriced: Option<&str>,
) -> GatewayResult<()> {
    rc.prompt_tokens_estimate = est.prompt_tokens;
    let header_rules = match headers.iter().find(|(k, _)| k == RATELIMIT_POLICY) {
        // A request may add tighter rules over its own scopes, never remove any.
        Some((_, v)) => rate_limit::parse_header(v).map_err(|why| {
            GatewayError::invalid_request(ErrorCode::InvalidRatelimitPolicy, format!("alephant-ratelimit-policy: {why}."))
        })?,
        None => Vec::new(),
    };
    let budgets: Vec<&BudgetRow> = workspace.budgets_for(principal).collect();
    if let (Some(model), Some(budget)) = (unpriced, budgets.iter().find(|b| !b.allow_unpriced)) {
        // Spend that cannot be priced cannot be held to a budget.
        return Err(GatewayError::forbidden(
            ErrorCode::UnpricedModel,
            format!(
                "Model '{model}' has no price, so budget '{}' cannot account for it; an administrator can allow \
                 unpriced models on the budget (\"unpriced\": \"allow\") or give the model a price.",
                budget.id
            ),
        )
        .with_param("model"));
    }
    rc.budget_webhooks = budgets.iter().filter_map(|b| b.webhook_url.clone().map(|u| (b.id.clone(), u))).collect();
    let subject = Subject { principal, meta: &rc.meta, policy, header_rules: &header_rules, budgets };
    let test_now = test_hooks(env)
        .then(|| headers.iter().find(|(k, _)| k == "alephant-test-now").and_then(|(_, v)| v.parse().ok()))
        .flatten();
    match admission::admit(env, &rc.id, rc.started_ms, &subject, est, test_now).await {
        Ok(a) => {
            rc.response_headers.extend(a.headers);
            rc.policy.extend(a.decisions);
            rc.admissions = a.admitted;
            Ok(())
        }
        Err(r) => {
            rc.response_headers.extend(r.headers);
            rc.policy.extend(r.decisions);
            Err(r.error)
        }
    }
}

/// The health key a router target will be tracked under.
fn health_key(workspace: &WorkspaceConfig, t: &Target) -> String {
    let provider = workspace
        .custom_providers
        .iter()
        .find(|p| p.answers_to(&t.provider))
        .or_else(|| catalog().provider(&t.provider))
        .map_or(t.provider.as_str(), |p| p.id.as_str());
    let credential = t.provider_key.as_deref().or_else(|| workspace.credential_for(provider).map(|c| c.id.as_str()));
    health::key(provider, &t.model, credential)
}

/// A router's targets in the order this request tries them.
fn planned(
    config: &RouterConfig,
    facts: &RequestFacts,
    workspace: &WorkspaceConfig,
    cfg: &Config,
) -> GatewayResult<(Vec<Candidate>, Resilience)> {
    let now = now_ms();
    let available = |t: &Target| health_client::available(&workspace.workspace_id, &health_key(workspace, t), now);
    let targets = plan(&config.root, facts, &available, &mut || js_sys::Math::random()).map_err(|e| match e {
        PlanError::NoRoute => GatewayError::invalid_request(
            ErrorCode::NoRoute,
            "No rule of this router matches the request, and it has no 'else'.",
        ),
    })?;
    let candidates = targets
        .into_iter()
        .map(|t| Candidate { qualified: t.qualified(), provider_key: t.provider_key, params: t.params })
        .collect();
    let resilience = Resilience {
        retry: config.retry.clone(),
        health: config.health.clone(),
        attempt_timeout_ms: config.timeout_ms.unwrap_or(cfg.upstream_timeout_ms),
        deadline_ms: config.deadline_ms.unwrap_or(cfg.request_deadline_ms),
    };
    Ok((candidates, resilience))
}

/// `alephant-forced-routing: <provider>[/<model>]` keeps only that target,
/// for controlled tests — where the key's policy allows it.
fn forced(headers: &[(String, String)], policy: &EffectivePolicy, candidates: Vec<Candidate>) -> GatewayResult<Vec<Candidate>> {
    let Some(wanted) = headers.iter().find(|(k, _)| k == FORCED_ROUTING).map(|(_, v)| v.trim().to_string()) else {
        return Ok(candidates);
    };
    if !policy.may_force_routing() {
        return Err(GatewayError::forbidden(
            ErrorCode::ForcedRoutingNotAllowed,
            "This key may not use alephant-forced-routing (its policy needs \"allow_forced_routing\": true).",
        ));
    }
    let (provider, model) = match wanted.split_once('/') {
        Some((p, m)) => (p.to_string(), Some(m.to_string())),
        None => (wanted.clone(), None),
    };
    let provider = catalog().provider(&provider).map_or(provider.clone(), |p| p.id.clone());
    let matching: Vec<Candidate> = candidates
        .iter()
        .filter(|c| {
            let (p, m) = c.qualified.split_once('/').unwrap_or((&c.qualified, ""));
            p == provider && model.as_deref().is_none_or(|want| want == m)
        })
        .cloned()
        .collect();
    if !matching.is_empty() {
        return Ok(matching);
    }
    // No planned target matches: force the provider with the request's own model.
    let model = model
        .or_else(|| candidates.first().and_then(|c| c.qualified.split_once('/').map(|(_, m)| m.to_string())))
        .ok_or_else(|| GatewayError::invalid_request(ErrorCode::InvalidValue, "alephant-forced-routing names no model to use."))?;
    Ok(vec![Candidate { qualified: format!("{provider}/{model}"), provider_key: None, params: Map::new() }])
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
        Endpoint::RetrieveModel(id) => match models::retrieve(&workspace.effective_policy(&principal), &workspace, id) {
            Ok(m) => http::json_value(200, &m, Some(&rc.id)),
            Err(e) => http::error(&e, Some(&rc.id), ErrorShape::OpenAi),
        },
        _ => http::json_value(200, &models::list(&workspace.effective_policy(&principal), &workspace), Some(&rc.id)),
    }
}
