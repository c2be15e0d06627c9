//! `/v1/models`: the models a key may call — catalog models of providers
//! its workspace has credentials for, filtered by the key's policy — named
//! `provider/model` so every listed id can be sent back as `model`.

use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::catalog::{catalog, resolve::resolve, ModelMode};
use crate::governance::scope_policy::EffectivePolicy;
use crate::store::records::WorkspaceConfig;
use serde::Serialize;

#[derive(Debug, Serialize, PartialEq)]
pub struct ModelObject {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub owned_by: String,
    /// Gateway extension: chat, embedding, image, …
    pub mode: ModelMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct ModelList {
    pub object: &'static str,
    pub data: Vec<ModelObject>,
}

pub fn list(policy: &EffectivePolicy, workspace: &WorkspaceConfig) -> ModelList {
    let mut data = Vec::new();
    let providers = workspace.custom_providers.iter().chain(catalog().providers().iter());
    for provider in providers.filter(|p| workspace.has_provider(&p.id)) {
        for m in &provider.models {
            if policy.check_model(&provider.id, &m.id).is_ok() {
                data.push(ModelObject {
                    id: format!("{}/{}", provider.id, m.id),
                    object: "model",
                    created: 0,
                    owned_by: provider.id.clone(),
                    mode: m.mode,
                    context_window: m.context,
                });
            }
        }
    }
    ModelList { object: "list", data }
}

pub fn retrieve(policy: &EffectivePolicy, workspace: &WorkspaceConfig, id: &str) -> GatewayResult<ModelObject> {
    let r = resolve(catalog(), &workspace.custom_providers, id)?;
    let not_found = || {
        GatewayError::not_found(ErrorCode::ModelNotFound, format!("The model '{id}' is not available to this key."))
            .with_param("model")
    };
    let m = r.model.ok_or_else(not_found)?;
    if !workspace.has_provider(&r.provider.id) || policy.check_model(&r.provider.id, &m.id).is_err() {
        return Err(not_found());
    }
    Ok(ModelObject {
        id: r.qualified(),
        object: "model",
        created: 0,
        owned_by: r.provider.id.clone(),
        mode: m.mode,
        context_window: m.context,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::principal::Principal;
    use crate::store::records::ProviderCredential;

    fn principal(models: Option<Vec<String>>) -> Principal {
        Principal {
            key_id: "vk".into(),
            workspace_id: "ws".into(),
            key_name: String::new(),
            agent_id: None,
            department: None,
            allowed_models: models,
            allowed_providers: None,
            rate_limit: None,
            policy: serde_json::json!({}),
            expires_at: None,
            revoked_at: None,
        }
    }

    fn ws() -> WorkspaceConfig {
        WorkspaceConfig {
            workspace_id: "ws".into(),
            credentials: vec![ProviderCredential {
                id: "pk".into(),
                provider: "openai".into(),
                name: String::new(),
                secret: Some("sk".into()),
                base_url: None,
                config: serde_json::json!({}),
            }],
            custom_providers: vec![],
            policies: vec![],
            budgets: vec![],
            cache_generation: 0,
        }
    }

    #[test]
    fn lists_only_configured_providers_and_allowed_models() {
        let all = list(&EffectivePolicy::of_key(&principal(None)), &ws());
        assert!(all.data.iter().any(|m| m.id == "openai/gpt-4o"));
        assert!(all.data.iter().all(|m| m.owned_by == "openai"));
        let some = list(&EffectivePolicy::of_key(&principal(Some(vec!["gpt-4o-mini*".into()]))), &ws());
        assert!(!some.data.is_empty());
        assert!(some.data.iter().all(|m| m.id.starts_with("openai/gpt-4o-mini")));
    }

    #[test]
    fn retrieve_respects_the_same_rules() {
        assert_eq!(retrieve(&EffectivePolicy::of_key(&principal(None)), &ws(), "openai/gpt-4o").unwrap().id, "openai/gpt-4o");
        assert_eq!(retrieve(&EffectivePolicy::of_key(&principal(None)), &ws(), "gpt-4o").unwrap().id, "openai/gpt-4o");
        assert_eq!(retrieve(&EffectivePolicy::of_key(&principal(None)), &ws(), "mistral/mistral-large-latest").unwrap_err().status, 404);
        assert_eq!(retrieve(&EffectivePolicy::of_key(&principal(Some(vec!["o3".into()]))), &ws(), "gpt-4o").unwrap_err().status, 404);
    }
}
