//! Stage 7: after the answer, in `wait_until` so it never delays the
//! response — the cache filled (and coalesced followers served), bodies
//! archived to R2, limits and budgets settled to the real usage, the log
//! record (and any audit event of a policy decision) onto the `LOGS`
//! queue, soft budget thresholds reported.

use super::context::RequestContext;
use crate::governance::admission;
use crate::observe::archive_store::Archived;
use crate::observe::audit_record::{AuditRecord, QueueMessage};
use crate::runtime::{new_id, now_ms};
use worker::{Context, Env};

pub fn schedule(ctx: &Context, env: &Env, rc: RequestContext) {
    let env = env.clone();
    ctx.wait_until(async move { settle(&env, rc).await });
}

/// Sends one message to the `LOGS` queue (see `observe::queue`).
pub async fn enqueue(env: &Env, message: &QueueMessage) {
    crate::observe::queue::send(env, message).await;
}

/// What the archive may keep of the request, by its plan.
fn archived(rc: &mut RequestContext) -> Archived<'_> {
    Archived {
        workspace_id: rc.workspace_id.as_deref(),
        started_ms: rc.started_ms,
        id: &rc.id,
        endpoint: rc.endpoint.name(),
        request_body: if rc.archive.request { rc.request_body.take() } else { None },
        answer: if rc.archive.response { Some((rc.answer.as_ref(), rc.error.as_ref())) } else { None },
    }
}

pub async fn settle(env: &Env, mut rc: RequestContext) {
    // First the cache: followers of a coalesced flight are waiting on it.
    super::cache::land(env, &mut rc).await;
    let keys = crate::observe::archive_store::store(env, archived(&mut rc)).await;
    (rc.request_body_key, rc.response_body_key) = (keys.request, keys.response);
    // A cached answer used no provider tokens (its usage is logged, not counted).
    let tokens = if rc.served_from_cache() { 0 } else { rc.usage.map_or(0, |u| u.total_tokens()) };
    let crossed = admission::settle(env, &rc.id, &rc.admissions, tokens, rc.cost.map_or(0, |c| c.0)).await;
    let Some(workspace_id) = rc.workspace_id.clone() else { return };
    if let Some(audit) = rc.policy_audit(new_id("ae")) {
        enqueue(env, &QueueMessage::Audit(audit)).await;
    }
    for (object, status) in crossed {
        let audit = AuditRecord::soft_threshold(new_id("ae"), &workspace_id, &rc.id, &object, &status, now_ms());
        enqueue(env, &QueueMessage::Audit(audit)).await;
        if let Some((_, url)) = rc.budget_webhooks.iter().find(|(id, _)| *id == status.budget_id) {
            notify(url, &serde_json::json!({ "event": "budget.soft_threshold", "workspace_id": workspace_id, "scope": object, "budget": status })).await;
        }
    }
    if let Some(record) = rc.to_log_record() {
        enqueue(env, &QueueMessage::Log(Box::new(record))).await;
    }
}

/// Posts a webhook, once more if the first try fails.
async fn notify(url: &str, body: &serde_json::Value) {
    let request = crate::providers::UpstreamRequest {
        method: "POST",
        url: url.to_string(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: Some(body.to_string().into_bytes()),
    };
    for _ in 0..2 {
        if let Ok(r) = crate::runtime::http::send(&request, 10_000).await {
            if (200..300).contains(&r.status()) {
                return;
            }
        }
    }
    worker::console_error!("webhook {url} failed twice");
}
