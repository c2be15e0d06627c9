//! Streams from provider to client without leaving the JS runtime's data
//! path: `upstream.pipeTo(TransformStream)` moves the bytes, and for each
//! chunk our `transform` callback is called synchronously — it copies the
//! chunk into wasm only to read it, then forwards the very same chunk
//! object (or, when the adapter must change it, the new bytes). No
//! promise per chunk, no re-encoding of what passes through unchanged.
//!
//! The returned future resolves when the pipe ends — upstream finished,
//! upstream broke, or the client went away — after the stream's tail (and
//! an error event, for a broken stream) has been sent. Run it in
//! `wait_until`; it owns the callbacks and frees them at the end.

use crate::core::error::GatewayError;
use crate::providers::stream_transform::{ChunkOut, StreamSummary, StreamTransform};
use crate::runtime::now_ms;
use js_sys::Uint8Array;
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{QueuingStrategy, ReadableStream, StreamPipeOptions, TransformStream, TransformStreamDefaultController, Transformer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipeOutcome {
    /// The upstream ended (the transform's summary says whether properly).
    Finished,
    /// Reading the upstream failed part-way.
    UpstreamBroken,
    /// The client cancelled the stream; the upstream request was cancelled too.
    ClientGone,
}

pub struct PipeEnd {
    pub outcome: PipeOutcome,
    pub first_chunk_ms: Option<u64>,
    pub summary: StreamSummary,
}

struct Shared {
    transform: Box<dyn StreamTransform>,
    first_chunk_ms: Option<u64>,
    controller: Option<TransformStreamDefaultController>,
}

/// The stream's first chunk, read before the answer was committed to the
/// client (so that an upstream that fails at once can still be retried or
/// fallen back from), and what the transform made of it.
pub struct FirstChunk {
    pub chunk: Uint8Array,
    pub out: ChunkOut,
    pub at_ms: u64,
}

impl FirstChunk {
    /// The bytes the client gets for this chunk.
    pub fn sent(&self) -> Vec<u8> {
        match &self.out {
            ChunkOut::Bytes(b) => b.clone(),
            ChunkOut::Same => self.chunk.to_vec(),
        }
    }
}

/// Reads one chunk from `body` and releases it again, so it can be piped
/// from the next chunk on. `None` when the stream is already over.
pub async fn read_first(body: &ReadableStream) -> Result<Option<Uint8Array>, JsValue> {
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let result = JsFuture::from(reader.read()).await;
    reader.release_lock();
    let result = result?;
    let done = js_sys::Reflect::get(&result, &JsValue::from_str("done"))?.as_bool().unwrap_or(true);
    if done {
        return Ok(None);
    }
    let value = js_sys::Reflect::get(&result, &JsValue::from_str("value"))?;
    value.dyn_into::<Uint8Array>().map(Some)
}

fn enqueue(c: &TransformStreamDefaultController, bytes: &[u8]) -> Result<(), JsValue> {
    if bytes.is_empty() {
        return Ok(());
    }
    c.enqueue_with_chunk(&Uint8Array::from(bytes))
}

/// Pipes `upstream` through `transform`. `broken` is the error the client
/// sees (as an event in its stream format) when the upstream breaks or ends
/// before its proper end.
pub fn pipe(
    upstream: ReadableStream,
    transform: Box<dyn StreamTransform>,
    broken: GatewayError,
    first: Option<FirstChunk>,
) -> Result<(ReadableStream, impl Future<Output = PipeEnd>), JsValue> {
    let first_ms = first.as_ref().map(|f| f.at_ms);
    let shared = Rc::new(RefCell::new(Shared { transform, first_chunk_ms: first_ms, controller: None }));

    let on_start = {
        let shared = shared.clone();
        let mut first = first;
        Closure::<dyn FnMut(TransformStreamDefaultController) -> Result<(), JsValue>>::new(move |c: TransformStreamDefaultController| {
            // The chunk read before committing goes out first.
            if let Some(f) = first.take() {
                match f.out {
                    ChunkOut::Same => c.enqueue_with_chunk(&f.chunk)?,
                    ChunkOut::Bytes(b) => enqueue(&c, &b)?,
                }
            }
            shared.borrow_mut().controller = Some(c);
            Ok(())
        })
    };
    let on_chunk = {
        let shared = shared.clone();
        Closure::<dyn FnMut(JsValue, TransformStreamDefaultController) -> Result<(), JsValue>>::new(
            move |chunk: JsValue, c: TransformStreamDefaultController| {
                let mut s = shared.borrow_mut();
                s.first_chunk_ms.get_or_insert_with(now_ms);
                let array: Uint8Array = chunk.dyn_into()?;
                match s.transform.push(&array.to_vec()) {
                    ChunkOut::Same => c.enqueue_with_chunk(&array),
                    ChunkOut::Bytes(b) => enqueue(&c, &b),
                }
            },
        )
    };
    let transformer = Transformer::new();
    transformer.set_start(on_start.as_ref().unchecked_ref());
    transformer.set_transform(on_chunk.as_ref().unchecked_ref());
    // Let the upstream run ahead of the client by a few chunks instead of
    // waiting for each write to be pulled before reading the next.
    let strategy = QueuingStrategy::new();
    strategy.set_high_water_mark(64.0);
    let stream = TransformStream::new_with_transformer_and_writable_strategy_and_readable_strategy(
        &transformer,
        &strategy,
        &strategy,
    )?;

    // The pipe must neither close nor abort our writable side: at the end we
    // still append the tail (and maybe an error event) before terminating.
    let options = StreamPipeOptions::new();
    options.set_prevent_close(true);
    options.set_prevent_abort(true);
    let piping = JsFuture::from(upstream.pipe_to_with_options(&stream.writable(), &options));

    let ended = async move {
        let result = piping.await;
        let mut s = shared.borrow_mut();
        let controller = s.controller.clone();
        let mut outcome = if result.is_ok() { PipeOutcome::Finished } else { PipeOutcome::UpstreamBroken };
        if let Some(c) = &controller {
            let mut owed = s.transform.finish();
            let incomplete = outcome == PipeOutcome::UpstreamBroken || !s.transform.summary().done;
            if incomplete {
                // Never end a broken stream as if it were complete.
                owed.extend(s.transform.error_event(&broken));
            }
            // Enqueueing fails only when the client has cancelled the stream.
            if enqueue(c, &owed).is_err() || (result.is_err() && c.desired_size().is_none()) {
                outcome = PipeOutcome::ClientGone;
            } else if incomplete && outcome == PipeOutcome::Finished {
                outcome = PipeOutcome::UpstreamBroken;
            }
            c.terminate();
        }
        let end = PipeEnd { outcome, first_chunk_ms: s.first_chunk_ms, summary: s.transform.summary() };
        drop(s);
        // The callbacks live exactly as long as the pipe.
        drop((on_start, on_chunk));
        end
    };
    Ok((stream.readable(), ended))
}
