//! Which native (pass-through) paths a virtual key may reach, per wire
//! format: the provider's inference APIs and its model listing. Everything
//! else under a provider — files, batches, fine-tuning, vector stores,
//! assistants, organisation settings — acts on the workspace's provider
//! *account*, not on one request, and is refused unless a policy allows
//! `allow_provider_account_api`.
//!
//! The path is judged segment by segment after percent-decoding, and a
//! path with a dot segment or an empty segment is refused outright, so an
//! encoded `..` cannot turn an inference path into an account one at the
//! provider.

use crate::catalog::ProviderSpec;
use crate::catalog::AdapterKind;

/// What a native request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeCall {
    /// Generates an answer (chat, completions, responses, messages,
    /// generateContent, converse, invoke): capped, and its stream's usage read.
    Generate { openai_stream_usage: bool },
    /// Embeddings, rerank, moderation, images: priced but not capped.
    Other,
    CountTokens,
    /// Listing or describing models (GET).
    Models,
    /// Anything that is not one request's inference.
    Account,
}

impl NativeCall {
    pub fn is_account(self) -> bool {
        self == NativeCall::Account
    }
}

/// Refused before classification: the path could mean something else at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafePath(pub &'static str);

/// The path's segments, each percent-decoded; refused when any segment is
/// empty, a dot segment (also once decoded, also within a decoded `/`), or
/// holds control characters.
pub fn segments(path: &str) -> Result<Vec<String>, UnsafePath> {
    let trimmed = path.strip_prefix('/').unwrap_or(path).trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for raw in trimmed.split('/') {
        let seg = crate::util::url_path::percent_decode(raw);
        if seg.is_empty() {
            return Err(UnsafePath("an empty path segment"));
        }
        if seg.chars().any(char::is_control) {
            return Err(UnsafePath("control characters"));
        }
        if seg.split(['/', '\\']).any(|p| p == "." || p == ".." || p.is_empty()) {
            return Err(UnsafePath("a '.' or '..' segment"));
        }
        out.push(seg);
    }
    Ok(out)
}

/// Classifies a native request on `spec`'s wire format.
pub fn classify(spec: &ProviderSpec, method: &str, path: &str) -> Result<NativeCall, UnsafePath> {
    let segs = segments(path)?;
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let post = method.eq_ignore_ascii_case("POST");
    let get = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
    Ok(match spec.adapter {
        AdapterKind::Anthropic => anthropic(&s, post, get),
        AdapterKind::Gemini => gemini(&s, post, get),
        AdapterKind::Bedrock => bedrock(&s, post),
        AdapterKind::Cohere => cohere(&s, post, get),
        AdapterKind::Azure => azure(&s, post, get),
        AdapterKind::Openai => {
            let prefix: Vec<&str> = spec.api_path.split('/').filter(|p| !p.is_empty()).collect();
            let rest = match s.strip_prefix(prefix.as_slice()) {
                Some(rest) => rest,
                // A provider whose API sits at the root may be called under /v1 too.
                None if prefix.is_empty() => s.strip_prefix(&["v1"][..]).unwrap_or(&s),
                None => return Ok(NativeCall::Account),
            };
            openai_tail(rest, post, get)
        }
    })
}

/// The OpenAI-format API below its version prefix.
fn openai_tail(rest: &[&str], post: bool, get: bool) -> NativeCall {
    match rest {
        ["chat", "completions"] | ["completions"] if post => NativeCall::Generate { openai_stream_usage: true },
        ["responses"] | ["messages"] if post => NativeCall::Generate { openai_stream_usage: false },
        ["embeddings"] | ["moderations"] | ["images", "generations"] | ["rerank"] if post => NativeCall::Other,
        ["models"] | ["models", _] if get => NativeCall::Models,
        _ => NativeCall::Account,
    }
}

fn azure(s: &[&str], post: bool, get: bool) -> NativeCall {
    match s {
        ["openai", "deployments", _, rest @ ..] | ["openai", "v1", rest @ ..] => openai_tail(rest, post, get),
        ["openai", rest @ ..] => openai_tail(rest, post, get),
        _ => NativeCall::Account,
    }
}

fn anthropic(s: &[&str], post: bool, get: bool) -> NativeCall {
    match s {
        ["v1", "messages"] | ["v1", "complete"] if post => NativeCall::Generate { openai_stream_usage: false },
        ["v1", "messages", "count_tokens"] if post => NativeCall::CountTokens,
        ["v1", "models"] | ["v1", "models", _] if get => NativeCall::Models,
        _ => NativeCall::Account,
    }
}

fn gemini(s: &[&str], post: bool, get: bool) -> NativeCall {
    let versioned = |v: &str| matches!(v, "v1" | "v1beta" | "v1alpha");
    match s {
        [v, "models" | "tunedModels", model_method] if post && versioned(v) => {
            match model_method.rsplit_once(':').map(|(_, m)| m) {
                Some("generateContent" | "streamGenerateContent") => NativeCall::Generate { openai_stream_usage: false },
                Some("embedContent" | "batchEmbedContents") => NativeCall::Other,
                Some("countTokens") => NativeCall::CountTokens,
                _ => NativeCall::Account,
            }
        }
        [v, "models"] | [v, "models", _] if get && versioned(v) && !s.last().is_some_and(|m| m.contains(':')) => NativeCall::Models,
        _ => NativeCall::Account,
    }
}

fn bedrock(s: &[&str], post: bool) -> NativeCall {
    match s {
        ["model", _, "converse" | "converse-stream" | "invoke" | "invoke-with-response-stream"] if post => {
            NativeCall::Generate { openai_stream_usage: false }
        }
        ["model", _, "count-tokens"] if post => NativeCall::CountTokens,
        _ => NativeCall::Account,
    }
}

fn cohere(s: &[&str], post: bool, get: bool) -> NativeCall {
    match s {
        ["v1" | "v2", "chat"] if post => NativeCall::Generate { openai_stream_usage: false },
        ["v1" | "v2", "embed" | "rerank"] if post => NativeCall::Other,
        ["v1", "models"] | ["v1", "models", _] if get => NativeCall::Models,
        _ => NativeCall::Account,
    }
}

/// The query string (with its `?`, or empty) without a `key=vk-…`
/// parameter that carried a virtual key (Gemini-style REST clients), and
/// that key. Other parameters keep their bytes and order.
pub fn split_query(query: &str) -> (String, Option<String>) {
    let mut key = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("key=") {
            Some(v) if v.starts_with("vk-") => {
                key = Some(v.to_string());
                false
            }
            _ => !pair.is_empty(),
        })
        .collect();
    let query = if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) };
    (query, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;

    fn class(provider: &str, method: &str, path: &str) -> NativeCall {
        classify(catalog().provider(provider).unwrap(), method, path).unwrap()
    }

    #[test]
    fn inference_paths_of_every_format() {
        let gen = NativeCall::Generate { openai_stream_usage: true };
        assert_eq!(class("openai", "POST", "/v1/chat/completions"), gen);
        assert_eq!(class("openai", "POST", "/v1/completions"), gen);
        assert_eq!(class("groq", "POST", "/openai/v1/chat/completions"), gen);
        assert_eq!(class("perplexity", "POST", "/chat/completions"), gen);
        assert_eq!(class("openai", "POST", "/v1/responses"), NativeCall::Generate { openai_stream_usage: false });
        assert_eq!(class("openai", "POST", "/v1/embeddings"), NativeCall::Other);
        assert_eq!(class("openai", "GET", "/v1/models"), NativeCall::Models);
        assert_eq!(class("azure", "POST", "/openai/deployments/gpt4o/chat/completions"), gen);
        assert_eq!(class("anthropic", "POST", "/v1/messages"), NativeCall::Generate { openai_stream_usage: false });
        assert_eq!(class("anthropic", "POST", "/v1/messages/count_tokens"), NativeCall::CountTokens);
        assert_eq!(class("gemini", "POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent"), NativeCall::Generate { openai_stream_usage: false });
        assert_eq!(class("gemini", "POST", "/v1beta/models/text-embedding-004:embedContent"), NativeCall::Other);
        assert_eq!(class("gemini", "GET", "/v1beta/models"), NativeCall::Models);
        assert_eq!(class("bedrock", "POST", "/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse"), NativeCall::Generate { openai_stream_usage: false });
        assert_eq!(class("cohere", "POST", "/v2/chat"), NativeCall::Generate { openai_stream_usage: false });
    }

    #[test]
    fn account_apis_are_account_apis() {
        for (p, m, path) in [
            ("openai", "GET", "/v1/files"),
            ("openai", "DELETE", "/v1/files/file-abc"),
            ("openai", "POST", "/v1/batches"),
            ("openai", "POST", "/v1/fine_tuning/jobs"),
            ("openai", "POST", "/v1/vector_stores"),
            ("openai", "POST", "/v1/assistants"),
            ("openai", "GET", "/v1/organization/users"),
            ("openai", "GET", "/v1/responses/resp_1"),
            ("openai", "DELETE", "/v1/models/ft:gpt-4o:acme"),
            ("openai", "POST", "/v1/files/x/chat/completions"),
            ("openai", "POST", "/chat/completions"),
            ("anthropic", "POST", "/v1/messages/batches"),
            ("anthropic", "GET", "/v1/files"),
            ("gemini", "POST", "/upload/v1beta/files"),
            ("gemini", "GET", "/v1beta/files"),
            ("gemini", "POST", "/v1beta/models/gemini-2.5-flash:batchGenerateContent"),
            ("gemini", "POST", "/v1beta/cachedContents"),
            ("bedrock", "POST", "/model-invocation-job"),
            ("cohere", "POST", "/v1/datasets"),
        ] {
            assert_eq!(class(p, m, path), NativeCall::Account, "{p} {m} {path}");
        }
    }

    #[test]
    fn the_virtual_key_leaves_the_query_and_nothing_else_does() {
        assert_eq!(split_query("alt=sse&key=vk-abc"), ("?alt=sse".into(), Some("vk-abc".into())));
        assert_eq!(split_query("key=vk-abc"), (String::new(), Some("vk-abc".into())));
        assert_eq!(split_query("key=AIza-real&alt=sse"), ("?key=AIza-real&alt=sse".into(), None), "a provider key is the provider's business");
        assert_eq!(split_query(""), (String::new(), None));
        assert_eq!(split_query("a=%20&&b=2"), ("?a=%20&b=2".into(), None));
    }

    #[test]
    fn encoded_dot_segments_are_refused() {
        let openai = catalog().provider("openai").unwrap();
        for path in ["/v1/chat/completions/%2e%2e/%2e%2e/files", "/v1/chat/../files", "/v1//files", "/v1/chat%2F..%2Ffiles/completions", "/v1/a%00b"] {
            assert!(classify(openai, "POST", path).is_err(), "{path}");
        }
    }
}
