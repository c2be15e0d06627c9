//! Model name → provider + upstream model id.
//!
//! - `provider/model_id` is explicit (the model id may itself contain `/`).
//!   A known provider accepts model ids the catalog does not list yet (they
//!   are simply unpriced): providers ship models faster than any catalog.
//! - A bare name resolves through the catalog (`gpt-4o` → openai), then the
//!   workspace's custom providers, then a provider's name prefixes.
//! - Anything else is a 404 `model_not_found` that says how to name a model.

use super::{Catalog, ModelSpec, ProviderSpec};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};

#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    pub provider: &'a ProviderSpec,
    /// The id sent upstream (without the `provider/` prefix).
    pub model_id: &'a str,
    /// Catalog entry with limits and prices, when known.
    pub model: Option<&'a ModelSpec>,
}

impl Resolved<'_> {
    /// `provider/model_id`, the canonical name in logs and `/v1/models`.
    pub fn qualified(&self) -> String {
        format!("{}/{}", self.provider.id, self.model_id)
    }
}

/// Resolves `name` against the workspace's custom providers and the catalog.
/// Custom providers win on an id clash: a workspace may shadow a catalog
/// provider (e.g. its own `openai` gateway).
pub fn resolve<'a>(catalog: &'a Catalog, custom: &'a [ProviderSpec], name: &'a str) -> GatewayResult<Resolved<'a>> {
    let name = name.trim();
    if name.is_empty() {
        return Err(GatewayError::invalid_request(ErrorCode::MissingModel, "The 'model' field is empty.").with_param("model"));
    }
    let find_provider = |id: &str| custom.iter().find(|p| p.answers_to(id)).or_else(|| catalog.provider(id));

    if let Some((prefix, rest)) = name.split_once('/') {
        if let Some(provider) = find_provider(prefix) {
            if rest.is_empty() {
                return Err(GatewayError::invalid_request(
                    ErrorCode::MissingModel,
                    format!("'{name}' names provider '{prefix}' but no model; use '{prefix}/<model id>'."),
                )
                .with_param("model"));
            }
            return Ok(Resolved { provider, model_id: rest, model: provider.model(rest) });
        }
    }

    if let Some(provider) = catalog.bare.get(name).map(|&i| &catalog.providers[i]) {
        return Ok(Resolved { provider, model_id: name, model: provider.model(name) });
    }
    if let Some(provider) = custom.iter().find(|p| p.model(name).is_some()) {
        return Ok(Resolved { provider, model_id: name, model: provider.model(name) });
    }
    if let Some(provider) = catalog.bare_provider(name) {
        return Ok(Resolved { provider, model_id: name, model: None });
    }
    Err(model_not_found(name))
}

fn model_not_found(name: &str) -> GatewayError {
    let shown: String = name.chars().filter(|c| !c.is_control()).take(100).collect();
    let hint = match shown.split_once('/') {
        Some((prefix, _)) => format!("'{prefix}' is not a known provider. "),
        None => String::new(),
    };
    GatewayError::not_found(
        ErrorCode::ModelNotFound,
        format!(
            "The model '{shown}' does not exist in the gateway's catalog. {hint}Name a model as \
             '<provider>/<model id>' (for example 'openai/gpt-4o' or 'anthropic/claude-sonnet-4-20250514'), \
             or use a bare catalog name such as 'gpt-4o'. GET /v1/models lists the models this key may use."
        ),
    )
    .with_param("model")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{catalog, AdapterKind, AuthScheme};
    use std::collections::BTreeMap;

    fn custom(id: &str, models: &[&str]) -> ProviderSpec {
        ProviderSpec {
            id: id.into(),
            name: id.into(),
            aliases: vec![],
            adapter: AdapterKind::Openai,
            base_url: "https://llm.internal/v1".into(),
            api_path: String::new(),
            auth: AuthScheme::Bearer,
            default_headers: BTreeMap::new(),
            env_key: None,
            key_optional: false,
            bare_names: false,
            bare_prefixes: vec![],
            endpoints: vec!["chat".into()],
            models: models
                .iter()
                .map(|m| serde_json::from_value(serde_json::json!({"id": m, "input": 1.0, "output": 2.0})).unwrap())
                .collect(),
        }
    }

    #[test]
    fn bare_catalog_name() {
        let r = resolve(catalog(), &[], "gpt-4o").unwrap();
        assert_eq!(r.provider.id, "openai");
        assert_eq!(r.model_id, "gpt-4o");
        assert!(r.model.is_some());
        assert_eq!(r.qualified(), "openai/gpt-4o");
    }

    #[test]
    fn explicit_provider_prefix_keeps_slashes_in_the_model() {
        let r = resolve(catalog(), &[], "together/meta-llama/Llama-3.3-70B-Instruct-Turbo").unwrap();
        assert_eq!(r.provider.id, "together");
        assert_eq!(r.model_id, "meta-llama/Llama-3.3-70B-Instruct-Turbo");
    }

    #[test]
    fn aliases_work_as_prefixes() {
        let r = resolve(catalog(), &[], "fireworks_ai/accounts/fireworks/models/x").unwrap();
        assert_eq!(r.provider.id, "fireworks");
    }

    #[test]
    fn explicit_unlisted_model_is_allowed_but_unpriced() {
        let r = resolve(catalog(), &[], "openai/gpt-99-preview").unwrap();
        assert_eq!(r.provider.id, "openai");
        assert!(r.model.is_none());
    }

    #[test]
    fn prefix_rules_catch_new_models() {
        let r = resolve(catalog(), &[], "gpt-99-turbo").unwrap();
        assert_eq!(r.provider.id, "openai");
        assert!(r.model.is_none());
    }

    #[test]
    fn unknown_names_are_404_with_guidance() {
        let e = resolve(catalog(), &[], "llama-from-nowhere").unwrap_err();
        assert_eq!(e.status, 404);
        assert_eq!(e.code, "model_not_found");
        assert!(e.message.contains("openai/gpt-4o"));
        let e = resolve(catalog(), &[], "nosuchprovider/model").unwrap_err();
        assert!(e.message.contains("'nosuchprovider' is not a known provider"));
    }

    #[test]
    fn empty_model_is_400() {
        assert_eq!(resolve(catalog(), &[], "  ").unwrap_err().status, 400);
        assert_eq!(resolve(catalog(), &[], "openai/").unwrap_err().status, 400);
    }

    #[test]
    fn custom_providers_resolve_explicitly_and_by_bare_name() {
        let c = [custom("acme", &["acme-large"])];
        let r = resolve(catalog(), &c, "acme/acme-large").unwrap();
        assert_eq!(r.provider.id, "acme");
        assert!(r.model.is_some());
        let r = resolve(catalog(), &c, "acme-large").unwrap();
        assert_eq!(r.provider.id, "acme");
    }

    #[test]
    fn custom_provider_shadows_catalog_id() {
        let c = [custom("openai", &[])];
        let r = resolve(catalog(), &c, "openai/gpt-4o").unwrap();
        assert_eq!(r.provider.base_url, "https://llm.internal/v1");
    }
}
