//! `POST /v1/usage-events`: an agent reports what its run spent or earned
//! besides LLM calls (tool calls, paid endpoints, revenue), with its
//! virtual key. Checked here, written through the `LOGS` queue like every
//! record (so a D1 outage loses nothing), answered 202 with the event ids.

use super::authenticate;
use super::start::intake;
use crate::core::endpoint::Endpoint;
use crate::observe::audit_record::QueueMessage;
use crate::observe::queue;
use crate::observe::usage_event::{self, Poster};
use crate::runtime::config::Config;
use crate::runtime::http::{self, ErrorShape};
use crate::runtime::{new_id, now_ms};
use serde_json::json;
use crate::runtime::client_request::ClientRequest;
use worker::{Env, Response};

pub async fn handle_usage_events(req: ClientRequest, env: &Env) -> Response {
    let cfg = Config::from_env(env);
    let mut rc = intake(&req, env, Endpoint::UsageEvents);
    let posted = async {
        let principal = authenticate::authenticate(&req, env, &cfg, &mut rc, None).await?;
        let body = req.read_body(cfg.max_body_bytes).await?;
        let who = Poster {
            workspace_id: &principal.workspace_id,
            key_id: &principal.key_id,
            agent_id: principal.agent_id.as_deref(),
            department: principal.department.as_deref(),
            session_id: rc.meta.session_id.as_deref(),
            now_ms: now_ms(),
        };
        usage_event::parse(&body, &who, &mut || new_id("ue"))
    }
    .await;
    let events = match posted {
        Ok(e) => e,
        Err(e) => return http::error(&e, Some(&rc.id), ErrorShape::OpenAi),
    };
    for e in &events {
        queue::send(env, &QueueMessage::Usage(e.clone())).await;
    }
    let data: Vec<_> = events
        .iter()
        .map(|e| {
            json!({
                "id": e.id, "object": "usage_event", "kind": e.kind, "name": e.name, "session_id": e.session_id,
                "agent_id": e.agent_id, "cost_nanos": e.cost_nanos, "revenue_nanos": e.revenue_nanos, "created_at": e.created_at,
            })
        })
        .collect();
    http::json_value(202, &json!({ "object": "list", "data": data }), Some(&rc.id))
}
