//! A budget as an administrator configures it: which scope, which period,
//! how much, and what happens to unpriced models. Its live ledger (spent,
//! reserved) is in the scope's `Limiter` Durable Object (`ledger.rs`).

use super::ledger::Period;
use super::scope_policy::ScopeKind;

/// A budget as configured (the live ledger is in the scope's Durable Object).
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetRow {
    pub id: String,
    pub scope: ScopeKind,
    pub scope_id: String,
    pub period: Period,
    pub limit_nanos: u64,
    pub soft_threshold: Option<f64>,
    pub webhook_url: Option<String>,
    /// Whether requests to a model with no price may spend this budget (at zero).
    pub allow_unpriced: bool,
}
