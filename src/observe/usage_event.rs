//! Usage events: what an agent run spends or earns besides LLM calls — a
//! tool call and its cost, a paid endpoint, revenue — posted by the agent
//! to `POST /v1/usage-events` with its virtual key, and attributed like its
//! requests (workspace, key, agent, department, session). With the run's
//! request costs they give its margin.
//!
//! The body is one event or `{"events": [...]}` (at most 100). An event
//! may carry its own `id`, making a retried post idempotent (the stored id
//! is derived from it and the workspace, so ids never collide across
//! tenants).

use super::sql::SqlValue;
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::catalog::pricing::Nanos;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const MAX_EVENTS: usize = 100;
const MAX_METADATA_BYTES: usize = 8 * 1024;
const MAX_NAME: usize = 200;
/// Events may be back-dated (a run reporting late) by at most this much.
const MAX_AGE_MS: u64 = 7 * 24 * 3_600_000;

pub const KINDS: &[&str] = &["tool_call", "paid_endpoint", "revenue", "custom"];

/// A `usage_events` row; also the queue message that carries it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageEvent {
    pub id: String,
    pub workspace_id: String,
    pub created_at: u64,
    pub virtual_key_id: Option<String>,
    pub agent_id: Option<String>,
    pub department: Option<String>,
    pub session_id: Option<String>,
    pub request_id: Option<String>,
    /// `tool_call`, `paid_endpoint`, `revenue` or `custom`. Serialized as
    /// `event_kind`: in the queue (and a log sink) `kind` names the record type.
    #[serde(rename = "event_kind")]
    pub kind: String,
    pub name: String,
    pub quantity: f64,
    pub cost_nanos: u64,
    pub revenue_nanos: u64,
    /// JSON object text.
    pub metadata: String,
}

pub const INSERT_SQL: &str = "INSERT OR IGNORE INTO usage_events \
    (id, workspace_id, created_at, virtual_key_id, agent_id, department, session_id, request_id, kind, name, quantity, cost_nanos, revenue_nanos, metadata) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

impl UsageEvent {
    pub fn values(&self) -> Vec<SqlValue> {
        vec![
            self.id.as_str().into(),
            self.workspace_id.as_str().into(),
            self.created_at.into(),
            self.virtual_key_id.clone().into(),
            self.agent_id.clone().into(),
            self.department.clone().into(),
            self.session_id.clone().into(),
            self.request_id.clone().into(),
            self.kind.as_str().into(),
            self.name.as_str().into(),
            SqlValue::Real(self.quantity),
            self.cost_nanos.into(),
            self.revenue_nanos.into(),
            self.metadata.as_str().into(),
        ]
    }
}

/// One event as posted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Posted {
    #[serde(default)]
    id: Option<String>,
    kind: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    quantity: Option<f64>,
    #[serde(default)]
    cost_usd: Option<f64>,
    #[serde(default)]
    cost_nanos: Option<u64>,
    #[serde(default)]
    revenue_usd: Option<f64>,
    #[serde(default)]
    revenue_nanos: Option<u64>,
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    metadata: Option<Value>,
    /// Milliseconds since the epoch; default now.
    #[serde(default)]
    created_at: Option<u64>,
}

/// Who posted, and what the request's headers said.
pub struct Poster<'a> {
    pub workspace_id: &'a str,
    pub key_id: &'a str,
    pub agent_id: Option<&'a str>,
    pub department: Option<&'a str>,
    /// `alephant-session-id`, for events that name no session.
    pub session_id: Option<&'a str>,
    pub now_ms: u64,
}

fn bad(index: Option<usize>, field: &str, why: &str) -> GatewayError {
    let param = match index {
        Some(i) => format!("events[{i}].{field}"),
        None => field.to_string(),
    };
    GatewayError::invalid_request(ErrorCode::InvalidUsageEvent, format!("{param}: {why}.")).with_param(&param)
}

fn money(index: Option<usize>, field: &str, usd: Option<f64>, nanos: Option<u64>) -> GatewayResult<u64> {
    match (usd, nanos) {
        (Some(_), Some(_)) => Err(bad(index, field, "give the amount in USD or in nanos, not both")),
        (Some(u), None) if (0.0..1e9).contains(&u) => Ok(Nanos::from_usd(u).0),
        (Some(_), None) => Err(bad(index, field, "must be a non-negative amount in USD")),
        (None, Some(n)) => Ok(n),
        (None, None) => Ok(0),
    }
}

fn event_id(workspace_id: &str, client_id: Option<&str>, fallback: &str) -> String {
    match client_id {
        Some(c) => {
            let digest = Sha256::digest(format!("{workspace_id}\u{0}{c}").as_bytes());
            let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
            format!("ue_{hex}")
        }
        None => fallback.to_string(),
    }
}

/// Parses and checks a posted body into rows. `new_id` makes ids for
/// events that bring none.
pub fn parse(body: &[u8], who: &Poster, new_id: &mut dyn FnMut() -> String) -> GatewayResult<Vec<UsageEvent>> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| GatewayError::invalid_request(ErrorCode::InvalidJson, format!("The request body is not valid JSON: {e}.")))?;
    let (items, batched) = match value {
        Value::Object(mut map) if map.contains_key("events") => match map.remove("events") {
            Some(Value::Array(items)) => (items, true),
            _ => return Err(bad(None, "events", "must be an array of events")),
        },
        Value::Object(_) => (vec![value], false),
        _ => return Err(bad(None, "body", "must be an event object or {\"events\": [...]}")),
    };
    if items.is_empty() || items.len() > MAX_EVENTS {
        return Err(bad(None, "events", &format!("must hold 1 to {MAX_EVENTS} events")));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let at = batched.then_some(i);
            let p: Posted = serde_json::from_value(item).map_err(|e| bad(at, "event", &e.to_string()))?;
            if !KINDS.contains(&p.kind.as_str()) {
                return Err(bad(at, "kind", &format!("must be one of {}", KINDS.join(", "))));
            }
            let name = p.name.unwrap_or_default();
            if name.chars().count() > MAX_NAME {
                return Err(bad(at, "name", &format!("must be at most {MAX_NAME} characters")));
            }
            let quantity = p.quantity.unwrap_or(1.0);
            if !quantity.is_finite() || quantity < 0.0 {
                return Err(bad(at, "quantity", "must be a non-negative number"));
            }
            let cost_nanos = money(at, "cost", p.cost_usd, p.cost_nanos)?;
            let revenue_nanos = money(at, "revenue", p.revenue_usd, p.revenue_nanos)?;
            let metadata = match p.metadata {
                None => "{}".to_string(),
                Some(m @ Value::Object(_)) => m.to_string(),
                Some(_) => return Err(bad(at, "metadata", "must be an object")),
            };
            if metadata.len() > MAX_METADATA_BYTES {
                return Err(bad(at, "metadata", &format!("must be at most {MAX_METADATA_BYTES} bytes")));
            }
            let created_at = match p.created_at {
                Some(t) if t > who.now_ms + 60_000 || t + MAX_AGE_MS < who.now_ms => {
                    return Err(bad(at, "created_at", "must be within the last 7 days, in milliseconds"))
                }
                Some(t) => t,
                None => who.now_ms,
            };
            if let Some(id) = &p.id {
                if id.is_empty() || id.len() > 200 {
                    return Err(bad(at, "id", "must be 1 to 200 characters"));
                }
            }
            let clip = |s: Option<String>| s.map(|s| s.trim().chars().take(256).collect::<String>()).filter(|s| !s.is_empty());
            Ok(UsageEvent {
                id: event_id(who.workspace_id, p.id.as_deref(), &new_id()),
                workspace_id: who.workspace_id.to_string(),
                created_at,
                virtual_key_id: Some(who.key_id.to_string()),
                agent_id: who.agent_id.map(str::to_string),
                department: who.department.map(str::to_string),
                session_id: clip(p.session_id).or_else(|| who.session_id.map(str::to_string)),
                request_id: clip(p.request_id),
                kind: p.kind,
                name,
                quantity,
                cost_nanos,
                revenue_nanos,
                metadata,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who() -> Poster<'static> {
        Poster { workspace_id: "ws", key_id: "vk", agent_id: Some("ag"), department: None, session_id: Some("s-hdr"), now_ms: 1_000_000_000 }
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("ue_gen{n}")
        }
    }

    #[test]
    fn one_event_with_usd_amounts() {
        let e = parse(br#"{"kind":"tool_call","name":"web_search","cost_usd":0.002,"session_id":"run-1"}"#, &who(), &mut ids()).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].cost_nanos, e[0].session_id.as_deref(), e[0].agent_id.as_deref()), (2_000_000, Some("run-1"), Some("ag")));
        assert_eq!((e[0].id.as_str(), e[0].quantity, e[0].metadata.as_str()), ("ue_gen1", 1.0, "{}"));
    }

    #[test]
    fn a_batch_inherits_the_header_session_and_client_ids_are_idempotent() {
        let body = br#"{"events":[{"kind":"revenue","revenue_usd":1.5,"id":"inv-7"},{"kind":"paid_endpoint","cost_nanos":5}]}"#;
        let a = parse(body, &who(), &mut ids()).unwrap();
        let b = parse(body, &who(), &mut ids()).unwrap();
        assert_eq!(a[0].id, b[0].id, "same client id → same row id");
        assert!(a[0].id.starts_with("ue_") && a[0].id != "ue_gen1");
        assert_eq!(a[0].revenue_nanos, 1_500_000_000);
        assert_eq!(a[1].session_id.as_deref(), Some("s-hdr"));
        let other_ws = Poster { workspace_id: "ws2", ..who() };
        assert_ne!(parse(body, &other_ws, &mut ids()).unwrap()[0].id, a[0].id, "never across workspaces");
    }

    #[test]
    fn bad_events_name_the_field() {
        let err = |body: &[u8]| parse(body, &who(), &mut ids()).unwrap_err();
        assert_eq!(err(br#"{"kind":"lunch"}"#).param.as_deref(), Some("kind"));
        assert_eq!(err(br#"{"events":[{"kind":"tool_call"},{"kind":"tool_call","cost_usd":-1}]}"#).param.as_deref(), Some("events[1].cost"));
        assert_eq!(err(br#"{"kind":"tool_call","cost_usd":1,"cost_nanos":1}"#).param.as_deref(), Some("cost"));
        assert_eq!(err(br#"{"kind":"tool_call","metadata":[1]}"#).param.as_deref(), Some("metadata"));
        assert_eq!(err(br#"{"kind":"tool_call","surprise":1}"#).param.as_deref(), Some("event"));
        assert_eq!(err(br#"{"events":[]}"#).param.as_deref(), Some("events"));
        assert_eq!(err(b"[1]").param.as_deref(), Some("body"));
        assert_eq!(err(br#"{"kind":"custom","created_at":1}"#).param.as_deref(), Some("created_at"));
        assert_eq!(err(b"nope").code, "invalid_json");
    }

    #[test]
    fn one_value_per_placeholder() {
        assert_eq!(UsageEvent::default().values().len(), INSERT_SQL.matches('?').count());
    }
}
