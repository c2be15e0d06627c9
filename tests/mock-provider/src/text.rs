//! Deterministic content: answers, token counts and embeddings computed
//! from the request, so tests can assert exact values.

use serde_json::Value;

/// Text of a message `content`, whether a string or an array of parts.
pub fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// About four characters a token, at least one.
pub fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4).max(1)
}

/// Splits an answer into stream pieces of a few words each.
pub fn pieces(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_inclusive(' ').collect();
    words.chunks(2).map(|c| c.concat()).collect()
}

const STOPWORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "was", "of", "to", "in", "on", "for", "and", "or", "what", "whats", "how",
    "me", "tell", "please", "can", "you", "i", "my", "do", "does", "about", "it", "this", "that", "with",
];

/// A bag-of-words embedding: each content word (lower-cased, a trailing
/// 's' dropped, stopwords removed) adds weight to a hashed dimension; the
/// vector is unit length. Paraphrases that share their content words get a
/// high cosine similarity; unrelated questions get a low one.
pub fn embed(text: &str, dims: usize) -> Vec<f32> {
    let dims = dims.max(2);
    let mut v = vec![0f32; dims];
    for raw in text.split(|c: char| !c.is_alphanumeric()) {
        let w = raw.to_lowercase();
        if w.is_empty() || STOPWORDS.contains(&w.as_str()) {
            continue;
        }
        let w = w.strip_suffix('s').filter(|s| s.len() > 2).unwrap_or(&w).to_string();
        let h = w.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
        v[(h % dims as u64) as usize] += 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 {
        v[0] = 1.0;
    } else {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn paraphrases_are_close_and_other_questions_far() {
        let a = embed("What is the capital of France?", 64);
        let b = embed("Tell me the capital of France please", 64);
        let c = embed("How do I bake sourdough bread?", 64);
        assert!(cos(&a, &b) > 0.95, "{}", cos(&a, &b));
        assert!(cos(&a, &c) < 0.5, "{}", cos(&a, &c));
    }

    #[test]
    fn content_parts() {
        let v: Value = serde_json::json!([{"type":"text","text":"a"},{"type":"image_url"},{"type":"text","text":"b"}]);
        assert_eq!(content_text(&v), "a b");
    }

    #[test]
    fn pieces_reassemble() {
        let t = "one two three four five";
        assert_eq!(pieces(t).concat(), t);
    }
}
