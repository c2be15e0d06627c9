//! Which counter a rule applies to for a given request, and the
//! `alephant-ratelimit-*` headers that describe the tightest one.

use super::limiter_protocol::BucketTake;
use super::rate_limit::{Rule, Scope, Unit};
use super::window::Decision;
use crate::auth::principal::Principal;
use crate::pipeline::context::ClientMeta;

/// The Durable Object name for a rule's scope, or `None` when the request
/// does not have that dimension (no end user named, no such property):
/// such a rule does not apply to it.
pub fn scope_object(scope: &Scope, p: &Principal, meta: &ClientMeta) -> Option<String> {
    let ws = &p.workspace_id;
    let part = match scope {
        Scope::Key => format!("key:{}", p.key_id),
        Scope::Workspace => "workspace".to_string(),
        Scope::Agent => format!("agent:{}", p.agent_id.as_ref()?),
        Scope::User => format!("user:{}", meta.user_id.as_ref()?),
        Scope::Ip => format!("ip:{}", meta.client_ip.as_ref()?),
        Scope::Property(name) => {
            let value = meta.properties.iter().find(|(k, _)| k == name).map(|(_, v)| v)?;
            format!("property:{name}={value}")
        }
    };
    Some(format!("{ws}/{part}"))
}

/// The request-unit rules that apply, grouped by the object that counts
/// them (one round trip per object).
pub fn request_takes(rules: &[Rule], p: &Principal, meta: &ClientMeta) -> Vec<(String, Vec<(Rule, BucketTake)>)> {
    let mut groups: Vec<(String, Vec<(Rule, BucketTake)>)> = Vec::new();
    for rule in rules.iter().filter(|r| r.unit == Unit::Request) {
        let Some(object) = scope_object(&rule.scope, p, meta) else { continue };
        let take = BucketTake {
            bucket: rule.to_string(),
            quota: rule.quota,
            window_ms: rule.window_secs * 1000,
            amount: 1,
        };
        match groups.iter_mut().find(|(o, _)| *o == object) {
            Some((_, takes)) => takes.push((rule.clone(), take)),
            None => groups.push((object, vec![(rule.clone(), take)])),
        }
    }
    groups
}

/// Headers for the most constraining decision (fewest remaining; a refusal wins).
pub fn headers(decisions: &[(Rule, Decision)], now_ms: u64) -> Vec<(String, String)> {
    let tightest = decisions
        .iter()
        .min_by_key(|(_, d)| (d.allowed, d.remaining));
    match tightest {
        Some((rule, d)) => vec![
            ("alephant-ratelimit-limit".into(), d.limit.to_string()),
            ("alephant-ratelimit-remaining".into(), d.remaining.to_string()),
            ("alephant-ratelimit-reset".into(), super::window::retry_after_secs(d.reset_ms, now_ms).to_string()),
            ("alephant-ratelimit-policy".into(), rule.to_string()),
        ],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::rate_limit::parse;

    fn principal() -> Principal {
        Principal {
            key_id: "vk_1".into(),
            workspace_id: "ws_1".into(),
            key_name: String::new(),
            agent_id: None,
            department: None,
            allowed_models: None,
            allowed_providers: None,
            rate_limit: None,
            policy: serde_json::json!({}),
            expires_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn rules_are_grouped_by_scope_object() {
        let rules = parse("20;w=60,1000;w=86400,5;w=1;s=user,100;w=60;u=tokens").unwrap();
        let meta = ClientMeta { user_id: Some("u1".into()), ..Default::default() };
        let groups = request_takes(&rules, &principal(), &meta);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0, "ws_1/key:vk_1");
        assert_eq!(groups[0].1.len(), 2);
        assert_eq!(groups[0].1[0].1.window_ms, 60_000);
        assert_eq!(groups[1].0, "ws_1/user:u1");
    }

    #[test]
    fn rules_without_their_dimension_do_not_apply() {
        let rules = parse("5;w=1;s=user,5;w=1;s=property:team,5;w=1;s=agent").unwrap();
        assert!(request_takes(&rules, &principal(), &ClientMeta::default()).is_empty());
    }

    #[test]
    fn headers_describe_the_tightest_rule() {
        let rules = parse("20;w=60,1000;w=86400").unwrap();
        let d = |remaining, allowed| Decision { allowed, limit: 0, remaining, reset_ms: 61_000 };
        let h = headers(&[(rules[0].clone(), d(3, true)), (rules[1].clone(), d(900, true))], 1_000);
        assert_eq!(h[1], ("alephant-ratelimit-remaining".to_string(), "3".to_string()));
        assert_eq!(h[2].1, "60");
        assert_eq!(h[3].1, "20;w=60");
        let h = headers(&[(rules[0].clone(), d(3, true)), (rules[1].clone(), d(0, false))], 1_000);
        assert_eq!(h[3].1, "1000;w=86400");
    }
}
