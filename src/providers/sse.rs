//! Incremental Server-Sent Events parsing.
//!
//! Bytes arrive in arbitrary chunks (an event may be split anywhere, even
//! inside a `\r\n`). The parser buffers only the unfinished tail and hands
//! back each complete event with its raw bytes, so a pass-through stream can
//! forward an event unchanged, drop it, or replace it after reading it.

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// `data:` lines joined with `\n`.
    pub data: String,
    /// The event exactly as received, terminating blank line included.
    pub raw: Vec<u8>,
}

impl SseEvent {
    /// True for an event that carries no fields (comments or keep-alives only).
    pub fn is_comment_only(&self) -> bool {
        self.event.is_none() && self.data.is_empty()
    }
}

#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    /// Where scanning resumes: the start of the current (unfinished) line
    /// and the first byte of `buf` not yet examined. Keeping both makes a
    /// long event arriving in tiny chunks cost linear, not quadratic, time.
    line_start: usize,
    scan_pos: usize,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk; returns every event it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        self.buf.extend_from_slice(chunk);
        let mut events = Vec::new();
        while let Some(end) = self.find_event_end() {
            let raw: Vec<u8> = self.buf.drain(..end).collect();
            self.line_start = 0;
            self.scan_pos = 0;
            events.push(parse_event(raw));
        }
        events
    }

    /// Ends the stream: an unterminated last event is still returned.
    pub fn finish(&mut self) -> Option<SseEvent> {
        self.line_start = 0;
        self.scan_pos = 0;
        if self.buf.iter().all(|b| b.is_ascii_whitespace()) {
            self.buf.clear();
            return None;
        }
        Some(parse_event(std::mem::take(&mut self.buf)))
    }

    /// Bytes received but not yet part of a complete event.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Index just past the blank line that ends the first event in `buf`.
    fn find_event_end(&mut self) -> Option<usize> {
        let buf = &self.buf;
        let mut i = self.scan_pos;
        let mut line_start = self.line_start;
        while i < buf.len() {
            let b = buf[i];
            if b == b'\n' || b == b'\r' {
                let term_end = if b == b'\r' {
                    match buf.get(i + 1) {
                        Some(b'\n') => i + 2,
                        Some(_) => i + 1,
                        // A lone trailing '\r' may be the first half of "\r\n":
                        // look at it again when more bytes arrive.
                        None => break,
                    }
                } else {
                    i + 1
                };
                if i == line_start {
                    // Empty line: the event ends here. (Leading blank lines
                    // become empty events, which callers skip.)
                    return Some(term_end);
                }
                line_start = term_end;
                i = term_end;
            } else {
                i += 1;
            }
        }
        self.scan_pos = i;
        self.line_start = line_start;
        None
    }
}

fn parse_event(raw: Vec<u8>) -> SseEvent {
    let mut event = None;
    let mut data: Option<String> = None;
    let text = String::from_utf8_lossy(&raw);
    for line in text.split(['\n', '\r']) {
        if line.is_empty() || line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => event = Some(value.to_string()),
            "data" => match &mut data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => data = Some(value.to_string()),
            },
            _ => {}
        }
    }
    SseEvent { event, data: data.unwrap_or_default(), raw }
}

/// Encodes one event in the canonical `event:`/`data:` form.
pub fn encode(event: Option<&str>, data: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 32);
    if let Some(e) = event {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(e.as_bytes());
        out.push(b'\n');
    }
    for line in data.split('\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datas(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn whole_events_in_one_chunk() {
        let mut p = SseParser::new();
        let ev = p.push(b"data: {\"a\":1}\n\ndata: [DONE]\n\n");
        assert_eq!(datas(&ev), vec!["{\"a\":1}", "[DONE]"]);
        assert_eq!(ev[0].raw, b"data: {\"a\":1}\n\n");
        assert_eq!(p.pending(), 0);
    }

    #[test]
    fn events_split_at_every_byte() {
        let src = b"event: message_start\ndata: {\"x\":\"y\"}\n\n: keep-alive\n\ndata: two\r\n\r\n";
        let mut p = SseParser::new();
        let mut all = Vec::new();
        for b in src.iter() {
            all.extend(p.push(&[*b]));
        }
        let real: Vec<_> = all.iter().filter(|e| !e.is_comment_only()).collect();
        assert_eq!(real.len(), 2);
        assert_eq!(real[0].event.as_deref(), Some("message_start"));
        assert_eq!(real[0].data, "{\"x\":\"y\"}");
        assert_eq!(real[1].data, "two");
        // Raw bytes of all events reassemble the input exactly.
        let joined: Vec<u8> = all.iter().flat_map(|e| e.raw.clone()).collect();
        assert_eq!(joined, src.to_vec());
    }

    #[test]
    fn crlf_split_between_chunks() {
        let mut p = SseParser::new();
        assert!(p.push(b"data: a\r\n\r").is_empty());
        let ev = p.push(b"\ndata: b\r\n\r\n");
        assert_eq!(datas(&ev), vec!["a", "b"]);
    }

    #[test]
    fn multi_line_data_and_fields_without_space() {
        let mut p = SseParser::new();
        let ev = p.push(b"data:line1\ndata: line2\nid: 7\nretry: 10\n\n");
        assert_eq!(ev[0].data, "line1\nline2");
    }

    #[test]
    fn unterminated_tail_is_flushed_at_the_end() {
        let mut p = SseParser::new();
        assert!(p.push(b"data: last").is_empty());
        assert_eq!(p.finish().unwrap().data, "last");
        assert!(p.finish().is_none());
    }

    #[test]
    fn encode_round_trips() {
        let bytes = encode(Some("delta"), "a\nb");
        let mut p = SseParser::new();
        let ev = p.push(&bytes);
        assert_eq!(ev[0].event.as_deref(), Some("delta"));
        assert_eq!(ev[0].data, "a\nb");
    }

    #[test]
    fn many_small_chunks_do_not_rescan_quadratically() {
        // 200 KB of one event in 1-byte chunks completes and parses.
        let mut p = SseParser::new();
        let body = "x".repeat(200_000);
        for b in format!("data: {body}").bytes() {
            assert!(p.push(&[b]).is_empty());
        }
        let ev = p.push(b"\n\n");
        assert_eq!(ev[0].data.len(), 200_000);
    }
}
