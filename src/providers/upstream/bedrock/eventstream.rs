//! The AWS event-stream binary framing (`application/vnd.amazon.eventstream`),
//! decoded incrementally: bytes arrive in arbitrary pieces, messages come
//! out whole, both checksums verified.
//!
//! A message is
//!
//! ```text
//! total length u32 BE | headers length u32 BE | prelude CRC32 (of the 8 bytes before)
//! headers             | payload               | message CRC32 (of everything before)
//! ```
//!
//! and a header is `name length u8, name, type u8, value`, the value's size
//! depending on its type (string and byte array: `u16 BE` length + bytes).

const PRELUDE: usize = 12;
const MIN_MESSAGE: usize = PRELUDE + 4;
/// Larger than any frame AWS sends (its limit is 16 MiB with 128 KiB of headers).
const MAX_MESSAGE: usize = 24 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum HeaderValue {
    String(String),
    /// Any other type: its bytes are skipped, only its presence is kept.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub headers: Vec<(String, HeaderValue)>,
    pub payload: Vec<u8>,
}

impl Message {
    /// A string header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).and_then(|(_, v)| match v {
            HeaderValue::String(s) => Some(s.as_str()),
            HeaderValue::Other => None,
        })
    }
}

/// Why the stream could not be read; framing is lost after one.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameError(pub String);

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn crc(bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(bytes);
    h.finalize()
}

fn parse_headers(mut b: &[u8]) -> Result<Vec<(String, HeaderValue)>, FrameError> {
    let short = || FrameError("an event-stream header runs past its block".into());
    let mut headers = Vec::new();
    while !b.is_empty() {
        let name_len = b[0] as usize;
        let name = b.get(1..1 + name_len).ok_or_else(short)?;
        let name = String::from_utf8_lossy(name).into_owned();
        b = &b[1 + name_len..];
        let kind = *b.first().ok_or_else(short)?;
        b = &b[1..];
        let fixed = match kind {
            0 | 1 => Some(0), // bool true / false
            2 => Some(1),     // byte
            3 => Some(2),     // short
            4 => Some(4),     // integer
            5 | 8 => Some(8), // long, timestamp
            9 => Some(16),    // uuid
            6 | 7 => None,    // byte array, string
            other => return Err(FrameError(format!("unknown event-stream header type {other}"))),
        };
        let value = match fixed {
            Some(n) => {
                if b.len() < n {
                    return Err(short());
                }
                b = &b[n..];
                HeaderValue::Other
            }
            None => {
                let len = b.get(..2).map(|l| u16::from_be_bytes([l[0], l[1]]) as usize).ok_or_else(short)?;
                let bytes = b.get(2..2 + len).ok_or_else(short)?;
                let v = if kind == 7 {
                    HeaderValue::String(String::from_utf8_lossy(bytes).into_owned())
                } else {
                    HeaderValue::Other
                };
                b = &b[2 + len..];
                v
            }
        };
        headers.push((name, value));
    }
    Ok(headers)
}

/// One complete frame at the start of `b`, or `None` when more bytes are needed.
fn parse_frame(b: &[u8]) -> Result<Option<(Message, usize)>, FrameError> {
    if b.len() < PRELUDE {
        return Ok(None);
    }
    let total = u32_at(b, 0) as usize;
    let headers_len = u32_at(b, 4) as usize;
    if crc(&b[..8]) != u32_at(b, 8) {
        return Err(FrameError("event-stream prelude checksum mismatch".into()));
    }
    if !(MIN_MESSAGE..=MAX_MESSAGE).contains(&total) || headers_len > total - MIN_MESSAGE {
        return Err(FrameError(format!("event-stream frame with impossible lengths ({total}, {headers_len})")));
    }
    if b.len() < total {
        return Ok(None);
    }
    if crc(&b[..total - 4]) != u32_at(b, total - 4) {
        return Err(FrameError("event-stream message checksum mismatch".into()));
    }
    let headers = parse_headers(&b[PRELUDE..PRELUDE + headers_len])?;
    let payload = b[PRELUDE + headers_len..total - 4].to_vec();
    Ok(Some((Message { headers, payload }, total)))
}

/// Incremental decoder: keeps the bytes of an unfinished frame.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    failed: bool,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Frames completed by these bytes. After an error nothing more is
    /// decoded (the boundaries of later frames are unknown).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<Message, FrameError>> {
        let mut out = Vec::new();
        if self.failed {
            return out;
        }
        self.buf.extend_from_slice(bytes);
        let mut at = 0;
        loop {
            match parse_frame(&self.buf[at..]) {
                Ok(Some((m, used))) => {
                    at += used;
                    out.push(Ok(m));
                }
                Ok(None) => break,
                Err(e) => {
                    self.failed = true;
                    self.buf.clear();
                    out.push(Err(e));
                    return out;
                }
            }
        }
        self.buf.drain(..at);
        out
    }

    /// Bytes of an unfinished frame are held.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }
}

/// Writes one frame with string headers (for tests; the mock provider has its own).
#[cfg(test)]
pub fn encode(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    for (name, value) in headers {
        h.push(name.len() as u8);
        h.extend_from_slice(name.as_bytes());
        h.push(7);
        h.extend_from_slice(&(value.len() as u16).to_be_bytes());
        h.extend_from_slice(value.as_bytes());
    }
    let total = (PRELUDE + h.len() + payload.len() + 4) as u32;
    let mut out = Vec::with_capacity(total as usize);
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&(h.len() as u32).to_be_bytes());
    out.extend_from_slice(&crc(&out[..8]).to_be_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc(&out).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The framing's published test vectors (empty message; payload without
    /// headers; one string header), as hex, one message per line.
    fn vectors() -> Vec<Vec<u8>> {
        include_str!("../../../../tests/fixtures/bedrock/eventstream_vectors.hex")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let l: String = l.split_whitespace().collect();
                (0..l.len()).step_by(2).map(|i| u8::from_str_radix(&l[i..i + 2], 16).unwrap()).collect()
            })
            .collect()
    }

    #[test]
    fn published_vectors_decode_at_every_split() {
        let all: Vec<u8> = vectors().concat();
        for size in 1..=all.len() {
            let mut d = Decoder::new();
            let msgs: Vec<Message> = all.chunks(size).flat_map(|c| d.push(c)).map(Result::unwrap).collect();
            assert_eq!(msgs.len(), 3, "chunk size {size}");
            assert!(msgs[0].headers.is_empty() && msgs[0].payload.is_empty());
            assert_eq!(msgs[1].payload, b"{'foo':'bar'}");
            assert_eq!(msgs[2].header("content-type"), Some("application/json"));
            assert_eq!(msgs[2].payload, b"{'foo':'bar'}");
            assert!(!d.has_partial());
        }
    }

    #[test]
    fn encoder_reproduces_published_vectors() {
        let v = vectors();
        assert_eq!(encode(&[], b""), v[0]);
        assert_eq!(encode(&[], b"{'foo':'bar'}"), v[1]);
        assert_eq!(encode(&[("content-type", "application/json")], b"{'foo':'bar'}"), v[2]);
    }

    #[test]
    fn corrupted_checksums_fail_once() {
        let mut frame = vectors()[2].clone();
        let last = frame.len() - 1;
        frame[last] ^= 1;
        let mut d = Decoder::new();
        let out = d.push(&frame);
        assert!(matches!(&out[..], [Err(FrameError(m))] if m.contains("message checksum")));
        assert!(d.push(&vectors()[1]).is_empty(), "nothing after a framing error");

        let mut frame = vectors()[1].clone();
        frame[9] ^= 0xff;
        assert!(matches!(&Decoder::new().push(&frame)[..], [Err(FrameError(m))] if m.contains("prelude")));
    }

    #[test]
    fn every_header_type_is_skipped_by_size() {
        let mut h = Vec::new();
        let mut add = |name: &str, kind: u8, value: &[u8]| {
            h.push(name.len() as u8);
            h.extend_from_slice(name.as_bytes());
            h.push(kind);
            h.extend_from_slice(value);
        };
        add("t", 0, &[]);
        add("f", 1, &[]);
        add("b", 2, &[7]);
        add("s", 3, &[0, 7]);
        add("i", 4, &[0, 0, 0, 7]);
        add("l", 5, &[0; 8]);
        add("ba", 6, &[0, 3, 1, 2, 3]);
        add(":event-type", 7, &[0, 5, b'h', b'e', b'l', b'l', b'o']);
        add("ts", 8, &[0; 8]);
        add("id", 9, &[0; 16]);
        let headers = parse_headers(&h).unwrap();
        assert_eq!(headers.len(), 10);
        assert_eq!(headers[7], (":event-type".to_string(), HeaderValue::String("hello".into())));
        assert!(parse_headers(&[1, b'x', 42]).is_err());
        assert!(parse_headers(&[1, b'x', 7, 0, 9, b'a']).is_err());
    }

    #[test]
    fn impossible_lengths_are_errors() {
        let mut b = vec![0, 0, 0, 4, 0, 0, 0, 0];
        b.extend_from_slice(&crc(&b).to_be_bytes());
        assert!(Decoder::new().push(&b)[0].is_err());
    }
}
