//! Admin handlers for routers: create, update (a new version each time),
//! list, get (with its versions), delete. Every change is audited and
//! reaches every isolate within the config cache TTL.

use super::audit;
use super::input::{self, WriteRouter};
use super::support::{expand_json, list, Admin};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::catalog::ProviderSpec;
use crate::runtime::new_id;
use crate::store::routers;
use serde_json::{json, Value};
use worker::Response;

async fn workspace_facts(admin: &Admin, ws: &str) -> GatewayResult<(Vec<ProviderSpec>, Vec<(String, String)>)> {
    admin.require_workspace(ws).await?;
    let specs = admin
        .rows("SELECT spec FROM custom_providers WHERE workspace_id = ?1", &[ws.into()])
        .await?
        .iter()
        .filter_map(|r| r.get("spec").and_then(Value::as_str).and_then(|s| serde_json::from_str(s).ok()))
        .collect();
    let keys = admin
        .rows("SELECT id, provider FROM provider_keys WHERE workspace_id = ?1", &[ws.into()])
        .await?
        .iter()
        .filter_map(|r| Some((r.get("id")?.as_str()?.to_string(), r.get("provider")?.as_str()?.to_string())))
        .collect();
    Ok((specs, keys))
}

async fn row(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Value> {
    admin
        .row(
            "SELECT id, workspace_id, name, current_version, config, created_at, updated_at FROM routers \
             WHERE workspace_id = ?1 AND (id = ?2 OR name = ?2)",
            &[ws.into(), id.into()],
        )
        .await?
        .map(|r| expand_json(r, &["config"]))
        .ok_or_else(|| routers::not_found(id))
}

pub async fn create(admin: &Admin, ws: &str, body: &[u8]) -> GatewayResult<Response> {
    let request = input::parse::<WriteRouter>(body)?;
    let (specs, keys) = workspace_facts(admin, ws).await?;
    let valid = request.validate(&specs, &keys)?;
    let name = valid
        .name
        .ok_or_else(|| GatewayError::invalid_request(ErrorCode::InvalidValue, "'name' is required.").with_param("name"))?;
    let id = new_id("rt");
    let config = valid.config.to_string();
    let insert = admin.stmt(
        "INSERT INTO routers (id, workspace_id, name, current_version, config, created_at, updated_at) VALUES (?1, ?2, ?3, 1, ?4, ?5, ?5)",
        &[id.as_str().into(), ws.into(), name.as_str().into(), config.as_str().into(), admin.now.into()],
    )?;
    let version = admin.stmt(
        "INSERT INTO router_versions (router_id, version, config, created_at) VALUES (?1, 1, ?2, ?3)",
        &[id.as_str().into(), config.as_str().into(), admin.now.into()],
    )?;
    let event = audit::event(admin, Some(ws), "router.created", "router", &id, json!({ "name": name, "version": 1 }))?;
    admin.batch(vec![insert, version, event]).await?;
    routers::invalidate(ws);
    Ok(admin.ok(201, &row(admin, ws, &id).await?))
}

pub async fn update(admin: &Admin, ws: &str, id: &str, body: &[u8]) -> GatewayResult<Response> {
    let request = input::parse::<WriteRouter>(body)?;
    let current = row(admin, ws, id).await?;
    let (specs, keys) = workspace_facts(admin, ws).await?;
    let valid = request.validate(&specs, &keys)?;
    let router_id = current["id"].as_str().unwrap_or(id).to_string();
    let next = current["current_version"].as_u64().unwrap_or(1) + 1;
    let config = valid.config.to_string();
    let update = admin.stmt(
        "UPDATE routers SET current_version = ?1, config = ?2, updated_at = ?3 WHERE id = ?4 AND current_version = ?5",
        &[next.into(), config.as_str().into(), admin.now.into(), router_id.as_str().into(), (next - 1).into()],
    )?;
    let version = admin.stmt(
        "INSERT INTO router_versions (router_id, version, config, created_at) VALUES (?1, ?2, ?3, ?4)",
        &[router_id.as_str().into(), next.into(), config.as_str().into(), admin.now.into()],
    )?;
    let event = audit::event(admin, Some(ws), "router.updated", "router", &router_id, json!({ "version": next }))?;
    // The version row's primary key makes a concurrent update fail as a conflict.
    admin.batch(vec![update, version, event]).await?;
    routers::invalidate(ws);
    Ok(admin.ok(200, &row(admin, ws, &router_id).await?))
}

pub async fn list_all(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let rows = admin
        .rows(
            "SELECT id, workspace_id, name, current_version, config, created_at, updated_at FROM routers \
             WHERE workspace_id = ?1 ORDER BY name",
            &[ws.into()],
        )
        .await?;
    Ok(admin.ok(200, &list(rows.into_iter().map(|r| expand_json(r, &["config"])).collect())))
}

pub async fn get(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Response> {
    let mut current = row(admin, ws, id).await?;
    let router_id = current["id"].as_str().unwrap_or(id).to_string();
    let versions = admin
        .rows(
            "SELECT version, config, created_at FROM router_versions WHERE router_id = ?1 ORDER BY version DESC",
            &[router_id.as_str().into()],
        )
        .await?;
    current["versions"] = Value::Array(versions.into_iter().map(|v| expand_json(v, &["config"])).collect());
    Ok(admin.ok(200, &current))
}

pub async fn delete(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Response> {
    let current = row(admin, ws, id).await?;
    let router_id = current["id"].as_str().unwrap_or(id).to_string();
    let versions = admin.stmt("DELETE FROM router_versions WHERE router_id = ?1", &[router_id.as_str().into()])?;
    let delete = admin.stmt("DELETE FROM routers WHERE id = ?1", &[router_id.as_str().into()])?;
    let event = audit::event(admin, Some(ws), "router.deleted", "router", &router_id, json!({}))?;
    admin.batch(vec![versions, delete, event]).await?;
    routers::invalidate(ws);
    Ok(admin.ok(200, &json!({ "id": router_id, "deleted": true })))
}
