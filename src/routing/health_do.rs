//! The `Health` Durable Object: one per workspace, the shared record of its
//! targets' health. Isolates report attempt outcomes and read a snapshot
//! back in one call, after their response (in `wait_until`); between
//! syncs each isolate decides from its own copy, so the request path never
//! waits on this object.

use super::health::TargetHealth;
use super::health_protocol::{Snapshot, Sync};
use std::collections::HashMap;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};

#[durable_object]
pub struct Health {
    sql: SqlStorage,
}

#[derive(serde::Deserialize)]
struct Row {
    key: String,
    failures: f64,
    open_until: f64,
    cooldown_until: f64,
}

impl Health {
    fn load(&self, key: &str) -> TargetHealth {
        self.sql
            .exec("SELECT key, failures, open_until, cooldown_until FROM targets WHERE key = ?", vec![key.into()])
            .ok()
            .and_then(|c| c.to_array::<Row>().ok())
            .and_then(|rows| rows.into_iter().next())
            .map(|r| TargetHealth { failures: r.failures as u32, open_until: r.open_until as u64, cooldown_until: r.cooldown_until as u64 })
            .unwrap_or_default()
    }

    fn store(&self, key: &str, h: &TargetHealth) -> Result<()> {
        if *h == TargetHealth::default() {
            self.sql.exec("DELETE FROM targets WHERE key = ?", vec![key.into()])?;
        } else {
            self.sql.exec(
                "INSERT INTO targets (key, failures, open_until, cooldown_until) VALUES (?, ?, ?, ?) \
                 ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, open_until = excluded.open_until, \
                 cooldown_until = excluded.cooldown_until",
                vec![key.into(), (h.failures as i64).into(), (h.open_until as i64).into(), (h.cooldown_until as i64).into()],
            )?;
        }
        Ok(())
    }

    fn sync(&self, sync: Sync) -> Result<Snapshot> {
        let now = worker::Date::now().as_millis();
        for r in &sync.reports {
            let mut h = self.load(&r.key);
            h.record(r.outcome, now, &r.policy());
            self.store(&r.key, &h)?;
        }
        let rows: Vec<Row> = self
            .sql
            .exec("SELECT key, failures, open_until, cooldown_until FROM targets", None)?
            .to_array()?;
        let targets: HashMap<String, TargetHealth> = rows
            .into_iter()
            .map(|r| {
                (r.key, TargetHealth { failures: r.failures as u32, open_until: r.open_until as u64, cooldown_until: r.cooldown_until as u64 })
            })
            .collect();
        Ok(Snapshot { now_ms: now, targets })
    }
}

impl DurableObject for Health {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        let _ = sql.exec(
            "CREATE TABLE IF NOT EXISTS targets (key TEXT PRIMARY KEY, failures INTEGER NOT NULL, \
             open_until INTEGER NOT NULL, cooldown_until INTEGER NOT NULL)",
            None,
        );
        Health { sql }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match req.path().as_str() {
            "/sync" => {
                let sync: Sync = req.json().await?;
                Response::from_json(&self.sync(sync)?)
            }
            _ => Response::error("unknown health operation", 404),
        }
    }
}
