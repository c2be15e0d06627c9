//! The request's plan, decided before anything is sent: which targets it
//! will try and in what order, how hard it retries, what the cache keys it
//! on — and, while it runs, what one failed attempt leads to next. Pure
//! (clock, randomness and health are passed in), so every decision is
//! tested natively; `unified.rs` and `attempts.rs` only carry them out.

use crate::catalog::{catalog, resolve};
use crate::core::error::{ErrorCode, ErrorType, GatewayError, GatewayResult};
use crate::governance::scope_policy::EffectivePolicy;
use crate::routing::config::{HealthPolicy, RetryPolicy, RouterConfig, Target};
use crate::routing::health::{self, Outcome};
use crate::routing::plan::{plan as walk_router, PlanError};
use crate::routing::{facts::RequestFacts, retry, zero_config};
use crate::store::records::WorkspaceConfig;
use serde_json::{Map, Value};

/// One target to try: `provider/model`, maybe a provider key, parameter overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub qualified: String,
    pub provider_key: Option<String>,
    pub params: Map<String, Value>,
}

impl Candidate {
    pub fn of(qualified: String, provider_key: Option<String>) -> Candidate {
        Candidate { qualified, provider_key, params: Map::new() }
    }

    /// (provider, model) of `provider/model`.
    pub fn split(&self) -> (&str, &str) {
        self.qualified.split_once('/').unwrap_or((&self.qualified, ""))
    }
}

/// How hard a request tries, and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct Resilience {
    pub retry: RetryPolicy,
    pub health: HealthPolicy,
    pub attempt_timeout_ms: u64,
    pub deadline_ms: u64,
}

/// The deployment's defaults for requests no router configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defaults {
    pub retries: u32,
    pub attempt_timeout_ms: u64,
    pub deadline_ms: u64,
}

impl Resilience {
    /// A request to one model: the deployment's retries and timeouts.
    pub fn plain(d: Defaults) -> Resilience {
        Resilience {
            retry: RetryPolicy { attempts: d.retries, ..RetryPolicy::default() },
            health: HealthPolicy::default(),
            attempt_timeout_ms: d.attempt_timeout_ms,
            deadline_ms: d.deadline_ms,
        }
    }

    /// A router's own, else the deployment's.
    pub fn of_router(config: &RouterConfig, d: Defaults) -> Resilience {
        Resilience {
            retry: config.retry.clone(),
            health: config.health.clone(),
            attempt_timeout_ms: config.timeout_ms.unwrap_or(d.attempt_timeout_ms),
            deadline_ms: config.deadline_ms.unwrap_or(d.deadline_ms),
        }
    }
}

/// The health key a router target is tracked under: its provider (by the
/// workspace's own providers first), model and provider key.
pub fn health_key(workspace: &WorkspaceConfig, t: &Target) -> String {
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
pub fn router_candidates(
    config: &RouterConfig,
    facts: &RequestFacts,
    available: &dyn Fn(&Target) -> bool,
    random: &mut dyn FnMut() -> f64,
) -> GatewayResult<Vec<Candidate>> {
    let targets = walk_router(&config.root, facts, available, random).map_err(|e| match e {
        PlanError::NoRoute => GatewayError::invalid_request(
            ErrorCode::NoRoute,
            "No rule of this router matches the request, and it has no 'else'.",
        ),
    })?;
    Ok(targets
        .into_iter()
        .map(|t| Candidate { qualified: t.qualified(), provider_key: t.provider_key, params: t.params })
        .collect())
}

/// The zero-config route for `model: "auto"` in the default workspace,
/// from the `GATEWAY_PROVIDERS` / `GATEWAY_WEIGHTS` secrets.
pub fn default_router(providers: Option<&str>, weights: Option<&str>) -> GatewayResult<RouterConfig> {
    zero_config::default_router(providers, weights)
        .map_err(|why| GatewayError::new(500, ErrorType::ApiError, ErrorCode::GatewayMisconfigured, why))?
        .ok_or_else(|| {
            GatewayError::invalid_request(
                ErrorCode::NoDefaultRoute,
                "'auto' needs a default route: set GATEWAY_PROVIDERS (e.g. \"openai:gpt-4o-mini,anthropic:claude-haiku-4-5\").",
            )
            .with_param("model")
        })
}

/// `alephant-forced-routing: <provider>[/<model>]` keeps only that target,
/// for controlled tests — where the key's policy allows it. A provider no
/// planned target uses is forced with the request's own model.
pub fn forced(wanted: Option<&str>, policy: &EffectivePolicy, candidates: Vec<Candidate>) -> GatewayResult<Vec<Candidate>> {
    let Some(wanted) = wanted.map(str::trim) else { return Ok(candidates) };
    if !policy.may_force_routing() {
        return Err(GatewayError::forbidden(
            ErrorCode::ForcedRoutingNotAllowed,
            "This key may not use alephant-forced-routing (its policy needs \"allow_forced_routing\": true).",
        ));
    }
    let (provider, model) = match wanted.split_once('/') {
        Some((p, m)) => (p, Some(m)),
        None => (wanted, None),
    };
    let provider = catalog().provider(provider).map_or(provider, |p| p.id.as_str());
    let matching: Vec<Candidate> = candidates
        .iter()
        .filter(|c| {
            let (p, m) = c.split();
            p == provider && model.is_none_or(|want| want == m)
        })
        .cloned()
        .collect();
    if !matching.is_empty() {
        return Ok(matching);
    }
    let model = model
        .map(str::to_string)
        .or_else(|| candidates.first().map(|c| c.split().1.to_string()))
        .filter(|m| !m.is_empty())
        .ok_or_else(|| GatewayError::invalid_request(ErrorCode::InvalidValue, "alephant-forced-routing names no model to use."))?;
    Ok(vec![Candidate::of(format!("{provider}/{model}"), None)])
}

/// The candidates the key's policy allows; refused (403, the first
/// denial) when it allows none. `true` when some were left out.
pub fn permitted(policy: &EffectivePolicy, workspace: &WorkspaceConfig, candidates: Vec<Candidate>) -> GatewayResult<(Vec<Candidate>, bool)> {
    let mut denial = None;
    let total = candidates.len();
    let allowed: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| match resolve::resolve(catalog(), &workspace.custom_providers, &c.qualified) {
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

/// What the cache keys a request on besides its body: the router and its
/// version when every target of the router may serve it, else the target
/// that will answer first. Forced routing keys on the target it forces.
pub fn cache_target(router: Option<&str>, forced: bool, dropped: bool, candidates: &[Candidate]) -> String {
    match router {
        Some(r) if !forced && !dropped => r.to_string(),
        _ => candidates.first().map(|c| c.qualified.clone()).unwrap_or_default(),
    }
}

/// What one failed attempt leads to.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Try the same target again after this backoff (health noted first).
    Retry { health: Outcome, wait_ms: u64 },
    /// Give up on this target and try the next one.
    NextTarget { health: Option<Outcome> },
    /// End the request with this error: another provider would refuse it too.
    Stop,
}

/// Whether a failure is worth another try (here or at the next target).
pub fn retryable(e: &GatewayError, policy: &RetryPolicy) -> bool {
    e.from_upstream && (e.code.is_transport_failure() || policy.retries_status(e.status))
}

/// The step after attempt `try_number` (0-based) failed with `e`.
/// `jitter` in [0, 1) spreads the backoff.
pub fn next_step(e: &GatewayError, policy: &RetryPolicy, try_number: u32, jitter: f64) -> Step {
    if !e.from_upstream && e.status == 400 {
        // The gateway could not express the request for this target.
        return Step::NextTarget { health: None };
    }
    if !retryable(e, policy) {
        if e.from_upstream && (e.status == 401 || e.status == 403) {
            // A credential problem is this target's, not the request's.
            return Step::NextTarget { health: Some(Outcome::Failure) };
        }
        return Step::Stop;
    }
    let retry_after_ms = e.retry_after.map(|s| s * 1000);
    let health = if e.status == 429 { Outcome::RateLimited { retry_after_ms } } else { Outcome::Failure };
    if try_number >= policy.attempts {
        return Step::NextTarget { health: Some(health) };
    }
    Step::Retry { health, wait_ms: retry::backoff_ms(policy, try_number, retry_after_ms, jitter) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{principal, workspace};

    fn c(q: &str) -> Candidate {
        Candidate::of(q.into(), None)
    }

    fn upstream(status: u16) -> GatewayError {
        let mut e = GatewayError::new(status, ErrorType::UpstreamError, ErrorCode::UpstreamError, "x");
        e.from_upstream = true;
        e
    }

    #[test]
    fn a_failure_leads_to_retry_next_target_or_stop() {
        let policy = RetryPolicy { attempts: 2, ..RetryPolicy::default() };
        assert!(matches!(next_step(&upstream(503), &policy, 0, 0.0), Step::Retry { health: Outcome::Failure, .. }));
        assert_eq!(next_step(&upstream(503), &policy, 2, 0.0), Step::NextTarget { health: Some(Outcome::Failure) });
        let limited = upstream(429).with_retry_after(3);
        match next_step(&limited, &policy, 0, 0.0) {
            Step::Retry { health: Outcome::RateLimited { retry_after_ms: Some(3000) }, wait_ms } => assert!(wait_ms >= 3000),
            other => panic!("{other:?}"),
        }
        assert_eq!(next_step(&upstream(401), &policy, 0, 0.0), Step::NextTarget { health: Some(Outcome::Failure) });
        assert_eq!(next_step(&upstream(400), &policy, 0, 0.0), Step::Stop, "another provider would refuse it too");
        let untranslatable = GatewayError::invalid_request(ErrorCode::UnsupportedForProvider, "no");
        assert_eq!(next_step(&untranslatable, &policy, 0, 0.0), Step::NextTarget { health: None });
        let refused = GatewayError::forbidden(ErrorCode::ModelNotAllowed, "no");
        assert_eq!(next_step(&refused, &policy, 0, 0.0), Step::Stop, "the gateway's own refusals never fall back");
        let timeout = GatewayError::gateway_timeout("slow");
        assert!(matches!(next_step(&timeout, &policy, 1, 0.5), Step::Retry { .. }));
    }

    #[test]
    fn forced_routing_keeps_the_named_target_or_forces_the_provider() {
        let p = principal(serde_json::json!({"allow_forced_routing": true}));
        let policy = EffectivePolicy::of_key(&p);
        let planned = vec![c("openai/gpt-4o"), c("anthropic/claude-haiku-4-5")];
        assert_eq!(forced(Some("anthropic"), &policy, planned.clone()).unwrap(), vec![c("anthropic/claude-haiku-4-5")]);
        assert_eq!(forced(Some("google/gemini-2.5-flash"), &policy, planned.clone()).unwrap(), vec![c("gemini/gemini-2.5-flash")]);
        assert_eq!(forced(Some("mistral"), &policy, planned.clone()).unwrap(), vec![c("mistral/gpt-4o")]);
        assert_eq!(forced(None, &policy, planned.clone()).unwrap(), planned);
        let plain = EffectivePolicy::of_key(&principal(serde_json::json!({})));
        assert_eq!(forced(Some("anthropic"), &plain, planned).unwrap_err().code, ErrorCode::ForcedRoutingNotAllowed);
    }

    #[test]
    fn the_policy_checks_every_planned_target() {
        let ws = workspace();
        let mut p = principal(serde_json::json!({}));
        p.allowed_models = Some(vec!["gpt-4o-mini".into()]);
        let policy = EffectivePolicy::of_key(&p);
        let (kept, dropped) = permitted(&policy, &ws, vec![c("openai/gpt-4o"), c("openai/gpt-4o-mini")]).unwrap();
        assert_eq!((kept, dropped), (vec![c("openai/gpt-4o-mini")], true));
        assert_eq!(permitted(&policy, &ws, vec![c("openai/gpt-4o")]).unwrap_err().code, ErrorCode::ModelNotAllowed);
    }

    #[test]
    fn the_cache_keys_on_the_router_only_when_all_of_it_may_answer() {
        let planned = [c("openai/gpt-4o")];
        assert_eq!(cache_target(Some("router:main@3"), false, false, &planned), "router:main@3");
        assert_eq!(cache_target(Some("router:main@3"), false, true, &planned), "openai/gpt-4o");
        assert_eq!(cache_target(Some("router:main@3"), true, false, &planned), "openai/gpt-4o");
        assert_eq!(cache_target(None, false, false, &planned), "openai/gpt-4o");
    }

    #[test]
    fn resilience_from_a_router_or_the_defaults() {
        let d = Defaults { retries: 1, attempt_timeout_ms: 100, deadline_ms: 1_000 };
        assert_eq!(Resilience::plain(d).retry.attempts, 1);
        let config = crate::routing::config::parse(&serde_json::json!({
            "strategy": "fallback", "targets": [{"provider": "openai", "model": "gpt-4o"}], "timeout_ms": 50
        }))
        .unwrap();
        let r = Resilience::of_router(&config, d);
        assert_eq!((r.attempt_timeout_ms, r.deadline_ms), (50, 1_000));
        assert!(default_router(None, None).unwrap_err().code == ErrorCode::NoDefaultRoute);
    }
}
