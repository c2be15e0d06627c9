//! Messages between the worker and the `Health` Durable Object.

use super::config::HealthPolicy;
use super::health::{Outcome, TargetHealth};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub key: String,
    pub outcome: Outcome,
    pub failure_threshold: u32,
    pub cooldown_ms: u64,
    pub rate_limit_cooldown_ms: u64,
}

impl Report {
    pub fn new(key: String, outcome: Outcome, policy: &HealthPolicy) -> Self {
        Report {
            key,
            outcome,
            failure_threshold: policy.failure_threshold,
            cooldown_ms: policy.cooldown_ms,
            rate_limit_cooldown_ms: policy.rate_limit_cooldown_ms,
        }
    }

    pub fn policy(&self) -> HealthPolicy {
        HealthPolicy {
            failure_threshold: self.failure_threshold,
            cooldown_ms: self.cooldown_ms,
            rate_limit_cooldown_ms: self.rate_limit_cooldown_ms,
        }
    }
}

/// Reports to apply, answered with the workspace's current health.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sync {
    pub reports: Vec<Report>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub now_ms: u64,
    /// Only targets that are not in perfect health.
    pub targets: HashMap<String, TargetHealth>,
}
