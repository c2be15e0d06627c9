//! Audit events raised on the request path (policy decisions: denied,
//! throttled, refused by a budget; soft budget thresholds). They travel
//! through the `LOGS` queue with the request logs; admin changes write
//! theirs directly in the same D1 batch as the change.

use super::sql::SqlValue;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: String,
    pub workspace_id: String,
    pub created_at: u64,
    /// `key:<virtual key id>`, `master` or `system`.
    pub actor: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
    pub request_id: Option<String>,
}

pub const INSERT_SQL: &str = "INSERT OR IGNORE INTO audit_events \
    (id, workspace_id, created_at, actor, action, target_type, target_id, details, request_id) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

impl AuditRecord {
    /// A budget's soft threshold crossed by request `request_id`.
    pub fn soft_threshold(id: String, workspace_id: &str, request_id: &str, object: &str, status: &crate::governance::ledger::BudgetStatus, now_ms: u64) -> AuditRecord {
        AuditRecord {
            id,
            workspace_id: workspace_id.to_string(),
            created_at: now_ms,
            actor: "system".into(),
            action: "budget.soft_threshold".into(),
            target_type: Some("budget".into()),
            target_id: Some(status.budget_id.clone()),
            details: serde_json::json!({ "scope": object, "status": status }),
            request_id: Some(request_id.to_string()),
        }
    }

    /// Who a request acted as: `master`, `key:<id>`, or `system`.
    pub fn actor_of(key_id: Option<&str>) -> String {
        match key_id {
            Some(k) if k == crate::auth::principal::MASTER_KEY_ID => "master".into(),
            Some(k) => format!("key:{k}"),
            None => "system".into(),
        }
    }

    pub fn values(&self) -> Vec<SqlValue> {
        vec![
            self.id.as_str().into(),
            self.workspace_id.as_str().into(),
            self.created_at.into(),
            self.actor.as_str().into(),
            self.action.as_str().into(),
            self.target_type.clone().into(),
            self.target_id.clone().into(),
            self.details.to_string().into(),
            self.request_id.clone().into(),
        ]
    }
}

/// What travels through the `LOGS` queue, as JSON text: the record's
/// fields plus `"kind": "log" | "audit" | "usage" | "body"`.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueMessage {
    Log(Box<super::log_record::LogRecord>),
    Audit(AuditRecord),
    Usage(super::usage_event::UsageEvent),
    /// An archived body R2 refused at first (see `archive.rs`).
    Body(super::archive::QueuedBody),
}

/// Written by hand rather than as an internally tagged serde enum: serde
/// would buffer every message into an intermediate tree to find the tag,
/// which costs CPU per message and much code in wasm.
#[derive(Serialize)]
struct Tagged<'a, T> {
    kind: &'static str,
    #[serde(flatten)]
    record: &'a T,
}

#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
}

impl QueueMessage {
    /// The workspace a message belongs to (bodies: the first key segment).
    pub fn workspace_id(&self) -> &str {
        match self {
            QueueMessage::Log(r) => &r.workspace_id,
            QueueMessage::Audit(a) => &a.workspace_id,
            QueueMessage::Usage(u) => &u.workspace_id,
            QueueMessage::Body(b) => b.key.split('/').next().unwrap_or_default(),
        }
    }

    pub fn id(&self) -> &str {
        match self {
            QueueMessage::Log(r) => &r.id,
            QueueMessage::Audit(a) => &a.id,
            QueueMessage::Usage(u) => &u.id,
            QueueMessage::Body(b) => &b.key,
        }
    }

    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        match self {
            QueueMessage::Log(r) => serde_json::to_string(&Tagged { kind: "log", record: r.as_ref() }),
            QueueMessage::Audit(a) => serde_json::to_string(&Tagged { kind: "audit", record: a }),
            QueueMessage::Usage(u) => serde_json::to_string(&Tagged { kind: "usage", record: u }),
            QueueMessage::Body(b) => serde_json::to_string(&Tagged { kind: "body", record: b }),
        }
    }

    pub fn from_json(text: &str) -> Result<QueueMessage, String> {
        let kind: Kind = serde_json::from_str(text).map_err(|e| e.to_string())?;
        match kind.kind.as_ref() {
            "log" => serde_json::from_str(text).map(|r| QueueMessage::Log(Box::new(r))).map_err(|e| e.to_string()),
            "audit" => serde_json::from_str(text).map(QueueMessage::Audit).map_err(|e| e.to_string()),
            "usage" => serde_json::from_str(text).map(QueueMessage::Usage).map_err(|e| e.to_string()),
            "body" => serde_json::from_str(text).map(QueueMessage::Body).map_err(|e| e.to_string()),
            other => Err(format!("unknown message kind '{other}'")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::log_record::LogRecord;

    #[test]
    fn messages_are_tagged_and_round_trip() {
        let m = QueueMessage::Audit(AuditRecord { id: "ae_1".into(), action: "policy.denied".into(), ..Default::default() });
        let text = m.to_json().unwrap();
        assert!(text.starts_with("{\"kind\":\"audit\""));
        assert_eq!(QueueMessage::from_json(&text).unwrap(), m);
        let log = QueueMessage::Log(Box::new(LogRecord { id: "r".into(), status: 200, ..Default::default() }));
        assert_eq!(QueueMessage::from_json(&log.to_json().unwrap()).unwrap(), log);
        assert!(QueueMessage::from_json(r#"{"kind":"other"}"#).is_err());
        let usage = QueueMessage::Usage(crate::observe::usage_event::UsageEvent { id: "ue_1".into(), kind: "tool_call".into(), ..Default::default() });
        assert_eq!(QueueMessage::from_json(&usage.to_json().unwrap()).unwrap(), usage, "a usage event's own kind does not clash");
    }

    #[test]
    fn one_value_per_placeholder() {
        assert_eq!(AuditRecord::default().values().len(), INSERT_SQL.matches('?').count());
    }
}
