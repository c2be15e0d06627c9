use super::*;
use crate::guardrails::scan::tests::policy;
use serde_json::json;

fn openai_chunk(delta: Value) -> Vec<u8> {
    sse::encode(None, &json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": null}]}).to_string())
}

fn openai_stream(pieces: &[&str]) -> Vec<u8> {
    let mut s = openai_chunk(json!({"role": "assistant", "content": ""}));
    for p in pieces {
        s.extend(openai_chunk(json!({"content": p})));
    }
    s.extend(sse::encode(None, &json!({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}).to_string()));
    s.extend(sse::encode(None, "[DONE]"));
    s
}

/// Everything the client would read: the concatenated text of every
/// string at `path` in each JSON event, and whether `[DONE]` came last.
fn read(bytes: &[u8], path: &str) -> (String, bool) {
    let mut p = SseParser::new();
    let mut events = p.push(bytes);
    events.extend(p.finish());
    let mut text = String::new();
    let mut done = false;
    for e in events {
        done = e.data == "[DONE]";
        if let Ok(v) = serde_json::from_str::<Value>(&e.data) {
            if let Some(s) = v.pointer(path).and_then(Value::as_str) {
                text.push_str(s);
            }
        }
    }
    (text, done)
}

fn vault() -> Rc<Vault> {
    let mut v = Vault::default();
    v.placeholder("EMAIL", "alice@example.com");
    v.placeholder("PHONE", "+14155550100");
    Rc::new(v)
}

/// Runs `input` through a restoring stream, split into two chunks at `at`.
fn restore_split(input: &[u8], at: usize) -> Vec<u8> {
    let (mut s, _) = GuardStream::new(Box::new(AsIs), Restore(vault()));
    run(&mut s, input, at)
}

#[test]
fn placeholders_split_at_every_byte_are_restored() {
    let input = openai_stream(&["Write to ⟨EMA", "IL_1⟩ or ", "⟨", "PHONE_1", "⟩.", " Not ⟨EMAIL_7⟩", " nor ⟨open"]);
    let want = "Write to alice@example.com or +14155550100. Not ⟨EMAIL_7⟩ nor ⟨open";
    for at in 0..=input.len() {
        let (text, done) = read(&restore_split(&input, at), "/choices/0/delta/content");
        assert_eq!(text, want, "split at byte {at}");
        assert!(done, "split at byte {at}: [DONE] must stay last");
    }
}

#[test]
fn a_stream_without_placeholders_passes_byte_for_byte() {
    let input = openai_stream(&["Hello ", "there."]);
    assert_eq!(restore_split(&input, 17), input);
}

#[test]
fn tool_call_arguments_are_restored_per_call() {
    let call = |i: u64, args: &str| openai_chunk(json!({"tool_calls": [{"index": i, "function": {"arguments": args}}]}));
    let mut input = Vec::new();
    for (i, a) in [(0, "{\"to\":\"⟨EM"), (1, "{\"tel\":\"⟨PHO"), (0, "AIL_1⟩\"}"), (1, "NE_1⟩\"}")] {
        input.extend(call(i, a));
    }
    input.extend(sse::encode(None, "[DONE]"));
    for at in 0..=input.len() {
        let out = restore_split(&input, at);
        let mut p = SseParser::new();
        let mut args = [String::new(), String::new()];
        for e in p.push(&out) {
            if let Ok(v) = serde_json::from_str::<Value>(&e.data) {
                let c = &v["choices"][0]["delta"]["tool_calls"][0];
                if let (Some(i), Some(a)) = (c["index"].as_u64(), c["function"]["arguments"].as_str()) {
                    args[i as usize].push_str(a);
                }
            }
        }
        assert_eq!(args, ["{\"to\":\"alice@example.com\"}".to_string(), "{\"tel\":\"+14155550100\"}".to_string()], "split at {at}");
    }
}

#[test]
fn anthropic_blocks_and_responses_deltas_are_restored() {
    let mut input = Vec::new();
    for t in ["Hi ⟨EMAIL", "_1⟩!"] {
        let ev = json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}});
        input.extend(sse::encode(Some("content_block_delta"), &ev.to_string()));
    }
    input.extend(sse::encode(Some("content_block_stop"), r#"{"type":"content_block_stop","index":0}"#));
    for at in [0, 40, 90, input.len()] {
        assert_eq!(read(&restore_split(&input, at), "/delta/text").0, "Hi alice@example.com!");
    }
    let mut responses = Vec::new();
    for d in ["call ⟨PH", "ONE_1⟩"] {
        let ev = json!({"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": d});
        responses.extend(sse::encode(Some("response.output_text.delta"), &ev.to_string()));
    }
    let done = json!({"type": "response.output_text.done", "output_index": 0, "content_index": 0, "text": "call ⟨PHONE_1⟩"});
    responses.extend(sse::encode(Some("response.output_text.done"), &done.to_string()));
    let out = restore_split(&responses, 30);
    assert_eq!(read(&out, "/delta").0, "call +14155550100");
    assert_eq!(read(&out, "/text").0, "call +14155550100", "a full-state string is restored whole");
}

fn scanning(v: Value) -> (GuardStream<Scan>, Withheld, Rc<RefCell<Findings>>) {
    let p = policy(v);
    let findings: Rc<RefCell<Findings>> = Rc::default();
    let (s, withheld) = GuardStream::new(Box::new(AsIs), Scan { checks: p.output, findings: findings.clone() });
    (s, withheld, findings)
}

/// Everything a stream sends for `input` pushed in two chunks, split at `at`.
fn run<S: TextStage>(s: &mut GuardStream<S>, input: &[u8], at: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for part in [&input[..at], &input[at..]] {
        if let ChunkOut::Bytes(b) = s.push(part) {
            out.extend(b);
        }
    }
    out.extend(s.finish());
    out
}

#[test]
fn output_checks_see_values_split_across_deltas() {
    let filler = "lorem ipsum dolor sit amet ".repeat(12);
    let pieces = [filler.as_str(), "mail bob@exa", "mple.com or key sk-proj-abcdefgh", "ijklmnopqrstuvwxyz please. ", filler.as_str()];
    let input = openai_stream(&pieces);
    for at in (0..input.len()).step_by(37) {
        let (mut s, withheld, findings) = scanning(json!({"detectors": {"email": {"output": "redact"}, "secret": {"output": "redact"}}}));
        let (text, done) = read(&run(&mut s, &input, at), "/choices/0/delta/content");
        assert_eq!(text, format!("{filler}mail [EMAIL] or key [SECRET] please. {filler}"), "split at {at}");
        assert!(done && withheld.borrow().is_none());
        assert_eq!(findings.borrow().0.iter().map(|f| f.count).sum::<u64>(), 2);
    }
}

#[test]
fn an_output_block_ends_the_stream_with_an_error_event() {
    let (mut s, withheld, _) = scanning(json!({"detectors": {"secret": {"output": "block"}}}));
    let input = openai_stream(&["here is AKIAIOSF", "ODNN7EXAMPLE for you"]);
    let out = run(&mut s, &input, input.len() / 2);
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("AKIA"), "nothing of the value goes out: {text}");
    assert!(text.contains("guardrail_violation") && !text.contains("[DONE]"), "{text}");
    assert_eq!(withheld.borrow().as_ref().map(|b| b.to_error().status), Some(400));
}

#[test]
fn a_withheld_stream_is_still_read_to_the_end_for_its_usage() {
    let p = policy(json!({"detectors": {"secret": {"output": "block"}}}));
    let observer = crate::providers::upstream::openai_compat::stream::StreamObserver::new(false);
    let (mut s, _) = GuardStream::new(Box::new(observer), Scan { checks: p.output, findings: Rc::default() });
    let mut input = openai_stream(&["key AKIAIOSFODNN7EXAMPLE"]);
    input.extend(sse::encode(None, r#"{"id":"c","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3}}"#));
    let half = input.len() / 2;
    let _ = s.push(&input[..half]);
    let _ = s.push(&input[half..]);
    let _ = s.finish();
    let usage = s.summary().usage.expect("the usage chunk after the block was still read");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (5, 3));
}

#[test]
fn cached_sse_bodies_are_restored_whole() {
    let input = openai_stream(&["to ⟨EMAIL_1⟩"]);
    assert_eq!(read(&restore_sse(&input, vault()), "/choices/0/delta/content").0, "to alice@example.com");
}
