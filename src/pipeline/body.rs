//! Reading the client's JSON body: it must be an object naming a model.

use crate::api::error::{GatewayError, GatewayResult};
use crate::util::json_object::JsonObject;

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
            "missing_body",
            "The request body is empty; send a JSON object with at least a 'model'.",
        ));
    }
    JsonObject::parse(bytes).map_err(|e| {
        GatewayError::invalid_request("invalid_json", format!("The request body is not a valid JSON object: {e}."))
    })
}

/// The fields the pipeline needs from the body: its model (required) and user.
pub fn fields(object: JsonObject) -> GatewayResult<ParsedBody> {
    let model = match object.get_as::<serde_json::Value>("model") {
        Ok(Some(serde_json::Value::String(m))) if !m.trim().is_empty() => m,
        Ok(Some(serde_json::Value::String(_))) | Ok(None) => {
            return Err(GatewayError::invalid_request(
                "missing_model",
                "You must provide a model parameter, e.g. \"model\": \"openai/gpt-4o\".",
            )
            .with_param("model"))
        }
        _ => {
            return Err(GatewayError::invalid_request("invalid_type", "'model' must be a string.").with_param("model"))
        }
    };
    let user = object.get_as::<String>("user").ok().flatten();
    Ok(ParsedBody { object, model, user })
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
}
