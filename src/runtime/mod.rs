//! Thin wrappers over the Workers runtime: clock, randomness, environment
//! configuration, HTTP conversions. The only place (with `store/` and the
//! pipeline's edge stages) that touches `worker` types.

pub mod config;
pub mod durable;
pub mod http;
pub mod stream_pipe;

use wasm_bindgen::JsCast;

/// Milliseconds since the Unix epoch. Inside a request Workers advance the
/// clock only on I/O, which is exactly the resolution latency needs.
pub fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

/// Cryptographically secure random bytes from `crypto.getRandomValues`.
pub fn random_bytes<const N: usize>() -> worker::Result<[u8; N]> {
    let mut buf = [0u8; N];
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    global
        .crypto()
        .and_then(|c| c.get_random_values_with_u8_array(&mut buf))
        .map_err(|_| worker::Error::RustError("crypto.getRandomValues unavailable".into()))?;
    Ok(buf)
}

/// A new opaque id such as `ws_0190c3…` (UUID v7: time-ordered, so rows
/// created together sit together in D1's B-tree).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// A request id: a hyphenated UUID v7.
pub fn new_request_id() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}
