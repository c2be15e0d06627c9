//! Stage 5: send an upstream request within the per-attempt timeout and
//! classify the answer. Every attempt is recorded in the context; a non-2xx
//! answer becomes the provider's error in the gateway's shape, status kept.

use super::context::RequestContext;
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::core::headers::PROVIDER_REQUEST_ID_HEADERS;
use crate::observe::log_record::Attempt;
use crate::providers::{Target, UpstreamRequest};
use crate::runtime::http::{send, SendFailure, UpstreamResponse};
use crate::runtime::now_ms;

/// Most of an error body worth reading; anything longer is cut.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Reads a provider's error body into the gateway's error shape.
pub type ErrorReader<'a> = &'a dyn Fn(u16, &[u8]) -> GatewayError;

/// Sends one attempt and records it; any HTTP status is an answer.
pub async fn send_raw(
    rc: &mut RequestContext,
    target: &Target<'_>,
    upstream: &UpstreamRequest,
    timeout_ms: u64,
) -> GatewayResult<UpstreamResponse> {
    let started = now_ms();
    rc.upstream_started_ms.get_or_insert(started);
    let mut attempt = Attempt {
        provider: target.provider.id.clone(),
        model: target.model_id.to_string(),
        ..Default::default()
    };
    let result = send(upstream, timeout_ms).await;
    let answered = now_ms();
    attempt.latency_ms = answered.saturating_sub(started);
    rc.upstream_headers_ms = Some(answered);

    let response = match result {
        Ok(r) => r,
        Err(failure) => {
            let provider = &target.provider.id;
            let e = match failure {
                SendFailure::Timeout => {
                    GatewayError::gateway_timeout(format!("{provider} did not answer within {timeout_ms} ms."))
                }
                SendFailure::Network(_) => {
                    GatewayError::bad_gateway(ErrorCode::UpstreamUnreachable, format!("Could not connect to {provider}."))
                }
                SendFailure::Invalid(why) => GatewayError::bad_gateway(
                    ErrorCode::UpstreamRequestInvalid,
                    format!("The request to {provider} could not be built: {why}."),
                ),
            };
            attempt.error = Some(e.code.to_string());
            rc.attempts.push(attempt);
            return Err(e);
        }
    };

    attempt.status = response.status();
    if let Some(id) = PROVIDER_REQUEST_ID_HEADERS.iter().find_map(|h| response.header(h)) {
        rc.provider_request_id = Some(id);
    }
    rc.attempts.push(attempt);
    Ok(response)
}

/// Sends one attempt; a non-2xx answer becomes the provider's error.
pub async fn send_attempt(
    rc: &mut RequestContext,
    target: &Target<'_>,
    upstream: &UpstreamRequest,
    timeout_ms: u64,
    read_error: ErrorReader<'_>,
) -> GatewayResult<UpstreamResponse> {
    let response = send_raw(rc, target, upstream, timeout_ms).await?;
    let status = response.status();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    let e = error_of(&response, read_error).await;
    if let Some(attempt) = rc.attempts.last_mut() {
        attempt.error = Some(e.code.to_string());
    }
    Err(e)
}

/// The error a non-2xx answer carries, with its `retry-after`.
pub async fn error_of(response: &UpstreamResponse, read_error: ErrorReader<'_>) -> GatewayError {
    let retry_after = response.header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
    let mut bytes = response.bytes().await.map(|(_, copy)| copy).unwrap_or_default();
    bytes.truncate(MAX_ERROR_BODY);
    let mut e = read_error(response.status(), &bytes);
    e.retry_after = e.retry_after.or(retry_after);
    e
}
