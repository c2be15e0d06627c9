//! Stage 1b, before the body is read for its model: a prompt template named
//! by `alephant-prompt-id` (and `alephant-prompt-version`, else the latest)
//! rendered into the body. Everything after this stage — model resolution,
//! policy caps, limits, cache keys, streaming, the upstream request — sees
//! only the rendered body, as if the client had sent it.
//!
//! The body's `inputs` fill the variables; the rendered messages come
//! first, then the body's own `messages` (a conversation continued); the
//! template's `model` is used when the body names none, and its `params`
//! when the body does not set the same field; `inputs` never goes upstream.
//! Pure over the parsed body, so it is tested natively.

use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::core::headers::{PROMPT_ID, PROMPT_VERSION};
use crate::core::endpoint::Endpoint;
use crate::prompts::{render, Missing, Template};
use crate::util::json_object::JsonObject;
use serde_json::value::{to_raw_value, RawValue};
use serde_json::{Map, Value};

/// Request fields that all bound the answer's length: a template's limit
/// under one name gives way to the body's under another, so the provider
/// never gets two.
const TOKEN_LIMITS: &[&str] = &["max_tokens", "max_completion_tokens", "max_output_tokens"];

pub use crate::prompts::{not_found, PromptRef};


/// The prompt named by the request's headers, if any; refused on endpoints
/// that have no messages to render into.
pub fn requested(headers: &[(String, String)], endpoint: &Endpoint) -> GatewayResult<Option<PromptRef>> {
    let get = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim());
    let (id, version) = (get(PROMPT_ID), get(PROMPT_VERSION));
    let Some(id) = id else {
        return match version {
            Some(_) => Err(GatewayError::invalid_request(
                ErrorCode::InvalidPromptHeader,
                "alephant-prompt-version needs alephant-prompt-id.",
            )),
            None => Ok(None),
        };
    };
    if *endpoint != Endpoint::ChatCompletions {
        return Err(GatewayError::invalid_request(
            ErrorCode::PromptNotSupported,
            format!("Prompt templates apply to /v1/chat/completions only, not to the {} endpoint.", endpoint.name()),
        ));
    }
    if id.is_empty() {
        return Err(GatewayError::invalid_request(ErrorCode::InvalidPromptHeader, "alephant-prompt-id is empty."));
    }
    let version = match version {
        None | Some("" | "latest") => None,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                return Err(GatewayError::invalid_request(
                    ErrorCode::InvalidPromptHeader,
                    format!("alephant-prompt-version must be a version number (1, 2, …) or 'latest', not '{v}'."),
                ))
            }
        },
    };
    Ok(Some(PromptRef { id: id.to_string(), version }))
}

fn invalid_type(param: &str, message: &str) -> GatewayError {
    GatewayError::invalid_request(ErrorCode::InvalidType, message).with_param(param)
}

/// Renders the template (`id` version `version`) into `body`.
pub fn apply(body: &mut JsonObject, id: &str, version: u64, template: &Template) -> GatewayResult<()> {
    let inputs = match body.get_as::<Value>("inputs") {
        Ok(None) => Map::new(),
        Ok(Some(Value::Object(m))) => m,
        _ => return Err(invalid_type("inputs", "'inputs' must be a JSON object of the prompt's variables, e.g. {\"name\": \"Ann\"}.")),
    };
    let rendered = render(template, &inputs).map_err(|Missing(names)| {
        GatewayError::invalid_request(
            ErrorCode::MissingPromptVariables,
            format!(
                "Prompt '{id}' version {version} needs {} missing from 'inputs': {}.",
                if names.len() == 1 { "a variable" } else { "variables" },
                names.join(", ")
            ),
        )
        .with_param("inputs")
    })?;
    // The body's own messages keep their bytes; only the rendered ones are new.
    let own = match body.get_as::<Vec<Box<RawValue>>>("messages") {
        Ok(m) => m.unwrap_or_default(),
        Err(_) => return Err(invalid_type("messages", "'messages' must be an array of messages.")),
    };
    let rewrite = |_| GatewayError::internal(ErrorCode::BodyRewrite);
    let mut messages = rendered.iter().map(to_raw_value).collect::<Result<Vec<_>, _>>().map_err(rewrite)?;
    messages.extend(own);
    body.set("messages", &messages).map_err(rewrite)?;
    body.remove("inputs");

    let names_model = match body.get_as::<Value>("model") {
        Ok(None) => false,
        Ok(Some(Value::String(m))) => !m.trim().is_empty(),
        // A model of the wrong type is reported by the body check that follows.
        _ => true,
    };
    if let (false, Some(model)) = (names_model, &template.model) {
        body.set("model", model).map_err(rewrite)?;
    }
    let body_limits = TOKEN_LIMITS.iter().any(|k| body.contains(k));
    for (k, v) in &template.params {
        let set_by_body = body.contains(k) || (body_limits && TOKEN_LIMITS.contains(&k.as_str()));
        if !set_by_body {
            body.set(k, v).map_err(rewrite)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn template() -> Template {
        Template::parse(&json!({
            "messages": [
                { "role": "system", "content": "You support {{product}} customers." },
                { "role": "user", "content": "I am {{name}} on the {{plan}} plan." }
            ],
            "model": "openai/gpt-4o-mini",
            "params": { "temperature": 0.2, "max_tokens": 300, "top_p": 0.9 }
        }))
        .unwrap()
    }

    fn applied(body: Value) -> GatewayResult<Value> {
        let mut o = JsonObject::parse(body.to_string().as_bytes()).unwrap();
        apply(&mut o, "support", 2, &template())?;
        Ok(serde_json::from_slice(&o.to_vec()).unwrap())
    }

    #[test]
    fn rendered_messages_come_first_then_the_conversation() {
        let out = applied(json!({
            "inputs": { "product": "Acme", "name": "Ann", "plan": "pro" },
            "messages": [{ "role": "assistant", "content": "Hello Ann" }, { "role": "user", "content": "Refund?" }],
            "temperature": 0.9,
            "max_completion_tokens": 50
        }))
        .unwrap();
        assert_eq!(
            out["messages"],
            json!([
                { "role": "system", "content": "You support Acme customers." },
                { "role": "user", "content": "I am Ann on the pro plan." },
                { "role": "assistant", "content": "Hello Ann" },
                { "role": "user", "content": "Refund?" }
            ])
        );
        assert_eq!(out["model"], "openai/gpt-4o-mini", "the template's model when the body has none");
        assert_eq!(out["temperature"], 0.9, "the body's own value wins");
        assert_eq!(out["top_p"], 0.9, "template params fill the rest");
        assert_eq!(out.get("max_tokens"), None, "a body token limit under another name wins too");
        assert_eq!(out["max_completion_tokens"], 50);
        assert_eq!(out.get("inputs"), None, "inputs never go upstream");
    }

    #[test]
    fn the_body_model_wins_and_no_messages_is_fine() {
        let out = applied(json!({ "model": "gpt-4o", "inputs": { "product": "A", "name": "B", "plan": "C" } })).unwrap();
        assert_eq!(out["model"], "gpt-4o");
        assert_eq!(out["messages"].as_array().unwrap().len(), 2);
        assert_eq!(out["max_tokens"], 300);
        let out = applied(json!({ "model": "", "inputs": { "product": "A", "name": "B", "plan": "C" } })).unwrap();
        assert_eq!(out["model"], "openai/gpt-4o-mini");
    }

    #[test]
    fn the_body_messages_keep_their_bytes() {
        let mut o = JsonObject::parse(br#"{"inputs":{"product":"A","name":"B","plan":"C"},"messages":[{"role":"user","content":"caf\u00e9","x":1.50}]}"#).unwrap();
        apply(&mut o, "support", 2, &template()).unwrap();
        let text = String::from_utf8(o.to_vec()).unwrap();
        assert!(text.contains(r#"{"role":"user","content":"caf\u00e9","x":1.50}"#), "{text}");
    }

    #[test]
    fn bad_inputs_are_the_callers_error() {
        let code = |body: Value| applied(body).err().map(|e| (e.status, e.code, e.param, e.message)).unwrap();
        let (status, c, param, message) = code(json!({ "inputs": { "name": "Ann" } }));
        assert_eq!((status, c.as_str(), param.as_deref()), (400, "missing_prompt_variables", Some("inputs")));
        assert_eq!(message, "Prompt 'support' version 2 needs variables missing from 'inputs': product, plan.");
        let (status, c, param, _) = code(json!({ "inputs": ["Ann"] }));
        assert_eq!((status, c.as_str(), param.as_deref()), (400, "invalid_type", Some("inputs")));
        let (_, _, param, _) = code(json!({ "inputs": { "product": "A", "name": "B", "plan": "C" }, "messages": "hi" }));
        assert_eq!(param.as_deref(), Some("messages"));
        let (_, _, _, message) = code(json!({ "inputs": { "product": "A", "name": "B" } }));
        assert!(message.contains("needs a variable missing from 'inputs': plan."), "{message}");
    }

    #[test]
    fn headers_name_the_prompt_and_version() {
        let chat = Endpoint::ChatCompletions;
        assert_eq!(requested(&headers(&[]), &chat).unwrap(), None);
        assert_eq!(
            requested(&headers(&[("alephant-prompt-id", " support ")]), &chat).unwrap(),
            Some(PromptRef { id: "support".into(), version: None })
        );
        assert_eq!(
            requested(&headers(&[("alephant-prompt-id", "support"), ("alephant-prompt-version", "3")]), &chat).unwrap(),
            Some(PromptRef { id: "support".into(), version: Some(3) })
        );
        assert_eq!(
            requested(&headers(&[("alephant-prompt-id", "s"), ("alephant-prompt-version", "latest")]), &chat).unwrap(),
            Some(PromptRef { id: "s".into(), version: None })
        );
        let code = |h: &[(&str, &str)], e: &Endpoint| requested(&headers(h), e).unwrap_err().code;
        assert_eq!(code(&[("alephant-prompt-id", "s"), ("alephant-prompt-version", "0")], &chat), "invalid_prompt_header");
        assert_eq!(code(&[("alephant-prompt-id", "s"), ("alephant-prompt-version", "v2")], &chat), "invalid_prompt_header");
        assert_eq!(code(&[("alephant-prompt-version", "2")], &chat), "invalid_prompt_header");
        assert_eq!(code(&[("alephant-prompt-id", "")], &chat), "invalid_prompt_header");
        assert_eq!(code(&[("alephant-prompt-id", "s")], &Endpoint::Embeddings), "prompt_not_supported");
        let passthrough = Endpoint::Passthrough { provider: "openai".into(), path: "/v1/chat/completions".into() };
        assert_eq!(code(&[("alephant-prompt-id", "s")], &passthrough), "prompt_not_supported");
    }
}
