//! How long to wait before retrying a target.

use super::config::RetryPolicy;

/// Wait before retry number `retry` (0 for the first retry): the provider's
/// `retry-after` when it gave one (capped), else exponential backoff with
/// "equal jitter" — half the step fixed, half random — so that clients
/// retrying together spread out. `jitter` is in [0, 1).
pub fn backoff_ms(policy: &RetryPolicy, retry: u32, retry_after_ms: Option<u64>, jitter: f64) -> u64 {
    if let Some(ra) = retry_after_ms {
        return ra.min(policy.retry_after_cap_ms);
    }
    let step = policy.backoff_ms.saturating_mul(1u64 << retry.min(20)).min(policy.max_backoff_ms);
    step / 2 + (jitter.clamp(0.0, 1.0) * (step / 2) as f64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_with_jitter_and_a_cap() {
        let p = RetryPolicy { backoff_ms: 200, max_backoff_ms: 1_000, ..Default::default() };
        assert_eq!(backoff_ms(&p, 0, None, 0.0), 100);
        assert_eq!(backoff_ms(&p, 0, None, 0.999), 199);
        assert_eq!(backoff_ms(&p, 1, None, 0.0), 200);
        assert_eq!(backoff_ms(&p, 5, None, 0.0), 500);
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = RetryPolicy { retry_after_cap_ms: 5_000, ..Default::default() };
        assert_eq!(backoff_ms(&p, 0, Some(1_000), 0.5), 1_000);
        assert_eq!(backoff_ms(&p, 0, Some(60_000), 0.5), 5_000);
    }
}
