//! Policy at every scope — key, agent, department, workspace — and the
//! effective policy of one request, which must satisfy all of them:
//! every allowlist must allow the model, no denylist may match, the
//! tightest `max_tokens` cap applies, and the most specific scope that
//! says anything about forced routing decides it.
//!
//! ```json
//! { "rate_limit": "100;w=60", "max_concurrency": 5,
//!   "allowed_models": ["gpt-4o*", "anthropic/*"], "denied_models": ["*-preview"],
//!   "allowed_providers": ["openai", "anthropic"], "denied_providers": [],
//!   "max_tokens": 4096, "allow_forced_routing": false, "allow_provider_account_api": false,
//!   "denied_headers": ["alephant-cache-*"],
//!   "cache": { "enabled": true, "ttl_seconds": 3600, "semantic_threshold": 0.95,
//!              "embeddings_model": "openai/text-embedding-3-small" } }
//! ```

use super::glob;
use super::rate_limit;
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::auth::principal::{Principal, MASTER_KEY_ID};
use crate::cache::options::CacheDefaults;
use crate::guardrails::config::{self as guard_config, GuardPolicy, GuardrailsConfig};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    Key,
    Agent,
    Department,
    Workspace,
}

impl ScopeKind {
    pub fn parse(s: &str) -> Option<ScopeKind> {
        match s {
            "key" => Some(ScopeKind::Key),
            "agent" => Some(ScopeKind::Agent),
            "department" => Some(ScopeKind::Department),
            "workspace" => Some(ScopeKind::Workspace),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Key => "key",
            ScopeKind::Agent => "agent",
            ScopeKind::Department => "department",
            ScopeKind::Workspace => "workspace",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopePolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_models: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_models: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_providers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_providers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_forced_routing: Option<bool>,
    /// Whether native pass-through may reach the provider account's own
    /// APIs (files, batches, fine-tuning, vector stores, assistants…),
    /// beyond inference. Off unless a scope turns it on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_provider_account_api: Option<bool>,
    /// Whether requests under this scope have their bodies archived to R2
    /// (decides over the request's `alephant-archive` header and the
    /// deployment default, unless the deployment turns the archive off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_bodies: Option<bool>,
    /// Gateway headers (globs) a request under this scope may not use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_headers: Vec<String>,
    /// Cache defaults for requests under this scope (headers override them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheDefaults>,
    /// Detectors, rules and limits over the text of requests and answers
    /// (docs/guardrails.md); per detector, the most specific scope decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrails: Option<GuardrailsConfig>,
}

impl ScopePolicy {
    /// Checks a policy when it is written; the message names the field.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if let Some(p) = &self.rate_limit {
            rate_limit::parse(p).map_err(|why| ("rate_limit".to_string(), why))?;
        }
        if self.max_concurrency == Some(0) {
            return Err(("max_concurrency".into(), "must be at least 1".into()));
        }
        if let Some(c) = &self.cache {
            c.validate()?;
        }
        if let Some(g) = &self.guardrails {
            g.validate()?;
        }
        if self.max_tokens == Some(0) {
            return Err(("max_tokens".into(), "must be at least 1".into()));
        }
        let lists = [
            ("allowed_models", self.allowed_models.as_deref().unwrap_or_default()),
            ("denied_models", &self.denied_models[..]),
            ("allowed_providers", self.allowed_providers.as_deref().unwrap_or_default()),
            ("denied_providers", &self.denied_providers[..]),
            ("denied_headers", &self.denied_headers[..]),
        ];
        for (name, list) in lists {
            if list.len() > 100 || list.iter().any(|p| p.trim().is_empty() || p.len() > 200) {
                return Err((name.to_string(), "must hold at most 100 patterns of 1 to 200 characters".into()));
            }
        }
        Ok(())
    }

    /// The policy a virtual key carries: its allowlist columns plus its `policy` JSON.
    pub fn of_key(p: &Principal) -> ScopePolicy {
        let mut policy: ScopePolicy = serde_json::from_value(p.policy.clone()).unwrap_or_default();
        policy.rate_limit = p.rate_limit.clone();
        policy.allowed_models = p.allowed_models.clone().or(policy.allowed_models);
        policy.allowed_providers = p.allowed_providers.clone().or(policy.allowed_providers);
        policy
    }
}

/// One scope's policy, named for messages ("the agent policy").
#[derive(Debug, Clone, PartialEq)]
pub struct Scoped {
    pub kind: ScopeKind,
    pub id: String,
    pub policy: ScopePolicy,
}

impl Scoped {
    pub fn name(&self) -> String {
        match self.kind {
            ScopeKind::Key => "this key's policy".into(),
            ScopeKind::Agent => format!("the policy of agent '{}'", self.id),
            ScopeKind::Department => format!("the policy of department '{}'", self.id),
            ScopeKind::Workspace => "the workspace policy".into(),
        }
    }
}

/// All the policies a request is under, most specific first.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectivePolicy {
    pub scopes: Vec<Scoped>,
    /// The master key on `/v1` (zero-config): no key-level restrictions.
    pub master: bool,
}

fn denied(rule: String) -> GatewayError {
    GatewayError::forbidden(ErrorCode::PolicyDenied, rule)
}

impl EffectivePolicy {
    /// The request's scopes: the key, its agent, its department, the workspace.
    pub fn new(p: &Principal, agent: Option<ScopePolicy>, department: Option<ScopePolicy>, workspace: Option<ScopePolicy>) -> Self {
        let mut scopes = vec![Scoped { kind: ScopeKind::Key, id: p.key_id.clone(), policy: ScopePolicy::of_key(p) }];
        if let (Some(id), Some(policy)) = (&p.agent_id, agent) {
            scopes.push(Scoped { kind: ScopeKind::Agent, id: id.clone(), policy });
        }
        if let (Some(id), Some(policy)) = (&p.department, department) {
            scopes.push(Scoped { kind: ScopeKind::Department, id: id.clone(), policy });
        }
        if let Some(policy) = workspace {
            scopes.push(Scoped { kind: ScopeKind::Workspace, id: p.workspace_id.clone(), policy });
        }
        EffectivePolicy { scopes, master: p.key_id == MASTER_KEY_ID }
    }

    /// Only the key's own scope (tests, and requests with no other policy).
    pub fn of_key(p: &Principal) -> Self {
        Self::new(p, None, None, None)
    }

    pub fn check_provider(&self, provider: &str) -> GatewayResult<()> {
        for s in &self.scopes {
            if let Some(allowed) = &s.policy.allowed_providers {
                if !glob::any(allowed, provider) {
                    return Err(denied(format!(
                        "Provider '{provider}' is not allowed by {} (allowed providers: {}).",
                        s.name(),
                        allowed.join(", ")
                    ))
                    .with_code(ErrorCode::ProviderNotAllowed));
                }
            }
            if let Some(p) = s.policy.denied_providers.iter().find(|p| glob::matches(p, provider)) {
                return Err(denied(format!("Provider '{provider}' is denied by {} (rule '{p}').", s.name()))
                    .with_code(ErrorCode::ProviderNotAllowed));
            }
        }
        Ok(())
    }

    /// Model patterns match `provider/model` or the bare model id.
    pub fn check_model(&self, provider: &str, model_id: &str) -> GatewayResult<()> {
        self.check_provider(provider).map_err(|e| e.with_param("model"))?;
        let qualified = format!("{provider}/{model_id}");
        let hit = |patterns: &[String]| patterns.iter().find(|p| glob::matches(p, &qualified) || glob::matches(p, model_id)).cloned();
        for s in &self.scopes {
            if let Some(allowed) = &s.policy.allowed_models {
                if hit(allowed).is_none() {
                    return Err(denied(format!(
                        "Model '{qualified}' is not allowed by {} (allowed models: {}).",
                        s.name(),
                        allowed.join(", ")
                    ))
                    .with_code(ErrorCode::ModelNotAllowed)
                    .with_param("model"));
                }
            }
            if let Some(rule) = hit(&s.policy.denied_models) {
                return Err(denied(format!("Model '{qualified}' is denied by {} (rule '{rule}').", s.name()))
                    .with_code(ErrorCode::ModelNotAllowed)
                    .with_param("model"));
            }
        }
        Ok(())
    }

    /// The tightest `max_tokens` cap, and the scope that sets it.
    pub fn max_tokens(&self) -> Option<(u32, String)> {
        self.scopes.iter().filter_map(|s| s.policy.max_tokens.map(|m| (m, s.name()))).min_by_key(|(m, _)| *m)
    }

    /// The most specific scope that says anything decides; the master key may.
    pub fn may_force_routing(&self) -> bool {
        self.master || self.scopes.iter().find_map(|s| s.policy.allow_forced_routing).unwrap_or(false)
    }

    /// Pass-through to account APIs: the most specific scope that says
    /// anything decides; off by default; the master key may.
    pub fn may_use_account_api(&self) -> bool {
        self.master || self.scopes.iter().find_map(|s| s.policy.allow_provider_account_api).unwrap_or(false)
    }

    /// Body archiving: the most specific scope that says anything decides.
    pub fn archive_bodies(&self) -> Option<bool> {
        self.scopes.iter().find_map(|s| s.policy.archive_bodies)
    }

    /// The scope that decides about account APIs, for refusals.
    pub fn account_api_rule(&self) -> String {
        match self.scopes.iter().find(|s| s.policy.allow_provider_account_api.is_some()) {
            Some(s) => format!("{} sets \"allow_provider_account_api\": false", s.name()),
            None => "no policy sets \"allow_provider_account_api\": true".into(),
        }
    }

    /// The cache defaults in force: per field, the most specific scope's.
    pub fn cache_defaults(&self) -> CacheDefaults {
        CacheDefaults::merged(self.scopes.iter().filter_map(|s| s.policy.cache.as_ref()))
    }

    /// The guardrails the request runs under, with its
    /// `alephant-guardrails` header (which may only make them stricter);
    /// `None` when no scope sets any and the header asks for none.
    pub fn guardrails(&self, headers: &[(String, String)]) -> GatewayResult<Option<GuardPolicy>> {
        let header = headers.iter().find(|(k, _)| k == crate::core::headers::GUARDRAILS).map(|(_, v)| v.as_str());
        if header.is_none() && self.scopes.iter().all(|s| s.policy.guardrails.is_none()) {
            return Ok(None);
        }
        let bad_header = |why: String| {
            GatewayError::invalid_request(ErrorCode::InvalidGuardrailsHeader, format!("alephant-guardrails: {why}."))
                .with_param(crate::core::headers::GUARDRAILS)
        };
        let entries = guard_config::parse_header(header.unwrap_or_default()).map_err(bad_header)?;
        let named = self.scopes.iter().filter_map(|s| s.policy.guardrails.as_ref().map(|g| (s.name(), g)));
        let policy = GuardPolicy::merge(named, &entries).map_err(bad_header)?;
        Ok((!policy.is_empty()).then_some(policy))
    }

    /// Refuses gateway headers a scope does not permit.
    pub fn check_headers(&self, headers: &[(String, String)]) -> GatewayResult<()> {
        for s in &self.scopes {
            for (name, _) in headers.iter().filter(|(k, _)| crate::core::headers::is_gateway_header(k)) {
                if let Some(rule) = s.policy.denied_headers.iter().find(|p| glob::matches(&p.to_ascii_lowercase(), name)) {
                    return Err(denied(format!("Header '{name}' is not permitted by {} (rule '{rule}').", s.name()))
                        .with_code(ErrorCode::HeaderNotAllowed));
                }
            }
        }
        Ok(())
    }
}

/// Reads a scope policy from stored JSON (already validated when written).
pub fn from_json(v: &Value) -> ScopePolicy {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn principal(policy: Value) -> Principal {
        Principal { agent_id: Some("ag_1".into()), department: Some("research".into()), ..crate::testkit::principal(policy) }
    }

    fn policy(v: Value) -> ScopePolicy {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn every_scope_must_allow_and_the_denial_names_its_rule() {
        let p = EffectivePolicy::new(
            &principal(json!({})),
            Some(policy(json!({"allowed_models": ["gpt-4o*", "claude-*"]}))),
            None,
            Some(policy(json!({"denied_models": ["*-mini"]}))),
        );
        assert!(p.check_model("openai", "gpt-4o").is_ok());
        let e = p.check_model("openai", "gpt-4o-mini").unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (403, "model_not_allowed"));
        assert!(e.message.contains("workspace policy") && e.message.contains("*-mini"), "{}", e.message);
        let e = p.check_model("openai", "o3").unwrap_err();
        assert!(e.message.contains("agent 'ag_1'"), "{}", e.message);
    }

    #[test]
    fn provider_lists() {
        let p = EffectivePolicy::new(&principal(json!({"denied_providers": ["mistral"]})), None, None, None);
        assert_eq!(p.check_provider("mistral").unwrap_err().code, "provider_not_allowed");
        assert!(p.check_provider("openai").is_ok());
    }

    #[test]
    fn max_tokens_cap_is_the_tightest() {
        let p = EffectivePolicy::new(
            &principal(json!({"max_tokens": 2000})),
            None,
            Some(policy(json!({"max_tokens": 500}))),
            None,
        );
        let (cap, scope) = p.max_tokens().unwrap();
        assert_eq!(cap, 500);
        assert!(scope.contains("department 'research'"), "{scope}");
    }

    #[test]
    fn account_apis_are_off_unless_a_scope_allows_them() {
        assert!(!EffectivePolicy::new(&principal(json!({})), None, None, None).may_use_account_api());
        let ws_yes = Some(policy(json!({"allow_provider_account_api": true})));
        assert!(EffectivePolicy::new(&principal(json!({})), None, None, ws_yes.clone()).may_use_account_api());
        let key_no = EffectivePolicy::new(&principal(json!({"allow_provider_account_api": false})), None, None, ws_yes);
        assert!(!key_no.may_use_account_api());
        assert!(key_no.account_api_rule().contains("this key's policy"));
    }

    #[test]
    fn forced_routing_most_specific_wins() {
        let ws_yes = Some(policy(json!({"allow_forced_routing": true})));
        assert!(EffectivePolicy::new(&principal(json!({})), None, None, ws_yes.clone()).may_force_routing());
        assert!(!EffectivePolicy::new(&principal(json!({"allow_forced_routing": false})), None, None, ws_yes).may_force_routing());
    }

    #[test]
    fn denied_headers() {
        let p = EffectivePolicy::new(&principal(json!({"denied_headers": ["alephant-cache-*"]})), None, None, None);
        let h = |k: &str| vec![(k.to_string(), "x".to_string())];
        assert_eq!(p.check_headers(&h("alephant-cache-enabled")).unwrap_err().code, "header_not_allowed");
        assert!(p.check_headers(&h("alephant-session-id")).is_ok());
        assert!(p.check_headers(&h("x-cache-thing")).is_ok(), "only gateway headers are policed");
    }

    #[test]
    fn validation_names_the_field() {
        let bad = policy(json!({"rate_limit": "lots"}));
        assert_eq!(bad.validate().unwrap_err().0, "rate_limit");
        assert_eq!(policy(json!({"max_concurrency": 0})).validate().unwrap_err().0, "max_concurrency");
        assert!(serde_json::from_value::<ScopePolicy>(json!({"max_tokenz": 1})).is_err());
    }
}
