//! Numbers with a structure: payment cards (Luhn), IBANs (ISO 13616
//! mod-97) and US social security numbers (SSA area/group/serial rules).

use super::{is_word, word_at};

/// Whether a number can start at `i`: not inside a longer token or number.
fn starts_fresh(t: &[u8], i: usize) -> bool {
    i == 0 || !(is_word(t[i - 1]) || matches!(t[i - 1], b'-' | b'.' | b'+' | b','))
}

/// The Luhn check over ASCII digits.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (n, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if n % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// A card number starting at `i`: 13–19 digits, grouped by single spaces
/// or dashes or not at all, a major network's first digit (2–6), passing
/// Luhn. Returns its end.
pub fn card_at(t: &[u8], i: usize) -> Option<usize> {
    if !((b'2'..=b'6').contains(&t[i]) && starts_fresh(t, i)) {
        return None;
    }
    // Thirteen digits at least: a short number that is not followed by a group is not one.
    let run = t[i..].iter().take(13).take_while(|c| c.is_ascii_digit()).count();
    let continues = matches!(t.get(i + run), Some(b' ' | b'-')) && t.get(i + run + 1).is_some_and(u8::is_ascii_digit);
    if run < 13 && !continues {
        return None;
    }
    // Digit groups joined by one separator; remember where each group ends.
    let mut digits = [0u8; 20];
    let mut n = 0;
    // Cards are written in at most five groups; eight is plenty.
    let mut ends: [(usize, usize); 8] = [(0, 0); 8];
    let mut groups = 0;
    let mut j = i;
    loop {
        while j < t.len() && t[j].is_ascii_digit() && n < 20 {
            digits[n] = t[j];
            n += 1;
            j += 1;
        }
        ends[groups] = (j, n);
        groups += 1;
        let joined = matches!(t.get(j), Some(b' ' | b'-')) && t.get(j + 1).is_some_and(u8::is_ascii_digit);
        if !joined || n >= 19 || groups == ends.len() {
            break;
        }
        j += 1;
    }
    ends[..groups]
        .iter()
        .rev()
        .find(|&&(end, k)| (13..=19).contains(&k) && !word_at(t, Some(end)) && luhn(&digits[..k]))
        .map(|&(end, _)| end)
}

/// ISO 13616: the country code and check digits moved to the end, letters
/// as 10–35, the number mod 97 must be 1.
pub fn iban_valid(chars: &[u8]) -> bool {
    if !(15..=34).contains(&chars.len()) {
        return false;
    }
    let mut rem = 0u32;
    for &c in chars[4..].iter().chain(&chars[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            b'a'..=b'z' => u32::from(c - b'a') + 10,
            _ => return false,
        };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

/// An IBAN starting at `i`: two capital letters, two check digits, then
/// up to 30 alphanumerics, written solid or in groups of four; mod-97
/// checked. Returns its end.
pub fn iban_at(t: &[u8], i: usize) -> Option<usize> {
    let head = i + 4 <= t.len() && t[i].is_ascii_uppercase() && t[i + 1].is_ascii_uppercase() && t[i + 2].is_ascii_digit() && t[i + 3].is_ascii_digit();
    if !(head && (i == 0 || !is_word(t[i - 1]))) {
        return None;
    }
    let mut chars = [0u8; 34];
    let mut n = 0;
    // Groups of four: at most nine.
    let mut ends: [(usize, usize); 10] = [(0, 0); 10];
    let mut groups = 0;
    let mut j = i;
    loop {
        while j < t.len() && t[j].is_ascii_alphanumeric() && n < 34 {
            chars[n] = t[j];
            n += 1;
            j += 1;
        }
        ends[groups] = (j, n);
        groups += 1;
        let grouped = t.get(j) == Some(&b' ') && t.get(j + 1).is_some_and(u8::is_ascii_alphanumeric);
        if !grouped || n >= 34 || groups == ends.len() {
            break;
        }
        j += 1;
    }
    ends[..groups].iter().rev().find(|&&(end, k)| !word_at(t, Some(end)) && iban_valid(&chars[..k])).map(|&(end, _)| end)
}

/// A US SSN starting at `i`, written `AAA-GG-SSSS` (or with spaces):
/// area not 000, 666 or 900–999, group not 00, serial not 0000.
pub fn ssn_at(t: &[u8], i: usize) -> Option<usize> {
    let digit = |k: usize| t.get(k).is_some_and(u8::is_ascii_digit);
    let sep = *t.get(i + 3)?;
    let shaped = i + 11 <= t.len()
        && (0..3).all(|k| digit(i + k))
        && matches!(sep, b'-' | b' ')
        && digit(i + 4)
        && digit(i + 5)
        && t[i + 6] == sep
        && (7..11).all(|k| digit(i + k));
    if !(shaped && starts_fresh(t, i)) || word_at(t, Some(i + 11)) || (t.get(i + 11) == Some(&b'-') && digit(i + 12)) {
        return None;
    }
    let area = &t[i..i + 3];
    let ok = area != b"000" && area != b"666" && area[0] != b'9' && &t[i + 4..i + 6] != b"00" && &t[i + 7..i + 11] != b"0000";
    ok.then_some(i + 11)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guardrails::detect::{found, Detector};

    #[test]
    fn luhn_and_mod97() {
        assert!(luhn(b"4111111111111111") && !luhn(b"4111111111111112"));
        assert!(iban_valid(b"DE89370400440532013000") && !iban_valid(b"DE89370400440532013001"));
        assert!(iban_valid(b"GB82WEST12345698765432"));
    }

    #[test]
    fn cards_true_positives() {
        let t = "visa 4111 1111 1111 1111, mc 5555-5555-5555-4444, amex 378282246310005 and 4012888888881881.";
        assert_eq!(found(t, Detector::Card), vec!["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "4012888888881881"]);
    }

    #[test]
    fn cards_false_positives() {
        for t in [
            "id 4111111111111112",         // fails Luhn
            "tracking 1111111111111117",   // passes Luhn, no card network starts with 1
            "serial 41111111111111110000", // too long
            "x4111111111111111",           // inside a token
            "ts 1700000000000",            // a timestamp
            "4111 1111",                   // too short
        ] {
            assert!(found(t, Detector::Card).is_empty(), "{t}");
        }
    }

    #[test]
    fn ibans() {
        let t = "pay DE89 3704 0044 0532 0130 00 or GB82WEST12345698765432 now";
        assert_eq!(found(t, Detector::Iban), vec!["DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432"]);
        for t in ["DE89370400440532013001", "AB12", "ISO 13616 said", "XDE89370400440532013000"] {
            assert!(found(t, Detector::Iban).is_empty(), "{t}");
        }
    }

    #[test]
    fn ssns() {
        assert_eq!(found("ssn 123-45-6789 or 078 05 1120.", Detector::Ssn), vec!["123-45-6789", "078 05 1120"]);
        for t in ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "1123-45-6789", "123-45-67890", "123-45-6789-1", "123-45 6789"] {
            assert!(found(t, Detector::Ssn).is_empty(), "{t}");
        }
    }
}
