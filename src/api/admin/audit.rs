//! Audit events for admin changes, written in the same batch as the change.
//! The actor is the caller (`master`, `token:<id>`, `member:<email>`); its
//! role is kept in the details as `actor_role`.

use super::support::Admin;
use crate::core::error::GatewayResult;
use crate::runtime::new_id;
use serde_json::Value;
use worker::D1PreparedStatement;

pub fn event(
    admin: &Admin,
    workspace_id: Option<&str>,
    action: &str,
    target_type: &str,
    target_id: &str,
    mut details: Value,
) -> GatewayResult<D1PreparedStatement> {
    if let Some(obj) = details.as_object_mut() {
        obj.insert("actor_role".into(), admin.actor.role_name().into());
    }
    admin.stmt(
        "INSERT INTO audit_events (id, workspace_id, created_at, actor, action, target_type, target_id, details, request_id) \
         VALUES (?1, ?2, ?3, ?9, ?4, ?5, ?6, ?7, ?8)",
        &[
            new_id("ae").into(),
            workspace_id.map(str::to_string).into(),
            admin.now.into(),
            action.into(),
            target_type.into(),
            target_id.into(),
            details.to_string().into(),
            admin.request_id.as_str().into(),
            admin.actor.audit_name().into(),
        ],
    )
}
