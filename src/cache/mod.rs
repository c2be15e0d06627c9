//! Caching: answers to repeated and near-repeated requests served in
//! milliseconds at no provider cost.
//!
//! ```text
//!  options   alephant-cache-* headers over policy defaults → CacheOptions (or off)
//!  key       canonical body + workspace/generation/endpoint/target/seed → SHA-256
//!  exact     KV bucket under the key (entry.rs; recent ones from isolate memory, hot.rs):
//!            hit → served in the wanted form (serve.rs)
//!  semantic  final user turn → embedding (embed.rs) → nearest answer in the same
//!            context (index.rs: Vectorize, or the SemanticIndex Durable Object)
//!  coalesce  a miss claims the key's Coalescer object: lead (go upstream) or
//!            wait for the leader's answer (coalesce.rs, coalescer_do.rs)
//!  save      the complete answer (JSON, or the stream as recorded by recorder.rs)
//!            → KV bucket, vector upsert, followers
//! ```
//!
//! Every edge step fails open: a KV, index or embeddings error sends the
//! request upstream and is noted in its log row (`cache_detail`).

pub mod coalesce;
pub mod convert;
pub mod entry;
pub mod hot;
pub mod key;
pub mod options;
pub mod recorder;
pub mod serve;
pub mod state;
pub mod vector;

#[cfg(target_arch = "wasm32")]
pub mod coalescer_do;
#[cfg(target_arch = "wasm32")]
pub mod embed;
#[cfg(target_arch = "wasm32")]
pub mod index;
#[cfg(target_arch = "wasm32")]
pub mod index_do;
#[cfg(target_arch = "wasm32")]
pub mod kv;
