//! Messages between the worker and the `Limiter` Durable Object.

use super::window::Decision;
use serde::{Deserialize, Serialize};

/// Take `amount` from each bucket, all or nothing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TakeRequest {
    pub buckets: Vec<BucketTake>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BucketTake {
    /// Identifies the counter inside the object (the rule's canonical text).
    pub bucket: String,
    pub quota: u64,
    pub window_ms: u64,
    pub amount: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TakeResponse {
    pub allowed: bool,
    pub now_ms: u64,
    /// One per bucket, in request order.
    pub decisions: Vec<Decision>,
}
