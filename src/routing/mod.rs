//! Routing and resilience: routers (fallback, load balancing, conditional
//! rules), retries with backoff, and target health — as pure logic; the
//! attempt loop that applies it is `pipeline::attempts`, the shared health
//! state the `Health` Durable Object.

pub mod condition;
pub mod config;
pub mod facts;
pub mod health;
pub mod plan;
pub mod retry;
pub mod zero_config;
pub mod health_protocol;

#[cfg(target_arch = "wasm32")]
pub mod health_client;
#[cfg(target_arch = "wasm32")]
pub mod health_do;
