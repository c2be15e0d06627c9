//! The exact accounting of one limit scope (a key, an agent, a department,
//! a workspace, an end user…), as the `Limiter` Durable Object keeps it:
//! rate-limit windows, concurrency leases and budget ledgers.
//!
//! A request is *admitted* all or nothing: its rate takes, its lease and its
//! budget reservations either all fit or none is taken. After the answer it
//! is *settled*: token and cent windows are corrected to the real usage, the
//! budget reservation becomes the real cost (the rest is released), and the
//! lease is returned. Leases and reservations expire on their own, so a
//! request that died without settling cannot hold capacity forever.
//!
//! A hold that lapses unsettled (the request died, or its client left and
//! the runtime dropped it) is not simply forgotten: its budgets are charged
//! what was reserved, the request's worst case — nothing says it cost
//! less — so traffic that never reports usage is never free. Windows that
//! ended are pruned.
//!
//! The Durable Object stores the ledger one row per window, budget and
//! hold; `take_changes` says which rows an operation touched, so a call
//! writes only those, never the whole ledger.
//!
//! Pure and clock-injected: every operation takes `now_ms`.

use super::window::{self, Decision, WindowState};
use crate::util::time::{civil_from_days, day_number, iso_weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Daily,
    Weekly,
    Monthly,
    Total,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "daily" => Some(Period::Daily),
            "weekly" => Some(Period::Weekly),
            "monthly" => Some(Period::Monthly),
            "total" => Some(Period::Total),
            _ => None,
        }
    }

    /// The calendar (UTC) period containing `now_ms`, as a key: `D2026-11-22`,
    /// `W2026-11-16` (the Monday starting the ISO week), `M2026-11`, `T`.
    pub fn key(self, now_ms: u64) -> String {
        let days = day_number(now_ms);
        match self {
            Period::Daily => {
                let (y, m, d) = civil_from_days(days);
                format!("D{y:04}-{m:02}-{d:02}")
            }
            Period::Weekly => {
                let monday = days - i64::from(iso_weekday(days) - 1);
                let (y, m, d) = civil_from_days(monday);
                format!("W{y:04}-{m:02}-{d:02}")
            }
            Period::Monthly => {
                let (y, m, _) = civil_from_days(days);
                format!("M{y:04}-{m:02}")
            }
            Period::Total => "T".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Take {
    /// The window's identity (the rule's canonical text).
    pub bucket: String,
    pub quota: u64,
    pub window_ms: u64,
    pub amount: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaseRequest {
    pub max: u64,
    pub ttl_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetReserve {
    pub budget_id: String,
    pub limit_nanos: u64,
    pub period: Period,
    /// The request's worst-case cost.
    pub amount_nanos: u64,
    /// Fraction of the limit (0–1) whose first crossing in a period is reported.
    #[serde(default)]
    pub soft_threshold: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Admit {
    /// The request id: settles and releases name it.
    pub id: String,
    #[serde(default)]
    pub takes: Vec<Take>,
    #[serde(default)]
    pub lease: Option<LeaseRequest>,
    #[serde(default)]
    pub budgets: Vec<BudgetReserve>,
    /// How long reservations last if the request never settles.
    pub ttl_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    RateLimit { bucket: String, decision: Decision },
    Concurrency { max: u64, in_flight: u64 },
    Budget { budget_id: String, limit_nanos: u64, remaining_nanos: u64, period: Period },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Admitted {
    pub allowed: bool,
    pub refusal: Option<Refusal>,
    /// One per take, in order (what the window looks like now).
    pub decisions: Vec<Decision>,
    pub now_ms: u64,
}

/// The real usage of an admitted request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settle {
    pub id: String,
    /// Real amounts for token / cent windows, by bucket (request windows keep their take).
    #[serde(default)]
    pub actual: BTreeMap<String, u64>,
    /// The real cost, for every budget the request reserved on.
    #[serde(default)]
    pub cost_nanos: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Settled {
    /// Budgets whose soft threshold this settlement crossed (first time this period).
    pub soft_crossed: Vec<BudgetStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetStatus {
    pub budget_id: String,
    pub period_key: String,
    pub limit_nanos: u64,
    pub spent_nanos: u64,
    pub reserved_nanos: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Budget {
    period_key: String,
    limit_nanos: u64,
    spent_nanos: u64,
    soft_threshold: Option<f64>,
    soft_notified: bool,
}

/// What an admitted request holds until it settles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Held {
    expires_ms: u64,
    /// (bucket, amount taken, window start) per take.
    takes: Vec<(String, u64, u64)>,
    lease: bool,
    /// (budget id, reserved nanos, period key) per budget: charged if the
    /// hold lapses unsettled.
    reservations: Vec<(String, u64, String)>,
}

/// A rate-limit window and how long it lasts (so an ended one can be pruned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Win {
    start_ms: u64,
    used: u64,
    /// 0 in ledgers written before windows were pruned: kept until reused.
    #[serde(default)]
    window_ms: u64,
}

impl Win {
    fn state(self) -> WindowState {
        WindowState { start_ms: self.start_ms, used: self.used }
    }
}

/// The tables the Durable Object keeps a ledger in, one row per entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Table {
    Windows,
    Budgets,
    Held,
}

impl Table {
    pub const ALL: [Table; 3] = [Table::Windows, Table::Budgets, Table::Held];

    pub fn name(self) -> &'static str {
        match self {
            Table::Windows => "windows",
            Table::Budgets => "budgets",
            Table::Held => "held",
        }
    }
}

/// One row to write (`Some` JSON) or delete (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub table: Table,
    pub key: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    windows: BTreeMap<String, Win>,
    budgets: BTreeMap<String, Budget>,
    held: BTreeMap<String, Held>,
    /// Rows changed since the last `take_changes`.
    #[serde(skip)]
    dirty: BTreeSet<(Table, String)>,
}

impl Ledger {
    /// A ledger from its stored rows, as (key, JSON) per table; rows that
    /// no longer parse are dropped.
    pub fn from_rows(rows: impl IntoIterator<Item = (Table, String, String)>) -> Ledger {
        let mut l = Ledger::default();
        for (table, key, json) in rows {
            match table {
                Table::Windows => {
                    if let Ok(w) = serde_json::from_str(&json) {
                        l.windows.insert(key, w);
                    }
                }
                Table::Budgets => {
                    if let Ok(b) = serde_json::from_str(&json) {
                        l.budgets.insert(key, b);
                    }
                }
                Table::Held => {
                    if let Ok(h) = serde_json::from_str(&json) {
                        l.held.insert(key, h);
                    }
                }
            }
        }
        l
    }

    /// Every row, for moving a ledger stored as one blob into rows.
    pub fn mark_all_dirty(&mut self) {
        let keys: Vec<(Table, String)> = self
            .windows
            .keys()
            .map(|k| (Table::Windows, k.clone()))
            .chain(self.budgets.keys().map(|k| (Table::Budgets, k.clone())))
            .chain(self.held.keys().map(|k| (Table::Held, k.clone())))
            .collect();
        self.dirty.extend(keys);
    }

    /// The rows changed since the last call, to write or delete.
    pub fn take_changes(&mut self) -> Vec<Change> {
        let dirty = std::mem::take(&mut self.dirty);
        dirty
            .into_iter()
            .map(|(table, key)| {
                let value = match table {
                    Table::Windows => self.windows.get(&key).and_then(|v| serde_json::to_string(v).ok()),
                    Table::Budgets => self.budgets.get(&key).and_then(|v| serde_json::to_string(v).ok()),
                    Table::Held => self.held.get(&key).and_then(|v| serde_json::to_string(v).ok()),
                };
                Change { table, key, value }
            })
            .collect()
    }

    fn touch(&mut self, table: Table, key: &str) {
        self.dirty.insert((table, key.to_string()));
    }

    /// Drops what expired: windows that ended, and the holds of requests
    /// that never settled — their budgets charged what they reserved.
    fn expire(&mut self, now_ms: u64) {
        let lapsed: Vec<String> = self.held.iter().filter(|(_, h)| h.expires_ms <= now_ms).map(|(k, _)| k.clone()).collect();
        for id in lapsed {
            let Some(h) = self.held.remove(&id) else { continue };
            self.touch(Table::Held, &id);
            for (budget_id, reserved, period_key) in &h.reservations {
                if let Some(b) = self.budgets.get_mut(budget_id).filter(|b| &b.period_key == period_key) {
                    b.spent_nanos = b.spent_nanos.saturating_add(*reserved);
                    self.dirty.insert((Table::Budgets, budget_id.clone()));
                }
            }
        }
        let ended: Vec<String> = self
            .windows
            .iter()
            .filter(|(_, w)| w.window_ms > 0 && now_ms >= w.start_ms.saturating_add(w.window_ms))
            .map(|(k, _)| k.clone())
            .collect();
        for bucket in ended {
            self.windows.remove(&bucket);
            self.touch(Table::Windows, &bucket);
        }
    }

    /// How many rate-limit windows are kept (for tests and diagnostics).
    pub fn window_count(&self) -> usize {
        self.windows.len()
    }

    fn in_flight(&self) -> u64 {
        self.held.values().filter(|h| h.lease).count() as u64
    }

    fn reserved(&self, budget_id: &str, period_key: &str) -> u64 {
        self.held
            .values()
            .flat_map(|h| h.reservations.iter())
            .filter(|(b, _, p)| b == budget_id && p == period_key)
            .map(|(_, n, _)| n)
            .sum()
    }

    /// The budget's ledger for the current period (a new period starts at zero).
    fn budget(&mut self, r: &BudgetReserve, now_ms: u64) -> &mut Budget {
        let key = r.period.key(now_ms);
        self.dirty.insert((Table::Budgets, r.budget_id.clone()));
        let b = self.budgets.entry(r.budget_id.clone()).or_default();
        if b.period_key != key {
            *b = Budget { period_key: key, ..Budget::default() };
        }
        b.limit_nanos = r.limit_nanos;
        b.soft_threshold = r.soft_threshold;
        b
    }

    pub fn admit(&mut self, req: &Admit, now_ms: u64) -> Admitted {
        self.expire(now_ms);
        let states: Vec<WindowState> =
            req.takes.iter().map(|t| window::current(self.windows.get(&t.bucket).map(|w| w.state()), now_ms, t.window_ms)).collect();
        let decisions: Vec<Decision> =
            req.takes.iter().zip(&states).map(|(t, s)| window::check(*s, t.window_ms, t.quota, t.amount)).collect();
        let refuse = |refusal| Admitted { allowed: false, refusal: Some(refusal), decisions: decisions.clone(), now_ms };
        if let Some((t, d)) = req.takes.iter().zip(&decisions).find(|(_, d)| !d.allowed) {
            return refuse(Refusal::RateLimit { bucket: t.bucket.clone(), decision: *d });
        }
        if let Some(lease) = &req.lease {
            let in_flight = self.in_flight();
            if in_flight >= lease.max {
                return refuse(Refusal::Concurrency { max: lease.max, in_flight });
            }
        }
        for r in &req.budgets {
            let key = r.period.key(now_ms);
            let reserved = self.reserved(&r.budget_id, &key);
            let b = self.budget(r, now_ms);
            let committed = b.spent_nanos.saturating_add(reserved);
            if committed.saturating_add(r.amount_nanos) > r.limit_nanos {
                return refuse(Refusal::Budget {
                    budget_id: r.budget_id.clone(),
                    limit_nanos: r.limit_nanos,
                    remaining_nanos: r.limit_nanos.saturating_sub(committed),
                    period: r.period,
                });
            }
        }
        // Everything fits: take it all.
        let mut takes = Vec::with_capacity(req.takes.len());
        for (t, s) in req.takes.iter().zip(states) {
            self.windows.insert(t.bucket.clone(), Win { start_ms: s.start_ms, used: s.used + t.amount, window_ms: t.window_ms });
            self.touch(Table::Windows, &t.bucket);
            takes.push((t.bucket.clone(), t.amount, s.start_ms));
        }
        let reservations = req.budgets.iter().map(|r| (r.budget_id.clone(), r.amount_nanos, r.period.key(now_ms))).collect();
        let ttl = req.lease.as_ref().map_or(req.ttl_ms, |l| l.ttl_ms.max(req.ttl_ms));
        let held = Held { expires_ms: now_ms + ttl, takes, lease: req.lease.is_some(), reservations };
        self.held.insert(req.id.clone(), held);
        self.touch(Table::Held, &req.id);
        Admitted { allowed: true, refusal: None, decisions, now_ms }
    }

    /// Corrects windows to real usage, turns reservations into spend, returns the lease.
    pub fn settle(&mut self, s: &Settle) -> Settled {
        let Some(held) = self.held.remove(&s.id) else { return Settled::default() };
        self.touch(Table::Held, &s.id);
        for (bucket, taken, start) in &held.takes {
            let Some(actual) = s.actual.get(bucket) else { continue };
            if let Some(w) = self.windows.get_mut(bucket).filter(|w| w.start_ms == *start) {
                // Only the window the estimate was taken from is corrected.
                w.used = w.used.saturating_sub(*taken).saturating_add(*actual);
                self.dirty.insert((Table::Windows, bucket.clone()));
            }
        }
        let mut out = Settled::default();
        for (budget_id, _, period_key) in &held.reservations {
            let reserved_now = self.reserved(budget_id, period_key);
            let Some(b) = self.budgets.get_mut(budget_id).filter(|b| &b.period_key == period_key) else { continue };
            b.spent_nanos = b.spent_nanos.saturating_add(s.cost_nanos);
            self.dirty.insert((Table::Budgets, budget_id.clone()));
            if let Some(threshold) = b.soft_threshold {
                let line = (b.limit_nanos as f64 * threshold) as u64;
                if !b.soft_notified && b.spent_nanos >= line {
                    b.soft_notified = true;
                    out.soft_crossed.push(BudgetStatus {
                        budget_id: budget_id.clone(),
                        period_key: period_key.clone(),
                        limit_nanos: b.limit_nanos,
                        spent_nanos: b.spent_nanos,
                        reserved_nanos: reserved_now,
                    });
                }
            }
        }
        out
    }

    /// Undoes an admission that will not run (a later scope refused it).
    pub fn release(&mut self, id: &str) {
        let Some(held) = self.held.remove(id) else { return };
        self.touch(Table::Held, id);
        for (bucket, taken, start) in &held.takes {
            if let Some(w) = self.windows.get_mut(bucket).filter(|w| w.start_ms == *start) {
                w.used = w.used.saturating_sub(*taken);
                self.dirty.insert((Table::Windows, bucket.clone()));
            }
        }
    }

    /// The current state of a budget (for the admin API).
    pub fn budget_status(&mut self, budget_id: &str, period: Period, limit_nanos: u64, now_ms: u64) -> BudgetStatus {
        self.expire(now_ms);
        let key = period.key(now_ms);
        let reserved = self.reserved(budget_id, &key);
        let spent = self.budgets.get(budget_id).filter(|b| b.period_key == key).map_or(0, |b| b.spent_nanos);
        BudgetStatus { budget_id: budget_id.to_string(), period_key: key, limit_nanos, spent_nanos: spent, reserved_nanos: reserved }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::time::{days_from_civil, DAY_MS};

    fn at(y: i64, m: u32, d: u32) -> u64 {
        days_from_civil(y, m, d) as u64 * DAY_MS
    }

    fn budget(amount: u64) -> BudgetReserve {
        BudgetReserve {
            budget_id: "b1".into(),
            limit_nanos: 100_000_000,
            period: Period::Daily,
            amount_nanos: amount,
            soft_threshold: Some(0.5),
        }
    }

    fn admit(id: &str, budgets: Vec<BudgetReserve>) -> Admit {
        Admit { id: id.into(), takes: vec![], lease: None, budgets, ttl_ms: 60_000 }
    }

    #[test]
    fn period_keys() {
        let t = at(2026, 11, 22) + 5_000;
        assert_eq!(Period::Daily.key(t), "D2026-11-22");
        assert_eq!(Period::Weekly.key(t), "W2026-11-16", "the Monday of the ISO week");
        assert_eq!(Period::Weekly.key(at(2026, 11, 23)), "W2026-11-23");
        assert_eq!(Period::Monthly.key(t), "M2026-11");
        assert_eq!(Period::Total.key(t), "T");
    }

    #[test]
    fn reservations_never_let_concurrent_requests_overspend() {
        // $0.10 budget, 50 requests each reserving their $0.01 worst case.
        let mut l = Ledger::default();
        let now = at(2026, 11, 22);
        let admitted: Vec<bool> = (0..50).map(|i| l.admit(&admit(&format!("r{i}"), vec![budget(10_000_000)]), now).allowed).collect();
        assert_eq!(admitted.iter().filter(|a| **a).count(), 10);
        match l.admit(&admit("late", vec![budget(10_000_000)]), now).refusal {
            Some(Refusal::Budget { remaining_nanos, .. }) => assert_eq!(remaining_nanos, 0),
            other => panic!("{other:?}"),
        }
        // Each settles at its real (lower) cost; the unused reservation is released.
        for i in 0..10 {
            l.settle(&Settle { id: format!("r{i}"), actual: Default::default(), cost_nanos: 4_000_000 });
        }
        let s = l.budget_status("b1", Period::Daily, 100_000_000, now);
        assert_eq!((s.spent_nanos, s.reserved_nanos), (40_000_000, 0));
        assert!(l.admit(&admit("more", vec![budget(10_000_000)]), now).allowed);
    }

    #[test]
    fn the_soft_threshold_is_reported_once_per_period() {
        let mut l = Ledger::default();
        let day1 = at(2026, 11, 22);
        l.admit(&admit("a", vec![budget(60_000_000)]), day1);
        let crossed = l.settle(&Settle { id: "a".into(), actual: Default::default(), cost_nanos: 60_000_000 });
        assert_eq!(crossed.soft_crossed.len(), 1);
        l.admit(&admit("b", vec![budget(1)]), day1);
        assert!(l.settle(&Settle { id: "b".into(), actual: Default::default(), cost_nanos: 1 }).soft_crossed.is_empty());
        // The next day starts a new period from zero.
        let day2 = day1 + DAY_MS;
        assert!(l.admit(&admit("c", vec![budget(90_000_000)]), day2).allowed);
        let crossed = l.settle(&Settle { id: "c".into(), actual: Default::default(), cost_nanos: 90_000_000 });
        assert_eq!(crossed.soft_crossed[0].period_key, "D2026-11-23");
    }

    #[test]
    fn token_windows_settle_to_real_usage() {
        let mut l = Ledger::default();
        let take = |amount| Take { bucket: "1000;w=60;u=tokens".into(), quota: 1000, window_ms: 60_000, amount };
        let a = Admit { id: "a".into(), takes: vec![take(100)], lease: None, budgets: vec![], ttl_ms: 60_000 };
        assert!(l.admit(&a, 0).allowed);
        l.settle(&Settle { id: "a".into(), actual: [("1000;w=60;u=tokens".to_string(), 950)].into(), cost_nanos: 0 });
        let b = Admit { id: "b".into(), takes: vec![take(100)], lease: None, budgets: vec![], ttl_ms: 60_000 };
        let refused = l.admit(&b, 20);
        assert!(!refused.allowed, "950 real tokens leave room for only 50");
        assert_eq!(refused.decisions[0].remaining, 50);
    }

    #[test]
    fn leases_are_returned_on_settle_and_expire_on_their_own() {
        let mut l = Ledger::default();
        let a = |id: &str| Admit { id: id.into(), takes: vec![], lease: Some(LeaseRequest { max: 2, ttl_ms: 1_000 }), budgets: vec![], ttl_ms: 1_000 };
        assert!(l.admit(&a("1"), 0).allowed);
        assert!(l.admit(&a("2"), 0).allowed);
        assert!(matches!(l.admit(&a("3"), 0).refusal, Some(Refusal::Concurrency { max: 2, in_flight: 2 })));
        l.settle(&Settle { id: "1".into(), actual: Default::default(), cost_nanos: 0 });
        assert!(l.admit(&a("4"), 5).allowed);
        // "2" and "4" never settle: their leases lapse after the TTL.
        assert!(!l.admit(&a("5"), 999).allowed);
        assert!(l.admit(&a("6"), 1_006).allowed);
    }

    #[test]
    fn a_hold_that_lapses_unsettled_is_charged_its_reservation() {
        let mut l = Ledger::default();
        let now = at(2026, 11, 22);
        assert!(l.admit(&Admit { id: "gone".into(), takes: vec![], lease: None, budgets: vec![budget(10_000_000)], ttl_ms: 1_000 }, now).allowed);
        assert_eq!(l.budget_status("b1", Period::Daily, 100_000_000, now).reserved_nanos, 10_000_000);
        let s = l.budget_status("b1", Period::Daily, 100_000_000, now + 1_000);
        assert_eq!((s.spent_nanos, s.reserved_nanos), (10_000_000, 0), "the worst case is spent: nothing says it cost less");
    }

    #[test]
    fn ended_windows_are_pruned_and_changes_name_their_rows() {
        let mut l = Ledger::default();
        let take = |bucket: &str| Take { bucket: bucket.into(), quota: 5, window_ms: 1_000, amount: 1 };
        for i in 0..50 {
            let a = Admit { id: format!("r{i}"), takes: vec![take(&format!("5;w=1;s=ip:{i}"))], lease: None, budgets: vec![], ttl_ms: 10 };
            assert!(l.admit(&a, 0).allowed);
        }
        assert_eq!(l.window_count(), 50);
        l.take_changes();
        let a = Admit { id: "late".into(), takes: vec![take("5;w=1")], lease: None, budgets: vec![], ttl_ms: 10 };
        assert!(l.admit(&a, 5_000).allowed);
        assert_eq!(l.window_count(), 1, "windows that ended are gone");
        let changes = l.take_changes();
        let deleted = changes.iter().filter(|c| c.value.is_none()).count();
        assert_eq!(deleted, 100, "50 windows and 50 lapsed holds deleted");
        assert!(changes.iter().any(|c| c.table == Table::Windows && c.key == "5;w=1" && c.value.is_some()));
        assert!(l.take_changes().is_empty());
        // The stored rows make the same ledger again.
        let rows: Vec<(Table, String, String)> = changes.into_iter().filter_map(|c| Some((c.table, c.key, c.value?))).collect();
        let mut again = Ledger::from_rows(rows);
        assert_eq!(again.window_count(), 1);
        assert!(!again.admit(&Admit { id: "x".into(), takes: vec![Take { quota: 1, ..take("5;w=1") }], lease: None, budgets: vec![], ttl_ms: 10 }, 5_001).allowed);
    }

    #[test]
    fn a_ledger_stored_as_one_blob_still_loads() {
        let old = r#"{"windows":{"2;w=60":{"start_ms":5,"used":2}},"budgets":{},"held":{"r":{"expires_ms":99,"takes":[],"lease":true,"reservations":[]}}}"#;
        let mut l: Ledger = serde_json::from_str(old).unwrap();
        let take = Take { bucket: "2;w=60".into(), quota: 2, window_ms: 60_000, amount: 1 };
        assert!(!l.admit(&Admit { id: "n".into(), takes: vec![take], lease: None, budgets: vec![], ttl_ms: 1 }, 10).allowed);
        l.mark_all_dirty();
        assert_eq!(l.take_changes().len(), 2);
    }

    #[test]
    fn admission_is_all_or_nothing_and_can_be_released() {
        let mut l = Ledger::default();
        let take = Take { bucket: "2;w=60".into(), quota: 2, window_ms: 60_000, amount: 1 };
        let tight = BudgetReserve { amount_nanos: 200_000_000, ..budget(0) };
        let refused = Admit { id: "x".into(), takes: vec![take.clone()], lease: None, budgets: vec![tight], ttl_ms: 1_000 };
        assert!(!l.admit(&refused, 0).allowed);
        let ok = |id: &str| Admit { id: id.into(), takes: vec![take.clone()], lease: None, budgets: vec![], ttl_ms: 1_000 };
        assert_eq!(l.admit(&ok("y"), 0).decisions[0].remaining, 1, "the refused admission took nothing");
        assert!(l.admit(&ok("z"), 0).allowed);
        assert!(!l.admit(&ok("w"), 0).allowed);
        l.release("y");
        assert!(l.admit(&ok("v"), 0).allowed, "a released admission gives its take back");
    }
}
