//! Target health: a small circuit breaker per target (provider, model and
//! provider key). After `failure_threshold` consecutive failures the target
//! leaves rotation for `cooldown_ms`; then one request may try it again
//! (half-open) — success puts it back, failure sends it out again. A
//! provider's 429 sets the target aside for its `retry-after` (at least
//! `rate_limit_cooldown_ms`) without counting as ill health.

use super::config::HealthPolicy;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    RateLimited { retry_after_ms: Option<u64> },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetHealth {
    /// Consecutive failures.
    pub failures: u32,
    /// Out of rotation until then (ms since the epoch).
    pub open_until: u64,
    /// Set aside after a 429 until then.
    pub cooldown_until: u64,
}

impl TargetHealth {
    pub fn available(&self, now_ms: u64) -> bool {
        now_ms >= self.open_until && now_ms >= self.cooldown_until
    }

    pub fn record(&mut self, outcome: Outcome, now_ms: u64, policy: &HealthPolicy) {
        match outcome {
            Outcome::Success => *self = TargetHealth::default(),
            Outcome::Failure => {
                self.failures = self.failures.saturating_add(1);
                if self.failures >= policy.failure_threshold {
                    self.open_until = now_ms + policy.cooldown_ms;
                }
            }
            Outcome::RateLimited { retry_after_ms } => {
                let pause = retry_after_ms.unwrap_or(0).max(policy.rate_limit_cooldown_ms);
                self.cooldown_until = self.cooldown_until.max(now_ms + pause);
            }
        }
    }
}

/// The health key of a target: provider, model and the credential used.
pub fn key(provider: &str, model: &str, credential_id: Option<&str>) -> String {
    format!("{provider}/{model}@{}", credential_id.unwrap_or("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> HealthPolicy {
        HealthPolicy { failure_threshold: 3, cooldown_ms: 30_000, rate_limit_cooldown_ms: 5_000 }
    }

    #[test]
    fn opens_after_the_threshold_then_half_opens() {
        let mut h = TargetHealth::default();
        h.record(Outcome::Failure, 0, &policy());
        h.record(Outcome::Failure, 1, &policy());
        assert!(h.available(2));
        h.record(Outcome::Failure, 2, &policy());
        assert!(!h.available(3));
        assert!(!h.available(30_001));
        assert!(h.available(30_002), "half-open after the cooldown");
        h.record(Outcome::Failure, 30_002, &policy());
        assert!(!h.available(30_003), "a failed probe opens it again");
        h.record(Outcome::Success, 70_000, &policy());
        assert_eq!(h, TargetHealth::default());
    }

    #[test]
    fn rate_limits_cool_down_without_counting_as_failures() {
        let mut h = TargetHealth::default();
        h.record(Outcome::RateLimited { retry_after_ms: Some(1_000) }, 100, &policy());
        assert_eq!(h.failures, 0);
        assert!(!h.available(5_099));
        assert!(h.available(5_100));
        h.record(Outcome::RateLimited { retry_after_ms: Some(60_000) }, 0, &policy());
        assert!(!h.available(59_999));
    }

    #[test]
    fn keys() {
        assert_eq!(key("openai", "gpt-4o", Some("pk_1")), "openai/gpt-4o@pk_1");
        assert_eq!(key("ollama", "llama3", None), "ollama/llama3@-");
    }
}
