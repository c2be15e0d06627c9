//! E-mail addresses and phone numbers.

use super::{is_word, word_at};

fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// `local@domain.tld` around the `@` at `at`: a local part of the usual
/// characters, a domain of at least two labels and an alphabetic
/// top-level label of two or more letters (`user@localhost` and
/// `@mentions` are not addresses).
pub fn email_around(t: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut start = at;
    while start > 0 && is_local(t[start - 1]) {
        start -= 1;
    }
    while start < at && t[start] == b'.' {
        start += 1;
    }
    if start == at {
        return None;
    }
    let mut end = at + 1;
    while end < t.len() && is_domain(t[end]) {
        end += 1;
    }
    while end > at + 1 && matches!(t[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let domain = &t[at + 1..end];
    let dot = domain.iter().rposition(|&b| b == b'.')?;
    let tld = &domain[dot + 1..];
    let labels_ok = !domain.starts_with(b".") && !domain.starts_with(b"-") && !domain.windows(2).any(|w| w == b"..");
    (labels_ok && tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic)).then_some((start, end))
}

/// Groups of digits with the separators phone numbers are written with.
struct Groups {
    /// `(start, end)` of each digit group (no phone number has more than `MAX_GROUPS`).
    spans: [(usize, usize); MAX_GROUPS],
    n: usize,
    plus: bool,
    /// The first group is in parentheses: `(415) 555-0100`.
    paren: bool,
}

const MAX_GROUPS: usize = 8;

/// Reads digit groups from `i`: `+`/`(` may lead, and groups are joined by
/// at most `)`, one of ` -.`, and `(`.
fn read_groups(t: &[u8], i: usize) -> Groups {
    let mut j = i;
    let plus = t[j] == b'+';
    if plus {
        j += 1;
    }
    let paren = t.get(j) == Some(&b'(');
    if paren {
        j += 1;
    }
    let (mut spans, mut n) = ([(0, 0); MAX_GROUPS], 0);
    while n < MAX_GROUPS {
        let s = j;
        while j < t.len() && t[j].is_ascii_digit() {
            j += 1;
        }
        if j == s {
            break;
        }
        spans[n] = (s, j);
        n += 1;
        // A separator, then a digit, or the run is over.
        let mut k = j;
        if t.get(k) == Some(&b')') {
            k += 1;
        }
        if matches!(t.get(k), Some(b' ' | b'-' | b'.')) {
            k += 1;
        }
        if t.get(k) == Some(&b'(') {
            k += 1;
        }
        if k == j || !t.get(k).is_some_and(u8::is_ascii_digit) {
            break;
        }
        j = k;
    }
    Groups { spans, n, plus, paren }
}

fn digits(spans: &[(usize, usize)]) -> usize {
    spans.iter().map(|(s, e)| e - s).sum()
}

/// Whether the first `k` groups form a phone number.
fn is_phone(t: &[u8], g: &Groups, k: usize) -> bool {
    let spans = &g.spans[..k];
    let mut lens = [0usize; MAX_GROUPS];
    for (l, (s, e)) in lens.iter_mut().zip(spans) {
        *l = e - s;
    }
    let lens = &lens[..k];
    let n = digits(spans);
    if g.plus {
        // E.164: a country code and up to 15 digits in all.
        return (8..=15).contains(&n) && lens.iter().all(|&l| l <= 12);
    }
    let first = t[spans[0].0];
    let nanp = |lens: &[usize], area: u8| lens == [3, 3, 4] && (b'2'..=b'9').contains(&area);
    match lens {
        // 415-555-0100, (415) 555-0100, 1-415-555-0100
        [3, 3, 4] => nanp(lens, first),
        [1, 3, 3, 4] => first == b'1' && nanp(&lens[1..], t[spans[1].0]),
        // National numbers with a trunk 0: 020 7946 0958, 030 1234 5678
        _ => first == b'0' && k >= 2 && (10..=11).contains(&n) && lens.iter().all(|&l| (2..=8).contains(&l)),
    }
}

/// A phone number starting at `i`: E.164 (`+14155550100`, `+44 20 7946
/// 0958`), North American national forms (`(415) 555-0100`,
/// `415.555.0100`) and trunk-0 national forms (`020 7946 0958`). A bare run
/// of digits without `+` is not taken for a phone number (order ids,
/// amounts). Returns its end.
pub fn phone_at(t: &[u8], i: usize) -> Option<usize> {
    let b = t[i];
    let opens = b.is_ascii_digit() || ((b == b'+' || b == b'(') && t.get(i + 1).is_some_and(|c| c.is_ascii_digit() || *c == b'('));
    let fresh = i == 0 || !(is_word(t[i - 1]) || matches!(t[i - 1], b'.' | b'-' | b'+' | b'/' | b',' | b'('));
    if !(opens && fresh) {
        return None;
    }
    if b.is_ascii_digit() {
        // Without `+`, a number starts with a 3-digit area code, `1-` or a trunk 0.
        let run = t[i..].iter().take(4).take_while(|c| c.is_ascii_digit()).count();
        if !(run == 3 || (run == 1 && b == b'1') || b == b'0') {
            return None;
        }
    }
    let g = read_groups(t, i);
    if g.n == 0 {
        return None;
    }
    let closed = !g.paren || t.get(g.spans[0].1) == Some(&b')');
    (1..=g.n)
        .rev()
        .find(|&k| closed && !word_at(t, Some(g.spans[k - 1].1)) && is_phone(t, &g, k))
        .map(|k| g.spans[k - 1].1)
}

#[cfg(test)]
mod tests {
    use crate::guardrails::detect::{found, Detector};

    #[test]
    fn emails_true_positives() {
        let t = "mail alice@example.com, Bob.Smith+tag@mail.co.uk. or <x_y@sub-domain.io>";
        assert_eq!(found(t, Detector::Email), vec!["alice@example.com", "Bob.Smith+tag@mail.co.uk", "x_y@sub-domain.io"]);
    }

    #[test]
    fn emails_false_positives() {
        for t in ["@alice said hi", "root@localhost", "a@b.c", "user@example.c0m", "x@.com", "name@-bad.com", "price @ 5.00"] {
            assert!(found(t, Detector::Email).is_empty(), "{t}");
        }
    }

    #[test]
    fn phones_true_positives() {
        let t = "call +14155550100 or (415) 555-0100, 415.555.0100, 1-415-555-0100, +44 20 7946 0958 or 020 7946 0958.";
        assert_eq!(
            found(t, Detector::Phone),
            vec!["+14155550100", "(415) 555-0100", "415.555.0100", "1-415-555-0100", "+44 20 7946 0958", "020 7946 0958"]
        );
        assert_eq!(found("ring 415-555-0100 2 times", Detector::Phone), vec!["415-555-0100"]);
    }

    #[test]
    fn phones_false_positives() {
        for t in [
            "order 4155550100",
            "on 2024-01-15",
            "v1.2.3",
            "total 1,234,567",
            "id 123-456-7890abc",
            "area 123-555-0100",
            "+123",
            "call 555-0100",
            "ssn 123-45-6789",
        ] {
            assert!(found(t, Detector::Phone).is_empty(), "{t}: {:?}", found(t, Detector::Phone));
        }
    }
}
