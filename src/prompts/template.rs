//! A prompt template as written to the admin API, checked into the shape
//! `render` uses. Parsed by hand over `serde_json::Value` so every mistake is
//! reported with its path (`messages[1].content[0].text: …`).
//!
//! ```json
//! { "messages": [
//!     { "role": "system", "content": "You answer for {{company}}." },
//!     { "role": "user", "content": [{ "type": "text", "text": "{{question}}" }] } ],
//!   "model": "openai/gpt-4o-mini",
//!   "params": { "temperature": 0.2, "max_tokens": 300 } }
//! ```

use super::text::Text;
use serde_json::{Map, Value};

const MAX_MESSAGES: usize = 256;
const ROLES: &[&str] = &["system", "user", "assistant", "developer"];
/// Fields a template's params may not set: the request's shape is the
/// template's `messages` and `model`, and streaming is the caller's choice.
const RESERVED_PARAMS: &[&str] = &["messages", "model", "stream", "inputs"];

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Text(Text),
    /// Text parts, `[{ "type": "text", "text": … }]`.
    Parts(Vec<Text>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: String,
    pub name: Option<String>,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub messages: Vec<Message>,
    /// Used when the request names no model.
    pub model: Option<String>,
    /// Request fields used when the request does not set them.
    pub params: Map<String, Value>,
}

type Parsed<T> = Result<T, String>;

fn only_keys(o: &Map<String, Value>, path: &str, allowed: &[&str]) -> Parsed<()> {
    match o.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(at(path, format!("unknown field '{k}' (expected one of {})", allowed.join(", ")))),
        None => Ok(()),
    }
}

/// `at: why` for a nested value; top-level fields have no prefix.
fn at(path: &str, why: impl std::fmt::Display) -> String {
    if path.is_empty() {
        why.to_string()
    } else {
        format!("{path}: {why}")
    }
}

fn text(v: &Value, path: &str) -> Parsed<Text> {
    let s = v.as_str().ok_or_else(|| at(path, "must be a string"))?;
    Text::parse(s).map_err(|why| at(path, why))
}

fn part(v: &Value, path: &str) -> Parsed<Text> {
    let o = v.as_object().ok_or_else(|| at(path, "must be an object {\"type\": \"text\", \"text\": …}"))?;
    only_keys(o, path, &["type", "text"])?;
    if o.get("type").and_then(Value::as_str) != Some("text") {
        return Err(at(&format!("{path}.type"), "must be \"text\" (templates hold text parts only)"));
    }
    match o.get("text") {
        Some(t) => text(t, &format!("{path}.text")),
        None => Err(at(&format!("{path}.text"), "is required")),
    }
}

fn message(v: &Value, path: &str) -> Parsed<Message> {
    let o = v.as_object().ok_or_else(|| at(path, "must be an object"))?;
    only_keys(o, path, &["role", "content", "name"])?;
    let role = match o.get("role") {
        Some(Value::String(r)) if ROLES.contains(&r.as_str()) => r.clone(),
        Some(_) => return Err(at(&format!("{path}.role"), format!("must be one of {}", ROLES.join(", ")))),
        None => return Err(at(&format!("{path}.role"), "is required")),
    };
    let name = match o.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) if !n.trim().is_empty() => Some(n.clone()),
        Some(_) => return Err(at(&format!("{path}.name"), "must be a non-empty string")),
    };
    let content_path = format!("{path}.content");
    let content = match o.get("content") {
        Some(Value::Array(parts)) if !parts.is_empty() => Content::Parts(
            parts.iter().enumerate().map(|(i, p)| part(p, &format!("{content_path}[{i}]"))).collect::<Parsed<_>>()?,
        ),
        Some(v @ Value::String(_)) => Content::Text(text(v, &content_path)?),
        Some(_) => return Err(at(&content_path, "must be a string or a non-empty array of text parts")),
        None => return Err(at(&content_path, "is required")),
    };
    Ok(Message { role, name, content })
}

impl Template {
    pub fn parse(v: &Value) -> Parsed<Template> {
        let o = v.as_object().ok_or("must be an object with 'messages'")?;
        only_keys(o, "", &["messages", "model", "params"])?;
        let messages = match o.get("messages") {
            Some(Value::Array(list)) if !list.is_empty() && list.len() <= MAX_MESSAGES => list
                .iter()
                .enumerate()
                .map(|(i, m)| message(m, &format!("messages[{i}]")))
                .collect::<Parsed<Vec<_>>>()?,
            Some(_) => return Err(format!("messages: must be an array of 1 to {MAX_MESSAGES} messages")),
            None => return Err("messages: is required".into()),
        };
        let model = match o.get("model") {
            None | Some(Value::Null) => None,
            Some(Value::String(m)) if !m.trim().is_empty() => Some(m.trim().to_string()),
            Some(_) => return Err("model: must be a non-empty string".into()),
        };
        let params = match o.get("params") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(p)) => {
                if let Some(k) = p.keys().find(|k| RESERVED_PARAMS.contains(&k.as_str())) {
                    return Err(format!("params: may not set '{k}' (set the template's own 'messages' or 'model'; streaming is the caller's choice)"));
                }
                p.clone()
            }
            Some(_) => return Err("params: must be an object".into()),
        };
        Ok(Template { messages, model, params })
    }

    /// Every variable the template needs, once each, in order of appearance.
    pub fn variables(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in &self.messages {
            let texts: Vec<&Text> = match &m.content {
                Content::Text(t) => vec![t],
                Content::Parts(parts) => parts.iter().collect(),
            };
            for name in texts.into_iter().flat_map(Text::variables) {
                if !out.iter().any(|seen| seen == name) {
                    out.push(name.to_string());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> String {
        Template::parse(&v).unwrap_err()
    }

    #[test]
    fn a_full_template() {
        let t = Template::parse(&json!({
            "messages": [
                { "role": "system", "content": "You answer for {{company}}." },
                { "role": "user", "name": "ann", "content": [{ "type": "text", "text": "{{ question }} ({{company}})" }] }
            ],
            "model": " openai/gpt-4o-mini ",
            "params": { "temperature": 0.2, "max_tokens": 300, "response_format": { "type": "json_object" } }
        }))
        .unwrap();
        assert_eq!(t.variables(), ["company", "question"]);
        assert_eq!(t.model.as_deref(), Some("openai/gpt-4o-mini"));
        assert_eq!(t.params["max_tokens"], 300);
        assert_eq!(t.messages[1].name.as_deref(), Some("ann"));
    }

    #[test]
    fn minimal_template_has_no_model_params_or_variables() {
        let t = Template::parse(&json!({ "messages": [{ "role": "developer", "content": "Be brief." }] })).unwrap();
        assert_eq!((t.model.as_deref(), t.params.len(), t.variables().len()), (None, 0, 0));
    }

    #[test]
    fn every_mistake_says_where() {
        assert_eq!(err(json!([])), "must be an object with 'messages'");
        assert_eq!(err(json!({})), "messages: is required");
        assert!(err(json!({ "messages": [] })).starts_with("messages: must be an array of 1 to"));
        assert!(err(json!({ "messages": [], "prompt": "x" })).starts_with("unknown field 'prompt'"));
        assert_eq!(err(json!({ "messages": ["hi"] })), "messages[0]: must be an object");
        assert!(err(json!({ "messages": [{ "role": "tool", "content": "x" }] })).starts_with("messages[0].role: must be one of system, user"));
        assert_eq!(err(json!({ "messages": [{ "content": "x" }] })), "messages[0].role: is required");
        assert_eq!(err(json!({ "messages": [{ "role": "user" }] })), "messages[0].content: is required");
        assert!(err(json!({ "messages": [{ "role": "user", "content": 3 }] })).starts_with("messages[0].content: must be a string or"));
        assert!(err(json!({ "messages": [{ "role": "user", "content": "x", "tool_calls": [] }] })).starts_with("messages[0]: unknown field 'tool_calls'"));
        assert!(err(json!({ "messages": [{ "role": "user", "content": [{ "type": "image_url", "image_url": {} }] }] }))
            .starts_with("messages[0].content[0]: unknown field 'image_url'"));
        assert!(err(json!({ "messages": [{ "role": "user", "content": [{ "type": "image" }] }] }))
            .starts_with("messages[0].content[0].type: must be \"text\""));
        assert_eq!(err(json!({ "messages": [{ "role": "user", "content": [{ "type": "text" }] }] })), "messages[0].content[0].text: is required");
        let e = err(json!({ "messages": [{ "role": "user", "content": "ok" }, { "role": "user", "content": [{ "type": "text", "text": "Hi {{first name}}" }] }] }));
        assert!(e.starts_with("messages[1].content[0].text: '{{first name}}' is not a variable"), "{e}");
        assert_eq!(err(json!({ "messages": [{ "role": "user", "content": "x" }], "model": 4 })), "model: must be a non-empty string");
        assert_eq!(err(json!({ "messages": [{ "role": "user", "content": "x" }], "params": [] })), "params: must be an object");
        assert!(err(json!({ "messages": [{ "role": "user", "content": "x" }], "params": { "stream": true } })).starts_with("params: may not set 'stream'"));
    }
}
