//! How a provider serves what the client asked for: in the client's own
//! format (forwarded, only the model and credential rewritten), or by
//! translation through the neutral chat model — which lets a Codex client
//! (Responses API) or Claude Code (Anthropic Messages) use any chat model.

use crate::core::endpoint::Endpoint;
use crate::catalog::{AdapterKind, ProviderSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serving {
    /// The provider speaks the client's format: forward it.
    Native,
    /// Parse the client's format into a chat request, send that with the
    /// provider's chat adapter, encode the answer back.
    ViaChat,
}

pub fn serving(provider: &ProviderSpec, endpoint: &Endpoint) -> Option<Serving> {
    let chat = provider.serves(Endpoint::ChatCompletions.name());
    match endpoint {
        Endpoint::Responses if provider.serves(endpoint.name()) => Some(Serving::Native),
        Endpoint::Messages | Endpoint::CountTokens if provider.adapter == AdapterKind::Anthropic => Some(Serving::Native),
        Endpoint::Responses | Endpoint::Messages | Endpoint::CountTokens => chat.then_some(Serving::ViaChat),
        other => provider.serves(other.name()).then_some(Serving::Native),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;

    fn of(provider: &str, endpoint: Endpoint) -> Option<Serving> {
        serving(catalog().provider(provider).unwrap(), &endpoint)
    }

    #[test]
    fn client_formats_are_native_where_the_provider_speaks_them() {
        assert_eq!(of("openai", Endpoint::Responses), Some(Serving::Native));
        assert_eq!(of("azure", Endpoint::Responses), Some(Serving::Native));
        assert_eq!(of("anthropic", Endpoint::Messages), Some(Serving::Native));
        assert_eq!(of("anthropic", Endpoint::CountTokens), Some(Serving::Native));
    }

    #[test]
    fn and_translated_for_every_chat_provider() {
        for p in ["anthropic", "gemini", "bedrock", "cohere", "groq", "mistral", "ollama"] {
            assert_eq!(of(p, Endpoint::Responses), Some(Serving::ViaChat), "{p}");
        }
        for p in ["openai", "gemini", "bedrock", "deepseek"] {
            assert_eq!(of(p, Endpoint::Messages), Some(Serving::ViaChat), "{p}");
        }
    }

    #[test]
    fn other_endpoints_follow_the_catalog() {
        assert_eq!(of("openai", Endpoint::ChatCompletions), Some(Serving::Native));
        assert_eq!(of("perplexity", Endpoint::Embeddings), None);
        assert_eq!(of("anthropic", Endpoint::Embeddings), None);
    }
}
