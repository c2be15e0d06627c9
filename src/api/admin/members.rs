//! Who has access to a workspace: its admin tokens (`wt-…`, shown once,
//! stored as hashes) and its members (e-mails that sign in through
//! Cloudflare Access). Owners (and the master key) only.

use super::access::TOKEN_PREFIX;
use super::audit;
use super::input::{self, CreateToken, PutMember};
use super::support::{list, Admin};
use crate::auth::admin_access::normalise_email;
use crate::auth::{bearer, virtual_key};
use crate::core::error::{invalid_value, ErrorCode, GatewayError, GatewayResult};
use crate::runtime::{new_id, random_bytes};
use crate::util::url_path::percent_decode;
use serde_json::{json, Value};
use worker::Response;

const TOKEN_COLUMNS: &str =
    "id, workspace_id, name, role, read_bodies, token_prefix, expires_at, revoked_at, created_at, created_by, last_used_at";

fn with_flag(mut row: Value) -> Value {
    row["read_bodies"] = Value::Bool(row["read_bodies"].as_f64() == Some(1.0));
    row
}

pub async fn create_token(admin: &Admin, ws: &str, body: &[u8]) -> GatewayResult<Response> {
    let t = input::parse::<CreateToken>(body)?.validate(admin.now)?;
    admin.require_workspace(ws).await?;
    let random = random_bytes::<{ bearer::RANDOM_BYTES }>().map_err(|_| GatewayError::internal(ErrorCode::RandomnessUnavailable))?;
    let token = bearer::generate(TOKEN_PREFIX, &random);
    let prefix = virtual_key::visible_prefix(&token);
    let id = new_id("wt");
    let insert = admin.stmt(
        "INSERT INTO workspace_tokens (id, workspace_id, token_hash, token_prefix, name, role, read_bodies, expires_at, created_at, created_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        &[
            id.as_str().into(),
            ws.into(),
            virtual_key::hash(&token).into(),
            prefix.as_str().into(),
            t.name.as_str().into(),
            t.role.as_str().into(),
            u64::from(t.read_bodies).into(),
            t.expires_at.into(),
            admin.now.into(),
            admin.actor.audit_name().into(),
        ],
    )?;
    let event = audit::event(
        admin,
        Some(ws),
        "admin_token.created",
        "admin_token",
        &id,
        json!({ "name": t.name, "role": t.role.as_str(), "read_bodies": t.read_bodies, "token_prefix": prefix }),
    )?;
    admin.batch(vec![insert, event]).await?;
    Ok(admin.ok(
        201,
        &json!({
            "id": id, "workspace_id": ws, "token": token, "token_prefix": prefix, "name": t.name,
            "role": t.role.as_str(), "read_bodies": t.read_bodies, "expires_at": t.expires_at,
            "revoked_at": null, "created_at": admin.now, "created_by": admin.actor.audit_name(),
            "note": "Store this token now: it is shown only once.",
        }),
    ))
}

pub async fn list_tokens(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let rows = admin
        .rows(&format!("SELECT {TOKEN_COLUMNS} FROM workspace_tokens WHERE workspace_id = ?1 ORDER BY created_at"), &[ws.into()])
        .await?;
    Ok(admin.ok(200, &list(rows.into_iter().map(with_flag).collect())))
}

pub async fn revoke_token(admin: &Admin, ws: &str, id: &str) -> GatewayResult<Response> {
    let select = format!("SELECT {TOKEN_COLUMNS} FROM workspace_tokens WHERE id = ?1 AND workspace_id = ?2");
    let not_found = || GatewayError::not_found(ErrorCode::AdminTokenNotFound, format!("No admin token '{id}'."));
    admin.row(&select, &[id.into(), ws.into()]).await?.ok_or_else(not_found)?;
    let update = admin.stmt(
        "UPDATE workspace_tokens SET revoked_at = COALESCE(revoked_at, ?1) WHERE id = ?2 AND workspace_id = ?3",
        &[admin.now.into(), id.into(), ws.into()],
    )?;
    let event = audit::event(admin, Some(ws), "admin_token.revoked", "admin_token", id, json!({}))?;
    admin.batch(vec![update, event]).await?;
    let row = admin.row(&select, &[id.into(), ws.into()]).await?.ok_or_else(not_found)?;
    Ok(admin.ok(200, &with_flag(row)))
}

fn email_param(raw: &str) -> GatewayResult<String> {
    normalise_email(&percent_decode(raw)).ok_or_else(|| invalid_value("email", "The path names no valid e-mail address."))
}

pub async fn put_member(admin: &Admin, ws: &str, raw_email: &str, body: &[u8]) -> GatewayResult<Response> {
    let email = email_param(raw_email)?;
    let (role, read_bodies) = input::parse::<PutMember>(body)?.validate()?;
    admin.require_workspace(ws).await?;
    let upsert = admin.stmt(
        "INSERT INTO workspace_members (workspace_id, email, role, read_bodies, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (workspace_id, email) DO UPDATE SET role = excluded.role, read_bodies = excluded.read_bodies",
        &[ws.into(), email.as_str().into(), role.as_str().into(), u64::from(read_bodies).into(), admin.now.into(), admin.actor.audit_name().into()],
    )?;
    let event = audit::event(admin, Some(ws), "member.put", "member", &email, json!({ "role": role.as_str(), "read_bodies": read_bodies }))?;
    admin.batch(vec![upsert, event]).await?;
    let row = admin
        .row("SELECT email, role, read_bodies, created_at, created_by FROM workspace_members WHERE workspace_id = ?1 AND email = ?2", &[ws.into(), email.as_str().into()])
        .await?
        .unwrap_or(Value::Null);
    Ok(admin.ok(200, &with_flag(row)))
}

pub async fn list_members(admin: &Admin, ws: &str) -> GatewayResult<Response> {
    admin.require_workspace(ws).await?;
    let rows = admin
        .rows("SELECT email, role, read_bodies, created_at, created_by FROM workspace_members WHERE workspace_id = ?1 ORDER BY created_at", &[ws.into()])
        .await?;
    Ok(admin.ok(200, &list(rows.into_iter().map(with_flag).collect())))
}

pub async fn delete_member(admin: &Admin, ws: &str, raw_email: &str) -> GatewayResult<Response> {
    let email = email_param(raw_email)?;
    admin
        .row("SELECT email FROM workspace_members WHERE workspace_id = ?1 AND email = ?2", &[ws.into(), email.as_str().into()])
        .await?
        .ok_or_else(|| GatewayError::not_found(ErrorCode::MemberNotFound, format!("No member '{email}'.")))?;
    let delete = admin.stmt("DELETE FROM workspace_members WHERE workspace_id = ?1 AND email = ?2", &[ws.into(), email.as_str().into()])?;
    let event = audit::event(admin, Some(ws), "member.removed", "member", &email, json!({}))?;
    admin.batch(vec![delete, event]).await?;
    Ok(admin.ok(200, &json!({ "email": email, "deleted": true })))
}
