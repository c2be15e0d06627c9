//! Governance: which models a key may call (policy) and how much it may
//! call them (rate limits, enforced by the `Limiter` Durable Object).

pub mod budget;
pub mod estimate;
pub mod glob;
pub mod ledger;
pub mod limiter_protocol;
pub mod rate_limit;
pub mod refusal;
pub mod scope_policy;
pub mod scopes;
pub mod token_cap;
pub mod window;

#[cfg(target_arch = "wasm32")]
pub mod limiter;
#[cfg(target_arch = "wasm32")]
pub mod admission;
#[cfg(target_arch = "wasm32")]
pub mod auth_throttle;
