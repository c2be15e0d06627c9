//! Stage 3 (govern) at the edge: the request is admitted by every limit
//! scope object it falls under — rate-limit windows taken, a concurrency
//! lease, budget reservations of its worst-case cost — all or nothing, in
//! a fixed order; a refusal releases what earlier objects granted. After
//! the answer, `settle` corrects every object to the real usage and cost.

use super::ledger::{Admitted, BudgetStatus, Period, Settle, Settled};
use super::refusal::refusal_error;
use super::limiter_protocol::LimiterCall;
use super::rate_limit::Rule;
use super::scopes::{self, Estimates, ScopedAdmit, Subject};
use super::window::Decision;
use crate::core::error::{ErrorCode, ErrorType, GatewayError};
use worker::Env;

/// What admission gives the request, to be folded into its context: the
/// rate-limit headers for the client, the decisions for the log, and the
/// objects that admitted it (settled after the answer).
#[derive(Debug, Default)]
pub struct Admission {
    pub headers: Vec<(String, String)>,
    pub decisions: Vec<serde_json::Value>,
    pub admitted: Vec<ScopedAdmit>,
}

/// A refusal, with what the client and the log must still be told.
#[derive(Debug)]
pub struct Refused {
    pub error: GatewayError,
    pub headers: Vec<(String, String)>,
    pub decisions: Vec<serde_json::Value>,
}

async fn call<T: serde::de::DeserializeOwned>(env: &Env, object: &str, body: &LimiterCall) -> worker::Result<T> {
    crate::runtime::durable::call(env, "LIMITER", object, body).await
}

/// Admits the request `id` or refuses it (429) with the scope and rule
/// that refused.
pub async fn admit(
    env: &Env,
    id: &str,
    started_ms: u64,
    subject: &Subject<'_>,
    est: &Estimates,
    test_now: Option<u64>,
) -> Result<Admission, Refused> {
    // Held capacity outlives the request's deadline a little, then lapses.
    let ttl_ms = 15 * 60 * 1000;
    let plan = scopes::plan(id, subject, est, ttl_ms);
    let mut decisions: Vec<(Rule, Decision)> = Vec::new();
    let mut admitted: Vec<ScopedAdmit> = Vec::new();
    let mut notes: Vec<serde_json::Value> = Vec::new();
    let mut now = started_ms;
    for scoped in plan {
        let asked = LimiterCall::Admit { admit: scoped.admit.clone(), now_ms: test_now };
        match call::<Admitted>(env, &scoped.object, &asked).await {
            Ok(answer) => {
                now = answer.now_ms;
                decisions.extend(scoped.rules.iter().cloned().zip(answer.decisions.iter().copied()));
                if let Some(refusal) = &answer.refusal {
                    release(env, &admitted, id).await;
                    let error = refusal_error(&scoped.object, refusal, &scoped.rules, est, now);
                    notes.push(serde_json::json!({
                        "decision": error.code, "scope": scoped.object, "detail": refusal,
                    }));
                    return Err(Refused { error, headers: scopes::headers(&decisions, now), decisions: notes });
                }
                admitted.push(scoped);
            }
            Err(e) if scoped.admit.budgets.is_empty() => {
                // Rate limits and leases fail open: availability first.
                worker::console_error!("limiter {} unavailable: {e}", scoped.object);
                notes.push(serde_json::json!({ "decision": "limiter_unavailable", "scope": scoped.object }));
            }
            Err(e) => {
                // A budget that cannot be checked is not spent blindly.
                worker::console_error!("budget ledger {} unavailable: {e}", scoped.object);
                release(env, &admitted, id).await;
                let error = GatewayError::new(
                    503,
                    ErrorType::ApiError,
                    ErrorCode::BudgetUnavailable,
                    "The budget for this request could not be checked. Retry shortly.",
                )
                .with_retry_after(1);
                return Err(Refused { error, headers: Vec::new(), decisions: notes });
            }
        }
    }
    Ok(Admission { headers: scopes::headers(&decisions, now), decisions: notes, admitted })
}

async fn release(env: &Env, admitted: &[ScopedAdmit], id: &str) {
    for a in admitted {
        let _ = call::<serde_json::Value>(env, &a.object, &LimiterCall::Release { id: id.to_string() }).await;
    }
}

/// Settles every admission of request `id` with its real provider tokens
/// and cost; returns the budgets whose soft threshold it crossed.
pub async fn settle(env: &Env, id: &str, admissions: &[ScopedAdmit], tokens: u64, cost: u64) -> Vec<(String, BudgetStatus)> {
    let mut crossed = Vec::new();
    for a in admissions {
        let settle = Settle { id: id.to_string(), actual: a.actual(tokens, cost), cost_nanos: cost };
        match call::<Settled>(env, &a.object, &LimiterCall::Settle { settle }).await {
            Ok(s) => crossed.extend(s.soft_crossed.into_iter().map(|b| (a.object.clone(), b))),
            // Unsettled holds lapse on their own after their TTL.
            Err(e) => worker::console_error!("settling {id} at {} failed: {e}", a.object),
        }
    }
    crossed
}

/// A budget's live state (for the admin API).
pub async fn budget_status(env: &Env, object: &str, budget_id: &str, period: Period, limit_nanos: u64) -> worker::Result<BudgetStatus> {
    call(env, object, &LimiterCall::Budget { budget_id: budget_id.to_string(), period, limit_nanos, now_ms: None }).await
}
