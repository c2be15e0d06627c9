//! Deployment configuration read from `[vars]` and secrets in wrangler.toml.
//!
//! Vars and secrets are fixed for the life of an isolate (a new deployment
//! or a changed secret starts new isolates), so each is read from the
//! environment once per isolate and served from memory afterwards: reading
//! one crosses the wasm/JS boundary and copies a string, which measured 7 %
//! of a request's CPU when done per request.

use crate::observe::archive::ArchiveDefault;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use worker::Env;

thread_local! {
    static CONFIG: Cell<Option<Config>> = const { Cell::new(None) };
    static SECRETS: RefCell<HashMap<String, Option<String>>> = RefCell::new(HashMap::new());
}

#[derive(Clone, Copy)]
pub struct Config {
    pub max_body_bytes: usize,
    pub config_cache_ttl_ms: u64,
    pub upstream_timeout_ms: u64,
    /// Retries of a plain (router-less) request on a retryable failure.
    pub default_retries: u32,
    /// The longest a request may take, all attempts included.
    pub request_deadline_ms: u64,
    /// The longest a cache read may hold a request before it goes upstream.
    pub cache_lookup_timeout_ms: u64,
    /// Bound on each step of a semantic lookup (embedding, index query).
    pub semantic_timeout_ms: u64,
    /// How long an identical request waits for one in flight (and a
    /// leader's lease on its flight).
    pub coalesce_wait_ms: u64,
    /// `ARCHIVE_BODIES`: whether bodies are archived when no policy says.
    pub archive: ArchiveDefault,
}

fn var_u64(env: &Env, name: &str, default: u64) -> u64 {
    secret(env, name).and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

impl Config {
    /// This isolate's configuration (read from `env` on first use).
    pub fn from_env(env: &Env) -> Config {
        if let Some(cfg) = CONFIG.with(Cell::get) {
            return cfg;
        }
        let cfg = Config::read(env);
        CONFIG.with(|c| c.set(Some(cfg)));
        cfg
    }

    fn read(env: &Env) -> Config {
        Config {
            max_body_bytes: var_u64(env, "MAX_BODY_BYTES", 10 * 1024 * 1024) as usize,
            config_cache_ttl_ms: var_u64(env, "CONFIG_CACHE_TTL_SECONDS", 5) * 1000,
            upstream_timeout_ms: var_u64(env, "UPSTREAM_TIMEOUT_MS", 120_000),
            default_retries: var_u64(env, "DEFAULT_RETRIES", 0).min(5) as u32,
            request_deadline_ms: var_u64(env, "REQUEST_DEADLINE_MS", 300_000),
            cache_lookup_timeout_ms: var_u64(env, "CACHE_LOOKUP_TIMEOUT_MS", 300),
            semantic_timeout_ms: var_u64(env, "SEMANTIC_LOOKUP_TIMEOUT_MS", 3_000),
            coalesce_wait_ms: var_u64(env, "COALESCE_WAIT_MS", 30_000),
            archive: ArchiveDefault::parse(secret(env, "ARCHIVE_BODIES").as_deref()),
        }
    }
}

/// A secret (or, in local dev, a var) by name; `None` when unset or empty.
pub fn secret(env: &Env, name: &str) -> Option<String> {
    if let Some(known) = SECRETS.with(|m| m.borrow().get(name).cloned()) {
        return known;
    }
    let value = read_secret(env, name);
    SECRETS.with(|m| m.borrow_mut().insert(name.to_string(), value.clone()));
    value
}

fn read_secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// Test-only hooks (an injected clock, injected cache faults) are honoured
/// only when the deployment sets `ALLOW_TEST_HOOKS=1`; never in production.
pub fn test_hooks(env: &Env) -> bool {
    matches!(secret(env, "ALLOW_TEST_HOOKS").as_deref(), Some("1" | "true"))
}
