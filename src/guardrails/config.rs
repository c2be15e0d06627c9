//! The `guardrails` object of a scope policy, and the one policy a request
//! runs under once every scope (most specific first) and the request's
//! stricter-only header are folded together.
//!
//! ```json
//! "guardrails": {
//!   "detectors": { "email": {"input": "tokenize", "output": "redact"}, "card": {"input": "block"} },
//!   "rules": [ {"id": "codename", "pattern": "(?i)project\\s+falcon", "input": "redact", "output": "block"} ],
//!   "deny_words": [ {"id": "competitors", "words": ["acme", "globex"], "input": "block"} ],
//!   "max_input_tokens": 8000
//! }
//! ```

use super::detect::Detector;
use super::moderation::ModerationConfig;
use super::rules::{self, Matcher};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// What happens to a finding, in rising strictness.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    #[default]
    Off,
    /// Allowed, and counted on the log row.
    Log,
    /// Replaced by a numbered placeholder the answer's copy is restored from (input only).
    Tokenize,
    /// Replaced by a typed mask such as `[EMAIL]`.
    Redact,
    /// The request (input) or the answer (output) is refused.
    Block,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Off => "off",
            Action::Log => "log",
            Action::Tokenize => "tokenize",
            Action::Redact => "redact",
            Action::Block => "block",
        }
    }

    fn parse(s: &str) -> Option<Action> {
        [Action::Off, Action::Log, Action::Tokenize, Action::Redact, Action::Block].into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    Input,
    Output,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Input => "input",
            Direction::Output => "output",
        }
    }
}

/// One detector's actions; a direction left out is decided by a wider scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Action>,
}

impl Directions {
    fn get(&self, d: Direction) -> Option<Action> {
        match d {
            Direction::Input => self.input,
            Direction::Output => self.output,
        }
    }
}

/// A workspace-defined regular expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegexRule {
    pub id: String,
    pub pattern: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Action>,
}

/// Words refused or masked wherever they stand as whole words (any case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenyWords {
    pub id: String,
    pub words: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Action>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardrailsConfig {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub detectors: BTreeMap<Detector, Directions>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RegexRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny_words: Vec<DenyWords>,
    /// The largest input, in estimated tokens, a request may send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_input_tokens: Option<u64>,
    /// What happens when a request asks for a JSON schema and the answer
    /// does not follow it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<SchemaCheck>,
    /// A moderation model over the request's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderation: Option<ModerationConfig>,
}

/// The answer against the request's `response_format` JSON schema.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaCheck {
    #[default]
    Off,
    /// A non-conforming answer is a 502 `invalid_model_output`.
    Reject,
    /// Tried once more on the next target of the route, then rejected.
    Fallback,
}

pub const MAX_RULES: usize = 50;
pub const MAX_PATTERN: usize = 1000;
pub const MAX_WORDS: usize = 500;
pub const MAX_WORD: usize = 100;

fn check_actions(at: &str, a: &Directions) -> Result<(), (String, String)> {
    if a.output == Some(Action::Tokenize) {
        return Err((format!("{at}.output"), "'tokenize' applies to input only; use redact or block on output".into()));
    }
    Ok(())
}

fn check_id(at: &str, id: &str, seen: &mut Vec<String>) -> Result<(), (String, String)> {
    let ok = (1..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !ok {
        return Err((format!("{at}.id"), "must be 1 to 40 characters of a-z, 0-9, '_' and '-'".into()));
    }
    if Detector::parse(id).is_some() || seen.iter().any(|s| s == id) {
        return Err((format!("{at}.id"), format!("'{id}' is already the name of a detector, rule or deny-word list")));
    }
    seen.push(id.to_string());
    Ok(())
}

impl GuardrailsConfig {
    /// Checks the object when a policy is written; the field path is
    /// relative to the policy (`guardrails.rules[0].pattern`).
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (d, a) in &self.detectors {
            check_actions(&format!("guardrails.detectors.{}", d.name()), a)?;
        }
        if self.rules.len() > MAX_RULES || self.deny_words.len() > MAX_RULES {
            return Err(("guardrails".into(), format!("at most {MAX_RULES} rules and {MAX_RULES} deny-word lists")));
        }
        let mut seen = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            let at = format!("guardrails.rules[{i}]");
            check_id(&at, &r.id, &mut seen)?;
            check_actions(&at, &Directions { input: r.input, output: r.output })?;
            if r.pattern.is_empty() || r.pattern.len() > MAX_PATTERN {
                return Err((format!("{at}.pattern"), format!("must be 1 to {MAX_PATTERN} characters")));
            }
            rules::compile(&r.pattern).map_err(|why| (format!("{at}.pattern"), why))?;
        }
        for (i, l) in self.deny_words.iter().enumerate() {
            let at = format!("guardrails.deny_words[{i}]");
            check_id(&at, &l.id, &mut seen)?;
            check_actions(&at, &Directions { input: l.input, output: l.output })?;
            if l.words.is_empty() || l.words.len() > MAX_WORDS || l.words.iter().any(|w| w.trim().is_empty() || w.len() > MAX_WORD) {
                return Err((format!("{at}.words"), format!("must hold 1 to {MAX_WORDS} words of 1 to {MAX_WORD} characters")));
            }
        }
        if self.max_input_tokens == Some(0) {
            return Err(("guardrails.max_input_tokens".into(), "must be at least 1".into()));
        }
        if let Some(m) = &self.moderation {
            m.validate()?;
        }
        Ok(())
    }
}

/// What is checked: a built-in detector, or a workspace rule or list.
#[derive(Debug, Clone)]
pub enum Check {
    Builtin(Detector),
    Custom { id: String, matcher: Rc<Matcher> },
}

impl Check {
    pub fn name(&self) -> &str {
        match self {
            Check::Builtin(d) => d.name(),
            Check::Custom { id, .. } => id,
        }
    }

    /// The mask and placeholder label: `EMAIL`, or the rule id upper-cased.
    pub fn label(&self) -> String {
        match self {
            Check::Builtin(d) => d.label().to_string(),
            Check::Custom { id, .. } => id.to_ascii_uppercase().replace('-', "_"),
        }
    }
}

/// One check's action in one direction, and who set it (for messages).
#[derive(Debug, Clone)]
pub struct Decided {
    pub check: Check,
    pub action: Action,
    pub scope: String,
}

/// The guardrails one request runs under. Only checks with an action other
/// than `off` are kept, so an empty list costs nothing.
#[derive(Debug, Clone, Default)]
pub struct GuardPolicy {
    pub input: Vec<Decided>,
    pub output: Vec<Decided>,
    pub max_input_tokens: Option<(u64, String)>,
    pub output_schema: SchemaCheck,
    /// The moderation model of the most specific scope that sets one, and that scope.
    pub moderation: Option<(ModerationConfig, String)>,
}

impl GuardPolicy {
    pub fn is_empty(&self) -> bool {
        self.input.is_empty() && self.output.is_empty() && self.max_input_tokens.is_none() && self.output_schema == SchemaCheck::Off
            && self.moderation.is_none()
    }

    pub fn checks(&self, d: Direction) -> &[Decided] {
        match d {
            Direction::Input => &self.input,
            Direction::Output => &self.output,
        }
    }

    /// Whether any input check tokenizes (the answer then needs a restore).
    pub fn tokenizes(&self) -> bool {
        self.input.iter().any(|d| d.action == Action::Tokenize)
    }

    /// Folds the scopes' configs, most specific first: per check and
    /// direction the first scope that names it decides; a rule or list is
    /// known by its id; the smallest `max_input_tokens` holds. Then the
    /// request's header raises actions (never lowers them).
    pub fn merge<'a>(scopes: impl Iterator<Item = (String, &'a GuardrailsConfig)>, header: &[HeaderEntry]) -> Result<GuardPolicy, String> {
        let mut policy = GuardPolicy::default();
        let mut decided: BTreeSet<(String, Direction)> = BTreeSet::new();
        let mut schema_set = false;
        for (scope, config) in scopes {
            if let (false, Some(check)) = (schema_set, config.output_schema) {
                policy.output_schema = check;
                schema_set = true;
            }
            if let (None, Some(m)) = (&policy.moderation, &config.moderation) {
                policy.moderation = Some((m.clone(), scope.clone()));
            }
            let mut candidates: Vec<(Check, Directions)> = config.detectors.iter().map(|(d, a)| (Check::Builtin(*d), a.clone())).collect();
            for r in &config.rules {
                if let Ok(m) = rules::cached(&r.pattern) {
                    candidates.push((Check::Custom { id: r.id.clone(), matcher: m }, Directions { input: r.input, output: r.output }));
                }
            }
            for l in &config.deny_words {
                if let Ok(m) = rules::cached_words(&l.words) {
                    candidates.push((Check::Custom { id: l.id.clone(), matcher: m }, Directions { input: l.input, output: l.output }));
                }
            }
            for (check, actions) in candidates {
                for dir in [Direction::Input, Direction::Output] {
                    let Some(action) = actions.get(dir) else { continue };
                    if !decided.insert((check.name().to_string(), dir)) {
                        continue;
                    }
                    let list = if dir == Direction::Input { &mut policy.input } else { &mut policy.output };
                    list.push(Decided { check: check.clone(), action, scope: scope.clone() });
                }
            }
            if let Some(m) = config.max_input_tokens {
                if policy.max_input_tokens.as_ref().is_none_or(|(have, _)| m < *have) {
                    policy.max_input_tokens = Some((m, scope.clone()));
                }
            }
        }
        for entry in header {
            policy.raise(entry)?;
        }
        if policy.moderation.as_ref().is_some_and(|(m, _)| m.action() == Action::Off) {
            policy.moderation = None;
        }
        policy.input.retain(|d| d.action != Action::Off);
        policy.output.retain(|d| d.action != Action::Off);
        Ok(policy)
    }

    fn raise(&mut self, e: &HeaderEntry) -> Result<(), String> {
        let known = |list: &Vec<Decided>| list.iter().position(|d| d.check.name() == e.name);
        let list = if e.direction == Direction::Input { &mut self.input } else { &mut self.output };
        match known(list) {
            Some(i) if e.action > list[i].action => {
                list[i].action = e.action;
                list[i].scope = "the request's alephant-guardrails header".into();
            }
            Some(_) => {}
            None => {
                let d = Detector::parse(&e.name).ok_or_else(|| format!("'{}' is not a detector, rule or deny-word list of this key's policies", e.name))?;
                list.push(Decided { check: Check::Builtin(d), action: e.action, scope: "the request's alephant-guardrails header".into() });
            }
        }
        Ok(())
    }
}

/// One entry of `alephant-guardrails: email=block, output.secret=block`.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderEntry {
    pub name: String,
    pub direction: Direction,
    pub action: Action,
}

/// Parses the header; a bare name means input.
pub fn parse_header(value: &str) -> Result<Vec<HeaderEntry>, String> {
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (target, action) = item.split_once('=').ok_or_else(|| format!("'{item}' is not name=action"))?;
        let (direction, name) = match target.trim().split_once('.') {
            Some(("input", n)) => (Direction::Input, n),
            Some(("output", n)) => (Direction::Output, n),
            Some((d, _)) => return Err(format!("'{d}' is not a direction (input or output)")),
            None => (Direction::Input, target.trim()),
        };
        let action = Action::parse(action.trim()).ok_or_else(|| format!("'{}' is not an action (off, log, tokenize, redact, block)", action.trim()))?;
        if direction == Direction::Output && action == Action::Tokenize {
            return Err("'tokenize' applies to input only".into());
        }
        out.push(HeaderEntry { name: name.to_string(), direction, action });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(v: serde_json::Value) -> GuardrailsConfig {
        serde_json::from_value(v).unwrap()
    }

    fn action(p: &GuardPolicy, dir: Direction, name: &str) -> Option<Action> {
        p.checks(dir).iter().find(|d| d.check.name() == name).map(|d| d.action)
    }

    #[test]
    fn most_specific_scope_wins_per_detector_and_direction() {
        let key = config(json!({"detectors": {"email": {"input": "log"}}}));
        let ws = config(json!({"detectors": {"email": {"input": "block", "output": "redact"}, "card": {"input": "block"}}, "max_input_tokens": 900}));
        let dept = config(json!({"max_input_tokens": 500}));
        let scopes = [("key".to_string(), &key), ("dept".to_string(), &dept), ("ws".to_string(), &ws)];
        let p = GuardPolicy::merge(scopes.into_iter(), &[]).unwrap();
        assert_eq!(p.output_schema, SchemaCheck::Off);
        assert_eq!(action(&p, Direction::Input, "email"), Some(Action::Log));
        assert_eq!(action(&p, Direction::Output, "email"), Some(Action::Redact));
        assert_eq!(action(&p, Direction::Input, "card"), Some(Action::Block));
        assert_eq!(p.max_input_tokens, Some((500, "dept".into())));
    }

    #[test]
    fn the_most_specific_scope_sets_the_schema_check() {
        let key = config(json!({"output_schema": "reject"}));
        let ws = config(json!({"output_schema": "fallback"}));
        let p = GuardPolicy::merge([("key".to_string(), &key), ("ws".to_string(), &ws)].into_iter(), &[]).unwrap();
        assert_eq!(p.output_schema, SchemaCheck::Reject);
        assert!(!p.is_empty());
    }

    #[test]
    fn the_header_only_raises() {
        let ws = config(json!({"detectors": {"email": {"input": "redact"}}}));
        let header = parse_header("email=off, output.secret=block, phone=tokenize").unwrap();
        let p = GuardPolicy::merge([("ws".to_string(), &ws)].into_iter(), &header).unwrap();
        assert_eq!(action(&p, Direction::Input, "email"), Some(Action::Redact), "a header cannot loosen");
        assert_eq!(action(&p, Direction::Output, "secret"), Some(Action::Block));
        assert_eq!(action(&p, Direction::Input, "phone"), Some(Action::Tokenize));
        assert!(parse_header("email=maybe").is_err());
        assert!(parse_header("sideways.email=block").is_err());
        assert!(parse_header("output.email=tokenize").is_err());
        assert!(GuardPolicy::merge([("ws".to_string(), &ws)].into_iter(), &parse_header("nope=block").unwrap()).is_err());
    }

    #[test]
    fn off_everywhere_is_empty() {
        let ws = config(json!({"detectors": {"email": {"input": "off"}}}));
        assert!(GuardPolicy::merge([("ws".to_string(), &ws)].into_iter(), &[]).unwrap().is_empty());
    }

    #[test]
    fn the_json_schema_matches_the_code() {
        let schema: serde_json::Value = serde_json::from_str(include_str!("../../schema/guardrails.schema.json")).unwrap();
        for e in schema["examples"].as_array().unwrap() {
            config(e.clone()).validate().unwrap_or_else(|why| panic!("example does not validate: {why:?}: {e}"));
        }
        let detectors: Vec<&str> = schema["properties"]["detectors"]["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        let mut names: Vec<&str> = Detector::ALL.iter().map(|d| d.name()).collect();
        names.sort();
        let mut listed = detectors.clone();
        listed.sort();
        assert_eq!(listed, names);
        let actions: Vec<&str> = schema["$defs"]["action"]["enum"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
        assert_eq!(actions, ["off", "log", "tokenize", "redact", "block"]);
        assert_eq!(schema["properties"]["rules"]["maxItems"], MAX_RULES);
        assert_eq!(schema["properties"]["rules"]["items"]["properties"]["pattern"]["maxLength"], MAX_PATTERN);
    }

    #[test]
    fn validation_names_the_field() {
        let bad = |v: serde_json::Value| config(v).validate().unwrap_err().0;
        assert_eq!(bad(json!({"detectors": {"email": {"output": "tokenize"}}})), "guardrails.detectors.email.output");
        assert_eq!(bad(json!({"rules": [{"id": "x", "pattern": "(unclosed"}]})), "guardrails.rules[0].pattern");
        assert_eq!(bad(json!({"rules": [{"id": "x", "pattern": "a".repeat(1001)}]})), "guardrails.rules[0].pattern");
        assert_eq!(bad(json!({"rules": [{"id": "email", "pattern": "x"}]})), "guardrails.rules[0].id");
        assert_eq!(bad(json!({"rules": [{"id": "a", "pattern": "x"}], "deny_words": [{"id": "a", "words": ["w"]}]})), "guardrails.deny_words[0].id");
        assert_eq!(bad(json!({"deny_words": [{"id": "w", "words": []}]})), "guardrails.deny_words[0].words");
        assert_eq!(bad(json!({"max_input_tokens": 0})), "guardrails.max_input_tokens");
        assert!(serde_json::from_value::<GuardrailsConfig>(json!({"detectors": {"mail": {"input": "block"}}})).is_err());
        assert!(serde_json::from_value::<GuardrailsConfig>(json!({"detectors": {"email": {"input": "shred"}}})).is_err());
        assert!(config(json!({"rules": [{"id": "codename", "pattern": "(?i)project\\s+falcon", "input": "redact"}]})).validate().is_ok());
    }
}
