//! One text through one direction's checks: where each check matches, and
//! the text with each match's action applied.

use super::config::{Action, Check, Decided, Direction};
use super::detect::{self, Detector};
use super::findings::{Blocked, Findings};
use super::vault::Vault;

/// A match of `checks[check]` at `text[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub check: usize,
}

/// Every match of `checks` in `text`, in order and without overlaps
/// (built-in detectors first; a workspace rule keeps what they left).
pub fn matches(text: &str, checks: &[Decided]) -> Vec<Span> {
    let builtin: Vec<Detector> = checks
        .iter()
        .filter_map(|d| match d.check {
            Check::Builtin(det) => Some(det),
            Check::Custom { .. } => None,
        })
        .collect();
    let index_of = |det: Detector| checks.iter().position(|d| matches!(d.check, Check::Builtin(x) if x == det)).unwrap_or(0);
    let mut spans: Vec<Span> =
        detect::find(text, &builtin).into_iter().map(|h| Span { start: h.start, end: h.end, check: index_of(h.detector) }).collect();
    let mut found = Vec::new();
    let before = spans.len();
    for (i, d) in checks.iter().enumerate() {
        if let Check::Custom { matcher, .. } = &d.check {
            found.clear();
            matcher.find(text, &mut found);
            for &(start, end) in &found {
                if !spans[..before].iter().any(|s| s.start < end && start < s.end) {
                    spans.push(Span { start, end, check: i });
                }
            }
        }
    }
    if spans.len() > before {
        spans.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
        let mut kept: Vec<Span> = Vec::with_capacity(spans.len());
        for s in spans {
            if kept.last().is_none_or(|k| k.end <= s.start) {
                kept.push(s);
            }
        }
        return kept;
    }
    spans
}

/// Applies each span's action: counted in `findings`; `Err` when a block
/// fired (the first one, every finding still counted); `Ok(None)` when
/// the text stays as it was.
pub fn apply(
    text: &str,
    spans: &[Span],
    checks: &[Decided],
    direction: Direction,
    vault: &mut Vault,
    findings: &mut Findings,
) -> Result<Option<String>, Blocked> {
    if spans.is_empty() {
        return Ok(None);
    }
    let mut blocked: Option<Blocked> = None;
    let mut out: Option<String> = None;
    let mut copied = 0;
    for s in spans {
        let d = &checks[s.check];
        findings.add(d.check.name(), direction, d.action, 1);
        let replacement = match d.action {
            Action::Off | Action::Log => continue,
            Action::Block => {
                match &mut blocked {
                    Some(b) if b.check == d.check.name() => b.count += 1,
                    Some(_) => {}
                    None => blocked = Some(Blocked { check: d.check.name().to_string(), direction, scope: d.scope.clone(), count: 1 }),
                }
                continue;
            }
            Action::Redact => format!("[{}]", d.check.label()),
            Action::Tokenize => vault.placeholder(&d.check.label(), &text[s.start..s.end]),
        };
        let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
        o.push_str(&text[copied..s.start]);
        o.push_str(&replacement);
        copied = s.end;
    }
    if let Some(b) = blocked {
        return Err(b);
    }
    Ok(out.map(|mut o| {
        o.push_str(&text[copied..]);
        o
    }))
}

/// `matches` then `apply`.
pub fn scan(text: &str, checks: &[Decided], direction: Direction, vault: &mut Vault, findings: &mut Findings) -> Result<Option<String>, Blocked> {
    if checks.is_empty() {
        return Ok(None);
    }
    let spans = matches(text, checks);
    apply(text, &spans, checks, direction, vault, findings)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::guardrails::config::{GuardPolicy, GuardrailsConfig};
    use serde_json::json;

    pub fn policy(v: serde_json::Value) -> GuardPolicy {
        let c: GuardrailsConfig = serde_json::from_value(v).unwrap();
        c.validate().unwrap();
        GuardPolicy::merge([("the workspace policy".to_string(), &c)].into_iter(), &[]).unwrap()
    }

    #[test]
    fn each_action_does_what_it_says() {
        let p = policy(json!({"detectors": {
            "email": {"input": "tokenize"}, "phone": {"input": "redact"}, "ip": {"input": "log"}
        }}));
        let (mut v, mut f) = (Vault::default(), Findings::default());
        let text = "mail a@x.io or b@x.io, again a@x.io; call +14155550100 from 10.0.0.1";
        let out = scan(text, &p.input, Direction::Input, &mut v, &mut f).unwrap().unwrap();
        assert_eq!(out, "mail ⟨EMAIL_1⟩ or ⟨EMAIL_2⟩, again ⟨EMAIL_1⟩; call [PHONE] from 10.0.0.1");
        assert_eq!(v.restore(&out), "mail a@x.io or b@x.io, again a@x.io; call [PHONE] from 10.0.0.1");
        let json = f.to_json().unwrap();
        assert!(json.contains(r#"{"detector":"email","direction":"input","action":"tokenize","count":3}"#), "{json}");
        assert!(json.contains(r#""detector":"ip","direction":"input","action":"log","count":1"#), "{json}");
        assert!(!json.contains("a@x.io"));
        assert_eq!(scan("nothing here", &p.input, Direction::Input, &mut v, &mut f).unwrap(), None);
    }

    #[test]
    fn block_names_the_check_and_scope_never_the_value() {
        let p = policy(json!({"detectors": {"card": {"input": "block"}, "email": {"input": "redact"}}}));
        let (mut v, mut f) = (Vault::default(), Findings::default());
        let b = scan("pay 4111 1111 1111 1111 and 4012888888881881, a@x.io", &p.input, Direction::Input, &mut v, &mut f).unwrap_err();
        assert_eq!((b.check.as_str(), b.count, b.scope.as_str()), ("card", 2, "the workspace policy"));
        assert!(f.to_json().unwrap().contains(r#""action":"block","count":2"#));
    }

    #[test]
    fn workspace_rules_and_deny_words() {
        let p = policy(json!({
            "rules": [{"id": "codename", "pattern": "(?i)project\\s+falcon", "input": "redact"}],
            "deny_words": [{"id": "rivals", "words": ["acme"], "input": "block"}],
            "detectors": {"email": {"input": "redact"}}
        }));
        let (mut v, mut f) = (Vault::default(), Findings::default());
        let out = scan("Project Falcon ships; mail pm@falcon.io", &p.input, Direction::Input, &mut v, &mut f).unwrap().unwrap();
        assert_eq!(out, "[CODENAME] ships; mail [EMAIL]");
        assert_eq!(scan("we beat ACME", &p.input, Direction::Input, &mut v, &mut f).unwrap_err().check, "rivals");
        assert!(scan("acmeish is fine", &p.input, Direction::Input, &mut v, &mut f).unwrap().is_none());
    }
}
