//! What a request will use, estimated before it runs.
//!
//! - For rate limits, a realistic prompt size: about four bytes of request
//!   per token. Token and cent windows are corrected to the real usage
//!   once the answer is in.
//! - For budgets, the worst case the request can cost: an upper bound of
//!   the prompt (two bytes of request per token, plus 1,000 tokens per
//!   image, which are sent as short URLs or base64 but billed by size) at
//!   the input price, plus the most it can answer (`max_tokens`, else the
//!   model's maximum output, else 4,096) at the output price. A request
//!   whose real prompt exceeds that bound can overspend by the excess —
//!   the one documented way a budget can be passed.

use super::scopes::Estimates;
use crate::catalog::{pricing, ModelSpec};
use crate::core::usage::Usage;

const TOKENS_PER_IMAGE: u64 = 1_000;
const DEFAULT_MAX_OUTPUT: u64 = 4_096;

/// Image parts in a request body (OpenAI `image_url`, Anthropic/Gemini-style `image`/`inlineData`).
pub fn image_parts(body: &[u8]) -> u64 {
    // Each image part names its payload once: OpenAI's `"image_url": {…}`,
    // Gemini's `inlineData`, Anthropic's `"type": "image"` block. One pass
    // over the quotes (not one scan per spelling: this runs on every body).
    const NEEDLES: [&[u8]; 5] =
        [b"\"image_url\":", b"\"image_url\" :", b"\"inlineData\"", b"\"type\":\"image\"", b"\"type\": \"image\""];
    (0..body.len())
        .filter(|&i| body[i] == b'"')
        .filter(|&i| NEEDLES.iter().any(|n| body[i..].starts_with(n)))
        .count() as u64
}

/// The largest answer limit the body names under any of its names (a
/// provider reads one of them; the reservation assumes the largest).
pub fn requested_max_tokens(body: &crate::util::json_object::JsonObject) -> Option<u64> {
    super::token_cap::TOP_LEVEL.iter().filter_map(|k| body.get_as::<u64>(k).ok().flatten()).max()
}

/// The prompt a body of `body_len` bytes sends, in tokens, for limits
/// that refuse before the request runs: about four bytes a token, each
/// image at its flat size.
pub fn input_tokens(body_len: usize, images: u64) -> u64 {
    (body_len as u64).div_ceil(4) + images * TOKENS_PER_IMAGE
}

pub fn estimate(body_len: usize, images: u64, max_tokens: Option<u64>, models: &[&ModelSpec]) -> Estimates {
    let realistic = (body_len as u64 / 4).max(1);
    let bound = body_len as u64 / 2 + images * TOKENS_PER_IMAGE;
    let mut est = Estimates { prompt_tokens: realistic, prompt_cost_nanos: 0, worst_cost_nanos: 0 };
    // Over every model the request may end up on (a router's targets), the dearest.
    for m in models {
        let output = max_tokens.or(m.max_output.map(u64::from)).unwrap_or(DEFAULT_MAX_OUTPUT);
        let worst = Usage { prompt_tokens: bound, completion_tokens: output, ..Default::default() };
        let likely = Usage { prompt_tokens: realistic, ..Default::default() };
        est.worst_cost_nanos = est.worst_cost_nanos.max(pricing::cost(m, &worst).map_or(0, |n| n.0));
        est.prompt_cost_nanos = est.prompt_cost_nanos.max(pricing::cost(m, &likely).map_or(0, |n| n.0));
    }
    est
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(input: f64, output: f64, max_output: Option<u32>) -> ModelSpec {
        serde_json::from_value(serde_json::json!({"id": "m", "input": input, "output": output, "max_output": max_output})).unwrap()
    }

    #[test]
    fn worst_case_uses_max_tokens_then_the_model_limit() {
        // Output $10/M: 1,000 tokens are $0.01 = 10,000,000 nanos; input free.
        let m = model(0.0, 10.0, Some(8_000));
        assert_eq!(estimate(400, 0, Some(1_000), &[&m]).worst_cost_nanos, 10_000_000);
        assert_eq!(estimate(400, 0, None, &[&m]).worst_cost_nanos, 80_000_000);
        let open = model(0.0, 10.0, None);
        assert_eq!(estimate(400, 0, None, &[&open]).worst_cost_nanos, 40_960_000);
    }

    #[test]
    fn the_prompt_bound_counts_images() {
        let m = model(1.0, 0.0, None);
        // (400 / 2 + 2 * 1000) tokens at $1/M = 2,200 * 1,000 nanos.
        assert_eq!(estimate(400, 2, Some(1), &[&m]).worst_cost_nanos, 2_200_000);
        assert_eq!(estimate(400, 2, Some(1), &[&m]).prompt_tokens, 100);
        assert_eq!(image_parts(br#"[{"type":"image_url","image_url":{"url":"x"}},{"type":"image","source":{}}]"#), 2);
    }

    #[test]
    fn the_dearest_target_sets_the_reservation() {
        let cheap = model(0.0, 1.0, None);
        let dear = model(0.0, 10.0, None);
        assert_eq!(estimate(10, 0, Some(1_000), &[&cheap, &dear]).worst_cost_nanos, 10_000_000);
        assert_eq!(estimate(10, 0, Some(1_000), &[]).worst_cost_nanos, 0, "unpriced models reserve nothing");
    }
}
