//! Reading what the gateway recorded: request logs (with their archived
//! bodies) and audit events, searched by column filters, newest first,
//! with cursor pagination (`crate::analytics::search`).

use super::support::{expand_json, Admin};
use crate::analytics::bodies;
use crate::analytics::cursor::list;
use crate::analytics::search::Search;
use crate::analytics::{bad_param, single};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use serde_json::Value;
use worker::{Bucket, Response};

const LOG_JSON: &[&str] = &["properties", "attempts", "policy", "guardrails"];

async fn search(admin: &Admin, ws: &str, s: &Search, json_columns: &[&str]) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let mut rows = admin.query(&s.statement(ws)).await?;
    let next = s.page.finish(&mut rows, "created_at", "id");
    Ok(admin.ok(200, &list(rows.into_iter().map(|r| expand_json(r, json_columns)).collect(), next)))
}

/// `GET …/logs`: filters, `from`/`to`, `limit`, `cursor` (or `before`).
pub async fn list_logs(admin: &Admin, ws: &str, query: &[(String, String)]) -> GatewayResult<Response> {
    search(admin, ws, &Search::logs(query)?, LOG_JSON).await
}

/// `GET …/audit-events`: `action` (exact or `prefix.*`), `actor`,
/// `target_type`, `target_id`, `request_id`, `from`/`to`, paging as logs.
pub async fn list_audit_events(admin: &Admin, ws: &str, query: &[(String, String)]) -> GatewayResult<Response> {
    search(admin, ws, &Search::audit(query)?, &["details"]).await
}

/// `GET …/logs/{id}[?include=bodies]`; `id` is the gateway's (`alephant-id`)
/// or, for the newest such request, the client's own `x-request-id`.
pub async fn get_log(admin: &Admin, ws: &str, id: &str, query: &[(String, String)]) -> GatewayResult<Response> {
    if let Some((k, _)) = query.iter().find(|(k, _)| k != "include") {
        return Err(bad_param(k, format!("Unknown parameter '{k}'. Known: include.")));
    }
    let with_bodies = match single(query, "include")? {
        None => false,
        Some("bodies") => true,
        Some(other) => return Err(bad_param("include", format!("'include' takes 'bodies', not '{other}'."))),
    };
    let row = admin
        // By the gateway's id, else the newest request the client gave this x-request-id.
        .row(
            "SELECT * FROM request_logs WHERE workspace_id = ?2 AND (id = ?1 OR client_request_id = ?1) \
             ORDER BY id = ?1 DESC, created_at DESC LIMIT 1",
            &[id.into(), ws.into()],
        )
        .await?
        .ok_or_else(|| GatewayError::not_found(ErrorCode::LogNotFound, format!("No request log '{id}' (yet).")))?;
    let mut row = expand_json(row, LOG_JSON);
    if with_bodies {
        let bucket = admin.env.bucket("ARCHIVE").map_err(|_| archive_unavailable())?;
        let mut missing = false;
        for (key_column, field) in [("request_body_key", "request_body"), ("response_body_key", "response_body")] {
            let body = match row.get(key_column).and_then(Value::as_str) {
                Some(key) => {
                    let found = read_body(&bucket, key).await?;
                    missing |= found.is_none();
                    found.map_or(Value::Null, |b| bodies::decode(&b))
                }
                None => Value::Null,
            };
            row[field] = body;
        }
        row["body_missing"] = Value::Bool(missing);
    }
    Ok(admin.ok(200, &row))
}

fn archive_unavailable() -> GatewayError {
    GatewayError::new(503, crate::core::error::ErrorType::ApiError, ErrorCode::ArchiveUnavailable, "The body archive could not be read; try again.")
}

async fn object(bucket: &Bucket, key: &str) -> GatewayResult<Option<Vec<u8>>> {
    let Some(object) = bucket.get(key).execute().await.map_err(|_| archive_unavailable())? else { return Ok(None) };
    match object.body() {
        Some(body) => body.bytes().await.map(Some).map_err(|_| archive_unavailable()),
        None => Ok(None),
    }
}

/// The body at `key`, else its parts concatenated in order, else None.
async fn read_body(bucket: &Bucket, key: &str) -> GatewayResult<Option<Vec<u8>>> {
    if let Some(bytes) = object(bucket, key).await? {
        return Ok(Some(bytes));
    }
    let mut out: Option<Vec<u8>> = None;
    for n in 0..bodies::MAX_PARTS {
        match object(bucket, &bodies::part_key(key, n)).await? {
            Some(part) => out.get_or_insert_with(Vec::new).extend_from_slice(&part),
            None => break,
        }
    }
    Ok(out)
}
