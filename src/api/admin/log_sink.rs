//! Admin handlers for a workspace's log sink: where every record of the
//! workspace is also posted, as JSON lines, by the queue consumer. Header
//! values (a receiver's token) are stored encrypted and never returned.

use super::audit;
use super::input::{self, check_base_url};
use super::support::Admin;
use crate::core::error::{ErrorType, GatewayError, GatewayResult, invalid_value, ErrorCode};
use crate::auth::secrets::{EncryptionKey, NONCE_BYTES};
use crate::observe::sink;
use crate::runtime::config::secret;
use crate::runtime::random_bytes;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use worker::Response;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PutSink {
    url: String,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default)]
    enabled: Option<bool>,
}

/// Header names and values a sink may be given (no hop-by-hop or framing headers).
fn checked_headers(headers: Map<String, Value>) -> GatewayResult<Vec<(String, String)>> {
    if headers.len() > 20 {
        return Err(invalid_value("headers", "'headers' may hold at most 20 headers."));
    }
    headers
        .into_iter()
        .map(|(name, value)| {
            let lower = name.trim().to_ascii_lowercase();
            let valid_name = !lower.is_empty() && lower.len() <= 100 && lower.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid_name || matches!(lower.as_str(), "content-length" | "content-type" | "host" | "transfer-encoding" | "connection") {
                return Err(invalid_value("headers", format!("'{name}' cannot be set on a sink.")));
            }
            match value {
                Value::String(v) if v.len() <= 4096 && !v.chars().any(char::is_control) => Ok((lower, v)),
                _ => Err(invalid_value("headers", format!("The value of '{name}' must be a string of at most 4096 characters."))),
            }
        })
        .collect()
}

/// `PUT /workspaces/{ws}/log-sink`
pub async fn put(admin: &Admin, ws: &str, body: &[u8]) -> GatewayResult<Response> {
    let request = input::parse::<PutSink>(body)?;
    let url = check_base_url(&request.url).map_err(|_| invalid_value("url", "'url' must be an http(s) URL."))?;
    let headers = checked_headers(request.headers)?;
    admin.require_workspace(ws).await?;
    let sealed = if headers.is_empty() {
        None
    } else {
        let key = secret(&admin.env, "PROVIDER_KEY_ENCRYPTION_KEY").and_then(|s| EncryptionKey::from_secret(&s).ok()).ok_or_else(|| {
            GatewayError::new(503, ErrorType::ApiError, ErrorCode::EncryptionKeyMissing, "Sink headers cannot be stored: set the PROVIDER_KEY_ENCRYPTION_KEY secret.")
        })?;
        let nonce = random_bytes::<NONCE_BYTES>().map_err(|_| GatewayError::internal(ErrorCode::RandomnessUnavailable))?;
        let plain = serde_json::to_string(&headers).map_err(|_| GatewayError::internal(ErrorCode::SerializeHeaders))?;
        Some(key.encrypt(&nonce, &plain, &sink::aad(ws)).map_err(|_| GatewayError::internal(ErrorCode::EncryptionFailed))?)
    };
    let enabled = request.enabled.unwrap_or(true);
    let upsert = admin.stmt(
        "INSERT INTO log_sinks (workspace_id, url, encrypted_headers, enabled, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
         ON CONFLICT (workspace_id) DO UPDATE SET url = excluded.url, encrypted_headers = excluded.encrypted_headers, \
         enabled = excluded.enabled, updated_at = excluded.updated_at",
        &[ws.into(), url.as_str().into(), sealed.into(), enabled.into(), admin.now.into()],
    )?;
    let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let shown = json!({ "workspace_id": ws, "url": url, "header_names": names, "enabled": enabled });
    let event = audit::event(admin, Some(ws), "log_sink.updated", "workspace", ws, json!({ "url": url, "header_names": names, "enabled": enabled }))?;
    admin.batch(vec![upsert, event]).await?;
    sink::invalidate(ws);
    Ok(admin.ok(200, &shown))
}

/// `GET /workspaces/{ws}/log-sink`: the URL and header names, never values.
pub async fn get(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let row = admin
        .row("SELECT url, encrypted_headers IS NOT NULL AS has_headers, enabled, updated_at FROM log_sinks WHERE workspace_id = ?1", &[ws.into()])
        .await?
        .ok_or_else(|| GatewayError::not_found(ErrorCode::LogSinkNotFound, "This workspace has no log sink."))?;
    Ok(admin.ok(200, &json!({ "workspace_id": ws, "url": row["url"], "has_headers": row["has_headers"] == 1, "enabled": row["enabled"] == 1, "updated_at": row["updated_at"] })))
}

/// `DELETE /workspaces/{ws}/log-sink`
pub async fn delete(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let remove = admin.stmt("DELETE FROM log_sinks WHERE workspace_id = ?1", &[ws.into()])?;
    let event = audit::event(admin, Some(ws), "log_sink.deleted", "workspace", ws, json!({}))?;
    admin.batch(vec![remove, event]).await?;
    sink::invalidate(ws);
    Ok(admin.ok(200, &json!({ "workspace_id": ws, "deleted": true })))
}
