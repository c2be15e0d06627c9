//! Prompt template versions, cached in the isolate like the rest of the
//! config: a hot request renders its template without a D1 call, a new
//! version becomes "latest" everywhere within the cache TTL, and an unknown
//! prompt is remembered as unknown for as long.

use super::config::store_unavailable;
use super::d1;
use super::ttl_cache::TtlCache;
use crate::core::error::GatewayResult;
use crate::prompts::{not_found, PromptRef};
use crate::prompts::{valid_id, Template};
use crate::runtime::config::Config;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use worker::Env;

#[derive(Debug)]
pub struct StoredPrompt {
    pub id: String,
    pub version: u64,
    pub template: Template,
}

thread_local! {
    /// `{workspace}:{id}:{version or "latest"}` → the version, or `None` when unknown.
    static PROMPTS: RefCell<TtlCache<Option<Rc<StoredPrompt>>>> = RefCell::new(TtlCache::new(1_000));
}

#[derive(serde::Deserialize)]
struct Row {
    version: f64,
    template: String,
}

fn key(workspace: &str, id: &str, version: Option<u64>) -> String {
    match version {
        Some(v) => format!("{workspace}:{id}:{v}"),
        None => format!("{workspace}:{id}:latest"),
    }
}

/// The version a request names (its latest when it names none), or 404.
pub async fn prompt(env: &Env, cfg: &Config, workspace: &str, wanted: &PromptRef, now: u64) -> GatewayResult<Rc<StoredPrompt>> {
    let missing = || not_found(&wanted.id, wanted.version);
    if !valid_id(&wanted.id) {
        return Err(missing());
    }
    let cache_key = key(workspace, &wanted.id, wanted.version);
    if let Some(hit) = PROMPTS.with(|c| c.borrow().get(&cache_key, now)) {
        return hit.ok_or_else(missing);
    }
    let version = wanted.version.map_or(JsValue::NULL, |v| JsValue::from_f64(v as f64));
    let row: Option<Row> = d1::db(env)
        .map_err(|_| store_unavailable())?
        .prepare(
            "SELECT version, template FROM prompts WHERE workspace_id = ?1 AND id = ?2 \
             AND (?3 IS NULL OR version = ?3) ORDER BY version DESC LIMIT 1",
        )
        .bind(&[JsValue::from_str(workspace), JsValue::from_str(&wanted.id), version])
        .map_err(|_| store_unavailable())?
        .first(None)
        .await
        .map_err(|_| store_unavailable())?;
    // Stored templates were validated when written.
    let stored = row.and_then(|r| {
        let value: serde_json::Value = serde_json::from_str(&r.template).ok()?;
        let template = Template::parse(&value).ok()?;
        Some(Rc::new(StoredPrompt { id: wanted.id.clone(), version: r.version as u64, template }))
    });
    PROMPTS.with(|c| {
        let mut c = c.borrow_mut();
        if let (None, Some(s)) = (wanted.version, &stored) {
            // "latest" also answers a request pinned to that version.
            c.insert(key(workspace, &s.id, Some(s.version)), stored.clone(), now, cfg.config_cache_ttl_ms);
        }
        c.insert(cache_key, stored.clone(), now, cfg.config_cache_ttl_ms);
    });
    stored.ok_or_else(missing)
}

/// Forgets every cached version of one prompt (after an admin write).
pub fn invalidate(workspace: &str, id: &str) {
    PROMPTS.with(|c| c.borrow_mut().remove_prefix(&format!("{workspace}:{id}:")));
}
