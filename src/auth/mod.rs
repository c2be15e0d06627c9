//! Credentials: virtual keys and workspace admin tokens (stored as hashes),
//! the master key, console sessions, Cloudflare Access assertions, the roles
//! of the admin API, and the encryption of provider keys at rest. Pure
//! functions; randomness and signature checks come in from the edge.

pub mod access_jwt;
pub mod admin_access;
pub mod bearer;
pub mod console_session;
pub mod principal;
pub mod secrets;
pub mod virtual_key;
