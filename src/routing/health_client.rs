//! Each isolate's copy of target health, and its sync with the `Health`
//! Durable Object. Decisions read the local copy (no I/O on the request
//! path); outcomes update it at once and are reported to the object in
//! `wait_until`, which answers with the workspace-wide state.

use super::config::HealthPolicy;
use super::health::{Outcome, TargetHealth};
use super::health_protocol::{Report, Snapshot, Sync};
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{Env, Method, Request, RequestInit};

/// How old a copy may get before the next request refreshes it.
const REFRESH_AFTER_MS: u64 = 2_000;

#[derive(Default)]
struct Copy {
    fetched_ms: u64,
    targets: HashMap<String, TargetHealth>,
    pending: Vec<Report>,
}

thread_local! {
    static COPIES: RefCell<HashMap<String, Copy>> = RefCell::new(HashMap::new());
}

/// Whether a target is in rotation, by this isolate's copy.
pub fn available(workspace: &str, key: &str, now_ms: u64) -> bool {
    COPIES.with(|c| {
        c.borrow().get(workspace).and_then(|copy| copy.targets.get(key)).is_none_or(|h| h.available(now_ms))
    })
}

/// Records an attempt's outcome locally and queues it for the object.
pub fn record(workspace: &str, key: &str, outcome: Outcome, policy: &HealthPolicy, now_ms: u64) {
    COPIES.with(|c| {
        let mut c = c.borrow_mut();
        let copy = c.entry(workspace.to_string()).or_default();
        let h = copy.targets.entry(key.to_string()).or_default();
        // A success on a target in perfect health changes nothing anywhere:
        // it is not worth a report.
        if outcome == Outcome::Success && *h == TargetHealth::default() {
            return;
        }
        h.record(outcome, now_ms, policy);
        copy.pending.push(Report::new(key.to_string(), outcome, policy));
    });
}

/// Sends queued reports, and refreshes the copy when `refresh` and it is
/// stale (only requests with a choice of targets need the shared view). Run
/// in `wait_until`; failures only mean the copy stays local for a while.
pub async fn sync(env: &Env, workspace: &str, now_ms: u64, refresh: bool) {
    let reports = COPIES.with(|c| {
        let mut c = c.borrow_mut();
        let copy = c.entry(workspace.to_string()).or_default();
        let stale = refresh && now_ms.saturating_sub(copy.fetched_ms) >= REFRESH_AFTER_MS;
        if copy.pending.is_empty() && !stale {
            None
        } else {
            copy.fetched_ms = now_ms;
            Some(std::mem::take(&mut copy.pending))
        }
    });
    let Some(reports) = reports else { return };
    match call(env, workspace, &Sync { reports: reports.clone() }).await {
        Ok(snapshot) => COPIES.with(|c| {
            let mut c = c.borrow_mut();
            let copy = c.entry(workspace.to_string()).or_default();
            copy.targets = snapshot.targets;
            copy.fetched_ms = now_ms;
        }),
        Err(e) => {
            worker::console_error!("health sync for {workspace} failed: {e}");
            // Keep the reports for the next sync.
            COPIES.with(|c| c.borrow_mut().entry(workspace.to_string()).or_default().pending.extend(reports));
        }
    }
}

async fn call(env: &Env, workspace: &str, body: &Sync) -> worker::Result<Snapshot> {
    let stub = env.durable_object("HEALTH")?.id_from_name(&format!("health:{workspace}"))?.get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(body).map_err(|e| worker::Error::RustError(e.to_string()))?.into()));
    let mut resp = stub.fetch_with_request(Request::new_with_init("https://health/sync", &init)?).await?;
    resp.json().await
}
