//! Request coalescing: identical cacheable requests that miss the cache
//! while the first of them is still in flight wait for its answer instead
//! of all calling the provider. One `Coalescer` Durable Object per cache
//! key keeps the flight: the first request *leads* (it goes upstream and
//! reports its answer, or that it has none), the others *follow* (they wait,
//! bounded, then are served the leader's answer or fall through to the
//! provider themselves). A leader that vanishes loses its lease when it
//! expires. The answer is kept a few seconds after landing, for requests
//! that missed KV just before it was written.
//!
//! This file is the protocol and the flight's state; the object that holds
//! waiting requests is `coalescer_do.rs`.

use serde::{Deserialize, Serialize};

/// How long a landed answer is handed to late arrivals.
pub const RECENT_MS: u64 = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoalesceCall {
    /// Lead or follow. A follower waits at most `wait_ms`.
    Claim { lease_id: String, lease_ms: u64, wait_ms: u64 },
    /// The leader's answer (a stored answer, JSON), handed to every
    /// follower; kept for late arrivals only if the answer may be stored,
    /// and never past the answer's own expiry.
    Done {
        lease_id: String,
        answer: String,
        keep: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_ms: Option<u64>,
    },
    /// The leader has no answer to share (error, not storable).
    Abandon { lease_id: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimReply {
    /// Go upstream, then report `Done` or `Abandon`.
    Lead,
    /// The leader's answer.
    Answer { answer: String },
    /// The leader gave up, or the wait ran out: call the provider yourself.
    FallThrough { why: String },
}

/// What the object decides for a claim before any waiting.
#[derive(Debug, PartialEq)]
pub enum Decision {
    Lead,
    Recent(String),
    Wait,
}

#[derive(Debug, Default)]
pub struct Flight {
    /// The leader's lease and when it lapses.
    leader: Option<(String, u64)>,
    /// The last answer and until when it is handed out.
    recent: Option<(String, u64)>,
}

impl Flight {
    pub fn claim(&mut self, lease_id: &str, lease_ms: u64, now_ms: u64) -> Decision {
        if let Some((answer, until)) = &self.recent {
            if *until > now_ms {
                return Decision::Recent(answer.clone());
            }
            self.recent = None;
        }
        match &self.leader {
            Some((_, until)) if *until > now_ms => Decision::Wait,
            _ => {
                self.leader = Some((lease_id.to_string(), now_ms + lease_ms));
                Decision::Lead
            }
        }
    }

    /// The leader reports; `false` when `lease_id` no longer leads (its
    /// lease lapsed and another request took over), so nothing changes.
    /// `keep_until_ms`: until when the answer may be handed to late arrivals
    /// (`None`: not at all, it was `no-store`) — its own expiry, so a short
    /// TTL is not stretched to `RECENT_MS`.
    pub fn land(&mut self, lease_id: &str, answer: Option<String>, keep_until_ms: Option<u64>, now_ms: u64) -> bool {
        if self.leader.as_ref().map(|(id, _)| id.as_str()) != Some(lease_id) {
            return false;
        }
        self.leader = None;
        self.recent = answer.zip(keep_until_ms).map(|(a, until)| (a, until.min(now_ms + RECENT_MS)));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_leads_others_wait_then_get_the_answer() {
        let mut f = Flight::default();
        assert_eq!(f.claim("a", 1_000, 0), Decision::Lead);
        assert_eq!(f.claim("b", 1_000, 10), Decision::Wait);
        assert!(f.land("a", Some("answer".into()), Some(u64::MAX), 20));
        assert_eq!(f.claim("c", 1_000, 30), Decision::Recent("answer".into()));
        assert_eq!(f.claim("d", 1_000, 20 + RECENT_MS), Decision::Lead, "recent answers expire");
    }

    #[test]
    fn a_kept_answer_expires_with_its_ttl() {
        let mut f = Flight::default();
        f.claim("a", 1_000, 0);
        assert!(f.land("a", Some("short".into()), Some(1_000), 10));
        assert_eq!(f.claim("b", 1_000, 999), Decision::Recent("short".into()));
        assert_eq!(f.claim("c", 1_000, 1_000), Decision::Lead, "a 1 s answer is not handed out after 1 s");
    }

    #[test]
    fn an_answer_that_may_not_be_stored_is_not_kept() {
        let mut f = Flight::default();
        f.claim("a", 1_000, 0);
        assert!(f.land("a", Some("private".into()), None, 10));
        assert_eq!(f.claim("b", 1_000, 20), Decision::Lead);
    }

    #[test]
    fn a_lapsed_leader_is_replaced_and_cannot_land() {
        let mut f = Flight::default();
        assert_eq!(f.claim("a", 100, 0), Decision::Lead);
        assert_eq!(f.claim("b", 100, 150), Decision::Lead);
        assert!(!f.land("a", Some("late".into()), Some(u64::MAX), 160));
        assert_eq!(f.claim("c", 100, 170), Decision::Wait);
        assert!(f.land("b", None, Some(u64::MAX), 180));
        assert_eq!(f.claim("d", 100, 190), Decision::Lead, "an abandoned flight leaves no answer");
    }

    #[test]
    fn protocol_shapes() {
        let call: CoalesceCall = serde_json::from_str(r#"{"claim":{"lease_id":"r1","lease_ms":5,"wait_ms":5}}"#).unwrap();
        assert!(matches!(call, CoalesceCall::Claim { .. }));
        let reply = serde_json::to_string(&ClaimReply::Answer { answer: "{}".into() }).unwrap();
        assert_eq!(reply, r#"{"answer":{"answer":"{}"}}"#);
    }
}
