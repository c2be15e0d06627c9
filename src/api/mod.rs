//! The HTTP surface: path matching (`routes`), the client's IP, and the
//! admin API. The error type and header names it renders live in `core`.

pub mod client_ip;
pub mod routes;
pub mod admin;
