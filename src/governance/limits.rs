//! Stage 3 (govern), rate limits: ask each scope's `Limiter` object to take
//! one request from every applicable window before dispatch.

use super::limiter_protocol::{TakeRequest, TakeResponse};
use super::rate_limit::{self, Rule};
use super::scopes;
use super::window::{retry_after_secs, Decision};
use crate::api::error::{GatewayError, GatewayResult};
use crate::auth::principal::Principal;
use crate::pipeline::context::RequestContext;
use worker::{Env, Method, Request, RequestInit};

async fn take(env: &Env, object: &str, body: &TakeRequest) -> worker::Result<TakeResponse> {
    let stub = env.durable_object("LIMITER")?.id_from_name(object)?.get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(body).map_err(|e| worker::Error::RustError(e.to_string()))?.into()));
    let mut resp = stub.fetch_with_request(Request::new_with_init("https://limiter/take", &init)?).await?;
    resp.json().await
}

/// Takes one request from every request-unit rule of the key's policy.
/// Adds the rate-limit headers to the context; refuses with 429 when any
/// window is full. If the limiter cannot be reached the request proceeds
/// (availability over strictness) and the decision is recorded.
pub async fn enforce(env: &Env, principal: &Principal, rc: &mut RequestContext) -> GatewayResult<()> {
    let Some(policy) = principal.rate_limit.as_deref() else { return Ok(()) };
    // Validated when written; a policy that no longer parses limits nothing.
    let Ok(rules) = rate_limit::parse(policy) else { return Ok(()) };
    let mut decisions: Vec<(Rule, Decision)> = Vec::new();
    let mut now = rc.started_ms;
    for (object, takes) in scopes::request_takes(&rules, principal, &rc.meta) {
        let body = TakeRequest { buckets: takes.iter().map(|(_, t)| t.clone()).collect() };
        match take(env, &object, &body).await {
            Ok(resp) => {
                now = resp.now_ms;
                decisions.extend(takes.into_iter().map(|(r, _)| r).zip(resp.decisions));
            }
            Err(e) => {
                worker::console_error!("limiter {object} unavailable: {e}");
                rc.policy.push(serde_json::json!({ "decision": "limiter_unavailable", "scope": object }));
            }
        }
    }
    rc.response_headers.extend(scopes::headers(&decisions, now));
    if let Some((rule, d)) = decisions.iter().find(|(_, d)| !d.allowed) {
        rc.policy.push(serde_json::json!({ "decision": "rate_limited", "policy": rule.to_string() }));
        return Err(GatewayError::rate_limited(
            "rate_limit_exceeded",
            format!(
                "Rate limit exceeded for {} ({}): {} requests per {} s. Retry in {} s.",
                scope_name(rule),
                rule,
                rule.quota,
                rule.window_secs,
                retry_after_secs(d.reset_ms, now)
            ),
        )
        .with_retry_after(retry_after_secs(d.reset_ms, now)));
    }
    Ok(())
}

fn scope_name(rule: &Rule) -> String {
    use super::rate_limit::Scope;
    match &rule.scope {
        Scope::Key => "this key".into(),
        Scope::Workspace => "this workspace".into(),
        Scope::Agent => "this agent".into(),
        Scope::User => "this end user".into(),
        Scope::Ip => "this client IP".into(),
        Scope::Property(p) => format!("property '{p}'"),
    }
}
