//! Admin handlers for governance: scope policies (workspace, agent,
//! department), key policy updates, and budgets with their live state.

use super::audit;
use super::input;
use super::support::{expand_json, list, Admin};
use crate::core::error::{GatewayError, GatewayResult, invalid_value, ErrorCode};
use crate::catalog::pricing::Nanos;
use crate::governance::admission;
use crate::governance::ledger::Period;
use crate::governance::scope_policy::{ScopeKind, ScopePolicy};
use crate::runtime::new_id;
use crate::store::config as cache;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Response;

fn checked(policy: ScopePolicy) -> GatewayResult<ScopePolicy> {
    policy.validate().map_err(|(field, why)| invalid_value(&field, format!("'{field}' {why}")))?;
    Ok(policy)
}

/// `PUT /workspaces/{ws}/policies/{workspace|agent|department}/{id}`
pub async fn put_policy(admin: &Admin, ws: &str, kind: &str, id: &str, body: &[u8]) -> GatewayResult<Response> {
    let kind = match ScopeKind::parse(kind) {
        Some(k) if k != ScopeKind::Key => k,
        _ => {
            return Err(GatewayError::not_found(
                ErrorCode::UnknownScope,
                "Policies attach to workspace, agent or department (a key's policy is part of the key).",
            ))
        }
    };
    let policy = checked(input::parse::<ScopePolicy>(body)?)?;
    admin.require_workspace(ws).await?;
    if kind == ScopeKind::Workspace && id != ws {
        return Err(invalid_value("scope_id", "A workspace policy's id is the workspace's own id."));
    }
    if kind == ScopeKind::Agent {
        admin
            .row("SELECT id FROM agents WHERE id = ?1 AND workspace_id = ?2", &[id.into(), ws.into()])
            .await?
            .ok_or_else(|| GatewayError::not_found(ErrorCode::AgentNotFound, format!("No agent '{id}'.")))?;
    }
    let text = serde_json::to_string(&policy).map_err(|_| GatewayError::internal(ErrorCode::SerializePolicy))?;
    let upsert = admin.stmt(
        "INSERT INTO scope_policies (workspace_id, scope_type, scope_id, policy, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
         ON CONFLICT (workspace_id, scope_type, scope_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at",
        &[ws.into(), kind.as_str().into(), id.into(), text.as_str().into(), admin.now.into()],
    )?;
    let event = audit::event(admin, Some(ws), "policy.updated", kind.as_str(), id, json!(policy))?;
    admin.batch(vec![upsert, event]).await?;
    cache::invalidate_workspace(ws);
    Ok(admin.ok(200, &json!({ "scope_type": kind.as_str(), "scope_id": id, "policy": policy })))
}

pub async fn list_policies(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let rows = admin
        .rows(
            "SELECT scope_type, scope_id, policy, created_at, updated_at FROM scope_policies WHERE workspace_id = ?1 ORDER BY scope_type, scope_id",
            &[ws.into()],
        )
        .await?;
    Ok(admin.ok(200, &list(rows.into_iter().map(|r| expand_json(r, &["policy"])).collect())))
}

pub async fn delete_policy(admin: &Admin, ws: &str, kind: &str, id: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let delete = admin.stmt(
        "DELETE FROM scope_policies WHERE workspace_id = ?1 AND scope_type = ?2 AND scope_id = ?3",
        &[ws.into(), kind.into(), id.into()],
    )?;
    let event = audit::event(admin, Some(ws), "policy.deleted", kind, id, json!({}))?;
    admin.batch(vec![delete, event]).await?;
    cache::invalidate_workspace(ws);
    Ok(admin.ok(200, &json!({ "scope_type": kind, "scope_id": id, "deleted": true })))
}

/// `PATCH /workspaces/{ws}/virtual-keys/{id}`: a key's limits and policy.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    rate_limit: Option<Value>,
    #[serde(default)]
    allowed_models: Option<Value>,
    #[serde(default)]
    allowed_providers: Option<Value>,
    #[serde(default)]
    policy: Option<ScopePolicy>,
    #[serde(default)]
    expires_at: Option<Value>,
}

fn nullable_list(v: &Option<Value>, param: &str) -> GatewayResult<Option<Option<String>>> {
    match v {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::Array(items)) if items.iter().all(|i| i.as_str().is_some_and(|s| !s.trim().is_empty())) => {
            Ok(Some(Some(Value::Array(items.clone()).to_string())))
        }
        Some(_) => Err(invalid_value(param, format!("'{param}' must be an array of patterns or null."))),
    }
}

pub async fn patch_key(admin: &Admin, ws: &str, id: &str, body: &[u8]) -> GatewayResult<Response> {
    let patch = input::parse::<KeyPatch>(body)?;
    let mut sets: Vec<(&str, crate::observe::sql::SqlValue)> = Vec::new();
    if let Some(name) = &patch.name {
        sets.push(("name", name.trim().into()));
    }
    match &patch.rate_limit {
        None => {}
        Some(Value::Null) => sets.push(("rate_limit", crate::observe::sql::SqlValue::Null)),
        Some(Value::String(p)) => {
            crate::governance::rate_limit::parse(p).map_err(|why| invalid_value("rate_limit", why))?;
            sets.push(("rate_limit", p.as_str().into()));
        }
        Some(_) => return Err(invalid_value("rate_limit", "'rate_limit' must be a policy string or null.")),
    }
    if let Some(v) = nullable_list(&patch.allowed_models, "allowed_models")? {
        sets.push(("allowed_models", v.into()));
    }
    if let Some(v) = nullable_list(&patch.allowed_providers, "allowed_providers")? {
        sets.push(("allowed_providers", v.into()));
    }
    if let Some(p) = patch.policy {
        let p = checked(p)?;
        sets.push(("policy", serde_json::to_string(&p).unwrap_or_default().into()));
    }
    match &patch.expires_at {
        None => {}
        Some(Value::Null) => sets.push(("expires_at", crate::observe::sql::SqlValue::Null)),
        Some(v) => match v.as_u64() {
            Some(t) if t > admin.now => sets.push(("expires_at", t.into())),
            _ => return Err(invalid_value("expires_at", "'expires_at' must be a future time in ms, or null.")),
        },
    }
    let row = admin
        .row("SELECT key_hash FROM virtual_keys WHERE id = ?1 AND workspace_id = ?2", &[id.into(), ws.into()])
        .await?
        .ok_or_else(|| GatewayError::not_found(ErrorCode::VirtualKeyNotFound, format!("No virtual key '{id}'.")))?;
    if !sets.is_empty() {
        let assignments: Vec<String> = sets.iter().enumerate().map(|(i, (c, _))| format!("{c} = ?{}", i + 1)).collect();
        let mut values: Vec<crate::observe::sql::SqlValue> = sets.iter().map(|(_, v)| v.clone()).collect();
        values.extend([admin.now.into(), id.into(), ws.into()]);
        let n = sets.len();
        let sql = format!(
            "UPDATE virtual_keys SET {}, updated_at = ?{} WHERE id = ?{} AND workspace_id = ?{}",
            assignments.join(", "),
            n + 1,
            n + 2,
            n + 3
        );
        let update = admin.stmt(&sql, &values)?;
        let fields: Vec<&str> = sets.iter().map(|(c, _)| *c).collect();
        let event = audit::event(admin, Some(ws), "virtual_key.updated", "virtual_key", id, json!({ "fields": fields }))?;
        admin.batch(vec![update, event]).await?;
    }
    if let Some(hash) = row.get("key_hash").and_then(Value::as_str) {
        cache::invalidate_key_hash(hash);
    }
    super::resources::get_virtual_key(admin, ws, id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBudget {
    scope_type: String,
    #[serde(default)]
    scope_id: Option<String>,
    period: String,
    limit_usd: f64,
    #[serde(default)]
    soft_threshold: Option<f64>,
    #[serde(default)]
    webhook_url: Option<String>,
    /// "refuse" (default) or "allow": requests to models with no price.
    #[serde(default)]
    unpriced: Option<String>,
}

/// The Limiter object that keeps a budget's ledger.
fn budget_object(ws: &str, kind: ScopeKind, id: &str) -> String {
    match kind {
        ScopeKind::Key => format!("{ws}/key:{id}"),
        ScopeKind::Agent => format!("{ws}/agent:{id}"),
        ScopeKind::Department => format!("{ws}/department:{id}"),
        ScopeKind::Workspace => format!("{ws}/workspace"),
    }
}

pub async fn create_budget(admin: &Admin, ws: &str, body: &[u8]) -> GatewayResult<Response> {
    let b = input::parse::<CreateBudget>(body)?;
    let kind = ScopeKind::parse(&b.scope_type)
        .ok_or_else(|| invalid_value("scope_type", "'scope_type' must be key, agent, department or workspace."))?;
    Period::parse(&b.period).ok_or_else(|| invalid_value("period", "'period' must be daily, weekly, monthly or total."))?;
    if !b.limit_usd.is_finite() || b.limit_usd < 0.0 {
        return Err(invalid_value("limit_usd", "'limit_usd' must be a non-negative amount in USD."));
    }
    if b.soft_threshold.is_some_and(|t| !(0.0..=1.0).contains(&t)) {
        return Err(invalid_value("soft_threshold", "'soft_threshold' is a fraction of the limit, from 0 to 1."));
    }
    let webhook = b.webhook_url.as_deref().map(input::check_base_url).transpose().map_err(|_| {
        invalid_value("webhook_url", "'webhook_url' must be an http(s) URL.")
    })?;
    let unpriced = match b.unpriced.as_deref() {
        None | Some("refuse") => "refuse",
        Some("allow") => "allow",
        Some(_) => return Err(invalid_value("unpriced", "'unpriced' must be refuse or allow.")),
    };
    admin.require_workspace(ws).await?;
    let scope_id = match kind {
        ScopeKind::Workspace => ws.to_string(),
        _ => b.scope_id.filter(|s| !s.trim().is_empty()).ok_or_else(|| invalid_value("scope_id", "'scope_id' is required for this scope."))?,
    };
    let id = new_id("bu");
    let limit = Nanos::from_usd(b.limit_usd).0;
    let insert = admin.stmt(
        "INSERT INTO budgets (id, workspace_id, scope_type, scope_id, period, limit_nanos, soft_threshold, webhook_url, created_at, updated_at, unpriced) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
        &[
            id.as_str().into(),
            ws.into(),
            kind.as_str().into(),
            scope_id.as_str().into(),
            b.period.as_str().into(),
            limit.into(),
            b.soft_threshold.map_or(crate::observe::sql::SqlValue::Null, crate::observe::sql::SqlValue::Real),
            webhook.into(),
            admin.now.into(),
            unpriced.into(),
        ],
    )?;
    let event = audit::event(admin, Some(ws), "budget.created", "budget", &id, json!({ "scope_type": kind.as_str(), "scope_id": scope_id, "period": b.period, "limit_usd": b.limit_usd, "unpriced": unpriced }))?;
    admin.batch(vec![insert, event]).await?;
    cache::invalidate_workspace(ws);
    get_budget(admin, ws, &id).await
}

async fn budget_row(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Value> {
    admin
        .row(
            "SELECT id, workspace_id, scope_type, scope_id, period, limit_nanos, soft_threshold, webhook_url, unpriced, created_at FROM budgets \
             WHERE id = ?1 AND workspace_id = ?2",
            &[id.into(), ws.into()],
        )
        .await?
        .ok_or_else(|| GatewayError::not_found(ErrorCode::BudgetNotFound, format!("No budget '{id}'.")))
}

/// A budget with its live state: spent and reserved this period.
async fn with_status(admin: &Admin, ws: &str, mut row: Value) -> Value {
    let fields = (
        row["id"].as_str().map(str::to_string),
        row["scope_type"].as_str().and_then(ScopeKind::parse),
        row["scope_id"].as_str().map(str::to_string),
        row["period"].as_str().and_then(Period::parse),
        row["limit_nanos"].as_u64(),
    );
    if let (Some(id), Some(kind), Some(scope_id), Some(period), Some(limit)) = fields {
        row["limit_usd"] = json!(Nanos(limit).usd());
        let object = budget_object(ws, kind, &scope_id);
        if let Ok(s) = admission::budget_status(&admin.env, &object, &id, period, limit).await {
            row["current_period"] = json!(s.period_key);
            row["spent_usd"] = json!(Nanos(s.spent_nanos).usd());
            row["reserved_usd"] = json!(Nanos(s.reserved_nanos).usd());
            row["remaining_usd"] = json!(Nanos(limit.saturating_sub(s.spent_nanos + s.reserved_nanos)).usd());
            row["spent_nanos"] = json!(s.spent_nanos);
            row["reserved_nanos"] = json!(s.reserved_nanos);
        }
    }
    row
}

pub async fn get_budget(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Response> {
    let row = budget_row(admin, ws, id).await?;
    Ok(admin.ok(200, &with_status(admin, ws, row).await))
}

pub async fn list_budgets(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let rows = admin
        .rows(
            "SELECT id, workspace_id, scope_type, scope_id, period, limit_nanos, soft_threshold, webhook_url, unpriced, created_at FROM budgets \
             WHERE workspace_id = ?1 ORDER BY created_at",
            &[ws.into()],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(with_status(admin, ws, r).await);
    }
    Ok(admin.ok(200, &list(out)))
}

pub async fn delete_budget(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Response> {
    budget_row(admin, ws, id).await?;
    let delete = admin.stmt("DELETE FROM budgets WHERE id = ?1 AND workspace_id = ?2", &[id.into(), ws.into()])?;
    let event = audit::event(admin, Some(ws), "budget.deleted", "budget", id, json!({}))?;
    admin.batch(vec![delete, event]).await?;
    cache::invalidate_workspace(ws);
    Ok(admin.ok(200, &json!({ "id": id, "deleted": true })))
}
