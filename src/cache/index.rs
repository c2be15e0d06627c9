//! The semantic index behind one interface: Workers Vectorize (the
//! `SEMANTIC` binding) in production, or the `SemanticIndex` Durable
//! Object, which stores vectors in SQLite and searches them exactly, where
//! Vectorize is not available — `wrangler dev` has the binding but cannot
//! reach it offline. `SEMANTIC_INDEX` chooses: `vectorize`,
//! `durable-object`, or `auto` (the default: Vectorize when it is bound
//! and reachable, the object otherwise).
//!
//! With Vectorize, answers are filed per workspace namespace and found by a
//! metadata filter on `ctx`, which needs a metadata index on that property
//! (see docs/caching.md for the one-time `wrangler vectorize` commands).

use super::vector::{IndexCall, VectorMatches, VectorQuery, VectorRecord};
use crate::runtime::config::secret;
use crate::runtime::durable;
use js_sys::{Function, Promise, Reflect, JSON};
use serde::Serialize;
use std::cell::Cell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::Env;

const BINDING: &str = "SEMANTIC";
const OBJECT_BINDING: &str = "SEMANTIC_STANDIN";
/// What local dev's unconnected Vectorize binding throws: the sign to use the stand-in.
const LOCAL_ONLY: &str = "needs to be run remotely";

thread_local! {
    /// Set once `auto` found Vectorize unreachable in this isolate.
    static VECTORIZE_OFFLINE: Cell<bool> = const { Cell::new(false) };
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backend {
    Vectorize,
    DurableObject,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Vectorize => "vectorize",
            Backend::DurableObject => "durable-object",
        }
    }
}

fn binding(env: &Env) -> Option<JsValue> {
    Reflect::get(env, &JsValue::from_str(BINDING)).ok().filter(|b| !b.is_undefined() && !b.is_null())
}

fn choose(env: &Env) -> Backend {
    let setting = secret(env, "SEMANTIC_INDEX").unwrap_or_else(|| "auto".into());
    match setting.as_str() {
        "durable-object" => Backend::DurableObject,
        "vectorize" => Backend::Vectorize,
        _ if binding(env).is_none() || VECTORIZE_OFFLINE.with(Cell::get) => Backend::DurableObject,
        _ => Backend::Vectorize,
    }
}

fn js_error(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| e.as_string()).unwrap_or_else(|| "unknown error".into())
}

/// Calls `SEMANTIC.<method>(args…)` and returns its JSON result.
async fn vectorize(env: &Env, method: &str, args: &[JsValue]) -> Result<String, String> {
    let index = binding(env).ok_or("the SEMANTIC binding is missing")?;
    let f: Function = Reflect::get(&index, &JsValue::from_str(method)).map_err(js_error)?.dyn_into().map_err(|_| format!("SEMANTIC.{method} is not a function"))?;
    let array = js_sys::Array::new();
    for a in args {
        array.push(a);
    }
    let promise: Promise = f.apply(&index, &array).map_err(js_error)?.dyn_into().map_err(|_| "not a promise".to_string())?;
    let value = JsFuture::from(promise).await.map_err(js_error)?;
    JSON::stringify(&value).map(String::from).map_err(js_error)
}

fn js_json<T: Serialize>(v: &T) -> Result<JsValue, String> {
    let text = serde_json::to_string(v).map_err(|e| e.to_string())?;
    JSON::parse(&text).map_err(js_error)
}

/// Runs `op` on the chosen backend; under `auto`, a Vectorize binding that
/// only works remotely switches this isolate to the stand-in.
async fn on_backend<T>(
    env: &Env,
    op: impl AsyncFn(Backend) -> Result<T, String>,
) -> Result<(T, Backend), String> {
    let backend = choose(env);
    match op(backend).await {
        Err(e) if backend == Backend::Vectorize && e.contains(LOCAL_ONLY) && secret(env, "SEMANTIC_INDEX").is_none_or(|s| s == "auto") => {
            VECTORIZE_OFFLINE.with(|c| c.set(true));
            worker::console_warn!("Vectorize is not reachable here ({e}); the semantic cache uses its Durable Object stand-in");
            op(Backend::DurableObject).await.map(|t| (t, Backend::DurableObject))
        }
        other => other.map(|t| (t, backend)),
    }
}

pub async fn query(env: &Env, q: &VectorQuery, now_ms: u64) -> Result<(VectorMatches, Backend), String> {
    on_backend(env, async |backend| match backend {
        Backend::Vectorize => {
            let options = serde_json::json!({
                "topK": q.top_k,
                "namespace": q.namespace,
                "returnMetadata": "all",
                "filter": { "ctx": { "$eq": q.ctx } },
            });
            let vector = js_sys::Float32Array::from(&q.vector[..]);
            let text = vectorize(env, "query", &[vector.into(), js_json(&options)?]).await?;
            serde_json::from_str(&text).map_err(|e| format!("unexpected Vectorize answer: {e}"))
        }
        Backend::DurableObject => durable::call(env, OBJECT_BINDING, &q.namespace, &IndexCall::Query { query: q.clone(), now_ms })
            .await
            .map_err(|e| format!("semantic index object: {e}")),
    })
    .await
}

pub async fn upsert(env: &Env, record: &VectorRecord) -> Result<Backend, String> {
    on_backend(env, async |backend| match backend {
        Backend::Vectorize => {
            let vectors = js_json(&[record])?;
            vectorize(env, "upsert", &[vectors]).await.map(|_| ())
        }
        Backend::DurableObject => {
            durable::call::<_, serde_json::Value>(env, OBJECT_BINDING, &record.namespace, &IndexCall::Upsert { record: record.clone() })
                .await
                .map(|_| ())
                .map_err(|e| format!("semantic index object: {e}"))
        }
    })
    .await
    .map(|(_, b)| b)
}
