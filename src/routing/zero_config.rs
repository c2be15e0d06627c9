//! Zero-config routing: a deployment that sets only provider API keys as
//! secrets (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, …) serves requests made
//! with its master key in the built-in `default` workspace, using those
//! keys. `GATEWAY_PROVIDERS` names a default route, used for `model: "auto"`:
//!
//!   GATEWAY_PROVIDERS = "openai:gpt-4o-mini, anthropic:claude-haiku-4-5"
//!       tried in this order (fallback);
//!   GATEWAY_WEIGHTS   = "openai=3, anthropic=1"
//!       spread by weight instead (the others stay as fallbacks).

use super::config::{Node, RouterConfig, Target};
use serde_json::Map;

/// The workspace that zero-config requests (master key on `/v1`) belong to.
pub const DEFAULT_WORKSPACE: &str = "default";

/// The model name that asks for the default route.
pub const AUTO_MODEL: &str = "auto";

fn targets(providers: &str) -> Result<Vec<Target>, String> {
    providers
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (provider, model) = item
                .split_once(':')
                .map(|(p, m)| (p.trim(), m.trim()))
                .filter(|(p, m)| !p.is_empty() && !m.is_empty())
                .ok_or_else(|| format!("GATEWAY_PROVIDERS: '{item}' must be provider:model"))?;
            Ok(Target { provider: provider.to_string(), model: model.to_string(), provider_key: None, params: Map::new() })
        })
        .collect()
}

fn weights(text: &str) -> Result<Vec<(String, f64)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (p, w) = item.split_once('=').ok_or_else(|| format!("GATEWAY_WEIGHTS: '{item}' must be provider=weight"))?;
            let w: f64 = w.trim().parse().ok().filter(|w: &f64| w.is_finite() && *w > 0.0)
                .ok_or_else(|| format!("GATEWAY_WEIGHTS: weight of '{}' must be a positive number", p.trim()))?;
            Ok((p.trim().to_string(), w))
        })
        .collect()
}

/// The default router from the two variables; `None` when no route is set.
pub fn default_router(providers: Option<&str>, weights_text: Option<&str>) -> Result<Option<RouterConfig>, String> {
    let Some(providers) = providers.filter(|p| !p.trim().is_empty()) else { return Ok(None) };
    let list = targets(providers)?;
    if list.is_empty() {
        return Ok(None);
    }
    let root = match weights_text.filter(|w| !w.trim().is_empty()) {
        None => Node::Fallback(list.into_iter().map(Node::Target).collect()),
        Some(w) => {
            let w = weights(w)?;
            Node::Loadbalance(
                list.into_iter()
                    .map(|t| {
                        let weight = w.iter().find(|(p, _)| *p == t.provider).map_or(1.0, |(_, w)| *w);
                        (weight, Node::Target(t))
                    })
                    .collect(),
            )
        }
    };
    Ok(Some(RouterConfig {
        root,
        retry: Default::default(),
        timeout_ms: None,
        deadline_ms: None,
        health: Default::default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_by_default_weights_when_given() {
        let r = default_router(Some("openai:gpt-4o-mini, anthropic:claude-haiku-4-5"), None).unwrap().unwrap();
        assert!(matches!(&r.root, Node::Fallback(c) if c.len() == 2));
        let r = default_router(Some("openai:a,anthropic:b"), Some("openai=3")).unwrap().unwrap();
        match r.root {
            Node::Loadbalance(c) => assert_eq!(c.iter().map(|(w, _)| *w).collect::<Vec<_>>(), vec![3.0, 1.0]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unset_or_bad_values() {
        assert_eq!(default_router(None, None), Ok(None));
        assert_eq!(default_router(Some(" "), None), Ok(None));
        assert!(default_router(Some("openai"), None).unwrap_err().contains("provider:model"));
        assert!(default_router(Some("openai:a"), Some("openai=x")).unwrap_err().contains("positive"));
    }
}
