//! Fixtures the unit tests of every layer share (compiled for tests only):
//! a principal, a workspace with an OpenAI credential. Modules build on
//! these with struct update syntax instead of keeping copies of their own.

use crate::auth::principal::Principal;
use crate::store::records::{ProviderCredential, WorkspaceConfig};

/// Key `vk_1` of workspace `ws_1`, with this `policy` JSON and nothing else set.
pub fn principal(policy: serde_json::Value) -> Principal {
    Principal {
        key_id: "vk_1".into(),
        workspace_id: "ws_1".into(),
        key_name: String::new(),
        agent_id: None,
        department: None,
        allowed_models: None,
        allowed_providers: None,
        rate_limit: None,
        policy,
        expires_at: None,
        revoked_at: None,
    }
}

/// An OpenAI provider key `pk_1` (secret `sk-1`, the catalog's base URL).
pub fn credential() -> ProviderCredential {
    ProviderCredential {
        id: "pk_1".into(),
        provider: "openai".into(),
        name: String::new(),
        secret: Some("sk-1".into()),
        base_url: None,
        config: serde_json::json!({}),
    }
}

/// Workspace `ws_1` with `credential()` and nothing else.
pub fn workspace() -> WorkspaceConfig {
    WorkspaceConfig {
        workspace_id: "ws_1".into(),
        credentials: vec![credential()],
        custom_providers: vec![],
        policies: vec![],
        budgets: vec![],
        cache_generation: 0,
    }
}
