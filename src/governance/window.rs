//! Rate-limit windows: the arithmetic the `Limiter` Durable Object applies.
//!
//! A window opens with the first request after the previous one ended and
//! lasts `window_ms`. Within it, at most `quota` units are taken. Because a
//! window starts when traffic starts (not at a wall-clock boundary), a burst
//! can never straddle two windows and get twice the quota.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowState {
    pub start_ms: u64,
    pub used: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u64,
    pub remaining: u64,
    /// When the current window ends (ms since the epoch).
    pub reset_ms: u64,
}

/// The window in force at `now`: the stored one if it has not ended, else a
/// fresh one starting now.
pub fn current(state: Option<WindowState>, now_ms: u64, window_ms: u64) -> WindowState {
    match state {
        Some(s) if now_ms < s.start_ms.saturating_add(window_ms) => s,
        _ => WindowState { start_ms: now_ms, used: 0 },
    }
}

/// Whether `amount` fits, without taking it.
pub fn check(state: WindowState, window_ms: u64, quota: u64, amount: u64) -> Decision {
    let allowed = state.used.saturating_add(amount) <= quota;
    let used_after = if allowed { state.used + amount } else { state.used };
    Decision {
        allowed,
        limit: quota,
        remaining: quota.saturating_sub(used_after),
        reset_ms: state.start_ms.saturating_add(window_ms),
    }
}

/// Seconds until `reset_ms`, rounded up, at least 1 (for `retry-after`).
pub fn retry_after_secs(reset_ms: u64, now_ms: u64) -> u64 {
    reset_ms.saturating_sub(now_ms).div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_quota_requests_fit_in_a_window() {
        let mut s = current(None, 1_000, 60_000);
        let mut allowed = 0;
        for _ in 0..100 {
            let d = check(s, 60_000, 20, 1);
            if d.allowed {
                allowed += 1;
                s.used += 1;
            }
        }
        assert_eq!(allowed, 20);
        let d = check(s, 60_000, 20, 1);
        assert_eq!((d.allowed, d.remaining, d.reset_ms), (false, 0, 61_000));
    }

    #[test]
    fn a_new_window_opens_after_the_old_one_ends() {
        let s = WindowState { start_ms: 0, used: 20 };
        assert_eq!(current(Some(s), 59_999, 60_000), s);
        assert_eq!(current(Some(s), 60_000, 60_000), WindowState { start_ms: 60_000, used: 0 });
    }

    #[test]
    fn remaining_counts_this_request() {
        let d = check(WindowState { start_ms: 0, used: 3 }, 1_000, 5, 1);
        assert_eq!((d.allowed, d.remaining), (true, 1));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(10_500, 10_000), 1);
        assert_eq!(retry_after_secs(12_001, 10_000), 3);
        assert_eq!(retry_after_secs(5, 10_000), 1);
    }
}
