//! Building the upstream request for an OpenAI-compatible provider.

use crate::providers::{auth, join_url, Target, UpstreamRequest};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::core::endpoint::Endpoint;
use crate::catalog::AdapterKind;
use crate::util::json_object::JsonObject;
use serde_json::{Map, Value};

/// How the answer will come back and what the gateway must do to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamPlan {
    pub stream: bool,
    /// The gateway asked for a usage chunk the client did not; remove it
    /// from what the client receives.
    pub strip_usage_chunk: bool,
}

/// Reads `stream` as a boolean; a wrong type is the client's error.
pub fn wants_stream(body: &JsonObject) -> GatewayResult<bool> {
    body.get_as::<bool>("stream")
        .map(|s| s.unwrap_or(false))
        .map_err(|_| GatewayError::invalid_request(ErrorCode::InvalidType, "'stream' must be a boolean.").with_param("stream"))
}

/// Rewrites the body for the target (upstream model id; usage requested in
/// streams) and assembles URL and headers. `forwarded` are client headers
/// already filtered for this route.
pub fn build(
    endpoint: &Endpoint,
    mut body: JsonObject,
    target: &Target,
    forwarded: &[(String, String)],
) -> GatewayResult<(UpstreamRequest, StreamPlan)> {
    let stream = wants_stream(&body)?;
    body.set("model", &target.model_id).map_err(|_| GatewayError::internal(ErrorCode::BodyRewrite))?;
    let mut plan = StreamPlan { stream, strip_usage_chunk: false };
    if stream && matches!(endpoint, Endpoint::ChatCompletions | Endpoint::Completions) {
        plan.strip_usage_chunk = request_stream_usage(&mut body)?;
    }

    let mut req = UpstreamRequest {
        method: "POST",
        url: url(endpoint, target),
        headers: Vec::with_capacity(4 + forwarded.len()),
        body: Some(body.to_vec()),
    };
    req.headers.push(("content-type".into(), "application/json".into()));
    req.headers.push(("accept".into(), if stream { "text/event-stream" } else { "application/json" }.into()));
    for (k, v) in &target.provider.default_headers {
        req.headers.push((k.clone(), v.clone()));
    }
    for (k, v) in forwarded {
        if !req.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(k)) {
            req.headers.push((k.clone(), v.clone()));
        }
    }
    auth::apply(target.provider.auth, target.secret, &mut req);
    Ok((req, plan))
}

/// Azure's API version when the credential does not name one.
pub const AZURE_DEFAULT_API_VERSION: &str = "2024-10-21";

/// Where the endpoint lives: `base_url + /chat/completions` for OpenAI and
/// its kin; Azure OpenAI addresses a deployment (the model id) and an API
/// version (`config.api_version`).
fn url(endpoint: &Endpoint, target: &Target) -> String {
    if target.provider.adapter != AdapterKind::Azure {
        return join_url(target.base_url, endpoint.upstream_path());
    }
    let version = target.setting("api_version").unwrap_or(AZURE_DEFAULT_API_VERSION);
    let base = target.base_url.trim_end_matches('/');
    match endpoint {
        Endpoint::Responses => format!("{base}/openai/responses?api-version={version}"),
        _ => format!(
            "{base}/openai/deployments/{}{}?api-version={version}",
            crate::util::url_path::segment(target.model_id),
            endpoint.upstream_path()
        ),
    }
}

/// Makes sure the stream ends with a usage chunk; returns true when the
/// gateway added the request (so the extra chunk must not reach the client).
pub fn request_stream_usage(body: &mut JsonObject) -> GatewayResult<bool> {
    let bad = || {
        GatewayError::invalid_request(ErrorCode::InvalidType, "'stream_options' must be an object.").with_param("stream_options")
    };
    let mut options: Map<String, Value> = body.get_as("stream_options").map_err(|_| bad())?.unwrap_or_default();
    if options.get("include_usage").and_then(Value::as_bool) == Some(true) {
        return Ok(false);
    }
    options.insert("include_usage".into(), Value::Bool(true));
    body.set("stream_options", &options).map_err(|_| GatewayError::internal(ErrorCode::BodyRewrite))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;

    fn target() -> Target<'static> {
        let p = catalog().provider("openai").unwrap();
        static CONFIG: serde_json::Value = serde_json::Value::Null;
        Target {
            provider: p,
            model_id: "gpt-4o",
            base_url: "http://127.0.0.1:9/v1",
            secret: Some("sk-test"),
            config: &CONFIG,
            now_ms: 0,
        }
    }

    fn body_of(req: &UpstreamRequest) -> serde_json::Value {
        serde_json::from_slice(req.body.as_ref().unwrap()).unwrap()
    }

    #[test]
    fn rewrites_model_and_injects_credential() {
        let body = JsonObject::parse(br#"{"model":"openai/gpt-4o","messages":[]}"#).unwrap();
        let (req, plan) = build(&Endpoint::ChatCompletions, body, &target(), &[]).unwrap();
        assert_eq!(req.url, "http://127.0.0.1:9/v1/chat/completions");
        assert_eq!(body_of(&req)["model"], "gpt-4o");
        assert_eq!(req.header("authorization"), Some("Bearer sk-test"));
        assert_eq!(plan, StreamPlan { stream: false, strip_usage_chunk: false });
    }

    #[test]
    fn streams_ask_for_usage_and_remember_to_strip_it() {
        let body = JsonObject::parse(br#"{"model":"gpt-4o","stream":true,"messages":[]}"#).unwrap();
        let (req, plan) = build(&Endpoint::ChatCompletions, body, &target(), &[]).unwrap();
        assert_eq!(body_of(&req)["stream_options"]["include_usage"], true);
        assert!(plan.stream && plan.strip_usage_chunk);
        assert_eq!(req.header("accept"), Some("text/event-stream"));
    }

    #[test]
    fn client_asked_usage_is_kept() {
        let body = JsonObject::parse(
            br#"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true,"x":1},"messages":[]}"#,
        )
        .unwrap();
        let (req, plan) = build(&Endpoint::ChatCompletions, body, &target(), &[]).unwrap();
        assert!(!plan.strip_usage_chunk);
        assert_eq!(body_of(&req)["stream_options"]["x"], 1);
    }

    #[test]
    fn other_stream_options_survive_injection() {
        let body = JsonObject::parse(
            br#"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":false,"include_obfuscation":false}}"#,
        )
        .unwrap();
        let (req, plan) = build(&Endpoint::ChatCompletions, body, &target(), &[]).unwrap();
        assert!(plan.strip_usage_chunk);
        assert_eq!(body_of(&req)["stream_options"]["include_obfuscation"], false);
    }

    #[test]
    fn azure_addresses_a_deployment() {
        let p = catalog().provider("azure").unwrap();
        let config = serde_json::json!({"api_version": "2025-01-01-preview"});
        let t = Target { provider: p, model_id: "my-gpt4o", base_url: "https://acme.openai.azure.com/", secret: Some("k"), config: &config, now_ms: 0 };
        let body = JsonObject::parse(br#"{"model":"azure/my-gpt4o","messages":[]}"#).unwrap();
        let (req, _) = build(&Endpoint::ChatCompletions, body, &t, &[]).unwrap();
        assert_eq!(req.url, "https://acme.openai.azure.com/openai/deployments/my-gpt4o/chat/completions?api-version=2025-01-01-preview");
        assert_eq!(req.header("api-key"), Some("k"));
        assert_eq!(req.header("authorization"), None);
        let null = serde_json::Value::Null;
        let t = Target { config: &null, ..t };
        let body = JsonObject::parse(br#"{"model":"x","input":"a"}"#).unwrap();
        let (req, _) = build(&Endpoint::Embeddings, body, &t, &[]).unwrap();
        assert!(req.url.ends_with("/openai/deployments/my-gpt4o/embeddings?api-version=2024-10-21"));
    }

    #[test]
    fn bad_types_are_client_errors() {
        let body = JsonObject::parse(br#"{"model":"gpt-4o","stream":"yes"}"#).unwrap();
        assert_eq!(build(&Endpoint::ChatCompletions, body, &target(), &[]).unwrap_err().param.as_deref(), Some("stream"));
        let body = JsonObject::parse(br#"{"model":"gpt-4o","stream":true,"stream_options":3}"#).unwrap();
        assert_eq!(build(&Endpoint::ChatCompletions, body, &target(), &[]).unwrap_err().status, 400);
    }

    #[test]
    fn embeddings_never_get_stream_options() {
        let body = JsonObject::parse(br#"{"model":"text-embedding-3-small","input":"hi"}"#).unwrap();
        let (req, _) = build(&Endpoint::Embeddings, body, &target(), &[]).unwrap();
        assert!(body_of(&req).get("stream_options").is_none());
        assert!(req.url.ends_with("/embeddings"));
    }

    #[test]
    fn forwarded_headers_do_not_override_gateway_ones() {
        let body = JsonObject::parse(br#"{"model":"gpt-4o"}"#).unwrap();
        let fwd = vec![("openai-beta".to_string(), "assistants=v2".to_string()), ("content-type".into(), "text/plain".into())];
        let (req, _) = build(&Endpoint::ChatCompletions, body, &target(), &fwd).unwrap();
        assert_eq!(req.header("openai-beta"), Some("assistants=v2"));
        assert_eq!(req.header("content-type"), Some("application/json"));
    }
}
