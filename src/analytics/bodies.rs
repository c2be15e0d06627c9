//! Archived request and response bodies (R2, binding `ARCHIVE`), as the
//! log API returns them.
//!
//! A body lives at the row's `request_body_key` / `response_body_key`. When
//! no object is there, the archiver may have written it in parts
//! (`<key>.part-0000`, `<key>.part-0001`, …), read in order until the first
//! missing one and concatenated.

use serde_json::Value;

/// Most parts read for one body.
pub const MAX_PARTS: u32 = 10_000;

/// The key of part `n` of the body at `key`.
pub fn part_key(key: &str, n: u32) -> String {
    format!("{key}.part-{n:04}")
}

/// A body as JSON when it is JSON, else as text (invalid UTF-8 replaced).
pub fn decode(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parts_are_numbered_in_order() {
        assert_eq!(part_key("ws/req.json", 0), "ws/req.json.part-0000");
        assert_eq!(part_key("k", 12), "k.part-0012");
        let mut keys: Vec<String> = (0..12).map(|n| part_key("k", n)).collect();
        let ordered = keys.clone();
        keys.sort();
        assert_eq!(keys, ordered, "lexical order is numeric order");
    }

    #[test]
    fn bodies_are_json_when_they_can_be() {
        assert_eq!(decode(br#"{"model":"m"}"#), json!({"model": "m"}));
        assert_eq!(decode(b"data: {}\n\n"), json!("data: {}\n\n"));
        // A JSON body split across parts mid-character decodes once concatenated.
        let text = r#"{"content":"héllo"}"#.as_bytes();
        let (a, b) = text.split_at(14);
        assert_eq!(decode(&[a, b].concat()), json!({"content": "héllo"}));
    }
}
