//! Provider-neutral stream events → Responses API stream events.
//!
//! Every frame is `event: <type>` plus JSON data carrying the same `type`
//! and an increasing `sequence_number`. The stream opens with
//! `response.created` and `response.in_progress`; each output item (a
//! reasoning summary, a message, a function or custom tool call) is
//! announced with `response.output_item.added`, fed with deltas, and closed
//! with its `.done` events and `response.output_item.done` before the next
//! item starts (a call that starts while another is streaming waits, its
//! arguments buffered, until that one closes). Usage may arrive after the finish, so the final
//! `response.completed` (or `response.incomplete`) is sent at `Done`, with
//! the same Response object `response::to_json` builds for a whole answer.

use super::response::{
    arguments, base_id, call_id, call_item, custom_input, message_id, message_item, outcome, reasoning_id,
    reasoning_item, response_object, summary_part, text_part,
};
use super::Echo;
use crate::core::error::GatewayError;
use crate::providers::model::{FinishReason, StreamEvent, ToolCall};
use crate::providers::client::stream::ClientStreamEncoder;
use crate::providers::sse;
use crate::core::usage::Usage;
use serde_json::{json, Value};

/// One SSE frame of the Responses stream.
fn frame_at(seq: u64, kind: &str, mut body: Value) -> Vec<u8> {
    body["type"] = json!(kind);
    body["sequence_number"] = json!(seq);
    sse::encode(Some(kind), &body.to_string())
}

/// `error` then `response.failed`: how a Responses stream ends in failure.
/// `response` is the Response object so far; its status and error (with
/// `response_code`) are set here.
pub(crate) fn failure_frames(
    seq: u64,
    mut response: Value,
    code: &str,
    response_code: &str,
    message: &str,
    param: Option<&str>,
) -> Vec<u8> {
    let mut out = frame_at(seq, "error", json!({ "code": code, "message": message, "param": param }));
    response["status"] = json!("failed");
    response["error"] = json!({ "code": response_code, "message": message });
    out.extend(frame_at(seq + 1, "response.failed", json!({ "response": response })));
    out
}

/// The output item being streamed.
enum Open {
    Reasoning { id: String, text: String },
    Message { id: String, text: String },
    Call { id: String, index: u32, call: ToolCall, custom: bool },
}

/// A call started while another call was still streaming: held back, with
/// its arguments, until the open call closes (so that late fragments of
/// the open call can still be streamed and every `.done` is final).
struct PendingCall {
    index: u32,
    id: String,
    name: String,
    arguments: String,
}

/// A call already closed, kept so that argument fragments arriving after
/// all that (never seen from the current decoders) still reach the final
/// Response.
struct ClosedCall {
    index: u32,
    output_index: usize,
    id: String,
    call: ToolCall,
    custom: bool,
}

pub struct ResponsesEncoder {
    echo: Echo,
    /// The response id without `resp_`.
    base: String,
    model: String,
    created_at: u64,
    seq: u64,
    started: bool,
    /// `response.completed`/`incomplete`/`failed` was sent: nothing follows.
    ended: bool,
    /// Closed items, in output order.
    output: Vec<Value>,
    /// The item in progress; its output index is `output.len()`.
    open: Option<Open>,
    pending: Vec<PendingCall>,
    closed_calls: Vec<ClosedCall>,
    reasonings: usize,
    messages: usize,
    finish: Option<FinishReason>,
    usage: Option<Usage>,
}

impl ResponsesEncoder {
    /// `id` is the response id (`resp_` is added unless present); `model`
    /// is replaced by the provider's when its first event names one.
    pub fn new(echo: Echo, id: &str, model: &str, created_at: u64) -> Self {
        ResponsesEncoder {
            echo,
            base: base_id(id).to_string(),
            model: model.to_string(),
            created_at,
            seq: 0,
            started: false,
            ended: false,
            output: Vec::new(),
            open: None,
            pending: Vec::new(),
            closed_calls: Vec::new(),
            reasonings: 0,
            messages: 0,
            finish: None,
            usage: None,
        }
    }

    fn frame(&mut self, out: &mut Vec<u8>, kind: &str, body: Value) {
        out.extend(frame_at(self.seq, kind, body));
        self.seq += 1;
    }

    fn response(&self, status: &str, output: Vec<Value>, usage: Option<&Usage>) -> Value {
        response_object(&self.echo, &self.base, &self.model, self.created_at, status, output, usage)
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        let response = self.response("in_progress", Vec::new(), None);
        self.frame(out, "response.created", json!({ "response": response }));
        self.frame(out, "response.in_progress", json!({ "response": response }));
    }

    /// Status of an item closed now: the last item of a cut answer is incomplete.
    fn closing_status(&self) -> &'static str {
        match outcome(self.finish).0 {
            "incomplete" => "incomplete",
            _ => "completed",
        }
    }

    fn open_reasoning(&mut self, out: &mut Vec<u8>) {
        if matches!(self.open, Some(Open::Reasoning { .. })) {
            return;
        }
        self.close(out);
        let oi = self.output.len();
        let id = reasoning_id(&self.base, self.reasonings, oi);
        self.reasonings += 1;
        self.frame(out, "response.output_item.added", json!({ "output_index": oi, "item": reasoning_item(&id, "") }));
        self.frame(
            out,
            "response.reasoning_summary_part.added",
            json!({ "item_id": id, "output_index": oi, "summary_index": 0, "part": summary_part("") }),
        );
        self.open = Some(Open::Reasoning { id, text: String::new() });
    }

    fn open_message(&mut self, out: &mut Vec<u8>) {
        if matches!(self.open, Some(Open::Message { .. })) {
            return;
        }
        self.close(out);
        let oi = self.output.len();
        let id = message_id(&self.base, self.messages, oi);
        self.messages += 1;
        self.frame(out, "response.output_item.added", json!({ "output_index": oi, "item": message_item(&id, "in_progress", None) }));
        self.frame(
            out,
            "response.content_part.added",
            json!({ "item_id": id, "output_index": oi, "content_index": 0, "part": text_part("") }),
        );
        self.open = Some(Open::Message { id, text: String::new() });
    }

    /// A call starts: it opens now, unless another call is streaming.
    fn start_call(&mut self, out: &mut Vec<u8>, index: u32, id: String, name: String) {
        let known = matches!(&self.open, Some(Open::Call { index: i, .. }) if *i == index)
            || self.pending.iter().any(|p| p.index == index)
            || self.closed_calls.iter().any(|c| c.index == index);
        if known {
            return; // a repeated start: the call keeps its item
        }
        if matches!(self.open, Some(Open::Call { .. })) {
            self.pending.push(PendingCall { index, id, name, arguments: String::new() });
        } else {
            self.close(out);
            self.open_call(out, index, id, name);
        }
    }

    /// Announces a call; nothing may be open.
    fn open_call(&mut self, out: &mut Vec<u8>, index: u32, call_id_: String, name: String) {
        let oi = self.output.len();
        let custom = self.echo.is_custom(&name);
        let id = call_id(&self.base, custom, index);
        let call = ToolCall { id: call_id_, name, arguments: String::new() };
        self.frame(out, "response.output_item.added", json!({ "output_index": oi, "item": call_item(&id, &call, custom, "in_progress") }));
        self.open = Some(Open::Call { id, index, call, custom });
    }

    fn text_delta(&mut self, out: &mut Vec<u8>, delta: String) {
        self.open_message(out);
        let oi = self.output.len();
        let Some(Open::Message { id, text }) = &mut self.open else { return };
        text.push_str(&delta);
        let id = id.clone();
        self.frame(
            out,
            "response.output_text.delta",
            json!({ "item_id": id, "output_index": oi, "content_index": 0, "delta": delta, "logprobs": [] }),
        );
    }

    fn reasoning_delta(&mut self, out: &mut Vec<u8>, delta: String) {
        self.open_reasoning(out);
        let oi = self.output.len();
        let Some(Open::Reasoning { id, text }) = &mut self.open else { return };
        text.push_str(&delta);
        let id = id.clone();
        self.frame(
            out,
            "response.reasoning_summary_text.delta",
            json!({ "item_id": id, "output_index": oi, "summary_index": 0, "delta": delta }),
        );
    }

    fn args_delta(&mut self, out: &mut Vec<u8>, index: u32, delta: String) {
        let oi = self.output.len();
        if let Some(Open::Call { id, index: open_index, call, custom }) = &mut self.open {
            if *open_index == index {
                call.arguments.push_str(&delta);
                // A custom tool's input is inside the JSON arguments: it is
                // sent decoded, whole, when the call closes.
                if !*custom && !delta.is_empty() {
                    let id = id.clone();
                    self.frame(out, "response.function_call_arguments.delta", json!({ "item_id": id, "output_index": oi, "delta": delta }));
                }
                return;
            }
        }
        if let Some(p) = self.pending.iter_mut().find(|p| p.index == index) {
            p.arguments.push_str(&delta);
            return;
        }
        if let Some(c) = self.closed_calls.iter_mut().find(|c| c.index == index) {
            c.call.arguments.push_str(&delta);
            let status = self.output[c.output_index]["status"].as_str().unwrap_or("completed").to_string();
            self.output[c.output_index] = call_item(&c.id, &c.call, c.custom, &status);
        }
    }

    /// Closes the item in progress, then streams the calls held back.
    fn close(&mut self, out: &mut Vec<u8>) {
        self.close_open(out);
        while !self.pending.is_empty() {
            let p = self.pending.remove(0);
            self.open_call(out, p.index, p.id, p.name);
            self.args_delta(out, p.index, p.arguments);
            self.close_open(out);
        }
    }

    /// Closes the item in progress with its `.done` events.
    fn close_open(&mut self, out: &mut Vec<u8>) {
        let Some(open) = self.open.take() else { return };
        let oi = self.output.len();
        let status = self.closing_status();
        let item = match open {
            Open::Reasoning { id, text } => {
                self.frame(
                    out,
                    "response.reasoning_summary_text.done",
                    json!({ "item_id": id, "output_index": oi, "summary_index": 0, "text": text }),
                );
                self.frame(
                    out,
                    "response.reasoning_summary_part.done",
                    json!({ "item_id": id, "output_index": oi, "summary_index": 0, "part": summary_part(&text) }),
                );
                reasoning_item(&id, &text)
            }
            Open::Message { id, text } => {
                self.frame(
                    out,
                    "response.output_text.done",
                    json!({ "item_id": id, "output_index": oi, "content_index": 0, "text": text, "logprobs": [] }),
                );
                self.frame(
                    out,
                    "response.content_part.done",
                    json!({ "item_id": id, "output_index": oi, "content_index": 0, "part": text_part(&text) }),
                );
                message_item(&id, status, Some(&text))
            }
            Open::Call { id, index, call, custom } => {
                if custom {
                    let input = custom_input(&call.arguments);
                    if !input.is_empty() {
                        self.frame(out, "response.custom_tool_call_input.delta", json!({ "item_id": id, "output_index": oi, "delta": input }));
                    }
                    self.frame(out, "response.custom_tool_call_input.done", json!({ "item_id": id, "output_index": oi, "input": input }));
                } else {
                    self.frame(
                        out,
                        "response.function_call_arguments.done",
                        json!({ "item_id": id, "output_index": oi, "name": call.name, "arguments": arguments(&call.arguments) }),
                    );
                }
                let item = call_item(&id, &call, custom, status);
                self.closed_calls.push(ClosedCall { index, output_index: oi, id, call, custom });
                item
            }
        };
        self.frame(out, "response.output_item.done", json!({ "output_index": oi, "item": item }));
        self.output.push(item);
    }

    /// The item in progress as it stands, for a failed Response.
    fn open_snapshot(&self) -> Vec<Value> {
        let mut items: Vec<Value> = self
            .open
            .iter()
            .map(|open| match open {
                Open::Reasoning { id, text } => reasoning_item(id, text),
                Open::Message { id, text } => message_item(id, "incomplete", Some(text)),
                Open::Call { id, call, custom, .. } => call_item(id, call, *custom, "incomplete"),
            })
            .collect();
        for p in &self.pending {
            let custom = self.echo.is_custom(&p.name);
            let call = ToolCall { id: p.id.clone(), name: p.name.clone(), arguments: p.arguments.clone() };
            items.push(call_item(&call_id(&self.base, custom, p.index), &call, custom, "incomplete"));
        }
        items
    }

    /// The frames of a failure at this point, without changing the encoder.
    fn failure(&self, code: &str, response_code: &str, message: &str, param: Option<&str>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut seq = self.seq;
        if !self.started {
            let response = self.response("in_progress", Vec::new(), None);
            out.extend(frame_at(seq, "response.created", json!({ "response": response })));
            out.extend(frame_at(seq + 1, "response.in_progress", json!({ "response": response })));
            seq += 2;
        }
        let mut output = self.output.clone();
        output.extend(self.open_snapshot());
        let response = self.response("failed", output, self.usage.as_ref());
        out.extend(failure_frames(seq, response, code, response_code, message, param));
        out
    }

    fn complete(&mut self, out: &mut Vec<u8>) {
        self.start(out);
        self.close(out);
        let (status, incomplete) = outcome(self.finish);
        let usage = self.usage.unwrap_or_default();
        let mut response = self.response(status, self.output.clone(), Some(&usage));
        if let Some(reason) = incomplete {
            response["incomplete_details"] = json!({ "reason": reason });
        }
        let kind = if status == "completed" { "response.completed" } else { "response.incomplete" };
        self.frame(out, kind, json!({ "response": response }));
        self.ended = true;
    }

    /// Encodes one event; returns the SSE bytes for the client (maybe none).
    pub fn encode(&mut self, event: StreamEvent) -> Vec<u8> {
        let mut out = Vec::new();
        if self.ended {
            return out;
        }
        match event {
            StreamEvent::Start { model, .. } => {
                if let (false, Some(m)) = (self.started, model) {
                    self.model = m;
                }
                self.start(&mut out);
            }
            StreamEvent::TextDelta(t) if t.is_empty() => {}
            StreamEvent::TextDelta(t) => {
                self.start(&mut out);
                self.text_delta(&mut out, t);
            }
            StreamEvent::ReasoningDelta(t) if t.is_empty() => {}
            StreamEvent::ReasoningDelta(t) => {
                self.start(&mut out);
                self.reasoning_delta(&mut out, t);
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                self.start(&mut out);
                self.start_call(&mut out, index, id, name);
            }
            StreamEvent::ToolCallArgs { index, delta } => {
                self.start(&mut out);
                self.args_delta(&mut out, index, delta);
            }
            StreamEvent::Finish(reason) => {
                self.start(&mut out);
                self.finish.get_or_insert(reason);
                self.close(&mut out);
            }
            StreamEvent::Usage(u) => self.usage = Some(u),
            StreamEvent::Error { message } => {
                out.extend(self.failure("upstream_stream_error", "server_error", &message, None));
                self.seq += if self.started { 2 } else { 4 };
                self.started = true;
                self.ended = true;
            }
            StreamEvent::Done => self.complete(&mut out),
        }
        out
    }
}

impl ClientStreamEncoder for ResponsesEncoder {
    fn encode(&mut self, event: StreamEvent) -> Vec<u8> {
        ResponsesEncoder::encode(self, event)
    }

    /// The stream broke mid-way: `error` and `response.failed` with the
    /// items so far (nothing when the stream already ended).
    fn error_event(&self, e: &GatewayError) -> Vec<u8> {
        if self.ended {
            return Vec::new();
        }
        self.failure(e.code.as_str(), e.code.as_str(), &e.message, e.param.as_deref())
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
