//! A moderation model as a guardrail: the request's text sent to OpenAI's
//! `/v1/moderations` (or any provider speaking it) or to Llama Guard on
//! Workers AI, flagged when a category's score reaches the threshold.
//! This file is the pure half — the config, the text sent, reading the
//! verdict; `pipeline/moderate.rs` makes the call.
//!
//! ```json
//! "moderation": { "model": "openai/omni-moderation-latest", "threshold": 0.5,
//!                 "categories": ["violence", "hate"], "input": "block", "on_error": "open" }
//! ```

use super::config::Action;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most text one moderation call is sent (the rest is not checked).
pub const MAX_TEXT: usize = 32 * 1024;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// The request goes on unchecked (the failure is recorded).
    #[default]
    Open,
    /// The request is refused with 503 `moderation_unavailable`.
    Closed,
}

fn half() -> f64 {
    0.5
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModerationConfig {
    /// `provider/model` of an OpenAI-format moderation endpoint, or `workers-ai/@cf/meta/llama-guard-…`.
    pub model: String,
    /// A category flags the request at this score or above (OpenAI scores; Llama Guard's verdict is yes or no).
    #[serde(default = "half")]
    pub threshold: f64,
    /// Only these categories count (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// `log` or `block` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Action>,
    #[serde(default)]
    pub on_error: OnError,
}

impl ModerationConfig {
    pub fn validate(&self) -> Result<(), (String, String)> {
        let at = |f: &str| format!("guardrails.moderation.{f}");
        if !self.model.contains('/') || self.model.len() > 200 {
            return Err((at("model"), "must be provider/model, e.g. openai/omni-moderation-latest".into()));
        }
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err((at("threshold"), "must be above 0 and at most 1".into()));
        }
        if self.categories.len() > 30 || self.categories.iter().any(|c| c.is_empty() || c.len() > 60) {
            return Err((at("categories"), "must hold at most 30 category names".into()));
        }
        if !matches!(self.input, None | Some(Action::Log | Action::Block | Action::Off)) {
            return Err((at("input"), "must be off, log or block (a moderation finding has no span to mask)".into()));
        }
        Ok(())
    }

    pub fn action(&self) -> Action {
        self.input.unwrap_or(Action::Block)
    }

    pub fn is_workers_ai(&self) -> Option<&str> {
        self.model.strip_prefix("workers-ai/")
    }
}

/// What the moderation model said: the categories that reached the
/// threshold, with their scores (1.0 for a yes/no verdict).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    pub flagged: Vec<(String, f64)>,
}

/// Reads an OpenAI `/v1/moderations` answer (every result counts).
pub fn read_openai(answer: &[u8], config: &ModerationConfig) -> Result<Verdict, String> {
    let v: Value = serde_json::from_slice(answer).map_err(|_| "the moderation answer is not JSON".to_string())?;
    let results = v.get("results").and_then(Value::as_array).ok_or("the moderation answer has no results")?;
    let mut flagged: Vec<(String, f64)> = Vec::new();
    for r in results {
        for (category, score) in r.get("category_scores").and_then(Value::as_object).into_iter().flatten() {
            let score = score.as_f64().unwrap_or(0.0);
            let counted = config.categories.is_empty() || config.categories.iter().any(|c| c == category);
            if counted && score >= config.threshold {
                match flagged.iter_mut().find(|(c, _)| c == category) {
                    Some(f) => f.1 = f.1.max(score),
                    None => flagged.push((category.clone(), score)),
                }
            }
        }
    }
    Ok(Verdict { flagged })
}

/// Reads a Llama Guard verdict: `safe`, or `unsafe` and a line of codes (`S1,S10`).
pub fn read_llama_guard(response: &str, config: &ModerationConfig) -> Verdict {
    let mut lines = response.trim().lines().map(str::trim);
    if lines.next().map(str::to_ascii_lowercase).as_deref() != Some("unsafe") {
        return Verdict::default();
    }
    let codes: Vec<String> = lines.next().unwrap_or("unsafe").split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
    let flagged = codes
        .into_iter()
        .filter(|c| config.categories.is_empty() || config.categories.iter().any(|k| k.eq_ignore_ascii_case(c)))
        .map(|c| (c, 1.0))
        .collect();
    Verdict { flagged }
}

/// The text sent: every string a person wrote in the (guarded) body,
/// joined by newlines, at most `MAX_TEXT` bytes.
pub fn text_of(body: Value) -> String {
    let mut out = String::new();
    super::body::each_text(body, &mut |s| {
        if out.len() < MAX_TEXT && !s.trim().is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(s);
        }
    });
    let mut end = out.len().min(MAX_TEXT);
    while !out.is_char_boundary(end) {
        end -= 1;
    }
    out.truncate(end);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(v: Value) -> ModerationConfig {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn openai_scores_against_the_threshold_and_categories() {
        let answer = json!({"results": [{"flagged": true, "category_scores": {"violence": 0.93, "hate": 0.2, "harassment": 0.55}}]}).to_string();
        let all = config(json!({"model": "openai/omni-moderation-latest"}));
        assert_eq!(read_openai(answer.as_bytes(), &all).unwrap().flagged, vec![("harassment".into(), 0.55), ("violence".into(), 0.93)]);
        let some = config(json!({"model": "openai/m", "threshold": 0.9, "categories": ["violence", "hate"]}));
        assert_eq!(read_openai(answer.as_bytes(), &some).unwrap().flagged, vec![("violence".into(), 0.93)]);
        assert!(read_openai(b"<html>", &all).is_err());
        assert_eq!(all.action(), Action::Block);
    }

    #[test]
    fn llama_guard_verdicts() {
        let c = config(json!({"model": "workers-ai/@cf/meta/llama-guard-3-8b"}));
        assert_eq!(c.is_workers_ai(), Some("@cf/meta/llama-guard-3-8b"));
        assert_eq!(read_llama_guard("safe", &c), Verdict::default());
        assert_eq!(read_llama_guard("unsafe\nS1,S10", &c).flagged, vec![("S1".into(), 1.0), ("S10".into(), 1.0)]);
        let only = config(json!({"model": "workers-ai/x", "categories": ["s10"]}));
        assert_eq!(read_llama_guard("\n unsafe \n S1, S10", &only).flagged, vec![("S10".into(), 1.0)]);
    }

    #[test]
    fn validation() {
        let bad = |v: Value| config(v).validate().unwrap_err().0;
        assert_eq!(bad(json!({"model": "omni"})), "guardrails.moderation.model");
        assert_eq!(bad(json!({"model": "openai/m", "threshold": 0})), "guardrails.moderation.threshold");
        assert_eq!(bad(json!({"model": "openai/m", "input": "redact"})), "guardrails.moderation.input");
        assert!(serde_json::from_value::<ModerationConfig>(json!({"model": "openai/m", "on_error": "maybe"})).is_err());
    }

    #[test]
    fn the_text_sent_is_the_prose_only_and_bounded() {
        let body = json!({"model": "m", "messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": [{"type": "text", "text": "hi"}]}]});
        assert_eq!(text_of(body), "be nice\nhi");
        let long = json!({"input": "é".repeat(MAX_TEXT)});
        assert!(text_of(long).len() <= MAX_TEXT);
    }
}
