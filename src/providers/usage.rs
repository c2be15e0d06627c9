//! Token usage in one normalized shape, whatever the provider reported.
//!
//! Semantics follow OpenAI's: `prompt_tokens` counts every input token,
//! including those read from or written to a prompt cache; `cached_tokens`
//! and `cache_creation_tokens` say how many of them were; `reasoning_tokens`
//! are part of `completion_tokens`. Adapters for providers that count
//! differently (Anthropic excludes cache reads from `input_tokens`) convert
//! into this shape so that pricing has one rule.

use serde::Deserialize;

pub use crate::core::usage::Usage;

/// The `usage` object of OpenAI's chat, completions, embeddings and
/// Responses APIs (the latter names its fields `input_tokens`/`output_tokens`).
#[derive(Debug, Default, Deserialize)]
pub struct OpenAiUsage {
    #[serde(default, alias = "input_tokens")]
    prompt_tokens: Option<u64>,
    #[serde(default, alias = "output_tokens")]
    completion_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
    #[serde(default, alias = "input_tokens_details")]
    prompt_tokens_details: Option<PromptDetails>,
    #[serde(default, alias = "output_tokens_details")]
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Debug, Default, Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

impl From<OpenAiUsage> for Usage {
    fn from(u: OpenAiUsage) -> Usage {
        let prompt = u.prompt_tokens.unwrap_or(0);
        // Embeddings report only prompt and total tokens.
        let completion = u
            .completion_tokens
            .unwrap_or_else(|| u.total_tokens.map(|t| t.saturating_sub(prompt)).unwrap_or(0));
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            cached_tokens: u.prompt_tokens_details.and_then(|d| d.cached_tokens).unwrap_or(0),
            cache_creation_tokens: 0,
            reasoning_tokens: u.completion_tokens_details.and_then(|d| d.reasoning_tokens).unwrap_or(0),
            images: 0,
        }
    }
}

/// Reads `usage` (and for images, the number of results) from an OpenAI-shaped
/// response body. Returns `None` when the body reports no usage.
pub fn from_openai_body(body: &[u8]) -> Option<Usage> {
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        usage: Option<OpenAiUsage>,
        #[serde(default)]
        data: Option<Vec<serde::de::IgnoredAny>>,
        #[serde(default)]
        object: Option<String>,
    }
    let b: Body = serde_json::from_slice(body).ok()?;
    let is_images = b.object.is_none() && b.data.is_some();
    match (b.usage, is_images) {
        (Some(u), false) => Some(u.into()),
        (Some(u), true) => Some(Usage { images: b.data.map_or(0, |d| d.len() as u64), ..u.into() }),
        (None, true) => Some(Usage { images: b.data.map_or(0, |d| d.len() as u64), ..Usage::default() }),
        (None, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_usage_with_details() {
        let body = br#"{"id":"x","object":"chat.completion","usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,
            "prompt_tokens_details":{"cached_tokens":64},"completion_tokens_details":{"reasoning_tokens":5}}}"#;
        let u = from_openai_body(body).unwrap();
        assert_eq!(u, Usage { prompt_tokens: 100, completion_tokens: 20, cached_tokens: 64, reasoning_tokens: 5, ..Default::default() });
        assert_eq!(u.total_tokens(), 120);
    }

    #[test]
    fn responses_api_names() {
        let body = br#"{"object":"response","usage":{"input_tokens":10,"output_tokens":3,"input_tokens_details":{"cached_tokens":2},"output_tokens_details":{"reasoning_tokens":1}}}"#;
        let u = from_openai_body(body).unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens, u.cached_tokens, u.reasoning_tokens), (10, 3, 2, 1));
    }

    #[test]
    fn embeddings_have_no_completion() {
        let body = br#"{"object":"list","data":[{"embedding":[0.1]}],"usage":{"prompt_tokens":8,"total_tokens":8}}"#;
        let u = from_openai_body(body).unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens, u.images), (8, 0, 0));
    }

    #[test]
    fn images_count_results() {
        let body = br#"{"created":1,"data":[{"url":"a"},{"url":"b"}]}"#;
        assert_eq!(from_openai_body(body).unwrap().images, 2);
    }

    #[test]
    fn missing_or_null_usage() {
        assert_eq!(from_openai_body(br#"{"object":"chat.completion","usage":null}"#), None);
        assert_eq!(from_openai_body(b"not json"), None);
    }
}
