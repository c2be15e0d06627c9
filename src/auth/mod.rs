//! Credentials: virtual keys (stored as hashes), the master key, and the
//! encryption of provider keys at rest. Pure functions; randomness comes in
//! as bytes from the edge.

pub mod principal;
pub mod secrets;
pub mod virtual_key;
