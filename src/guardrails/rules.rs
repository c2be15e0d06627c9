//! Workspace rules: regular expressions and deny-word lists, compiled with
//! `regex-lite` (linear-time matching, so no pattern can backtrack without
//! end) under a compiled-size limit, and kept per isolate so a warm
//! request never compiles.

use regex_lite::{Regex, RegexBuilder};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Compiled program size a rule may take (bytes of the engine's program).
const SIZE_LIMIT: usize = 256 * 1024;
/// How deeply groups and repetitions may nest.
const NEST_LIMIT: u32 = 32;
/// Compiled rules kept per isolate before the cache starts over.
const CACHE_ENTRIES: usize = 256;

/// A compiled rule: a regular expression, or a deny-word list matched
/// directly (a word list needs no regex engine, and runs at the speed of
/// the built-in detectors).
#[derive(Debug)]
pub enum Matcher {
    Regex(Regex),
    Words(Box<Words>),
}

impl Matcher {
    /// `(start, end)` byte spans of every match, non-empty ones only.
    pub fn find(&self, text: &str, out: &mut Vec<(usize, usize)>) {
        match self {
            Matcher::Regex(r) => out.extend(r.find_iter(text).filter(|m| !m.is_empty()).map(|m| (m.start(), m.end()))),
            Matcher::Words(w) => w.find(text.as_bytes(), out),
        }
    }

    pub fn is_match(&self, text: &str) -> bool {
        let mut out = Vec::new();
        match self {
            Matcher::Regex(r) => r.is_match(text),
            Matcher::Words(w) => {
                w.find(text.as_bytes(), &mut out);
                !out.is_empty()
            }
        }
    }
}

/// Deny words: matched ASCII-case-insensitively where they stand as whole
/// words (no ASCII letter, digit or `_` right before or after; other
/// bytes, non-ASCII letters included, compare exactly).
#[derive(Debug)]
pub struct Words {
    /// Lower-cased, longest first (so `globex corp` wins over `globex`).
    words: Vec<Vec<u8>>,
    /// Which (lower-cased) bytes start some word.
    first: [bool; 256],
}

impl Words {
    pub fn new(list: &[String]) -> Words {
        let mut words: Vec<Vec<u8>> = list.iter().map(|w| w.trim().to_ascii_lowercase().into_bytes()).filter(|w| !w.is_empty()).collect();
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        words.dedup();
        let mut first = [false; 256];
        for w in &words {
            first[usize::from(w[0])] = true;
        }
        Words { words, first }
    }

    fn find(&self, t: &[u8], out: &mut Vec<(usize, usize)>) {
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut i = 0;
        while i < t.len() {
            let starts = self.first[usize::from(t[i].to_ascii_lowercase())] && (i == 0 || !word(t[i - 1]));
            let hit = starts.then(|| self.words.iter().find(|w| t[i..].len() >= w.len() && t[i..i + w.len()].eq_ignore_ascii_case(w) && !t.get(i + w.len()).is_some_and(|&b| word(b)))).flatten();
            match hit {
                Some(w) => {
                    out.push((i, i + w.len()));
                    i += w.len();
                }
                None => i += 1,
            }
        }
    }
}

/// Compiles a workspace pattern; the error says why in a sentence.
pub fn compile(pattern: &str) -> Result<Matcher, String> {
    RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .nest_limit(NEST_LIMIT)
        .build()
        .map(Matcher::Regex)
        .map_err(|e| format!("is not a valid pattern: {}", e.to_string().lines().last().unwrap_or("invalid").trim()))
}

thread_local! {
    static COMPILED: RefCell<HashMap<String, Rc<Matcher>>> = RefCell::new(HashMap::new());
}

/// A compiled pattern from the isolate's cache (compiled on first use).
pub fn cached(pattern: &str) -> Result<Rc<Matcher>, String> {
    cached_as(pattern, || compile(pattern))
}

fn cached_as(key: &str, make: impl FnOnce() -> Result<Matcher, String>) -> Result<Rc<Matcher>, String> {
    if let Some(m) = COMPILED.with(|c| c.borrow().get(key).cloned()) {
        return Ok(m);
    }
    let m = Rc::new(make()?);
    COMPILED.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_ENTRIES {
            c.clear();
        }
        c.insert(key.to_string(), m.clone());
    });
    Ok(m)
}

pub fn cached_words(words: &[String]) -> Result<Rc<Matcher>, String> {
    // A key no pattern can be: words never hold a NUL.
    let key = format!("\u{0}words\u{0}{}", words.join("\u{0}"));
    cached_as(&key, || Ok(Matcher::Words(Box::new(Words::new(words)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(m: &Matcher, t: &str) -> Vec<String> {
        let mut out = Vec::new();
        m.find(t, &mut out);
        out.iter().map(|&(s, e)| t[s..e].to_string()).collect()
    }

    #[test]
    fn patterns_compile_or_say_why() {
        let m = compile(r"(?i)project\s+falcon").unwrap();
        assert_eq!(spans(&m, "About PROJECT  Falcon and project hawk"), vec!["PROJECT  Falcon"]);
        assert!(compile("(unclosed").unwrap_err().starts_with("is not a valid pattern"));
        // A pattern whose program would be huge is refused, not compiled for minutes.
        assert!(compile(r"(\w{100}){100}").is_err());
    }

    #[test]
    fn deny_words_match_whole_words_in_any_case() {
        let m = cached_words(&["acme".into(), "globex".into(), "globex corp".into(), "a.b".into(), "c++".into()]).unwrap();
        assert_eq!(spans(&m, "Acme, GLOBEX CORP and acmeish, xacme, globex and a.b or c++."), vec!["Acme", "GLOBEX CORP", "globex", "a.b", "c++"]);
        assert!(Rc::ptr_eq(&m, &cached_words(&["acme".into(), "globex".into(), "globex corp".into(), "a.b".into(), "c++".into()]).unwrap()));
    }

    #[test]
    fn matching_is_linear_on_hostile_input() {
        // The classic catastrophic-backtracking pattern: linear here.
        let m = compile(r"^(a+)+$").unwrap();
        let text = format!("{}!", "a".repeat(50_000));
        assert!(spans(&m, &text).is_empty());
    }
}
