//! Cost of a request from its usage and the model's catalog prices.
//!
//! Money is counted in integer nano-dollars (1e-9 USD) so that sums, budgets
//! and reservations are exact; USD floats exist only for display.

use super::ModelSpec;
use crate::core::usage::Usage;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Nanos(pub u64);

impl Nanos {
    pub const PER_USD: u64 = 1_000_000_000;

    pub fn from_usd(usd: f64) -> Nanos {
        Nanos((usd.max(0.0) * Self::PER_USD as f64).round() as u64)
    }

    pub fn usd(self) -> f64 {
        self.0 as f64 / Self::PER_USD as f64
    }
}

impl ModelSpec {
    /// Whether the catalog says what the model costs.
    pub fn is_priced(&self) -> bool {
        self.input.is_some() || self.output.is_some() || self.per_image.is_some() || self.per_request.is_some()
    }
}

/// Nano-dollars for `tokens` at `usd_per_million` (1 USD/Mtok = 1000 nanos/token).
fn tokens_cost(tokens: u64, usd_per_million: f64) -> f64 {
    tokens as f64 * usd_per_million * 1000.0
}

/// The cost of `usage` on `model`; `None` when the model has no prices.
pub fn cost(model: &ModelSpec, usage: &Usage) -> Option<Nanos> {
    if !model.is_priced() {
        return None;
    }
    let input = model.input.unwrap_or(0.0);
    let cached = usage.cached_tokens.min(usage.prompt_tokens);
    let creation = usage.cache_creation_tokens.min(usage.prompt_tokens - cached);
    let uncached = usage.prompt_tokens - cached - creation;
    let nanos = tokens_cost(uncached, input)
        + tokens_cost(cached, model.cached_input.unwrap_or(input))
        + tokens_cost(creation, model.cache_write.unwrap_or(input))
        + tokens_cost(usage.completion_tokens, model.output.unwrap_or(0.0))
        + usage.images as f64 * model.per_image.unwrap_or(0.0) * Nanos::PER_USD as f64
        + model.per_request.unwrap_or(0.0) * Nanos::PER_USD as f64;
    Some(Nanos(nanos.round() as u64))
}

/// What the request would have cost without prompt caching minus what it
/// did cost: the saving the provider's cache gave.
pub fn cost_without_cache(model: &ModelSpec, usage: &Usage) -> Option<Nanos> {
    cost(model, &Usage { cached_tokens: 0, cache_creation_tokens: 0, ..*usage })
}

/// Workers AI embeddings (the semantic cache's `workers-ai/@cf/…` models),
/// billed in neurons rather than priced in the catalog.
/// Neurons per million input tokens of the Workers AI embeddings models,
/// from Cloudflare's published price list.
const WORKERS_AI_EMBEDDINGS: &[(&str, u64)] = &[
    ("@cf/baai/bge-small-en-v1.5", 1_841),
    ("@cf/baai/bge-base-en-v1.5", 6_058),
    ("@cf/baai/bge-large-en-v1.5", 18_582),
    ("@cf/baai/bge-m3", 1_075),
];

/// USD per 1,000 neurons (Workers AI's published price).
const USD_PER_1000_NEURONS: f64 = 0.011;

pub fn workers_ai_neurons_per_million(model: &str) -> Option<u64> {
    WORKERS_AI_EMBEDDINGS.iter().find(|(m, _)| *m == model).map(|(_, n)| *n)
}

/// The binding reports no usage: tokens are estimated at four bytes each.
pub fn workers_ai_cost_nanos(neurons_per_million: u64, text: &str) -> u64 {
    let tokens = (text.len() as u64).div_ceil(4).max(1);
    let neurons = tokens as f64 * neurons_per_million as f64 / 1_000_000.0;
    Nanos::from_usd(neurons * USD_PER_1000_NEURONS / 1000.0).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_ai_embeddings_cost_what_cloudflare_charges() {
        let n = workers_ai_neurons_per_million("@cf/baai/bge-small-en-v1.5").unwrap();
        // 4 MB of text ≈ 1M tokens ≈ 1,841 neurons ≈ $0.02.
        let cost = workers_ai_cost_nanos(n, &"x".repeat(4_000_000));
        assert_eq!(cost, 20_251_000);
        assert!(workers_ai_neurons_per_million("@cf/meta/llama-3-8b-instruct").is_none());
    }

    fn gpt4o() -> ModelSpec {
        serde_json::from_value(serde_json::json!({
            "id": "gpt-4o", "input": 2.5, "output": 10.0, "cached_input": 1.25
        }))
        .unwrap()
    }

    #[test]
    fn plain_tokens() {
        let u = Usage { prompt_tokens: 1_000, completion_tokens: 500, ..Default::default() };
        // 1000 * 2.5/1e6 + 500 * 10/1e6 = 0.0025 + 0.005 = 0.0075 USD
        assert_eq!(cost(&gpt4o(), &u), Some(Nanos(7_500_000)));
        assert!((cost(&gpt4o(), &u).unwrap().usd() - 0.0075).abs() < 1e-12);
    }

    #[test]
    fn cached_input_is_cheaper() {
        let u = Usage { prompt_tokens: 1_000, cached_tokens: 400, completion_tokens: 0, ..Default::default() };
        // 600 * 2.5 + 400 * 1.25 = 1500 + 500 = 2000 micro = 2_000_000 nanos
        assert_eq!(cost(&gpt4o(), &u), Some(Nanos(2_000_000)));
        assert_eq!(cost_without_cache(&gpt4o(), &u), Some(Nanos(2_500_000)));
    }

    #[test]
    fn cache_writes_use_their_price() {
        let mut m = gpt4o();
        m.cache_write = Some(3.125);
        let u = Usage { prompt_tokens: 1_000, cache_creation_tokens: 1_000, ..Default::default() };
        assert_eq!(cost(&m, &u), Some(Nanos(3_125_000)));
    }

    #[test]
    fn inconsistent_counts_never_underflow() {
        let u = Usage { prompt_tokens: 10, cached_tokens: 50, cache_creation_tokens: 50, ..Default::default() };
        assert_eq!(cost(&gpt4o(), &u), Some(Nanos(12_500)));
    }

    #[test]
    fn images_and_requests() {
        let m: ModelSpec = serde_json::from_value(serde_json::json!({"id": "dall-e-3", "per_image": 0.04})).unwrap();
        let u = Usage { images: 2, ..Default::default() };
        assert_eq!(cost(&m, &u), Some(Nanos(80_000_000)));
    }

    #[test]
    fn unpriced_models_have_no_cost() {
        let m: ModelSpec = serde_json::from_value(serde_json::json!({"id": "x"})).unwrap();
        assert_eq!(cost(&m, &Usage::default()), None);
    }

    #[test]
    fn usd_conversion_rounds() {
        assert_eq!(Nanos::from_usd(0.10), Nanos(100_000_000));
        assert_eq!(Nanos::from_usd(-1.0), Nanos(0));
    }
}
