//! Thin wrappers over the Workers runtime: clock, randomness, environment
//! configuration, HTTP conversions. The only place (with `store/` and the
//! pipeline's edge stages) that touches `worker` types.

pub mod client_request;
pub mod config;
pub mod durable;
pub mod http;
pub mod stream_pipe;

use wasm_bindgen::JsCast;

/// Milliseconds since the Unix epoch. Inside a request Workers advance the
/// clock only on I/O, which is exactly the resolution latency needs.
pub fn now_ms() -> u64 {
    // `Date.now()` in one call (worker::Date::now builds a Date object and
    // asks it: two boundary crossings and an allocation, 1 % of a request).
    js_sys::Date::now() as u64
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

thread_local! {
    static IDS: std::cell::RefCell<IdSource> = std::cell::RefCell::new(IdSource::default());
}

/// Randomness drawn from `crypto.getRandomValues` a few kilobytes at a time
/// (one call per ~400 ids instead of one per id: per request it measured
/// 1.6 % of the CPU), and the isolate's v7 sequence.
#[derive(Default)]
struct IdSource {
    pool: Vec<u8>,
    used: usize,
    sequence: crate::util::uuid_v7::V7Sequence,
}

impl IdSource {
    fn next(&mut self) -> uuid::Uuid {
        if self.used + 10 > self.pool.len() {
            // Without crypto (never seen in Workers) one id's worth from
            // uuid's own source, so no random bytes serve two ids.
            self.pool = random_bytes::<4096>().map(|b| b.to_vec()).unwrap_or_else(|_| uuid::Uuid::new_v4().as_bytes().to_vec());
            self.used = 0;
        }
        let mut random = [0u8; 10];
        random.copy_from_slice(&self.pool[self.used..self.used + 10]);
        self.used += 10;
        self.sequence.next(now_ms(), random)
    }
}

fn next_uuid() -> uuid::Uuid {
    IDS.with(|ids| ids.borrow_mut().next())
}

/// A new opaque id such as `ws_0190c3…` (UUID v7: time-ordered, so rows
/// created together sit together in D1's B-tree).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", next_uuid().simple())
}

/// A request id: a hyphenated UUID v7.
pub fn new_request_id() -> String {
    next_uuid().hyphenated().to_string()
}
