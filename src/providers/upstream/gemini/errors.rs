//! Gemini's error body (`{"error":{"code","message","status","details"}}`)
//! on top of the shared normalization, with three Gemini specifics:
//!
//! - the machine code is Gemini's `status` (`resource_exhausted`, …), more
//!   telling than the numeric `code` the shared reader would pick;
//! - an invalid key comes back as `400 INVALID_ARGUMENT` with reason
//!   `API_KEY_INVALID`: it is the gateway's credential that failed, so it is
//!   treated as the provider's 401 (never blamed on the caller);
//! - `RetryInfo.retryDelay` (`"37s"`) becomes `retry-after`.

use crate::core::error::{ErrorCode, GatewayError};
use crate::providers::{upstream_error, Target};
use serde_json::Value;

fn details(v: &Value) -> impl Iterator<Item = &Value> {
    v.pointer("/error/details").and_then(Value::as_array).into_iter().flatten()
}

/// `"37s"`, `"0.5s"` → whole seconds, rounded up.
fn seconds(delay: &str) -> Option<u64> {
    let secs: f64 = delay.strip_suffix('s')?.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| secs.ceil() as u64)
}

pub fn normalize(status: u16, body: &[u8], target: &Target) -> GatewayError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let key_invalid = parsed
        .as_ref()
        .is_some_and(|v| details(v).any(|d| d.get("reason").and_then(Value::as_str) == Some("API_KEY_INVALID")));
    let status = if key_invalid { 401 } else { status };
    let mut e = upstream_error::normalize(status, body, &target.provider.id, target.secret);
    let Some(v) = parsed else { return e };
    if e.code != ErrorCode::ProviderAuthFailed {
        if let Some(s) = v.pointer("/error/status").and_then(Value::as_str).filter(|s| !s.is_empty()) {
            e.code = ErrorCode::Provider(s.to_ascii_lowercase());
        }
    }
    if let Some(secs) = details(&v).find_map(|d| d.get("retryDelay").and_then(Value::as_str).and_then(seconds)) {
        e = e.with_retry_after(secs);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays() {
        assert_eq!(seconds("37s"), Some(37));
        assert_eq!(seconds("0.2s"), Some(1));
        assert_eq!(seconds("soon"), None);
        assert_eq!(seconds("-1s"), None);
    }
}
