//! The `Limiter` Durable Object: one instance per limit scope (a key, an
//! agent, a department, a workspace, an end user…) holding that scope's
//! ledger — rate-limit windows, concurrency leases, budget reservations —
//! in its SQLite storage. Requests to one object run one at a time and its
//! SQL calls are synchronous, so every check-and-take is atomic: limits and
//! budgets hold exactly under any concurrency, across every isolate.

use super::ledger::Ledger;
use std::cell::RefCell;
use super::limiter_protocol::LimiterCall;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};

#[durable_object]
pub struct Limiter {
    sql: SqlStorage,
    /// The ledger in memory, written through to SQLite after every change.
    ledger: RefCell<Ledger>,
}

#[derive(serde::Deserialize)]
struct Row {
    state: String,
}

impl Limiter {
    fn load(sql: &SqlStorage) -> Ledger {
        sql
            .exec("SELECT state FROM ledger WHERE id = 1", None)
            .ok()
            .and_then(|c| c.to_array::<Row>().ok())
            .and_then(|rows| rows.into_iter().next())
            .and_then(|r| serde_json::from_str(&r.state).ok())
            .unwrap_or_default()
    }

    fn store(&self, ledger: &Ledger) -> Result<()> {
        let state = serde_json::to_string(ledger).map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.sql.exec(
            "INSERT INTO ledger (id, state) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state",
            vec![state.into()],
        )?;
        Ok(())
    }

    fn call(&self, call: LimiterCall) -> Result<Response> {
        let now = || worker::Date::now().as_millis();
        let mut ledger = self.ledger.borrow_mut();
        match call {
            LimiterCall::Admit { admit, now_ms } => {
                let admitted = ledger.admit(&admit, now_ms.unwrap_or_else(now));
                self.store(&ledger)?;
                Response::from_json(&admitted)
            }
            LimiterCall::Settle { settle } => {
                let settled = ledger.settle(&settle);
                self.store(&ledger)?;
                Response::from_json(&settled)
            }
            LimiterCall::Release { id } => {
                ledger.release(&id);
                self.store(&ledger)?;
                Response::from_json(&serde_json::json!({}))
            }
            LimiterCall::Budget { budget_id, period, limit_nanos, now_ms } => {
                Response::from_json(&ledger.budget_status(&budget_id, period, limit_nanos, now_ms.unwrap_or_else(now)))
            }
        }
    }
}

impl DurableObject for Limiter {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        // Idempotent; runs once per object activation.
        let _ = sql.exec("CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, state TEXT NOT NULL)", None);
        let ledger = RefCell::new(Self::load(&sql));
        Limiter { sql, ledger }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let call: LimiterCall = req.json().await?;
        self.call(call)
    }
}
