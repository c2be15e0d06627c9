//! What a refusal by a limit scope says to the client: which scope (named
//! for people), which rule, how long to wait, how much budget is left.
//! Pure, so every message is tested here.

use super::ledger::{Period, Refusal};
use super::rate_limit::Rule;
use super::scopes::Estimates;
use super::window::retry_after_secs;
use crate::catalog::pricing::Nanos;
use crate::core::error::{ErrorCode, GatewayError};

/// How an object is named to people ("this key", "agent 'planner'").
fn scope_name(object: &str) -> String {
    let part = object.split_once('/').map_or(object, |(_, p)| p);
    match part.split_once(':') {
        Some(("key", _)) => "this key".into(),
        Some(("agent", id)) => format!("agent '{id}'"),
        Some(("department", id)) => format!("department '{id}'"),
        Some(("user", id)) => format!("end user '{id}'"),
        Some(("ip", ip)) => format!("client IP {ip}"),
        Some(("property", p)) => format!("property {p}"),
        _ => "this workspace".into(),
    }
}

fn usd(nanos: u64) -> String {
    format!("${:.4}", Nanos(nanos).usd())
}

pub fn refusal_error(object: &str, refusal: &Refusal, rules: &[Rule], estimate: &Estimates, now: u64) -> GatewayError {
    let scope = scope_name(object);
    match refusal {
        Refusal::RateLimit { bucket, decision } => {
            let wait = retry_after_secs(decision.reset_ms, now);
            let rule = rules.iter().find(|r| r.to_string() == *bucket).map_or(bucket.clone(), Rule::to_string);
            GatewayError::rate_limited(
                ErrorCode::RateLimitExceeded,
                format!("Rate limit exceeded for {scope} ({rule}). Retry in {wait} s."),
            )
            .with_retry_after(wait)
        }
        Refusal::Concurrency { max, .. } => GatewayError::rate_limited(
            ErrorCode::ConcurrencyLimitExceeded,
            format!("Too many requests in flight for {scope}: at most {max} at once."),
        )
        .with_retry_after(1),
        Refusal::Budget { budget_id, limit_nanos, remaining_nanos, period } => GatewayError::rate_limited(
            ErrorCode::BudgetExceeded,
            format!(
                "The {} budget '{budget_id}' of {scope} cannot cover this request: {} of {} remain, and it may cost up to {}.",
                period_name(*period),
                usd(*remaining_nanos),
                usd(*limit_nanos),
                usd(estimate.worst_cost_nanos)
            ),
        ),
    }
}

fn period_name(p: Period) -> &'static str {
    match p {
        Period::Daily => "daily",
        Period::Weekly => "weekly",
        Period::Monthly => "monthly",
        Period::Total => "total",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::rate_limit;
    use crate::governance::window::Decision;

    #[test]
    fn scopes_are_named_for_people() {
        assert_eq!(scope_name("ws_1/key:vk_1"), "this key");
        assert_eq!(scope_name("ws_1/agent:planner"), "agent 'planner'");
        assert_eq!(scope_name("ws_1/ip:203.0.113.9"), "client IP 203.0.113.9");
        assert_eq!(scope_name("ws_1/property:team=growth"), "property team=growth");
        assert_eq!(scope_name("ws_1/workspace"), "this workspace");
    }

    #[test]
    fn each_refusal_says_what_refused_and_what_to_do() {
        let rules = rate_limit::parse("20;w=60").unwrap();
        let decision = Decision { allowed: false, limit: 20, remaining: 0, reset_ms: 31_000 };
        let e = refusal_error("ws/key:k", &Refusal::RateLimit { bucket: "20;w=60".into(), decision }, &rules, &Estimates::default(), 1_000);
        assert_eq!((e.status, e.code.clone(), e.retry_after), (429, ErrorCode::RateLimitExceeded, Some(30)));
        assert!(e.message.contains("this key (20;w=60)") && e.message.contains("30 s"), "{}", e.message);
        let e = refusal_error("ws/agent:a", &Refusal::Concurrency { max: 3, in_flight: 3 }, &[], &Estimates::default(), 0);
        assert_eq!((e.code.clone(), e.retry_after), (ErrorCode::ConcurrencyLimitExceeded, Some(1)));
        let est = Estimates { worst_cost_nanos: 20_000_000, ..Default::default() };
        let budget = Refusal::Budget { budget_id: "bu_1".into(), limit_nanos: 100_000_000, remaining_nanos: 5_000_000, period: Period::Monthly };
        let e = refusal_error("ws/workspace", &budget, &[], &est, 0);
        assert_eq!(e.code, ErrorCode::BudgetExceeded);
        assert!(e.message.contains("monthly budget 'bu_1' of this workspace") && e.message.contains("$0.0050 of $0.1000") && e.message.contains("$0.0200"), "{}", e.message);
    }
}
