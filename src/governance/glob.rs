//! Model-name globs (`gpt-4*`, `anthropic/*`, `claude-?-haiku`): `*` matches
//! any run of characters, `?` one character. A regex engine would add
//! ~190 KB to the worker for this.

pub fn matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    // Position after the last '*' and the text index it was tried against.
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            backtrack = Some((pi + 1, ti));
            pi += 1;
        } else if let Some((bp, bt)) = backtrack {
            pi = bp;
            ti = bt + 1;
            backtrack = Some((bp, bt + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// True when any pattern matches.
pub fn any(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| matches(p, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_wildcards() {
        assert!(matches("gpt-4o", "gpt-4o"));
        assert!(!matches("gpt-4o", "gpt-4o-mini"));
        assert!(matches("gpt-4*", "gpt-4o-mini"));
        assert!(matches("*", ""));
        assert!(matches("anthropic/*", "anthropic/claude-sonnet-4"));
        assert!(!matches("anthropic/*", "openai/gpt-4o"));
        assert!(matches("claude-?-haiku", "claude-3-haiku"));
        assert!(matches("*mini*", "gpt-4o-mini-2024"));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(!matches("a*b*c", "aXXbYY"));
    }

    #[test]
    fn pathological_patterns_stay_linear_enough() {
        let text = "a".repeat(2000);
        assert!(!matches("*a*a*a*a*a*b", &text));
    }
}
