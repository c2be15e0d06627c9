//! Stage 0 at the edge: a request id and the client's headers read once.

use super::context::{ClientMeta, RequestContext};
use crate::api::client_ip::parse_trusted;
use crate::core::headers::{client_request_id, X_REQUEST_ID};
use crate::core::endpoint::Endpoint;
use crate::runtime::config::{secret, test_hooks};
use crate::runtime::{new_request_id, now_ms};
use crate::runtime::client_request::ClientRequest;
use worker::Env;

/// A context for a new request.
pub fn intake(req: &ClientRequest, env: &Env, endpoint: Endpoint) -> RequestContext {
    let headers = &req.headers;
    let trusted = secret(env, "TRUSTED_PROXIES").map(|v| parse_trusted(&v)).unwrap_or_default();
    let meta = ClientMeta::from_headers(headers, &trusted);
    let client_id = headers.iter().find(|(k, _)| k == X_REQUEST_ID).map(|(_, v)| v.as_str());
    let mut rc = RequestContext::new(new_request_id(), now_ms(), endpoint, meta);
    rc.client_request_id = client_request_id(client_id);
    if test_hooks(env) {
        rc.test_fault = headers.iter().find(|(k, _)| k == "alephant-test-fault").map(|(_, v)| v.clone());
    }
    rc
}
