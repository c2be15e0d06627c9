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

/// What travels through the `LOGS` queue, as JSON text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum QueueMessage {
    Log(Box<super::log_record::LogRecord>),
    Audit(AuditRecord),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::log_record::LogRecord;

    #[test]
    fn messages_are_tagged_and_round_trip() {
        let m = QueueMessage::Audit(AuditRecord { id: "ae_1".into(), action: "policy.denied".into(), ..Default::default() });
        let text = serde_json::to_string(&m).unwrap();
        assert!(text.starts_with("{\"kind\":\"audit\""));
        assert_eq!(serde_json::from_str::<QueueMessage>(&text).unwrap(), m);
        let log = QueueMessage::Log(Box::new(LogRecord { id: "r".into(), status: 200, ..Default::default() }));
        let back: QueueMessage = serde_json::from_str(&serde_json::to_string(&log).unwrap()).unwrap();
        assert_eq!(back, log);
    }

    #[test]
    fn one_value_per_placeholder() {
        assert_eq!(AuditRecord::default().values().len(), INSERT_SQL.matches('?').count());
    }
}
