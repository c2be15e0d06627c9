//! Alephant AI Gateway: an OpenAI-compatible LLM gateway that runs as a
//! Cloudflare Worker.
//!
//! Pure logic (everything that is not under a `wasm32` gate) compiles
//! natively so `cargo test` exercises it without a JS runtime. The edge
//! modules that touch the Workers runtime exist only in the wasm32 build.

pub mod analytics;
pub mod api;
pub mod auth;
pub mod cache;
pub mod catalog;
pub mod core;
pub mod governance;
pub mod guardrails;
pub mod observe;
pub mod pipeline;
pub mod prompts;
pub mod providers;
pub mod routing;
pub mod store;
pub mod util;

#[cfg(test)]
pub mod testkit;

#[cfg(target_arch = "wasm32")]
pub mod runtime;

#[cfg(target_arch = "wasm32")]
mod entry;
