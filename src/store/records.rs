//! Rows the hot path reads from D1, and what they become once checked.

use crate::auth::principal::Principal;
use crate::catalog::ProviderSpec;
use crate::providers::Target;
use crate::governance::scope_policy::{EffectivePolicy, ScopeKind, ScopePolicy};
use serde::Deserialize;

/// A `provider_keys` row as D1 returns it (secret still encrypted).
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderKeyRow {
    pub id: String,
    pub provider: String,
    #[serde(default)]
    pub name: String,
    pub encrypted_key: Option<String>,
    pub base_url: Option<String>,
    pub config: Option<String>,
}

/// Kept in place of a secret this deployment cannot decrypt (wrong or
/// rotated `PROVIDER_KEY_ENCRYPTION_KEY`), so the request can say so.
pub const UNDECRYPTABLE: &str = "\u{0}undecryptable";

/// A usable provider credential of a workspace, decrypted in memory only.
#[derive(Clone)]
pub struct ProviderCredential {
    pub id: String,
    pub provider: String,
    pub name: String,
    pub secret: Option<String>,
    pub base_url: Option<String>,
    pub config: serde_json::Value,
}

// Hand-written so that a secret can never reach a log through `{:?}`.
impl std::fmt::Debug for ProviderCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderCredential")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .finish()
    }
}

pub use crate::governance::budget::BudgetRow;

/// A request named a provider key the workspace does not have (or not for that provider).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownProviderKey;

/// The one way a request's target is built from a provider, a model id and
/// the credential chosen for it (its base URL overriding the catalog's):
/// for attempts, native pass-through and the semantic cache's embeddings.
pub fn target<'a>(provider: &'a ProviderSpec, model_id: &'a str, credential: Option<&'a ProviderCredential>, now_ms: u64) -> Target<'a> {
    static NO_CONFIG: serde_json::Value = serde_json::Value::Null;
    Target {
        provider,
        model_id,
        base_url: credential.and_then(|c| c.base_url.as_deref()).unwrap_or(&provider.base_url),
        secret: credential.and_then(|c| c.secret.as_deref()),
        config: credential.map_or(&NO_CONFIG, |c| &c.config),
        now_ms,
    }
}

/// What a workspace's requests need besides the key: its provider
/// credentials, the providers it registered itself, the policies of its
/// scopes, its budgets and its cache generation.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceConfig {
    pub workspace_id: String,
    pub credentials: Vec<ProviderCredential>,
    pub custom_providers: Vec<crate::catalog::ProviderSpec>,
    /// Policies of the workspace, its agents and departments (keys carry their own).
    pub policies: Vec<(ScopeKind, String, ScopePolicy)>,
    pub budgets: Vec<BudgetRow>,
    /// Part of every cache key; a purge increments it.
    pub cache_generation: u64,
}

impl WorkspaceConfig {
    fn policy(&self, kind: ScopeKind, id: &str) -> Option<ScopePolicy> {
        self.policies.iter().find(|(k, i, _)| *k == kind && i == id).map(|(_, _, p)| p.clone())
    }

    /// Every policy the principal's requests are under.
    pub fn effective_policy(&self, p: &Principal) -> EffectivePolicy {
        EffectivePolicy::new(
            p,
            p.agent_id.as_deref().and_then(|a| self.policy(ScopeKind::Agent, a)),
            p.department.as_deref().and_then(|d| self.policy(ScopeKind::Department, d)),
            self.policy(ScopeKind::Workspace, &self.workspace_id),
        )
    }

    /// The budgets that apply to the principal's requests.
    pub fn budgets_for<'a>(&'a self, p: &'a Principal) -> impl Iterator<Item = &'a BudgetRow> {
        self.budgets.iter().filter(move |b| match b.scope {
            ScopeKind::Key => b.scope_id == p.key_id,
            ScopeKind::Agent => p.agent_id.as_deref() == Some(b.scope_id.as_str()),
            ScopeKind::Department => p.department.as_deref() == Some(b.scope_id.as_str()),
            ScopeKind::Workspace => b.scope_id == p.workspace_id,
        })
    }

    /// The first enabled credential for a provider (rows come oldest first).
    pub fn credential_for(&self, provider: &str) -> Option<&ProviderCredential> {
        self.credentials.iter().find(|c| c.provider == provider)
    }

    /// The one credential choice: the provider key `named` (if it is one of
    /// this provider's), else the workspace's first key for the provider.
    /// An error when a name was given and matches none.
    pub fn credential(&self, provider: &str, named: Option<&str>) -> Result<Option<&ProviderCredential>, UnknownProviderKey> {
        match named {
            Some(id) => self.credentials.iter().find(|c| c.id == id && c.provider == provider).map(Some).ok_or(UnknownProviderKey),
            None => Ok(self.credential_for(provider)),
        }
    }

    pub fn has_provider(&self, provider: &str) -> bool {
        self.credential_for(provider).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_secret() {
        let c = ProviderCredential {
            id: "pk_1".into(),
            provider: "openai".into(),
            name: String::new(),
            secret: Some("sk-live-123".into()),
            base_url: None,
            config: serde_json::json!({}),
        };
        assert!(!format!("{c:?}").contains("sk-live"));
    }
}
