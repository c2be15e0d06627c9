//! D1 access and the isolate-level config cache.
//!
//! `records` and `ttl_cache` are pure; `d1` and `config` talk to D1 and
//! exist only in the worker build.

pub mod records;
pub mod ttl_cache;

#[cfg(target_arch = "wasm32")]
pub mod access_keys;
#[cfg(target_arch = "wasm32")]
pub mod config;
#[cfg(target_arch = "wasm32")]
pub mod d1;
#[cfg(target_arch = "wasm32")]
pub mod prompts;
#[cfg(target_arch = "wasm32")]
pub mod routers;
