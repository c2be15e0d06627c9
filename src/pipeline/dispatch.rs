//! Stage 5: build the upstream request with the provider's adapter, send it
//! within the per-attempt timeout, and classify the answer. A non-2xx answer
//! becomes the provider's error in the gateway's shape, status kept.

use super::context::RequestContext;
use super::resolve::Selected;
use crate::api::error::{GatewayError, GatewayResult};
use crate::api::headers::PROVIDER_REQUEST_ID_HEADERS;
use crate::api::routes::Endpoint;
use crate::observe::log_record::Attempt;
use crate::providers::openai_compat::request::{self as openai_request, StreamPlan};
use crate::providers::{upstream_error, Target};
use crate::runtime::http::{send, SendFailure, UpstreamResponse};
use crate::runtime::now_ms;
use crate::util::json_object::JsonObject;

/// Most of an error body worth reading; anything longer is cut.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn dispatch(
    rc: &mut RequestContext,
    selected: &Selected<'_>,
    endpoint: &Endpoint,
    body: JsonObject,
    forwarded: &[(String, String)],
    timeout_ms: u64,
) -> GatewayResult<(UpstreamResponse, StreamPlan)> {
    let target = Target {
        provider: selected.resolved.provider,
        model_id: selected.resolved.model_id,
        base_url: selected.base_url,
        secret: selected.secret(),
    };
    let (upstream, plan) = openai_request::build(endpoint, body, &target, forwarded)?;
    rc.stream = plan.stream;

    let started = now_ms();
    rc.upstream_started_ms.get_or_insert(started);
    let mut attempt = Attempt {
        provider: target.provider.id.clone(),
        model: target.model_id.to_string(),
        ..Default::default()
    };
    let result = send(&upstream, timeout_ms).await;
    let answered = now_ms();
    attempt.latency_ms = answered.saturating_sub(started);
    rc.upstream_headers_ms = Some(answered);

    let response = match result {
        Ok(r) => r,
        Err(failure) => {
            let e = match failure {
                SendFailure::Timeout => GatewayError::gateway_timeout(format!(
                    "{} did not answer within {} ms.",
                    target.provider.id, timeout_ms
                )),
                SendFailure::Network(_) => GatewayError::bad_gateway(
                    "upstream_unreachable",
                    format!("Could not connect to {}.", target.provider.id),
                ),
                SendFailure::Invalid(why) => GatewayError::bad_gateway(
                    "upstream_request_invalid",
                    format!("The request to {} could not be built: {why}.", target.provider.id),
                ),
            };
            attempt.error = Some(e.code.clone());
            rc.attempts.push(attempt);
            return Err(e);
        }
    };

    let status = response.status();
    attempt.status = status;
    rc.provider_request_id = PROVIDER_REQUEST_ID_HEADERS.iter().find_map(|h| response.header(h));

    if !(200..300).contains(&status) {
        let retry_after = response.header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
        let mut bytes = response.bytes().await.map(|(_, copy)| copy).unwrap_or_default();
        bytes.truncate(MAX_ERROR_BODY);
        let mut e = upstream_error::normalize(status, &bytes, &target.provider.id, target.secret);
        e.retry_after = retry_after;
        attempt.error = Some(e.code.clone());
        rc.attempts.push(attempt);
        return Err(e);
    }
    rc.attempts.push(attempt);
    Ok((response, plan))
}
