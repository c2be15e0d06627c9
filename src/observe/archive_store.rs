//! Writing a request's bodies to the `ARCHIVE` bucket (stage 7, in
//! `wait_until`). A write R2 refuses twice goes through the `LOGS` queue
//! instead, whose consumer retries it with backoff (see `archive.rs`).

use super::archive::{self, ArchiveObject};
use super::audit_record::QueueMessage;
use super::queue;
use crate::cache::entry::StoredBody;
use crate::core::error::GatewayError;
use worker::{Env, HttpMetadata};

/// What one request offers the archive: only what its plan allows.
pub struct Archived<'a> {
    pub workspace_id: Option<&'a str>,
    pub started_ms: u64,
    pub id: &'a str,
    pub endpoint: &'static str,
    /// The request body, when it is archived.
    pub request_body: Option<Vec<u8>>,
    /// The answer (or the error) the client got, when the response is archived.
    pub answer: Option<(Option<&'a StoredBody>, Option<&'a GatewayError>)>,
}

/// Where the bodies were archived.
#[derive(Debug, Default)]
pub struct ArchiveKeys {
    pub request: Option<String>,
    pub response: Option<String>,
}

const BINDING: &str = "ARCHIVE";

/// Puts one object (or its part), trying twice.
pub async fn put(env: &Env, key: &str, content_type: &str, bytes: &[u8]) -> Result<(), String> {
    let bucket = env.bucket(BINDING).map_err(|e| format!("archive unavailable: {e}"))?;
    let mut last = String::new();
    for _ in 0..2 {
        let meta = HttpMetadata { content_type: Some(content_type.to_string()), ..Default::default() };
        match bucket.put(key, bytes.to_vec()).http_metadata(meta).execute().await {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!("archive write failed: {last}"))
}

async fn keep(env: &Env, object: &ArchiveObject) {
    if let Err(why) = put(env, &object.key, object.content_type, &object.bytes).await {
        worker::console_warn!("{why}; {} queued for a retry", object.key);
        for part in archive::queued(object) {
            queue::send(env, &QueueMessage::Body(part)).await;
        }
    }
}

/// Archives what it is offered; returns the keys it wrote.
pub async fn store(env: &Env, a: Archived<'_>) -> ArchiveKeys {
    let mut keys = ArchiveKeys::default();
    let Some(workspace) = a.workspace_id else { return keys };
    let prefix = archive::prefix(workspace, a.started_ms, a.id);
    if let Some(body) = a.request_body.filter(|b| !b.is_empty()) {
        let object = archive::request_object(&prefix, body);
        keep(env, &object).await;
        keys.request = Some(object.key);
    }
    if let Some((answer, error)) = a.answer {
        if let Some(object) = archive::response_object(&prefix, a.endpoint, answer, error) {
            keep(env, &object).await;
            keys.response = Some(object.key);
        }
    }
    keys
}
