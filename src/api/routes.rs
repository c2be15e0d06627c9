//! Path matching: one table from (method, path) to what the gateway does.
//!
//! `/ai/*` is an alias of `/v1/*`. Every unknown path or wrong method is an
//! OpenAI-shaped 404 / 405, never a fall-through.

use crate::catalog::catalog;
pub use crate::core::endpoint::Endpoint;
use crate::core::error::{GatewayError, ErrorCode};
use crate::util::url_path::percent_decode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    /// `/`: the health answer for clients, the console for browsers.
    Home,
    /// `/console` without its slash (Static Assets serve `/console/*`).
    ConsoleRoot,
    /// CORS preflight for any path.
    Preflight,
    Unified(Endpoint),
    /// `/router/{id}/v1/…`: a unified endpoint through a named router.
    Router { router: String, endpoint: Endpoint },
    /// `/admin/...`: the segments after `/admin`, already split.
    Admin(Vec<String>),
}

/// Matches a request. `path` is the URL path without the query string.
pub fn route(method: &str, path: &str) -> Result<Route, GatewayError> {
    if method.eq_ignore_ascii_case("OPTIONS") {
        return Ok(Route::Preflight);
    }
    let trimmed = path.trim_end_matches('/');
    let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
    match segments.as_slice() {
        ["health"] => expect(method, "GET", Route::Health),
        [] => expect(method, "GET", Route::Home),
        ["console"] if !path.ends_with('/') => expect(method, "GET", Route::ConsoleRoot),
        ["admin", rest @ ..] => Ok(Route::Admin(rest.iter().map(|s| s.to_string()).collect())),
        [prefix, rest @ ..] if *prefix == "v1" || *prefix == "ai" => unified(method, rest, path),
        ["router", id, prefix, rest @ ..] if !id.is_empty() && (*prefix == "v1" || *prefix == "ai") => {
            match unified(method, rest, path)? {
                Route::Unified(endpoint @ (Endpoint::ListModels | Endpoint::RetrieveModel(_))) => Ok(Route::Unified(endpoint)),
                Route::Unified(endpoint) => Ok(Route::Router { router: percent_decode(id), endpoint }),
                other => Ok(other),
            }
        }
        [provider, rest @ ..] if !rest.is_empty() => match catalog().provider(provider) {
            Some(spec) => {
                let prefix_len = provider.len() + 1;
                Ok(Route::Unified(Endpoint::Passthrough { provider: spec.id.clone(), path: path[prefix_len..].to_string() }))
            }
            None => Err(not_found(path)),
        },
        _ => Err(not_found(path)),
    }
}

fn unified(method: &str, rest: &[&str], path: &str) -> Result<Route, GatewayError> {
    let endpoint = match rest {
        ["chat", "completions"] => Endpoint::ChatCompletions,
        ["completions"] => Endpoint::Completions,
        ["embeddings"] => Endpoint::Embeddings,
        ["responses"] => Endpoint::Responses,
        ["messages"] => Endpoint::Messages,
        ["messages", "count_tokens"] => Endpoint::CountTokens,
        ["images", "generations"] => Endpoint::ImagesGenerations,
        ["usage-events"] => Endpoint::UsageEvents,
        ["models"] => return expect(method, "GET", Route::Unified(Endpoint::ListModels)),
        ["models", id @ ..] if !id.is_empty() => {
            // SDKs percent-encode the '/' inside `provider/model` ids.
            let id = percent_decode(&id.join("/"));
            return expect(method, "GET", Route::Unified(Endpoint::RetrieveModel(id)));
        }
        _ => return Err(not_found(path)),
    };
    expect(method, "POST", Route::Unified(endpoint))
}

fn expect(method: &str, allowed: &str, route: Route) -> Result<Route, GatewayError> {
    if method.eq_ignore_ascii_case(allowed) || (allowed == "GET" && method.eq_ignore_ascii_case("HEAD")) {
        Ok(route)
    } else {
        Err(GatewayError::method_not_allowed(allowed))
    }
}

fn not_found(path: &str) -> GatewayError {
    // Echo at most a short, printable prefix of the path.
    let shown: String = path.chars().filter(|c| !c.is_control()).take(120).collect();
    GatewayError::not_found(
        ErrorCode::UnknownEndpoint,
        format!("No endpoint at '{shown}'. The gateway serves /v1/chat/completions, /v1/embeddings, /v1/models and the other OpenAI endpoints (also under /ai/)."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_endpoints_and_alias() {
        assert_eq!(route("POST", "/v1/chat/completions"), Ok(Route::Unified(Endpoint::ChatCompletions)));
        assert_eq!(route("POST", "/ai/chat/completions"), Ok(Route::Unified(Endpoint::ChatCompletions)));
        assert_eq!(route("POST", "/v1/chat/completions/"), Ok(Route::Unified(Endpoint::ChatCompletions)));
        assert_eq!(route("POST", "/v1/embeddings"), Ok(Route::Unified(Endpoint::Embeddings)));
        assert_eq!(route("GET", "/v1/models"), Ok(Route::Unified(Endpoint::ListModels)));
        assert_eq!(route("POST", "/v1/usage-events"), Ok(Route::Unified(Endpoint::UsageEvents)));
        assert_eq!(route("POST", "/v1/responses"), Ok(Route::Unified(Endpoint::Responses)));
        // Claude Code and the Anthropic SDK, pointed at the gateway.
        assert_eq!(route("POST", "/v1/messages"), Ok(Route::Unified(Endpoint::Messages)));
        assert_eq!(route("POST", "/v1/messages/count_tokens"), Ok(Route::Unified(Endpoint::CountTokens)));
        assert!(Endpoint::Messages.speaks_anthropic() && !Endpoint::Responses.speaks_anthropic());
        assert_eq!(Endpoint::Responses.max_tokens_field(), "max_output_tokens");
    }

    #[test]
    fn model_ids_may_contain_slashes() {
        assert_eq!(
            route("GET", "/v1/models/anthropic/claude-sonnet-4"),
            Ok(Route::Unified(Endpoint::RetrieveModel("anthropic/claude-sonnet-4".into())))
        );
    }

    #[test]
    fn encoded_model_ids_are_decoded() {
        assert_eq!(
            route("GET", "/v1/models/openai%2Fgpt-4o"),
            Ok(Route::Unified(Endpoint::RetrieveModel("openai/gpt-4o".into())))
        );
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }

    #[test]
    fn wrong_method_is_405() {
        let e = route("GET", "/v1/chat/completions").unwrap_err();
        assert_eq!(e.status, 405);
        assert!(e.message.contains("POST"));
        assert_eq!(route("POST", "/v1/models").unwrap_err().status, 405);
    }

    #[test]
    fn unknown_paths_are_404() {
        assert_eq!(route("POST", "/v1/nope").unwrap_err().status, 404);
        assert_eq!(route("GET", "/favicon.ico").unwrap_err().status, 404);
        assert_eq!(route("POST", "/v2/chat/completions").unwrap_err().code, "unknown_endpoint");
    }

    #[test]
    fn provider_prefixes_are_native_passthrough() {
        assert_eq!(
            route("POST", "/anthropic/v1/messages"),
            Ok(Route::Unified(Endpoint::Passthrough { provider: "anthropic".into(), path: "/v1/messages".into() }))
        );
        assert_eq!(
            route("POST", "/google/v1beta/models/gemini-2.5-flash:generateContent"),
            Ok(Route::Unified(Endpoint::Passthrough {
                provider: "gemini".into(),
                path: "/v1beta/models/gemini-2.5-flash:generateContent".into()
            }))
        );
        assert_eq!(route("GET", "/openai/v1/models").unwrap(), Route::Unified(Endpoint::Passthrough { provider: "openai".into(), path: "/v1/models".into() }));
        assert_eq!(route("POST", "/anthropic").unwrap_err().status, 404);
        assert_eq!(route("POST", "/nosuchprovider/v1/x").unwrap_err().status, 404);
    }

    #[test]
    fn router_paths() {
        assert_eq!(
            route("POST", "/router/main/v1/chat/completions"),
            Ok(Route::Router { router: "main".into(), endpoint: Endpoint::ChatCompletions })
        );
        assert_eq!(route("GET", "/router/main/v1/models"), Ok(Route::Unified(Endpoint::ListModels)));
        assert_eq!(route("GET", "/router/main/v1/chat/completions").unwrap_err().status, 405);
        assert_eq!(route("POST", "/router/main/v2/x").unwrap_err().status, 404);
    }

    #[test]
    fn health_admin_and_preflight() {
        assert_eq!(route("GET", "/health"), Ok(Route::Health));
        assert_eq!(route("GET", "/"), Ok(Route::Home));
        assert_eq!(route("GET", "/console"), Ok(Route::ConsoleRoot));
        assert_eq!(route("OPTIONS", "/v1/chat/completions"), Ok(Route::Preflight));
        assert_eq!(route("GET", "/admin/workspaces"), Ok(Route::Admin(vec!["workspaces".into()])));
    }
}
