//! The core layer: the types every other layer speaks — the error (with
//! its machine codes), the endpoints, what the client's headers say, token
//! usage and the gateway's header names. It depends on nothing of ours, so
//! anything may depend on it (docs/architecture.md).

pub mod client_meta;
pub mod endpoint;
pub mod error;
pub mod headers;
pub mod usage;
pub mod wire_formats;
