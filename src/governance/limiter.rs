//! The `Limiter` Durable Object: one instance per limit scope (a key, an
//! agent, a department, a workspace, an end user…) holding that scope's
//! ledger — rate-limit windows, concurrency leases, budget reservations —
//! in its SQLite storage. Requests to one object run one at a time and its
//! SQL calls are synchronous, so every check-and-take is atomic: limits and
//! budgets hold exactly under any concurrency, across every isolate.
//!
//! Storage is one row per window, budget and hold (tables named by
//! `ledger::Table`); a call writes only the rows it changed, so an object
//! with many windows (an IP or user scope) costs no more per call than one
//! with a few, and ended windows are deleted.

use super::ledger::{Ledger, Table};
use super::limiter_protocol::LimiterCall;
use std::cell::RefCell;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};

#[durable_object]
pub struct Limiter {
    sql: SqlStorage,
    /// The ledger in memory, written through to SQLite after every change.
    ledger: RefCell<Ledger>,
}

#[derive(serde::Deserialize)]
struct Row {
    k: String,
    v: String,
}

#[derive(serde::Deserialize)]
struct Blob {
    state: String,
}

impl Limiter {
    fn load(sql: &SqlStorage) -> Ledger {
        let mut rows = Vec::new();
        for table in Table::ALL {
            let found = sql
                .exec(&format!("SELECT k, v FROM {}", table.name()), None)
                .ok()
                .and_then(|c| c.to_array::<Row>().ok())
                .unwrap_or_default();
            rows.extend(found.into_iter().map(|r| (table, r.k, r.v)));
        }
        let mut ledger = Ledger::from_rows(rows);
        // Ledgers written as one JSON blob (before rows) are moved into rows once.
        let blob = sql
            .exec("SELECT state FROM ledger WHERE id = 1", None)
            .ok()
            .and_then(|c| c.to_array::<Blob>().ok())
            .and_then(|rows| rows.into_iter().next())
            .and_then(|r| serde_json::from_str::<Ledger>(&r.state).ok());
        if let Some(mut old) = blob {
            old.mark_all_dirty();
            ledger = old;
        }
        ledger
    }

    fn store(&self, ledger: &mut Ledger) -> Result<()> {
        for change in ledger.take_changes() {
            let table = change.table.name();
            match change.value {
                Some(v) => self.sql.exec(
                    &format!("INSERT INTO {table} (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v"),
                    vec![change.key.into(), v.into()],
                )?,
                None => self.sql.exec(&format!("DELETE FROM {table} WHERE k = ?"), vec![change.key.into()])?,
            };
        }
        let _ = self.sql.exec("DELETE FROM ledger", None);
        Ok(())
    }

    fn call(&self, call: LimiterCall) -> Result<Response> {
        let now = || worker::Date::now().as_millis();
        let mut ledger = self.ledger.borrow_mut();
        let answer = match call {
            LimiterCall::Admit { admit, now_ms } => serde_json::to_value(ledger.admit(&admit, now_ms.unwrap_or_else(now))),
            LimiterCall::Settle { settle } => serde_json::to_value(ledger.settle(&settle)),
            LimiterCall::Release { id } => {
                ledger.release(&id);
                Ok(serde_json::json!({}))
            }
            LimiterCall::Budget { budget_id, period, limit_nanos, now_ms } => {
                serde_json::to_value(ledger.budget_status(&budget_id, period, limit_nanos, now_ms.unwrap_or_else(now)))
            }
        }
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.store(&mut ledger)?;
        Response::from_json(&answer)
    }
}

impl DurableObject for Limiter {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        // Idempotent; runs once per object activation.
        for table in Table::ALL {
            let _ = sql.exec(&format!("CREATE TABLE IF NOT EXISTS {} (k TEXT PRIMARY KEY, v TEXT NOT NULL)", table.name()), None);
        }
        let _ = sql.exec("CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, state TEXT NOT NULL)", None);
        let ledger = RefCell::new(Self::load(&sql));
        Limiter { sql, ledger }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let call: LimiterCall = req.json().await?;
        self.call(call)
    }
}
