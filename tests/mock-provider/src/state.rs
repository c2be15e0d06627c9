//! What the mock remembers: every request it received (for assertions such
//! as "the gateway made exactly one upstream call") and scripted behaviours.

use crate::behaviour::Behaviour;
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub seq: u64,
    pub tag: Option<String>,
    pub method: String,
    /// Path with the directive segment removed.
    pub path: String,
    pub query: Option<String>,
    pub headers: HashMap<String, String>,
    pub body: Value,
}

#[derive(Default)]
pub struct State {
    pub recorded: Mutex<Vec<Recorded>>,
    pub scripts: Mutex<HashMap<String, VecDeque<Behaviour>>>,
    /// Requests currently being answered, per tag (for concurrency tests).
    pub in_flight: Mutex<HashMap<String, (u64, u64)>>,
}

impl State {
    pub fn record(&self, mut r: Recorded) {
        let mut rec = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
        r.seq = rec.len() as u64 + 1;
        rec.push(r);
    }

    pub fn next_scripted(&self, tag: &str) -> Option<Behaviour> {
        self.scripts.lock().unwrap_or_else(|e| e.into_inner()).get_mut(tag).and_then(VecDeque::pop_front)
    }

    /// Marks a request of `tag` as started; the guard ends it when dropped
    /// (after the last byte of a stream, or when the client goes away).
    pub fn enter(self: &Arc<Self>, tag: &str) -> InFlight {
        let mut m = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        let e = m.entry(tag.to_string()).or_insert((0, 0));
        e.0 += 1;
        e.1 = e.1.max(e.0);
        InFlight { state: self.clone(), tag: tag.to_string() }
    }

    /// (in flight now, most ever in flight at once) for a tag.
    pub fn concurrency(&self, tag: &str) -> (u64, u64) {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner()).get(tag).copied().unwrap_or((0, 0))
    }

    pub fn reset(&self) {
        self.recorded.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.scripts.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

pub struct InFlight {
    state: Arc<State>,
    tag: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(e) = self.state.in_flight.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&self.tag) {
            e.0 = e.0.saturating_sub(1);
        }
    }
}
