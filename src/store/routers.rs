//! Routers by id or name, cached in the isolate like the rest of the
//! config: an update reaches every isolate within the cache TTL.

use super::config::store_unavailable;
use super::d1;
use super::ttl_cache::TtlCache;
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::routing::config::{self, RouterConfig};
use crate::runtime::config::Config;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use worker::Env;

#[derive(Debug)]
pub struct StoredRouter {
    pub id: String,
    pub name: String,
    pub version: u64,
    pub config: RouterConfig,
}

thread_local! {
    static ROUTERS: RefCell<TtlCache<Option<Rc<StoredRouter>>>> = RefCell::new(TtlCache::new(1_000));
}

#[derive(serde::Deserialize)]
struct Row {
    id: String,
    name: String,
    current_version: f64,
    config: String,
}

pub fn not_found(name: &str) -> GatewayError {
    GatewayError::not_found(ErrorCode::RouterNotFound, format!("No router '{name}' in this workspace."))
}

/// The workspace's router named `id_or_name`, or 404.
pub async fn router(env: &Env, cfg: &Config, workspace: &str, id_or_name: &str, now: u64) -> GatewayResult<Rc<StoredRouter>> {
    let key = format!("{workspace}:{id_or_name}");
    if let Some(hit) = ROUTERS.with(|c| c.borrow().get(&key, now)) {
        return hit.ok_or_else(|| not_found(id_or_name));
    }
    let row: Option<Row> = d1::db(env)
        .map_err(|_| store_unavailable())?
        .prepare(
            "SELECT id, name, current_version, config FROM routers WHERE workspace_id = ?1 AND (id = ?2 OR name = ?2)",
        )
        .bind(&[JsValue::from_str(workspace), JsValue::from_str(id_or_name)])
        .map_err(|_| store_unavailable())?
        .first(None)
        .await
        .map_err(|_| store_unavailable())?;
    // Stored configs were validated when written.
    let stored = row.and_then(|r| {
        let value: serde_json::Value = serde_json::from_str(&r.config).ok()?;
        let config = config::parse(&value).ok()?;
        Some(Rc::new(StoredRouter { id: r.id, name: r.name, version: r.current_version as u64, config }))
    });
    ROUTERS.with(|c| c.borrow_mut().insert(key, stored.clone(), now, cfg.config_cache_ttl_ms));
    stored.ok_or_else(|| not_found(id_or_name))
}

pub fn invalidate(workspace: &str) {
    ROUTERS.with(|c| c.borrow_mut().remove_prefix(&format!("{workspace}:")));
}
