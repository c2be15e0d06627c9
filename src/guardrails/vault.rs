//! Tokenize's placeholders: each original value gets a numbered
//! placeholder per label (`⟨EMAIL_1⟩`, the same value always the same
//! one), and an answer's placeholders are turned back into the originals.
//! Only placeholders this request issued are restored; anything else that
//! looks like one is left as it is.

use std::borrow::Cow;
use std::collections::HashMap;

pub const OPEN: &str = "\u{27e8}";
pub const CLOSE: &str = "\u{27e9}";
/// The longest placeholder: the brackets, a 40-byte label, `_` and a number.
pub const MAX_PLACEHOLDER: usize = 3 + 41 + 1 + 6 + 3;

#[derive(Debug, Clone, Default)]
pub struct Vault {
    by_value: HashMap<String, String>,
    by_placeholder: HashMap<String, String>,
    counters: HashMap<String, u32>,
}

impl Vault {
    pub fn is_empty(&self) -> bool {
        self.by_placeholder.is_empty()
    }

    /// The placeholder for `original` under `label`, issued on first sight.
    pub fn placeholder(&mut self, label: &str, original: &str) -> String {
        let key = format!("{label}\u{0}{original}");
        if let Some(p) = self.by_value.get(&key) {
            return p.clone();
        }
        let n = self.counters.entry(label.to_string()).or_insert(0);
        *n += 1;
        let p = format!("{OPEN}{label}_{n}{CLOSE}");
        self.by_value.insert(key, p.clone());
        self.by_placeholder.insert(p.clone(), original.to_string());
        p
    }

    /// `text` with every issued placeholder replaced by its original.
    pub fn restore<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if self.is_empty() || !text.contains(OPEN) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find(OPEN) {
            out.push_str(&rest[..open]);
            let tail = &rest[open..];
            let close = tail[OPEN.len()..].find(CLOSE).map(|c| OPEN.len() + c + CLOSE.len()).filter(|&c| c <= MAX_PLACEHOLDER);
            match close.and_then(|c| self.by_placeholder.get(&tail[..c]).map(|orig| (c, orig))) {
                Some((c, orig)) => {
                    out.push_str(orig);
                    rest = &tail[c..];
                }
                None => {
                    out.push_str(OPEN);
                    rest = &tail[OPEN.len()..];
                }
            }
        }
        out.push_str(rest);
        Cow::Owned(out)
    }
}

/// Where a placeholder that is still being written begins: the last `⟨`
/// with no `⟩` after it, if what follows could still become one. (Texts
/// here are decoded JSON strings: a split inside `⟨`'s own bytes is the
/// SSE parser's to join.)
pub fn unclosed_from(text: &str) -> Option<usize> {
    let open = text.rfind(OPEN)?;
    let tail = &text[open + OPEN.len()..];
    let plausible = tail.len() + OPEN.len() < MAX_PLACEHOLDER && tail.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    (plausible && !tail.contains(CLOSE)).then_some(open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_value_same_placeholder_and_restore_only_what_was_issued() {
        let mut v = Vault::default();
        let a = v.placeholder("EMAIL", "a@x.io");
        let b = v.placeholder("EMAIL", "b@x.io");
        assert_eq!((a.as_str(), b.as_str()), ("⟨EMAIL_1⟩", "⟨EMAIL_2⟩"));
        assert_eq!(v.placeholder("EMAIL", "a@x.io"), a);
        assert_eq!(v.placeholder("PHONE", "+14155550100"), "⟨PHONE_1⟩");
        assert_eq!(v.restore("to ⟨EMAIL_2⟩ and ⟨EMAIL_1⟩, not ⟨EMAIL_9⟩ ⟨ ⟩"), "to b@x.io and a@x.io, not ⟨EMAIL_9⟩ ⟨ ⟩");
        assert!(matches!(v.restore("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn unclosed_placeholders_are_found_at_the_end_only() {
        assert_eq!(unclosed_from("write to ⟨EMA"), Some(9));
        assert_eq!(unclosed_from("write to ⟨"), Some(9));
        assert_eq!(unclosed_from("write to ⟨EMAIL_12"), Some(9));
        assert_eq!(unclosed_from("sent to ⟨EMAIL_1⟩ ok"), None);
        assert_eq!(unclosed_from("a ⟨ lower case"), None);
    }
}
