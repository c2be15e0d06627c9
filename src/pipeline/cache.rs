//! Stage 4, the cache, at the edge: after governance admitted the request
//! and before any provider is called. `lookup` tries the exact cache, then
//! the semantic cache, then joins (or leads) a coalesced flight; `land`
//! runs in stage 7 and stores a missed request's complete answer, hands it
//! to the flight's followers, and files its vector. Every step fails open
//! and notes why in the request's log row.

use super::context::RequestContext;
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::util::json_object::JsonObject;
use crate::core::endpoint::Endpoint;
use crate::cache::coalesce::{ClaimReply, CoalesceCall};
use crate::cache::entry::{Pick, StoredAnswer, MAX_ANSWER_BYTES};
use crate::cache::key::{self, KeyScope};
use crate::cache::options::{self, CacheOptions};
use crate::cache::serve::{serve, Served, Wanted};
use crate::cache::state::{CacheState, CacheStatus, SavePlan};
use crate::cache::vector::{self, VectorMeta, VectorQuery, VectorRecord};
use crate::cache::{embed, index, kv};
use crate::governance::scope_policy::EffectivePolicy;
use crate::runtime::config::{test_hooks, Config};
use crate::runtime::durable::{self, within};
use crate::runtime::now_ms;
use crate::store::records::WorkspaceConfig;
use serde_json::{Map, Value};
use worker::Env;

pub const CACHE: &str = "alephant-cache";
pub const CACHE_LATENCY: &str = "alephant-cache-latency";
pub const CACHE_BUCKET_IDX: &str = "alephant-cache-bucket-idx";
pub const CACHE_SIMILARITY: &str = "alephant-cache-similarity";
/// Test deployments only (`ALLOW_TEST_HOOKS`): `kv-read` makes the cache read fail.
const TEST_FAULT: &str = "alephant-test-fault";
const COALESCER: &str = "COALESCER";

/// A stored answer, ready for this request.
pub struct Hit {
    pub served: Served,
}

/// What the cache needs to know about the request.
pub struct Lookup<'a> {
    pub env: &'a Env,
    pub cfg: &'a Config,
    pub workspace: &'a WorkspaceConfig,
    pub policy: &'a EffectivePolicy,
    pub headers: &'a [(String, String)],
    pub body: &'a JsonObject,
    /// `provider/model`, or `router:<id>@<version>`.
    pub target: &'a str,
}

fn cacheable(endpoint: &Endpoint) -> bool {
    matches!(endpoint, Endpoint::ChatCompletions | Endpoint::Completions | Endpoint::Embeddings)
}

fn fault(l: &Lookup, what: &str) -> bool {
    test_hooks(l.env) && l.headers.iter().any(|(k, v)| k == TEST_FAULT && v.split(',').any(|f| f.trim() == what))
}

fn random() -> f64 {
    js_sys::Math::random()
}

/// Looks the request up; `Some` is the answer to serve. A miss leaves a
/// save plan in `rc.cache` for `land`.
pub async fn lookup(rc: &mut RequestContext, l: &Lookup<'_>) -> GatewayResult<Option<Hit>> {
    if !cacheable(&rc.endpoint) {
        if options::asks_for_cache(l.headers) {
            let mut state = CacheState::new(CacheStatus::Bypass);
            state.notes.push(format!("the {} endpoint is not cached", rc.endpoint.name()));
            rc.response_headers.push((CACHE.into(), CacheStatus::Bypass.as_str().into()));
            rc.cache = Some(state);
        }
        return Ok(None);
    }
    let Some(opts) = options::resolve(l.headers, &l.policy.cache_defaults())? else { return Ok(None) };
    let started = now_ms();
    let endpoint = rc.endpoint.name();
    let value = l.body.to_value().map_err(|_| GatewayError::invalid_request(ErrorCode::InvalidJson, "The request body is not valid JSON."))?;
    let Value::Object(body) = value else { return Ok(None) };
    let canonical = key::canonical_body(&body);
    let scope = KeyScope {
        workspace_id: &l.workspace.workspace_id,
        generation: l.workspace.cache_generation,
        endpoint,
        target: l.target,
        seed: opts.seed.as_deref(),
    };
    let exact = key::exact_key(&scope, &canonical);
    let kv_key = key::kv_key(&l.workspace.workspace_id, &exact);
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let include_usage = body.get("stream_options").and_then(|o| o.get("include_usage")).and_then(Value::as_bool).unwrap_or(false);
    let wanted = Wanted::for_endpoint(endpoint, stream, include_usage);

    let mut state = CacheState::new(if opts.read { CacheStatus::Miss } else { CacheStatus::Bypass });
    state.key = Some(exact.clone());
    let mut plan = SavePlan {
        kv_key: kv_key.clone(),
        store: opts.save,
        ttl_seconds: opts.ttl_seconds,
        bucket_max: opts.bucket_max,
        vector: None,
        lease: None,
    };
    let mut bucket_idx = None;

    if opts.read {
        let read = if fault(l, "kv-read") { Err("kv read failed: injected fault".into()) } else { kv::read(l.env, &kv_key, l.cfg.cache_lookup_timeout_ms).await };
        match read {
            Ok(Some(bucket)) => match bucket.pick(opts.bucket_max, now_ms(), random()) {
                Pick::Hit { index, answer } => match serve(answer, wanted) {
                    Some(served) => {
                        let answer = answer.clone();
                        return Ok(Some(hit(rc, state, &answer, served, CacheStatus::Hit, started, Some(index), None)));
                    }
                    None => state.notes.push("the stored answer cannot be served in the form asked for".into()),
                },
                Pick::Miss { next_index } => bucket_idx = Some(next_index),
            },
            Ok(None) => bucket_idx = Some(0),
            // Fail open: the provider answers, the log says why the cache did not.
            Err(why) => state.notes.push(why),
        }
        if opts.semantic.is_some() {
            let request = Request { opts: &opts, scope: &scope, canonical: &canonical, body: &body, exact: &exact, kv_key: &kv_key, wanted };
            if let Some(found) = semantic(rc, l, &request, &mut state, &mut plan, started).await {
                return Ok(Some(found));
            }
        }
        if opts.coalesce && opts.bucket_max == 1 {
            if let Some(found) = coalesce(rc, l, &kv_key, wanted, &mut state, &mut plan, started).await {
                return Ok(Some(found));
            }
        }
    }
    rc.response_headers.push((CACHE.into(), state.status.as_str().into()));
    rc.response_headers.push((CACHE_LATENCY.into(), now_ms().saturating_sub(started).to_string()));
    if let (Some(i), true) = (bucket_idx, opts.bucket_max > 1) {
        rc.response_headers.push((CACHE_BUCKET_IDX.into(), i.to_string()));
    }
    state.save = Some(plan);
    rc.cache = Some(state);
    Ok(None)
}

/// The request as the semantic lookup needs it.
struct Request<'a> {
    opts: &'a CacheOptions,
    scope: &'a KeyScope<'a>,
    canonical: &'a Value,
    body: &'a Map<String, Value>,
    exact: &'a str,
    kv_key: &'a str,
    wanted: Wanted,
}

/// Marks the request as served from the cache.
#[allow(clippy::too_many_arguments)]
fn hit(
    rc: &mut RequestContext,
    mut state: CacheState,
    answer: &StoredAnswer,
    served: Served,
    status: CacheStatus,
    started: u64,
    bucket_idx: Option<usize>,
    similarity: Option<f64>,
) -> Hit {
    state.status = status;
    state.cost_saved_nanos = Some(answer.cost_nanos);
    state.notes.push(format!("answer of request {}", answer.request_id));
    rc.provider = answer.provider.clone().or(rc.provider.take());
    rc.model = answer.model.clone().or(rc.model.take());
    rc.usage = answer.usage;
    rc.stream = matches!(served, Served::Sse(_));
    rc.response_headers.push((CACHE.into(), status.as_str().into()));
    rc.response_headers.push((CACHE_LATENCY.into(), now_ms().saturating_sub(started).to_string()));
    if let Some(i) = bucket_idx {
        rc.response_headers.push((CACHE_BUCKET_IDX.into(), i.to_string()));
    }
    if let Some(s) = similarity {
        rc.response_headers.push((CACHE_SIMILARITY.into(), format!("{s:.4}")));
    }
    rc.cache = Some(state);
    Hit { served }
}

/// The semantic lookup: embed the final user turn, find the nearest
/// answer filed under the same context. On a miss, the embedding is kept
/// in the plan so the answer can be filed under it.
async fn semantic(
    rc: &mut RequestContext,
    l: &Lookup<'_>,
    r: &Request<'_>,
    state: &mut CacheState,
    plan: &mut SavePlan,
    started: u64,
) -> Option<Hit> {
    let (opts, wanted) = (r.opts, r.wanted);
    let sem = opts.semantic.as_ref()?;
    let Some(text) = key::final_user_turn(rc.endpoint.name(), r.body) else {
        state.notes.push("semantic: the request does not end with a text user turn".into());
        return None;
    };
    let ctx = key::context_hash(r.scope, r.canonical, &sem.embeddings_model);
    let timeout = l.cfg.semantic_timeout_ms;
    let embedding = match within(timeout, embed::embed(l.env, l.workspace, l.policy, sem, &text, timeout)).await {
        Some(Ok(e)) => e,
        Some(Err(why)) => {
            state.notes.push(format!("semantic: {why}"));
            return None;
        }
        None => {
            state.notes.push(format!("semantic: embedding took over {timeout} ms"));
            return None;
        }
    };
    state.lookup_cost_nanos += embedding.cost_nanos;
    let namespace = vector::namespace_for(&l.workspace.workspace_id);
    let now = now_ms();
    let query = VectorQuery { vector: embedding.values.clone(), namespace: namespace.clone(), ctx: ctx.clone(), top_k: vector::TOP_K };
    match within(timeout, index::query(l.env, &query, now)).await {
        Some(Ok((matches, backend))) => {
            if let Some((m, meta)) = vector::best_match(&matches, &ctx, sem.threshold, now) {
                let score = m.score;
                match kv::read(l.env, &meta.key, l.cfg.cache_lookup_timeout_ms).await {
                    Ok(Some(bucket)) => {
                        if let Pick::Hit { answer, .. } = bucket.pick(1, now, random()) {
                            if let Some(served) = serve(answer, wanted) {
                                let answer = answer.clone();
                                let mut st = state.clone();
                                st.notes.push(format!("semantic similarity {score:.4} ({})", backend.name()));
                                return Some(hit(rc, st, &answer, served, CacheStatus::SemanticHit, started, None, Some(score)));
                            }
                        }
                    }
                    Ok(None) => {}
                    Err(why) => state.notes.push(format!("semantic: {why}")),
                }
            }
        }
        Some(Err(why)) => state.notes.push(format!("semantic: {why}")),
        None => state.notes.push(format!("semantic: the index took over {timeout} ms")),
    }
    plan.vector = Some(VectorRecord {
        id: r.exact.to_string(),
        values: embedding.values,
        namespace,
        metadata: VectorMeta { ctx, key: r.kv_key.to_string(), exp: now + opts.ttl_seconds * 1000 },
    });
    None
}

/// Joins the key's flight: lead it (the plan gets the lease) or wait for
/// its leader's answer.
async fn coalesce(
    rc: &mut RequestContext,
    l: &Lookup<'_>,
    kv_key: &str,
    wanted: Wanted,
    state: &mut CacheState,
    plan: &mut SavePlan,
    started: u64,
) -> Option<Hit> {
    let deadline = rc.started_ms + l.cfg.request_deadline_ms;
    let wait_ms = l.cfg.coalesce_wait_ms.min(deadline.saturating_sub(now_ms()));
    let call = CoalesceCall::Claim { lease_id: rc.id.clone(), lease_ms: l.cfg.coalesce_wait_ms, wait_ms };
    match durable::call::<_, ClaimReply>(l.env, COALESCER, kv_key, &call).await {
        Ok(ClaimReply::Lead) => plan.lease = Some(rc.id.clone()),
        Ok(ClaimReply::Answer { answer }) => match serde_json::from_str::<StoredAnswer>(&answer).ok().and_then(|a| serve(&a, wanted).map(|s| (a, s))) {
            Some((answer, served)) => {
                let mut st = state.clone();
                st.notes.push("coalesced with an identical request in flight".into());
                return Some(hit(rc, st, &answer, served, CacheStatus::Hit, started, None, None));
            }
            None => state.notes.push("coalesced answer cannot be served in the form asked for".into()),
        },
        Ok(ClaimReply::FallThrough { why }) => state.notes.push(format!("coalescing: {why}")),
        Err(e) => state.notes.push(format!("coalescing unavailable: {e}")),
    }
    None
}

/// Stage 7 for the cache: a complete answer is stored, handed to the
/// followers and filed in the semantic index; any other outcome releases
/// the followers to call the provider themselves.
pub async fn land(env: &Env, rc: &mut RequestContext) {
    let (id, status, failed, usage, provider, model) =
        (rc.id.clone(), rc.status, rc.error.is_some(), rc.usage, rc.provider.clone(), rc.model.clone());
    let answer_cost = rc.cost.map_or(0, |c| c.0);
    let Some(state) = rc.cache.as_mut() else { return };
    let Some(plan) = state.save.take() else { return };
    let body = rc.answer.clone();
    let now = now_ms();
    let complete = status == 200 && !failed;
    let body = match body {
        Some(b) if complete && b.len() <= MAX_ANSWER_BYTES => b,
        other => {
            if complete {
                state.notes.push(match other {
                    Some(_) => format!("answer not stored: larger than {MAX_ANSWER_BYTES} bytes"),
                    None => "answer not stored: nothing complete to store".into(),
                });
            }
            if let Some(lease) = plan.lease {
                let call = CoalesceCall::Abandon { lease_id: lease };
                if let Err(e) = durable::call::<_, Value>(env, COALESCER, &plan.kv_key, &call).await {
                    state.notes.push(format!("coalescing: could not release followers: {e}"));
                }
            }
            return;
        }
    };
    let stored = StoredAnswer {
        body,
        usage,
        cost_nanos: answer_cost.saturating_sub(state.lookup_cost_nanos),
        provider,
        model,
        request_id: id,
        created_ms: now,
        expires_ms: now + plan.ttl_seconds * 1000,
    };
    if let Some(lease) = plan.lease {
        let call = CoalesceCall::Done {
            lease_id: lease,
            answer: serde_json::to_string(&stored).unwrap_or_default(),
            keep: plan.store,
            expires_ms: Some(stored.expires_ms),
        };
        if let Err(e) = durable::call::<_, Value>(env, COALESCER, &plan.kv_key, &call).await {
            state.notes.push(format!("coalescing: could not hand the answer over: {e}"));
        }
    }
    if !plan.store {
        return;
    }
    match kv::add(env, &plan.kv_key, stored, plan.bucket_max, now).await {
        Ok(Some(_)) => {}
        Ok(None) => state.notes.push("answer not stored: the bucket is already full".into()),
        Err(why) => {
            state.notes.push(why);
            return;
        }
    }
    if let Some(record) = plan.vector {
        if let Err(why) = index::upsert(env, &record).await {
            state.notes.push(format!("semantic: answer not filed: {why}"));
        }
    }
}
