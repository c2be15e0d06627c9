//! Reading the client's JSON body: an object, not nested beyond what any
//! parser downstream accepts, each field the gateway decides on given once,
//! naming a well-formed model, and shaped as its endpoint needs.

use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use super::context::RequestContext;
use crate::core::endpoint::Endpoint;
use crate::governance::scope_policy::EffectivePolicy;
use crate::governance::token_cap;
use crate::util::json_depth;
use crate::util::json_object::JsonObject;

/// Fields whose value decides what the gateway does (which model, whether
/// to stream, how much to spend): they may appear once only, or the
/// gateway and the provider could each read another copy.
pub const DECISION_FIELDS: &[&str] =
    &["model", "stream", "stream_options", "max_tokens", "max_completion_tokens", "max_output_tokens"];

/// The longest model name accepted (bytes).
pub const MAX_MODEL_LEN: usize = 256;

pub struct ParsedBody {
    pub object: JsonObject,
    pub model: String,
    /// The OpenAI `user` field, used for attribution when no header names a user.
    pub user: Option<String>,
}

pub fn parse(bytes: &[u8]) -> GatewayResult<ParsedBody> {
    fields(parse_object(bytes)?)
}

/// The body as a JSON object, before anything reads its fields (a prompt
/// template may still supply the model).
pub fn parse_object(bytes: &[u8]) -> GatewayResult<JsonObject> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(GatewayError::invalid_request(
            ErrorCode::MissingBody,
            "The request body is empty; send a JSON object with at least a 'model'.",
        ));
    }
    check_depth(bytes)?;
    let object = JsonObject::parse(bytes).map_err(|e| {
        GatewayError::invalid_request(ErrorCode::InvalidJson, format!("The request body is not a valid JSON object: {e}."))
    })?;
    check_repeated(&object, DECISION_FIELDS)?;
    Ok(object)
}

/// Refuses a body nested deeper than `json_depth::MAX_DEPTH`.
pub fn check_depth(bytes: &[u8]) -> GatewayResult<()> {
    if json_depth::within(bytes, json_depth::MAX_DEPTH) {
        return Ok(());
    }
    Err(GatewayError::invalid_request(
        ErrorCode::JsonTooDeep,
        format!("The request body nests arrays or objects deeper than {} levels.", json_depth::MAX_DEPTH),
    ))
}

/// Refuses an object that gives one of `keys` more than once.
pub fn check_repeated(object: &JsonObject, keys: &[&str]) -> GatewayResult<()> {
    object.repeated(keys).map_or(Ok(()), |key| Err(GatewayError::duplicate_field(key)))
}

/// The fields the pipeline needs from the body: its model (required) and user.
pub fn fields(object: JsonObject) -> GatewayResult<ParsedBody> {
    let model = match object.get_as::<serde_json::Value>("model") {
        Ok(Some(serde_json::Value::String(m))) if !m.trim().is_empty() => m,
        Ok(Some(serde_json::Value::String(_))) | Ok(None) => {
            return Err(GatewayError::invalid_request(
                ErrorCode::MissingModel,
                "You must provide a model parameter, e.g. \"model\": \"openai/gpt-4o\".",
            )
            .with_param("model"))
        }
        _ => {
            return Err(GatewayError::invalid_request(ErrorCode::InvalidType, "'model' must be a string.").with_param("model"))
        }
    };
    check_model_name(&model)?;
    let user = object.get_as::<String>("user").ok().flatten();
    Ok(ParsedBody { object, model, user })
}

/// A model name is a short `provider/model` path that cannot step out of
/// its provider once it is placed in a URL: no `..` or empty segment, no
/// query, fragment or escape characters, no control characters.
pub fn check_model_name(model: &str) -> GatewayResult<()> {
    let bad = |why: &str| {
        GatewayError::invalid_request(ErrorCode::InvalidModel, format!("The model name is not valid: {why}.")).with_param("model")
    };
    if model.len() > MAX_MODEL_LEN {
        return Err(bad(&format!("it is longer than {MAX_MODEL_LEN} bytes")));
    }
    if model.chars().any(|c| c.is_control() || matches!(c, '?' | '#' | '%' | '\\')) {
        return Err(bad("it may not contain '?', '#', '%', '\\' or control characters"));
    }
    if model.split('/').any(|s| s.is_empty() || s == "." || s == "..") || model.contains("..") {
        return Err(bad("it may not contain '..' or an empty '/'-separated part"));
    }
    Ok(())
}

/// Holds the request's answer-length limit, under every name, to the
/// policy's cap, and notes in the log when the client asked for more.
pub fn cap_tokens(
    rc: &mut RequestContext,
    policy: &EffectivePolicy,
    body: &mut JsonObject,
    site: token_cap::Site,
) -> GatewayResult<token_cap::Capped> {
    let cap = policy.max_tokens();
    let capped = token_cap::apply(body, &site, cap.as_ref().map(|(c, _)| *c))?;
    if let (Some(requested), Some((cap, scope))) = (capped.requested, cap) {
        if requested > u64::from(cap) {
            rc.policy.push(serde_json::json!({ "decision": "max_tokens_capped", "requested": requested, "cap": cap, "scope": scope }));
        }
    }
    Ok(capped)
}

/// What each endpoint cannot do without, checked before any provider is
/// asked (OpenAI's own API answers these with a 400 too). `prompt`: a
/// stored template supplies the messages.
pub fn check_shape(endpoint: &Endpoint, object: &JsonObject, prompt: bool) -> GatewayResult<()> {
    match endpoint {
        Endpoint::ChatCompletions if !prompt => messages_list(object),
        Endpoint::Messages | Endpoint::CountTokens => {
            messages_list(object)?;
            if *endpoint == Endpoint::Messages && !object.contains("max_tokens") {
                return Err(missing("max_tokens", "'max_tokens' is required on /v1/messages."));
            }
            Ok(())
        }
        Endpoint::Responses if !prompt && !object.contains("input") && !object.contains("prompt") => {
            Err(missing("input", "'input' is required: the text or items the model answers."))
        }
        Endpoint::Embeddings if !object.contains("input") => Err(missing("input", "'input' is required: the text to embed.")),
        Endpoint::Completions if !object.contains("prompt") => Err(missing("prompt", "'prompt' is required.")),
        Endpoint::ImagesGenerations if !object.contains("prompt") => Err(missing("prompt", "'prompt' is required.")),
        _ => Ok(()),
    }
}

fn missing(param: &str, message: &str) -> GatewayError {
    GatewayError::invalid_request(ErrorCode::MissingRequiredParameter, message).with_param(param)
}

/// `messages` must be a list of objects.
fn messages_list(object: &JsonObject) -> GatewayResult<()> {
    let Some(raw) = object.get("messages").filter(|r| r.get() != "null") else {
        return Err(missing("messages", "'messages' is required: a list of message objects."));
    };
    let invalid = |message: String, param: String| {
        GatewayError::invalid_request(ErrorCode::InvalidType, message).with_param(&param)
    };
    // Each item's raw text, without building a tree of its contents.
    let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(raw.get())
        .map_err(|_| invalid("'messages' must be a list of message objects.".into(), "messages".into()))?;
    for (i, item) in items.iter().enumerate() {
        if !item.get().trim_start().starts_with('{') {
            return Err(invalid(format!("'messages[{i}]' must be an object."), format!("messages[{i}]")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_body() {
        let p = parse(br#"{"model":"gpt-4o","messages":[],"user":"u-1"}"#).unwrap();
        assert_eq!(p.model, "gpt-4o");
        assert_eq!(p.user.as_deref(), Some("u-1"));
    }

    #[test]
    fn each_bad_input_has_its_own_code() {
        let code = |b: &[u8]| parse(b).err().map(|e| (e.status, e.code)).unwrap();
        assert_eq!(code(b""), (400, "missing_body".into()));
        assert_eq!(code(b"{not json"), (400, "invalid_json".into()));
        assert_eq!(code(b"[1]"), (400, "invalid_json".into()));
        assert_eq!(code(br#"{"messages":[]}"#), (400, "missing_model".into()));
        assert_eq!(code(br#"{"model":""}"#), (400, "missing_model".into()));
        assert_eq!(code(br#"{"model":null}"#), (400, "missing_model".into()));
        assert_eq!(code(br#"{"model":42}"#), (400, "invalid_type".into()));
    }

    #[test]
    fn json_errors_say_where() {
        let e = parse(b"{\"model\": \"x\",}").err().unwrap();
        assert!(e.message.contains("line 1"), "{}", e.message);
    }

    #[test]
    fn a_decision_field_given_twice_is_refused() {
        for field in DECISION_FIELDS {
            let body = format!(r#"{{"model":"gpt-4o-mini","{field}":1,"messages":[],"{field}":2}}"#);
            let e = parse(body.as_bytes()).err().unwrap();
            assert_eq!((e.code.as_str(), e.param.as_deref()), ("duplicate_field", Some(*field)));
        }
        assert!(parse(br#"{"model":"m","temperature":1,"temperature":2}"#).is_ok(), "other fields are the provider's to read");
    }

    #[test]
    fn deep_bodies_are_refused_cheaply() {
        let deep = format!("{{\"model\":\"m\",\"x\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse(deep.as_bytes()).err().unwrap().code, "json_too_deep");
    }

    #[test]
    fn model_names_cannot_escape_their_provider() {
        for ok in ["gpt-4o", "together/meta-llama/Llama-3.3-70B-Instruct-Turbo", "workers-ai/@cf/baai/bge-small-en-v1.5", "bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0"] {
            assert!(check_model_name(ok).is_ok(), "{ok}");
        }
        let long = "m".repeat(MAX_MODEL_LEN + 1);
        for bad in ["openai/../files", "gemini/x?key=1", "a#b", "a%2Fb", "a\nb", "openai//x", "/gpt", "..", &long] {
            assert_eq!(check_model_name(bad).unwrap_err().code, "invalid_model", "{bad}");
        }
    }

    #[test]
    fn a_larger_ask_is_held_to_the_cap_and_the_decision_logged() {
        let policy = EffectivePolicy::of_key(&crate::testkit::principal(serde_json::json!({"max_tokens": 50})));
        let mut rc = RequestContext::new("r".into(), 0, Endpoint::Responses, Default::default());
        let mut o = JsonObject::parse(br#"{"input":"x","max_output_tokens":9000}"#).unwrap();
        let capped = cap_tokens(&mut rc, &policy, &mut o, token_cap::Site::top("max_output_tokens")).unwrap();
        assert_eq!(capped.effective, Some(50));
        assert_eq!(rc.policy[0]["decision"], "max_tokens_capped");
        assert_eq!((rc.policy[0]["requested"].clone(), rc.policy[0]["cap"].clone()), (serde_json::json!(9000), serde_json::json!(50)));
        let mut within = JsonObject::parse(br#"{"input":"x","max_output_tokens":10}"#).unwrap();
        cap_tokens(&mut rc, &policy, &mut within, token_cap::Site::top("max_output_tokens")).unwrap();
        assert_eq!(rc.policy.len(), 1, "an ask within the cap is no decision");
    }

    #[test]
    fn endpoint_shapes() {
        let o = |s: &str| JsonObject::parse(s.as_bytes()).unwrap();
        let err = |e: Endpoint, s: &str| check_shape(&e, &o(s), false).unwrap_err().param.unwrap();
        assert_eq!(err(Endpoint::ChatCompletions, r#"{"model":"m"}"#), "messages");
        assert_eq!(err(Endpoint::ChatCompletions, r#"{"model":"m","messages":"hi"}"#), "messages");
        assert_eq!(err(Endpoint::ChatCompletions, r#"{"model":"m","messages":[{"role":"user"},3]}"#), "messages[1]");
        assert_eq!(err(Endpoint::Responses, r#"{"model":"m"}"#), "input");
        assert_eq!(err(Endpoint::Messages, r#"{"model":"m","max_tokens":5}"#), "messages");
        assert_eq!(err(Endpoint::Messages, r#"{"model":"m","messages":[]}"#), "max_tokens");
        assert_eq!(err(Endpoint::Embeddings, r#"{"model":"m"}"#), "input");
        assert!(check_shape(&Endpoint::ChatCompletions, &o(r#"{"model":"m","messages":[]}"#), false).is_ok());
        assert!(check_shape(&Endpoint::ChatCompletions, &o(r#"{"prompt_inputs":{}}"#), true).is_ok(), "a template supplies messages");
        assert!(check_shape(&Endpoint::CountTokens, &o(r#"{"model":"m","messages":[]}"#), false).is_ok());
    }
}
