//! Sessions, runs and agent summaries (`crate::analytics::sessions`).

use super::support::Admin;
use crate::analytics::cursor::list;
use crate::analytics::sessions::{self as s, SessionList};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::util::url_path::percent_decode;
use worker::Response;

/// `GET …/sessions` (every session) and `GET …/runs` (sessions bound to an agent).
pub async fn list_sessions(admin: &Admin, ws: &str, query: &[(String, String)], runs: bool) -> GatewayResult<Response> {
    let l = SessionList::parse(query, runs)?;
    admin.require_workspace(ws).await?;
    let mut rows = admin.query(&l.statement(ws)).await?;
    let next = s::next_cursor(&l.page, &mut rows);
    Ok(admin.ok(200, &list(rows.iter().map(s::session_json).collect(), next)))
}

/// `GET …/sessions/{session_id}` (the id percent-encoded in the path).
pub async fn get_session(admin: &Admin, ws: &str, session_id: &str) -> GatewayResult<Response> {
    let session_id = percent_decode(session_id);
    admin.require_workspace(ws).await?;
    let results = admin.query_all(&s::session_statements(ws, &session_id)).await?;
    let part = |i: usize| results.get(i).map(Vec::as_slice).unwrap_or_default();
    let detail = s::session_detail(part(0), part(1), part(2))
        .ok_or_else(|| GatewayError::not_found(ErrorCode::SessionNotFound, format!("No requests or usage events in session '{session_id}' (yet).")))?;
    Ok(admin.ok(200, &detail))
}

/// `GET …/agents/{agent_id}/summary`.
pub async fn agent_summary(admin: &Admin, ws: &str, agent_id: &str, query: &[(String, String)]) -> GatewayResult<Response> {
    let range = s::parse_agent_summary(query)?;
    admin
        .row("SELECT id FROM agents WHERE id = ?1 AND workspace_id = ?2", &[agent_id.into(), ws.into()])
        .await?
        .ok_or_else(|| GatewayError::not_found(ErrorCode::AgentNotFound, format!("No agent '{agent_id}' in workspace '{ws}'.")))?;
    let rows = admin.query(&s::agent_summary_statement(ws, agent_id, range)).await?;
    let row = rows.first().cloned().unwrap_or_default();
    Ok(admin.ok(200, &s::agent_summary_json(agent_id, range, &row)))
}
