//! Admin handlers for workspaces, provider keys, virtual keys, agents and
//! custom domains.

use super::audit;
use super::input::{
    self, CreateAgent, CreateCustomProvider, CreateDomain, CreateProviderKey, CreateVirtualKey, CreateWorkspace,
};
use super::support::{expand_json, limit, list, Admin};
use crate::core::error::{ErrorType, GatewayError, GatewayResult, ErrorCode};
use crate::auth::secrets::{hint, EncryptionKey, NONCE_BYTES};
use crate::auth::admin_access::check_developer_key_body;
use crate::auth::virtual_key;
use crate::catalog::{catalog, ProviderSpec};
use crate::observe::sql::SqlValue;
use crate::runtime::config::secret;
use crate::runtime::{new_id, random_bytes};
use crate::store::config as cache;
use serde_json::{json, Value};
use worker::Response;

fn randomness_unavailable() -> GatewayError {
    GatewayError::internal(ErrorCode::RandomnessUnavailable)
}

pub fn list_providers(admin: &Admin) -> GatewayResult<Response> {
    let data: Vec<Value> = catalog()
        .providers()
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "name": p.name, "aliases": p.aliases, "adapter": p.adapter, "auth": p.auth,
                "base_url": p.base_url, "endpoints": p.endpoints, "models": p.models.len(),
                "key_optional": p.key_optional,
            })
        })
        .collect();
    Ok(admin.ok(200, &list(data)))
}

// ---- workspaces -------------------------------------------------------------

pub async fn create_workspace(admin: &Admin, body: &[u8]) -> GatewayResult<Response> {
    let (name, settings) = input::parse::<CreateWorkspace>(body)?.validate()?;
    let id = new_id("ws");
    let insert = admin.stmt(
        "INSERT INTO workspaces (id, name, settings, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        &[id.as_str().into(), name.as_str().into(), settings.to_string().into(), admin.now.into()],
    )?;
    let event = audit::event(admin, Some(&id), "workspace.created", "workspace", &id, json!({ "name": name }))?;
    admin.batch(vec![insert, event]).await?;
    Ok(admin.ok(201, &json!({ "id": id, "name": name, "settings": settings, "created_at": admin.now })))
}

/// Every workspace for the master key; a token or member sees its own only.
pub async fn list_workspaces(admin: &Admin, query: &[(String, String)]) -> GatewayResult<Response> {
    let n = limit(query, 100, 1000);
    let rows = match admin.actor.workspace() {
        None => admin
            .rows("SELECT id, name, settings, created_at, updated_at FROM workspaces ORDER BY created_at LIMIT ?1", &[n.into()])
            .await?,
        Some(own) => admin.rows("SELECT id, name, settings, created_at, updated_at FROM workspaces WHERE id = ?1", &[own.into()]).await?,
    };
    Ok(admin.ok(200, &list(rows.into_iter().map(|r| expand_json(r, &["settings"])).collect())))
}

pub async fn get_workspace(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    let row = admin
        .row("SELECT id, name, settings, created_at, updated_at FROM workspaces WHERE id = ?1", &[ws.into()])
        .await?
        .ok_or_else(|| GatewayError::not_found(ErrorCode::WorkspaceNotFound, format!("No workspace '{ws}'.")))?;
    Ok(admin.ok(200, &expand_json(row, &["settings"])))
}

// ---- provider keys ----------------------------------------------------------

pub async fn create_provider_key(admin: &Admin, ws: &str, body: &[u8]) -> GatewayResult<Response> {
    let request = input::parse::<CreateProviderKey>(body)?;
    admin.require_workspace(ws).await?;
    let v = request.validate(&custom_specs(admin, ws).await?)?;
    let id = new_id("pk");
    let (sealed, key_hint) = match &v.key {
        Some(plain) => {
            let key = secret(&admin.env, "PROVIDER_KEY_ENCRYPTION_KEY")
                .and_then(|s| EncryptionKey::from_secret(&s).ok())
                .ok_or_else(|| {
                    GatewayError::new(
                        503,
                        ErrorType::ApiError,
                        ErrorCode::EncryptionKeyMissing,
                        "Provider keys cannot be stored: set the PROVIDER_KEY_ENCRYPTION_KEY secret \
                         (32 random bytes, base64).",
                    )
                })?;
            let nonce = random_bytes::<NONCE_BYTES>().map_err(|_| randomness_unavailable())?;
            let sealed = key.encrypt(&nonce, plain, &id).map_err(|_| GatewayError::internal(ErrorCode::EncryptionFailed))?;
            (Some(sealed), Some(hint(plain)))
        }
        None => (None, None),
    };
    let insert = admin.stmt(
        "INSERT INTO provider_keys (id, workspace_id, provider, name, encrypted_key, key_hint, base_url, config, enabled, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9)",
        &[
            id.as_str().into(),
            ws.into(),
            v.provider.as_str().into(),
            v.name.as_str().into(),
            sealed.into(),
            key_hint.clone().into(),
            v.base_url.clone().into(),
            v.config.to_string().into(),
            admin.now.into(),
        ],
    )?;
    let event = audit::event(
        admin,
        Some(ws),
        "provider_key.created",
        "provider_key",
        &id,
        json!({ "provider": v.provider, "name": v.name, "base_url": v.base_url }),
    )?;
    admin.batch(vec![insert, event]).await?;
    cache::invalidate_workspace(ws);
    Ok(admin.ok(
        201,
        &json!({
            "id": id, "workspace_id": ws, "provider": v.provider, "name": v.name, "key_hint": key_hint,
            "base_url": v.base_url, "config": v.config, "enabled": true, "created_at": admin.now,
        }),
    ))
}

pub async fn list_provider_keys(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    // The encrypted secret is never selected, let alone returned.
    let rows = admin
        .rows(
            "SELECT id, workspace_id, provider, name, key_hint, base_url, config, enabled, created_at, updated_at \
             FROM provider_keys WHERE workspace_id = ?1 ORDER BY created_at",
            &[ws.into()],
        )
        .await?;
    Ok(admin.ok(200, &list(rows.into_iter().map(|r| expand_json(r, &["config"])).collect())))
}

/// `PATCH …/provider-keys/{id}` `{"enabled": bool}`: a disabled key stays
/// stored (and listed) but is never used, until enabled again.
pub async fn patch_provider_key(admin: &Admin, ws: &str, id: &str, body: &[u8]) -> GatewayResult<Response> {
    let enabled = input::parse::<input::PatchProviderKey>(body)?.enabled;
    admin.require_workspace(ws).await?;
    admin
        .row("SELECT id FROM provider_keys WHERE id = ?1 AND workspace_id = ?2", &[id.into(), ws.into()])
        .await?
        .ok_or_else(|| GatewayError::not_found(ErrorCode::ProviderKeyNotFound, format!("No provider key '{id}'.")))?;
    let update = admin.stmt(
        "UPDATE provider_keys SET enabled = ?1, updated_at = ?2 WHERE id = ?3 AND workspace_id = ?4",
        &[u64::from(enabled).into(), admin.now.into(), id.into(), ws.into()],
    )?;
    let action = if enabled { "provider_key.enabled" } else { "provider_key.disabled" };
    let event = audit::event(admin, Some(ws), action, "provider_key", id, json!({}))?;
    admin.batch(vec![update, event]).await?;
    cache::invalidate_workspace(ws);
    Ok(admin.ok(200, &json!({ "id": id, "enabled": enabled })))
}

pub async fn delete_provider_key(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    admin
        .row("SELECT id FROM provider_keys WHERE id = ?1 AND workspace_id = ?2", &[id.into(), ws.into()])
        .await?
        .ok_or_else(|| GatewayError::not_found(ErrorCode::ProviderKeyNotFound, format!("No provider key '{id}'.")))?;
    let delete = admin.stmt("DELETE FROM provider_keys WHERE id = ?1 AND workspace_id = ?2", &[id.into(), ws.into()])?;
    let event = audit::event(admin, Some(ws), "provider_key.deleted", "provider_key", id, json!({}))?;
    admin.batch(vec![delete, event]).await?;
    cache::invalidate_workspace(ws);
    Ok(admin.ok(200, &json!({ "id": id, "deleted": true })))
}

// ---- custom providers -------------------------------------------------------

async fn custom_specs(admin: &Admin, ws: &str) -> GatewayResult<Vec<ProviderSpec>> {
    let rows = admin.rows("SELECT spec FROM custom_providers WHERE workspace_id = ?1", &[ws.into()]).await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.get("spec").and_then(Value::as_str))
        .filter_map(|s| serde_json::from_str(s).ok())
        .collect())
}

pub async fn create_custom_provider(admin: &Admin, ws: &str, body: &[u8]) -> GatewayResult<Response> {
    let spec = input::parse::<CreateCustomProvider>(body)?.validate()?;
    admin.require_workspace(ws).await?;
    let text = serde_json::to_string(&spec).map_err(|_| GatewayError::internal(ErrorCode::SerializeProvider))?;
    let insert = admin.stmt(
        "INSERT INTO custom_providers (workspace_id, id, spec, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        &[ws.into(), spec.id.as_str().into(), text.as_str().into(), admin.now.into()],
    )?;
    let event = audit::event(
        admin,
        Some(ws),
        "custom_provider.created",
        "custom_provider",
        &spec.id,
        json!({ "base_url": spec.base_url, "adapter": spec.adapter, "models": spec.models.len() }),
    )?;
    admin.batch(vec![insert, event]).await?;
    cache::invalidate_workspace(ws);
    Ok(admin.ok(201, &json!(spec)))
}

pub async fn list_custom_providers(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let specs = custom_specs(admin, ws).await?;
    Ok(admin.ok(200, &list(specs.into_iter().map(|s| json!(s)).collect())))
}

pub async fn delete_custom_provider(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Response> {
    admin
        .row("SELECT id FROM custom_providers WHERE workspace_id = ?1 AND id = ?2", &[ws.into(), id.into()])
        .await?
        .ok_or_else(|| GatewayError::not_found(ErrorCode::ProviderNotFound, format!("No custom provider '{id}'.")))?;
    let delete = admin.stmt("DELETE FROM custom_providers WHERE workspace_id = ?1 AND id = ?2", &[ws.into(), id.into()])?;
    let event = audit::event(admin, Some(ws), "custom_provider.deleted", "custom_provider", id, json!({}))?;
    admin.batch(vec![delete, event]).await?;
    cache::invalidate_workspace(ws);
    Ok(admin.ok(200, &json!({ "id": id, "deleted": true })))
}

// ---- virtual keys -----------------------------------------------------------

const KEY_COLUMNS: &str = "id, workspace_id, key_prefix, name, agent_id, department, allowed_models, \
     allowed_providers, rate_limit, policy, expires_at, revoked_at, created_at, updated_at, created_by";
const KEY_JSON: &[&str] = &["allowed_models", "allowed_providers", "policy"];

fn json_list(list: &Option<Vec<String>>) -> SqlValue {
    list.as_ref().map_or(SqlValue::Null, |l| SqlValue::Text(json!(l).to_string()))
}

pub async fn create_virtual_key(admin: &Admin, ws: &str, body: &[u8]) -> GatewayResult<Response> {
    // A developer's key may narrow what it can reach, never pick its policy.
    if admin.actor.only_own_keys() {
        check_developer_key_body(&admin.actor, &input::parse::<Value>(body)?)?;
    }
    let v = input::parse::<CreateVirtualKey>(body)?.validate(admin.now)?;
    admin.require_workspace(ws).await?;
    if let Some(agent) = &v.agent_id {
        admin
            .row("SELECT id FROM agents WHERE id = ?1 AND workspace_id = ?2", &[agent.as_str().into(), ws.into()])
            .await?
            .ok_or_else(|| {
                GatewayError::invalid_request(ErrorCode::InvalidValue, format!("No agent '{agent}' in this workspace."))
                    .with_param("agent_id")
            })?;
    }
    let random = random_bytes::<{ virtual_key::RANDOM_BYTES }>().map_err(|_| randomness_unavailable())?;
    let token = virtual_key::generate(&random);
    let hash = virtual_key::hash(&token);
    let prefix = virtual_key::visible_prefix(&token);
    let id = new_id("vk");
    let insert = admin.stmt(
        "INSERT INTO virtual_keys (id, workspace_id, key_hash, key_prefix, name, agent_id, department, allowed_models, \
         allowed_providers, rate_limit, policy, expires_at, created_at, updated_at, created_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14)",
        &[
            id.as_str().into(),
            ws.into(),
            hash.as_str().into(),
            prefix.as_str().into(),
            v.name.as_str().into(),
            v.agent_id.clone().into(),
            v.department.clone().into(),
            json_list(&v.allowed_models),
            json_list(&v.allowed_providers),
            v.rate_limit.clone().into(),
            v.policy.to_string().into(),
            v.expires_at.into(),
            admin.now.into(),
            admin.actor.audit_name().into(),
        ],
    )?;
    let event = audit::event(
        admin,
        Some(ws),
        "virtual_key.created",
        "virtual_key",
        &id,
        json!({ "name": v.name, "key_prefix": prefix, "agent_id": v.agent_id }),
    )?;
    admin.batch(vec![insert, event]).await?;
    // A failed lookup of this token may have been cached as "unknown".
    cache::invalidate_key_hash(&hash);
    Ok(admin.ok(
        201,
        &json!({
            "id": id, "workspace_id": ws, "key": token, "key_prefix": prefix, "name": v.name,
            "agent_id": v.agent_id, "department": v.department, "allowed_models": v.allowed_models,
            "allowed_providers": v.allowed_providers, "rate_limit": v.rate_limit, "policy": v.policy,
            "expires_at": v.expires_at, "revoked_at": null, "created_at": admin.now,
            "created_by": admin.actor.audit_name(),
            "note": "Store this key now: it is shown only once.",
        }),
    ))
}

/// The `AND …` that keeps a developer to the keys it made, and its value.
fn own_keys_filter(admin: &Admin, n: usize) -> (String, Option<SqlValue>) {
    if admin.actor.only_own_keys() {
        (format!(" AND created_by = ?{n}"), Some(admin.actor.audit_name().into()))
    } else {
        (String::new(), None)
    }
}

pub async fn list_virtual_keys(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let (own, value) = own_keys_filter(admin, 2);
    let mut params: Vec<SqlValue> = vec![ws.into()];
    params.extend(value);
    let rows = admin
        .rows(&format!("SELECT {KEY_COLUMNS} FROM virtual_keys WHERE workspace_id = ?1{own} ORDER BY created_at"), &params)
        .await?;
    Ok(admin.ok(200, &list(rows.into_iter().map(|r| expand_json(r, KEY_JSON)).collect())))
}

/// A key of the workspace; a developer's own only (another's reads as missing).
pub async fn key_row(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Value> {
    let (own, value) = own_keys_filter(admin, 3);
    let mut params: Vec<SqlValue> = vec![id.into(), ws.into()];
    params.extend(value);
    admin
        .row(&format!("SELECT {KEY_COLUMNS} FROM virtual_keys WHERE id = ?1 AND workspace_id = ?2{own}"), &params)
        .await?
        .map(|r| expand_json(r, KEY_JSON))
        .ok_or_else(|| GatewayError::not_found(ErrorCode::VirtualKeyNotFound, format!("No virtual key '{id}'.")))
}

pub async fn get_virtual_key(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Response> {
    Ok(admin.ok(200, &key_row(admin, ws, id).await?))
}

pub async fn revoke_virtual_key(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Response> {
    key_row(admin, ws, id).await?;
    let update = admin.stmt(
        "UPDATE virtual_keys SET revoked_at = COALESCE(revoked_at, ?1), updated_at = ?1 WHERE id = ?2 AND workspace_id = ?3",
        &[admin.now.into(), id.into(), ws.into()],
    )?;
    let event = audit::event(admin, Some(ws), "virtual_key.revoked", "virtual_key", id, json!({}))?;
    admin.batch(vec![update, event]).await?;
    if let Some(row) = admin.row("SELECT key_hash FROM virtual_keys WHERE id = ?1", &[id.into()]).await? {
        if let Some(hash) = row.get("key_hash").and_then(Value::as_str) {
            cache::invalidate_key_hash(hash);
        }
    }
    Ok(admin.ok(200, &key_row(admin, ws, id).await?))
}

// ---- agents -----------------------------------------------------------------

pub async fn create_agent(admin: &Admin, ws: &str, body: &[u8]) -> GatewayResult<Response> {
    let (name, department, description, metadata) = input::parse::<CreateAgent>(body)?.validate()?;
    admin.require_workspace(ws).await?;
    let id = new_id("ag");
    let insert = admin.stmt(
        "INSERT INTO agents (id, workspace_id, name, department, description, metadata, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        &[
            id.as_str().into(),
            ws.into(),
            name.as_str().into(),
            department.clone().into(),
            description.as_str().into(),
            metadata.to_string().into(),
            admin.now.into(),
        ],
    )?;
    let event = audit::event(admin, Some(ws), "agent.created", "agent", &id, json!({ "name": name }))?;
    admin.batch(vec![insert, event]).await?;
    Ok(admin.ok(
        201,
        &json!({
            "id": id, "workspace_id": ws, "name": name, "department": department,
            "description": description, "metadata": metadata, "created_at": admin.now,
        }),
    ))
}

pub async fn list_agents(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let rows = admin
        .rows(
            "SELECT id, workspace_id, name, department, description, metadata, created_at, updated_at \
             FROM agents WHERE workspace_id = ?1 ORDER BY created_at",
            &[ws.into()],
        )
        .await?;
    Ok(admin.ok(200, &list(rows.into_iter().map(|r| expand_json(r, &["metadata"])).collect())))
}

// ---- custom domains ---------------------------------------------------------

pub async fn create_domain(admin: &Admin, ws: &str, body: &[u8]) -> GatewayResult<Response> {
    let hostname = input::parse::<CreateDomain>(body)?.validate()?;
    admin.require_workspace(ws).await?;
    let insert = admin.stmt(
        "INSERT INTO custom_domains (hostname, workspace_id, created_at) VALUES (?1, ?2, ?3)",
        &[hostname.as_str().into(), ws.into(), admin.now.into()],
    )?;
    let event = audit::event(admin, Some(ws), "domain.created", "domain", &hostname, json!({}))?;
    admin.batch(vec![insert, event]).await?;
    cache::invalidate_domain(&hostname);
    Ok(admin.ok(201, &json!({ "hostname": hostname, "workspace_id": ws, "created_at": admin.now })))
}

pub async fn list_domains(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let rows = admin
        .rows(
            "SELECT hostname, workspace_id, created_at FROM custom_domains WHERE workspace_id = ?1 ORDER BY hostname",
            &[ws.into()],
        )
        .await?;
    Ok(admin.ok(200, &list(rows)))
}

pub async fn delete_domain(admin: &Admin, ws: &str, host: &str) -> GatewayResult<Response> {
    let host = host.to_ascii_lowercase();
    admin
        .row("SELECT hostname FROM custom_domains WHERE hostname = ?1 AND workspace_id = ?2", &[host.as_str().into(), ws.into()])
        .await?
        .ok_or_else(|| GatewayError::not_found(ErrorCode::DomainNotFound, format!("No domain '{host}' in this workspace.")))?;
    let delete = admin.stmt(
        "DELETE FROM custom_domains WHERE hostname = ?1 AND workspace_id = ?2",
        &[host.as_str().into(), ws.into()],
    )?;
    let event = audit::event(admin, Some(ws), "domain.deleted", "domain", &host, json!({}))?;
    admin.batch(vec![delete, event]).await?;
    cache::invalidate_domain(&host);
    Ok(admin.ok(200, &json!({ "hostname": host, "deleted": true })))
}
