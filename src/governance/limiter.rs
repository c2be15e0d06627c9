//! The `Limiter` Durable Object: one instance per limit scope (a key, a
//! workspace, an end user…), holding that scope's rate-limit windows in its
//! SQLite storage. Requests to one object are processed one at a time and
//! its SQL calls are synchronous, so check-and-take is atomic: limits hold
//! exactly under any concurrency, across every isolate and location.

use super::limiter_protocol::{TakeRequest, TakeResponse};
use super::window::{self, WindowState};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};

#[durable_object]
pub struct Limiter {
    sql: SqlStorage,
}

#[derive(serde::Deserialize)]
struct Row {
    start_ms: f64,
    used: f64,
}

impl Limiter {
    fn load(&self, bucket: &str) -> Option<WindowState> {
        self.sql
            .exec("SELECT start_ms, used FROM windows WHERE bucket = ?", vec![bucket.into()])
            .ok()?
            .to_array::<Row>()
            .ok()?
            .into_iter()
            .next()
            .map(|r| WindowState { start_ms: r.start_ms as u64, used: r.used as u64 })
    }

    fn store(&self, bucket: &str, s: WindowState) -> Result<()> {
        self.sql.exec(
            "INSERT INTO windows (bucket, start_ms, used) VALUES (?, ?, ?) \
             ON CONFLICT(bucket) DO UPDATE SET start_ms = excluded.start_ms, used = excluded.used",
            vec![bucket.into(), (s.start_ms as i64).into(), (s.used as i64).into()],
        )?;
        Ok(())
    }

    fn take(&self, req: TakeRequest) -> Result<TakeResponse> {
        let now = worker::Date::now().as_millis();
        let states: Vec<WindowState> =
            req.buckets.iter().map(|b| window::current(self.load(&b.bucket), now, b.window_ms)).collect();
        let decisions: Vec<_> = req
            .buckets
            .iter()
            .zip(&states)
            .map(|(b, s)| window::check(*s, b.window_ms, b.quota, b.amount))
            .collect();
        let allowed = decisions.iter().all(|d| d.allowed);
        if allowed {
            for (b, s) in req.buckets.iter().zip(states) {
                self.store(&b.bucket, WindowState { used: s.used + b.amount, ..s })?;
            }
        }
        Ok(TakeResponse { allowed, now_ms: now, decisions })
    }
}

impl DurableObject for Limiter {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        // Idempotent; runs once per object activation.
        let _ = sql.exec(
            "CREATE TABLE IF NOT EXISTS windows (bucket TEXT PRIMARY KEY, start_ms INTEGER NOT NULL, used INTEGER NOT NULL)",
            None,
        );
        Limiter { sql }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        match path.as_str() {
            "/take" => {
                let take: TakeRequest = req.json().await?;
                Response::from_json(&self.take(take)?)
            }
            _ => Response::error("unknown limiter operation", 404),
        }
    }
}
