//! The admin route table: one match from (method, path) to a handler.

use super::support::Admin;
use super::{analytics, cache, governance, log_sink, logs, prompts, resources, routers, sessions};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use super::access::{self, Via};
use super::{members, session};
use crate::auth::admin_access::{decide, need, route_workspace, Actor};
use crate::governance::auth_throttle;
use crate::runtime::http::header;
use crate::runtime::{new_request_id, now_ms};
use crate::store::config::store_unavailable;
use crate::store::d1;
use worker::{Env, Request, Response};

pub async fn handle(mut req: Request, env: &Env, segments: &[String]) -> Response {
    let request_id = new_request_id();
    let db = match d1::db(env) {
        Ok(db) => db,
        Err(_) => return crate::runtime::http::error(&store_unavailable(), Some(&request_id), crate::runtime::http::ErrorShape::OpenAi),
    };
    let mut admin = Admin { env: env.clone(), db, now: now_ms(), request_id, actor: Actor::Master };
    // Guessing the master key or a token counts against the client's IP like guessing virtual keys.
    let ip = header(&req, "cf-connecting-ip");
    if let Err(e) = auth_throttle::check(ip.as_deref(), admin.now) {
        return admin.err(&e);
    }
    let method = req.method().to_string();
    let query: Vec<(String, String)> = req.url().map(|u| u.query_pairs().into_owned().collect()).unwrap_or_default();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let result = match (method.as_str(), segs.as_slice()) {
        ("POST", ["session"]) => match read_body(&mut req, &method).await {
            Ok(body) => session::login(&mut admin, &body).await,
            Err(e) => Err(e),
        },
        ("GET", ["session"]) => session::current(&mut admin, &req).await,
        ("DELETE", ["session"]) => session::logout(&mut admin, &req).await,
        (_, ["session"]) => Err(GatewayError::method_not_allowed("GET, POST or DELETE")),
        // The body is read only once the caller is known.
        _ => match authorize(&mut admin, &req, &method, &segs, &query).await {
            Ok(()) => match read_body(&mut req, &method).await {
                Ok(body) => route(&admin, &method, &segs, &query, &body).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(resp) => resp,
        Err(e) => {
            if access::is_guess(&e) {
                if let Err(throttled) = auth_throttle::record_failure(env, ip.as_deref(), &admin.request_id, admin.now).await {
                    return admin.err(&throttled);
                }
            }
            admin.err(&e)
        }
    }
}

async fn read_body(req: &mut Request, method: &str) -> GatewayResult<Vec<u8>> {
    if method == "POST" || method == "PATCH" || method == "PUT" {
        req.bytes().await.map_err(|_| GatewayError::invalid_request(ErrorCode::UnreadableBody, "The request body could not be read."))
    } else {
        Ok(Vec::new())
    }
}

/// Authenticates the caller, holds browser calls to their CSRF token, and
/// checks the role against the route's class (crate::auth::admin_access).
async fn authorize(admin: &mut Admin, req: &Request, method: &str, segs: &[&str], query: &[(String, String)]) -> GatewayResult<()> {
    let ws = route_workspace(segs);
    let caller = access::authenticate(admin, req, ws).await?;
    if method != "GET" && method != "HEAD" {
        match &caller.via {
            Via::Bearer => {}
            Via::Session(session) => session::check_csrf(req, session)?,
            // Access assertions ride on a cookie: a browser must log in
            // (GET /admin/session) and use that session's CSRF token.
            Via::Access => return Err(session::csrf_refused()),
        }
    }
    decide(&caller.actor, ws, need(method, segs, query))?;
    admin.actor = caller.actor;
    Ok(())
}

async fn route(admin: &Admin, method: &str, segs: &[&str], query: &[(String, String)], body: &[u8]) -> GatewayResult<Response> {
    use governance as g;
    use resources as r;
    match (method, segs) {
        ("GET", ["providers"]) => r::list_providers(admin),
        ("POST", ["workspaces"]) => r::create_workspace(admin, body).await,
        ("GET", ["workspaces"]) => r::list_workspaces(admin, query).await,
        ("GET", ["workspaces", ws]) => r::get_workspace(admin, ws).await,

        ("POST", ["workspaces", ws, "providers"]) => r::create_custom_provider(admin, ws, body).await,
        ("GET", ["workspaces", ws, "providers"]) => r::list_custom_providers(admin, ws).await,
        ("DELETE", ["workspaces", ws, "providers", id]) => r::delete_custom_provider(admin, ws, id).await,

        ("POST", ["workspaces", ws, "provider-keys"]) => r::create_provider_key(admin, ws, body).await,
        ("GET", ["workspaces", ws, "provider-keys"]) => r::list_provider_keys(admin, ws).await,
        ("PATCH", ["workspaces", ws, "provider-keys", id]) => r::patch_provider_key(admin, ws, id, body).await,
        ("DELETE", ["workspaces", ws, "provider-keys", id]) => r::delete_provider_key(admin, ws, id).await,

        ("POST", ["workspaces", ws, "routers"]) => routers::create(admin, ws, body).await,
        ("GET", ["workspaces", ws, "routers"]) => routers::list_all(admin, ws).await,
        ("GET", ["workspaces", ws, "routers", id]) => routers::get(admin, ws, id).await,
        ("PUT", ["workspaces", ws, "routers", id]) => routers::update(admin, ws, id, body).await,
        ("DELETE", ["workspaces", ws, "routers", id]) => routers::delete(admin, ws, id).await,

        ("POST", ["workspaces", ws, "prompts"]) => prompts::create(admin, ws, body).await,
        ("GET", ["workspaces", ws, "prompts"]) => prompts::list_all(admin, ws).await,
        ("GET", ["workspaces", ws, "prompts", id]) => prompts::get(admin, ws, id).await,
        ("POST", ["workspaces", ws, "prompts", id, "versions"]) => prompts::add_version(admin, ws, id, body).await,
        ("GET", ["workspaces", ws, "prompts", id, "versions", v]) => prompts::get_version(admin, ws, id, v).await,

        ("POST", ["workspaces", ws, "virtual-keys"]) => r::create_virtual_key(admin, ws, body).await,
        ("GET", ["workspaces", ws, "virtual-keys"]) => r::list_virtual_keys(admin, ws).await,
        ("GET", ["workspaces", ws, "virtual-keys", id]) => r::get_virtual_key(admin, ws, id).await,
        ("POST", ["workspaces", ws, "virtual-keys", id, "revoke"]) => r::revoke_virtual_key(admin, ws, id).await,
        ("PATCH", ["workspaces", ws, "virtual-keys", id]) => g::patch_key(admin, ws, id, body).await,

        ("GET", ["workspaces", ws, "policies"]) => g::list_policies(admin, ws).await,
        ("PUT", ["workspaces", ws, "policies", kind, id]) => g::put_policy(admin, ws, kind, id, body).await,
        ("DELETE", ["workspaces", ws, "policies", kind, id]) => g::delete_policy(admin, ws, kind, id).await,

        ("POST", ["workspaces", ws, "budgets"]) => g::create_budget(admin, ws, body).await,
        ("GET", ["workspaces", ws, "budgets"]) => g::list_budgets(admin, ws).await,
        ("GET", ["workspaces", ws, "budgets", id]) => g::get_budget(admin, ws, id).await,
        ("DELETE", ["workspaces", ws, "budgets", id]) => g::delete_budget(admin, ws, id).await,

        ("POST", ["workspaces", ws, "agents"]) => r::create_agent(admin, ws, body).await,
        ("GET", ["workspaces", ws, "agents"]) => r::list_agents(admin, ws).await,

        ("POST", ["workspaces", ws, "domains"]) => r::create_domain(admin, ws, body).await,
        ("GET", ["workspaces", ws, "domains"]) => r::list_domains(admin, ws).await,
        ("DELETE", ["workspaces", ws, "domains", host]) => r::delete_domain(admin, ws, host).await,

        ("GET", ["workspaces", ws, "cache"]) => cache::status(admin, ws, query).await,
        ("POST", ["workspaces", ws, "cache", "purge"]) => cache::purge(admin, ws).await,

        ("PUT", ["workspaces", ws, "log-sink"]) => log_sink::put(admin, ws, body).await,
        ("GET", ["workspaces", ws, "log-sink"]) => log_sink::get(admin, ws).await,
        ("DELETE", ["workspaces", ws, "log-sink"]) => log_sink::delete(admin, ws).await,

        ("POST", ["workspaces", ws, "tokens"]) => members::create_token(admin, ws, body).await,
        ("GET", ["workspaces", ws, "tokens"]) => members::list_tokens(admin, ws).await,
        ("POST", ["workspaces", ws, "tokens", id, "revoke"]) => members::revoke_token(admin, ws, id).await,
        ("PUT", ["workspaces", ws, "members", email]) => members::put_member(admin, ws, email, body).await,
        ("GET", ["workspaces", ws, "members"]) => members::list_members(admin, ws).await,
        ("DELETE", ["workspaces", ws, "members", email]) => members::delete_member(admin, ws, email).await,

        ("GET", ["workspaces", ws, "audit-events"]) => logs::list_audit_events(admin, ws, query).await,
        ("GET", ["workspaces", ws, "logs"]) => logs::list_logs(admin, ws, query).await,
        ("GET", ["workspaces", ws, "logs", id]) => logs::get_log(admin, ws, id, query).await,

        ("GET", ["workspaces", ws, "analytics"]) => analytics::analytics(admin, ws, query).await,
        ("GET", ["workspaces", ws, "sessions"]) => sessions::list_sessions(admin, ws, query, false).await,
        ("GET", ["workspaces", ws, "sessions", id]) => sessions::get_session(admin, ws, id).await,
        ("GET", ["workspaces", ws, "runs"]) => sessions::list_sessions(admin, ws, query, true).await,
        ("GET", ["workspaces", ws, "agents", id, "summary"]) => sessions::agent_summary(admin, ws, id, query).await,

        _ => Err(unknown(method, segs)),
    }
}

fn unknown(method: &str, segs: &[&str]) -> GatewayError {
    GatewayError::not_found(
        ErrorCode::UnknownEndpoint,
        format!("No admin endpoint {method} /admin/{}. See schema/openapi.yaml.", segs.join("/")),
    )
}
