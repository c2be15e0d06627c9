//! The admin route table: one match from (method, path) to a handler.

use super::support::Admin;
use super::{analytics, cache, governance, log_sink, logs, prompts, resources, routers, sessions};
use crate::core::error::{ErrorType, GatewayError, GatewayResult, ErrorCode};
use crate::core::headers::bearer_token;
use crate::auth::secrets::{master_key_problem, secrets_equal};
use crate::governance::auth_throttle;
use crate::runtime::config::secret;
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
    let admin = Admin { env: env.clone(), db, now: now_ms(), request_id };
    // Guessing the master key counts against the client's IP like guessing virtual keys.
    let ip = header(&req, "cf-connecting-ip");
    if let Err(e) = auth_throttle::check(ip.as_deref(), admin.now) {
        return admin.err(&e);
    }
    if let Err(e) = authorize(&req, env) {
        if e.code == ErrorCode::InvalidMasterKey {
            if let Err(throttled) = auth_throttle::record_failure(env, ip.as_deref(), &admin.request_id, admin.now).await {
                return admin.err(&throttled);
            }
        }
        return admin.err(&e);
    }
    let method = req.method().to_string();
    let query: Vec<(String, String)> = req.url().map(|u| u.query_pairs().into_owned().collect()).unwrap_or_default();
    let body = if method == "POST" || method == "PATCH" || method == "PUT" {
        match req.bytes().await {
            Ok(b) => b,
            Err(_) => return admin.err(&GatewayError::invalid_request(ErrorCode::UnreadableBody, "The request body could not be read.")),
        }
    } else {
        Vec::new()
    };
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match route(&admin, &method, &segs, &query, &body).await {
        Ok(resp) => resp,
        Err(e) => admin.err(&e),
    }
}

fn authorize(req: &Request, env: &Env) -> GatewayResult<()> {
    let Some(master) = secret(env, "MASTER_KEY") else {
        return Err(GatewayError::new(
            503,
            ErrorType::ApiError,
            ErrorCode::AdminDisabled,
            "The admin API is disabled: the MASTER_KEY secret is not set.",
        ));
    };
    if let Some(why) = master_key_problem(&master) {
        return Err(GatewayError::new(503, ErrorType::ApiError, ErrorCode::MasterKeyTooShort, why));
    }
    let auth = header(req, "authorization");
    match bearer_token(auth.as_deref(), None) {
        Some(token) if secrets_equal(token, &master) => Ok(()),
        Some(_) => Err(GatewayError::unauthorized(ErrorCode::InvalidMasterKey, "The admin API needs the master key.")),
        None => Err(GatewayError::unauthorized(
            ErrorCode::MissingApiKey,
            "The admin API needs 'Authorization: Bearer <master key>'.",
        )),
    }
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
