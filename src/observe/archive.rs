//! The body archive: what a request's request and response bodies become in
//! R2, and where. Objects live under `{workspace}/{yyyy}/{mm}/{dd}/{request id}/`
//! (`request.json`, `response.json` — a streamed answer is reassembled into
//! the JSON answer it amounts to; a stream that cannot be is kept as
//! `response.sse`). The log row points at both keys.
//!
//! Whether a request's bodies are archived (`ArchivePlan::new`): off unless
//! something asks — a policy's `archive_bodies`, the request's
//! `alephant-archive: true`, or the deployment's `ARCHIVE_BODIES=true`.
//! Each archived request costs two R2 writes; with the archive on for
//! every request the local benchmark served 3.6× fewer requests, so it is
//! what an operator turns on for the scopes that need it (the log row, its
//! usage and cost are recorded for every request either way).
//! `alephant-omit-request` / `alephant-omit-response` keep a body out;
//! `ARCHIVE_BODIES=false` turns the archive off for the deployment. The
//! archive never sees a secret: bodies carry none (credentials travel in
//! headers, which are not archived).
//!
//! When R2 refuses a write, the body goes through the `LOGS` queue instead
//! (retried with the queue's backoff, dead-lettered last), in parts small
//! enough for a queue message; readers join `<key>.part-NNNN` objects.

use crate::core::error::GatewayError;
use crate::cache::convert::{self, AnswerKind};
use crate::cache::entry::StoredBody;
use crate::util::time::civil_from_days;
use serde::{Deserialize, Serialize};

pub const ARCHIVE: &str = "alephant-archive";
pub const OMIT_REQUEST: &str = "alephant-omit-request";
pub const OMIT_RESPONSE: &str = "alephant-omit-response";

/// Raw bytes per queued part: base64 makes them 4/3 larger, and a queue
/// message may hold 128 KB.
pub const PART_BYTES: usize = 90 * 1024;

/// The deployment's `ARCHIVE_BODIES`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ArchiveDefault {
    /// Unset: a request is archived when a policy or its header asks.
    #[default]
    OnRequest,
    /// `true`: every request, unless a policy says `archive_bodies: false`.
    Always,
    /// `false`: none, whatever policies or headers say.
    Never,
}

impl ArchiveDefault {
    pub fn parse(value: Option<&str>) -> ArchiveDefault {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            Some("true" | "1" | "on" | "yes") => ArchiveDefault::Always,
            Some("false" | "0" | "off" | "no") => ArchiveDefault::Never,
            _ => ArchiveDefault::OnRequest,
        }
    }
}

/// Which bodies of a request are archived.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArchivePlan {
    pub request: bool,
    pub response: bool,
}

impl ArchivePlan {
    /// `policy`: the most specific scope's `archive_bodies`, which decides
    /// over the deployment default and the request's header (a key holder
    /// cannot archive what its policy keeps out); headers may always omit.
    pub fn new(default: ArchiveDefault, policy: Option<bool>, headers: &[(String, String)]) -> ArchivePlan {
        let header = |name: &str| headers.iter().any(|(k, v)| k == name && crate::core::headers::is_truthy(Some(v)));
        let enabled = match (default, policy) {
            (ArchiveDefault::Never, _) => false,
            (_, Some(decided)) => decided,
            (ArchiveDefault::Always, None) => true,
            (ArchiveDefault::OnRequest, None) => header(ARCHIVE),
        };
        ArchivePlan { request: enabled && !header(OMIT_REQUEST), response: enabled && !header(OMIT_RESPONSE) }
    }
}

/// One object to write.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveObject {
    pub key: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// `{ws}/2026/11/22/{id}/` for a request started at `created_ms`.
pub fn prefix(workspace_id: &str, created_ms: u64, request_id: &str) -> String {
    let (y, m, d) = civil_from_days((created_ms / 86_400_000) as i64);
    format!("{workspace_id}/{y:04}/{m:02}/{d:02}/{request_id}/")
}

pub fn request_object(prefix: &str, body: Vec<u8>) -> ArchiveObject {
    ArchiveObject { key: format!("{prefix}request.json"), content_type: "application/json", bytes: body }
}

/// The response as archived: the answer (a stream reassembled when the
/// endpoint's chunks can be folded), or the error the client got.
pub fn response_object(prefix: &str, endpoint: &str, answer: Option<&StoredBody>, error: Option<&GatewayError>) -> Option<ArchiveObject> {
    let json = |bytes: Vec<u8>| ArchiveObject { key: format!("{prefix}response.json"), content_type: "application/json", bytes };
    match answer {
        Some(StoredBody::Json { body }) => Some(json(body.clone().into_bytes())),
        Some(StoredBody::Sse { events }) => {
            let kind = match endpoint {
                "chat" => Some(AnswerKind::Chat),
                "completions" => Some(AnswerKind::Completion),
                _ => None,
            };
            match kind.and_then(|k| convert::events_to_json(k, events)) {
                Some(folded) => Some(json(folded.into_bytes())),
                None => {
                    let text: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
                    Some(ArchiveObject { key: format!("{prefix}response.sse"), content_type: "text/event-stream", bytes: text.into_bytes() })
                }
            }
        }
        None => error.map(|e| json(e.to_openai_json().into_bytes())),
    }
}

/// A body (or part of one) travelling through the queue after R2 refused it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedBody {
    pub key: String,
    pub content_type: String,
    /// Base64 of the bytes.
    pub data: String,
}

/// The queue messages for an object: one when it fits, else `<key>.part-NNNN`s.
pub fn queued(object: &ArchiveObject) -> Vec<QueuedBody> {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    let chunks: Vec<&[u8]> = object.bytes.chunks(PART_BYTES).collect();
    let single = chunks.len() <= 1;
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| QueuedBody {
            key: if single { object.key.clone() } else { part_key(&object.key, i) },
            content_type: object.content_type.to_string(),
            data: STANDARD.encode(c),
        })
        .collect()
}

pub fn part_key(key: &str, index: usize) -> String {
    format!("{key}.part-{index:04}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;

    #[test]
    fn keys_are_by_workspace_date_and_request() {
        // 2026-11-22T10:00:00Z
        let p = prefix("ws_1", 1_795_341_600_000, "req-1");
        assert_eq!(p, "ws_1/2026/11/22/req-1/");
        assert_eq!(request_object(&p, b"{}".to_vec()).key, "ws_1/2026/11/22/req-1/request.json");
    }

    #[test]
    fn archived_only_when_asked() {
        use ArchiveDefault::*;
        let h = |k: &str| vec![(k.to_string(), "true".to_string())];
        let (all, none) = (ArchivePlan { request: true, response: true }, ArchivePlan::default());
        assert_eq!(ArchivePlan::new(OnRequest, None, &[]), none, "off by default");
        assert_eq!(ArchivePlan::new(OnRequest, None, &h(ARCHIVE)), all, "the header asks");
        assert_eq!(ArchivePlan::new(OnRequest, Some(true), &[]), all, "a policy asks");
        assert_eq!(ArchivePlan::new(OnRequest, Some(false), &h(ARCHIVE)), none, "a policy keeps out what the header asks");
        assert_eq!(ArchivePlan::new(Always, None, &[]), all);
        assert_eq!(ArchivePlan::new(Always, Some(false), &[]), none);
        assert_eq!(ArchivePlan::new(Never, Some(true), &h(ARCHIVE)), none, "the deployment switch wins");
        assert_eq!(ArchivePlan::new(Always, None, &h(OMIT_REQUEST)), ArchivePlan { request: false, response: true });
        assert_eq!(ArchivePlan::new(OnRequest, Some(true), &h(OMIT_RESPONSE)), ArchivePlan { request: true, response: false });
        assert_eq!(ArchiveDefault::parse(Some(" TRUE ")), Always);
        assert_eq!(ArchiveDefault::parse(Some("off")), Never);
        assert_eq!(ArchiveDefault::parse(None), OnRequest);
    }

    #[test]
    fn streams_are_reassembled_and_errors_kept() {
        let events = vec![
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}"#.to_string(),
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#.to_string(),
        ];
        let o = response_object("p/", "chat", Some(&StoredBody::Sse { events: events.clone() }), None).unwrap();
        assert_eq!(o.key, "p/response.json");
        let v: serde_json::Value = serde_json::from_slice(&o.bytes).unwrap();
        assert_eq!(v["choices"][0]["message"]["content"], "Hello");
        let raw = response_object("p/", "responses", Some(&StoredBody::Sse { events }), None).unwrap();
        assert_eq!((raw.key.as_str(), raw.content_type), ("p/response.sse", "text/event-stream"));
        let e = GatewayError::bad_gateway(ErrorCode::UpstreamUnreachable, "down");
        let err = response_object("p/", "chat", None, Some(&e)).unwrap();
        assert!(String::from_utf8(err.bytes).unwrap().contains("upstream_unreachable"));
        assert_eq!(response_object("p/", "chat", None, None), None);
    }

    #[test]
    fn big_bodies_queue_in_parts() {
        let small = ArchiveObject { key: "k".into(), content_type: "application/json", bytes: vec![b'a'; 10] };
        assert_eq!(queued(&small).len(), 1);
        assert_eq!(queued(&small)[0].key, "k");
        let big = ArchiveObject { key: "k".into(), content_type: "application/json", bytes: vec![b'a'; PART_BYTES * 2 + 1] };
        let parts = queued(&big);
        assert_eq!(parts.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(), vec!["k.part-0000", "k.part-0001", "k.part-0002"]);
        assert!(parts.iter().all(|p| p.data.len() < 128 * 1024));
    }
}
