//! Embeddings through Cohere v2's `POST /v2/embed`.
//!
//! - `input_type` is required by Cohere's v3+ embedding models and has no
//!   OpenAI counterpart. The gateway sends `search_document`, the general
//!   purpose choice (documents to store and compare); a client embedding
//!   search queries for a Cohere-built index may get slightly better
//!   results from `search_query`, which this translation cannot express.
//! - Only `float` vectors are asked for; OpenAI's base64 encoding is done
//!   again by the client format from those floats.
//! - `dimensions` → `output_dimension` (embed-v4 accepts 256, 512, 1024, 1536).
//! - Cohere takes at most 96 texts a call: longer inputs are split into
//!   several requests, answered in order.

use super::request::post;
use super::response::PROVIDER;
use super::wire::{EmbedAnswer, EmbedBody, WireUsage};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::providers::adapter::invalid_answer;
use crate::providers::model::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use crate::providers::client::chat::embeddings::estimate_tokens;
use crate::core::usage::Usage;
use crate::providers::{Target, UpstreamRequest};

/// Cohere's limit of texts per embed call.
pub const MAX_TEXTS: usize = 96;
pub const INPUT_TYPE: &str = "search_document";

pub fn build(req: &EmbeddingsRequest, target: &Target) -> GatewayResult<Vec<UpstreamRequest>> {
    if req.inputs.is_empty() {
        return Err(GatewayError::invalid_request(ErrorCode::InvalidValue, "'input' must not be empty.").with_param("input"));
    }
    let model = if target.model_id.is_empty() { req.model.as_str() } else { target.model_id };
    req.inputs
        .chunks(MAX_TEXTS)
        .map(|texts| {
            let body = EmbedBody {
                model,
                texts,
                input_type: INPUT_TYPE,
                embedding_types: ["float"],
                output_dimension: req.dimensions,
            };
            let bytes = serde_json::to_vec(&body).map_err(|_| GatewayError::internal(ErrorCode::CohereBodyEncode))?;
            Ok(post(target, "v2/embed", bytes, false))
        })
        .collect()
}

pub fn parse(bodies: &[Vec<u8>], req: &EmbeddingsRequest) -> GatewayResult<EmbeddingsResponse> {
    let mut vectors = Vec::with_capacity(req.inputs.len());
    let mut tokens: Option<u64> = Some(0);
    for (body, texts) in bodies.iter().zip(req.inputs.chunks(MAX_TEXTS)) {
        let answer: EmbedAnswer = serde_json::from_slice(body)
            .map_err(|_| invalid_answer(PROVIDER, "the embed answer is not the expected JSON"))?;
        let floats = answer
            .embeddings
            .and_then(|e| e.float)
            .ok_or_else(|| invalid_answer(PROVIDER, "the embed answer has no float embeddings"))?;
        if floats.len() != texts.len() {
            return Err(invalid_answer(
                PROVIDER,
                format!("the embed answer has {} vectors for {} texts", floats.len(), texts.len()),
            ));
        }
        vectors.extend(floats);
        // One answer without a count makes the whole count an estimate.
        tokens = match (tokens, answer.meta.as_ref().and_then(input_tokens)) {
            (Some(sum), Some(n)) => Some(sum + n),
            _ => None,
        };
    }
    if bodies.len() != req.inputs.len().div_ceil(MAX_TEXTS) {
        return Err(GatewayError::internal(ErrorCode::CohereEmbedAnswersMissing));
    }
    let prompt_tokens = tokens.unwrap_or_else(|| estimate_tokens(&req.inputs));
    Ok(EmbeddingsResponse { vectors, usage: Usage { prompt_tokens, ..Default::default() } })
}

/// Input tokens of an embed answer's `meta` (billed units, else tokens).
fn input_tokens(meta: &WireUsage) -> Option<u64> {
    [meta.billed_units, meta.tokens]
        .into_iter()
        .flatten()
        .find_map(|u| u.input_tokens)
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| n.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::upstream::cohere::tests::target;
    use serde_json::{json, Value};

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/cohere/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn request(inputs: Vec<String>, dimensions: Option<u32>) -> EmbeddingsRequest {
        EmbeddingsRequest { model: "embed-v4.0".into(), inputs, dimensions, base64: false, user: None }
    }

    #[test]
    fn golden_request_and_answer() {
        let req = request(vec!["hello".into(), "goodbye".into()], Some(256));
        let mut t = target(Some("co-key"));
        t.model_id = "embed-v4.0";
        let ups = build(&req, &t).unwrap();
        assert_eq!(ups.len(), 1);
        assert_eq!(ups[0].url, "https://api.cohere.com/v2/embed");
        assert_eq!(ups[0].header("authorization"), Some("Bearer co-key"));
        let body: Value = serde_json::from_slice(ups[0].body.as_ref().unwrap()).unwrap();
        let expected: Value = serde_json::from_slice(&fixture("embed_request.json")).unwrap();
        assert_eq!(body, expected);

        let r = parse(&[fixture("embed_response.json")], &req).unwrap();
        assert_eq!(r.vectors, vec![vec![0.016296387, -0.008354187, 0.04663086], vec![-0.0390625, 0.0234375, 0.0023651123]]);
        assert_eq!(r.usage.prompt_tokens, 2);
    }

    #[test]
    fn large_inputs_are_split_in_batches_of_96() {
        let inputs: Vec<String> = (0..200).map(|i| format!("text {i}")).collect();
        let req = request(inputs, None);
        let ups = build(&req, &target(None)).unwrap();
        let sizes: Vec<usize> = ups
            .iter()
            .map(|u| serde_json::from_slice::<Value>(u.body.as_ref().unwrap()).unwrap()["texts"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, vec![96, 96, 8]);
        let first: Value = serde_json::from_slice(ups[0].body.as_ref().unwrap()).unwrap();
        assert!(first.get("output_dimension").is_none());
        assert_eq!(first["texts"][0], "text 0");

        let answer = |n: usize, tokens: Option<u64>| {
            let mut v = json!({"id": "e", "embeddings": {"float": vec![vec![0.5f32]; n]}, "texts": [], "meta": {}});
            if let Some(t) = tokens {
                v["meta"] = json!({"billed_units": {"input_tokens": t}});
            }
            serde_json::to_vec(&v).unwrap()
        };
        let r = parse(&[answer(96, Some(300)), answer(96, Some(300)), answer(8, Some(20))], &req).unwrap();
        assert_eq!((r.vectors.len(), r.usage.prompt_tokens), (200, 620));
        // A missing count: the whole count is estimated.
        let r = parse(&[answer(96, Some(300)), answer(96, None), answer(8, Some(20))], &req).unwrap();
        assert_eq!(r.usage.prompt_tokens, estimate_tokens(&req.inputs));
        // A batch answered with too few vectors, or a missing answer.
        assert_eq!(parse(&[answer(96, None), answer(95, None), answer(8, None)], &req).unwrap_err().status, 502);
        assert_eq!(parse(&[answer(96, None)], &req).unwrap_err().status, 500);
    }

    #[test]
    fn broken_answers() {
        let req = request(vec!["a".into()], None);
        for body in [&b"nope"[..], b"{}", br#"{"embeddings":{"int8":[[1]]}}"#] {
            assert_eq!(parse(&[body.to_vec()], &req).unwrap_err().code, "upstream_invalid_response");
        }
        assert!(build(&request(vec![], None), &target(None)).is_err());
    }
}
