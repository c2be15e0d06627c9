//! Azure OpenAI: OpenAI's format under
//! `/openai/deployments/{deployment}/{chat/completions|completions|embeddings}?api-version=…`,
//! and the Responses API at `/openai/responses?api-version=…` (the body's
//! `model` names the deployment), authenticated by an `api-key` header. The answer's `model` is the
//! deployment name. Errors use Azure's `{"error":{"code":"<status>","message"}}`.

use crate::openai;
use crate::output::Output;
use crate::responses;
use serde_json::{json, Value};

const PREFIX: &str = "/openai/deployments/";
const RESPONSES: &str = "/openai/responses";

/// Whether a path is Azure's (error bodies in its shape).
pub fn serves(path: &str) -> bool {
    deployment(path).is_some() || path.trim_end_matches('/') == RESPONSES
}

/// Splits `/openai/deployments/{deployment}/{operation}` into its two parts.
pub fn deployment(path: &str) -> Option<(&str, &str)> {
    let (name, operation) = path.strip_prefix(PREFIX)?.split_once('/')?;
    (!name.is_empty()).then_some((name, operation.trim_end_matches('/')))
}

fn has_api_version(query: Option<&str>) -> bool {
    query.is_some_and(|q| q.split('&').any(|kv| kv.strip_prefix("api-version=").is_some_and(|v| !v.is_empty())))
}

/// Answers an Azure deployment or Responses path; `None` for any other path.
pub fn route(
    method: &str,
    path: &str,
    query: Option<&str>,
    api_key: Option<&str>,
    body: &Value,
    content: Option<&str>,
    request_id: &str,
) -> Option<Output> {
    let target = match deployment(path) {
        Some(d) => Some(d),
        None if path == RESPONSES => None,
        None => return None,
    };
    if api_key.is_none_or(str::is_empty) {
        return Some(error(
            401,
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key \
             for an active subscription and use a correct regional API endpoint for your resource.",
        ));
    }
    if !has_api_version(query) || method != "POST" {
        return Some(error(404, "Resource not found"));
    }
    let Some((name, operation)) = target else { return Some(responses::create(body, content, request_id)) };
    // Azure answers with the deployment's model whatever the body says.
    let mut body = body.clone();
    if let Value::Object(map) = &mut body {
        map.insert("model".into(), json!(name));
    }
    Some(match operation {
        "chat/completions" => openai::chat(&body, content, request_id),
        "completions" => openai::completions(&body, content, request_id),
        "embeddings" => openai::embeddings(&body),
        _ => error(404, "Resource not found"),
    })
}

/// Azure OpenAI's error body.
pub fn error(status: u16, message: &str) -> Output {
    Output::json(status, json!({"error": {"code": status.to_string(), "message": message}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(o: Option<Output>) -> (u16, Value) {
        match o {
            Some(Output::Json { status, body, .. }) => (status, body),
            _ => panic!("expected a JSON answer"),
        }
    }

    #[test]
    fn deployment_paths() {
        assert_eq!(deployment("/openai/deployments/gpt4o-prod/chat/completions"), Some(("gpt4o-prod", "chat/completions")));
        assert_eq!(deployment("/openai/deployments/e/embeddings/"), Some(("e", "embeddings")));
        assert_eq!(deployment("/v1/chat/completions"), None);
        assert_eq!(deployment("/openai/deployments//chat/completions"), None);
    }

    #[test]
    fn chat_answers_with_the_deployment_as_model() {
        let body = json!({"messages": [{"role": "user", "content": "hi"}]});
        let (status, v) = answer(route(
            "POST",
            "/openai/deployments/my-gpt/chat/completions",
            Some("api-version=2024-10-21"),
            Some("azure-key"),
            &body,
            None,
            "1",
        ));
        assert_eq!(status, 200);
        assert_eq!(v["model"], "my-gpt");
        assert_eq!(v["choices"][0]["message"]["content"], "Mock answer to: hi");
        let (_, v) = answer(route(
            "POST",
            "/openai/deployments/emb/embeddings",
            Some("api-version=2024-10-21"),
            Some("k"),
            &json!({"input": "x", "model": "ignored"}),
            None,
            "2",
        ));
        assert_eq!(v["model"], "emb");
        assert_eq!(v["data"][0]["object"], "embedding");
    }

    #[test]
    fn key_and_api_version_are_required() {
        let path = "/openai/deployments/d/chat/completions";
        let (status, v) = answer(route("POST", path, Some("api-version=2024-10-21"), None, &json!({}), None, "1"));
        assert_eq!(status, 401);
        assert_eq!(v["error"]["code"], "401");
        assert!(v["error"]["message"].as_str().unwrap().starts_with("Access denied"));
        let (status, v) = answer(route("POST", path, None, Some("k"), &json!({}), None, "1"));
        assert_eq!((status, v["error"]["code"].as_str()), (404, Some("404")));
        assert!(route("POST", "/v1/chat/completions", None, None, &json!({}), None, "1").is_none());
    }
}
