//! Splitting a streamed JSON array (`[{…},\r\n{…}]`) into its objects as the
//! bytes arrive. `streamGenerateContent` answers this way when the request
//! has no `alt=sse` (clients calling Gemini natively through the gateway may
//! ask for either form).

#[derive(Debug, Default)]
pub struct JsonArraySplitter {
    buf: Vec<u8>,
    /// First byte of `buf` not yet examined.
    scan: usize,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl JsonArraySplitter {
    /// Feeds bytes; returns each top-level element object completed by them.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        // Where the element being read began (`buf` always starts at it).
        let mut start = 0;
        let mut i = self.scan;
        while i < self.buf.len() {
            let b = self.buf[i];
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
            } else {
                match b {
                    b'"' if self.depth > 0 => self.in_string = true,
                    b'{' => {
                        if self.depth == 0 {
                            start = i;
                        }
                        self.depth += 1;
                    }
                    b'}' if self.depth > 0 => {
                        self.depth -= 1;
                        if self.depth == 0 {
                            out.push(self.buf[start..=i].to_vec());
                            start = i + 1;
                        }
                    }
                    // `[`, `,`, `]` and whitespace between elements.
                    _ if self.depth == 0 => start = i + 1,
                    _ => {}
                }
            }
            i += 1;
        }
        self.buf.drain(..start);
        self.scan = self.buf.len();
        out
    }

    /// Bytes of an element that never completed.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = "[{\"a\":\"x}{\\\"\",\"b\":[1,{\"c\":2}]}\r\n,\r\n{\"d\":\"]\"}\r\n]";

    #[test]
    fn elements_at_any_chunking() {
        for size in 1..STREAM.len() {
            let mut s = JsonArraySplitter::default();
            let mut got = Vec::new();
            for c in STREAM.as_bytes().chunks(size) {
                got.extend(s.push(c));
            }
            let got: Vec<String> = got.into_iter().map(|g| String::from_utf8(g).unwrap()).collect();
            assert_eq!(got, vec!["{\"a\":\"x}{\\\"\",\"b\":[1,{\"c\":2}]}", "{\"d\":\"]\"}"], "size {size}");
            assert_eq!(s.pending(), 0);
        }
    }

    #[test]
    fn an_unfinished_element_stays_pending() {
        let mut s = JsonArraySplitter::default();
        assert!(s.push(b"[{\"a\":").is_empty());
        assert!(s.pending() > 0);
    }
}
