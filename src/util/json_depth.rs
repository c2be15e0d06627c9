//! How deeply a JSON text nests, measured without parsing it.
//!
//! The gateway forwards most of a request body as raw, unparsed values
//! (`JsonObject`), and serde_json skips over raw values iteratively, without
//! its recursion limit. A body of 100,000 nested arrays would then be
//! accepted and forwarded, and break the first parser downstream that does
//! recurse. One byte scan, stopping at the first level over the limit,
//! refuses such a body for the cost of reading it once.

/// The deepest nesting the gateway accepts, as serde_json's own parser does.
pub const MAX_DEPTH: usize = 128;

/// True when no array or object in `bytes` nests deeper than `max`
/// levels. Brackets inside strings (escapes included) do not count.
pub fn within(bytes: &[u8], max: usize) -> bool {
    // Nesting past `max` needs more than `max` opening brackets; most
    // bodies have a few dozen, counted eight bytes at a time.
    if opening_brackets(bytes) <= max {
        return true;
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// `[` and `{` in `bytes`, counted a machine word at a time (SWAR): the
/// worker is built for size, where a byte loop is not vectorised.
fn opening_brackets(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The bytes of `x` that are zero, as their high bits.
    let zeros = |x: u64| !(((x & LOW7).wrapping_add(LOW7)) | x) & HIGH;
    let mut chunks = bytes.chunks_exact(8);
    let mut n = 0usize;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let word = u64::from_le_bytes(w);
        n += (zeros(word ^ (ONES * u64::from(b'['))) | zeros(word ^ (ONES * u64::from(b'{')))).count_ones() as usize;
    }
    n + chunks.remainder().iter().filter(|b| matches!(b, b'[' | b'{')).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_levels_outside_strings() {
        assert!(within(br#"{"a":[1,{"b":[]}]}"#, 4));
        assert!(!within(br#"{"a":[1,{"b":[]}]}"#, 3));
        assert!(within(br#"{"a":"[[[[[[[[[[\"[[[["}"#, 1), "brackets in strings are text");
        assert!(within(br#"{"a":"\\"}"#, 1), "an escaped backslash ends before the quote");
    }

    #[test]
    fn brackets_are_counted_exactly() {
        for text in ["", "[", "{[x]}", "a[b{c[d{e[f{g[h{i", "\u{80}[\u{ff}{", "[[[[[[[[[[[[[[[[[", "{\"k\":[1,2,{\"z\":[]}]}"] {
            let slow = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
            assert_eq!(opening_brackets(text.as_bytes()), slow, "{text}");
        }
        let mixed: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        assert_eq!(opening_brackets(&mixed), 32);
    }

    #[test]
    fn many_brackets_side_by_side_are_not_depth() {
        let wide = format!("[{}]", "[],".repeat(500).trim_end_matches(','));
        assert!(within(wide.as_bytes(), 2));
        assert!(!within(wide.as_bytes(), 1));
    }

    #[test]
    fn a_deep_body_is_refused_at_the_limit() {
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(!within(deep.as_bytes(), MAX_DEPTH));
        let ok = format!("{{\"x\":{}{}}}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(within(ok.as_bytes(), MAX_DEPTH));
    }
}
