//! What the cache did for one request, carried in the request context:
//! the status the client and the log see, what a hit saved, notes on
//! anything that went wrong (the cache fails open, and says so), and — for
//! a miss — what to do with the answer once it is complete.

use super::vector::VectorRecord;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    Hit,
    SemanticHit,
    Miss,
    /// The cache was on but not read (`no-cache`, read disabled, an
    /// endpoint the cache does not serve).
    Bypass,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "HIT",
            CacheStatus::SemanticHit => "SEMANTIC_HIT",
            CacheStatus::Miss => "MISS",
            CacheStatus::Bypass => "BYPASS",
        }
    }

    pub fn is_hit(self) -> bool {
        matches!(self, CacheStatus::Hit | CacheStatus::SemanticHit)
    }
}

/// What happens to a missed request's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct SavePlan {
    /// The KV key of the bucket.
    pub kv_key: String,
    /// Store the answer in the bucket (false: only hand it to followers).
    pub store: bool,
    pub ttl_seconds: u64,
    pub bucket_max: u8,
    /// The vector to file the answer under in the semantic index.
    pub vector: Option<VectorRecord>,
    /// This request leads a coalesced flight: report to the `Coalescer`
    /// named after the key, with this lease.
    pub lease: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CacheState {
    pub status: CacheStatus,
    /// The exact key (hex), for finding requests that shared an entry.
    pub key: Option<String>,
    pub notes: Vec<String>,
    pub cost_saved_nanos: Option<u64>,
    /// What the lookup itself cost (the semantic cache's embedding call).
    pub lookup_cost_nanos: u64,
    pub save: Option<SavePlan>,
}

impl CacheState {
    pub fn new(status: CacheStatus) -> Self {
        CacheState { status, key: None, notes: Vec::new(), cost_saved_nanos: None, lookup_cost_nanos: 0, save: None }
    }

    /// Whether the answer should be captured for saving or for followers.
    pub fn wants_answer(&self) -> bool {
        self.save.as_ref().is_some_and(|s| s.store || s.lease.is_some())
    }

    /// The log's `cache_detail`: notes joined, or nothing.
    pub fn detail(&self) -> Option<String> {
        (!self.notes.is_empty()).then(|| self.notes.join("; "))
    }
}
