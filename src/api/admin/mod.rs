//! The admin API under `/admin/…`, authenticated by the master key.
//! Every change writes an audit event in the same D1 batch as the change.
//! Described in `schema/openapi.yaml`.

pub mod input;

#[cfg(target_arch = "wasm32")]
mod audit;
#[cfg(target_arch = "wasm32")]
mod handlers;
#[cfg(target_arch = "wasm32")]
mod logs;
#[cfg(target_arch = "wasm32")]
mod resources;
#[cfg(target_arch = "wasm32")]
mod support;

#[cfg(target_arch = "wasm32")]
pub use handlers::handle;
