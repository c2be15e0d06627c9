//! The model's answer against the JSON schema the request asked for
//! (`response_format: {type: "json_schema"}` on chat, `text.format` on
//! Responses). The subset structured outputs use: `type`, `properties`,
//! `required`, `additionalProperties`, `items`, `enum`, `const`, `anyOf`,
//! `oneOf`, `allOf`, local `$ref`s (`#/$defs/…`, `#/definitions/…`), string
//! `minLength`/`maxLength`/`pattern`, number bounds, array sizes. Keywords
//! outside it are ignored (they never fail an answer).

use super::rules;
use serde_json::{Map, Value};

const MAX_DEPTH: usize = 64;
/// Schema nodes visited per answer: combinators over `$ref`s can branch
/// exponentially, so the walk has a budget.
const MAX_STEPS: u32 = 100_000;

/// The schema a request body asks its answer to follow, if any.
pub fn requested(body: &Value) -> Option<&Value> {
    let chat = body.get("response_format").filter(|f| f.get("type").and_then(Value::as_str) == Some("json_schema"));
    if let Some(schema) = chat.and_then(|f| f.pointer("/json_schema/schema")) {
        return Some(schema);
    }
    let responses = body.pointer("/text/format").filter(|f| f.get("type").and_then(Value::as_str) == Some("json_schema"));
    responses.and_then(|f| f.get("schema"))
}

/// The text a structured answer is in: a chat completion's first message,
/// or a Responses answer's output text. `None` for a refusal or tool call.
pub fn answer_text(answer: &Value) -> Option<&str> {
    if let Some(text) = answer.pointer("/choices/0/message/content").and_then(Value::as_str) {
        return Some(text);
    }
    let output = answer.get("output")?.as_array()?;
    output
        .iter()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("message"))
        .flat_map(|item| item.get("content").and_then(Value::as_array).into_iter().flatten())
        .find(|part| part.get("type").and_then(Value::as_str) == Some("output_text"))
        .and_then(|part| part.get("text").and_then(Value::as_str))
}

/// A complete answer (client format) against the schema its request asked
/// for: `Err` says why it does not conform, in a sentence.
pub fn check_answer(answer: &[u8], schema: &Value) -> Result<(), String> {
    let Ok(answer) = serde_json::from_slice::<Value>(answer) else { return Ok(()) };
    let Some(text) = answer_text(&answer) else { return Ok(()) };
    let value: Value = serde_json::from_str(text).map_err(|e| format!("the answer is not JSON ({e})"))?;
    validate(&value, schema)
}

/// `Err("$.items[2].name: expected string")` at the first mismatch.
pub fn validate(value: &Value, schema: &Value) -> Result<(), String> {
    Checker { root: schema, steps: std::cell::Cell::new(0) }.check(value, schema, "$", 0)
}

struct Checker<'s> {
    root: &'s Value,
    steps: std::cell::Cell<u32>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    let actual = type_name(v);
    actual == t || (t == "number" && actual == "integer") || (t == "integer" && v.as_f64().is_some_and(|f| f.fract() == 0.0))
}

impl<'s> Checker<'s> {
    fn resolve(&self, reference: &str) -> Option<&'s Value> {
        let pointer = reference.strip_prefix('#')?;
        self.root.pointer(pointer)
    }

    fn check(&self, v: &Value, schema: &'s Value, at: &str, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("{at}: the schema nests deeper than {MAX_DEPTH} levels"));
        }
        self.steps.set(self.steps.get() + 1);
        if self.steps.get() > MAX_STEPS {
            return Err(format!("{at}: the schema takes more than {MAX_STEPS} steps to check"));
        }
        let s = match schema {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => return Err(format!("{at}: no value is allowed here")),
            Value::Object(s) => s,
            _ => return Ok(()),
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let target = self.resolve(r).ok_or_else(|| format!("{at}: the schema's $ref '{r}' points nowhere"))?;
            self.check(v, target, at, depth + 1)?;
        }
        self.check_type(v, s, at)?;
        if let Some(allowed) = s.get("enum").and_then(Value::as_array) {
            if !allowed.contains(v) {
                return Err(format!("{at}: {} is not one of the allowed values", short(v)));
            }
        }
        if let Some(c) = s.get("const") {
            if c != v {
                return Err(format!("{at}: must be {}", short(c)));
            }
        }
        self.check_combinators(v, s, at, depth)?;
        match v {
            Value::Object(o) => self.check_object(o, s, at, depth),
            Value::Array(items) => self.check_array(items, s, at, depth),
            Value::String(text) => check_string(text, s, at),
            Value::Number(_) => check_number(v, s, at),
            _ => Ok(()),
        }
    }

    fn check_type(&self, v: &Value, s: &Map<String, Value>, at: &str) -> Result<(), String> {
        let ok = match s.get("type") {
            Some(Value::String(t)) => is_type(v, t),
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(|t| is_type(v, t)),
            _ => true,
        };
        match ok {
            true => Ok(()),
            false => Err(format!("{at}: expected {}, got {}", s.get("type").map_or(String::new(), |t| t.to_string().replace('"', "")), type_name(v))),
        }
    }

    fn check_combinators(&self, v: &Value, s: &'s Map<String, Value>, at: &str, depth: usize) -> Result<(), String> {
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.check(v, sub, at, depth + 1)?;
            }
        }
        if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
            if !any.iter().any(|sub| self.check(v, sub, at, depth + 1).is_ok()) {
                return Err(format!("{at}: matches none of the schema's anyOf alternatives"));
            }
        }
        if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
            let n = one.iter().filter(|sub| self.check(v, sub, at, depth + 1).is_ok()).count();
            if n != 1 {
                return Err(format!("{at}: matches {n} of the schema's oneOf alternatives, not exactly one"));
            }
        }
        Ok(())
    }

    fn check_object(&self, o: &Map<String, Value>, s: &'s Map<String, Value>, at: &str, depth: usize) -> Result<(), String> {
        for name in s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !o.contains_key(name) {
                return Err(format!("{at}: the required property '{name}' is missing"));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, child) in o {
            let path = format!("{at}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(sub) => self.check(child, sub, &path, depth + 1)?,
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => return Err(format!("{at}: the property '{k}' is not allowed")),
                    Some(extra @ Value::Object(_)) => self.check(child, extra, &path, depth + 1)?,
                    _ => {}
                },
            }
        }
        Ok(())
    }

    fn check_array(&self, items: &[Value], s: &'s Map<String, Value>, at: &str, depth: usize) -> Result<(), String> {
        let n = items.len() as u64;
        if s.get("minItems").and_then(Value::as_u64).is_some_and(|m| n < m) || s.get("maxItems").and_then(Value::as_u64).is_some_and(|m| n > m) {
            return Err(format!("{at}: {n} items is outside the allowed count"));
        }
        if let Some(sub) = s.get("items").filter(|i| i.is_object() || i.is_boolean()) {
            for (i, item) in items.iter().enumerate() {
                self.check(item, sub, &format!("{at}[{i}]"), depth + 1)?;
            }
        }
        Ok(())
    }
}

fn check_string(text: &str, s: &Map<String, Value>, at: &str) -> Result<(), String> {
    let n = text.chars().count() as u64;
    if s.get("minLength").and_then(Value::as_u64).is_some_and(|m| n < m) || s.get("maxLength").and_then(Value::as_u64).is_some_and(|m| n > m) {
        return Err(format!("{at}: a string of {n} characters is outside the allowed length"));
    }
    if let Some(p) = s.get("pattern").and_then(Value::as_str) {
        // A pattern the engine cannot compile is ignored, not held against the answer.
        if rules::cached(p).is_ok_and(|m| !m.is_match(text)) {
            return Err(format!("{at}: does not match the pattern '{p}'"));
        }
    }
    Ok(())
}

fn check_number(v: &Value, s: &Map<String, Value>, at: &str) -> Result<(), String> {
    let x = v.as_f64().unwrap_or_default();
    let bound = |k: &str| s.get(k).and_then(Value::as_f64);
    let outside = bound("minimum").is_some_and(|m| x < m)
        || bound("maximum").is_some_and(|m| x > m)
        || bound("exclusiveMinimum").is_some_and(|m| x <= m)
        || bound("exclusiveMaximum").is_some_and(|m| x >= m);
    match outside {
        true => Err(format!("{at}: {x} is outside the allowed range")),
        false => Ok(()),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn person() -> Value {
        json!({
            "type": "object", "additionalProperties": false, "required": ["name", "age", "tags"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "age": {"type": "integer", "minimum": 0},
                "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}, "maxItems": 3},
                "role": {"enum": ["admin", "user"]},
                "email": {"anyOf": [{"type": "string", "pattern": "^[^@]+@[^@]+$"}, {"type": "null"}]}
            },
            "$defs": {"tag": {"type": "string", "maxLength": 8}}
        })
    }

    #[test]
    fn a_conforming_answer_passes() {
        assert_eq!(validate(&json!({"name": "Ada", "age": 36, "tags": ["math"], "role": "admin", "email": null}), &person()), Ok(()));
        assert_eq!(validate(&json!({"name": "Ada", "age": 36.0, "tags": [], "email": "a@b"}), &person()), Ok(()));
    }

    #[test]
    fn mismatches_say_where_and_why() {
        let err = |v: Value| validate(&v, &person()).unwrap_err();
        assert_eq!(err(json!({"name": "Ada", "tags": []})), "$: the required property 'age' is missing");
        assert_eq!(err(json!({"name": "Ada", "age": "36", "tags": []})), "$.age: expected integer, got string");
        assert_eq!(err(json!({"name": "Ada", "age": 1, "tags": ["toolongtag"]})), "$.tags[0]: a string of 10 characters is outside the allowed length");
        assert_eq!(err(json!({"name": "Ada", "age": 1, "tags": [], "x": 1})), "$: the property 'x' is not allowed");
        assert_eq!(err(json!({"name": "Ada", "age": -1, "tags": []})), "$.age: -1 is outside the allowed range");
        assert!(err(json!({"name": "Ada", "age": 1, "tags": [], "role": "root"})).contains("not one of the allowed values"));
        assert!(err(json!({"name": "Ada", "age": 1, "tags": [], "email": "nope"})).contains("anyOf"));
        assert_eq!(err(json!([1])), "$: expected object, got array");
    }

    #[test]
    fn the_schema_is_found_where_each_api_puts_it() {
        let chat = json!({"response_format": {"type": "json_schema", "json_schema": {"name": "p", "schema": {"type": "object"}}}});
        assert_eq!(requested(&chat), Some(&json!({"type": "object"})));
        let responses = json!({"text": {"format": {"type": "json_schema", "name": "p", "schema": {"type": "array"}}}});
        assert_eq!(requested(&responses), Some(&json!({"type": "array"})));
        assert_eq!(requested(&json!({"response_format": {"type": "json_object"}})), None);
    }

    #[test]
    fn answers_are_read_from_chat_and_responses() {
        let schema = json!({"type": "object", "required": ["ok"]});
        let chat = |content: &str| json!({"choices": [{"message": {"role": "assistant", "content": content}}]}).to_string();
        assert_eq!(check_answer(chat(r#"{"ok": true}"#).as_bytes(), &schema), Ok(()));
        assert_eq!(check_answer(chat(r#"{"no": 1}"#).as_bytes(), &schema).unwrap_err(), "$: the required property 'ok' is missing");
        assert!(check_answer(chat("Sure! Here it is").as_bytes(), &schema).unwrap_err().starts_with("the answer is not JSON"));
        let responses = json!({"output": [{"type": "reasoning"}, {"type": "message", "content": [{"type": "output_text", "text": "{}"}]}]});
        assert!(check_answer(responses.to_string().as_bytes(), &schema).is_err());
        let refusal = json!({"choices": [{"message": {"content": null, "refusal": "I can't"}}]});
        assert_eq!(check_answer(refusal.to_string().as_bytes(), &schema), Ok(()), "a refusal is not held to the schema");
    }

    #[test]
    fn hostile_schemas_end() {
        let looping = json!({"$ref": "#"});
        assert!(validate(&json!(1), &looping).unwrap_err().contains("deeper"));
        let branching = json!({"anyOf": [{"$ref": "#"}, {"$ref": "#"}]});
        assert!(validate(&json!(1), &branching).is_err(), "exponential alternatives end on the step budget");
    }
}
