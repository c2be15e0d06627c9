//! What a format module hands back to the HTTP layer, which applies the
//! behaviour (latency, chunk delay, cut, hang) while sending it.

use serde_json::Value;

pub enum Output {
    Json { status: u16, body: Value, headers: Vec<(String, String)> },
    /// Pre-encoded stream chunks (each a complete SSE event or binary frame).
    Stream { content_type: &'static str, chunks: Vec<Vec<u8>> },
}

impl Output {
    pub fn json(status: u16, body: Value) -> Output {
        Output::Json { status, body, headers: Vec::new() }
    }

    pub fn sse(events: Vec<String>) -> Output {
        Output::Stream { content_type: "text/event-stream", chunks: events.into_iter().map(String::into_bytes).collect() }
    }
}

/// `data: <json>\n\n`
pub fn data_event(v: &Value) -> String {
    format!("data: {v}\n\n")
}
