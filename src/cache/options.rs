//! What one request asks of the cache: its `alephant-cache-*` headers over
//! the defaults of its policies (key, agent, department, workspace; the
//! most specific scope that sets a field wins). A header may switch the
//! cache on or off, shorten or lengthen the TTL within the maximum, and
//! pick a seed or bucket; invalid values are the request's 400, never
//! silently ignored.

use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::core::headers::is_truthy;
use serde::{Deserialize, Serialize};

pub const ENABLED: &str = "alephant-cache-enabled";
pub const READ: &str = "alephant-cache-read";
pub const SAVE: &str = "alephant-cache-save";
pub const CONTROL: &str = "alephant-cache-control";
pub const TTL: &str = "alephant-cache-ttl";
pub const SEED: &str = "alephant-cache-seed";
pub const BUCKET_MAX_SIZE: &str = "alephant-cache-bucket-max-size";
pub const SEMANTIC_THRESHOLD: &str = "alephant-cache-semantic-threshold";
pub const EMBEDDINGS_MODEL: &str = "alephant-embeddings-model";
pub const EMBEDDINGS_KEY: &str = "alephant-embeddings-key";
pub const COALESCE: &str = "alephant-cache-coalesce";

/// An answer lives this long unless the request or a policy says otherwise.
pub const DEFAULT_TTL_SECONDS: u64 = 3_600;
/// Longer TTLs are cut to this (30 days).
pub const MAX_TTL_SECONDS: u64 = 30 * 24 * 3_600;
pub const MAX_BUCKET: u8 = 20;
/// The lowest similarity a request header may ask for: below it a
/// semantic hit could hand one user another's answer to a different
/// question. Only a policy (`cache.semantic_threshold`) sets a lower one.
pub const SEMANTIC_THRESHOLD_FLOOR: f64 = 0.9;
/// Seeds are hashed into the key; this only bounds the header.
const MAX_SEED_LEN: usize = 256;

/// Cache defaults a policy may set (`"cache": {…}` in a scope policy).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheDefaults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_max_size: Option<u8>,
    /// Turns the semantic cache on at this similarity (0 < t ≤ 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic_threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeddings_model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coalesce: Option<bool>,
}

impl CacheDefaults {
    /// Checks defaults when a policy is written: `(field, why)` on error.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if let Some(t) = self.ttl_seconds {
            if t == 0 || t > MAX_TTL_SECONDS {
                return Err(("cache.ttl_seconds".into(), format!("must be between 1 and {MAX_TTL_SECONDS}")));
            }
        }
        if let Some(b) = self.bucket_max_size {
            if b == 0 || b > MAX_BUCKET {
                return Err(("cache.bucket_max_size".into(), format!("must be between 1 and {MAX_BUCKET}")));
            }
        }
        if let Some(t) = self.semantic_threshold {
            if !(t > 0.0 && t <= 1.0) {
                return Err(("cache.semantic_threshold".into(), "must be above 0 and at most 1".into()));
            }
            if self.embeddings_model.is_none() {
                return Err(("cache.embeddings_model".into(), "is needed when semantic_threshold is set".into()));
            }
        }
        if let Some(m) = &self.embeddings_model {
            if !m.contains('/') || m.len() > 200 {
                return Err(("cache.embeddings_model".into(), "must be 'provider/model' (or 'workers-ai/@cf/…')".into()));
            }
        }
        Ok(())
    }

    /// Field by field, the first scope (most specific first) that sets it.
    pub fn merged<'a>(scopes: impl Iterator<Item = &'a CacheDefaults>) -> CacheDefaults {
        let mut out = CacheDefaults::default();
        for d in scopes {
            out.enabled = out.enabled.or(d.enabled);
            out.ttl_seconds = out.ttl_seconds.or(d.ttl_seconds);
            out.bucket_max_size = out.bucket_max_size.or(d.bucket_max_size);
            out.semantic_threshold = out.semantic_threshold.or(d.semantic_threshold);
            out.embeddings_model = out.embeddings_model.take().or_else(|| d.embeddings_model.clone());
            out.coalesce = out.coalesce.or(d.coalesce);
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SemanticOptions {
    pub threshold: f64,
    /// `provider/model`, or `workers-ai/@cf/…` for the Workers AI binding.
    pub embeddings_model: String,
    /// A provider key id of the workspace, or a raw key for the embeddings provider.
    pub embeddings_key: Option<String>,
}

/// The cache behaviour of one request whose cache is on.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheOptions {
    /// Look for a stored answer (`no-cache` / `alephant-cache-read: false` skip it).
    pub read: bool,
    /// Store this request's answer (`no-store` / `alephant-cache-save: false` skip it).
    pub save: bool,
    pub ttl_seconds: u64,
    pub bucket_max: u8,
    pub seed: Option<String>,
    pub semantic: Option<SemanticOptions>,
    /// Wait for an identical request already in flight instead of calling upstream too.
    pub coalesce: bool,
}

fn invalid(header: &str, why: &str) -> GatewayError {
    GatewayError::invalid_request(ErrorCode::InvalidCacheHeader, format!("{header}: {why}.")).with_param(header)
}

fn flag(header: &str, value: &str) -> GatewayResult<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(header, "must be true or false")),
    }
}

fn seconds(header: &str, value: &str) -> GatewayResult<u64> {
    value.trim().parse::<u64>().map_err(|_| invalid(header, "must be a whole number of seconds"))
}

/// What `alephant-cache-control` says: a TTL and the `no-cache` / `no-store` switches.
#[derive(Debug, Default, PartialEq)]
struct Control {
    max_age: Option<u64>,
    s_maxage: Option<u64>,
    no_cache: bool,
    no_store: bool,
}

fn control(value: &str) -> GatewayResult<Control> {
    let mut c = Control::default();
    for directive in value.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let (name, arg) = match directive.split_once('=') {
            Some((n, a)) => (n.trim().to_ascii_lowercase(), Some(a.trim().trim_matches('"'))),
            None => (directive.to_ascii_lowercase(), None),
        };
        match (name.as_str(), arg) {
            ("max-age", Some(a)) => c.max_age = Some(seconds(CONTROL, a)?),
            ("s-maxage", Some(a)) => c.s_maxage = Some(seconds(CONTROL, a)?),
            ("no-cache", None) => c.no_cache = true,
            ("no-store", None) => c.no_store = true,
            // Directives about shared HTTP caches change nothing here.
            ("public" | "private" | "must-revalidate" | "immutable", _) => {}
            _ => return Err(invalid(CONTROL, &format!("unknown directive '{directive}' (use max-age, s-maxage, no-cache, no-store)"))),
        }
    }
    Ok(c)
}

/// The request's cache options, or `None` when its cache is off.
pub fn resolve(headers: &[(String, String)], defaults: &CacheDefaults) -> GatewayResult<Option<CacheOptions>> {
    let get = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let threshold = match get(SEMANTIC_THRESHOLD) {
        Some(v) => {
            let t: f64 = v.trim().parse().map_err(|_| invalid(SEMANTIC_THRESHOLD, "must be a number"))?;
            if !(t > 0.0 && t <= 1.0) {
                return Err(invalid(SEMANTIC_THRESHOLD, "must be above 0 and at most 1"));
            }
            // A header may raise the threshold, never lower it below the policy's.
            Some(t.max(defaults.semantic_threshold.unwrap_or(SEMANTIC_THRESHOLD_FLOOR)))
        }
        None => defaults.semantic_threshold,
    };
    let enabled = match get(ENABLED) {
        Some(v) => flag(ENABLED, v)?,
        // Asking for a semantic threshold is asking for the cache.
        None => defaults.enabled.unwrap_or(false) || get(SEMANTIC_THRESHOLD).is_some(),
    };
    if !enabled {
        return Ok(None);
    }
    let c = get(CONTROL).map(control).transpose()?.unwrap_or_default();
    let ttl = match get(TTL) {
        Some(v) => Some(seconds(TTL, v)?),
        None => c.s_maxage.or(c.max_age),
    }
    .or(defaults.ttl_seconds)
    .unwrap_or(DEFAULT_TTL_SECONDS)
    .min(MAX_TTL_SECONDS);
    let read = !c.no_cache && get(READ).map(|v| flag(READ, v)).transpose()?.unwrap_or(true);
    // A TTL of 0 means the answer is stale at once: nothing worth storing.
    let save = !c.no_store && ttl > 0 && get(SAVE).map(|v| flag(SAVE, v)).transpose()?.unwrap_or(true);
    let bucket_max = match get(BUCKET_MAX_SIZE) {
        Some(v) => match v.trim().parse::<u8>() {
            Ok(n) if (1..=MAX_BUCKET).contains(&n) => n,
            _ => return Err(invalid(BUCKET_MAX_SIZE, &format!("must be a whole number from 1 to {MAX_BUCKET}"))),
        },
        None => defaults.bucket_max_size.unwrap_or(1),
    };
    let seed = match get(SEED) {
        Some(s) if s.len() > MAX_SEED_LEN => return Err(invalid(SEED, &format!("must be at most {MAX_SEED_LEN} characters"))),
        Some(s) => Some(s.to_string()),
        None => None,
    };
    let semantic = match threshold {
        Some(threshold) => {
            let model = get(EMBEDDINGS_MODEL).map(|m| m.trim().to_string()).or_else(|| defaults.embeddings_model.clone());
            let embeddings_model = match model {
                Some(m) if m.contains('/') => m,
                Some(_) => return Err(invalid(EMBEDDINGS_MODEL, "must be 'provider/model' (or 'workers-ai/@cf/…')")),
                None => {
                    return Err(invalid(
                        SEMANTIC_THRESHOLD,
                        "the semantic cache needs an embeddings model: set alephant-embeddings-model (or a policy's cache.embeddings_model)",
                    ))
                }
            };
            let embeddings_key = get(EMBEDDINGS_KEY).map(|k| k.trim().to_string()).filter(|k| !k.is_empty());
            Some(SemanticOptions { threshold, embeddings_model, embeddings_key })
        }
        None => None,
    };
    let coalesce = get(COALESCE).map(|v| flag(COALESCE, v)).transpose()?.or(defaults.coalesce).unwrap_or(true);
    Ok(Some(CacheOptions { read, save, ttl_seconds: ttl, bucket_max, seed, semantic, coalesce }))
}

/// True when any header asks something of the cache (for requests on
/// endpoints the cache does not serve, which then say BYPASS).
pub fn asks_for_cache(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(k, v)| (k == ENABLED && is_truthy(Some(v))) || k == SEMANTIC_THRESHOLD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn off_unless_asked() {
        assert_eq!(resolve(&h(&[]), &CacheDefaults::default()).unwrap(), None);
        assert_eq!(resolve(&h(&[(ENABLED, "false")]), &CacheDefaults::default()).unwrap(), None);
        let on = resolve(&h(&[(ENABLED, "true")]), &CacheDefaults::default()).unwrap().unwrap();
        assert!(on.read && on.save && on.coalesce);
        assert_eq!((on.ttl_seconds, on.bucket_max), (DEFAULT_TTL_SECONDS, 1));
    }

    #[test]
    fn policy_default_and_header_override() {
        let d = CacheDefaults { enabled: Some(true), ttl_seconds: Some(120), ..Default::default() };
        assert_eq!(resolve(&h(&[]), &d).unwrap().unwrap().ttl_seconds, 120);
        assert_eq!(resolve(&h(&[(ENABLED, "no")]), &d).unwrap(), None);
        assert_eq!(resolve(&h(&[(CONTROL, "max-age=30")]), &d).unwrap().unwrap().ttl_seconds, 30);
    }

    #[test]
    fn cache_control_directives() {
        let on = |extra: &[(&str, &str)]| {
            let mut v = h(&[(ENABLED, "1")]);
            v.extend(h(extra));
            resolve(&v, &CacheDefaults::default())
        };
        assert_eq!(on(&[(CONTROL, "max-age=60, s-maxage=600")]).unwrap().unwrap().ttl_seconds, 600);
        assert_eq!(on(&[(CONTROL, "max-age=99999999999")]).unwrap().unwrap().ttl_seconds, MAX_TTL_SECONDS);
        let r = on(&[(CONTROL, "no-cache")]).unwrap().unwrap();
        assert!(!r.read && r.save);
        let r = on(&[(CONTROL, "no-store")]).unwrap().unwrap();
        assert!(r.read && !r.save);
        assert!(!on(&[(CONTROL, "max-age=0")]).unwrap().unwrap().save);
        assert_eq!(on(&[(TTL, "90"), (CONTROL, "max-age=5")]).unwrap().unwrap().ttl_seconds, 90);
        let e = on(&[(CONTROL, "max-age=soon")]).unwrap_err();
        assert_eq!((e.status, e.param.as_deref()), (400, Some(CONTROL)));
        assert!(on(&[(CONTROL, "stale-while-revalidate=5")]).is_err());
    }

    #[test]
    fn read_and_save_switches() {
        let r = resolve(&h(&[(ENABLED, "true"), (READ, "false")]), &CacheDefaults::default()).unwrap().unwrap();
        assert!(!r.read && r.save);
        let r = resolve(&h(&[(ENABLED, "true"), (SAVE, "0")]), &CacheDefaults::default()).unwrap().unwrap();
        assert!(r.read && !r.save);
        assert!(resolve(&h(&[(ENABLED, "maybe")]), &CacheDefaults::default()).is_err());
    }

    #[test]
    fn buckets_are_bounded() {
        let b = |v: &str| resolve(&h(&[(ENABLED, "true"), (BUCKET_MAX_SIZE, v)]), &CacheDefaults::default());
        assert_eq!(b("3").unwrap().unwrap().bucket_max, 3);
        assert_eq!(b("20").unwrap().unwrap().bucket_max, 20);
        for bad in ["0", "21", "x", "-1"] {
            assert_eq!(b(bad).unwrap_err().param.as_deref(), Some(BUCKET_MAX_SIZE), "{bad}");
        }
    }

    #[test]
    fn semantic_needs_a_model_and_a_sane_threshold() {
        let d = CacheDefaults::default();
        let s = resolve(&h(&[(SEMANTIC_THRESHOLD, "0.9"), (EMBEDDINGS_MODEL, "openai/text-embedding-3-small")]), &d)
            .unwrap()
            .unwrap();
        let sem = s.semantic.unwrap();
        assert_eq!((sem.threshold, sem.embeddings_model.as_str()), (0.9, "openai/text-embedding-3-small"));
        assert!(resolve(&h(&[(SEMANTIC_THRESHOLD, "0.9")]), &d).is_err());
        assert!(resolve(&h(&[(SEMANTIC_THRESHOLD, "1.5"), (EMBEDDINGS_MODEL, "openai/x")]), &d).is_err());
        assert!(resolve(&h(&[(SEMANTIC_THRESHOLD, "0"), (EMBEDDINGS_MODEL, "openai/x")]), &d).is_err());
        let pd = CacheDefaults { semantic_threshold: Some(0.8), embeddings_model: Some("openai/e".into()), ..Default::default() };
        assert_eq!(resolve(&h(&[]), &pd).unwrap(), None, "a default threshold alone does not turn the cache on");
        let with = resolve(&h(&[(ENABLED, "true")]), &pd).unwrap().unwrap();
        assert_eq!(with.semantic.unwrap().threshold, 0.8);
    }

    #[test]
    fn a_header_can_raise_the_threshold_never_lower_it() {
        let m = (EMBEDDINGS_MODEL, "openai/e");
        let t = |v: &str, d: &CacheDefaults| resolve(&h(&[(SEMANTIC_THRESHOLD, v), m]), d).unwrap().unwrap().semantic.unwrap().threshold;
        let none = CacheDefaults::default();
        assert_eq!(t("0.0001", &none), SEMANTIC_THRESHOLD_FLOOR);
        assert_eq!(t("0.97", &none), 0.97);
        let policy = CacheDefaults { semantic_threshold: Some(0.95), embeddings_model: Some("openai/e".into()), ..Default::default() };
        assert_eq!(t("0.91", &policy), 0.95);
        let lower = CacheDefaults { semantic_threshold: Some(0.8), embeddings_model: Some("openai/e".into()), ..Default::default() };
        assert_eq!(t("0.5", &lower), 0.8, "a policy may set a lower floor");
    }

    #[test]
    fn most_specific_scope_wins_per_field() {
        let key = CacheDefaults { ttl_seconds: Some(10), ..Default::default() };
        let ws = CacheDefaults { enabled: Some(true), ttl_seconds: Some(99), ..Default::default() };
        let m = CacheDefaults::merged([&key, &ws].into_iter());
        assert_eq!((m.enabled, m.ttl_seconds), (Some(true), Some(10)));
    }

    #[test]
    fn defaults_are_validated() {
        assert!(CacheDefaults { ttl_seconds: Some(0), ..Default::default() }.validate().is_err());
        assert!(CacheDefaults { bucket_max_size: Some(21), ..Default::default() }.validate().is_err());
        assert!(CacheDefaults { semantic_threshold: Some(0.9), ..Default::default() }.validate().is_err());
        assert!(CacheDefaults { semantic_threshold: Some(0.9), embeddings_model: Some("openai/e".into()), ..Default::default() }
            .validate()
            .is_ok());
    }
}
