//! The exact cache's KV side: reading a bucket within a bounded wait (a
//! slow or failing KV must not hold the request: it goes upstream), and
//! adding an answer to a bucket.
//!
//! Adding is read-modify-write: KV has no transactions, so two answers
//! landing at the same moment for a bucket of several can keep only one —
//! the bucket then fills on a later miss. Single-answer buckets (the
//! default) are unaffected, and coalescing keeps their writes to one.

use super::entry::{Bucket, StoredAnswer};
use super::hot::{HotCache, MAX_BYTES};
use crate::runtime::durable::within;
use crate::runtime::now_ms;
use std::cell::RefCell;
use worker::Env;

const BINDING: &str = "CACHE";

thread_local! {
    static HOT: RefCell<HotCache<Bucket>> = RefCell::new(HotCache::new(MAX_BYTES));
}

/// The bucket under `kv_key`; `Err` says why the cache could not be read.
pub async fn read(env: &Env, kv_key: &str, timeout_ms: u64) -> Result<Option<Bucket>, String> {
    if let Some(bucket) = HOT.with(|h| h.borrow_mut().get(kv_key, now_ms())) {
        return Ok(Some(bucket));
    }
    let store = env.kv(BINDING).map_err(|e| format!("kv unavailable: {e}"))?;
    let text = within(timeout_ms, store.get(kv_key).text())
        .await
        .ok_or_else(|| format!("kv read timed out after {timeout_ms} ms"))?
        .map_err(|e| format!("kv read failed: {e}"))?;
    // An entry that no longer parses (an older layout) is a miss.
    let Some((text, bucket)) = text.and_then(|t| Bucket::parse(&t).map(|b| (t, b))) else { return Ok(None) };
    HOT.with(|h| h.borrow_mut().put(kv_key, bucket.clone(), text.len(), now_ms()));
    Ok(Some(bucket))
}

/// Adds `answer` to the bucket (up to `bucket_max` answers); returns its index,
/// or `None` when the bucket was already full.
pub async fn add(env: &Env, kv_key: &str, answer: StoredAnswer, bucket_max: u8, now_ms: u64) -> Result<Option<usize>, String> {
    let store = env.kv(BINDING).map_err(|e| format!("kv unavailable: {e}"))?;
    let mut bucket = if bucket_max > 1 {
        store.get(kv_key).text().await.map_err(|e| format!("kv read failed: {e}"))?.and_then(|t| Bucket::parse(&t)).unwrap_or_default()
    } else {
        // A one-answer bucket is simply replaced.
        Bucket::default()
    };
    let Some(index) = bucket.add(answer, bucket_max, now_ms) else { return Ok(None) };
    let text = bucket.encode();
    let bytes = text.len();
    store
        .put(kv_key, text)
        .map_err(|e| format!("kv write failed: {e}"))?
        .expiration_ttl(bucket.kv_ttl_seconds(now_ms))
        .execute()
        .await
        .map_err(|e| format!("kv write failed: {e}"))?;
    HOT.with(|h| h.borrow_mut().put(kv_key, bucket, bytes, now_ms));
    Ok(Some(index))
}
