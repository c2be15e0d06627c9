//! What one request must be admitted by, scope object by scope object:
//! each rate-limit rule goes to the object of its scope (the key, the agent,
//! the department, the workspace, an end user, an IP, a property value),
//! with each scope's concurrency lease and budget reservations alongside.
//! Also the `alephant-ratelimit-*` headers describing the tightest rule.

use super::ledger::{Admit, BudgetReserve, LeaseRequest, Take};
use super::rate_limit::{self, Rule, Scope, Unit};
use super::scope_policy::{EffectivePolicy, ScopeKind};
use super::window::Decision;
use crate::auth::principal::Principal;
use crate::catalog::pricing::Nanos;
use crate::core::client_meta::ClientMeta;
use super::budget::BudgetRow;

/// Nano-dollars in one cent (rules with `u=cents` count nano-dollars).
pub const NANOS_PER_CENT: u64 = Nanos::PER_USD / 100;

/// What the request is expected to use, before it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Estimates {
    /// A realistic prompt size, for token windows.
    pub prompt_tokens: u64,
    /// Its cost, for cent windows.
    pub prompt_cost_nanos: u64,
    /// The worst case the request can cost, reserved against budgets.
    pub worst_cost_nanos: u64,
}

/// The Durable Object name for a scope, or `None` when the request does not
/// have that dimension (no end user named, no such property): such a rule
/// does not apply to it.
pub fn scope_object(scope: &Scope, p: &Principal, meta: &ClientMeta) -> Option<String> {
    let ws = &p.workspace_id;
    let part = match scope {
        Scope::Key => format!("key:{}", p.key_id),
        Scope::Workspace => "workspace".to_string(),
        Scope::Agent => format!("agent:{}", p.agent_id.as_ref()?),
        Scope::Department => format!("department:{}", p.department.as_ref()?),
        Scope::User => format!("user:{}", meta.user_id.as_ref()?),
        Scope::Ip => format!("ip:{}", meta.client_ip.as_ref()?),
        Scope::Property(name) => {
            let value = meta.properties.iter().find(|(k, _)| k == name).map(|(_, v)| v)?;
            format!("property:{name}={value}")
        }
    };
    Some(format!("{ws}/{part}"))
}

fn level(kind: ScopeKind) -> Scope {
    match kind {
        ScopeKind::Key => Scope::Key,
        ScopeKind::Agent => Scope::Agent,
        ScopeKind::Department => Scope::Department,
        ScopeKind::Workspace => Scope::Workspace,
    }
}

/// One object's share of an admission.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopedAdmit {
    pub object: String,
    pub admit: Admit,
    /// The rule behind each take, in order.
    pub rules: Vec<Rule>,
}

impl ScopedAdmit {
    /// Real amounts for the token and cent windows, for settling.
    pub fn actual(&self, total_tokens: u64, cost_nanos: u64) -> std::collections::BTreeMap<String, u64> {
        self.rules
            .iter()
            .filter_map(|r| match r.unit {
                Unit::Request => None,
                Unit::Tokens => Some((r.to_string(), total_tokens)),
                Unit::Cents => Some((r.to_string(), cost_nanos)),
            })
            .collect()
    }
}

pub struct Subject<'a> {
    pub principal: &'a Principal,
    pub meta: &'a ClientMeta,
    pub policy: &'a EffectivePolicy,
    /// Extra rules from the `alephant-ratelimit-policy` header (key scope by default).
    pub header_rules: &'a [Rule],
    pub budgets: Vec<&'a BudgetRow>,
}

/// Everything the request must be admitted by, grouped per object, in a
/// fixed order: key, agent, department, workspace, then the others.
pub fn plan(request_id: &str, s: &Subject, est: &Estimates, ttl_ms: u64) -> Vec<ScopedAdmit> {
    let mut out: Vec<ScopedAdmit> = Vec::new();
    // The index of the object's entry, created on first use.
    fn slot(out: &mut Vec<ScopedAdmit>, object: String, id: &str, ttl_ms: u64) -> usize {
        match out.iter().position(|a| a.object == object) {
            Some(i) => i,
            None => {
                out.push(ScopedAdmit {
                    object,
                    admit: Admit { id: id.to_string(), takes: vec![], lease: None, budgets: vec![], ttl_ms },
                    rules: vec![],
                });
                out.len() - 1
            }
        }
    }
    // Scope objects in order, so admissions always nest the same way.
    for sc in &s.policy.scopes {
        if let Some(object) = scope_object(&level(sc.kind), s.principal, s.meta) {
            let i = slot(&mut out, object, request_id, ttl_ms);
            if let Some(max) = sc.policy.max_concurrency {
                out[i].admit.lease = Some(LeaseRequest { max, ttl_ms });
            }
        }
    }
    let mut rules: Vec<Rule> = Vec::new();
    for sc in &s.policy.scopes {
        if let Some(p) = &sc.policy.rate_limit {
            // Validated when written; a policy that no longer parses limits nothing.
            rules.extend(rate_limit::parse_at(p, level(sc.kind)).unwrap_or_default());
        }
    }
    rules.extend(s.header_rules.iter().cloned());
    for rule in rules {
        let Some(object) = scope_object(&rule.scope, s.principal, s.meta) else { continue };
        let (quota, amount) = match rule.unit {
            Unit::Request => (rule.quota, 1),
            Unit::Tokens => (rule.quota, est.prompt_tokens),
            Unit::Cents => (rule.quota.saturating_mul(NANOS_PER_CENT), est.prompt_cost_nanos),
        };
        let i = slot(&mut out, object, request_id, ttl_ms);
        out[i].admit.takes.push(Take { bucket: rule.to_string(), quota, window_ms: rule.window_secs * 1000, amount });
        out[i].rules.push(rule);
    }
    for b in &s.budgets {
        let scope = level(b.scope);
        let Some(object) = scope_object(&scope, s.principal, s.meta) else { continue };
        let i = slot(&mut out, object, request_id, ttl_ms);
        out[i].admit.budgets.push(BudgetReserve {
            budget_id: b.id.clone(),
            limit_nanos: b.limit_nanos,
            period: b.period,
            amount_nanos: est.worst_cost_nanos,
            soft_threshold: b.soft_threshold,
        });
    }
    out.retain(|a| !a.admit.takes.is_empty() || a.admit.lease.is_some() || !a.admit.budgets.is_empty());
    out
}

/// Headers for the most constraining decision (fewest remaining; a refusal wins).
pub fn headers(decisions: &[(Rule, Decision)], now_ms: u64) -> Vec<(String, String)> {
    let tightest = decisions.iter().min_by_key(|(_, d)| (d.allowed, d.remaining));
    match tightest {
        Some((rule, d)) => {
            let (limit, remaining) = match rule.unit {
                Unit::Cents => (d.limit / NANOS_PER_CENT, d.remaining / NANOS_PER_CENT),
                _ => (d.limit, d.remaining),
            };
            vec![
                ("alephant-ratelimit-limit".into(), limit.to_string()),
                ("alephant-ratelimit-remaining".into(), remaining.to_string()),
                ("alephant-ratelimit-reset".into(), super::window::retry_after_secs(d.reset_ms, now_ms).to_string()),
                ("alephant-ratelimit-policy".into(), rule.to_string()),
            ]
        }
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::ledger::Period;
    use crate::governance::scope_policy::ScopePolicy;
    use serde_json::json;

    fn principal() -> Principal {
        Principal {
            agent_id: Some("ag_1".into()),
            rate_limit: Some("20;w=60,1000;w=60;u=tokens,5;w=1;s=user".into()),
            ..crate::testkit::principal(json!({"max_concurrency": 3}))
        }
    }

    fn ws_policy() -> ScopePolicy {
        serde_json::from_value(json!({"rate_limit": "100;w=60,50;w=3600;u=cents"})).unwrap()
    }

    #[test]
    fn rules_leases_and_budgets_land_in_their_scope_objects() {
        let p = principal();
        let meta = ClientMeta { user_id: Some("u1".into()), ..Default::default() };
        let policy = EffectivePolicy::new(&p, None, None, Some(ws_policy()));
        let budget = BudgetRow {
            id: "bu_1".into(),
            scope: ScopeKind::Workspace,
            scope_id: "ws_1".into(),
            period: Period::Monthly,
            limit_nanos: 100,
            soft_threshold: None,
            webhook_url: None,
            allow_unpriced: false,
        };
        let s = Subject { principal: &p, meta: &meta, policy: &policy, header_rules: &[], budgets: vec![&budget] };
        let est = Estimates { prompt_tokens: 40, prompt_cost_nanos: 7, worst_cost_nanos: 99 };
        let plan = plan("req", &s, &est, 60_000);
        let objects: Vec<&str> = plan.iter().map(|a| a.object.as_str()).collect();
        assert_eq!(objects, ["ws_1/key:vk_1", "ws_1/workspace", "ws_1/user:u1"]);
        let key = &plan[0];
        assert_eq!(key.admit.lease, Some(LeaseRequest { max: 3, ttl_ms: 60_000 }));
        assert_eq!(key.admit.takes.iter().map(|t| t.amount).collect::<Vec<_>>(), [1, 40]);
        let ws = &plan[1];
        assert_eq!(ws.admit.takes[1].quota, 50 * NANOS_PER_CENT);
        assert_eq!(ws.admit.takes[1].amount, 7);
        assert_eq!(ws.admit.budgets[0].amount_nanos, 99);
        assert_eq!(ws.actual(500, 123).into_iter().collect::<Vec<_>>(), [("50;w=3600;u=cents;s=workspace".to_string(), 123)]);
        assert_eq!(plan[2].admit.takes[0].bucket, "5;w=1;s=user");
    }

    #[test]
    fn header_rules_add_to_the_key_and_dimensions_missing_skip() {
        let p = Principal { rate_limit: None, policy: json!({}), ..principal() };
        let policy = EffectivePolicy::of_key(&p);
        let extra = rate_limit::parse("3;w=60,2;w=60;s=property:team").unwrap();
        let meta = ClientMeta::default();
        let s = Subject { principal: &p, meta: &meta, policy: &policy, header_rules: &extra, budgets: vec![] };
        let plan = plan("r", &s, &Estimates::default(), 1);
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].admit.takes[0].bucket, "3;w=60");
    }

    #[test]
    fn headers_describe_the_tightest_rule() {
        let rules = rate_limit::parse("20;w=60,1000;w=86400").unwrap();
        let d = |remaining, allowed| Decision { allowed, limit: 0, remaining, reset_ms: 61_000 };
        let h = headers(&[(rules[0].clone(), d(3, true)), (rules[1].clone(), d(900, true))], 1_000);
        assert_eq!(h[1], ("alephant-ratelimit-remaining".to_string(), "3".to_string()));
        assert_eq!(h[2].1, "60");
        assert_eq!(h[3].1, "20;w=60");
        let h = headers(&[(rules[0].clone(), d(3, true)), (rules[1].clone(), d(0, false))], 1_000);
        assert_eq!(h[3].1, "1000;w=86400");
    }
}
