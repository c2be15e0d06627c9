//! Allow/deny decisions on which provider and model a key may call.

use super::glob;
use crate::api::error::{GatewayError, GatewayResult};
use crate::auth::principal::Principal;

/// Checks the key's provider allowlist alone (requests whose model is unknown).
pub fn check_provider(principal: &Principal, provider: &str) -> GatewayResult<()> {
    match &principal.allowed_providers {
        Some(providers) if !glob::any(providers, provider) => Err(GatewayError::forbidden(
            "provider_not_allowed",
            format!("This key may not use provider '{provider}' (allowed providers: {}).", providers.join(", ")),
        )),
        _ => Ok(()),
    }
}

/// Checks the key's provider and model allowlists. Model patterns are
/// matched against both `provider/model` and the bare model id, so
/// `gpt-4o*` and `openai/*` both work.
pub fn check_model(principal: &Principal, provider: &str, model_id: &str) -> GatewayResult<()> {
    check_provider(principal, provider).map_err(|e| e.with_param("model"))?;
    if let Some(models) = &principal.allowed_models {
        let qualified = format!("{provider}/{model_id}");
        if !glob::any(models, &qualified) && !glob::any(models, model_id) {
            return Err(GatewayError::forbidden(
                "model_not_allowed",
                format!("This key may not use model '{qualified}' (allowed models: {}).", models.join(", ")),
            )
            .with_param("model"));
        }
    }
    Ok(())
}

/// Whether the key may use a model at all (for `/v1/models` listings).
pub fn model_visible(principal: &Principal, provider: &str, model_id: &str) -> bool {
    check_model(principal, provider, model_id).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(models: Option<&[&str]>, providers: Option<&[&str]>) -> Principal {
        Principal {
            key_id: "vk_1".into(),
            workspace_id: "ws".into(),
            key_name: String::new(),
            agent_id: None,
            department: None,
            allowed_models: models.map(|m| m.iter().map(|s| s.to_string()).collect()),
            allowed_providers: providers.map(|m| m.iter().map(|s| s.to_string()).collect()),
            rate_limit: None,
            policy: serde_json::json!({}),
            expires_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn unrestricted_keys_may_call_anything() {
        assert!(check_model(&principal(None, None), "openai", "gpt-4o").is_ok());
    }

    #[test]
    fn model_patterns_match_qualified_or_bare() {
        let p = principal(Some(&["gpt-4o*", "anthropic/*"]), None);
        assert!(check_model(&p, "openai", "gpt-4o-mini").is_ok());
        assert!(check_model(&p, "anthropic", "claude-x").is_ok());
        let e = check_model(&p, "openai", "o3").unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (403, "model_not_allowed"));
        assert!(e.message.contains("openai/o3"));
    }

    #[test]
    fn provider_allowlist() {
        let p = principal(None, Some(&["openai"]));
        assert!(check_model(&p, "openai", "gpt-4o").is_ok());
        assert_eq!(check_model(&p, "mistral", "x").unwrap_err().code, "provider_not_allowed");
    }
}
