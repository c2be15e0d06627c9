//! Provider adapters: building the upstream request for a resolved target,
//! reading usage from the answer, translating streams and errors.
//!
//! Everything here is pure: the edge (`pipeline::dispatch`) executes the
//! `UpstreamRequest` with `fetch` and feeds the bytes back in.

pub mod adapter;
pub mod auth;
pub mod client;
pub mod model;
pub mod native_paths;
pub mod serving;
pub mod sse;
pub mod stream_transform;
pub mod translate;
pub mod upstream;
pub mod upstream_error;
pub mod usage;

use crate::catalog::ProviderSpec;

/// An HTTP request ready to send to a provider.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl UpstreamRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Where one attempt goes: the provider, the model id it knows, the base URL
/// (a provider key may override the catalog's), the credential and its
/// provider-specific settings (Azure `api_version`, AWS `region`, …).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub provider: &'a ProviderSpec,
    pub model_id: &'a str,
    pub base_url: &'a str,
    pub secret: Option<&'a str>,
    pub config: &'a serde_json::Value,
    /// Now, for request signing (AWS SigV4).
    pub now_ms: u64,
}

impl Target<'_> {
    /// A string setting from the credential's config.
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.config.get(name).and_then(serde_json::Value::as_str).filter(|s| !s.is_empty())
    }
}

/// Joins a base URL and a path without doubling or dropping the slash.
pub fn join_url(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_joining() {
        assert_eq!(join_url("https://a/v1", "/chat/completions"), "https://a/v1/chat/completions");
        assert_eq!(join_url("https://a/v1/", "chat/completions"), "https://a/v1/chat/completions");
    }
}
