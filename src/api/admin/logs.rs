//! Reading what the gateway recorded: request logs and audit events.

use super::support::{expand_json, limit, list, query_value, Admin};
use crate::api::error::{GatewayError, GatewayResult};
use worker::Response;

const LOG_JSON: &[&str] = &["properties", "attempts", "policy"];

/// `?before=<created_at ms>` pages backwards in time, newest first.
fn before(query: &[(String, String)]) -> u64 {
    query_value(query, "before").and_then(|v| v.parse().ok()).unwrap_or(u64::MAX >> 11)
}

pub async fn list_logs(admin: &Admin, ws: &str, query: &[(String, String)]) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let rows = admin
        .rows(
            "SELECT * FROM request_logs WHERE workspace_id = ?1 AND created_at < ?2 ORDER BY created_at DESC, id DESC LIMIT ?3",
            &[ws.into(), before(query).into(), limit(query, 50, 500).into()],
        )
        .await?;
    Ok(admin.ok(200, &list(rows.into_iter().map(|r| expand_json(r, LOG_JSON)).collect())))
}

pub async fn get_log(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Response> {
    let row = admin
        .row("SELECT * FROM request_logs WHERE id = ?1 AND workspace_id = ?2", &[id.into(), ws.into()])
        .await?
        .ok_or_else(|| GatewayError::not_found("log_not_found", format!("No request log '{id}' (yet).")))?;
    Ok(admin.ok(200, &expand_json(row, LOG_JSON)))
}

pub async fn list_audit_events(admin: &Admin, ws: &str, query: &[(String, String)]) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let rows = admin
        .rows(
            "SELECT * FROM audit_events WHERE workspace_id = ?1 AND created_at < ?2 ORDER BY created_at DESC, id DESC LIMIT ?3",
            &[ws.into(), before(query).into(), limit(query, 50, 500).into()],
        )
        .await?;
    Ok(admin.ok(200, &list(rows.into_iter().map(|r| expand_json(r, &["details"])).collect())))
}
