//! Router configuration: the JSON a user writes, checked into the tree the
//! planner walks. Parsing is by hand over `serde_json::Value` so that every
//! mistake is reported with its exact path (`targets[1].weight: …`).
//! `schema/router.schema.json` describes the same format for editors.
//!
//! ```json
//! { "strategy": "fallback",
//!   "targets": [
//!     { "provider": "openai", "model": "gpt-4o", "params": { "temperature": 0.2 } },
//!     { "strategy": "loadbalance", "targets": [
//!         { "weight": 3, "provider": "anthropic", "model": "claude-haiku-4-5" },
//!         { "weight": 1, "provider": "gemini", "model": "gemini-2.5-flash" } ] } ],
//!   "retry": { "attempts": 2, "on_status": [429, 500, 502, 503, 504] },
//!   "timeout_ms": 30000, "deadline_ms": 120000,
//!   "health": { "failure_threshold": 3, "cooldown_ms": 30000 } }
//! ```

use super::condition::{self, Condition};
use serde_json::{Map, Value};

/// Statuses retried (and fallen back from) unless a router says otherwise.
pub const DEFAULT_RETRY_STATUSES: &[u16] = &[429, 500, 502, 503, 504];
const MAX_DEPTH: usize = 8;
const MAX_TARGETS: usize = 50;

#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub provider: String,
    pub model: String,
    /// A specific provider key of the workspace (else its first for the provider).
    pub provider_key: Option<String>,
    /// Request parameters set on this target (e.g. temperature, max_tokens).
    pub params: Map<String, Value>,
}

impl Target {
    /// `provider/model`, as logs and headers name it.
    pub fn qualified(&self) -> String {
        format!("{}/{}", self.provider, self.model)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub when: Vec<Condition>,
    pub then: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Target(Target),
    /// Children tried in order.
    Fallback(Vec<Node>),
    /// One child by weight; the others remain as fallbacks.
    Loadbalance(Vec<(f64, Node)>),
    /// The first rule whose conditions all hold; else `otherwise`.
    Conditional { rules: Vec<Rule>, otherwise: Option<Box<Node>> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries of one target after its first attempt.
    pub attempts: u32,
    pub on_status: Vec<u16>,
    /// First backoff; doubles each retry, with jitter.
    pub backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// `retry-after` is honoured up to this.
    pub retry_after_cap_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 1,
            on_status: DEFAULT_RETRY_STATUSES.to_vec(),
            backoff_ms: 200,
            max_backoff_ms: 5_000,
            retry_after_cap_ms: 10_000,
        }
    }
}

impl RetryPolicy {
    /// Whether a provider status is worth retrying or falling back from.
    pub fn retries_status(&self, status: u16) -> bool {
        self.on_status.contains(&status)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealthPolicy {
    /// Consecutive failures that take a target out of rotation.
    pub failure_threshold: u32,
    /// How long it stays out before one request may try it again (half-open).
    pub cooldown_ms: u64,
    /// How long a provider's 429 keeps the target aside (at least its retry-after).
    pub rate_limit_cooldown_ms: u64,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        HealthPolicy { failure_threshold: 3, cooldown_ms: 30_000, rate_limit_cooldown_ms: 10_000 }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RouterConfig {
    pub root: Node,
    pub retry: RetryPolicy,
    /// Per attempt, until the provider's response headers.
    pub timeout_ms: Option<u64>,
    /// For the whole request, every attempt and backoff included.
    pub deadline_ms: Option<u64>,
    pub health: HealthPolicy,
}

impl RouterConfig {
    /// Every target of the tree, in document order.
    pub fn targets(&self) -> Vec<&Target> {
        fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Target>) {
            match n {
                Node::Target(t) => out.push(t),
                Node::Fallback(children) => children.iter().for_each(|c| walk(c, out)),
                Node::Loadbalance(children) => children.iter().for_each(|(_, c)| walk(c, out)),
                Node::Conditional { rules, otherwise } => {
                    rules.iter().for_each(|r| walk(&r.then, out));
                    if let Some(o) = otherwise {
                        walk(o, out);
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }
}

type Parsed<T> = Result<T, String>;

fn object<'a>(v: &'a Value, at: &str) -> Parsed<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| format!("{at}: must be an object"))
}

fn only_keys(o: &Map<String, Value>, at: &str, allowed: &[&str]) -> Parsed<()> {
    match o.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("{at}: unknown field '{k}' (expected one of {})", allowed.join(", "))),
        None => Ok(()),
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

fn string(o: &Map<String, Value>, key: &str, at: &str) -> Parsed<String> {
    match o.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(_) => Err(format!("{}: must be a non-empty string", join(at, key))),
        None => Err(format!("{}: is required", join(at, key))),
    }
}

fn number(o: &Map<String, Value>, key: &str, at: &str, max: u64) -> Parsed<Option<u64>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n <= max => Ok(Some(n)),
            _ => Err(format!("{}: must be a whole number from 0 to {max}", join(at, key))),
        },
    }
}

fn target(o: &Map<String, Value>, at: &str) -> Parsed<Target> {
    only_keys(o, at, &["provider", "model", "provider_key", "params", "weight"])?;
    let params = match o.get("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => {
            if p.contains_key("model") || p.contains_key("stream") {
                return Err(format!("{}: may not set 'model' or 'stream'", join(at, "params")));
            }
            p.clone()
        }
        Some(_) => return Err(format!("{}: must be an object", join(at, "params"))),
    };
    Ok(Target {
        provider: string(o, "provider", at)?,
        model: string(o, "model", at)?,
        provider_key: match o.get("provider_key") {
            None | Some(Value::Null) => None,
            Some(_) => Some(string(o, "provider_key", at)?),
        },
        params,
    })
}

fn children<'a>(o: &'a Map<String, Value>, key: &str, at: &str) -> Parsed<&'a Vec<Value>> {
    match o.get(key) {
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= MAX_TARGETS => Ok(a),
        _ => Err(format!("{}: must be an array of 1 to {MAX_TARGETS} entries", join(at, key))),
    }
}

fn node(v: &Value, at: &str, depth: usize) -> Parsed<Node> {
    if depth > MAX_DEPTH {
        return Err(format!("{at}: routers nest at most {MAX_DEPTH} levels"));
    }
    let o = object(v, at)?;
    let Some(strategy) = o.get("strategy") else {
        return target(o, at).map(Node::Target);
    };
    let common = ["strategy", "weight"];
    match strategy.as_str() {
        Some("single") => {
            only_keys(o, at, &[&common[..], &["target"]].concat())?;
            let t = o.get("target").ok_or_else(|| format!("{}: is required", join(at, "target")))?;
            target(object(t, &join(at, "target"))?, &join(at, "target")).map(Node::Target)
        }
        Some("fallback") => {
            only_keys(o, at, &[&common[..], &["targets"]].concat())?;
            let list = children(o, "targets", at)?;
            list.iter()
                .enumerate()
                .map(|(i, c)| node(c, &format!("{}[{i}]", join(at, "targets")), depth + 1))
                .collect::<Parsed<Vec<_>>>()
                .map(Node::Fallback)
        }
        Some("loadbalance") => {
            only_keys(o, at, &[&common[..], &["targets"]].concat())?;
            let list = children(o, "targets", at)?;
            let mut out = Vec::with_capacity(list.len());
            for (i, c) in list.iter().enumerate() {
                let here = format!("{}[{i}]", join(at, "targets"));
                let weight = object(c, &here)?
                    .get("weight")
                    .and_then(Value::as_f64)
                    .filter(|w| w.is_finite() && *w > 0.0)
                    .ok_or_else(|| format!("{here}.weight: must be a number greater than 0"))?;
                out.push((weight, node(c, &here, depth + 1)?));
            }
            Ok(Node::Loadbalance(out))
        }
        Some("conditional") => {
            only_keys(o, at, &[&common[..], &["rules", "else"]].concat())?;
            let list = children(o, "rules", at)?;
            let mut rules = Vec::with_capacity(list.len());
            for (i, r) in list.iter().enumerate() {
                let here = format!("{}[{i}]", join(at, "rules"));
                let ro = object(r, &here)?;
                only_keys(ro, &here, &["when", "then"])?;
                let when = match ro.get("when") {
                    Some(Value::Array(cs)) if !cs.is_empty() => cs
                        .iter()
                        .enumerate()
                        .map(|(j, c)| condition::parse(c, &format!("{here}.when[{j}]")))
                        .collect::<Parsed<Vec<_>>>()?,
                    _ => return Err(format!("{here}.when: must be a non-empty array of conditions")),
                };
                let then = ro.get("then").ok_or_else(|| format!("{here}.then: is required"))?;
                rules.push(Rule { when, then: node(then, &format!("{here}.then"), depth + 1)? });
            }
            let otherwise = match o.get("else") {
                None | Some(Value::Null) => None,
                Some(e) => Some(Box::new(node(e, &join(at, "else"), depth + 1)?)),
            };
            Ok(Node::Conditional { rules, otherwise })
        }
        _ => Err(format!(
            "{}: must be one of single, fallback, loadbalance, conditional",
            join(at, "strategy")
        )),
    }
}

fn retry(v: Option<&Value>) -> Parsed<RetryPolicy> {
    let mut p = RetryPolicy::default();
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(p) };
    let o = object(v, "retry")?;
    only_keys(o, "retry", &["attempts", "on_status", "backoff_ms", "max_backoff_ms", "retry_after_cap_ms"])?;
    if let Some(n) = number(o, "attempts", "retry", 5)? {
        p.attempts = n as u32;
    }
    if let Some(list) = o.get("on_status") {
        p.on_status = list
            .as_array()
            .and_then(|a| a.iter().map(|s| s.as_u64().filter(|c| (400..600).contains(c)).map(|c| c as u16)).collect())
            .ok_or("retry.on_status: must be an array of HTTP statuses from 400 to 599")?;
    }
    if let Some(n) = number(o, "backoff_ms", "retry", 60_000)? {
        p.backoff_ms = n;
    }
    if let Some(n) = number(o, "max_backoff_ms", "retry", 300_000)? {
        p.max_backoff_ms = n;
    }
    if let Some(n) = number(o, "retry_after_cap_ms", "retry", 300_000)? {
        p.retry_after_cap_ms = n;
    }
    Ok(p)
}

fn health(v: Option<&Value>) -> Parsed<HealthPolicy> {
    let mut p = HealthPolicy::default();
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(p) };
    let o = object(v, "health")?;
    only_keys(o, "health", &["failure_threshold", "cooldown_ms", "rate_limit_cooldown_ms"])?;
    if let Some(n) = number(o, "failure_threshold", "health", 1_000)? {
        p.failure_threshold = (n as u32).max(1);
    }
    if let Some(n) = number(o, "cooldown_ms", "health", 3_600_000)? {
        p.cooldown_ms = n;
    }
    if let Some(n) = number(o, "rate_limit_cooldown_ms", "health", 3_600_000)? {
        p.rate_limit_cooldown_ms = n;
    }
    Ok(p)
}

/// Parses and checks a router configuration; the error names the path.
pub fn parse(v: &Value) -> Parsed<RouterConfig> {
    let o = object(v, "router")?;
    let mut tree = o.clone();
    let retry_v = tree.remove("retry");
    let health_v = tree.remove("health");
    let timeout = number(o, "timeout_ms", "", 600_000)?;
    let deadline = number(o, "deadline_ms", "", 900_000)?;
    tree.remove("timeout_ms");
    tree.remove("deadline_ms");
    tree.remove("$schema");
    let root = node(&Value::Object(tree), "", 0)?;
    Ok(RouterConfig { root, retry: retry(retry_v.as_ref())?, timeout_ms: timeout, deadline_ms: deadline, health: health(health_v.as_ref())? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_full_router() {
        let r = parse(&json!({
            "strategy": "fallback",
            "targets": [
                {"provider": "openai", "model": "gpt-4o", "provider_key": "pk_1", "params": {"temperature": 0.1}},
                {"strategy": "loadbalance", "targets": [
                    {"weight": 2, "provider": "anthropic", "model": "claude-haiku-4-5"},
                    {"weight": 1, "strategy": "single", "target": {"provider": "gemini", "model": "gemini-2.5-flash"}}]}],
            "retry": {"attempts": 2, "on_status": [429, 503]},
            "timeout_ms": 5000, "deadline_ms": 20000,
            "health": {"failure_threshold": 2, "cooldown_ms": 1000}
        }))
        .unwrap();
        assert_eq!(r.targets().len(), 3);
        assert_eq!(r.targets()[0].params["temperature"], 0.1);
        assert_eq!(r.retry.attempts, 2);
        assert!(r.retry.retries_status(503) && !r.retry.retries_status(500));
        assert_eq!((r.timeout_ms, r.deadline_ms), (Some(5000), Some(20000)));
        assert_eq!(r.health.failure_threshold, 2);
    }

    #[test]
    fn the_json_schema_examples_parse() {
        let schema: Value = serde_json::from_str(include_str!("../../schema/router.schema.json")).unwrap();
        let examples = schema["examples"].as_array().unwrap();
        assert!(examples.len() >= 3);
        for e in examples {
            parse(e).unwrap_or_else(|why| panic!("example does not parse: {why}: {e}"));
        }
    }

    #[test]
    fn a_bare_target_is_a_router() {
        let r = parse(&json!({"provider": "openai", "model": "gpt-4o"})).unwrap();
        assert_eq!(r.retry, RetryPolicy::default());
        assert!(matches!(r.root, Node::Target(_)));
    }

    #[test]
    fn errors_say_where() {
        let err = |v: Value| parse(&v).unwrap_err();
        assert_eq!(err(json!({"strategy": "roundrobin", "targets": []})), "strategy: must be one of single, fallback, loadbalance, conditional");
        assert_eq!(err(json!({"strategy": "fallback", "targets": []})), "targets: must be an array of 1 to 50 entries");
        assert_eq!(
            err(json!({"strategy": "fallback", "targets": [{"provider": "openai"}]})),
            "targets[0].model: is required"
        );
        assert_eq!(
            err(json!({"strategy": "loadbalance", "targets": [{"provider": "a", "model": "b"}]})),
            "targets[0].weight: must be a number greater than 0"
        );
        assert_eq!(
            err(json!({"strategy": "fallback", "targets": [{"provider": "a", "model": "b", "temp": 1}]})),
            "targets[0]: unknown field 'temp' (expected one of provider, model, provider_key, params, weight)"
        );
        assert!(err(json!({"provider": "a", "model": "b", "retry": {"attempts": 50}})).starts_with("retry.attempts"));
        assert!(err(json!({"provider": "a", "model": "b", "params": {"model": "x"}})).contains("params"));
        assert!(err(json!({"strategy": "conditional", "rules": [{"when": [], "then": {"provider": "a", "model": "b"}}]}))
            .starts_with("rules[0].when"));
    }
}
