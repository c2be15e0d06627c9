//! The HTTP surface: path matching, the error type, gateway headers.

pub mod client_ip;
pub mod error;
pub mod headers;
pub mod routes;
pub mod admin;
