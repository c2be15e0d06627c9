//! Admin handlers for the cache: its state and hit statistics per
//! workspace, and purging. A purge bumps the workspace's cache generation,
//! which is part of every cache key and semantic context: old entries are
//! never read again (and expire on their own), at once in this isolate and
//! within `CONFIG_CACHE_TTL_SECONDS` in every other.

use super::audit;
use super::support::{query_value, Admin};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::store::config as config_cache;
use serde_json::{json, Value};
use worker::Response;

const DAY_MS: u64 = 24 * 3_600 * 1_000;

/// `GET /workspaces/{ws}/cache[?since=<ms>]`: generation, and per cache
/// status the requests and the cost saved since `since` (default: a day).
pub async fn status(admin: &Admin, ws: &str, query: &[(String, String)]) -> GatewayResult<Response> {
    let row = admin
        .row("SELECT cache_generation FROM workspaces WHERE id = ?1", &[ws.into()])
        .await?
        .ok_or_else(|| GatewayError::not_found(ErrorCode::WorkspaceNotFound, format!("No workspace '{ws}'.")))?;
    let since = match query_value(query, "since") {
        Some(v) => v.parse::<u64>().map_err(|_| {
            GatewayError::invalid_request(ErrorCode::InvalidValue, "'since' must be milliseconds since the epoch.").with_param("since")
        })?,
        None => admin.now.saturating_sub(DAY_MS),
    };
    let rows = admin
        .rows(
            "SELECT cache_status AS status, COUNT(*) AS requests, COALESCE(SUM(cost_saved_nanos), 0) AS cost_saved_nanos \
             FROM request_logs WHERE workspace_id = ?1 AND created_at >= ?2 AND cache_status IS NOT NULL GROUP BY cache_status",
            &[ws.into(), since.into()],
        )
        .await?;
    let count = |status: &str| rows.iter().find(|r| r["status"] == status).and_then(|r| r["requests"].as_u64()).unwrap_or(0);
    let hits = count("HIT") + count("SEMANTIC_HIT");
    let looked = hits + count("MISS");
    let saved: u64 = rows.iter().filter_map(|r| r["cost_saved_nanos"].as_f64()).map(|n| n as u64).sum();
    Ok(admin.ok(
        200,
        &json!({
            "workspace_id": ws,
            "cache_generation": row["cache_generation"],
            "since": since,
            "by_status": rows,
            "hit_rate": if looked == 0 { Value::Null } else { json!(hits as f64 / looked as f64) },
            "cost_saved_nanos": saved,
        }),
    ))
}

/// `POST /workspaces/{ws}/cache/purge`: every answer cached so far is forgotten.
pub async fn purge(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let bump = admin.stmt(
        "UPDATE workspaces SET cache_generation = cache_generation + 1, updated_at = ?2 WHERE id = ?1",
        &[ws.into(), admin.now.into()],
    )?;
    let event = audit::event(admin, Some(ws), "cache.purged", "workspace", ws, json!({}))?;
    admin.batch(vec![bump, event]).await?;
    config_cache::invalidate_workspace(ws);
    let row = admin.row("SELECT cache_generation FROM workspaces WHERE id = ?1", &[ws.into()]).await?.unwrap_or_default();
    Ok(admin.ok(200, &json!({ "workspace_id": ws, "cache_generation": row["cache_generation"], "purged": true })))
}
