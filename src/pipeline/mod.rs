//! The request pipeline: one path for every unified endpoint (unified.rs),
//! and the same stages for native pass-through (passthrough.rs).
//!
//! ```text
//!  0 intake        a new request id (the client's x-request-id is kept beside it, never as
//!                  a key), client meta from headers → RequestContext
//!  1 authenticate  virtual key → Principal (isolate cache, then D1); custom-domain check
//!                  adds: workspace_id, key_id, agent_id, department
//!  1b prompt       alephant-prompt-id[/-version]: the stored template (isolate cache, then
//!                  D1) rendered into the body from its `inputs` (prompt.rs); every later
//!                  stage sees only the rendered body, checked (body.rs: depth, repeated
//!                  decision fields, shape, model name) and held to the max_tokens cap
//!                  adds: prompt (id, version), the max_tokens_capped decision
//!  2 resolve       body parsed (JSON object, `model`) → provider, upstream model id, credential,
//!                  base URL; endpoint support and the key's model policy checked; a router's
//!                  targets planned, forced routing, the policy over every target (plan.rs)
//!                  adds: requested_model, provider, model, router_id
//!  3 govern        rate-limit windows, concurrency lease and budget reservations taken in the
//!                  `Limiter` Durable Objects (govern.rs); an `Admission` folded into the context
//!                  adds: policy decisions, alephant-ratelimit-* headers, admissions; full → 429
//!  4 cache         exact (KV) then semantic (embedding → Vectorize or its stand-in), then
//!                  coalescing with an identical request in flight; a hit is answered here
//!                  adds: cache status, key, cost saved; for a miss, the save plan
//!  5 dispatch      OpenAI-compatible providers get the client's body with `model` (and
//!                  stream usage) rewritten; others get it translated by their adapter
//!                  through the internal model (attempts.rs); sent with a per-attempt
//!                  timeout; non-2xx → the provider's error, status kept; what a failure
//!                  leads to (retry, next target, stop) is plan::next_step
//!                  adds: attempts, provider_request_id, upstream timings, stream
//!  6 respond       JSON passed through byte for byte or translated; streams piped chunk
//!                  by chunk, observed or translated (runtime::stream_pipe)
//!                  adds: usage, cost, first_token_ms, status
//!  7 settle        (wait_until) cache save / coalesced followers released, bodies
//!                  archived, limits settled (usage never reported: estimated), audit
//!                  events and the log record → LOGS queue → D1
//! ```
//! Stages 1–5 may end the request early with an OpenAI-shaped error; the
//! log record is written for every request that reached a workspace.

pub mod body;
pub mod context;
pub mod guard;
pub mod intake;
pub mod models;
pub mod plan;
pub mod prompt;
pub mod resolve;

#[cfg(target_arch = "wasm32")]
mod attempts;
#[cfg(target_arch = "wasm32")]
mod authenticate;
#[cfg(target_arch = "wasm32")]
mod cache;
#[cfg(target_arch = "wasm32")]
mod dispatch;
#[cfg(target_arch = "wasm32")]
mod govern;
#[cfg(target_arch = "wasm32")]
mod moderate;
#[cfg(target_arch = "wasm32")]
mod passthrough;
#[cfg(target_arch = "wasm32")]
pub mod respond;
#[cfg(target_arch = "wasm32")]
pub mod settle;
#[cfg(target_arch = "wasm32")]
mod start;
#[cfg(target_arch = "wasm32")]
mod unified;
#[cfg(target_arch = "wasm32")]
mod usage_events;

#[cfg(target_arch = "wasm32")]
pub use passthrough::handle_passthrough;
#[cfg(target_arch = "wasm32")]
pub use unified::{handle_models, handle_unified};
#[cfg(target_arch = "wasm32")]
pub use usage_events::handle_usage_events;
