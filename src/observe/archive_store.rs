//! Writing a request's bodies to the `ARCHIVE` bucket (stage 7, in
//! `wait_until`). A write R2 refuses twice goes through the `LOGS` queue
//! instead, whose consumer retries it with backoff (see `archive.rs`).

use super::archive::{self, ArchiveObject};
use super::audit_record::QueueMessage;
use super::queue;
use crate::pipeline::context::RequestContext;
use worker::{Env, HttpMetadata};

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

/// Archives what the request's plan allows and records the keys in the context.
pub async fn store(env: &Env, rc: &mut RequestContext) {
    let Some(workspace) = rc.workspace_id.clone() else { return };
    let prefix = archive::prefix(&workspace, rc.started_ms, &rc.id);
    if rc.archive.request {
        if let Some(body) = rc.request_body.take().filter(|b| !b.is_empty()) {
            let object = archive::request_object(&prefix, body);
            keep(env, &object).await;
            rc.request_body_key = Some(object.key);
        }
    }
    if rc.archive.response {
        if let Some(object) = archive::response_object(&prefix, rc.endpoint.name(), rc.answer.as_ref(), rc.error.as_ref()) {
            keep(env, &object).await;
            rc.response_body_key = Some(object.key);
        }
    }
}
