//! What the gateway records about each request and run: log records,
//! audit events and usage events, which travel through the `LOGS` queue
//! into D1 (and to a workspace's log sink); request and response bodies,
//! archived in R2.

pub mod archive;
pub mod audit_record;
pub mod delivery;
pub mod log_record;
pub mod sql;
pub mod usage_event;

#[cfg(target_arch = "wasm32")]
pub mod archive_store;
#[cfg(target_arch = "wasm32")]
pub mod consumer;
#[cfg(target_arch = "wasm32")]
pub mod queue;
#[cfg(target_arch = "wasm32")]
pub mod sink;
