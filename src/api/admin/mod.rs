//! The admin API under `/admin/…`, authenticated by the master key, a
//! workspace admin token, a console session or Cloudflare Access; what a
//! workspace role may call is `crate::auth::admin_access`.
//! Every change writes an audit event in the same D1 batch as the change.
//! Described in `schema/openapi.yaml`.

pub mod input;

#[cfg(target_arch = "wasm32")]
mod access;
#[cfg(target_arch = "wasm32")]
mod analytics;
#[cfg(target_arch = "wasm32")]
mod audit;
#[cfg(target_arch = "wasm32")]
mod cache;
#[cfg(target_arch = "wasm32")]
mod governance;
#[cfg(target_arch = "wasm32")]
mod handlers;
#[cfg(target_arch = "wasm32")]
mod log_sink;
#[cfg(target_arch = "wasm32")]
mod logs;
#[cfg(target_arch = "wasm32")]
mod members;
#[cfg(target_arch = "wasm32")]
mod prompts;
#[cfg(target_arch = "wasm32")]
mod resources;
#[cfg(target_arch = "wasm32")]
mod routers;
#[cfg(target_arch = "wasm32")]
mod session;
#[cfg(target_arch = "wasm32")]
mod sessions;
#[cfg(target_arch = "wasm32")]
mod support;

#[cfg(target_arch = "wasm32")]
pub use handlers::handle;

#[cfg(test)]
mod tests {
    /// Every route of the admin table (handlers.rs) and of the unified API
    /// is described in schema/openapi.yaml.
    #[test]
    fn every_route_is_documented() {
        let spec = include_str!("../../../schema/openapi.yaml");
        for path in [
            "/health",
            "/v1/chat/completions",
            "/v1/completions",
            "/v1/embeddings",
            "/v1/responses",
            "/v1/images/generations",
            "/v1/models",
            "/v1/models/{model}",
            "/admin/providers",
            "/admin/workspaces",
            "/admin/workspaces/{workspace}",
            "/admin/workspaces/{workspace}/providers",
            "/admin/workspaces/{workspace}/providers/{id}",
            "/admin/workspaces/{workspace}/provider-keys",
            "/admin/workspaces/{workspace}/provider-keys/{id}",
            "/admin/workspaces/{workspace}/routers",
            "/admin/workspaces/{workspace}/routers/{router}",
            "/admin/workspaces/{workspace}/prompts",
            "/admin/workspaces/{workspace}/prompts/{prompt}",
            "/admin/workspaces/{workspace}/prompts/{prompt}/versions",
            "/admin/workspaces/{workspace}/prompts/{prompt}/versions/{version}",
            "/admin/workspaces/{workspace}/virtual-keys",
            "/admin/workspaces/{workspace}/virtual-keys/{id}",
            "/admin/workspaces/{workspace}/virtual-keys/{id}/revoke",
            "/admin/workspaces/{workspace}/policies",
            "/admin/workspaces/{workspace}/policies/{scope_type}/{scope_id}",
            "/admin/workspaces/{workspace}/budgets",
            "/admin/workspaces/{workspace}/budgets/{id}",
            "/admin/workspaces/{workspace}/agents",
            "/admin/workspaces/{workspace}/domains",
            "/admin/workspaces/{workspace}/domains/{hostname}",
            "/admin/workspaces/{workspace}/cache",
            "/admin/workspaces/{workspace}/cache/purge",
            "/admin/workspaces/{workspace}/log-sink",
            "/v1/usage-events",
            "/admin/workspaces/{workspace}/audit-events",
            "/admin/session",
            "/admin/workspaces/{workspace}/tokens",
            "/admin/workspaces/{workspace}/tokens/{id}/revoke",
            "/admin/workspaces/{workspace}/members",
            "/admin/workspaces/{workspace}/members/{email}",
            "/admin/workspaces/{workspace}/logs",
            "/admin/workspaces/{workspace}/logs/{id}",
            "/admin/workspaces/{workspace}/analytics",
            "/admin/workspaces/{workspace}/sessions",
            "/admin/workspaces/{workspace}/sessions/{session_id}",
            "/admin/workspaces/{workspace}/runs",
            "/admin/workspaces/{workspace}/agents/{agent_id}/summary",
        ] {
            assert!(spec.contains(&format!("\n  {path}:\n")), "{path} is not in schema/openapi.yaml");
        }
    }
}
