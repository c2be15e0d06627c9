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

    fn find(self, text: &[u8], out: &mut Vec<(usize, usize)>) {
        match self {
            Detector::Email => contact::emails(text, out),
            Detector::Phone => contact::phones(text, out),
            Detector::Card => numbers::cards(text, out),
            Detector::Iban => numbers::ibans(text, out),
            Detector::Ssn => numbers::ssns(text, out),
            Detector::Ip => network::ips(text, out),
            Detector::Secret => secrets::secrets(text, out),
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

/// Every finding of `detectors` in `text`, in order, without overlaps (of
/// two that overlap, the more specific format is kept).
pub fn find(text: &str, detectors: &[Detector]) -> Vec<Hit> {
    let bytes = text.as_bytes();
    let mut hits = Vec::new();
    let mut spans = Vec::new();
    for &d in detectors {
        spans.clear();
        d.find(bytes, &mut spans);
        hits.extend(spans.iter().map(|&(start, end)| Hit { detector: d, start, end }));
    }
    if hits.len() > 1 {
        hits.sort_by_key(|h| (h.detector.rank(), h.start));
        let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
        for h in hits {
            if !kept.iter().any(|k| k.start < h.end && h.start < k.end) {
                kept.push(h);
            }
        }
        kept.sort_by_key(|h| h.start);
        return kept;
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
    fn names_round_trip() {
        for d in Detector::ALL {
            assert_eq!(Detector::parse(d.name()), Some(d));
        }
        assert_eq!(Detector::parse("mail"), None);
    }
}
