//! One string of a template, split once into literal pieces and
//! `{{ variable }}` references, so rendering is a single pass that never
//! re-reads what it inserted (an input containing `{{x}}` stays literal).

use std::borrow::Cow;

/// A piece of a template string.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Literal(String),
    Var(String),
}

/// A template string, parsed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Text {
    pieces: Vec<Piece>,
}

/// `[A-Za-z_][A-Za-z0-9_.-]*`: dots let a name reach into nested inputs.
pub fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// At most `max` characters of `s`, for error messages.
fn excerpt(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        Some((i, _)) => Cow::Owned(format!("{}…", &s[..i])),
        None => Cow::Borrowed(s),
    }
}

impl Text {
    /// Every `{{` must open a `{{ name }}` (whitespace inside the braces is
    /// allowed): a typo such as `{{name}` or `{{first name}}` is refused when
    /// the template is written rather than sent to a model verbatim.
    pub fn parse(s: &str) -> Result<Text, String> {
        let mut pieces = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                pieces.push(Piece::Literal(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| format!("'{}' has no closing '}}}}'", excerpt(&rest[open..], 24)))?;
            let name = after[..close].trim();
            if !valid_name(name) {
                return Err(format!(
                    "'{{{{{}}}}}' is not a variable (names are letters, digits, '_', '.' or '-', \
                     starting with a letter or '_')",
                    excerpt(&after[..close], 40)
                ));
            }
            pieces.push(Piece::Var(name.to_string()));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Literal(rest.to_string()));
        }
        Ok(Text { pieces })
    }

    /// The variables referenced, in order, repeats included.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Var(name) => Some(name.as_str()),
            Piece::Literal(_) => None,
        })
    }

    /// The string with each variable replaced by `value(name)`.
    pub fn render<'a>(&self, value: &impl Fn(&str) -> Cow<'a, str>) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Literal(s) => out.push_str(s),
                Piece::Var(name) => out.push_str(&value(name)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(s: &str) -> Vec<String> {
        Text::parse(s).unwrap().variables().map(str::to_string).collect()
    }

    #[test]
    fn finds_variables_with_or_without_inner_whitespace() {
        assert_eq!(vars("Hi {{name}}, about {{ order.id }} and {{\tname\n}}."), ["name", "order.id", "name"]);
        assert_eq!(vars("no variables at all"), Vec::<String>::new());
        assert_eq!(vars("{{a}}{{_b-2}}"), ["a", "_b-2"]);
        assert_eq!(vars(""), Vec::<String>::new());
    }

    #[test]
    fn lone_closing_braces_and_single_braces_are_text() {
        let t = Text::parse("json: {\"a\": {}} }} {x}").unwrap();
        assert_eq!(t.variables().count(), 0);
        assert_eq!(t.render(&|_| Cow::Borrowed("?")), "json: {\"a\": {}} }} {x}");
    }

    #[test]
    fn malformed_references_are_refused_with_the_text() {
        let e = Text::parse("Dear {{name}, hello").unwrap_err();
        assert!(e.contains("'{{name}, hello' has no closing '}}'"), "{e}");
        let e = Text::parse("{{first name}}").unwrap_err();
        assert!(e.contains("'{{first name}}' is not a variable"), "{e}");
        assert!(Text::parse("{{}}").is_err());
        assert!(Text::parse("{{1st}}").is_err());
        assert!(Text::parse("{{{triple}}}").is_err());
        let long = format!("{{{{{}", "x".repeat(100));
        assert!(Text::parse(&long).unwrap_err().chars().count() < 60);
    }

    #[test]
    fn renders_in_one_pass() {
        let t = Text::parse("{{a}} and {{ b }}!").unwrap();
        let out = t.render(&|name| Cow::Owned(if name == "a" { "{{b}}".into() } else { "B".into() }));
        assert_eq!(out, "{{b}} and B!", "inserted text is never rendered again");
    }

    #[test]
    fn names() {
        assert!(valid_name("customer_name"));
        assert!(valid_name("_x.y-z9"));
        assert!(!valid_name("9x"));
        assert!(!valid_name("a b"));
        assert!(!valid_name(""));
        assert!(!valid_name("é"));
    }
}
