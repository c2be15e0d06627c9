//! OpenAI embeddings request/response ↔ the internal embeddings model.

use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::providers::model::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

pub fn parse(v: &Value, model: &str) -> GatewayResult<EmbeddingsRequest> {
    let bad = |m: &str| GatewayError::invalid_request(ErrorCode::InvalidValue, m.to_string()).with_param("input");
    let inputs = match v.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("'input' must be a string or an array of strings for this provider (token arrays are OpenAI-only)."))?,
        _ => return Err(bad("'input' must be a non-empty string or array of strings.")),
    };
    Ok(EmbeddingsRequest {
        model: model.to_string(),
        inputs,
        dimensions: v.get("dimensions").and_then(Value::as_u64).map(|d| d as u32),
        base64: v.get("encoding_format").and_then(Value::as_str) == Some("base64"),
        user: v.get("user").and_then(Value::as_str).map(str::to_string),
    })
}

/// Little-endian f32 bytes, base64: what OpenAI's `encoding_format: base64` returns.
fn encode_base64(vector: &[f32]) -> String {
    let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
    STANDARD.encode(bytes)
}

pub fn to_json(r: &EmbeddingsResponse, req: &EmbeddingsRequest, model: &str) -> Vec<u8> {
    let data: Vec<Value> = r
        .vectors
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let embedding = if req.base64 { json!(encode_base64(v)) } else { json!(v) };
            json!({ "object": "embedding", "index": i, "embedding": embedding })
        })
        .collect();
    let body = json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": { "prompt_tokens": r.usage.prompt_tokens, "total_tokens": r.usage.prompt_tokens },
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// An estimate for providers that report no token count (≈4 characters a token).
pub fn estimate_tokens(inputs: &[String]) -> u64 {
    inputs.iter().map(|s| (s.chars().count() as u64).div_ceil(4).max(1)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::usage::Usage;

    #[test]
    fn inputs() {
        assert_eq!(parse(&json!({"input": "a"}), "m").unwrap().inputs, vec!["a"]);
        assert_eq!(parse(&json!({"input": ["a", "b"], "dimensions": 8}), "m").unwrap().dimensions, Some(8));
        assert!(parse(&json!({"input": [1, 2]}), "m").is_err());
        assert!(parse(&json!({"input": []}), "m").is_err());
        assert!(parse(&json!({}), "m").is_err());
    }

    #[test]
    fn float_and_base64_answers() {
        let r = EmbeddingsResponse { vectors: vec![vec![1.0, -0.5]], usage: Usage { prompt_tokens: 3, ..Default::default() } };
        let req = parse(&json!({"input": "x"}), "m").unwrap();
        let v: Value = serde_json::from_slice(&to_json(&r, &req, "m")).unwrap();
        assert_eq!(v["data"][0]["embedding"], json!([1.0, -0.5]));
        assert_eq!(v["usage"]["prompt_tokens"], 3);
        let req = parse(&json!({"input": "x", "encoding_format": "base64"}), "m").unwrap();
        let v: Value = serde_json::from_slice(&to_json(&r, &req, "m")).unwrap();
        let raw = STANDARD.decode(v["data"][0]["embedding"].as_str().unwrap()).unwrap();
        assert_eq!(f32::from_le_bytes(raw[4..8].try_into().unwrap()), -0.5);
    }

    #[test]
    fn estimates() {
        assert_eq!(estimate_tokens(&["abcdefgh".into(), "a".into()]), 3);
    }
}
