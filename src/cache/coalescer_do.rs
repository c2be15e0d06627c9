//! `Coalescer`: the Durable Object, one per cache key, that holds the
//! followers of an in-flight request until its leader lands (see
//! `coalesce.rs` for the protocol). Followers wait inside their call to
//! the object — a request to an object may await while others are served
//! — and are answered all at once when the leader reports. Nothing is
//! persisted: a flight lives for seconds, and a restarted object simply
//! has none (its followers then fall through to the provider).

use super::coalesce::{ClaimReply, CoalesceCall, Decision, Flight};
use crate::runtime::durable::within;
use futures::channel::oneshot;
use std::cell::RefCell;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

#[durable_object]
pub struct Coalescer {
    flight: RefCell<Flight>,
    followers: RefCell<Vec<oneshot::Sender<Option<String>>>>,
}

fn now() -> u64 {
    worker::Date::now().as_millis()
}

impl Coalescer {
    async fn claim(&self, lease_id: &str, lease_ms: u64, wait_ms: u64) -> ClaimReply {
        let decision = self.flight.borrow_mut().claim(lease_id, lease_ms, now());
        match decision {
            Decision::Lead => ClaimReply::Lead,
            Decision::Recent(answer) => ClaimReply::Answer { answer },
            Decision::Wait => {
                let (tx, rx) = oneshot::channel();
                self.followers.borrow_mut().push(tx);
                match within(wait_ms, rx).await {
                    Some(Ok(Some(answer))) => ClaimReply::Answer { answer },
                    Some(Ok(None)) | Some(Err(_)) => {
                        ClaimReply::FallThrough { why: "the request in flight ended without an answer to share".into() }
                    }
                    None => ClaimReply::FallThrough { why: format!("waited {wait_ms} ms for the request in flight") },
                }
            }
        }
    }

    fn land(&self, lease_id: &str, answer: Option<String>, keep_until_ms: Option<u64>) {
        if !self.flight.borrow_mut().land(lease_id, answer.clone(), keep_until_ms, now()) {
            return;
        }
        for follower in self.followers.borrow_mut().drain(..) {
            // A follower that stopped waiting has dropped its receiver.
            let _ = follower.send(answer.clone());
        }
    }
}

impl DurableObject for Coalescer {
    fn new(_state: State, _env: Env) -> Self {
        Coalescer { flight: RefCell::new(Flight::default()), followers: RefCell::new(Vec::new()) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match req.json::<CoalesceCall>().await? {
            CoalesceCall::Claim { lease_id, lease_ms, wait_ms } => {
                Response::from_json(&self.claim(&lease_id, lease_ms, wait_ms).await)
            }
            CoalesceCall::Done { lease_id, answer, keep, expires_ms } => {
                let keep_until = keep.then(|| expires_ms.unwrap_or(u64::MAX));
                self.land(&lease_id, Some(answer), keep_until);
                Response::from_json(&serde_json::json!({}))
            }
            CoalesceCall::Abandon { lease_id } => {
                self.land(&lease_id, None, None);
                Response::from_json(&serde_json::json!({}))
            }
        }
    }
}
