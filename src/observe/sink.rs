//! A workspace's log sink at the edge: its configuration (from D1, kept in
//! the isolate for `CONFIG_CACHE_TTL_SECONDS`, headers decrypted in memory
//! only) and the POST of a batch of JSON lines.

use super::delivery::{self, Outcome};
use crate::auth::secrets::EncryptionKey;
use crate::providers::UpstreamRequest;
use crate::runtime::config::{secret, Config};
use crate::runtime::http::send;
use crate::runtime::now_ms;
use crate::store::d1;
use crate::store::ttl_cache::TtlCache;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use worker::Env;

const TIMEOUT_MS: u64 = 10_000;

pub struct Sink {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

thread_local! {
    static SINKS: RefCell<TtlCache<Option<Rc<Sink>>>> = RefCell::new(TtlCache::new(1_000));
}

/// The AAD binding a sink's encrypted headers to its workspace.
pub fn aad(workspace_id: &str) -> String {
    format!("log-sink:{workspace_id}")
}

pub fn invalidate(workspace_id: &str) {
    SINKS.with(|c| c.borrow_mut().remove(workspace_id));
}

/// The workspace's enabled sink, if any. `Err` when D1 cannot say.
pub async fn sink_for(env: &Env, workspace_id: &str) -> Result<Option<Rc<Sink>>, String> {
    let now = now_ms();
    if let Some(hit) = SINKS.with(|c| c.borrow().get(workspace_id, now)) {
        return Ok(hit);
    }
    #[derive(serde::Deserialize)]
    struct Row {
        url: String,
        encrypted_headers: Option<String>,
    }
    let db = d1::db(env).map_err(|e| e.to_string())?;
    let row: Option<Row> = db
        .prepare("SELECT url, encrypted_headers FROM log_sinks WHERE workspace_id = ?1 AND enabled = 1")
        .bind(&[JsValue::from_str(workspace_id)])
        .map_err(|e| e.to_string())?
        .first(None)
        .await
        .map_err(|e| e.to_string())?;
    let sink = match row {
        None => None,
        Some(r) => {
            let headers = match r.encrypted_headers {
                None => Vec::new(),
                Some(sealed) => {
                    let key = secret(env, "PROVIDER_KEY_ENCRYPTION_KEY").and_then(|s| EncryptionKey::from_secret(&s).ok());
                    let plain = key.and_then(|k| k.decrypt(&sealed, &aad(workspace_id)).ok()).ok_or("the sink's headers cannot be decrypted")?;
                    serde_json::from_str::<Vec<(String, String)>>(&plain).map_err(|e| e.to_string())?
                }
            };
            Some(Rc::new(Sink { url: r.url, headers }))
        }
    };
    let ttl = Config::from_env(env).config_cache_ttl_ms;
    SINKS.with(|c| c.borrow_mut().insert(workspace_id.to_string(), sink.clone(), now, ttl));
    Ok(sink)
}

/// Posts JSON lines to the sink, twice at most.
pub async fn post(sink: &Sink, lines: String) -> Outcome {
    let mut headers = vec![("content-type".to_string(), "application/x-ndjson".to_string())];
    headers.extend(sink.headers.iter().cloned());
    let request = UpstreamRequest { method: "POST", url: sink.url.clone(), headers, body: Some(lines.into_bytes()) };
    let mut last = Outcome::Retry;
    for _ in 0..2 {
        let status = send(&request, TIMEOUT_MS).await.ok().map(|r| r.status());
        last = delivery::outcome(status);
        if last != Outcome::Retry {
            break;
        }
    }
    last
}
