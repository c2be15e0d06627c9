//! Who is calling the admin API: the master key, a workspace admin token,
//! a console session cookie, or a Cloudflare Access assertion — resolved to
//! an `Actor` (crate::auth::admin_access decides what it may do).

use super::support::Admin;
use crate::auth::access_jwt;
use crate::auth::admin_access::{workspace_not_found, Actor, Membership, Role};
use crate::auth::console_session::{self, master_fingerprint, Subject};
use crate::auth::secrets::{master_key_problem, secrets_equal};
use crate::auth::{bearer, virtual_key};
use crate::core::error::{ErrorCode, ErrorType, GatewayError, GatewayResult};
use crate::core::headers::bearer_token;
use crate::runtime::config::secret;
use crate::runtime::http::header;
use serde_json::{json, Value};
use worker::Request;

pub const TOKEN_PREFIX: &str = "wt-";

/// How the caller proved who it is: a browser's proofs (cookie, Access)
/// need a CSRF token on state-changing calls; a bearer token does not.
pub enum Via {
    Bearer,
    Session(String),
    Access,
}

pub struct Caller {
    pub actor: Actor,
    pub via: Via,
    /// What the console shows about the caller (`GET /admin/session`).
    pub principal: Value,
}

/// Authenticates an admin call. `ws` is the workspace the route is about: a
/// member signed in through Access is resolved in that workspace.
pub async fn authenticate(admin: &Admin, req: &Request, ws: Option<&str>) -> GatewayResult<Caller> {
    let authorization = header(req, "authorization");
    if let Some(token) = bearer_token(authorization.as_deref(), None) {
        let (actor, principal) = resolve_bearer(admin, token).await?;
        return Ok(Caller { actor, via: Via::Bearer, principal });
    }
    let cookie = header(req, "cookie");
    if let Some(session) = console_session::from_cookie_header(cookie.as_deref()) {
        let subject = session_subject(admin, session).await?;
        let (actor, principal) = resolve_subject(admin, &subject, ws).await?;
        return Ok(Caller { actor, via: Via::Session(session.to_string()), principal });
    }
    if let Some(email) = access_email(admin, req).await? {
        let (actor, principal) = resolve_subject(admin, &Subject::Member(email), ws).await?;
        return Ok(Caller { actor, via: Via::Access, principal });
    }
    Err(GatewayError::unauthorized(
        ErrorCode::MissingApiKey,
        "The admin API needs 'Authorization: Bearer <master key or workspace token>' (or a console session).",
    ))
}

/// True when a failed authentication should count against the caller's IP.
pub fn is_guess(e: &GatewayError) -> bool {
    matches!(e.code, ErrorCode::InvalidMasterKey | ErrorCode::InvalidAdminToken)
}

/// A bearer token: a workspace token (`wt-…`) or the master key.
pub async fn resolve_bearer(admin: &Admin, token: &str) -> GatewayResult<(Actor, Value)> {
    if token.starts_with(TOKEN_PREFIX) {
        if !bearer::is_well_formed(TOKEN_PREFIX, token) {
            return Err(invalid_token());
        }
        let row = admin
            .row(&format!("SELECT {TOKEN_COLUMNS} FROM workspace_tokens WHERE token_hash = ?1"), &[virtual_key::hash(token).into()])
            .await?
            .ok_or_else(invalid_token)?;
        return membership_of_token(admin, &row).await;
    }
    let master = master_key(admin)?;
    if secrets_equal(token, &master) {
        Ok((Actor::Master, master_principal()))
    } else {
        Err(GatewayError::unauthorized(ErrorCode::InvalidMasterKey, "The admin API needs the master key or a workspace token."))
    }
}

/// The master key, or why the admin API cannot use one.
pub fn master_key(admin: &Admin) -> GatewayResult<String> {
    let Some(master) = secret(&admin.env, "MASTER_KEY") else {
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
    Ok(master)
}

fn master_principal() -> Value {
    json!({ "kind": "master", "id": "master", "name": "master key", "workspace_id": null, "role": "super_admin", "read_bodies": true, "email": null })
}

fn invalid_token() -> GatewayError {
    GatewayError::unauthorized(ErrorCode::InvalidAdminToken, "This workspace token is not valid.")
}

const TOKEN_COLUMNS: &str = "id, workspace_id, name, role, read_bodies, expires_at, revoked_at, last_used_at";

async fn membership_of_token(admin: &Admin, row: &Value) -> GatewayResult<(Actor, Value)> {
    let id = row["id"].as_str().unwrap_or_default();
    if row["revoked_at"].is_number() {
        return Err(GatewayError::unauthorized(ErrorCode::InvalidAdminToken, "This workspace token has been revoked."));
    }
    if row["expires_at"].as_f64().is_some_and(|t| t as u64 <= admin.now) {
        return Err(GatewayError::unauthorized(ErrorCode::AdminTokenExpired, "This workspace token has expired."));
    }
    let role = row["role"].as_str().and_then(Role::parse).ok_or_else(invalid_token)?;
    let workspace_id = row["workspace_id"].as_str().unwrap_or_default().to_string();
    let read_bodies = row["read_bodies"].as_f64() == Some(1.0);
    // Last use, to the minute: one write a minute per token, not one per call.
    if row["last_used_at"].as_f64().is_none_or(|t| (t as u64) + 60_000 < admin.now) {
        let _ = admin.stmt("UPDATE workspace_tokens SET last_used_at = ?1 WHERE id = ?2", &[admin.now.into(), id.into()])?.run().await;
    }
    let principal = json!({
        "kind": "token", "id": id, "name": row["name"], "workspace_id": workspace_id,
        "role": role.as_str(), "read_bodies": read_bodies, "email": null,
    });
    let actor = Actor::Member(Membership { workspace_id, role, read_bodies, actor: format!("token:{id}") });
    Ok((actor, principal))
}

/// The live subject of a session cookie.
async fn session_subject(admin: &Admin, session: &str) -> GatewayResult<Subject> {
    let row = admin
        .row(
            "SELECT subject, expires_at, revoked_at FROM console_sessions WHERE id_hash = ?1",
            &[console_session::id_hash(session).into()],
        )
        .await?;
    let ended = || GatewayError::unauthorized(ErrorCode::SessionExpired, "The console session has ended; log in again.");
    let row = row.ok_or_else(ended)?;
    if row["revoked_at"].is_number() || row["expires_at"].as_f64().is_none_or(|t| t as u64 <= admin.now) {
        return Err(ended());
    }
    row["subject"].as_str().and_then(Subject::parse).ok_or_else(ended)
}

/// What a session or an Access e-mail stands for, checked now.
pub async fn resolve_subject(admin: &Admin, subject: &Subject, ws: Option<&str>) -> GatewayResult<(Actor, Value)> {
    match subject {
        Subject::Master(fp) => {
            let master = master_key(admin)?;
            if master_fingerprint(&master) != *fp {
                return Err(GatewayError::unauthorized(ErrorCode::SessionExpired, "The master key has changed; log in again."));
            }
            Ok((Actor::Master, master_principal()))
        }
        Subject::Token(id) => {
            let row = admin
                .row(&format!("SELECT {TOKEN_COLUMNS} FROM workspace_tokens WHERE id = ?1"), &[id.as_str().into()])
                .await?
                .ok_or_else(invalid_token)?;
            membership_of_token(admin, &row).await
        }
        Subject::Member(email) => membership_of_email(admin, email, ws).await,
    }
}

async fn membership_of_email(admin: &Admin, email: &str, ws: Option<&str>) -> GatewayResult<(Actor, Value)> {
    let row = match ws {
        Some(ws) => admin
            .row("SELECT workspace_id, role, read_bodies FROM workspace_members WHERE email = ?1 AND workspace_id = ?2", &[email.into(), ws.into()])
            .await?
            // Another workspace reads exactly like one that does not exist.
            .ok_or_else(|| workspace_not_found(ws))?,
        None => admin
            .row("SELECT workspace_id, role, read_bodies FROM workspace_members WHERE email = ?1 ORDER BY created_at LIMIT 1", &[email.into()])
            .await?
            .ok_or_else(|| GatewayError::forbidden(ErrorCode::NotAMember, format!("{email} is not a member of any workspace; ask an owner to add you.")))?,
    };
    let role = row["role"].as_str().and_then(Role::parse).unwrap_or(Role::Viewer);
    let workspace_id = row["workspace_id"].as_str().unwrap_or_default().to_string();
    let read_bodies = row["read_bodies"].as_f64() == Some(1.0);
    let principal = json!({
        "kind": "member", "id": email, "name": email, "workspace_id": workspace_id,
        "role": role.as_str(), "read_bodies": read_bodies, "email": email,
    });
    Ok((Actor::Member(Membership { workspace_id, role, read_bodies, actor: format!("member:{email}") }), principal))
}

/// The e-mail of a verified Cloudflare Access assertion, when Access is
/// configured (`ACCESS_TEAM_DOMAIN`, `ACCESS_AUD`) and the header is present.
pub async fn access_email(admin: &Admin, req: &Request) -> GatewayResult<Option<String>> {
    let (Some(team), Some(aud)) = (secret(&admin.env, "ACCESS_TEAM_DOMAIN"), secret(&admin.env, "ACCESS_AUD")) else {
        return Ok(None);
    };
    let Some(jwt) = header(req, access_jwt::HEADER) else { return Ok(None) };
    let refused = |why: &str| GatewayError::unauthorized(ErrorCode::AccessJwtInvalid, format!("Cloudflare Access sign-in refused: {why}."));
    let assertion = access_jwt::parse(&jwt).map_err(refused)?;
    let email = assertion.check(&aud, &team, admin.now / 1000).map_err(refused)?.to_string();
    crate::store::access_keys::verify(&team, &assertion, admin.now).await.map_err(refused)?;
    crate::auth::admin_access::normalise_email(&email).map(Some).ok_or_else(|| refused("the e-mail is not valid"))
}
