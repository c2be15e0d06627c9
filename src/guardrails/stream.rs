//! Streamed answers through the guardrails, event by event, without
//! waiting for the end: a `GuardStream` wraps the stream transform of the
//! answer (whatever the client format) and rewrites the text of each SSE
//! event's JSON.
//!
//! Text arrives in deltas, and a value can be split between two of them
//! (`⟨EMA` + `IL_1⟩`). Each delta string belongs to a *channel* — its path
//! in the event, with the `index` of the choice, tool call or content block
//! it belongs to — and a stage may hold the end of a channel's text back
//! until the next delta of that channel arrives. Held text goes out (in a
//! copy of the channel's last event) before the next event that carries no
//! delta — a finish, a block's end, usage, `[DONE]` — and at the end.
//!
//! Two stages: `Scan` (the output checks; holds back up to `WINDOW` bytes
//! so a value split across deltas is still seen whole) and `Restore`
//! (tokenize's placeholders back to the originals; holds only an unclosed
//! placeholder). The pipeline runs Scan before the cache recorder and
//! Restore after it, so a stored answer holds placeholders, never values.

use super::body::may_hold_placeholder;
use super::config::{Decided, Direction};
use super::findings::{Blocked, Findings};
use super::scan;
use super::vault::{self, Vault};
use crate::core::error::GatewayError;
use crate::providers::sse::{self, SseEvent, SseParser};
use crate::providers::stream_transform::{ChunkOut, StreamSummary, StreamTransform};
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;

/// How much of a channel's text the output checks hold back: values up to
/// this long are found even when split across deltas.
pub const WINDOW: usize = 256;

/// Event fields that are not text: never held or rewritten.
const STRUCTURAL: &[&str] = &["id", "type", "object", "model", "role", "finish_reason", "stop_reason", "name", "call_id", "item_id", "signature", "system_fingerprint"];

/// What a stage does with a channel's text (held text first).
pub trait TextStage {
    /// Whether an event must be read at all when nothing is held.
    fn wants(&self, data: &str) -> bool;
    /// The text to send now (rewritten) and where the held rest begins;
    /// `last`: nothing more will follow on this channel.
    fn step(&mut self, text: &str, last: bool) -> Result<(String, usize), Blocked>;
}

/// Restores this request's placeholders.
pub struct Restore(pub Rc<Vault>);

impl TextStage for Restore {
    fn wants(&self, data: &str) -> bool {
        may_hold_placeholder(data.as_bytes())
    }

    fn step(&mut self, text: &str, last: bool) -> Result<(String, usize), Blocked> {
        let cut = if last { text.len() } else { vault::unclosed_from(text).unwrap_or(text.len()) };
        Ok((self.0.restore(&text[..cut]).into_owned(), cut))
    }
}

/// Runs the output checks (log, redact, block).
pub struct Scan {
    pub checks: Vec<Decided>,
    pub findings: Rc<RefCell<Findings>>,
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl TextStage for Scan {
    fn wants(&self, _: &str) -> bool {
        true
    }

    fn step(&mut self, text: &str, last: bool) -> Result<(String, usize), Blocked> {
        if !last && text.len() <= WINDOW {
            return Ok((String::new(), 0));
        }
        let spans = scan::matches(text, &self.checks);
        let mut cut = if last { text.len() } else { floor_boundary(text, text.len() - WINDOW) };
        if let Some(s) = spans.iter().find(|s| s.start < cut && s.end > cut) {
            cut = s.start;
        }
        let within: Vec<scan::Span> = spans.into_iter().filter(|s| s.end <= cut).collect();
        let mut unused = Vault::default();
        let masked = scan::apply(&text[..cut], &within, &self.checks, Direction::Output, &mut unused, &mut self.findings.borrow_mut())?;
        Ok((masked.unwrap_or_else(|| text[..cut].to_string()), cut))
    }
}

/// One string of an event: where it is, which channel, whether a delta.
struct Leaf {
    pointer: String,
    channel: String,
    delta: bool,
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The `index` (and Responses' `output_index`/`content_index`) of an object, as a channel mark.
fn index_mark(map: &serde_json::Map<String, Value>) -> String {
    ["index", "output_index", "content_index"].iter().filter_map(|k| map.get(*k).and_then(Value::as_u64).map(|n| format!("#{n}"))).collect()
}

/// Whether a string at these keys is a piece of a longer text: under a
/// `delta`, or a completions / Gemini text chunk.
fn is_delta(keys: &[&str]) -> bool {
    keys.contains(&"delta") || (keys.first() == Some(&"choices") && keys.last() == Some(&"text")) || (keys.first() == Some(&"candidates") && keys.last() == Some(&"text"))
}

fn leaves<'v>(v: &'v Value, pointer: &mut String, channel: &mut String, keys: &mut Vec<&'v str>, out: &mut Vec<Leaf>) {
    match v {
        Value::String(_) => out.push(Leaf { pointer: pointer.clone(), channel: channel.clone(), delta: is_delta(keys) }),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let (p, c) = (pointer.len(), channel.len());
                pointer.push_str(&format!("/{i}"));
                match item.as_object().map(index_mark).filter(|m| !m.is_empty()) {
                    Some(mark) => channel.push_str(&mark),
                    None => channel.push_str(&format!("/{i}")),
                }
                leaves(item, pointer, channel, keys, out);
                pointer.truncate(p);
                channel.truncate(c);
            }
        }
        Value::Object(map) => {
            let c0 = channel.len();
            channel.push_str(&index_mark(map));
            for (k, child) in map.iter().filter(|(k, _)| !STRUCTURAL.contains(&k.as_str())) {
                let (p, c) = (pointer.len(), channel.len());
                let segment = format!("/{}", escape(k));
                pointer.push_str(&segment);
                channel.push_str(&segment);
                keys.push(k);
                leaves(child, pointer, channel, keys, out);
                keys.pop();
                pointer.truncate(p);
                channel.truncate(c);
            }
            channel.truncate(c0);
        }
        _ => {}
    }
}

/// A channel's text held back, and the event it came in (to send it in).
struct Held {
    channel: String,
    text: String,
    event: Option<String>,
    template: Value,
    pointer: String,
}

/// How a guarded stream ended: `Some` when an output block withheld the rest.
pub type Withheld = Rc<RefCell<Option<Blocked>>>;

pub struct GuardStream<S: TextStage> {
    inner: Box<dyn StreamTransform>,
    stage: S,
    parser: SseParser,
    held: Vec<Held>,
    withheld: Withheld,
    stopped: bool,
}

impl<S: TextStage> GuardStream<S> {
    pub fn new(inner: Box<dyn StreamTransform>, stage: S) -> (Self, Withheld) {
        let withheld: Withheld = Rc::default();
        (GuardStream { inner, stage, parser: SseParser::new(), held: Vec::new(), withheld: withheld.clone(), stopped: false }, withheld)
    }

    /// Bytes `inner` already produced (a first chunk read before the pipe started).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() + 64);
        if self.stopped {
            return out;
        }
        for ev in self.parser.push(bytes) {
            self.event(ev, &mut out);
            if self.stopped {
                break;
            }
        }
        out
    }

    fn block(&mut self, b: Blocked, out: &mut Vec<u8>) {
        out.extend(self.inner.error_event(&b.to_error()));
        *self.withheld.borrow_mut() = Some(b);
        self.stopped = true;
        self.held.clear();
    }

    fn flush(&mut self, held: Held, out: &mut Vec<u8>) -> bool {
        match self.stage.step(&held.text, true) {
            Ok((text, _)) if text.is_empty() => true,
            Ok((text, _)) => {
                let mut event = held.template;
                if let Some(slot) = event.pointer_mut(&held.pointer) {
                    *slot = Value::String(text);
                }
                out.extend(sse::encode(held.event.as_deref(), &event.to_string()));
                true
            }
            Err(b) => {
                self.block(b, out);
                false
            }
        }
    }

    fn flush_all(&mut self, out: &mut Vec<u8>) {
        for held in std::mem::take(&mut self.held) {
            if !self.flush(held, out) {
                return;
            }
        }
    }

    fn event(&mut self, ev: SseEvent, out: &mut Vec<u8>) {
        let read = !ev.data.is_empty() && (!self.held.is_empty() || self.stage.wants(&ev.data));
        let parsed = read.then(|| serde_json::from_str::<Value>(&ev.data).ok()).flatten().filter(|v| v.is_object() || v.is_array());
        let Some(mut value) = parsed else {
            // Not JSON text (`[DONE]`, a keep-alive): whatever is held goes first.
            if !ev.is_comment_only() {
                self.flush_all(out);
            }
            if !self.stopped {
                out.extend_from_slice(&ev.raw);
            }
            return;
        };
        let mut found = Vec::new();
        leaves(&value, &mut String::new(), &mut String::new(), &mut Vec::new(), &mut found);
        let continues = found.iter().any(|l| l.delta);
        let mut changed = false;
        let mut kept: Vec<(String, String, String)> = Vec::new(); // channel, pointer, text
        for leaf in found {
            let Some(Value::String(s)) = value.pointer_mut(&leaf.pointer) else { continue };
            let before = match leaf.delta {
                true => self.held.iter().position(|h| h.channel == leaf.channel).map(|i| self.held.remove(i).text),
                false => None,
            };
            let prepended = before.is_some();
            let text = match before {
                Some(mut b) => {
                    b.push_str(s);
                    b
                }
                None => std::mem::take(s),
            };
            match self.stage.step(&text, !leaf.delta) {
                Ok((released, cut)) => {
                    changed |= prepended || cut < text.len() || released != text;
                    if cut < text.len() {
                        kept.push((leaf.channel, leaf.pointer, text[cut..].to_string()));
                    }
                    *s = released;
                }
                Err(b) => return self.block(b, out),
            }
        }
        // An event with no text delta (a finish, a block's end, usage) ends
        // every channel: what is held goes out first. Deltas of other
        // channels (parallel tool calls) leave a held channel waiting.
        if !continues {
            self.flush_all(out);
            if self.stopped {
                return;
            }
        }
        for (channel, pointer, text) in kept {
            self.held.push(Held { channel, text, event: ev.event.clone(), template: value.clone(), pointer });
        }
        match changed {
            true => out.extend(sse::encode(ev.event.as_deref(), &value.to_string())),
            false => out.extend_from_slice(&ev.raw),
        }
    }
}

impl<S: TextStage> StreamTransform for GuardStream<S> {
    fn push(&mut self, chunk: &[u8]) -> ChunkOut {
        let translated = self.inner.push(chunk);
        if self.stopped {
            // Withheld: nothing more goes out, but the stream is still read
            // through `inner`, so its usage is observed and charged.
            return ChunkOut::Bytes(Vec::new());
        }
        let out = match translated {
            ChunkOut::Same => self.feed(chunk),
            ChunkOut::Bytes(b) => self.feed(&b),
        };
        ChunkOut::Bytes(out)
    }

    fn finish(&mut self) -> Vec<u8> {
        let tail = self.inner.finish();
        if self.stopped {
            return Vec::new();
        }
        let mut out = self.feed(&tail);
        if let Some(ev) = self.parser.finish() {
            self.event(ev, &mut out);
        }
        if !self.stopped {
            self.flush_all(&mut out);
        }
        out
    }

    fn summary(&self) -> StreamSummary {
        self.inner.summary()
    }

    fn error_event(&self, e: &GatewayError) -> Vec<u8> {
        self.inner.error_event(e)
    }
}

/// A stream already in the client's format (a cached answer): every chunk
/// as it is.
pub struct AsIs;

impl StreamTransform for AsIs {
    fn push(&mut self, _: &[u8]) -> ChunkOut {
        ChunkOut::Same
    }
    fn finish(&mut self) -> Vec<u8> {
        Vec::new()
    }
    fn summary(&self) -> StreamSummary {
        StreamSummary::default()
    }
    fn error_event(&self, e: &GatewayError) -> Vec<u8> {
        sse::encode(None, &e.to_openai_json())
    }
}

/// A complete SSE body (a cached answer) with its placeholders restored.
pub fn restore_sse(bytes: &[u8], vault: Rc<Vault>) -> Vec<u8> {
    let (mut s, _) = GuardStream::new(Box::new(AsIs), Restore(vault));
    let mut out = s.feed(bytes);
    out.extend(s.finish());
    out
}

#[cfg(test)]
mod tests;
