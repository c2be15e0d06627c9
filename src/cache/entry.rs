//! What the exact cache stores under one key: a bucket of up to 20 answers
//! (`alephant-cache-bucket-max-size`), each exactly as a client received
//! it — a JSON body, or the `data:` payloads of a stream — with its usage,
//! its cost (what a hit saves), and its own expiry, so a TTL shorter than
//! KV's 60-second minimum still holds.

use crate::core::usage::Usage;
use serde::{Deserialize, Serialize};

/// KV refuses expirations under a minute; shorter TTLs are enforced on read.
pub const KV_MIN_TTL_SECONDS: u64 = 60;
/// Answers bigger than this are not stored (KV's limit is 25 MiB a value,
/// and a bucket holds up to 20 answers).
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

// Externally tagged (`{"json": {...}}`): internally tagged enums and
// `flatten` make serde buffer the input, which costs code size in wasm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoredBody {
    /// A complete JSON answer, as sent.
    Json { body: String },
    /// A stream's `data:` payloads in order, `[DONE]` left out.
    Sse { events: Vec<String> },
}

impl StoredBody {
    pub fn len(&self) -> usize {
        match self {
            StoredBody::Json { body } => body.len(),
            StoredBody::Sse { events } => events.iter().map(String::len).sum(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAnswer {
    pub body: StoredBody,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Nano-dollars the provider charged for it: what each hit saves.
    #[serde(default)]
    pub cost_nanos: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The request whose answer this is.
    pub request_id: String,
    pub created_ms: u64,
    pub expires_ms: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub answers: Vec<StoredAnswer>,
}

/// What a lookup in a bucket found.
#[derive(Debug, PartialEq)]
pub enum Pick<'a> {
    /// The bucket holds enough answers: serve this one (its index in the bucket).
    Hit { index: usize, answer: &'a StoredAnswer },
    /// Fewer live answers than the request's bucket size: ask upstream, and
    /// the answer will take this index.
    Miss { next_index: usize },
}

impl Bucket {
    pub fn parse(text: &str) -> Option<Bucket> {
        serde_json::from_str(text).ok()
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn live(&self, now_ms: u64) -> impl Iterator<Item = (usize, &StoredAnswer)> {
        self.answers.iter().enumerate().filter(move |(_, a)| a.expires_ms > now_ms)
    }

    /// A full bucket (at least `max` live answers) serves one of them at
    /// random (`rand` in [0, 1)); otherwise the request is a miss.
    pub fn pick(&self, max: u8, now_ms: u64, rand: f64) -> Pick<'_> {
        let live: Vec<(usize, &StoredAnswer)> = self.live(now_ms).collect();
        if live.is_empty() || live.len() < max as usize {
            return Pick::Miss { next_index: live.len() };
        }
        let i = ((rand.clamp(0.0, 1.0) * live.len() as f64) as usize).min(live.len() - 1);
        let (index, answer) = live[i];
        Pick::Hit { index, answer }
    }

    /// Adds an answer unless the bucket already holds `max` live ones;
    /// expired answers are dropped on the way. Returns its index.
    pub fn add(&mut self, answer: StoredAnswer, max: u8, now_ms: u64) -> Option<usize> {
        self.answers.retain(|a| a.expires_ms > now_ms);
        if self.answers.len() >= max.max(1) as usize {
            return None;
        }
        self.answers.push(answer);
        Some(self.answers.len() - 1)
    }

    /// Seconds KV should keep the bucket: until its last answer expires.
    pub fn kv_ttl_seconds(&self, now_ms: u64) -> u64 {
        let last = self.answers.iter().map(|a| a.expires_ms).max().unwrap_or(now_ms);
        (last.saturating_sub(now_ms).div_ceil(1000)).max(KV_MIN_TTL_SECONDS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str, expires_ms: u64) -> StoredAnswer {
        StoredAnswer {
            body: StoredBody::Json { body: body.into() },
            usage: None,
            cost_nanos: 10,
            provider: Some("openai".into()),
            model: Some("gpt-4o-mini".into()),
            request_id: "r".into(),
            created_ms: 0,
            expires_ms,
        }
    }

    #[test]
    fn a_bucket_fills_then_serves() {
        let mut b = Bucket::default();
        assert_eq!(b.pick(3, 0, 0.5), Pick::Miss { next_index: 0 });
        assert_eq!(b.add(answer("a", 1_000), 3, 0), Some(0));
        assert_eq!(b.add(answer("b", 1_000), 3, 0), Some(1));
        assert_eq!(b.pick(3, 0, 0.5), Pick::Miss { next_index: 2 });
        assert_eq!(b.add(answer("c", 1_000), 3, 0), Some(2));
        assert_eq!(b.add(answer("d", 1_000), 3, 0), None, "a full bucket takes no more");
        let picked: Vec<usize> = [0.0, 0.4, 0.99].iter().map(|r| match b.pick(3, 0, *r) {
            Pick::Hit { index, .. } => index,
            Pick::Miss { .. } => usize::MAX,
        }).collect();
        assert_eq!(picked, vec![0, 1, 2]);
        // A request with a smaller bucket size is served from it too.
        assert!(matches!(b.pick(1, 0, 0.0), Pick::Hit { .. }));
    }

    #[test]
    fn expired_answers_are_neither_served_nor_counted() {
        let mut b = Bucket::default();
        b.add(answer("old", 100), 2, 0);
        b.add(answer("new", 10_000), 2, 0);
        assert!(matches!(b.pick(2, 50, 0.0), Pick::Hit { .. }));
        assert_eq!(b.pick(2, 200, 0.0), Pick::Miss { next_index: 1 });
        assert_eq!(b.add(answer("newer", 10_000), 2, 200), Some(1));
        assert_eq!(b.answers.len(), 2);
    }

    #[test]
    fn round_trip_and_kv_ttl() {
        let mut b = Bucket::default();
        b.add(answer("{}", 5_000), 1, 0);
        b.answers.push(StoredAnswer { body: StoredBody::Sse { events: vec!["{}".into()] }, ..answer("", 200_000) });
        let text = b.encode();
        assert!(text.contains(r#""body":{"sse":"#));
        assert_eq!(Bucket::parse(&text), Some(b.clone()));
        assert_eq!(b.kv_ttl_seconds(0), 200);
        assert_eq!(Bucket { answers: vec![answer("x", 1_000)] }.kv_ttl_seconds(0), KV_MIN_TTL_SECONDS);
        assert_eq!(Bucket::parse("not json"), None);
    }
}
