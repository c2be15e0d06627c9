//! Stage 2: model name → provider, upstream model id, credential and base
//! URL; refused here when the provider cannot serve the endpoint, the key's
//! policy forbids the model, or the workspace has no credential for it.

use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::core::endpoint::Endpoint;
use crate::catalog::resolve::{resolve, Resolved};
use crate::catalog::Catalog;
use crate::providers::Target;
use crate::governance::scope_policy::EffectivePolicy;
use crate::store::records::{ProviderCredential, WorkspaceConfig, UNDECRYPTABLE};

#[derive(Debug, Clone, Copy)]
pub struct Selected<'a> {
    pub resolved: Resolved<'a>,
    pub credential: Option<&'a ProviderCredential>,
}

impl<'a> Selected<'a> {
    pub fn secret(&self) -> Option<&'a str> {
        self.credential.and_then(|c| c.secret.as_deref())
    }

    /// Where an attempt goes: this provider and model, with this credential.
    pub fn target(&self, now_ms: u64) -> Target<'a> {
        crate::store::records::target(self.resolved.provider, self.resolved.model_id, self.credential, now_ms)
    }
}


pub fn select<'a>(
    catalog: &'a Catalog,
    workspace: &'a WorkspaceConfig,
    policy: &EffectivePolicy,
    endpoint: &Endpoint,
    model: &'a str,
) -> GatewayResult<Selected<'a>> {
    let resolved = resolve(catalog, &workspace.custom_providers, model)?;
    finish(resolved, workspace, policy, endpoint, None)
}

/// A router target: an explicit provider and model, maybe one provider key.
pub fn select_target<'a>(
    catalog: &'a Catalog,
    workspace: &'a WorkspaceConfig,
    policy: &EffectivePolicy,
    endpoint: &Endpoint,
    qualified: &'a str,
    provider_key: Option<&str>,
) -> GatewayResult<Selected<'a>> {
    let resolved = resolve(catalog, &workspace.custom_providers, qualified)?;
    finish(resolved, workspace, policy, endpoint, provider_key)
}

fn finish<'a>(
    resolved: Resolved<'a>,
    workspace: &'a WorkspaceConfig,
    policy: &EffectivePolicy,
    endpoint: &Endpoint,
    provider_key: Option<&str>,
) -> GatewayResult<Selected<'a>> {
    let provider = resolved.provider;
    if crate::providers::serving::serving(provider, endpoint).is_none() {
        return Err(GatewayError::invalid_request(
            ErrorCode::UnsupportedForProvider,
            format!("Provider '{}' does not serve the {} endpoint.", provider.id, endpoint.name()),
        )
        .with_param("model"));
    }
    policy.check_model(&provider.id, resolved.model_id)?;

    let credential = workspace.credential(&provider.id, provider_key).map_err(|_| {
        GatewayError::invalid_request(
            ErrorCode::ProviderNotConfigured,
            format!("The provider key '{}' for '{}' is missing or disabled.", provider_key.unwrap_or_default(), provider.id),
        )
    })?;
    if credential.is_none() && provider.needs_key() {
        return Err(GatewayError::invalid_request(
            ErrorCode::ProviderNotConfigured,
            format!(
                "This workspace has no key for provider '{}'. An administrator can add one with \
                 POST /admin/workspaces/{{workspace}}/provider-keys.",
                provider.id
            ),
        )
        .with_param("model"));
    }
    if credential.and_then(|c| c.secret.as_deref()) == Some(UNDECRYPTABLE) {
        return Err(GatewayError::new(
            500,
            crate::core::error::ErrorType::ApiError,
            ErrorCode::ProviderKeyUnusable,
            format!(
                "The workspace's key for provider '{}' cannot be decrypted by this deployment; \
                 an administrator must enter it again.",
                provider.id
            ),
        ));
    }
    Ok(Selected { resolved, credential })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::principal::Principal;
    use crate::catalog::catalog;
    use crate::testkit;

    fn principal() -> Principal {
        testkit::principal(serde_json::json!({}))
    }

    fn workspace(secret: &str, base_url: Option<&str>) -> WorkspaceConfig {
        let credential = ProviderCredential { secret: Some(secret.into()), base_url: base_url.map(str::to_string), ..testkit::credential() };
        WorkspaceConfig { credentials: vec![credential], ..testkit::workspace() }
    }

    #[test]
    fn credential_and_base_url_override() {
        let ws = workspace("sk-1", Some("http://127.0.0.1:9/v1"));
        let s = select(catalog(), &ws, &EffectivePolicy::of_key(&principal()), &Endpoint::ChatCompletions, "gpt-4o").unwrap();
        assert_eq!(s.resolved.provider.id, "openai");
        assert_eq!(s.secret(), Some("sk-1"));
        assert_eq!(s.target(0).base_url, "http://127.0.0.1:9/v1");
        let ws = workspace("sk-1", None);
        let s = select(catalog(), &ws, &EffectivePolicy::of_key(&principal()), &Endpoint::ChatCompletions, "gpt-4o").unwrap();
        assert_eq!(s.target(0).base_url, "https://api.openai.com/v1");
    }

    #[test]
    fn missing_credential_is_a_clear_400() {
        let ws = workspace("sk-1", None);
        let e = select(catalog(), &ws, &EffectivePolicy::of_key(&principal()), &Endpoint::ChatCompletions, "mistral/mistral-large-latest").unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (400, "provider_not_configured"));
    }

    #[test]
    fn keyless_self_hosted_providers_need_no_credential() {
        let ws = workspace("sk-1", None);
        let s = select(catalog(), &ws, &EffectivePolicy::of_key(&principal()), &Endpoint::ChatCompletions, "ollama/llama3").unwrap();
        assert!(s.credential.is_none());
        assert_eq!(s.target(0).base_url, "http://localhost:11434/v1");
    }

    #[test]
    fn endpoint_support_is_checked() {
        let ws = workspace("sk-1", None);
        let e = select(catalog(), &ws, &EffectivePolicy::of_key(&principal()), &Endpoint::Embeddings, "perplexity/sonar").unwrap_err();
        assert_eq!(e.code, "unsupported_for_provider");
    }

    #[test]
    fn policy_is_applied() {
        let ws = workspace("sk-1", None);
        let mut p = principal();
        p.allowed_models = Some(vec!["gpt-4o-mini".into()]);
        let e = select(catalog(), &ws, &EffectivePolicy::of_key(&p), &Endpoint::ChatCompletions, "gpt-4o").unwrap_err();
        assert_eq!(e.status, 403);
    }

    #[test]
    fn undecryptable_keys_are_reported_not_sent() {
        let ws = workspace(UNDECRYPTABLE, None);
        let e = select(catalog(), &ws, &EffectivePolicy::of_key(&principal()), &Endpoint::ChatCompletions, "gpt-4o").unwrap_err();
        assert_eq!(e.code, "provider_key_unusable");
    }
}
