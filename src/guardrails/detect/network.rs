//! IP addresses: dotted-quad IPv4 and every IPv6 form the standard library
//! parses (compressed `::`, embedded IPv4).

use super::{is_word, word_at};
use std::net::Ipv6Addr;

/// One IPv4 octet at `i`: 0–255, no leading zero. Returns its end.
fn octet(t: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while j < t.len() && j - i < 3 && t[j].is_ascii_digit() {
        j += 1;
    }
    let digits = &t[i..j];
    let value = digits.iter().fold(0u16, |v, d| v * 10 + u16::from(d - b'0'));
    let ok = !digits.is_empty() && (digits.len() == 1 || digits[0] != b'0') && value <= 255;
    (ok && !t.get(j).is_some_and(u8::is_ascii_digit)).then_some(j)
}

fn ipv4_at(t: &[u8], i: usize) -> Option<usize> {
    let mut j = octet(t, i)?;
    for _ in 0..3 {
        if t.get(j) != Some(&b'.') {
            return None;
        }
        j = octet(t, j + 1)?;
    }
    // "1.2.3.4.5" is a version, not an address.
    let continues = t.get(j) == Some(&b'.') && t.get(j + 1).is_some_and(u8::is_ascii_digit);
    (!word_at(t, Some(j)) && !continues).then_some(j)
}

fn is_v6(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b':' || b == b'.'
}

/// An IPv4 address starting at `i` (a digit, not inside a longer token or dotted number).
pub fn ipv4_from(t: &[u8], i: usize) -> Option<usize> {
    let fresh = i == 0 || !(is_word(t[i - 1]) || matches!(t[i - 1], b'.' | b':'));
    // The first octet is one to three digits and a dot.
    let dotted = t[i..].iter().skip(1).take(3).any(|&c| c == b'.');
    if fresh && dotted {
        ipv4_at(t, i)
    } else {
        None
    }
}

/// An IPv6 address through the `:` at `colon`: its start is found by
/// walking back over hex digits and colons.
pub fn ipv6_around(t: &[u8], colon: usize) -> Option<(usize, usize)> {
    let mut start = colon;
    while start > 0 && colon - start < 40 && (t[start - 1].is_ascii_hexdigit() || t[start - 1] == b':') {
        start -= 1;
    }
    ipv6_at(t, start).map(|end| (start, end))
}

/// The longest IPv6 address starting at `i` (trailing `:`/`.` of the
/// sentence trimmed), with at least two colons.
pub fn ipv6_at(t: &[u8], i: usize) -> Option<usize> {
    if i > 0 && (is_word(t[i - 1]) || t[i - 1] == b':') {
        return None;
    }
    let mut end = i;
    while end < t.len() && is_v6(t[end]) && end - i < 45 {
        end += 1;
    }
    if word_at(t, Some(end)) {
        return None;
    }
    while end > i + 2 {
        let s = std::str::from_utf8(&t[i..end]).ok()?;
        if s.bytes().filter(|&c| c == b':').count() >= 2 && s.parse::<Ipv6Addr>().is_ok() {
            return Some(end);
        }
        if !matches!(t[end - 1], b':' | b'.') {
            return None;
        }
        end -= 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::guardrails::detect::{found, Detector};

    #[test]
    fn ipv4() {
        assert_eq!(found("from 10.0.0.12 and 192.168.1.254.", Detector::Ip), vec!["10.0.0.12", "192.168.1.254"]);
        for t in ["v1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3", "a1.2.3.4", "price 3.14"] {
            assert!(found(t, Detector::Ip).is_empty(), "{t}");
        }
    }

    #[test]
    fn ipv6() {
        let t = "hosts 2001:db8::8a2e:370:7334, fe80::1: and ::1 and ::ffff:192.0.2.1 end";
        assert_eq!(found(t, Detector::Ip), vec!["2001:db8::8a2e:370:7334", "fe80::1", "::1", "::ffff:192.0.2.1"]);
        for t in ["std::vector", "at 12:30:45", "a::b::c", "Foo::Bar", "dead:beef"] {
            assert!(found(t, Detector::Ip).is_empty(), "{t}: {:?}", found(t, Detector::Ip));
        }
    }
}
