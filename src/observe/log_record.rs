//! The request log record: produced on the request path (in `wait_until`),
//! sent through the `LOGS` queue, written to `request_logs` by the consumer.
//!
//! Field names equal the D1 column names. The record never holds a secret:
//! no authorization header, no provider key, no virtual key token (only the
//! key's id).

use super::sql::SqlValue;
use serde::{Deserialize, Serialize};

/// Bumped when a field changes meaning, so a consumer can tell old messages
/// still in the queue from new ones.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub provider: String,
    pub model: String,
    /// HTTP status, or 0 when no answer came (timeout, connection error).
    pub status: u16,
    pub latency_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    pub v: u32,
    pub id: String,
    pub workspace_id: String,
    pub created_at: u64,
    pub virtual_key_id: Option<String>,
    pub agent_id: Option<String>,
    pub department: Option<String>,
    pub session_id: Option<String>,
    pub session_path: Option<String>,
    pub session_name: Option<String>,
    /// `alephant-property-*` headers as a JSON object string.
    pub properties: Option<String>,
    pub user_id: Option<String>,
    pub country: Option<String>,
    pub referer: Option<String>,
    pub client_ip: Option<String>,
    pub endpoint: String,
    pub requested_model: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub provider_request_id: Option<String>,
    pub stream: bool,
    pub status: u16,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub latency_ms: Option<u64>,
    pub upstream_latency_ms: Option<u64>,
    pub ttft_ms: Option<u64>,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub cached_tokens: Option<u64>,
    pub cache_creation_tokens: Option<u64>,
    pub reasoning_tokens: Option<u64>,
    pub cost_nanos: Option<u64>,
    pub cache_status: Option<String>,
    pub cost_saved_nanos: Option<u64>,
    /// The exact cache key (hex) the request looked up or filled.
    #[serde(default)]
    pub cache_key: Option<String>,
    /// Why the cache did what it did (a lookup that failed open, a coalesced wait…).
    #[serde(default)]
    pub cache_detail: Option<String>,
    /// The error's class (`invalid_request_error`, `upstream_error`, …).
    #[serde(default)]
    pub error_type: Option<String>,
    /// The prompt template the request was built from, and its version.
    #[serde(default)]
    pub prompt_id: Option<String>,
    #[serde(default)]
    pub prompt_version: Option<u64>,
    pub router_id: Option<String>,
    pub target: Option<String>,
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// Policy decisions taken for this request, as JSON values.
    #[serde(default)]
    pub policy: Vec<serde_json::Value>,
    pub request_body_key: Option<String>,
    pub response_body_key: Option<String>,
    /// The client's own `x-request-id`, if it sent one (never a key).
    #[serde(default)]
    pub client_request_id: Option<String>,
    /// The usage (and cost) is the gateway's estimate: the provider never
    /// reported it (a stream cut or left early, an answer without usage).
    #[serde(default)]
    pub usage_estimated: bool,
    /// What the guardrails found (JSON: detector, direction, action,
    /// count — never a value), `None` when nothing.
    #[serde(default)]
    pub guardrails: Option<String>,
    /// Test deployments only (`ALLOW_TEST_HOOKS`): a fault the consumer
    /// plays on this record (`d1-fail-once`, `d1-dup-once`). Not a column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_fault: Option<String>,
}

/// Columns of `request_logs`, in insert order.
pub const COLUMNS: &[&str] = &[
    "id", "workspace_id", "created_at", "virtual_key_id", "agent_id", "department", "session_id",
    "session_path", "session_name", "properties", "user_id", "country", "referer", "client_ip", "endpoint",
    "requested_model", "provider", "model", "provider_request_id", "stream", "status", "error_code",
    "error_message", "latency_ms", "upstream_latency_ms", "ttft_ms", "prompt_tokens", "completion_tokens",
    "cached_tokens", "cache_creation_tokens", "reasoning_tokens", "cost_nanos", "cache_status",
    "cost_saved_nanos", "router_id", "target", "attempts", "policy", "request_body_key", "response_body_key",
    "cache_key", "cache_detail", "error_type", "prompt_id", "prompt_version", "client_request_id", "usage_estimated",
    "guardrails",
];

/// `INSERT OR IGNORE`: a message delivered twice writes one row.
pub fn insert_sql() -> String {
    let params: Vec<String> = (1..=COLUMNS.len()).map(|i| format!("?{i}")).collect();
    format!("INSERT OR IGNORE INTO request_logs ({}) VALUES ({})", COLUMNS.join(", "), params.join(", "))
}

fn json_or_null<T: Serialize>(items: &[T]) -> SqlValue {
    if items.is_empty() {
        SqlValue::Null
    } else {
        serde_json::to_string(items).map_or(SqlValue::Null, SqlValue::Text)
    }
}

impl LogRecord {
    /// The row values, in `COLUMNS` order.
    pub fn values(&self) -> Vec<SqlValue> {
        let r = self.clone();
        vec![
            r.id.into(),
            r.workspace_id.into(),
            r.created_at.into(),
            r.virtual_key_id.into(),
            r.agent_id.into(),
            r.department.into(),
            r.session_id.into(),
            r.session_path.into(),
            r.session_name.into(),
            r.properties.into(),
            r.user_id.into(),
            r.country.into(),
            r.referer.into(),
            r.client_ip.into(),
            r.endpoint.into(),
            r.requested_model.into(),
            r.provider.into(),
            r.model.into(),
            r.provider_request_id.into(),
            r.stream.into(),
            u64::from(r.status).into(),
            r.error_code.into(),
            r.error_message.into(),
            r.latency_ms.into(),
            r.upstream_latency_ms.into(),
            r.ttft_ms.into(),
            r.prompt_tokens.into(),
            r.completion_tokens.into(),
            r.cached_tokens.into(),
            r.cache_creation_tokens.into(),
            r.reasoning_tokens.into(),
            r.cost_nanos.into(),
            r.cache_status.into(),
            r.cost_saved_nanos.into(),
            r.router_id.into(),
            r.target.into(),
            json_or_null(&self.attempts),
            json_or_null(&self.policy),
            r.request_body_key.into(),
            r.response_body_key.into(),
            r.cache_key.into(),
            r.cache_detail.into(),
            r.error_type.into(),
            r.prompt_id.into(),
            r.prompt_version.into(),
            r.client_request_id.into(),
            r.usage_estimated.into(),
            r.guardrails.into(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_column() {
        let r = LogRecord { id: "x".into(), ..Default::default() };
        assert_eq!(r.values().len(), COLUMNS.len());
        assert_eq!(insert_sql().matches('?').count(), COLUMNS.len());
    }

    #[test]
    fn values_follow_column_order() {
        let r = LogRecord {
            id: "req".into(),
            workspace_id: "ws".into(),
            status: 200,
            stream: true,
            cost_nanos: Some(5),
            attempts: vec![Attempt { provider: "openai".into(), model: "gpt-4o".into(), status: 200, latency_ms: 3, error: None }],
            ..Default::default()
        };
        let vals = r.values();
        let at = |c: &str| vals[COLUMNS.iter().position(|x| *x == c).unwrap()].clone();
        assert_eq!(at("id"), SqlValue::Text("req".into()));
        assert_eq!(at("status"), SqlValue::Int(200));
        assert_eq!(at("stream"), SqlValue::Int(1));
        assert_eq!(at("cost_nanos"), SqlValue::Int(5));
        assert_eq!(at("model"), SqlValue::Null);
        assert_eq!(at("policy"), SqlValue::Null);
        match at("attempts") {
            SqlValue::Text(t) => assert!(t.contains("\"provider\":\"openai\"")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn columns_match_the_migrations() {
        let sql = include_str!("../../migrations-d1/0001_initial.sql");
        let table = &sql[sql.find("CREATE TABLE request_logs").unwrap()..];
        let table = &table[..table.find(");").unwrap()];
        // Columns added by later migrations (keep this list in step with migrations-d1/).
        let added = [
            include_str!("../../migrations-d1/0005_cache.sql"),
            include_str!("../../migrations-d1/0006_observability.sql"),
            include_str!("../../migrations-d1/0009_security.sql"),
            include_str!("../../migrations-d1/0011_guardrails.sql"),
        ]
        .concat();
        for c in COLUMNS {
            assert!(
                table.contains(&format!("\n  {c} ")) || added.contains(&format!("ALTER TABLE request_logs ADD COLUMN {c} ")),
                "column {c} missing from request_logs"
            );
        }
    }

    #[test]
    fn queue_message_round_trips() {
        let r = LogRecord { v: SCHEMA_VERSION, id: "a".into(), status: 429, ..Default::default() };
        let back: LogRecord = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }
}
