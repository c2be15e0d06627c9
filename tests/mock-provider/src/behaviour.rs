//! How the mock misbehaves, chosen per request.
//!
//! Three ways to choose, most specific first:
//! 1. a queue of behaviours scripted for a tag (`POST /_mock/script`),
//!    consumed one per request: "fail twice, then answer";
//! 2. directives in the first path segment of the provider's base URL:
//!    `http://127.0.0.1:PORT/~tag=primary,status=500/v1`;
//! 3. the default: answer promptly and correctly.

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Behaviour {
    /// Answer with this HTTP status and an error body in the provider's format.
    pub status: Option<u16>,
    /// Wait before sending the response headers.
    pub latency_ms: u64,
    /// Wait between streamed chunks.
    pub chunk_delay_ms: u64,
    /// Stream this many chunks, then break the connection.
    pub cut_after: Option<usize>,
    /// Never answer (until the client gives up).
    pub hang: bool,
    /// `retry-after` header (seconds) on error answers.
    pub retry_after: Option<u64>,
    /// Use this text as the assistant's answer.
    pub content: Option<String>,
    /// Error message for error answers.
    pub message: Option<String>,
}

/// Directives parsed from a `~k=v,k=v,flag` path segment.
#[derive(Debug, Default, Clone)]
pub struct Directives {
    pub tag: Option<String>,
    pub behaviour: Behaviour,
}

pub fn parse_directives(segment: &str) -> Result<Directives, String> {
    let mut d = Directives::default();
    for item in segment.split(',').filter(|s| !s.is_empty()) {
        let (k, v) = item.split_once('=').unwrap_or((item, ""));
        let num = |v: &str| v.parse::<u64>().map_err(|_| format!("directive {k} needs a number, got '{v}'"));
        let b = &mut d.behaviour;
        match k {
            "tag" => d.tag = Some(v.to_string()),
            "status" => b.status = Some(num(v)? as u16),
            "latency" | "latency_ms" => b.latency_ms = num(v)?,
            "chunk_delay" | "chunk_delay_ms" => b.chunk_delay_ms = num(v)?,
            "cut_after" => b.cut_after = Some(num(v)? as usize),
            "retry_after" => b.retry_after = Some(num(v)?),
            "hang" => b.hang = true,
            "content" => b.content = Some(v.replace('+', " ")),
            _ => return Err(format!("unknown directive '{k}'")),
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives() {
        let d = parse_directives("tag=p,status=429,retry_after=1,latency=5,hang").unwrap();
        assert_eq!(d.tag.as_deref(), Some("p"));
        assert_eq!(d.behaviour.status, Some(429));
        assert_eq!(d.behaviour.retry_after, Some(1));
        assert_eq!(d.behaviour.latency_ms, 5);
        assert!(d.behaviour.hang);
        assert!(parse_directives("bogus=1").is_err());
    }
}
