//! A small time-bounded map for the isolate-level config cache.
//!
//! Hot requests read their key, workspace and provider credentials from
//! here, not from D1. Entries expire after a short TTL so that a change in
//! D1 (a revoked key, a new provider key) takes effect within seconds
//! everywhere, without a redeploy. Time is passed in, so this is testable.

use std::collections::HashMap;

pub struct TtlCache<V> {
    entries: HashMap<String, (u64, V)>,
    max_entries: usize,
}

impl<V: Clone> TtlCache<V> {
    pub fn new(max_entries: usize) -> Self {
        TtlCache { entries: HashMap::new(), max_entries: max_entries.max(1) }
    }

    /// The value for `key` if it has not expired at `now_ms`.
    pub fn get(&self, key: &str, now_ms: u64) -> Option<V> {
        match self.entries.get(key) {
            Some((expires, v)) if *expires > now_ms => Some(v.clone()),
            _ => None,
        }
    }

    pub fn insert(&mut self, key: String, value: V, now_ms: u64, ttl_ms: u64) {
        if self.entries.len() >= self.max_entries && !self.entries.contains_key(&key) {
            self.entries.retain(|_, (expires, _)| *expires > now_ms);
            if self.entries.len() >= self.max_entries {
                // Still full of live entries: drop the one closest to expiry.
                if let Some(victim) = self.entries.iter().min_by_key(|(_, (e, _))| *e).map(|(k, _)| k.clone()) {
                    self.entries.remove(&victim);
                }
            }
        }
        self.entries.insert(key, (now_ms.saturating_add(ttl_ms), value));
    }

    pub fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// Drops every entry whose key starts with `prefix` (e.g. one workspace).
    pub fn remove_prefix(&mut self, prefix: &str) {
        self.entries.retain(|k, _| !k.starts_with(prefix));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire() {
        let mut c = TtlCache::new(10);
        c.insert("k".into(), 1, 1_000, 500);
        assert_eq!(c.get("k", 1_499), Some(1));
        assert_eq!(c.get("k", 1_500), None);
    }

    #[test]
    fn bounded_size_evicts_expired_then_oldest() {
        let mut c = TtlCache::new(2);
        c.insert("a".into(), 1, 0, 10);
        c.insert("b".into(), 2, 0, 100);
        c.insert("c".into(), 3, 50, 100); // "a" expired at 10: evicted
        assert_eq!(c.len(), 2);
        assert_eq!(c.get("b", 60), Some(2));
        c.insert("d".into(), 4, 60, 100); // all live: "b" (expires 100) goes
        assert_eq!(c.get("b", 60), None);
        assert_eq!(c.get("c", 60), Some(3));
        assert_eq!(c.get("d", 60), Some(4));
    }

    #[test]
    fn removal_by_prefix() {
        let mut c = TtlCache::new(10);
        c.insert("ws_1:a".into(), 1, 0, 100);
        c.insert("ws_2:a".into(), 2, 0, 100);
        c.remove_prefix("ws_1:");
        assert_eq!(c.get("ws_1:a", 1), None);
        assert_eq!(c.get("ws_2:a", 1), Some(2));
    }
}
