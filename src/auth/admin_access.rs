//! Who may do what on the admin API: workspace roles, the class of every
//! admin route, and the one decision between them. Pure, so the whole
//! role × route table is tested natively (docs/console.md has the table).

use crate::core::error::{ErrorCode, GatewayError};

/// A role inside one workspace, weakest first (the order is the ranking).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Developer,
    Admin,
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Developer, Role::Admin, Role::Owner];

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "developer" => Some(Role::Developer),
            "admin" => Some(Role::Admin),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Developer => "developer",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
}

/// Who is calling the admin API, once authenticated.
#[derive(Debug, Clone, PartialEq)]
pub enum Actor {
    /// The deployment's master key: every workspace, every action.
    Master,
    /// A workspace admin token or a signed-in member, bound to one workspace.
    Member(Membership),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub workspace_id: String,
    pub role: Role,
    pub read_bodies: bool,
    /// What audit events name: `token:<id>` or `member:<email>`.
    pub actor: String,
}

impl Actor {
    /// The audit `actor` column.
    pub fn audit_name(&self) -> &str {
        match self {
            Actor::Master => "master",
            Actor::Member(m) => &m.actor,
        }
    }

    pub fn role_name(&self) -> &'static str {
        match self {
            Actor::Master => "super_admin",
            Actor::Member(m) => m.role.as_str(),
        }
    }

    /// The workspace a member is bound to; None for the master key.
    pub fn workspace(&self) -> Option<&str> {
        match self {
            Actor::Master => None,
            Actor::Member(m) => Some(&m.workspace_id),
        }
    }

    /// A developer acts on the virtual keys it made only.
    pub fn only_own_keys(&self) -> bool {
        matches!(self, Actor::Member(m) if m.role == Role::Developer)
    }
}

/// What an admin route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Reading configuration, logs, analytics: every role.
    Read,
    /// Archived request/response bodies: admin and owner, or `read_bodies`.
    ReadBodies,
    /// A developer's work: own virtual keys, prompts, routers.
    Develop,
    /// Running the workspace: provider keys, policies, budgets, cache, domains, log sink.
    Manage,
    /// Who has access: admin tokens and members.
    Own,
    /// Across workspaces: creating one. The master key only.
    Master,
}

impl Need {
    fn least_role(self) -> Option<Role> {
        match self {
            Need::Read => Some(Role::Viewer),
            Need::ReadBodies => Some(Role::Admin),
            Need::Develop => Some(Role::Developer),
            Need::Manage => Some(Role::Admin),
            Need::Own => Some(Role::Owner),
            Need::Master => None,
        }
    }
}

/// The class of an admin route (`segs` are the path segments after `/admin`).
/// Unknown routes get the strictest class that fits their method, so a
/// route added later without a line here is never open by accident.
pub fn need(method: &str, segs: &[&str], query: &[(String, String)]) -> Need {
    let read = method == "GET" || method == "HEAD";
    match segs {
        ["workspaces"] if !read => Need::Master,
        ["providers"] | ["workspaces"] | ["workspaces", _] if read => Need::Read,
        ["workspaces", _, "tokens" | "members", ..] => Need::Own,
        ["workspaces", _, "logs", _] if query.iter().any(|(k, v)| k == "include" && v == "bodies") => Need::ReadBodies,
        ["workspaces", _, ..] if read => Need::Read,
        ["workspaces", _, "virtual-keys"] if method == "POST" => Need::Develop,
        ["workspaces", _, "virtual-keys", _, "revoke"] if method == "POST" => Need::Develop,
        ["workspaces", _, "prompts" | "routers", ..] => Need::Develop,
        ["workspaces", _, ..] => Need::Manage,
        _ if read => Need::Read,
        _ => Need::Master,
    }
}

/// The workspace a route is about, if any.
pub fn route_workspace<'a>(segs: &[&'a str]) -> Option<&'a str> {
    match segs {
        ["workspaces", ws, ..] => Some(ws),
        _ => None,
    }
}

/// May `actor` call a route of class `need` about workspace `ws`?
/// Another workspace is a 404 exactly like a missing one (no existence
/// oracle); a role too weak is a 403 naming the role that would do.
pub fn decide(actor: &Actor, ws: Option<&str>, need: Need) -> Result<(), GatewayError> {
    let Actor::Member(m) = actor else { return Ok(()) };
    if let Some(ws) = ws {
        if ws != m.workspace_id {
            return Err(workspace_not_found(ws));
        }
    }
    if need == Need::ReadBodies && m.read_bodies {
        return Ok(());
    }
    match need.least_role() {
        Some(least) if m.role >= least => Ok(()),
        Some(least) => Err(role_needed(m.role, least, need)),
        None => Err(GatewayError::forbidden(
            ErrorCode::RoleNotAllowed,
            "Only the deployment's master key can do this (it acts across workspaces).",
        )),
    }
}

pub fn workspace_not_found(ws: &str) -> GatewayError {
    GatewayError::not_found(ErrorCode::WorkspaceNotFound, format!("No workspace '{ws}'."))
}

fn role_needed(have: Role, least: Role, need: Need) -> GatewayError {
    let what = match need {
        Need::ReadBodies => " (or a token granted read_bodies)",
        _ => "",
    };
    GatewayError::forbidden(
        ErrorCode::RoleNotAllowed,
        format!("This needs the '{}' role or higher{what}; this token has '{}'.", least.as_str(), have.as_str()),
    )
}

/// A developer may create virtual keys that narrow what they can do, never
/// ones that pick a policy: these fields are for admins.
pub const DEVELOPER_KEY_FIELDS: &[&str] = &["name", "expires_at", "allowed_models", "allowed_providers"];

/// Refuses a developer's virtual-key body that sets any other field.
pub fn check_developer_key_body(actor: &Actor, body: &serde_json::Value) -> Result<(), GatewayError> {
    if !actor.only_own_keys() {
        return Ok(());
    }
    let Some(obj) = body.as_object() else { return Ok(()) };
    match obj.iter().find(|(k, v)| !v.is_null() && !DEVELOPER_KEY_FIELDS.contains(&k.as_str())) {
        Some((field, _)) => Err(GatewayError::forbidden(
            ErrorCode::RoleNotAllowed,
            format!(
                "Setting '{field}' on a virtual key needs the 'admin' role or higher; a developer may set {}.",
                DEVELOPER_KEY_FIELDS.join(", ")
            ),
        )
        .with_param(field)),
        None => Ok(()),
    }
}

/// A workspace member's e-mail as stored and compared: trimmed, lower case,
/// one '@' with text on both sides, no spaces or control characters.
pub fn normalise_email(email: &str) -> Option<String> {
    let e = email.trim().to_ascii_lowercase();
    let (local, domain) = e.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/');
    ok.then_some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Role, read_bodies: bool) -> Actor {
        Actor::Member(Membership { workspace_id: "ws_a".into(), role, read_bodies, actor: "token:wt_1".into() })
    }

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// One line per action class: the route, and the least role that may call it.
    const TABLE: &[(&str, &str, Option<Role>)] = &[
        ("GET", "providers", Some(Role::Viewer)),
        ("GET", "workspaces", Some(Role::Viewer)),
        ("POST", "workspaces", None),
        ("GET", "workspaces/ws_a", Some(Role::Viewer)),
        ("GET", "workspaces/ws_a/logs", Some(Role::Viewer)),
        ("GET", "workspaces/ws_a/logs/r1", Some(Role::Viewer)),
        ("GET", "workspaces/ws_a/analytics", Some(Role::Viewer)),
        ("GET", "workspaces/ws_a/audit-events", Some(Role::Viewer)),
        ("GET", "workspaces/ws_a/virtual-keys", Some(Role::Viewer)),
        ("GET", "workspaces/ws_a/provider-keys", Some(Role::Viewer)),
        ("POST", "workspaces/ws_a/virtual-keys", Some(Role::Developer)),
        ("POST", "workspaces/ws_a/virtual-keys/vk_1/revoke", Some(Role::Developer)),
        ("PATCH", "workspaces/ws_a/virtual-keys/vk_1", Some(Role::Admin)),
        ("POST", "workspaces/ws_a/prompts", Some(Role::Developer)),
        ("POST", "workspaces/ws_a/prompts/p/versions", Some(Role::Developer)),
        ("PUT", "workspaces/ws_a/routers/r", Some(Role::Developer)),
        ("DELETE", "workspaces/ws_a/routers/r", Some(Role::Developer)),
        ("POST", "workspaces/ws_a/provider-keys", Some(Role::Admin)),
        ("DELETE", "workspaces/ws_a/provider-keys/pk_1", Some(Role::Admin)),
        ("PATCH", "workspaces/ws_a/provider-keys/pk_1", Some(Role::Admin)),
        ("POST", "workspaces/ws_a/providers", Some(Role::Admin)),
        ("PUT", "workspaces/ws_a/policies/key/vk_1", Some(Role::Admin)),
        ("POST", "workspaces/ws_a/budgets", Some(Role::Admin)),
        ("POST", "workspaces/ws_a/agents", Some(Role::Admin)),
        ("POST", "workspaces/ws_a/domains", Some(Role::Admin)),
        ("POST", "workspaces/ws_a/cache/purge", Some(Role::Admin)),
        ("PUT", "workspaces/ws_a/log-sink", Some(Role::Admin)),
        ("GET", "workspaces/ws_a/tokens", Some(Role::Owner)),
        ("POST", "workspaces/ws_a/tokens", Some(Role::Owner)),
        ("POST", "workspaces/ws_a/tokens/wt_1/revoke", Some(Role::Owner)),
        ("GET", "workspaces/ws_a/members", Some(Role::Owner)),
        ("PUT", "workspaces/ws_a/members/a@b.co", Some(Role::Owner)),
        // A route nobody classified yet: writes need admin, never less.
        ("POST", "workspaces/ws_a/something-new", Some(Role::Admin)),
        ("POST", "elsewhere", None),
    ];

    #[test]
    fn every_role_meets_exactly_the_routes_its_rank_allows() {
        for (method, path, least) in TABLE {
            let segs: Vec<&str> = path.split('/').collect();
            let need = need(method, &segs, &[]);
            for role in Role::ALL {
                let allowed = decide(&member(role, false), route_workspace(&segs), need).is_ok();
                let expected = least.is_some_and(|l| role >= l);
                assert_eq!(allowed, expected, "{role:?} {method} /admin/{path}");
            }
            assert!(decide(&Actor::Master, route_workspace(&segs), need).is_ok(), "master {method} {path}");
        }
    }

    #[test]
    fn another_workspace_is_not_found_for_every_role_and_class() {
        for (method, path, _) in TABLE {
            let other = path.replace("ws_a", "ws_b");
            let segs: Vec<&str> = other.split('/').collect();
            let Some(ws) = route_workspace(&segs) else { continue };
            for role in Role::ALL {
                let e = decide(&member(role, true), Some(ws), need(method, &segs, &[])).unwrap_err();
                assert_eq!((e.status, e.code.clone()), (404, ErrorCode::WorkspaceNotFound), "{role:?} {method} {other}");
            }
        }
    }

    #[test]
    fn bodies_need_admin_or_the_grant() {
        let segs = ["workspaces", "ws_a", "logs", "r1"];
        let need = need("GET", &segs, &q(&[("include", "bodies")]));
        assert_eq!(need, Need::ReadBodies);
        assert!(decide(&member(Role::Viewer, false), Some("ws_a"), need).is_err());
        assert!(decide(&member(Role::Developer, false), Some("ws_a"), need).is_err());
        assert!(decide(&member(Role::Viewer, true), Some("ws_a"), need).is_ok());
        assert!(decide(&member(Role::Admin, false), Some("ws_a"), need).is_ok());
    }

    #[test]
    fn refusals_name_the_role_needed() {
        let e = decide(&member(Role::Viewer, false), Some("ws_a"), Need::Manage).unwrap_err();
        assert_eq!(e.status, 403);
        assert!(e.message.contains("'admin'") && e.message.contains("'viewer'"), "{}", e.message);
    }

    #[test]
    fn developers_may_only_narrow_their_keys() {
        let dev = member(Role::Developer, false);
        let ok = serde_json::json!({ "name": "k", "allowed_models": ["gpt-*"], "expires_at": 9, "policy": null });
        assert!(check_developer_key_body(&dev, &ok).is_ok());
        for field in ["policy", "rate_limit", "department", "agent_id"] {
            let body = serde_json::json!({ "name": "k", field: "x" });
            let e = check_developer_key_body(&dev, &body).unwrap_err();
            assert_eq!(e.param.as_deref(), Some(field));
        }
        assert!(check_developer_key_body(&member(Role::Admin, false), &serde_json::json!({ "policy": {} })).is_ok());
    }

    #[test]
    fn emails_are_normalised_or_refused() {
        assert_eq!(normalise_email("  Ada@Example.COM ").as_deref(), Some("ada@example.com"));
        for bad in ["", "ada", "@example.com", "ada@", "ada@example", "a b@c.de", "a@b@c.de", "a@.de", "a/b@c.de"] {
            assert_eq!(normalise_email(bad), None, "{bad}");
        }
    }
}
