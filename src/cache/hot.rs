//! The isolate's own copy of recently read or written exact-cache buckets,
//! so a hot answer is served from memory instead of a KV round trip.
//!
//! Staleness is bounded the way KV's own edge cache bounds it: an entry is
//! kept at most `MAX_AGE_MS` (KV reads may be up to 60 s stale anyway), and
//! every answer in it still carries its own expiry, which `Bucket::pick`
//! checks. A purge needs nothing here: it bumps the workspace's cache
//! generation, which is part of every key. Memory is bounded by bytes;
//! the oldest entries go first.

use std::collections::{HashMap, VecDeque};

/// Longest an entry is served from memory before KV is asked again.
pub const MAX_AGE_MS: u64 = 30_000;
/// Memory for all entries of one isolate (workers have 128 MB).
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// Buckets larger than this are read from KV each time.
pub const MAX_ENTRY_BYTES: usize = 256 * 1024;

struct Entry<V> {
    value: V,
    stored_ms: u64,
    bytes: usize,
}

pub struct HotCache<V> {
    entries: HashMap<String, Entry<V>>,
    /// Keys in the order they were stored (a key stored again appears twice;
    /// the stale position is skipped when it comes up).
    order: VecDeque<(String, u64)>,
    bytes: usize,
    max_bytes: usize,
}

impl<V: Clone> HotCache<V> {
    pub fn new(max_bytes: usize) -> HotCache<V> {
        HotCache { entries: HashMap::new(), order: VecDeque::new(), bytes: 0, max_bytes }
    }

    /// The entry under `key`, if stored within `MAX_AGE_MS` of `now_ms`.
    pub fn get(&mut self, key: &str, now_ms: u64) -> Option<V> {
        let entry = self.entries.get(key)?;
        if now_ms.saturating_sub(entry.stored_ms) < MAX_AGE_MS {
            return Some(entry.value.clone());
        }
        self.remove(key);
        None
    }

    pub fn put(&mut self, key: &str, value: V, bytes: usize, now_ms: u64) {
        self.remove(key);
        if bytes > MAX_ENTRY_BYTES || bytes > self.max_bytes {
            return;
        }
        while self.bytes + bytes > self.max_bytes {
            let Some((oldest, stored)) = self.order.pop_front() else { break };
            if self.entries.get(&oldest).is_some_and(|e| e.stored_ms == stored) {
                self.remove(&oldest);
            }
        }
        self.bytes += bytes;
        self.order.push_back((key.to_string(), now_ms));
        self.entries.insert(key.to_string(), Entry { value, stored_ms: now_ms, bytes });
    }

    fn remove(&mut self, key: &str) {
        if let Some(e) = self.entries.remove(key) {
            self.bytes -= e.bytes;
        }
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_served_until_they_are_too_old() {
        let mut hot = HotCache::new(1024);
        hot.put("k", 1, 10, 1_000);
        assert_eq!(hot.get("k", 1_000 + MAX_AGE_MS - 1), Some(1));
        assert_eq!(hot.get("k", 1_000 + MAX_AGE_MS), None);
        assert_eq!(hot.bytes(), 0, "an expired entry frees its memory");
        assert_eq!(hot.get("other", 1_000), None);
    }

    #[test]
    fn memory_is_bounded_and_the_oldest_go_first() {
        let mut hot = HotCache::new(100);
        hot.put("a", 'a', 40, 1);
        hot.put("b", 'b', 40, 2);
        hot.put("a", 'A', 40, 3); // stored again: now the newest
        hot.put("c", 'c', 40, 4); // evicts b, the oldest still stored
        assert_eq!((hot.get("a", 5), hot.get("b", 5), hot.get("c", 5)), (Some('A'), None, Some('c')));
        assert!(hot.bytes() <= 100);
        hot.put("huge", 'h', MAX_ENTRY_BYTES + 1, 6);
        assert_eq!(hot.get("huge", 6), None, "an entry over the per-entry bound is not kept");
        assert_eq!(hot.get("a", 6), Some('A'), "and evicts nothing");
    }
}
