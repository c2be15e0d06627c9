//! The provider and model catalog, compiled into the worker from
//! `providers/*.json` (see `build.rs`) and parsed once per isolate.
//!
//! A workspace's custom providers (registered through the admin API) use the
//! same `ProviderSpec` shape, so resolution and pricing treat them alike.

pub mod pricing;
pub mod resolve;

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// Builds `AdapterKind` from the registration list (`core::wire_formats`).
macro_rules! define_adapter_kind {
    (forwarded: [$($f:ident $fname:literal),*], translated: [$($t:ident $tname:literal $module:ident :: $ty:ident),* $(,)?] $(,)?) => {
        /// Which wire format the provider speaks; selects the adapter.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum AdapterKind {
            $(#[serde(rename = $fname)] $f,)*
            $(#[serde(rename = $tname)] $t,)*
        }

        impl AdapterKind {
            /// Every wire format, in the registration list's order.
            pub const ALL: &'static [AdapterKind] = &[$(AdapterKind::$f,)* $(AdapterKind::$t,)*];

            /// The name providers/*.json use for it.
            pub fn name(self) -> &'static str {
                match self {
                    $(AdapterKind::$f => $fname,)*
                    $(AdapterKind::$t => $tname,)*
                }
            }

            /// Whether the gateway forwards this format as the client sent
            /// it (OpenAI's) rather than translating through an adapter.
            pub fn speaks_openai(self) -> bool {
                matches!(self, $(AdapterKind::$f)|*)
            }
        }
    };
}

crate::with_wire_formats!(define_adapter_kind);

/// How the provider credential travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthScheme {
    /// `Authorization: Bearer <key>`
    Bearer,
    /// `x-api-key: <key>`
    XApiKey,
    /// `api-key: <key>` (Azure)
    ApiKey,
    /// `x-goog-api-key: <key>` (Gemini)
    XGoogApiKey,
    /// `?key=<key>` on the URL
    QueryKey,
    /// AWS Signature Version 4 (Bedrock); the key is `ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]`.
    Sigv4,
    /// No credential (self-hosted servers).
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ModelMode {
    #[default]
    Chat,
    Responses,
    Completion,
    Embedding,
    Image,
}

/// One model: limits and prices. Prices are USD per million tokens, or USD
/// per image / per request where that is how the provider bills.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub id: String,
    #[serde(default)]
    pub mode: ModelMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_image: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_request: Option<f64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tools: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vision: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderSpec {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub adapter: AdapterKind,
    pub base_url: String,
    /// The path part of `base_url` that native pass-through paths already
    /// contain (`/v1` for OpenAI: `/openai/v1/chat/completions`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_path: String,
    pub auth: AuthScheme,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_headers: BTreeMap<String, String>,
    /// Environment secret holding a deployment-wide key for this provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_key: Option<String>,
    /// Self-hosted servers may run without a credential.
    #[serde(default)]
    pub key_optional: bool,
    /// Whether this provider's model ids resolve without a `provider/` prefix.
    #[serde(default)]
    pub bare_names: bool,
    /// Name prefixes that resolve to this provider even for models newer than
    /// the catalog (e.g. `gpt-`), so a new model works before a catalog update.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bare_prefixes: Vec<String>,
    /// Endpoint names it serves: chat, completions, embeddings, responses, images, models.
    #[serde(default)]
    pub endpoints: Vec<String>,
    #[serde(default)]
    pub models: Vec<ModelSpec>,
}

impl ProviderSpec {
    pub fn model(&self, id: &str) -> Option<&ModelSpec> {
        // Models are sorted by id when the catalog loads.
        self.models.binary_search_by(|m| m.id.as_str().cmp(id)).ok().map(|i| &self.models[i])
    }

    /// Whether a request to this provider must carry a credential.
    pub fn needs_key(&self) -> bool {
        !self.key_optional && self.auth != AuthScheme::None
    }

    pub fn serves(&self, endpoint: &str) -> bool {
        self.endpoints.iter().any(|e| e == endpoint)
    }

    /// Where native pass-through paths are appended: `base` (the catalog's
    /// or a credential's own base URL) without this provider's `api_path`.
    pub fn passthrough_root<'a>(&self, base: &'a str) -> &'a str {
        let base = base.trim_end_matches('/');
        if self.api_path.is_empty() {
            return base;
        }
        base.strip_suffix(self.api_path.trim_end_matches('/')).unwrap_or(base)
    }

    pub fn answers_to(&self, name: &str) -> bool {
        self.id == name || self.aliases.iter().any(|a| a == name)
    }

    fn sort_models(&mut self) {
        self.models.sort_by(|a, b| a.id.cmp(&b.id));
        self.models.dedup_by(|a, b| a.id == b.id);
    }

    /// Ready for lookups (models sorted): for specs that do not come from
    /// the compiled-in catalog, such as a workspace's custom providers.
    pub fn prepared(mut self) -> Self {
        self.sort_models();
        self
    }
}

pub struct Catalog {
    providers: Vec<ProviderSpec>,
    /// provider id or alias → index
    by_name: HashMap<String, usize>,
    /// bare model id → provider index
    bare: HashMap<String, usize>,
}

impl Catalog {
    pub fn from_json(json: &str) -> Result<Catalog, serde_json::Error> {
        let mut providers: Vec<ProviderSpec> = serde_json::from_str(json)?;
        for p in &mut providers {
            p.sort_models();
        }
        let mut by_name = HashMap::new();
        let mut bare = HashMap::new();
        for (i, p) in providers.iter().enumerate() {
            by_name.insert(p.id.clone(), i);
            for a in &p.aliases {
                by_name.insert(a.clone(), i);
            }
            if p.bare_names {
                for m in &p.models {
                    bare.entry(m.id.clone()).or_insert(i);
                }
            }
        }
        Ok(Catalog { providers, by_name, bare })
    }

    pub fn providers(&self) -> &[ProviderSpec] {
        &self.providers
    }

    pub fn provider(&self, name: &str) -> Option<&ProviderSpec> {
        self.by_name.get(name).map(|&i| &self.providers[i])
    }

    /// Provider of a bare model name: exact catalog entry first, then a prefix rule.
    pub fn bare_provider(&self, model: &str) -> Option<&ProviderSpec> {
        if let Some(&i) = self.bare.get(model) {
            return Some(&self.providers[i]);
        }
        self.providers
            .iter()
            .find(|p| p.bare_prefixes.iter().any(|prefix| model.starts_with(prefix.as_str())))
    }

    pub fn model_count(&self) -> usize {
        self.providers.iter().map(|p| p.models.len()).sum()
    }
}

/// The catalog as compiled in: a JSON array of provider files.
pub const BUNDLE: &str = include_str!(concat!(env!("OUT_DIR"), "/catalog.json"));

/// The compiled-in catalog. `build.rs` has already checked that every file
/// parses, so a failure here means the bundle and this code disagree: the
/// gateway then serves with an empty catalog (explicit custom providers
/// still work) rather than failing every request.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::from_json(BUNDLE).unwrap_or_else(|_| Catalog {
            providers: Vec::new(),
            by_name: HashMap::new(),
            bare: HashMap::new(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_parses_and_is_large() {
        let c = Catalog::from_json(BUNDLE).expect("bundle parses");
        assert!(c.providers().len() >= 10);
        assert!(c.model_count() >= 300, "only {} models", c.model_count());
    }

    #[test]
    fn every_model_is_priced_or_free_by_design() {
        let c = catalog();
        for p in c.providers() {
            for m in &p.models {
                let priced = m.input.is_some() || m.output.is_some() || m.per_image.is_some() || m.per_request.is_some();
                assert!(priced, "{}/{} has no price", p.id, m.id);
            }
        }
    }

    #[test]
    fn no_bare_name_is_claimed_twice() {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for p in catalog().providers().iter().filter(|p| p.bare_names) {
            for m in &p.models {
                if let Some(other) = seen.insert(&m.id, &p.id) {
                    panic!("bare model '{}' is claimed by both {} and {}", m.id, other, p.id);
                }
            }
        }
    }

    #[test]
    fn provider_files_follow_their_json_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schema/provider.schema.json")).unwrap();
        let top = schema["properties"].as_object().unwrap();
        let model = schema["$defs"]["model"]["properties"].as_object().unwrap();
        let adapters = schema["properties"]["adapter"]["enum"].as_array().unwrap();
        for entry in std::fs::read_dir("providers").unwrap() {
            let path = entry.unwrap().path();
            let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for key in file.as_object().unwrap().keys() {
                assert!(top.contains_key(key), "{}: '{key}' is not in schema/provider.schema.json", path.display());
            }
            assert!(adapters.contains(&file["adapter"]), "{}: unknown adapter", path.display());
            for m in file["models"].as_array().unwrap() {
                for key in m.as_object().unwrap().keys() {
                    assert!(model.contains_key(key), "{}: model field '{key}' is not in the schema", path.display());
                }
            }
        }
    }

    #[test]
    fn aliases_find_their_provider() {
        assert_eq!(catalog().provider("together_ai").map(|p| p.id.as_str()), Some("together"));
        assert_eq!(catalog().provider("openai").map(|p| p.id.as_str()), Some("openai"));
        assert!(catalog().provider("nope").is_none());
    }

    #[test]
    fn passthrough_roots() {
        let openai = catalog().provider("openai").unwrap();
        assert_eq!(openai.passthrough_root("https://api.openai.com/v1"), "https://api.openai.com");
        assert_eq!(openai.passthrough_root("http://127.0.0.1:9/~tag=a/v1/"), "http://127.0.0.1:9/~tag=a");
        assert_eq!(openai.passthrough_root("https://proxy.internal"), "https://proxy.internal");
        let anthropic = catalog().provider("anthropic").unwrap();
        assert_eq!(anthropic.passthrough_root("https://api.anthropic.com"), "https://api.anthropic.com");
    }

    #[test]
    fn providers_serve_what_they_declare() {
        let openai = catalog().provider("openai").unwrap();
        assert!(openai.serves("chat"));
        assert!(openai.serves("embeddings"));
        assert!(openai.model("gpt-4o").is_some());
    }
}
