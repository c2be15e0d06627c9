//! Delivering records downstream to a workspace's log sink: one POST per
//! workspace per queue batch, JSON lines (one record each, with its
//! `kind`), at least once — a receiver de-duplicates on `id`. What a sink's
//! answer means for the records is decided here.

use super::audit_record::QueueMessage;

/// What to do after posting a batch to a sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// A transient failure (network, 5xx, 408, 429): retry the records.
    Retry,
    /// The sink refuses them for good (other 4xx): retrying cannot help.
    Refused,
}

pub fn outcome(status: Option<u16>) -> Outcome {
    match status {
        Some(s) if (200..300).contains(&s) => Outcome::Delivered,
        Some(408 | 429) | None => Outcome::Retry,
        Some(s) if (400..500).contains(&s) => Outcome::Refused,
        Some(_) => Outcome::Retry,
    }
}

/// Bodies are archive traffic, not records: they are never delivered.
pub fn delivered_kind(m: &QueueMessage) -> bool {
    !matches!(m, QueueMessage::Body(_))
}

/// The batch as JSON lines.
pub fn ndjson<'a>(messages: impl Iterator<Item = &'a QueueMessage>) -> String {
    let mut out = String::new();
    for m in messages.filter(|m| delivered_kind(m)) {
        if let Ok(line) = m.to_json() {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::archive::QueuedBody;
    use crate::observe::log_record::LogRecord;

    #[test]
    fn statuses() {
        assert_eq!(outcome(Some(204)), Outcome::Delivered);
        assert_eq!(outcome(Some(503)), Outcome::Retry);
        assert_eq!(outcome(Some(429)), Outcome::Retry);
        assert_eq!(outcome(None), Outcome::Retry);
        assert_eq!(outcome(Some(404)), Outcome::Refused);
    }

    #[test]
    fn json_lines_without_bodies() {
        let log = QueueMessage::Log(Box::new(LogRecord { id: "r1".into(), ..Default::default() }));
        let body = QueueMessage::Body(QueuedBody { key: "k".into(), content_type: "x".into(), data: String::new() });
        let lines = ndjson([&log, &body].into_iter());
        assert_eq!(lines.lines().count(), 1);
        assert!(lines.starts_with("{\"kind\":\"log\"") && lines.contains("\"id\":\"r1\""));
    }
}
