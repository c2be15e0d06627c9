//! The built-in detectors. Each finds byte spans in UTF-8 text; every
//! trigger is ASCII, so a span always starts and ends on a char boundary.
//! Formats with a checksum are checked (Luhn for cards, mod-97 for IBANs),
//! so a random 16-digit number is not a card.

mod contact;
mod network;
mod numbers;
mod secrets;

use serde::{Deserialize, Serialize};

/// A built-in detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Detector {
    Email,
    Phone,
    Card,
    Iban,
    Ssn,
    Ip,
    Secret,
}

impl Detector {
    pub const ALL: [Detector; 7] =
        [Detector::Email, Detector::Phone, Detector::Card, Detector::Iban, Detector::Ssn, Detector::Ip, Detector::Secret];

    pub fn name(self) -> &'static str {
        match self {
            Detector::Email => "email",
            Detector::Phone => "phone",
            Detector::Card => "card",
            Detector::Iban => "iban",
            Detector::Ssn => "ssn",
            Detector::Ip => "ip",
            Detector::Secret => "secret",
        }
    }

    pub fn parse(name: &str) -> Option<Detector> {
        Detector::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The label in masks and placeholders: `[EMAIL]`, `⟨EMAIL_1⟩`.
    pub fn label(self) -> &'static str {
        match self {
            Detector::Email => "EMAIL",
            Detector::Phone => "PHONE",
            Detector::Card => "CARD",
            Detector::Iban => "IBAN",
            Detector::Ssn => "SSN",
            Detector::Ip => "IP",
            Detector::Secret => "SECRET",
        }
    }

    /// Which of two overlapping findings is kept: the more specific format
    /// (a secret holding an e-mail-like part is a secret; an IPv4 address is
    /// not a phone number).
    fn rank(self) -> u8 {
        match self {
            Detector::Secret => 0,
            Detector::Card => 1,
            Detector::Iban => 2,
            Detector::Ssn => 3,
            Detector::Ip => 4,
            Detector::Email => 5,
            Detector::Phone => 6,
        }
    }
}

/// One finding of a built-in detector: `text[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub detector: Detector,
    pub start: usize,
    pub end: usize,
}

/// Bytes where some detector can start looking: digits and `+`/`(` (phone,
/// card, SSN, IPv4), `@` (e-mail), `:` (IPv6), capitals (IBAN, AWS and
/// Google keys, JWTs) and `-`/`_` (the other secret prefixes). Prose is
/// mostly other bytes, which one table lookup passes over.
const fn triggers() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_digit() || c.is_ascii_uppercase() || matches!(c, b'+' | b'(' | b'@' | b':' | b'-' | b'_');
        b += 1;
    }
    t
}

static TRIGGERS: [bool; 256] = triggers();

/// Whether any of eight bytes lies in 0x28..=0x5F — `(` to `_`, which
/// holds every trigger (and some punctuation that is not one). Prose is
/// mostly lower-case letters and spaces: eight of them are passed in one
/// step. (Bytes with the high bit set, UTF-8, are never in range.)
fn may_trigger(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let (m, n) = (0x27u64, 0x60u64);
    let low = x & (ONES * 127);
    ((ONES * (127 + n)).wrapping_sub(low) & !x & (low + ONES * (127 - m)) & HIGHS) != 0
}

/// Keeps `h` unless it overlaps a kept finding of a more specific format
/// (which it then replaces if it is the more specific one).
fn keep(hits: &mut Vec<Hit>, h: Hit) {
    while let Some(last) = hits.last() {
        if last.end <= h.start {
            break;
        }
        if h.detector.rank() < last.detector.rank() {
            hits.pop();
        } else {
            return;
        }
    }
    hits.push(h);
}

/// Every finding of `detectors` in `text`, in order, without overlaps (of
/// two that overlap, the more specific format is kept). One pass: each
/// trigger byte is offered to the detectors that can start there.
pub fn find(text: &str, detectors: &[Detector]) -> Vec<Hit> {
    let t = text.as_bytes();
    let on = |d: Detector| detectors.contains(&d);
    let (email, phone, card, iban, ssn, ip, secret) =
        (on(Detector::Email), on(Detector::Phone), on(Detector::Card), on(Detector::Iban), on(Detector::Ssn), on(Detector::Ip), on(Detector::Secret));
    let mut hits: Vec<Hit> = Vec::new();
    let hit = |detector: Detector, start: usize, end: usize| Hit { detector, start, end };
    let mut i = 0;
    while i < t.len() {
        if i + 8 <= t.len() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&t[i..i + 8]);
            if !may_trigger(u64::from_le_bytes(word)) {
                i += 8;
                continue;
            }
        }
        let b = t[i];
        if !TRIGGERS[b as usize] {
            i += 1;
            continue;
        }
        let found = match b {
            b'0'..=b'9' => {
                // What the run of digits here could start, from its length and the byte after it.
                let run = t[i..].iter().take(20).take_while(|c| c.is_ascii_digit()).count();
                let next = t.get(i + run).copied();
                let joined = matches!(next, Some(b' ' | b'-')) && t.get(i + run + 1).is_some_and(u8::is_ascii_digit);
                let may_card = card && (run >= 13 || joined);
                let may_ssn = ssn && run == 3 && matches!(next, Some(b'-' | b' '));
                let may_ip = ip && run <= 3 && next == Some(b'.');
                let may_phone = phone && (run == 3 || (run == 1 && b == b'1') || b == b'0') && next.is_some_and(|c| !c.is_ascii_alphabetic());
                let at = |d: Detector, f: fn(&[u8], usize) -> Option<usize>| f(t, i).map(|e| hit(d, i, e));
                let found = (if may_card { at(Detector::Card, numbers::card_at) } else { None })
                    .or_else(|| if may_ssn { at(Detector::Ssn, numbers::ssn_at) } else { None })
                    .or_else(|| if may_ip { at(Detector::Ip, network::ipv4_from) } else { None })
                    .or_else(|| if may_phone { at(Detector::Phone, contact::phone_at) } else { None });
                if found.is_none() {
                    // Nothing starts inside this run of digits; a `:` after it may still be IPv6.
                    i += run;
                    continue;
                }
                found
            }
            b'+' | b'(' if phone => contact::phone_at(t, i).map(|e| hit(Detector::Phone, i, e)),
            b'@' if email => contact::email_around(t, i).map(|(s, e)| hit(Detector::Email, s, e)),
            b':' if ip => network::ipv6_around(t, i).map(|(s, e)| hit(Detector::Ip, s, e)),
            _ => {
                let s = if secret && secrets::is_trigger(b) { secrets::secret_at(t, i).map(|(s, e)| hit(Detector::Secret, s, e)) } else { None };
                s.or_else(|| if iban && b.is_ascii_uppercase() { numbers::iban_at(t, i).map(|e| hit(Detector::Iban, i, e)) } else { None })
            }
        };
        match found {
            Some(h) => {
                i = h.end.max(i + 1);
                keep(&mut hits, h);
            }
            None => i += 1,
        }
    }
    hits
}

// ---- byte classes shared by the scanners ----

pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `text[i]` (if any) is a word byte: a match next to one is part of a longer token.
pub(crate) fn word_at(text: &[u8], i: Option<usize>) -> bool {
    i.and_then(|i| text.get(i)).is_some_and(|&b| is_word(b))
}

#[cfg(test)]
pub(crate) fn found(text: &str, d: Detector) -> Vec<&str> {
    find(text, &[d]).iter().map(|h| &text[h.start..h.end]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_keep_the_more_specific_format() {
        let text = "server 10.0.0.12 and key sk-proj-abcdefghijklmnopqrstuv12";
        let hits = find(text, &Detector::ALL);
        let kinds: Vec<Detector> = hits.iter().map(|h| h.detector).collect();
        assert_eq!(kinds, vec![Detector::Ip, Detector::Secret]);
    }

    #[test]
    fn the_eight_byte_skip_sees_every_trigger() {
        for b in 0u8..=255 {
            let word = u64::from_le_bytes([b' ', b' ', b' ', b, b' ', b' ', b' ', b' ']);
            if TRIGGERS[b as usize] {
                assert!(may_trigger(word), "byte {b:#x} is a trigger");
            }
            if b >= 0x80 || b.is_ascii_lowercase() || b == b' ' {
                assert!(!may_trigger(word), "byte {b:#x} is not");
            }
        }
        let t = "a plain sentence, then mail a@b.io at the very end of the text";
        assert_eq!(found(t, Detector::Email), vec!["a@b.io"]);
    }

    #[test]
    fn names_round_trip() {
        for d in Detector::ALL {
            assert_eq!(Detector::parse(d.name()), Some(d));
        }
        assert_eq!(Detector::parse("mail"), None);
    }
}
