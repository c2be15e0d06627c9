//! Model ids and other client-chosen names placed in a provider URL path.

/// Percent-encodes everything but RFC 3986 unreserved characters, so a
/// name becomes exactly one path segment: `/`, `?`, `#` and `%` in it can
/// neither add segments nor start a query at the provider.
pub fn segment(s: &str) -> String {
    if s == "." || s == ".." {
        // A dot segment would move up the path; encoded, it is a name.
        return s.replace('.', "%2E");
    }
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The reverse of percent-encoding, for paths read from a client.
/// Decodes `%XX` escapes (invalid ones are kept as they are).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_segment_whatever_the_name() {
        assert_eq!(segment("gpt-4o-mini"), "gpt-4o-mini");
        assert_eq!(segment("../files?x=1#y"), "..%2Ffiles%3Fx%3D1%23y");
        assert_eq!(segment("a b%"), "a%20b%25");
        assert_eq!(segment(".."), "%2E%2E");
    }
}
