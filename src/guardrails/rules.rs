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

#[derive(Debug)]
pub struct Matcher(Regex);

impl Matcher {
    /// `(start, end)` byte spans of every match, non-empty ones only.
    pub fn find(&self, text: &str, out: &mut Vec<(usize, usize)>) {
        out.extend(self.0.find_iter(text).filter(|m| !m.is_empty()).map(|m| (m.start(), m.end())));
    }
}

/// Compiles a workspace pattern; the error says why in a sentence.
pub fn compile(pattern: &str) -> Result<Matcher, String> {
    RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .nest_limit(NEST_LIMIT)
        .build()
        .map(Matcher)
        .map_err(|e| format!("is not a valid pattern: {}", e.to_string().lines().last().unwrap_or("invalid").trim()))
}

/// The pattern of a deny-word list: any of the words, in any case, as a whole word.
pub fn words_pattern(words: &[String]) -> String {
    let alternatives: Vec<String> = words.iter().map(|w| regex_lite::escape(w.trim())).collect();
    format!(r"(?i)\b(?:{})\b", alternatives.join("|"))
}

thread_local! {
    static COMPILED: RefCell<HashMap<String, Rc<Matcher>>> = RefCell::new(HashMap::new());
}

/// A compiled pattern from the isolate's cache (compiled on first use).
pub fn cached(pattern: &str) -> Result<Rc<Matcher>, String> {
    if let Some(m) = COMPILED.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(m);
    }
    let m = Rc::new(compile(pattern)?);
    COMPILED.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_ENTRIES {
            c.clear();
        }
        c.insert(pattern.to_string(), m.clone());
    });
    Ok(m)
}

pub fn cached_words(words: &[String]) -> Result<Rc<Matcher>, String> {
    cached(&words_pattern(words))
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
        let m = cached_words(&["acme".into(), "globex corp".into(), "a.b".into()]).unwrap();
        assert_eq!(spans(&m, "Acme, GLOBEX CORP and acmeish and a.b"), vec!["Acme", "GLOBEX CORP", "a.b"]);
        assert!(Rc::ptr_eq(&m, &cached_words(&["acme".into(), "globex corp".into(), "a.b".into()]).unwrap()));
    }

    #[test]
    fn matching_is_linear_on_hostile_input() {
        // The classic catastrophic-backtracking pattern: linear here.
        let m = compile(r"^(a+)+$").unwrap();
        let text = format!("{}!", "a".repeat(50_000));
        assert!(spans(&m, &text).is_empty());
    }
}
