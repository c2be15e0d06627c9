//! Cloudflare Access signing keys: the team's JWKS, fetched once and kept in
//! the isolate, and the RS256 check of an assertion with WebCrypto (no RSA
//! code in the bundle). An unknown `kid` refetches the keys (Access rotates
//! them), at most once per `REFETCH_AFTER_MS`.

use crate::auth::access_jwt::{self, Assertion};
use js_sys::{Array, Object, Reflect, Uint8Array};
use serde_json::Value;
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Keys are trusted this long before they are fetched again.
const KEEP_MS: u64 = 10 * 60 * 1000;
/// A `kid` not in the cached set refetches, but not more often than this.
const REFETCH_AFTER_MS: u64 = 30 * 1000;

thread_local! {
    static KEYS: RefCell<Option<(u64, String, Value)>> = const { RefCell::new(None) };
}

/// Checks the assertion's signature against the team's keys.
pub async fn verify(team_domain: &str, assertion: &Assertion, now_ms: u64) -> Result<(), &'static str> {
    let url = access_jwt::certs_url(team_domain);
    let cached = KEYS.with(|k| k.borrow().clone()).filter(|(at, u, _)| *u == url && now_ms.saturating_sub(*at) < KEEP_MS);
    let mut jwk = cached.as_ref().and_then(|(_, _, jwks)| access_jwt::find_key(jwks, assertion.kid.as_deref()));
    let stale = cached.as_ref().is_none_or(|(at, _, _)| now_ms.saturating_sub(*at) >= REFETCH_AFTER_MS);
    if jwk.is_none() && stale {
        let jwks = fetch_keys(&url).await?;
        jwk = access_jwt::find_key(&jwks, assertion.kid.as_deref());
        KEYS.with(|k| *k.borrow_mut() = Some((now_ms, url, jwks)));
    }
    let jwk = jwk.ok_or("the assertion is signed by a key the team does not publish")?;
    match rs256_verify(&jwk, assertion).await {
        Ok(true) => Ok(()),
        Ok(false) => Err("the assertion's signature does not match"),
        Err(_) => Err("the team's signing key could not be used"),
    }
}

async fn fetch_keys(url: &str) -> Result<Value, &'static str> {
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let resp = JsFuture::from(global.fetch_with_str(url)).await.map_err(|_| "the team's signing keys could not be fetched")?;
    let resp: web_sys::Response = resp.unchecked_into();
    if !resp.ok() {
        return Err("the team's signing keys could not be fetched");
    }
    let text = JsFuture::from(resp.text().map_err(|_| "unreadable keys")?).await.map_err(|_| "unreadable keys")?;
    serde_json::from_str(&text.as_string().unwrap_or_default()).map_err(|_| "the team's signing keys are not JSON")
}

async fn rs256_verify(jwk: &Value, assertion: &Assertion) -> Result<bool, JsValue> {
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let subtle = global.crypto()?.subtle();
    let key_data: Object = js_sys::JSON::parse(&jwk.to_string())?.unchecked_into();
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &"RSASSA-PKCS1-v1_5".into())?;
    Reflect::set(&algorithm, &"hash".into(), &"SHA-256".into())?;
    let usages = Array::of1(&"verify".into());
    let key = JsFuture::from(subtle.import_key_with_object("jwk", &key_data, &algorithm, false, &usages)?).await?;
    let signature = Uint8Array::from(assertion.signature.as_slice());
    let data = Uint8Array::from(assertion.signing_input.as_bytes());
    let ok = JsFuture::from(subtle.verify_with_object_and_buffer_source_and_buffer_source(
        &algorithm,
        key.unchecked_ref(),
        &signature,
        &data,
    )?)
    .await?;
    Ok(ok.as_bool().unwrap_or(false))
}
