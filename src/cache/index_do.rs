//! `SemanticIndex`: the Durable Object that stands in for Vectorize where
//! the binding is absent. One object per namespace (workspace); vectors
//! live in its SQLite storage, and a query scores every live vector of the
//! request's context exactly — contexts are narrow (one system prompt,
//! model and parameter set), so the scan is small. Expired vectors are
//! pruned as new ones arrive.

use super::vector::{search, IndexCall, VectorMeta, VectorQuery, VectorRecord};
use serde::Deserialize;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};

/// Bounds one context's scan (oldest answers are dropped beyond it).
const MAX_PER_CONTEXT: usize = 2_000;

#[durable_object]
pub struct SemanticIndex {
    sql: SqlStorage,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    vals: String,
    key: String,
    exp: f64,
}

fn err(e: impl std::fmt::Display) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

impl SemanticIndex {
    fn upsert(&self, r: &VectorRecord) -> Result<()> {
        let now = worker::Date::now().as_millis() as i64;
        self.sql.exec("DELETE FROM vectors WHERE exp <= ?", vec![now.into()])?;
        let values = serde_json::to_string(&r.values).map_err(err)?;
        self.sql.exec(
            "INSERT INTO vectors (id, ctx, vals, key, exp) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT(id) DO UPDATE SET ctx = excluded.ctx, vals = excluded.vals, key = excluded.key, exp = excluded.exp",
            vec![
                r.id.clone().into(),
                r.metadata.ctx.clone().into(),
                values.into(),
                r.metadata.key.clone().into(),
                (r.metadata.exp as i64).into(),
            ],
        )?;
        self.sql.exec(
            "DELETE FROM vectors WHERE ctx = ? AND id NOT IN (SELECT id FROM vectors WHERE ctx = ? ORDER BY exp DESC LIMIT ?)",
            vec![r.metadata.ctx.clone().into(), r.metadata.ctx.clone().into(), (MAX_PER_CONTEXT as i64).into()],
        )?;
        Ok(())
    }

    fn query(&self, q: &VectorQuery, now_ms: u64) -> Result<Response> {
        let rows: Vec<Row> = self
            .sql
            .exec("SELECT id, vals, key, exp FROM vectors WHERE ctx = ? AND exp > ?", vec![q.ctx.clone().into(), (now_ms as i64).into()])?
            .to_array()?;
        let records: Vec<VectorRecord> = rows
            .into_iter()
            .filter_map(|r| {
                Some(VectorRecord {
                    values: serde_json::from_str(&r.vals).ok()?,
                    namespace: q.namespace.clone(),
                    metadata: VectorMeta { ctx: q.ctx.clone(), key: r.key, exp: r.exp as u64 },
                    id: r.id,
                })
            })
            .collect();
        Response::from_json(&search(records.iter(), q))
    }
}

impl DurableObject for SemanticIndex {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        let _ = sql.exec(
            "CREATE TABLE IF NOT EXISTS vectors (id TEXT PRIMARY KEY, ctx TEXT NOT NULL, vals TEXT NOT NULL, key TEXT NOT NULL, exp INTEGER NOT NULL)",
            None,
        );
        let _ = sql.exec("CREATE INDEX IF NOT EXISTS vectors_by_ctx ON vectors(ctx, exp)", None);
        SemanticIndex { sql }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match req.json::<IndexCall>().await? {
            IndexCall::Upsert { record } => {
                self.upsert(&record)?;
                Response::from_json(&serde_json::json!({ "mutationId": record.id }))
            }
            IndexCall::Query { query, now_ms } => self.query(&query, now_ms),
        }
    }
}
