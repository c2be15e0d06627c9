//! Who is calling: the virtual key's row from D1, checked and parsed once
//! when it enters the isolate cache.

use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use serde::Deserialize;

/// A `virtual_keys` row joined with its workspace, as D1 returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyRow {
    pub id: String,
    pub workspace_id: String,
    #[serde(default)]
    pub name: String,
    pub agent_id: Option<String>,
    pub department: Option<String>,
    pub allowed_models: Option<String>,
    pub allowed_providers: Option<String>,
    pub rate_limit: Option<String>,
    #[serde(default)]
    pub policy: Option<String>,
    pub expires_at: Option<f64>,
    pub revoked_at: Option<f64>,
}

/// The principal id of the master key when it is used for inference.
pub const MASTER_KEY_ID: &str = "master";

#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub key_id: String,
    pub workspace_id: String,
    pub key_name: String,
    pub agent_id: Option<String>,
    pub department: Option<String>,
    /// Glob patterns; `None` = any.
    pub allowed_models: Option<Vec<String>>,
    pub allowed_providers: Option<Vec<String>>,
    pub rate_limit: Option<String>,
    pub policy: serde_json::Value,
    pub expires_at: Option<u64>,
    pub revoked_at: Option<u64>,
}

fn json_list(text: Option<&str>) -> Option<Vec<String>> {
    text.and_then(|t| serde_json::from_str::<Vec<String>>(t).ok())
}

impl From<KeyRow> for Principal {
    fn from(r: KeyRow) -> Principal {
        Principal {
            allowed_models: json_list(r.allowed_models.as_deref()),
            allowed_providers: json_list(r.allowed_providers.as_deref()),
            policy: r
                .policy
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or(serde_json::Value::Object(Default::default())),
            expires_at: r.expires_at.map(|t| t as u64),
            revoked_at: r.revoked_at.map(|t| t as u64),
            key_id: r.id,
            workspace_id: r.workspace_id,
            key_name: r.name,
            agent_id: r.agent_id,
            department: r.department,
            rate_limit: r.rate_limit,
        }
    }
}

impl Principal {
    /// The master key used on `/v1` (zero-config mode): the default
    /// workspace, every model, no limits of its own.
    pub fn master(workspace_id: &str) -> Principal {
        Principal {
            key_id: MASTER_KEY_ID.to_string(),
            workspace_id: workspace_id.to_string(),
            key_name: "master key".to_string(),
            agent_id: None,
            department: None,
            allowed_models: None,
            allowed_providers: None,
            rate_limit: None,
            policy: serde_json::json!({}),
            expires_at: None,
            revoked_at: None,
        }
    }

    /// A revoked or expired key is refused like an unknown one (401), with a
    /// message that says which, so its owner knows what to do.
    pub fn check_usable(&self, now_ms: u64) -> GatewayResult<()> {
        if self.revoked_at.is_some() {
            return Err(GatewayError::unauthorized(ErrorCode::KeyRevoked, "This virtual key has been revoked."));
        }
        if self.expires_at.is_some_and(|t| t <= now_ms) {
            return Err(GatewayError::unauthorized(ErrorCode::KeyExpired, "This virtual key has expired."));
        }
        Ok(())
    }
}

pub fn missing_key() -> GatewayError {
    GatewayError::unauthorized(
        ErrorCode::MissingApiKey,
        "No API key provided. Send your virtual key as 'Authorization: Bearer vk-…'.",
    )
}

pub fn invalid_key() -> GatewayError {
    GatewayError::unauthorized(ErrorCode::InvalidApiKey, "Incorrect API key provided. Use a virtual key issued by this gateway.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> KeyRow {
        KeyRow {
            id: "vk_1".into(),
            workspace_id: "ws_1".into(),
            name: "ci".into(),
            agent_id: None,
            department: Some("research".into()),
            allowed_models: Some(r#"["openai/*","claude-*"]"#.into()),
            allowed_providers: None,
            rate_limit: None,
            policy: Some(r#"{"max_tokens":1000}"#.into()),
            expires_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn parses_lists_and_policy() {
        let p = Principal::from(row());
        assert_eq!(p.allowed_models.as_deref(), Some(&["openai/*".to_string(), "claude-*".to_string()][..]));
        assert_eq!(p.allowed_providers, None);
        assert_eq!(p.policy["max_tokens"], 1000);
    }

    #[test]
    fn revoked_and_expired_keys_are_refused() {
        let mut p = Principal::from(row());
        assert!(p.check_usable(10).is_ok());
        p.expires_at = Some(10);
        assert_eq!(p.check_usable(10).unwrap_err().code, "key_expired");
        assert!(p.check_usable(9).is_ok());
        p.revoked_at = Some(1);
        let e = p.check_usable(0).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (401, "key_revoked"));
    }
}
