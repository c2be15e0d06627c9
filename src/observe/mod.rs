//! What the gateway records about each request: the log record that
//! travels through the `LOGS` queue into D1.

pub mod audit_record;
pub mod log_record;
pub mod sql;

#[cfg(target_arch = "wasm32")]
pub mod consumer;
