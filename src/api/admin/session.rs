//! `/admin/session`: the console's log in (a workspace token or the master
//! key, or Cloudflare Access directly), who is logged in, and log out. The
//! session lives in D1 (`console_sessions`, by hash); the browser holds it
//! in an `HttpOnly; Secure; SameSite=Strict` cookie and sends its CSRF
//! token on every state-changing call.

use super::access::{self, Caller, Via};
use super::audit;
use super::support::Admin;
use crate::auth::bearer;
use crate::auth::console_session::{self, master_fingerprint, Subject};
use crate::auth::secrets::secrets_equal;
use crate::core::error::{ErrorCode, GatewayError, GatewayResult};
use crate::runtime::http::header;
use crate::runtime::random_bytes;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    token: String,
}

/// `POST /admin/session` `{"token": …}` → 201 with the principal and the
/// CSRF token, and the session cookie.
pub async fn login(admin: &mut Admin, body: &[u8]) -> GatewayResult<Response> {
    let login: Login = super::input::parse(body)?;
    let token = login.token.trim();
    let (actor, principal) = access::resolve_bearer(admin, token).await?;
    let subject = match &principal["kind"].as_str() {
        Some("token") => Subject::Token(principal["id"].as_str().unwrap_or_default().to_string()),
        _ => Subject::Master(master_fingerprint(&access::master_key(admin)?)),
    };
    admin.actor = actor;
    start(admin, subject, principal).await
}

/// `GET /admin/session`: the logged-in principal, or — with Cloudflare
/// Access configured and its assertion present — a new session for it.
pub async fn current(admin: &mut Admin, req: &Request) -> GatewayResult<Response> {
    if let Some(session) = console_session::from_cookie_header(header(req, "cookie").as_deref()) {
        if let Ok(Caller { principal, .. }) = access::authenticate(admin, req, None).await {
            return Ok(admin.ok(200, &session_body(principal, session, None)));
        }
        // A dead cookie falls through to Access, else to 401.
    }
    if let Some(email) = access::access_email(admin, req).await? {
        let subject = Subject::Member(email);
        let (actor, principal) = access::resolve_subject(admin, &subject, None).await?;
        admin.actor = actor;
        return start(admin, subject, principal).await;
    }
    Err(GatewayError::unauthorized(ErrorCode::SessionExpired, "Not logged in."))
}

/// `DELETE /admin/session` (with the CSRF token): ends the session.
pub async fn logout(admin: &mut Admin, req: &Request) -> GatewayResult<Response> {
    let caller = access::authenticate(admin, req, None).await?;
    let Via::Session(session) = &caller.via else {
        return Err(GatewayError::invalid_request(ErrorCode::InvalidValue, "There is no console session on this request to end."));
    };
    check_csrf(req, session)?;
    admin.actor = caller.actor;
    let end = admin.stmt(
        "UPDATE console_sessions SET revoked_at = ?1 WHERE id_hash = ?2 AND revoked_at IS NULL",
        &[admin.now.into(), console_session::id_hash(session).into()],
    )?;
    let event = audit::event(admin, admin.actor.workspace(), "session.ended", "session", caller.principal["id"].as_str().unwrap_or(""), json!({}))?;
    admin.batch(vec![end, event]).await?;
    let mut resp = Response::empty().map_err(|_| GatewayError::internal(ErrorCode::ResponseBuild))?.with_status(204);
    let _ = resp.headers_mut().set("set-cookie", &console_session::clear_cookie());
    Ok(resp)
}

/// A state-changing call from a browser carries the session's CSRF token.
pub fn check_csrf(req: &Request, session: &str) -> GatewayResult<()> {
    let sent = header(req, console_session::CSRF_HEADER).unwrap_or_default();
    if secrets_equal(&sent, &console_session::csrf_token(session)) {
        Ok(())
    } else {
        Err(csrf_refused())
    }
}

pub fn csrf_refused() -> GatewayError {
    GatewayError::forbidden(
        ErrorCode::CsrfTokenInvalid,
        "A state-changing call from the console needs the session's 'x-csrf-token' header (from GET /admin/session).",
    )
}

async fn start(admin: &Admin, subject: Subject, principal: Value) -> GatewayResult<Response> {
    let random = random_bytes::<{ bearer::RANDOM_BYTES }>().map_err(|_| GatewayError::internal(ErrorCode::RandomnessUnavailable))?;
    let session = console_session::generate(&random);
    let expires_at = admin.now + console_session::TTL_MS;
    let insert = admin.stmt(
        "INSERT INTO console_sessions (id_hash, subject, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        &[console_session::id_hash(&session).into(), subject.encode().into(), admin.now.into(), expires_at.into()],
    )?;
    // Sessions past their end are removed as new ones start: the table stays small.
    let sweep = admin.stmt("DELETE FROM console_sessions WHERE expires_at < ?1", &[admin.now.into()])?;
    let event = audit::event(admin, admin.actor.workspace(), "session.started", "session", principal["id"].as_str().unwrap_or(""), json!({}))?;
    admin.batch(vec![insert, sweep, event]).await?;
    let mut resp = admin.ok(201, &session_body(principal, &session, Some(expires_at)));
    let _ = resp.headers_mut().set("set-cookie", &console_session::set_cookie(&session));
    Ok(resp)
}

fn session_body(principal: Value, session: &str, expires_at: Option<u64>) -> Value {
    json!({
        "object": "session",
        "principal": principal,
        "csrf_token": console_session::csrf_token(session),
        "expires_at": expires_at,
    })
}
