//! Admin API request bodies and their validation. Raw serde shapes with
//! `deny_unknown_fields` (a typo is an error, not silently ignored), then
//! checks that give a precise message and `param`.

use crate::core::error::{GatewayError, GatewayResult, invalid_value, ErrorCode};
use crate::auth::admin_access::Role;
use crate::catalog::{catalog, AdapterKind, AuthScheme, ModelSpec, ProviderSpec};
use std::collections::BTreeMap;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> GatewayResult<T> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { bytes };
    serde_json::from_slice(bytes)
        .map_err(|e| GatewayError::invalid_request(ErrorCode::InvalidBody, format!("Invalid request body: {e}.")))
}

fn check_name(param: &str, value: &str, required: bool) -> GatewayResult<String> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(invalid_value(param, format!("'{param}' must not be empty.")));
    }
    if v.chars().count() > 200 {
        return Err(invalid_value(param, format!("'{param}' must be at most 200 characters.")));
    }
    if v.chars().any(char::is_control) {
        return Err(invalid_value(param, format!("'{param}' must not contain control characters.")));
    }
    Ok(v.to_string())
}

fn check_object(param: &str, value: Option<Value>) -> GatewayResult<Value> {
    match value {
        None => Ok(Value::Object(Default::default())),
        Some(v @ Value::Object(_)) => Ok(v),
        Some(_) => Err(invalid_value(param, format!("'{param}' must be a JSON object."))),
    }
}

/// A key's `policy` is a scope policy like any other: checked as one when
/// the key is made (an unknown field or a bad rule is refused, not dropped).
fn check_key_policy(policy: Value) -> GatewayResult<Value> {
    let parsed: crate::governance::scope_policy::ScopePolicy =
        serde_json::from_value(policy.clone()).map_err(|e| invalid_value("policy", format!("'policy' is not a valid policy: {e}.")))?;
    parsed.validate().map_err(|(field, why)| invalid_value(&format!("policy.{field}"), format!("'policy.{field}' {why}")))?;
    Ok(policy)
}

pub fn check_base_url(url: &str) -> GatewayResult<String> {
    let u = url.trim().trim_end_matches('/');
    let scheme_ok = u.starts_with("https://") || u.starts_with("http://");
    let host = u.split("://").nth(1).unwrap_or("");
    if !scheme_ok || host.is_empty() || u.len() > 2048 || u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid_value("base_url", "'base_url' must be an http(s) URL such as 'https://api.example.com/v1'."));
    }
    Ok(u.to_string())
}

fn check_patterns(param: &str, list: Option<Vec<String>>) -> GatewayResult<Option<Vec<String>>> {
    let Some(list) = list else { return Ok(None) };
    if list.len() > 100 {
        return Err(invalid_value(param, format!("'{param}' may hold at most 100 patterns.")));
    }
    list.into_iter()
        .map(|p| {
            let p = p.trim().to_string();
            if p.is_empty() || p.len() > 200 {
                Err(invalid_value(param, format!("each entry of '{param}' must be 1 to 200 characters.")))
            } else {
                Ok(p)
            }
        })
        .collect::<GatewayResult<Vec<_>>>()
        .map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkspace {
    pub name: String,
    #[serde(default)]
    pub settings: Option<Value>,
}

impl CreateWorkspace {
    pub fn validate(self) -> GatewayResult<(String, Value)> {
        Ok((check_name("name", &self.name, true)?, check_object("settings", self.settings)?))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProviderKey {
    pub provider: String,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub config: Option<Value>,
}

pub struct ValidProviderKey {
    pub provider: String,
    pub key: Option<String>,
    pub name: String,
    pub base_url: Option<String>,
    pub config: Value,
}

impl CreateProviderKey {
    /// `custom` are the workspace's own providers, which may be named too.
    pub fn validate(self, custom: &[ProviderSpec]) -> GatewayResult<ValidProviderKey> {
        let name = self.provider.trim();
        let spec = custom.iter().find(|p| p.answers_to(name)).or_else(|| catalog().provider(name)).ok_or_else(|| {
            invalid_value(
                "provider",
                format!("Unknown provider '{name}'. GET /admin/providers lists the catalog; a workspace can add its own."),
            )
        })?;
        let key = self.key.map(|k| k.trim().to_string()).filter(|k| !k.is_empty());
        if key.is_none() && spec.needs_key() {
            return Err(invalid_value("key", format!("Provider '{}' needs an API key in 'key'.", spec.id)));
        }
        if key.as_ref().is_some_and(|k| k.len() > 8192 || k.chars().any(char::is_control)) {
            return Err(invalid_value("key", "'key' must be at most 8192 printable characters."));
        }
        Ok(ValidProviderKey {
            provider: spec.id.clone(),
            key,
            name: check_name("name", self.name.as_deref().unwrap_or(""), false)?,
            base_url: self.base_url.as_deref().map(check_base_url).transpose()?,
            config: check_object("config", self.config)?,
        })
    }
}

/// A workspace's own provider: the shape of a catalog file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomProvider {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub adapter: AdapterKind,
    pub base_url: String,
    #[serde(default)]
    pub api_path: Option<String>,
    pub auth: AuthScheme,
    #[serde(default)]
    pub default_headers: BTreeMap<String, String>,
    #[serde(default)]
    pub endpoints: Option<Vec<String>>,
    #[serde(default)]
    pub key_optional: bool,
    #[serde(default)]
    pub models: Vec<ModelSpec>,
}

/// Path prefixes the gateway itself uses; a provider may not be named after them.
const RESERVED_IDS: &[&str] = &["v1", "ai", "admin", "health", "router"];
const ENDPOINTS: &[&str] = &["chat", "completions", "embeddings", "responses", "images", "models", "messages"];

impl CreateCustomProvider {
    pub fn validate(self) -> GatewayResult<ProviderSpec> {
        let id = self.id.trim().to_ascii_lowercase();
        let id_ok = !id.is_empty()
            && id.len() <= 63
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !RESERVED_IDS.contains(&id.as_str());
        if !id_ok {
            return Err(invalid_value("id", "'id' must be 1-63 characters of a-z, 0-9, '-' or '_', and not a gateway path (v1, ai, admin, health, router)."));
        }
        for (k, v) in &self.default_headers {
            let lower = k.to_ascii_lowercase();
            let valid = !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') && !v.chars().any(char::is_control);
            if !valid || matches!(lower.as_str(), "authorization" | "x-api-key" | "api-key" | "host" | "content-length") {
                return Err(invalid_value("default_headers", format!("header '{k}' cannot be a default header (credentials go in a provider key).")));
            }
        }
        let endpoints = match self.endpoints {
            Some(list) => {
                if let Some(e) = list.iter().find(|e| !ENDPOINTS.contains(&e.as_str())) {
                    return Err(invalid_value("endpoints", format!("unknown endpoint '{e}' (one of {}).", ENDPOINTS.join(", "))));
                }
                list
            }
            None => vec!["chat".into(), "completions".into(), "embeddings".into(), "models".into()],
        };
        let mut seen = std::collections::HashSet::new();
        for m in &self.models {
            if m.id.trim().is_empty() || !seen.insert(m.id.clone()) {
                return Err(invalid_value("models", format!("model ids must be non-empty and unique ('{}').", m.id)));
            }
            let prices = [m.input, m.output, m.cached_input, m.cache_write, m.per_image, m.per_request];
            if prices.iter().flatten().any(|p| !p.is_finite() || *p < 0.0) {
                return Err(invalid_value("models", format!("prices of '{}' must be non-negative numbers.", m.id)));
            }
        }
        Ok(ProviderSpec {
            name: check_name("name", self.name.as_deref().unwrap_or(&id), false)?,
            id,
            aliases: Vec::new(),
            adapter: self.adapter,
            base_url: check_base_url(&self.base_url)?,
            api_path: self.api_path.unwrap_or_default(),
            auth: self.auth,
            default_headers: self.default_headers,
            env_key: None,
            key_optional: self.key_optional,
            bare_names: false,
            bare_prefixes: Vec::new(),
            endpoints,
            models: self.models,
        }
        .prepared())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteRouter {
    /// Required when creating; ignored on update (a router keeps its name).
    #[serde(default)]
    pub name: Option<String>,
    pub config: Value,
}

pub struct ValidRouter {
    pub name: Option<String>,
    pub config: Value,
}

impl WriteRouter {
    /// Checks the config's shape, and that every target names a provider the
    /// workspace can use and, when given, one of its keys for that provider:
    /// a bad router is refused here, not discovered by a request.
    pub fn validate(self, custom: &[ProviderSpec], keys: &[(String, String)]) -> GatewayResult<ValidRouter> {
        let name = match self.name.as_deref().map(str::trim) {
            None => None,
            Some(n) => {
                let ok = !n.is_empty() && n.len() <= 64 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !ok || n.starts_with("rt_") {
                    return Err(invalid_value("name", "'name' must be 1-64 characters of a-z, 0-9, '-' or '_' (not starting with rt_)."));
                }
                Some(n.to_string())
            }
        };
        let parsed = crate::routing::config::parse(&self.config).map_err(|why| invalid_value("config", format!("config.{why}")))?;
        for (i, t) in parsed.targets().iter().enumerate() {
            let known = custom.iter().any(|p| p.answers_to(&t.provider)) || catalog().provider(&t.provider).is_some();
            if !known {
                return Err(invalid_value("config", format!("target {i} ({}): unknown provider '{}'.", t.qualified(), t.provider)));
            }
            if let Some(k) = &t.provider_key {
                if !keys.iter().any(|(id, provider)| id == k && provider == &t.provider) {
                    return Err(invalid_value(
                        "config",
                        format!("target {i} ({}): '{k}' is not a key of this workspace for {}.", t.qualified(), t.provider),
                    ));
                }
            }
        }
        Ok(ValidRouter { name, config: self.config })
    }
}

const MAX_TEMPLATE_BYTES: usize = 256 * 1024;

/// `POST …/prompts`: version 1 of a new prompt.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePrompt {
    pub id: String,
    pub template: Value,
    #[serde(default)]
    pub description: Option<String>,
}

/// `POST …/prompts/{id}/versions`: the next version.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePromptVersion {
    pub template: Value,
    /// When absent, the new version keeps the previous one's.
    #[serde(default)]
    pub description: Option<String>,
}

pub struct ValidPromptVersion {
    /// The template as written (it was checked), as JSON text.
    pub template: String,
    pub variables: Vec<String>,
    pub description: Option<String>,
}

fn check_prompt(template: &Value, description: Option<String>) -> GatewayResult<ValidPromptVersion> {
    let parsed = crate::prompts::Template::parse(template).map_err(|why| invalid_value("template", format!("template.{why}")))?;
    let text = template.to_string();
    if text.len() > MAX_TEMPLATE_BYTES {
        return Err(invalid_value("template", format!("'template' must be at most {MAX_TEMPLATE_BYTES} bytes of JSON.")));
    }
    let description = description.map(|d| d.trim().to_string());
    if description.as_ref().is_some_and(|d| d.chars().count() > 2000 || d.chars().any(|c| c.is_control() && c != '\n')) {
        return Err(invalid_value("description", "'description' must be at most 2000 characters, without control characters."));
    }
    Ok(ValidPromptVersion { template: text, variables: parsed.variables(), description })
}

impl CreatePrompt {
    pub fn validate(self) -> GatewayResult<(String, ValidPromptVersion)> {
        let id = self.id.trim();
        if !crate::prompts::valid_id(id) {
            return Err(invalid_value("id", "'id' must be 1-64 characters of A-Z, a-z, 0-9, '_', '-' or '.'."));
        }
        Ok((id.to_string(), check_prompt(&self.template, self.description)?))
    }
}

impl CreatePromptVersion {
    pub fn validate(self) -> GatewayResult<ValidPromptVersion> {
        check_prompt(&self.template, self.description)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateVirtualKey {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub allowed_models: Option<Vec<String>>,
    #[serde(default)]
    pub allowed_providers: Option<Vec<String>>,
    #[serde(default)]
    pub rate_limit: Option<String>,
    #[serde(default)]
    pub policy: Option<Value>,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub expires_at: Option<u64>,
}

pub struct ValidVirtualKey {
    pub name: String,
    pub agent_id: Option<String>,
    pub department: Option<String>,
    pub allowed_models: Option<Vec<String>>,
    pub allowed_providers: Option<Vec<String>>,
    pub rate_limit: Option<String>,
    pub policy: Value,
    pub expires_at: Option<u64>,
}

impl CreateVirtualKey {
    pub fn validate(self, now_ms: u64) -> GatewayResult<ValidVirtualKey> {
        if self.expires_at.is_some_and(|t| t <= now_ms) {
            return Err(invalid_value("expires_at", "'expires_at' (milliseconds since the epoch) must be in the future."));
        }
        let rate_limit = match self.rate_limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(p) => {
                crate::governance::rate_limit::parse(p).map_err(|why| invalid_value("rate_limit", why))?;
                Some(p.to_string())
            }
            None => None,
        };
        Ok(ValidVirtualKey {
            name: check_name("name", self.name.as_deref().unwrap_or(""), false)?,
            agent_id: self.agent_id.map(|a| a.trim().to_string()).filter(|a| !a.is_empty()),
            department: self
                .department
                .as_deref()
                .map(|d| check_name("department", d, false))
                .transpose()?
                .filter(|d| !d.is_empty()),
            allowed_models: check_patterns("allowed_models", self.allowed_models)?,
            allowed_providers: check_patterns("allowed_providers", self.allowed_providers)?,
            rate_limit,
            policy: check_key_policy(check_object("policy", self.policy)?)?,
            expires_at: self.expires_at,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAgent {
    pub name: String,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: Option<Value>,
}

impl CreateAgent {
    pub fn validate(self) -> GatewayResult<(String, Option<String>, String, Value)> {
        let description = self.description.unwrap_or_default();
        if description.chars().count() > 2000 {
            return Err(invalid_value("description", "'description' must be at most 2000 characters."));
        }
        Ok((
            check_name("name", &self.name, true)?,
            self.department.as_deref().map(|d| check_name("department", d, false)).transpose()?.filter(|d| !d.is_empty()),
            description,
            check_object("metadata", self.metadata)?,
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateDomain {
    pub hostname: String,
}

impl CreateDomain {
    pub fn validate(self) -> GatewayResult<String> {
        let h = self.hostname.trim().trim_end_matches('.').to_ascii_lowercase();
        let label_ok = |l: &str| {
            !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if h.len() > 253 || !h.contains('.') || !h.split('.').all(label_ok) {
            return Err(invalid_value("hostname", "'hostname' must be a domain name such as 'ai.example.com'."));
        }
        Ok(h)
    }
}

/// `PATCH …/provider-keys/{id}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchProviderKey {
    pub enabled: bool,
}

// ---- workspace access (tokens, members) ---------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    #[serde(default)]
    pub name: Option<String>,
    pub role: String,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub expires_at: Option<u64>,
    #[serde(default)]
    pub read_bodies: Option<bool>,
}

pub struct ValidToken {
    pub name: String,
    pub role: Role,
    pub expires_at: Option<u64>,
    pub read_bodies: bool,
}

fn check_role(role: &str) -> GatewayResult<Role> {
    Role::parse(role).ok_or_else(|| invalid_value("role", format!("'role' is one of owner, admin, developer, viewer, not '{role}'.")))
}

impl CreateToken {
    pub fn validate(self, now_ms: u64) -> GatewayResult<ValidToken> {
        if self.expires_at.is_some_and(|t| t <= now_ms) {
            return Err(invalid_value("expires_at", "'expires_at' (milliseconds since the epoch) must be in the future."));
        }
        Ok(ValidToken {
            name: check_name("name", self.name.as_deref().unwrap_or(""), false)?,
            role: check_role(&self.role)?,
            expires_at: self.expires_at,
            read_bodies: self.read_bodies.unwrap_or(false),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutMember {
    pub role: String,
    #[serde(default)]
    pub read_bodies: Option<bool>,
}

impl PutMember {
    pub fn validate(self) -> GatewayResult<(Role, bool)> {
        Ok((check_role(&self.role)?, self.read_bodies.unwrap_or(false)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_rejected_with_their_name() {
        let e = parse::<CreateWorkspace>(br#"{"name":"a","nmae":"b"}"#).unwrap_err();
        assert!(e.message.contains("nmae"), "{}", e.message);
    }

    #[test]
    fn workspace_names() {
        assert!(parse::<CreateWorkspace>(br#"{"name":"  "}"#).unwrap().validate().is_err());
        let (name, settings) = parse::<CreateWorkspace>(br#"{"name":" Acme "}"#).unwrap().validate().unwrap();
        assert_eq!(name, "Acme");
        assert!(settings.is_object());
        assert!(parse::<CreateWorkspace>(br#"{"name":"a","settings":[1]}"#).unwrap().validate().is_err());
    }

    #[test]
    fn provider_keys() {
        let ok = parse::<CreateProviderKey>(br#"{"provider":"together_ai","key":" sk-1 ","base_url":"http://127.0.0.1:9/v1/"}"#)
            .unwrap()
            .validate(&[])
            .unwrap();
        assert_eq!(ok.provider, "together");
        assert_eq!(ok.key.as_deref(), Some("sk-1"));
        assert_eq!(ok.base_url.as_deref(), Some("http://127.0.0.1:9/v1"));
        let e = parse::<CreateProviderKey>(br#"{"provider":"nope","key":"k"}"#).unwrap().validate(&[]).err().unwrap();
        assert_eq!(e.param.as_deref(), Some("provider"));
        let e = parse::<CreateProviderKey>(br#"{"provider":"openai"}"#).unwrap().validate(&[]).err().unwrap();
        assert_eq!(e.param.as_deref(), Some("key"));
        assert!(parse::<CreateProviderKey>(br#"{"provider":"ollama","base_url":"http://gpu:11434/v1"}"#)
            .unwrap()
            .validate(&[])
            .is_ok());
        let e = parse::<CreateProviderKey>(br#"{"provider":"openai","key":"k","base_url":"ftp://x"}"#)
            .unwrap()
            .validate(&[])
            .err()
            .unwrap();
        assert_eq!(e.param.as_deref(), Some("base_url"));
    }

    #[test]
    fn custom_providers() {
        let spec = parse::<CreateCustomProvider>(
            br#"{"id":"Acme","adapter":"openai","base_url":"https://llm.acme.internal/v1","auth":"bearer",
                "models":[{"id":"acme-large","input":1.5,"output":3}]}"#,
        )
        .unwrap()
        .validate()
        .unwrap();
        assert_eq!(spec.id, "acme");
        assert_eq!(spec.endpoints, vec!["chat", "completions", "embeddings", "models"]);
        assert!(spec.model("acme-large").is_some());
        let key = parse::<CreateProviderKey>(br#"{"provider":"acme","key":"k"}"#).unwrap().validate(&[spec]).unwrap();
        assert_eq!(key.provider, "acme");
        let err = |body: &[u8]| parse::<CreateCustomProvider>(body).and_then(|c| c.validate()).err().unwrap();
        assert_eq!(err(br#"{"id":"v1","adapter":"openai","base_url":"https://x","auth":"bearer"}"#).param.as_deref(), Some("id"));
        assert!(err(br#"{"id":"a","adapter":"smoke","base_url":"https://x","auth":"bearer"}"#).message.contains("smoke"));
        assert_eq!(
            err(br#"{"id":"a","adapter":"openai","base_url":"https://x","auth":"bearer","models":[{"id":"m","input":-1}]}"#).param.as_deref(),
            Some("models")
        );
        assert_eq!(
            err(br#"{"id":"a","adapter":"openai","base_url":"https://x","auth":"bearer","default_headers":{"Authorization":"x"}}"#).param.as_deref(),
            Some("default_headers")
        );
    }

    #[test]
    fn routers_are_checked_against_the_workspace() {
        let keys = vec![("pk_1".to_string(), "openai".to_string())];
        let ok = parse::<WriteRouter>(
            br#"{"name":"main","config":{"strategy":"fallback","targets":[{"provider":"openai","model":"gpt-4o","provider_key":"pk_1"},{"provider":"anthropic","model":"claude-haiku-4-5"}]}}"#,
        )
        .unwrap()
        .validate(&[], &keys)
        .unwrap();
        assert_eq!(ok.name.as_deref(), Some("main"));
        let err = |body: &[u8]| parse::<WriteRouter>(body).and_then(|w| w.validate(&[], &keys)).err().unwrap().message;
        assert!(err(br#"{"name":"x","config":{"provider":"nope","model":"m"}}"#).contains("unknown provider 'nope'"));
        assert!(err(br#"{"name":"x","config":{"provider":"anthropic","model":"m","provider_key":"pk_1"}}"#).contains("not a key"));
        assert!(err(br#"{"name":"x","config":{"strategy":"fallback","targets":[{"provider":"openai"}]}}"#)
            .contains("config.targets[0].model"));
        assert!(err(br#"{"name":"bad name","config":{"provider":"openai","model":"m"}}"#).contains("'name'"));
    }

    #[test]
    fn prompts_are_checked_with_the_path_of_each_mistake() {
        let (id, v) = parse::<CreatePrompt>(
            br#"{"id":" support-reply ","description":"Support","template":{"messages":[{"role":"system","content":"For {{company}}"},{"role":"user","content":"{{ question }} {{company}}"}],"params":{"temperature":0}}}"#,
        )
        .unwrap()
        .validate()
        .unwrap();
        assert_eq!(id, "support-reply");
        assert_eq!(v.variables, ["company", "question"]);
        assert_eq!(v.description.as_deref(), Some("Support"));
        let err = |body: &[u8]| parse::<CreatePrompt>(body).and_then(|p| p.validate()).err().unwrap();
        let e = err(br#"{"id":"a b","template":{"messages":[{"role":"user","content":"x"}]}}"#);
        assert_eq!(e.param.as_deref(), Some("id"));
        let e = err(br#"{"id":"a","template":{"messages":[{"role":"user","content":"x"},{"role":"bot","content":"x"}]}}"#);
        assert_eq!(e.param.as_deref(), Some("template"));
        assert!(e.message.starts_with("template.messages[1].role: must be one of"), "{}", e.message);
        let e = err(br#"{"id":"a","template":{"messages":[{"role":"user","content":"{{x"}]}}"#);
        assert!(e.message.contains("template.messages[0].content: '{{x' has no closing"), "{}", e.message);
        assert!(err(br#"{"id":"a"}"#).message.contains("template"));
        let v = parse::<CreatePromptVersion>(br#"{"template":{"messages":[{"role":"user","content":"hi"}]}}"#).unwrap().validate().unwrap();
        assert_eq!((v.variables.len(), v.description), (0, None));
        assert!(parse::<CreatePromptVersion>(br#"{"template":{"messages":[]},"id":"x"}"#).is_err(), "a version keeps its prompt's id");
    }

    #[test]
    fn virtual_keys() {
        let v = parse::<CreateVirtualKey>(br#"{"name":"ci","allowed_models":["gpt-4o*"],"rate_limit":"20;w=60"}"#)
            .unwrap()
            .validate(0)
            .unwrap();
        assert_eq!(v.allowed_models, Some(vec!["gpt-4o*".to_string()]));
        let e = parse::<CreateVirtualKey>(br#"{"expires_at":5}"#).unwrap().validate(10).err().unwrap();
        assert_eq!(e.param.as_deref(), Some("expires_at"));
        let e = parse::<CreateVirtualKey>(br#"{"rate_limit":"lots"}"#).unwrap().validate(0).err().unwrap();
        assert_eq!(e.param.as_deref(), Some("rate_limit"));
        let e = parse::<CreateVirtualKey>(br#"{"allowed_models":[""]}"#).unwrap().validate(0).err().unwrap();
        assert_eq!(e.param.as_deref(), Some("allowed_models"));
    }

    #[test]
    fn hostnames() {
        let ok = |h: &str| CreateDomain { hostname: h.into() }.validate();
        assert_eq!(ok("AI.Example.com.").unwrap(), "ai.example.com");
        assert!(ok("localhost").is_err());
        assert!(ok("bad_host.com").is_err());
        assert!(ok("-x.com").is_err());
    }

    #[test]
    fn empty_body_is_an_empty_object() {
        assert!(parse::<CreateVirtualKey>(b"").is_ok());
    }
    #[test]
    fn tokens_need_a_known_role_and_a_future_expiry() {
        let t = parse::<CreateToken>(br#"{"name":"ci","role":"developer","read_bodies":true}"#).unwrap().validate(10).unwrap();
        assert_eq!((t.role, t.read_bodies, t.name.as_str()), (Role::Developer, true, "ci"));
        let e = parse::<CreateToken>(br#"{"role":"root"}"#).unwrap().validate(10).err().unwrap();
        assert_eq!(e.param.as_deref(), Some("role"));
        let e = parse::<CreateToken>(br#"{"role":"viewer","expires_at":5}"#).unwrap().validate(10).err().unwrap();
        assert_eq!(e.param.as_deref(), Some("expires_at"));
        assert!(parse::<CreateToken>(br#"{"role":"viewer","scope":"all"}"#).is_err(), "unknown fields are errors");
        assert_eq!(parse::<PutMember>(br#"{"role":"owner"}"#).unwrap().validate().unwrap(), (Role::Owner, false));
    }
}
