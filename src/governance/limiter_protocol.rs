//! Messages between the worker and the `Limiter` Durable Object.

use super::ledger::{Admit, Period, Settle};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimiterCall {
    /// Answered with `ledger::Admitted`.
    Admit {
        admit: Admit,
        /// An injected clock (tests only, see `ALLOW_TEST_HOOKS`); else the object's own.
        #[serde(default)]
        now_ms: Option<u64>,
    },
    /// Answered with `ledger::Settled`.
    Settle { settle: Settle },
    /// Undo an admission that will not run. Answered with `{}`.
    Release { id: String },
    /// Answered with `ledger::BudgetStatus`.
    Budget {
        budget_id: String,
        period: Period,
        limit_nanos: u64,
        #[serde(default)]
        now_ms: Option<u64>,
    },
}
