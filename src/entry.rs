//! Entry points only: the fetch router, the queue consumer, and the Durable
//! Object classes the runtime instantiates.

use crate::api::routes::{route, Route};
use crate::core::endpoint::Endpoint;
use crate::runtime::client_request::ClientRequest;
use crate::runtime::http::{self, ErrorShape};
use worker::{event, Context, Env, MessageBatch, Response, Result};

// The runtime finds Durable Object classes among the module's exports.
#[allow(unused_imports)]
pub use crate::governance::limiter::Limiter;
#[allow(unused_imports)]
pub use crate::routing::health_do::Health;
#[allow(unused_imports)]
pub use crate::cache::coalescer_do::Coalescer;
#[allow(unused_imports)]
pub use crate::cache::index_do::SemanticIndex;

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The runtime's request as it is (see `runtime::client_request` for why
/// not `worker::Request`).
#[event(fetch)]
async fn fetch(raw: web_sys::Request, env: Env, ctx: Context) -> Result<Response> {
    let req = ClientRequest::new(raw);
    Ok(match route(&req.method, &req.path) {
        Ok(Route::Health) => http::json(200, br#"{"status":"ok"}"#.to_vec(), None),
        // A browser opening the gateway's address lands in the console.
        Ok(Route::Home) if req.header("accept").is_some_and(|a| a.contains("text/html")) => http::redirect("/console/"),
        Ok(Route::Home) => http::json(200, br#"{"status":"ok"}"#.to_vec(), None),
        Ok(Route::ConsoleRoot) => http::redirect("/console/"),
        Ok(Route::Preflight) => http::preflight(),
        Ok(Route::Admin(segments)) => crate::api::admin::handle(req.into_worker(), &env, &segments).await,
        Ok(Route::Unified(Endpoint::Passthrough { provider, path })) => {
            crate::pipeline::handle_passthrough(req, &env, &ctx, provider, path).await
        }
        Ok(Route::Unified(e @ (Endpoint::ListModels | Endpoint::RetrieveModel(_)))) => {
            crate::pipeline::handle_models(req, &env, e).await
        }
        Ok(Route::Unified(Endpoint::UsageEvents)) => crate::pipeline::handle_usage_events(req, &env).await,
        Ok(Route::Unified(endpoint)) => crate::pipeline::handle_unified(req, &env, &ctx, endpoint, None).await,
        Ok(Route::Router { router, endpoint }) => {
            crate::pipeline::handle_unified(req, &env, &ctx, endpoint, Some(router)).await
        }
        Err(e) => http::error(&e, None, ErrorShape::OpenAi),
    })
}

#[event(queue)]
async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> Result<()> {
    crate::observe::consumer::consume(batch, &env).await
}
