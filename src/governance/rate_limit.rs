//! Rate-limit policy strings:
//! `<quota>;w=<seconds>[;u=request|tokens|cents][;s=key|user|agent|department|workspace|ip|property:<name>]`,
//! several separated by commas, e.g. `100;w=60,50000;w=3600;u=tokens`.
//! Invalid policies are refused when written, with a message saying why.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Request,
    Tokens,
    Cents,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Key,
    User,
    Agent,
    Department,
    Workspace,
    Ip,
    Property(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub quota: u64,
    pub window_secs: u64,
    pub unit: Unit,
    pub scope: Scope,
}

const MAX_WINDOW_SECS: u64 = 366 * 24 * 3600;
const MAX_QUOTA: u64 = 1_000_000_000_000;
const MAX_RULES: usize = 10;

/// Parses a policy whose rules default to `default_scope` (the level the
/// policy is attached to) when they name none.
pub fn parse_at(policy: &str, default_scope: Scope) -> Result<Vec<Rule>, String> {
    let mut rules = parse(policy)?;
    for (rule, part) in rules.iter_mut().zip(policy.split(',')) {
        if !part.contains(";s=") && !part.contains("; s=") {
            rule.scope = default_scope.clone();
        }
    }
    Ok(rules)
}

/// Rules a request may add in `alephant-ratelimit-policy`: only tighter
/// ones over what the key holder itself stands for (its key, an end user,
/// an IP, a property value), at most `MAX_HEADER_RULES`, each window at
/// most `MAX_HEADER_WINDOW_SECS` — so a header can neither reach the
/// counters of the agent, department or workspace shared with other keys
/// nor leave long-lived windows behind in any ledger.
pub fn parse_header(policy: &str) -> Result<Vec<Rule>, String> {
    let rules = parse(policy)?;
    if rules.len() > MAX_HEADER_RULES {
        return Err(format!("at most {MAX_HEADER_RULES} rules in a request header"));
    }
    for r in &rules {
        if matches!(r.scope, Scope::Agent | Scope::Department | Scope::Workspace) {
            return Err(format!(
                "rule '{r}' names a shared scope; a request header may set only key, user, ip or property rules"
            ));
        }
        if r.window_secs > MAX_HEADER_WINDOW_SECS {
            return Err(format!("rule '{r}': a request header's window is at most {MAX_HEADER_WINDOW_SECS} seconds"));
        }
    }
    Ok(rules)
}

pub const MAX_HEADER_RULES: usize = 5;
pub const MAX_HEADER_WINDOW_SECS: u64 = 3600;

pub fn parse(policy: &str) -> Result<Vec<Rule>, String> {
    let rules = policy
        .split(',')
        .map(str::trim)
        .map(|part| {
            if part.is_empty() {
                Err("empty rule (check for a stray comma)".to_string())
            } else {
                parse_rule(part)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    if rules.len() > MAX_RULES {
        return Err(format!("at most {MAX_RULES} rules per policy"));
    }
    Ok(rules)
}

fn parse_rule(text: &str) -> Result<Rule, String> {
    let mut parts = text.split(';').map(str::trim);
    let quota_text = parts.next().unwrap_or_default();
    let quota: u64 = quota_text
        .parse()
        .map_err(|_| format!("'{quota_text}' is not a quota: a rule starts with a whole number, e.g. '100;w=60'"))?;
    if quota == 0 || quota > MAX_QUOTA {
        return Err(format!("quota must be between 1 and {MAX_QUOTA}"));
    }
    let (mut window, mut unit, mut scope) = (None, None, None);
    for p in parts {
        let (k, v) = p.split_once('=').ok_or_else(|| format!("'{p}' is not of the form name=value"))?;
        let (k, v) = (k.trim(), v.trim());
        let duplicate = || format!("'{k}' appears twice in '{text}'");
        match k {
            "w" => {
                let w: u64 = v.parse().map_err(|_| format!("window 'w={v}' must be a whole number of seconds"))?;
                if w == 0 || w > MAX_WINDOW_SECS {
                    return Err(format!("window must be between 1 and {MAX_WINDOW_SECS} seconds"));
                }
                window.replace(w).map_or(Ok(()), |_| Err(duplicate()))?;
            }
            "u" => {
                let u = match v {
                    "request" | "requests" => Unit::Request,
                    "tokens" | "token" => Unit::Tokens,
                    "cents" | "cent" => Unit::Cents,
                    _ => return Err(format!("unit 'u={v}' must be request, tokens or cents")),
                };
                unit.replace(u).map_or(Ok(()), |_| Err(duplicate()))?;
            }
            "s" => {
                let s = match v {
                    "key" => Scope::Key,
                    "user" => Scope::User,
                    "agent" => Scope::Agent,
                    "department" => Scope::Department,
                    "workspace" => Scope::Workspace,
                    "ip" => Scope::Ip,
                    _ => match v.strip_prefix("property:").map(str::trim) {
                        Some(name) if !name.is_empty() && name.len() <= 64 => Scope::Property(name.to_ascii_lowercase()),
                        _ => {
                            return Err(format!(
                                "scope 's={v}' must be key, user, agent, department, workspace, ip or property:<name>"
                            ))
                        }
                    },
                };
                scope.replace(s).map_or(Ok(()), |_| Err(duplicate()))?;
            }
            _ => return Err(format!("unknown parameter '{k}' (expected w, u or s)")),
        }
    }
    Ok(Rule {
        quota,
        window_secs: window.ok_or_else(|| format!("'{text}' needs a window, e.g. '{quota};w=60'"))?,
        unit: unit.unwrap_or(Unit::Request),
        scope: scope.unwrap_or(Scope::Key),
    })
}

impl fmt::Display for Rule {
    /// The canonical form, as sent in `alephant-ratelimit-policy`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{};w={}", self.quota, self.window_secs)?;
        match self.unit {
            Unit::Request => {}
            Unit::Tokens => write!(f, ";u=tokens")?,
            Unit::Cents => write!(f, ";u=cents")?,
        }
        match &self.scope {
            Scope::Key => Ok(()),
            Scope::User => write!(f, ";s=user"),
            Scope::Agent => write!(f, ";s=agent"),
            Scope::Department => write!(f, ";s=department"),
            Scope::Workspace => write!(f, ";s=workspace"),
            Scope::Ip => write!(f, ";s=ip"),
            Scope::Property(p) => write!(f, ";s=property:{p}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rules_stay_within_the_key_holders_own_scopes() {
        assert_eq!(parse_header("2;w=60,3;w=60;s=user,4;w=60;s=ip,5;w=60;s=property:team").unwrap().len(), 4);
        for shared in ["1;w=60;s=workspace", "1;w=60;s=agent", "1;w=60;s=department"] {
            assert!(parse_header(shared).unwrap_err().contains("shared scope"), "{shared}");
        }
        assert!(parse_header("1;w=60,1;w=61,1;w=62,1;w=63,1;w=64,1;w=65").unwrap_err().contains("at most 5"));
        assert!(parse_header("1;w=86400").unwrap_err().contains("at most 3600"));
    }

    #[test]
    fn simple_and_full_rules() {
        assert_eq!(
            parse("20;w=60").unwrap(),
            vec![Rule { quota: 20, window_secs: 60, unit: Unit::Request, scope: Scope::Key }]
        );
        let r = parse("1000;w=3600;u=tokens;s=property:Team, 5;w=1;s=user").unwrap();
        assert_eq!(r[0].unit, Unit::Tokens);
        assert_eq!(r[0].scope, Scope::Property("team".into()));
        assert_eq!(r[1].scope, Scope::User);
    }

    #[test]
    fn rules_default_to_the_level_they_are_attached_to() {
        let r = parse_at("10;w=60,5;w=1;s=user", Scope::Workspace).unwrap();
        assert_eq!(r[0].scope, Scope::Workspace);
        assert_eq!(r[1].scope, Scope::User);
        assert_eq!(r[0].to_string(), "10;w=60;s=workspace");
    }

    #[test]
    fn canonical_form_round_trips() {
        for p in ["20;w=60", "1000;w=3600;u=tokens;s=property:team", "5;w=1;u=cents;s=workspace"] {
            let rules = parse(p).unwrap();
            assert_eq!(rules[0].to_string(), p);
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = |p: &str| parse(p).unwrap_err();
        assert!(err("lots").contains("not a quota"));
        assert!(err("10").contains("needs a window"));
        assert!(err("10;w=0").contains("between 1"));
        assert!(err("10;w=60;u=dollars").contains("request, tokens or cents"));
        assert!(err("10;w=60;s=planet").contains("scope"));
        assert!(err("10;w=60;x=1").contains("unknown parameter"));
        assert!(err("10;w=60;w=30").contains("twice"));
        assert!(err("10;w=60,").contains("empty rule"));
        assert!(err("0;w=60").contains("between 1"));
        assert!(err("10;w").contains("name=value"));
    }
}
