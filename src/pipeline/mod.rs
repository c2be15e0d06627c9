//! The request pipeline: one path for every unified endpoint.
//!
//! ```text
//!  0 intake        request id (x-request-id when a UUID), client meta from headers → RequestContext
//!  1 authenticate  virtual key → Principal (isolate cache, then D1); custom-domain check
//!                  adds: workspace_id, key_id, agent_id, department
//!  2 resolve       body parsed (JSON object, `model`) → provider, upstream model id, credential,
//!                  base URL; endpoint support and the key's model policy checked
//!                  adds: requested_model, provider, model
//!  3 govern        the key's rate-limit windows taken in its `Limiter` Durable Object
//!                  adds: policy decisions, alephant-ratelimit-* headers; full → 429
//!  5 dispatch      adapter builds the upstream request; sent with a per-attempt timeout;
//!                  non-2xx → the provider's error, status kept
//!                  adds: attempts, provider_request_id, upstream timings, stream
//!  6 respond       JSON passed through byte for byte, or SSE pumped chunk by chunk
//!                  adds: usage, cost, first_token_ms, status
//!  7 settle        (wait_until) log record → LOGS queue → D1
//! ```
//! Stages 1–5 may end the request early with an OpenAI-shaped error; the
//! log record is written for every request that reached a workspace.

pub mod body;
pub mod context;
pub mod intake;
pub mod models;
pub mod resolve;

#[cfg(target_arch = "wasm32")]
mod authenticate;
#[cfg(target_arch = "wasm32")]
mod dispatch;
#[cfg(target_arch = "wasm32")]
pub mod respond;
#[cfg(target_arch = "wasm32")]
pub mod settle;

#[cfg(target_arch = "wasm32")]
pub use edge::{handle_models, handle_unified};

#[cfg(target_arch = "wasm32")]
mod edge {
    use super::context::{ClientMeta, RequestContext};
    use super::respond::{fail, json_answer, stream_answer};
    use super::{authenticate, body, dispatch, models, resolve};
    use crate::api::client_ip::parse_trusted;
    use crate::api::headers::{client_request_id, forward_on_unified, X_REQUEST_ID};
    use crate::api::routes::Endpoint;
    use crate::catalog::catalog;
    use crate::providers::openai_compat::stream::StreamObserver;
    use crate::runtime::config::Config;
    use crate::runtime::http::{self, ErrorShape};
    use crate::runtime::{new_request_id, now_ms};
    use crate::store::config as store;
    use worker::{Context, Env, Request, Response};

    /// Stage 0: a context for a new request.
    fn intake(req: &Request, env: &Env, endpoint: Endpoint) -> (RequestContext, Vec<(String, String)>) {
        let headers: Vec<(String, String)> = req.headers().entries().collect();
        let trusted = env.var("TRUSTED_PROXIES").map(|v| parse_trusted(&v.to_string())).unwrap_or_default();
        let meta = ClientMeta::from_headers(&headers, &trusted);
        let client_id = headers.iter().find(|(k, _)| k == X_REQUEST_ID).map(|(_, v)| v.as_str());
        let id = client_request_id(client_id).unwrap_or_else(new_request_id);
        (RequestContext::new(id, now_ms(), endpoint, meta), headers)
    }

    pub async fn handle_unified(mut req: Request, env: &Env, ctx: &Context, endpoint: Endpoint) -> Response {
        let cfg = Config::from_env(env);
        let (mut rc, headers) = intake(&req, env, endpoint.clone());

        let principal = match authenticate::authenticate(&req, env, &cfg, &mut rc).await {
            Ok(p) => p,
            Err(e) => return fail(rc, e, env, ctx, ErrorShape::OpenAi),
        };
        let bytes = match http::read_body(&mut req, cfg.max_body_bytes).await {
            Ok(b) => b,
            Err(e) => return fail(rc, e, env, ctx, ErrorShape::OpenAi),
        };
        let parsed = match body::parse(&bytes) {
            Ok(p) => p,
            Err(e) => return fail(rc, e, env, ctx, ErrorShape::OpenAi),
        };
        drop(bytes);
        rc.requested_model = Some(parsed.model.clone());
        if rc.meta.user_id.is_none() {
            rc.meta.user_id = parsed.user.clone();
        }
        let workspace = match store::workspace_config(env, &cfg, &principal.workspace_id, rc.started_ms).await {
            Ok(w) => w,
            Err(e) => return fail(rc, e, env, ctx, ErrorShape::OpenAi),
        };
        let selected = match resolve::select(catalog(), &workspace, &principal, &endpoint, &parsed.model) {
            Ok(s) => s,
            Err(e) => return fail(rc, e, env, ctx, ErrorShape::OpenAi),
        };
        rc.provider = Some(selected.resolved.provider.id.clone());
        rc.model = Some(selected.resolved.model_id.to_string());
        if let Err(e) = crate::governance::limits::enforce(env, &principal, &mut rc).await {
            return fail(rc, e, env, ctx, ErrorShape::OpenAi);
        }
        let model_spec = selected.resolved.model.cloned();

        let forwarded: Vec<(String, String)> =
            headers.into_iter().filter(|(k, _)| forward_on_unified(k)).collect();
        let outcome =
            dispatch::dispatch(&mut rc, &selected, &endpoint, parsed.object, &forwarded, cfg.upstream_timeout_ms).await;
        match outcome {
            Ok((upstream, plan)) if plan.stream => {
                let observer = Box::new(StreamObserver::new(plan.strip_usage_chunk));
                stream_answer(upstream, rc, observer, model_spec, env, ctx)
            }
            Ok((upstream, _)) => json_answer(upstream, rc, model_spec, env, ctx).await,
            Err(e) => fail(rc, e, env, ctx, ErrorShape::OpenAi),
        }
    }

    /// `GET /v1/models` and `GET /v1/models/{id}`: what this key may call.
    pub async fn handle_models(req: Request, env: &Env, endpoint: Endpoint) -> Response {
        let cfg = Config::from_env(env);
        let (mut rc, _) = intake(&req, env, endpoint.clone());
        let principal = match authenticate::authenticate(&req, env, &cfg, &mut rc).await {
            Ok(p) => p,
            Err(e) => return http::error(&e, Some(&rc.id), ErrorShape::OpenAi),
        };
        let workspace = match store::workspace_config(env, &cfg, &principal.workspace_id, rc.started_ms).await {
            Ok(w) => w,
            Err(e) => return http::error(&e, Some(&rc.id), ErrorShape::OpenAi),
        };
        match &endpoint {
            Endpoint::RetrieveModel(id) => match models::retrieve(&principal, &workspace, id) {
                Ok(m) => http::json_value(200, &m, Some(&rc.id)),
                Err(e) => http::error(&e, Some(&rc.id), ErrorShape::OpenAi),
            },
            _ => http::json_value(200, &models::list(&principal, &workspace), Some(&rc.id)),
        }
    }
}
