//! The semantic index's records and queries, in the shapes of the
//! Vectorize V2 binding, shared by both backends: Vectorize itself in
//! production and the Durable Object stand-in (exact search) where the
//! binding is absent. Pure: scoring and choosing a match are tested here.

use serde::{Deserialize, Serialize};

/// Vectorize's limits on ids and namespaces.
pub const MAX_ID_BYTES: usize = 64;
pub const MAX_NAMESPACE_BYTES: usize = 64;
/// How many neighbours a lookup considers (Vectorize allows 20 with metadata).
pub const TOP_K: u32 = 5;

/// What a vector points at. `ctx` is the only filtered (indexed) property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorMeta {
    /// The request context the answer belongs to (`key::context_hash`).
    pub ctx: String,
    /// The exact-cache key whose bucket holds the answer.
    pub key: String,
    /// When the answer expires (ms); older matches are ignored.
    pub exp: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorRecord {
    pub id: String,
    pub values: Vec<f32>,
    pub namespace: String,
    pub metadata: VectorMeta,
}

/// A query as both backends take it: the vector, its namespace and context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorQuery {
    pub vector: Vec<f32>,
    pub namespace: String,
    pub ctx: String,
    pub top_k: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorMatch {
    pub id: String,
    pub score: f64,
    #[serde(default)]
    pub metadata: Option<VectorMeta>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VectorMatches {
    #[serde(default)]
    pub matches: Vec<VectorMatch>,
}

/// The Durable Object stand-in's protocol (one JSON call per operation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexCall {
    Upsert { record: VectorRecord },
    Query { query: VectorQuery, now_ms: u64 },
}

/// Namespaces must fit Vectorize's 64 bytes; longer workspace ids are hashed.
pub fn namespace_for(workspace_id: &str) -> String {
    if workspace_id.len() <= MAX_NAMESPACE_BYTES {
        return workspace_id.to_string();
    }
    use sha2::{Digest, Sha256};
    Sha256::digest(workspace_id.as_bytes()).iter().take(24).map(|b| format!("{b:02x}")).collect()
}

/// Cosine similarity; 0 for empty, mismatched or zero vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (*x as f64, *y as f64);
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

/// The best match at or above the threshold, in the right context and not
/// expired. Backends filter by context already; checking again here means
/// a backend that ignored the filter can still never serve another
/// context's answer.
pub fn best_match<'a>(matches: &'a VectorMatches, ctx: &str, threshold: f64, now_ms: u64) -> Option<(&'a VectorMatch, &'a VectorMeta)> {
    matches
        .matches
        .iter()
        .filter(|m| m.score >= threshold)
        .filter_map(|m| m.metadata.as_ref().map(|meta| (m, meta)))
        .filter(|(_, meta)| meta.ctx == ctx && meta.exp > now_ms)
        .max_by(|a, b| a.0.score.total_cmp(&b.0.score))
}

/// Exact nearest-neighbour search over stored records (the stand-in's way).
pub fn search<'a>(records: impl Iterator<Item = &'a VectorRecord>, q: &VectorQuery) -> VectorMatches {
    let mut matches: Vec<VectorMatch> = records
        .filter(|r| r.namespace == q.namespace && r.metadata.ctx == q.ctx)
        .map(|r| VectorMatch { id: r.id.clone(), score: cosine(&r.values, &q.vector), metadata: Some(r.metadata.clone()) })
        .collect();
    matches.sort_by(|a, b| b.score.total_cmp(&a.score));
    matches.truncate(q.top_k as usize);
    VectorMatches { matches }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, values: Vec<f32>, ctx: &str, exp: u64) -> VectorRecord {
        VectorRecord {
            id: id.into(),
            values,
            namespace: "ws".into(),
            metadata: VectorMeta { ctx: ctx.into(), key: format!("k-{id}"), exp },
        }
    }

    #[test]
    fn cosine_basics() {
        assert!((cosine(&[1.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-9);
        assert!(cosine(&[1.0, 0.0], &[0.0, 1.0]).abs() < 1e-9);
        assert_eq!(cosine(&[1.0], &[1.0, 0.0]), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }

    #[test]
    fn search_stays_in_namespace_and_context_and_ranks() {
        let mut other_ns = record("x", vec![1.0, 0.0], "c", 10);
        other_ns.namespace = "other".into();
        let records = [
            record("a", vec![1.0, 0.1], "c", 10),
            record("b", vec![0.0, 1.0], "c", 10),
            record("d", vec![1.0, 0.0], "other-ctx", 10),
            other_ns,
        ];
        let q = VectorQuery { vector: vec![1.0, 0.0], namespace: "ws".into(), ctx: "c".into(), top_k: 5 };
        let m = search(records.iter(), &q);
        let ids: Vec<&str> = m.matches.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, vec!["a", "b"]);
        let (best, meta) = best_match(&m, "c", 0.9, 5).unwrap();
        assert_eq!((best.id.as_str(), meta.key.as_str()), ("a", "k-a"));
        assert!(best_match(&m, "c", 0.9, 10).is_none(), "expired");
        assert!(best_match(&m, "c", 0.999, 5).is_none(), "below threshold");
        assert!(best_match(&m, "other-ctx", 0.0, 5).is_none(), "context re-checked");
    }

    #[test]
    fn namespaces_fit_vectorize() {
        assert_eq!(namespace_for("ws_1"), "ws_1");
        assert_eq!(namespace_for(&"w".repeat(100)).len(), 48);
    }

    #[test]
    fn matches_parse_from_vectorize_json() {
        let m: VectorMatches = serde_json::from_str(
            r#"{"count":1,"matches":[{"id":"a","score":0.97,"metadata":{"ctx":"c","key":"k","exp":9},"namespace":"ws"}]}"#,
        )
        .unwrap();
        assert_eq!(m.matches[0].metadata.as_ref().unwrap().key, "k");
    }
}
