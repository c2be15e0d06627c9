//! Admin handlers for prompt templates: create (version 1), add a version,
//! list (each prompt at its latest version), get (every version, newest
//! first), get one version. Versions are immutable: there is no update or
//! delete of a version. Every write is audited in the same D1 batch and
//! reaches every isolate within the config cache TTL.

use super::audit;
use super::input::{self, CreatePrompt, CreatePromptVersion, ValidPromptVersion};
use super::support::{expand_json, list, Admin};
use crate::core::error::{ErrorType, GatewayError, GatewayResult, ErrorCode};
use crate::prompts::not_found;
use crate::store::prompts;
use serde_json::{json, Value};
use worker::{D1PreparedStatement, Response};

/// JSON columns, returned as JSON.
const JSON_COLUMNS: &[&str] = &["template", "variables"];

/// D1 hands numbers over as JS numbers; read them as integers either way.
fn int(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
}

fn insert(admin: &Admin, ws: &str, id: &str, version: u64, v: &ValidPromptVersion, description: &str) -> GatewayResult<D1PreparedStatement> {
    let variables = json!(v.variables).to_string();
    admin.stmt(
        "INSERT INTO prompts (workspace_id, id, version, template, variables, description, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            ws.into(),
            id.into(),
            version.into(),
            v.template.as_str().into(),
            variables.as_str().into(),
            description.into(),
            admin.now.into(),
        ],
    )
}

async fn version_row(admin: &Admin, ws: &str, id: &str, version: u64) -> GatewayResult<Value> {
    admin
        .row(
            "SELECT id, workspace_id, version, description, template, variables, created_at FROM prompts \
             WHERE workspace_id = ?1 AND id = ?2 AND version = ?3",
            &[ws.into(), id.into(), version.into()],
        )
        .await?
        .map(|r| expand_json(r, JSON_COLUMNS))
        .ok_or_else(|| not_found(id, Some(version)))
}

pub async fn create(admin: &Admin, ws: &str, body: &[u8]) -> GatewayResult<Response> {
    let (id, valid) = input::parse::<CreatePrompt>(body)?.validate()?;
    admin.require_workspace(ws).await?;
    let exists = admin
        .row("SELECT version FROM prompts WHERE workspace_id = ?1 AND id = ?2 LIMIT 1", &[ws.into(), id.as_str().into()])
        .await?;
    if exists.is_some() {
        return Err(GatewayError::new(
            409,
            ErrorType::InvalidRequestError,
            ErrorCode::Conflict,
            format!("Prompt '{id}' exists; add a version with POST /admin/workspaces/{ws}/prompts/{id}/versions."),
        )
        .with_param("id"));
    }
    let row = insert(admin, ws, &id, 1, &valid, valid.description.as_deref().unwrap_or(""))?;
    let event = audit::event(admin, Some(ws), "prompt.created", "prompt", &id, json!({ "version": 1, "variables": valid.variables }))?;
    // The primary key (workspace, id, version) turns a concurrent create into a 409.
    admin.batch(vec![row, event]).await?;
    prompts::invalidate(ws, &id);
    Ok(admin.ok(201, &version_row(admin, ws, &id, 1).await?))
}

pub async fn add_version(admin: &Admin, ws: &str, id: &str, body: &[u8]) -> GatewayResult<Response> {
    let valid = input::parse::<CreatePromptVersion>(body)?.validate()?;
    admin.require_workspace(ws).await?;
    let latest = admin
        .row(
            "SELECT version, description FROM prompts WHERE workspace_id = ?1 AND id = ?2 ORDER BY version DESC LIMIT 1",
            &[ws.into(), id.into()],
        )
        .await?
        .ok_or_else(|| not_found(id, None))?;
    let next = latest.get("version").and_then(int).unwrap_or(0) + 1;
    let description = match &valid.description {
        Some(d) => d.clone(),
        None => latest.get("description").and_then(Value::as_str).unwrap_or("").to_string(),
    };
    let row = insert(admin, ws, id, next, &valid, &description)?;
    let event = audit::event(admin, Some(ws), "prompt.version_created", "prompt", id, json!({ "version": next, "variables": valid.variables }))?;
    // Two versions written at once both read the same latest: the second
    // hits the primary key and is a 409, never an overwrite.
    admin.batch(vec![row, event]).await?;
    prompts::invalidate(ws, id);
    Ok(admin.ok(201, &version_row(admin, ws, id, next).await?))
}

pub async fn list_all(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let rows = admin
        .rows(
            "SELECT p.id, p.workspace_id, p.description, p.version AS latest_version, c.version_count, \
             p.variables, p.template, c.created_at, p.created_at AS updated_at \
             FROM prompts p JOIN (SELECT id, MAX(version) AS latest, COUNT(*) AS version_count, MIN(created_at) AS created_at \
             FROM prompts WHERE workspace_id = ?1 GROUP BY id) c ON p.id = c.id AND p.version = c.latest \
             WHERE p.workspace_id = ?1 ORDER BY p.id",
            &[ws.into()],
        )
        .await?;
    Ok(admin.ok(200, &list(rows.into_iter().map(|r| expand_json(r, JSON_COLUMNS)).collect())))
}

pub async fn get(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let versions: Vec<Value> = admin
        .rows(
            "SELECT version, description, template, variables, created_at FROM prompts \
             WHERE workspace_id = ?1 AND id = ?2 ORDER BY version DESC",
            &[ws.into(), id.into()],
        )
        .await?
        .into_iter()
        .map(|r| expand_json(r, JSON_COLUMNS))
        .collect();
    let (Some(newest), Some(oldest)) = (versions.first(), versions.last()) else {
        return Err(not_found(id, None));
    };
    let prompt = json!({
        "id": id,
        "workspace_id": ws,
        "description": newest["description"],
        "latest_version": newest["version"],
        "version_count": versions.len(),
        "created_at": oldest["created_at"],
        "updated_at": newest["created_at"],
        "versions": versions,
    });
    Ok(admin.ok(200, &prompt))
}

pub async fn get_version(admin: &Admin, ws: &str, id: &str, version: &str) -> GatewayResult<Response> {
    let version = version.parse::<u64>().map_err(|_| {
        GatewayError::invalid_request(ErrorCode::InvalidValue, format!("'{version}' is not a version number (1, 2, …)."))
            .with_param("version")
    })?;
    admin.require_workspace(ws).await?;
    Ok(admin.ok(200, &version_row(admin, ws, id, version).await?))
}
