//! Shared pieces of the admin handlers: the call context, D1 helpers,
//! JSON-column expansion.

use crate::analytics::Statement;
use crate::auth::admin_access::Actor;
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::observe::sql::SqlValue;
use crate::runtime::http::{self, ErrorShape};
use crate::store::config::store_unavailable;
use crate::store::d1;
use serde_json::Value;
use worker::{D1Database, D1PreparedStatement, Env, Response};

pub struct Admin {
    pub env: Env,
    pub db: D1Database,
    pub now: u64,
    pub request_id: String,
    /// Who is calling, once authenticated (the master key until then).
    pub actor: Actor,
}

impl Admin {
    pub fn stmt(&self, sql: &str, values: &[SqlValue]) -> GatewayResult<D1PreparedStatement> {
        d1::statement(&self.db, sql, values).map_err(|_| store_unavailable())
    }

    pub async fn rows(&self, sql: &str, values: &[SqlValue]) -> GatewayResult<Vec<Value>> {
        self.stmt(sql, values)?
            .all()
            .await
            .and_then(|r| r.results::<Value>())
            .map_err(|_| store_unavailable())
    }

    pub async fn row(&self, sql: &str, values: &[SqlValue]) -> GatewayResult<Option<Value>> {
        self.stmt(sql, values)?.first::<Value>(None).await.map_err(|_| store_unavailable())
    }

    /// The rows of a statement built by `crate::analytics`.
    pub async fn query(&self, st: &Statement) -> GatewayResult<Vec<Value>> {
        self.rows(&st.sql, &st.params).await
    }

    /// The rows of several read statements, in one round trip.
    pub async fn query_all(&self, statements: &[Statement]) -> GatewayResult<Vec<Vec<Value>>> {
        let prepared = statements.iter().map(|st| self.stmt(&st.sql, &st.params)).collect::<GatewayResult<Vec<_>>>()?;
        let results = self.db.batch(prepared).await.map_err(|_| store_unavailable())?;
        results.into_iter().map(|r| r.results::<Value>().map_err(|_| store_unavailable())).collect()
    }

    /// Runs statements as one transaction (D1 batches are atomic).
    pub async fn batch(&self, statements: Vec<D1PreparedStatement>) -> GatewayResult<()> {
        self.db.batch(statements).await.map(|_| ()).map_err(|e| {
            let text = e.to_string();
            if text.contains("UNIQUE") {
                GatewayError::new(409, crate::core::error::ErrorType::InvalidRequestError, ErrorCode::Conflict, "An entry with these values already exists.")
            } else if text.contains("FOREIGN KEY") {
                GatewayError::invalid_request(ErrorCode::InvalidReference, "A referenced entry (agent, workspace) does not exist.")
            } else {
                store_unavailable()
            }
        })
    }

    pub async fn require_workspace(&self, ws: &str) -> GatewayResult<()> {
        match self.row("SELECT id FROM workspaces WHERE id = ?1", &[ws.into()]).await? {
            Some(_) => Ok(()),
            None => Err(GatewayError::not_found(ErrorCode::WorkspaceNotFound, format!("No workspace '{ws}'."))),
        }
    }

    pub fn ok(&self, status: u16, value: &Value) -> Response {
        http::json_value(status, value, Some(&self.request_id))
    }

    pub fn err(&self, e: &GatewayError) -> Response {
        http::error(e, Some(&self.request_id), ErrorShape::OpenAi)
    }
}

/// Columns stored as JSON text are returned as JSON values.
pub fn expand_json(mut row: Value, columns: &[&str]) -> Value {
    if let Some(obj) = row.as_object_mut() {
        for c in columns {
            if let Some(Value::String(text)) = obj.get(*c) {
                if let Ok(parsed) = serde_json::from_str::<Value>(text) {
                    obj.insert(c.to_string(), parsed);
                }
            }
        }
    }
    row
}

pub fn list(data: Vec<Value>) -> Value {
    serde_json::json!({ "object": "list", "data": data })
}

/// `?limit=` bounded to 1..=max, default `default`.
pub fn limit(query: &[(String, String)], default: u64, max: u64) -> u64 {
    query
        .iter()
        .find(|(k, _)| k == "limit")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .unwrap_or(default)
        .clamp(1, max)
}

pub fn query_value<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}
