//! The client's request as the pipeline reads it: method, path, query and
//! headers taken from the runtime's `Request` once, the body read within a
//! limit.
//!
//! Why not `worker::Request`: wrapping a request in it reads the `cf`
//! object eagerly (a JS object turned into a Rust value on every request,
//! 6.8% of the gateway's CPU profile at c=32 when it was used) and parses
//! the URL with the `url` crate; the pipeline needs neither. The admin API
//! still gets a `worker::Request` (`into_worker`): it is not the hot path.

use crate::core::error::{ErrorCode, GatewayError};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub struct ClientRequest {
    raw: web_sys::Request,
    pub method: String,
    /// The URL's path, as the runtime serialised it (dot segments resolved,
    /// percent-escapes kept).
    pub path: String,
    /// The URL's query, without `?`; empty when it has none.
    pub query: String,
    /// Every header, names lower-case (the runtime's `Headers` order).
    pub headers: Vec<(String, String)>,
}

/// Path and query of a serialised absolute URL (`scheme://host[:port]/path?query#fragment`).
pub fn path_and_query(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let rest = &rest[rest.find('/').unwrap_or(rest.len())..];
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    (if path.is_empty() { "/" } else { path }, query)
}

impl ClientRequest {
    pub fn new(raw: web_sys::Request) -> ClientRequest {
        let url = raw.url();
        let (path, query) = path_and_query(&url);
        let (path, query) = (path.to_string(), query.to_string());
        let headers = worker::Headers(raw.headers()).entries().collect();
        ClientRequest { method: raw.method(), path, query, headers, raw }
    }

    /// For handlers written against `worker::Request` (the admin API).
    pub fn into_worker(self) -> worker::Request {
        worker::Request::from(self.raw)
    }

    /// A header, trimmed; `None` when absent or empty.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// Reads the body, refusing more than `limit` bytes with a 413. A body
    /// with a `content-length` is read in one call (the runtime holds it to
    /// that length); a chunked one is counted as it streams in and cut at
    /// the limit, never buffered whole first.
    pub async fn read_body(&self, limit: usize) -> Result<Vec<u8>, GatewayError> {
        let unreadable = || GatewayError::invalid_request(ErrorCode::UnreadableBody, "The request body could not be read.");
        match self.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
            Some(n) if n > limit => return Err(GatewayError::payload_too_large(limit)),
            Some(_) => {
                let promise = self.raw.array_buffer().map_err(|_| unreadable())?;
                let buffer = JsFuture::from(promise).await.map_err(|_| unreadable())?;
                let body = js_sys::Uint8Array::new(&buffer).to_vec();
                if body.len() > limit {
                    return Err(GatewayError::payload_too_large(limit));
                }
                return Ok(body);
            }
            None => {}
        }
        let Some(stream) = self.raw.body() else { return Ok(Vec::new()) };
        let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
        let mut out = Vec::new();
        loop {
            let result = JsFuture::from(reader.read()).await.map_err(|_| unreadable())?;
            let done = js_sys::Reflect::get(&result, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()).unwrap_or(true);
            if done {
                return Ok(out);
            }
            let value = js_sys::Reflect::get(&result, &JsValue::from_str("value")).map_err(|_| unreadable())?;
            let chunk: js_sys::Uint8Array = value.dyn_into().map_err(|_| unreadable())?;
            if out.len() + chunk.length() as usize > limit {
                // Stop reading: the rest is never taken in.
                let _ = reader.cancel();
                return Err(GatewayError::payload_too_large(limit));
            }
            let start = out.len();
            out.resize(start + chunk.length() as usize, 0);
            chunk.copy_to(&mut out[start..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::path_and_query;

    #[test]
    fn path_and_query_of_serialised_urls() {
        assert_eq!(path_and_query("http://127.0.0.1:8787/v1/chat/completions"), ("/v1/chat/completions", ""));
        assert_eq!(path_and_query("https://gw.example/gemini/v1beta/models/x:generateContent?key=vk-1&alt=sse"), ("/gemini/v1beta/models/x:generateContent", "key=vk-1&alt=sse"));
        assert_eq!(path_and_query("https://gw.example"), ("/", ""));
        assert_eq!(path_and_query("https://gw.example/a?b#c?d"), ("/a", "b"));
        assert_eq!(path_and_query("https://gw.example/a#frag"), ("/a", ""));
        assert_eq!(path_and_query("https://gw.example/%2e%2e/x?q=/y"), ("/%2e%2e/x", "q=/y"));
    }
}
