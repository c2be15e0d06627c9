//! Conditions of `conditional` routers, over what a request says about
//! itself: `{"field": "property.team", "op": "eq", "value": "search"}`.
//!
//! Fields: `property.<name>` (an `alephant-property-<name>` header),
//! `session_id`, `session_path`, `key_id`, `agent_id`, `department`, `user`,
//! `model` (as requested) and `body.<param>` (a top-level body parameter,
//! e.g. `body.max_tokens`). Operators: eq, ne, in, not_in, gt, gte, lt,
//! lte, exists, not_exists, prefix.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Property(String),
    SessionId,
    SessionPath,
    KeyId,
    AgentId,
    Department,
    User,
    Model,
    Body(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    In,
    NotIn,
    Gt,
    Gte,
    Lt,
    Lte,
    Exists,
    NotExists,
    Prefix,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: Field,
    pub op: Op,
    pub value: Value,
}

/// What conditions can look at, gathered once per request.
pub trait Facts {
    fn fact(&self, field: &Field) -> Option<Value>;
}

pub fn parse(v: &Value, at: &str) -> Result<Condition, String> {
    let o = v.as_object().ok_or_else(|| format!("{at}: must be an object"))?;
    if let Some(k) = o.keys().find(|k| !matches!(k.as_str(), "field" | "op" | "value")) {
        return Err(format!("{at}: unknown field '{k}' (expected field, op, value)"));
    }
    let name = o.get("field").and_then(Value::as_str).ok_or_else(|| format!("{at}.field: is required"))?;
    let field = match name {
        "session_id" => Field::SessionId,
        "session_path" => Field::SessionPath,
        "key_id" => Field::KeyId,
        "agent_id" => Field::AgentId,
        "department" => Field::Department,
        "user" => Field::User,
        "model" => Field::Model,
        _ => match name.split_once('.') {
            Some(("property", p)) if !p.is_empty() => Field::Property(p.to_ascii_lowercase()),
            Some(("body", p)) if !p.is_empty() => Field::Body(p.to_string()),
            _ => {
                return Err(format!(
                    "{at}.field: '{name}' is not one of property.<name>, session_id, session_path, key_id, agent_id, department, user, model, body.<param>"
                ))
            }
        },
    };
    let op = match o.get("op").and_then(Value::as_str).unwrap_or("eq") {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "in" => Op::In,
        "not_in" => Op::NotIn,
        "gt" => Op::Gt,
        "gte" => Op::Gte,
        "lt" => Op::Lt,
        "lte" => Op::Lte,
        "exists" => Op::Exists,
        "not_exists" => Op::NotExists,
        "prefix" => Op::Prefix,
        other => return Err(format!("{at}.op: unknown operator '{other}'")),
    };
    let value = o.get("value").cloned().unwrap_or(Value::Null);
    let bad = |what: &str| Err(format!("{at}.value: {what}"));
    match op {
        Op::In | Op::NotIn if !value.is_array() => return bad("must be an array for in / not_in"),
        Op::Gt | Op::Gte | Op::Lt | Op::Lte if !value.is_number() => return bad("must be a number for gt / gte / lt / lte"),
        Op::Prefix if !value.is_string() => return bad("must be a string for prefix"),
        Op::Eq | Op::Ne if value.is_null() => return bad("is required"),
        _ => {}
    }
    Ok(Condition { field, op, value })
}

/// Values compare as equal when they are equal JSON, or when one is a
/// string and the other prints the same (headers are always strings).
fn same(a: &Value, b: &Value) -> bool {
    a == b
        || match (a, b) {
            (Value::String(s), other) | (other, Value::String(s)) if !other.is_string() => {
                s == &other.to_string().trim_matches('"').to_string()
            }
            _ => false,
        }
}

fn as_number(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

impl Condition {
    pub fn holds(&self, facts: &dyn Facts) -> bool {
        let fact = facts.fact(&self.field);
        match (self.op, fact) {
            (Op::Exists, f) => f.is_some(),
            (Op::NotExists, f) => f.is_none(),
            (Op::Ne, None) => true,
            (Op::NotIn, None) => true,
            (_, None) => false,
            (Op::Eq, Some(f)) => same(&f, &self.value),
            (Op::Ne, Some(f)) => !same(&f, &self.value),
            (Op::In, Some(f)) => self.value.as_array().is_some_and(|a| a.iter().any(|v| same(&f, v))),
            (Op::NotIn, Some(f)) => !self.value.as_array().is_some_and(|a| a.iter().any(|v| same(&f, v))),
            (Op::Prefix, Some(f)) => {
                f.as_str().zip(self.value.as_str()).is_some_and(|(s, p)| s.starts_with(p))
            }
            (op, Some(f)) => match (as_number(&f), self.value.as_f64()) {
                (Some(x), Some(y)) => match op {
                    Op::Gt => x > y,
                    Op::Gte => x >= y,
                    Op::Lt => x < y,
                    _ => x <= y,
                },
                _ => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    struct F(HashMap<&'static str, Value>);
    impl Facts for F {
        fn fact(&self, field: &Field) -> Option<Value> {
            let key = match field {
                Field::Property(p) if p == "team" => "team",
                Field::Body(b) if b == "max_tokens" => "max_tokens",
                Field::Model => "model",
                _ => return None,
            };
            self.0.get(key).cloned()
        }
    }

    fn facts() -> F {
        F(HashMap::from([("team", json!("search")), ("max_tokens", json!(4000)), ("model", json!("gpt-4o"))]))
    }

    fn cond(v: Value) -> Condition {
        parse(&v, "c").unwrap()
    }

    #[test]
    fn operators() {
        let f = facts();
        assert!(cond(json!({"field": "property.team", "value": "search"})).holds(&f));
        assert!(cond(json!({"field": "property.TEAM", "op": "in", "value": ["a", "search"]})).holds(&f));
        assert!(!cond(json!({"field": "property.team", "op": "ne", "value": "search"})).holds(&f));
        assert!(cond(json!({"field": "body.max_tokens", "op": "gt", "value": 1000})).holds(&f));
        assert!(!cond(json!({"field": "body.max_tokens", "op": "lte", "value": 1000})).holds(&f));
        assert!(cond(json!({"field": "model", "op": "prefix", "value": "gpt-"})).holds(&f));
        assert!(cond(json!({"field": "user", "op": "not_exists"})).holds(&f));
        assert!(!cond(json!({"field": "user", "op": "eq", "value": "x"})).holds(&f));
        assert!(cond(json!({"field": "user", "op": "ne", "value": "x"})).holds(&f));
    }

    #[test]
    fn header_strings_compare_with_numbers() {
        let f = F(HashMap::from([("team", json!("42"))]));
        assert!(cond(json!({"field": "property.team", "value": 42})).holds(&f));
        assert!(cond(json!({"field": "property.team", "op": "gte", "value": 40})).holds(&f));
    }

    #[test]
    fn errors_name_the_path() {
        assert!(parse(&json!({"field": "weather"}), "rules[0].when[0]").unwrap_err().starts_with("rules[0].when[0].field"));
        assert!(parse(&json!({"field": "user", "op": "like", "value": "x"}), "c").unwrap_err().contains("like"));
        assert!(parse(&json!({"field": "user", "op": "in", "value": "x"}), "c").unwrap_err().contains("array"));
        assert!(parse(&json!({"field": "user", "extra": 1}), "c").unwrap_err().contains("extra"));
    }
}
