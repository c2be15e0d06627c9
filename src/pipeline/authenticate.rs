//! Stage 1: the virtual key → its principal and workspace. Refuses missing,
//! unknown, revoked and expired keys (401), and a key used on another
//! workspace's custom domain.

use super::context::RequestContext;
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::core::headers;
use crate::auth::principal::{self, Principal};
use crate::auth::secrets::secrets_equal;
use crate::auth::virtual_key;
use crate::governance::auth_throttle;
use crate::routing::zero_config;
use crate::runtime::config::{secret, Config};
use crate::store::config as store;
use std::rc::Rc;
use crate::runtime::client_request::ClientRequest;
use worker::Env;

/// `query_key`: a key given as `?key=` (Gemini-style REST clients), used
/// only when no header carries one.
pub async fn authenticate(
    req: &ClientRequest,
    env: &Env,
    cfg: &Config,
    rc: &mut RequestContext,
    query_key: Option<&str>,
) -> GatewayResult<Rc<Principal>> {
    let token = headers::client_token(req.header("authorization"), req.header("x-api-key"), req.header("x-goog-api-key"))
        .or(query_key)
        .ok_or_else(principal::missing_key)?;
    let principal = match secret(env, "MASTER_KEY") {
        // Zero-config mode: the master key serves the default workspace.
        Some(master) if !token.starts_with(virtual_key::PREFIX) && secrets_equal(token, &master) => {
            Rc::new(Principal::master(zero_config::DEFAULT_WORKSPACE))
        }
        _ => principal_for(env, cfg, token, rc).await?,
    };

    if let Some(host) = req.header("host") {
        if let Some(domain_ws) = store::workspace_for_host(env, cfg, &host, rc.started_ms).await? {
            if domain_ws != principal.workspace_id {
                return Err(GatewayError::unauthorized(
                    ErrorCode::KeyNotValidForDomain,
                    "This virtual key does not belong to the workspace served at this domain.",
                ));
            }
        }
    }
    rc.workspace_id = Some(principal.workspace_id.clone());
    rc.key_id = Some(principal.key_id.clone());
    rc.agent_id = principal.agent_id.clone();
    rc.department = principal.department.clone();
    Ok(principal)
}

/// A token's principal: from the isolate when it knows the token; else,
/// unless the client's IP is blocked for failed authentications, from D1 —
/// and a token D1 does not know counts against that IP.
async fn principal_for(env: &Env, cfg: &Config, token: &str, rc: &RequestContext) -> GatewayResult<Rc<Principal>> {
    if let Some(known) = store::cached_principal(token, rc.started_ms) {
        return known;
    }
    let ip = rc.meta.client_ip.as_deref();
    auth_throttle::check(ip, rc.started_ms)?;
    match store::principal_by_token(env, cfg, token, rc.started_ms).await {
        Err(e) if e.code == ErrorCode::InvalidApiKey => {
            auth_throttle::record_failure(env, ip, &rc.id, rc.started_ms).await?;
            Err(e)
        }
        other => other,
    }
}
