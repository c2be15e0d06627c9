//! From a router tree to the ordered list of targets one request will try.
//!
//! Fallback children in order; a loadbalance node picks one child by weight
//! (among children with a target in rotation) and keeps the others, by
//! weight, as fallbacks; a conditional node follows its first matching
//! rule. Targets out of rotation (unhealthy, cooling down) move to the end:
//! they are tried only when everything else has failed.

use super::condition::Facts;
use super::config::{Node, Target};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// A conditional node matched no rule and has no `else`.
    NoRoute,
}

fn walk(node: &Node, facts: &dyn Facts, available: &dyn Fn(&Target) -> bool, random: &mut dyn FnMut() -> f64, out: &mut Vec<Target>) -> Result<(), PlanError> {
    match node {
        Node::Target(t) => out.push(t.clone()),
        Node::Fallback(children) => {
            for c in children {
                walk(c, facts, available, random, out)?;
            }
        }
        Node::Loadbalance(children) => {
            let plans: Vec<(f64, Vec<Target>)> = children
                .iter()
                .map(|(w, c)| {
                    let mut sub = Vec::new();
                    walk(c, facts, available, random, &mut sub).map(|_| (*w, sub))
                })
                .collect::<Result<_, _>>()?;
            let healthy: Vec<usize> =
                (0..plans.len()).filter(|&i| plans[i].1.iter().any(available)).collect();
            let pool: Vec<usize> = if healthy.is_empty() { (0..plans.len()).collect() } else { healthy };
            let total: f64 = pool.iter().map(|&i| plans[i].0).sum();
            let mut point = random() * total;
            let mut chosen = pool[pool.len() - 1];
            for &i in &pool {
                if point < plans[i].0 {
                    chosen = i;
                    break;
                }
                point -= plans[i].0;
            }
            let mut rest: Vec<usize> = (0..plans.len()).filter(|&i| i != chosen).collect();
            rest.sort_by(|&a, &b| plans[b].0.total_cmp(&plans[a].0));
            for i in std::iter::once(chosen).chain(rest) {
                out.extend(plans[i].1.iter().cloned());
            }
        }
        Node::Conditional { rules, otherwise } => {
            match rules.iter().find(|r| r.when.iter().all(|c| c.holds(facts))) {
                Some(rule) => walk(&rule.then, facts, available, random, out)?,
                None => match otherwise {
                    Some(o) => walk(o, facts, available, random, out)?,
                    None => return Err(PlanError::NoRoute),
                },
            }
        }
    }
    Ok(())
}

/// The targets to try, in order. `random` returns values in [0, 1).
pub fn plan(root: &Node, facts: &dyn Facts, available: &dyn Fn(&Target) -> bool, random: &mut dyn FnMut() -> f64) -> Result<Vec<Target>, PlanError> {
    let mut all = Vec::new();
    walk(root, facts, available, random, &mut all)?;
    let mut seen = Vec::new();
    all.retain(|t| {
        let key = (t.provider.clone(), t.model.clone(), t.provider_key.clone());
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
    let (mut up, down): (Vec<Target>, Vec<Target>) = all.into_iter().partition(|t| available(t));
    up.extend(down);
    Ok(up)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::condition::Field;
    use crate::routing::config::parse;
    use serde_json::{json, Value};

    struct NoFacts;
    impl Facts for NoFacts {
        fn fact(&self, _: &Field) -> Option<Value> {
            None
        }
    }
    struct Team(&'static str);
    impl Facts for Team {
        fn fact(&self, f: &Field) -> Option<Value> {
            matches!(f, Field::Property(p) if p == "team").then(|| json!(self.0))
        }
    }

    fn names(ts: &[Target]) -> Vec<String> {
        ts.iter().map(Target::qualified).collect()
    }

    fn all_up(_: &Target) -> bool {
        true
    }

    #[test]
    fn fallback_keeps_order_and_unhealthy_targets_go_last() {
        let r = parse(&json!({"strategy": "fallback", "targets": [
            {"provider": "openai", "model": "a"}, {"provider": "anthropic", "model": "b"}, {"provider": "gemini", "model": "c"}]})).unwrap();
        let p = plan(&r.root, &NoFacts, &all_up, &mut || 0.0).unwrap();
        assert_eq!(names(&p), ["openai/a", "anthropic/b", "gemini/c"]);
        let down = |t: &Target| t.provider != "openai";
        let p = plan(&r.root, &NoFacts, &down, &mut || 0.0).unwrap();
        assert_eq!(names(&p), ["anthropic/b", "gemini/c", "openai/a"]);
    }

    #[test]
    fn loadbalance_follows_weights_and_keeps_fallbacks() {
        let r = parse(&json!({"strategy": "loadbalance", "targets": [
            {"weight": 3, "provider": "openai", "model": "a"}, {"weight": 1, "provider": "anthropic", "model": "b"}]})).unwrap();
        let mut counts = [0; 2];
        for i in 0..1000 {
            let x = i as f64 / 1000.0;
            let p = plan(&r.root, &NoFacts, &all_up, &mut || x).unwrap();
            counts[usize::from(p[0].provider == "anthropic")] += 1;
            assert_eq!(p.len(), 2, "the other target remains as a fallback");
        }
        assert_eq!(counts, [750, 250]);
    }

    #[test]
    fn loadbalance_skips_children_out_of_rotation() {
        let r = parse(&json!({"strategy": "loadbalance", "targets": [
            {"weight": 99, "provider": "openai", "model": "a"}, {"weight": 1, "provider": "anthropic", "model": "b"}]})).unwrap();
        let down = |t: &Target| t.provider != "openai";
        let p = plan(&r.root, &NoFacts, &down, &mut || 0.0).unwrap();
        assert_eq!(p[0].provider, "anthropic");
    }

    #[test]
    fn conditional_rules_and_else() {
        let r = parse(&json!({"strategy": "conditional",
            "rules": [{"when": [{"field": "property.team", "value": "search"}], "then": {"provider": "openai", "model": "fast"}}],
            "else": {"provider": "anthropic", "model": "default"}})).unwrap();
        assert_eq!(names(&plan(&r.root, &Team("search"), &all_up, &mut || 0.0).unwrap()), ["openai/fast"]);
        assert_eq!(names(&plan(&r.root, &Team("ads"), &all_up, &mut || 0.0).unwrap()), ["anthropic/default"]);
        let no_else = parse(&json!({"strategy": "conditional",
            "rules": [{"when": [{"field": "property.team", "value": "x"}], "then": {"provider": "openai", "model": "a"}}]})).unwrap();
        assert_eq!(plan(&no_else.root, &NoFacts, &all_up, &mut || 0.0), Err(PlanError::NoRoute));
    }

    #[test]
    fn nested_strategies_and_duplicates() {
        let r = parse(&json!({"strategy": "fallback", "targets": [
            {"strategy": "single", "target": {"provider": "openai", "model": "a"}},
            {"strategy": "loadbalance", "targets": [{"weight": 1, "provider": "openai", "model": "a"}, {"weight": 1, "provider": "gemini", "model": "g"}]}]})).unwrap();
        assert_eq!(names(&plan(&r.root, &NoFacts, &all_up, &mut || 0.9).unwrap()), ["openai/a", "gemini/g"]);
    }
}
