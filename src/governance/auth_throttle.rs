//! Failed authentications, counted per client IP in a `Limiter` Durable
//! Object: past `MAX_FAILURES_PER_MINUTE` unknown keys in a minute, the IP
//! gets 429 until the window ends. Each isolate also remembers a refused
//! IP until then, so a blocked client costs neither a D1 query nor a DO
//! round trip. Keys this isolate already knows are never throttled: a
//! valid key behind a shared IP keeps working while someone guesses there.

use super::ledger::{Admit, Admitted, Take};
use super::limiter_protocol::LimiterCall;
use crate::core::error::{GatewayError, ErrorCode};
use crate::store::ttl_cache::TtlCache;
use std::cell::RefCell;
use worker::Env;

/// Unknown keys one client IP may present per minute (documented in docs/security.md).
pub const MAX_FAILURES_PER_MINUTE: u64 = 20;
const WINDOW_MS: u64 = 60_000;

thread_local! {
    /// IP → when its block ends (ms).
    static BLOCKED: RefCell<TtlCache<u64>> = RefCell::new(TtlCache::new(10_000));
}

fn object(ip: Option<&str>) -> String {
    format!("auth-failures/ip:{}", ip.unwrap_or("unknown"))
}

fn refused(until_ms: u64, now_ms: u64) -> GatewayError {
    let wait = super::window::retry_after_secs(until_ms, now_ms);
    GatewayError::rate_limited(
        ErrorCode::TooManyFailedAuthentications,
        format!("Too many requests with unknown API keys from this address. Retry in {wait} s."),
    )
    .with_retry_after(wait)
}

/// 429 when this isolate knows the IP is blocked.
pub fn check(ip: Option<&str>, now_ms: u64) -> Result<(), GatewayError> {
    let key = object(ip);
    match BLOCKED.with(|b| b.borrow().get(&key, now_ms)) {
        Some(until) => Err(refused(until, now_ms)),
        None => Ok(()),
    }
}

/// Counts one failed authentication; 429 once the IP is over its limit.
/// An unreachable counter lets the failure through as a 401 (fail open).
pub async fn record_failure(env: &Env, ip: Option<&str>, request_id: &str, now_ms: u64) -> Result<(), GatewayError> {
    let key = object(ip);
    let admit = Admit {
        id: request_id.to_string(),
        takes: vec![Take { bucket: "failed-auth".into(), quota: MAX_FAILURES_PER_MINUTE, window_ms: WINDOW_MS, amount: 1 }],
        lease: None,
        budgets: vec![],
        ttl_ms: 1,
    };
    let answer: worker::Result<Admitted> =
        crate::runtime::durable::call(env, "LIMITER", &key, &LimiterCall::Admit { admit, now_ms: None }).await;
    match answer {
        Ok(a) if !a.allowed => {
            let until = a.decisions.first().map_or(now_ms + WINDOW_MS, |d| d.reset_ms);
            BLOCKED.with(|b| b.borrow_mut().insert(key, until, now_ms, until.saturating_sub(now_ms)));
            Err(refused(until, a.now_ms))
        }
        _ => Ok(()),
    }
}
