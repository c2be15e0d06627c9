//! What every request reads — its key, its workspace's credentials, the
//! custom domain it came in on — cached in the isolate for
//! `CONFIG_CACHE_TTL_SECONDS`, so a hot request makes no D1 round trip.
//! Admin writes in this isolate invalidate at once; other isolates see the
//! change when their entry expires.

use super::d1;
use super::records::{BudgetRow, ProviderCredential, ProviderKeyRow, WorkspaceConfig, UNDECRYPTABLE};
use crate::governance::ledger::Period;
use crate::governance::scope_policy::ScopeKind;
use super::ttl_cache::TtlCache;
use crate::core::error::{ErrorType, GatewayError, GatewayResult, ErrorCode};
use crate::auth::principal::{self, KeyRow, Principal};
use crate::auth::secrets::EncryptionKey;
use crate::auth::virtual_key;
use crate::catalog::{catalog, AuthScheme, ProviderSpec};
use crate::routing::zero_config;
use crate::runtime::config::{secret, Config};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use worker::Env;

thread_local! {
    static KEYS: RefCell<TtlCache<Rc<Principal>>> = RefCell::new(TtlCache::new(10_000));
    static MISSES: RefCell<TtlCache<()>> = RefCell::new(TtlCache::new(10_000));
    static DOMAINS: RefCell<TtlCache<Option<String>>> = RefCell::new(TtlCache::new(1_000));
    static WORKSPACES: RefCell<TtlCache<Rc<WorkspaceConfig>>> = RefCell::new(TtlCache::new(1_000));
}

pub fn store_unavailable() -> GatewayError {
    GatewayError::new(
        503,
        ErrorType::ApiError,
        ErrorCode::ConfigStoreUnavailable,
        "The gateway could not read its configuration. Retry shortly.",
    )
    .with_retry_after(1)
}

/// How long a token that matches no key is remembered, so a repeated bad
/// token costs no D1 query. Kept apart from the keys themselves, so a flood
/// of random tokens cannot push real keys out of the isolate's cache.
const MISS_TTL_MS: u64 = 60_000;

/// The caller behind a token from this isolate's memory alone: `None`
/// when only D1 can say (then `principal_by_token`).
pub fn cached_principal(token: &str, now: u64) -> Option<GatewayResult<Rc<Principal>>> {
    if !virtual_key::is_well_formed(token) {
        return Some(Err(principal::invalid_key()));
    }
    let hash = virtual_key::hash(token);
    if let Some(principal) = KEYS.with(|c| c.borrow().get(&hash, now)) {
        return Some(principal.check_usable(now).map(|()| principal));
    }
    MISSES.with(|c| c.borrow().get(&hash, now)).map(|()| Err(principal::invalid_key()))
}

/// The caller behind a bearer token, or 401.
pub async fn principal_by_token(env: &Env, cfg: &Config, token: &str, now: u64) -> GatewayResult<Rc<Principal>> {
    if let Some(known) = cached_principal(token, now) {
        return known;
    }
    let hash = virtual_key::hash(token);
    let row: Option<KeyRow> = d1::db(env)
        .map_err(|_| store_unavailable())?
        .prepare(
            "SELECT id, workspace_id, name, agent_id, department, allowed_models, allowed_providers, \
             rate_limit, policy, expires_at, revoked_at FROM virtual_keys WHERE key_hash = ?1",
        )
        .bind(&[JsValue::from_str(&hash)])
        .map_err(|_| store_unavailable())?
        .first(None)
        .await
        .map_err(|_| store_unavailable())?;
    let Some(row) = row else {
        MISSES.with(|c| c.borrow_mut().insert(hash, (), now, MISS_TTL_MS));
        return Err(principal::invalid_key());
    };
    let principal = Rc::new(Principal::from(row));
    KEYS.with(|c| c.borrow_mut().insert(hash, principal.clone(), now, cfg.config_cache_ttl_ms));
    principal.check_usable(now)?;
    Ok(principal)
}

/// The workspace a custom hostname belongs to (`None` for other hosts).
pub async fn workspace_for_host(env: &Env, cfg: &Config, host: &str, now: u64) -> GatewayResult<Option<String>> {
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    if let Some(hit) = DOMAINS.with(|c| c.borrow().get(&host, now)) {
        return Ok(hit);
    }
    #[derive(serde::Deserialize)]
    struct Row {
        workspace_id: String,
    }
    let row: Option<Row> = d1::db(env)
        .map_err(|_| store_unavailable())?
        .prepare("SELECT workspace_id FROM custom_domains WHERE hostname = ?1")
        .bind(&[JsValue::from_str(&host)])
        .map_err(|_| store_unavailable())?
        .first(None)
        .await
        .map_err(|_| store_unavailable())?;
    let ws = row.map(|r| r.workspace_id);
    DOMAINS.with(|c| c.borrow_mut().insert(host, ws.clone(), now, cfg.config_cache_ttl_ms));
    Ok(ws)
}

/// The workspace's provider credentials, decrypted.
pub async fn workspace_config(env: &Env, cfg: &Config, workspace_id: &str, now: u64) -> GatewayResult<Rc<WorkspaceConfig>> {
    if let Some(hit) = WORKSPACES.with(|c| c.borrow().get(workspace_id, now)) {
        return Ok(hit);
    }
    // Credentials and custom providers in one round trip.
    let db = d1::db(env).map_err(|_| store_unavailable())?;
    let ws = [JsValue::from_str(workspace_id)];
    let statements = vec![
        db.prepare(
            "SELECT id, provider, name, encrypted_key, base_url, config FROM provider_keys \
             WHERE workspace_id = ?1 AND enabled = 1 ORDER BY created_at, id",
        )
        .bind(&ws)
        .map_err(|_| store_unavailable())?,
        db.prepare("SELECT spec FROM custom_providers WHERE workspace_id = ?1 ORDER BY id")
            .bind(&ws)
            .map_err(|_| store_unavailable())?,
        db.prepare("SELECT scope_type, scope_id, policy FROM scope_policies WHERE workspace_id = ?1")
            .bind(&ws)
            .map_err(|_| store_unavailable())?,
        db.prepare(
            "SELECT id, scope_type, scope_id, period, limit_nanos, soft_threshold, webhook_url, unpriced FROM budgets WHERE workspace_id = ?1",
        )
        .bind(&ws)
        .map_err(|_| store_unavailable())?,
        db.prepare("SELECT cache_generation FROM workspaces WHERE id = ?1").bind(&ws).map_err(|_| store_unavailable())?,
    ];
    let results = db.batch(statements).await.map_err(|_| store_unavailable())?;
    let rows: Vec<ProviderKeyRow> = results
        .first()
        .map(|r| r.results())
        .transpose()
        .map_err(|_| store_unavailable())?
        .unwrap_or_default();
    #[derive(serde::Deserialize)]
    struct SpecRow {
        spec: String,
    }
    let specs: Vec<SpecRow> =
        results.get(1).map(|r| r.results()).transpose().map_err(|_| store_unavailable())?.unwrap_or_default();
    // Specs were validated when written; one that no longer parses is skipped.
    let custom_providers = specs
        .iter()
        .filter_map(|r| serde_json::from_str::<ProviderSpec>(&r.spec).ok())
        .map(ProviderSpec::prepared)
        .collect();
    #[derive(serde::Deserialize)]
    struct PolicyRow {
        scope_type: String,
        scope_id: String,
        policy: String,
    }
    let policy_rows: Vec<PolicyRow> =
        results.get(2).map(|r| r.results()).transpose().map_err(|_| store_unavailable())?.unwrap_or_default();
    let policies = policy_rows
        .into_iter()
        .filter_map(|r| {
            let kind = ScopeKind::parse(&r.scope_type)?;
            let policy = serde_json::from_str(&r.policy).ok()?;
            Some((kind, r.scope_id, policy))
        })
        .collect();
    #[derive(serde::Deserialize)]
    struct BudgetDbRow {
        id: String,
        scope_type: String,
        scope_id: String,
        period: String,
        limit_nanos: f64,
        soft_threshold: Option<f64>,
        webhook_url: Option<String>,
        #[serde(default)]
        unpriced: Option<String>,
    }
    let budget_rows: Vec<BudgetDbRow> =
        results.get(3).map(|r| r.results()).transpose().map_err(|_| store_unavailable())?.unwrap_or_default();
    let budgets = budget_rows
        .into_iter()
        .filter_map(|r| {
            Some(BudgetRow {
                scope: ScopeKind::parse(&r.scope_type)?,
                period: Period::parse(&r.period)?,
                id: r.id,
                scope_id: r.scope_id,
                limit_nanos: r.limit_nanos as u64,
                soft_threshold: r.soft_threshold,
                webhook_url: r.webhook_url,
                allow_unpriced: r.unpriced.as_deref() == Some("allow"),
            })
        })
        .collect();
    #[derive(serde::Deserialize)]
    struct GenerationRow {
        cache_generation: f64,
    }
    let generation: Vec<GenerationRow> =
        results.get(4).map(|r| r.results()).transpose().map_err(|_| store_unavailable())?.unwrap_or_default();
    let cache_generation = generation.first().map_or(0, |g| g.cache_generation as u64);
    let key = secret(env, "PROVIDER_KEY_ENCRYPTION_KEY").and_then(|s| EncryptionKey::from_secret(&s).ok());
    let credentials = rows
        .into_iter()
        .map(|row| {
            let secret = row.encrypted_key.as_deref().map(|sealed| {
                key.as_ref()
                    .and_then(|k| k.decrypt(sealed, &row.id).ok())
                    .unwrap_or_else(|| UNDECRYPTABLE.to_string())
            });
            ProviderCredential {
                config: row.config.as_deref().and_then(|c| serde_json::from_str(c).ok()).unwrap_or_default(),
                id: row.id,
                provider: row.provider,
                name: row.name,
                secret,
                base_url: row.base_url,
            }
        })
        .collect();
    let mut credentials: Vec<ProviderCredential> = credentials;
    if workspace_id == zero_config::DEFAULT_WORKSPACE {
        // Keys stored in D1 come first; the deployment's secrets after them.
        credentials.extend(env_credentials(env));
    }
    let config = Rc::new(WorkspaceConfig {
        workspace_id: workspace_id.to_string(),
        credentials,
        custom_providers,
        policies,
        budgets,
        cache_generation,
    });
    WORKSPACES.with(|c| c.borrow_mut().insert(workspace_id.to_string(), config.clone(), now, cfg.config_cache_ttl_ms));
    Ok(config)
}

/// Provider credentials from the deployment's secrets (zero-config mode):
/// each catalog provider's `env_key` (e.g. `OPENAI_API_KEY`), with an
/// optional `<PROVIDER>_BASE_URL`; Bedrock also from the usual
/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` /
/// `AWS_REGION`, Azure's API version from `AZURE_API_VERSION`.
fn env_credentials(env: &Env) -> Vec<ProviderCredential> {
    let mut out = Vec::new();
    for p in catalog().providers() {
        let upper = p.id.to_ascii_uppercase();
        let base_url = secret(env, &format!("{upper}_BASE_URL"));
        let mut key = p.env_key.as_deref().and_then(|name| secret(env, name));
        if key.is_none() && p.auth == AuthScheme::Sigv4 {
            if let (Some(id), Some(sk)) = (secret(env, "AWS_ACCESS_KEY_ID"), secret(env, "AWS_SECRET_ACCESS_KEY")) {
                key = Some(match secret(env, "AWS_SESSION_TOKEN") {
                    Some(token) => format!("{id}:{sk}:{token}"),
                    None => format!("{id}:{sk}"),
                });
            }
        }
        if key.is_none() && !(base_url.is_some() && !p.needs_key()) {
            continue;
        }
        let mut config = serde_json::Map::new();
        if let Some(region) = secret(env, "AWS_REGION").filter(|_| p.auth == AuthScheme::Sigv4) {
            config.insert("region".into(), region.into());
        }
        if let Some(version) = secret(env, "AZURE_API_VERSION").filter(|_| p.id == "azure") {
            config.insert("api_version".into(), version.into());
        }
        out.push(ProviderCredential {
            id: format!("env:{}", p.env_key.as_deref().unwrap_or(&upper)),
            provider: p.id.clone(),
            name: "deployment secret".into(),
            secret: key,
            base_url,
            config: serde_json::Value::Object(config),
        });
    }
    out
}

pub fn invalidate_key_hash(hash: &str) {
    KEYS.with(|c| c.borrow_mut().remove(hash));
    MISSES.with(|c| c.borrow_mut().remove(hash));
}

pub fn invalidate_workspace(workspace_id: &str) {
    WORKSPACES.with(|c| c.borrow_mut().remove(workspace_id));
}

pub fn invalidate_domain(host: &str) {
    DOMAINS.with(|c| c.borrow_mut().remove(&host.to_ascii_lowercase()));
}

/// Drops every cached key: used when a key is revoked by id (the cache is
/// keyed by hash, which the admin path does not have).
pub fn invalidate_all_keys() {
    KEYS.with(|c| *c.borrow_mut() = TtlCache::new(10_000));
}
