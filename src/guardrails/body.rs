//! Every text field of a JSON request or answer through the guardrails.
//!
//! A request is read as the gateway forwards it: each top-level field the
//! client sent is parsed, its strings scanned, and the field written back
//! from the parsed tree — so a duplicated key (top level or nested) cannot
//! carry an unscanned copy past the scan to a provider that reads the
//! other copy.

use super::config::{Decided, Direction, GuardPolicy};
use super::findings::{Blocked, Findings};
use super::scan;
use super::vault::{self, Vault};
use crate::util::json_object::JsonObject;
use serde_json::Value;

/// Keys whose values are not prose: names, ids, enums, URLs and binary
/// payloads. Their strings are never scanned (a tokenized tool name or
/// image URL would only break the request).
const STRUCTURAL: &[&str] = &[
    "model", "role", "type", "id", "name", "tool_call_id", "call_id", "user", "tools", "functions", "tool_choice",
    "response_format", "text_format", "url", "image_url", "file_id", "data", "media_type", "mime_type", "mimeType",
    "stream", "stream_options", "prompt_cache_key", "safety_identifier", "signature", "encrypted_content",
    "cache_control", "modalities", "reasoning_effort", "service_tier", "previous_response_id", "index", "object",
    "finish_reason", "stop_reason", "system_fingerprint",
];

/// Every prose string of a tree (structural keys and data URLs skipped), in order.
pub fn each_text(mut v: Value, f: &mut dyn FnMut(&str)) {
    let _ = walk(&mut v, &mut |s| {
        f(s);
        Ok(())
    });
}

fn walk(v: &mut Value, f: &mut dyn FnMut(&mut String) -> Result<(), Blocked>) -> Result<(), Blocked> {
    match v {
        Value::String(s) if !s.starts_with("data:") => f(s),
        Value::Array(items) => items.iter_mut().try_for_each(|i| walk(i, f)),
        Value::Object(map) => map.iter_mut().filter(|(k, _)| !STRUCTURAL.contains(&k.as_str())).try_for_each(|(_, v)| walk(v, f)),
        _ => Ok(()),
    }
}

/// Runs `checks` over one string in place; true when it changed.
fn guard_string(s: &mut String, checks: &[Decided], dir: Direction, vault: &mut Vault, findings: &mut Findings) -> Result<bool, Blocked> {
    Ok(match scan::scan(s, checks, dir, vault, findings)? {
        Some(new) => {
            *s = new;
            true
        }
        None => false,
    })
}

/// The request's input checks over every text field of `object`, which is
/// rewritten in place. `Ok(true)` when its bytes must be re-serialised.
pub fn guard_request(object: &mut JsonObject, policy: &GuardPolicy, vault: &mut Vault, findings: &mut Findings) -> Result<bool, Blocked> {
    if policy.input.is_empty() {
        return Ok(false);
    }
    let mut keys: Vec<String> = object.keys().filter(|k| !STRUCTURAL.contains(k)).map(str::to_string).collect();
    keys.dedup();
    let mut rewritten = false;
    for key in keys {
        let Some(Ok(mut value)) = object.get(&key).map(|raw| serde_json::from_str::<Value>(raw.get())) else { continue };
        if !matches!(value, Value::String(_) | Value::Array(_) | Value::Object(_)) {
            continue;
        }
        walk(&mut value, &mut |s| guard_string(s, &policy.input, Direction::Input, vault, findings).map(|_| ()))?;
        // Written back even when unchanged: the parsed tree holds one copy of each key.
        if object.set(&key, &value).is_ok() {
            rewritten = true;
        }
    }
    Ok(rewritten)
}

/// Whether JSON text may hold a placeholder (raw or `\u27e8`-escaped).
pub fn may_hold_placeholder(json: &[u8]) -> bool {
    let needle = vault::OPEN.as_bytes();
    json.windows(needle.len()).any(|w| w == needle) || json.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u27e8"))
}

/// The output checks over a complete JSON answer: `Ok(Some(bytes))` when
/// something was masked, `Err` when a block fired.
pub fn scan_answer(bytes: &[u8], checks: &[Decided], findings: &mut Findings) -> Result<Option<Vec<u8>>, Blocked> {
    if checks.is_empty() {
        return Ok(None);
    }
    let Ok(mut value) = serde_json::from_slice::<Value>(bytes) else { return Ok(None) };
    let mut changed = false;
    let mut unused = Vault::default();
    walk(&mut value, &mut |s| {
        changed |= guard_string(s, checks, Direction::Output, &mut unused, findings)?;
        Ok(())
    })?;
    Ok(changed.then(|| serde_json::to_vec(&value).unwrap_or_default()))
}

/// A complete JSON answer with this request's placeholders restored, or
/// `None` when it holds none.
pub fn restore_answer(bytes: &[u8], vault: &Vault) -> Option<Vec<u8>> {
    if vault.is_empty() || !may_hold_placeholder(bytes) {
        return None;
    }
    let mut value = serde_json::from_slice::<Value>(bytes).ok()?;
    restore_value(&mut value, vault);
    serde_json::to_vec(&value).ok()
}

/// Restores every string of a tree, structural keys included (a model may
/// echo a placeholder anywhere it writes).
pub fn restore_value(v: &mut Value, vault: &Vault) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(r) = vault.restore(s) {
                *s = r;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| restore_value(i, vault)),
        Value::Object(map) => map.iter_mut().for_each(|(_, v)| restore_value(v, vault)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guardrails::scan::tests::policy;
    use serde_json::json;

    fn guard(body: &str, p: &GuardPolicy) -> (Result<bool, Blocked>, String, Vault) {
        let mut object = JsonObject::parse(body.as_bytes()).unwrap();
        let (mut v, mut f) = (Vault::default(), Findings::default());
        let r = guard_request(&mut object, p, &mut v, &mut f);
        (r, String::from_utf8(object.to_vec()).unwrap(), v)
    }

    #[test]
    fn every_text_field_is_guarded_and_structure_is_not() {
        let p = policy(json!({"detectors": {"email": {"input": "tokenize"}}}));
        let body = json!({
            "model": "a@b.co/model", "user": "u@x.io",
            "messages": [
                {"role": "system", "content": "admin is root@corp.io"},
                {"role": "user", "content": [{"type": "text", "text": "I am bob@x.io"}, {"type": "image_url", "image_url": {"url": "https://h/a@b.io.png"}}]},
                {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "mail", "arguments": "{\"to\":\"bob@x.io\"}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "sent to bob@x.io"}
            ],
            "input": ["e1@x.io", "plain"], "instructions": "cc e2@x.io", "system": [{"type": "text", "text": "e3@x.io"}]
        });
        let (r, out, vault) = guard(&body.to_string(), &p);
        assert!(r.unwrap());
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["model"], "a@b.co/model");
        assert_eq!(v["user"], "u@x.io");
        assert_eq!(v["messages"][0]["content"], "admin is ⟨EMAIL_3⟩", "fields in body order: input, instructions, messages");
        assert_eq!(v["messages"][1]["content"][0]["text"], "I am ⟨EMAIL_4⟩");
        assert_eq!(v["messages"][1]["content"][1]["image_url"]["url"], "https://h/a@b.io.png");
        assert_eq!(v["messages"][2]["tool_calls"][0]["function"]["arguments"], "{\"to\":\"⟨EMAIL_4⟩\"}");
        assert_eq!(v["messages"][3]["content"], "sent to ⟨EMAIL_4⟩");
        assert_eq!(v["input"], json!(["⟨EMAIL_1⟩", "plain"]));
        assert_eq!(v["instructions"], "cc ⟨EMAIL_2⟩");
        assert_eq!(v["system"][0]["text"], "⟨EMAIL_5⟩");
        assert_eq!(vault.restore("⟨EMAIL_4⟩"), "bob@x.io");
    }

    #[test]
    fn duplicate_keys_cannot_smuggle_an_unscanned_copy() {
        let p = policy(json!({"detectors": {"email": {"input": "redact"}}}));
        let nested = r#"{"model":"m","messages":[{"role":"user","content":"x@y.io","content":"hi"}]}"#;
        let (_, out, _) = guard(nested, &p);
        assert!(!out.contains("x@y.io"), "{out}");
        let top = r#"{"model":"m","messages":[{"role":"user","content":"x@y.io"}],"messages":[{"role":"user","content":"hi"}]}"#;
        let (_, out, _) = guard(top, &p);
        assert!(!out.contains("x@y.io"), "{out}");
        assert_eq!(out.matches("\"messages\"").count(), 1, "{out}");
    }

    #[test]
    fn answers_are_scanned_then_restored() {
        let p = policy(json!({"detectors": {"secret": {"output": "redact"}, "email": {"input": "tokenize"}}}));
        let mut f = Findings::default();
        let answer = json!({"id": "x", "choices": [{"message": {"role": "assistant", "content": "key sk-proj-abcdefghijklmnopqrstuvwxyz for ⟨EMAIL_1⟩"}}]});
        let bytes = answer.to_string().into_bytes();
        let scanned = scan_answer(&bytes, &p.output, &mut f).unwrap().unwrap();
        let mut vault = Vault::default();
        vault.placeholder("EMAIL", "a@x.io");
        let restored = restore_answer(&scanned, &vault).unwrap();
        let v: Value = serde_json::from_slice(&restored).unwrap();
        assert_eq!(v["choices"][0]["message"]["content"], "key [SECRET] for a@x.io");
        assert!(restore_answer(br#"{"a":"none here"}"#, &vault).is_none());
        assert!(restore_answer(br#"{"a":"\u27e8EMAIL_1\u27e9"}"#, &vault).is_some());
    }
}
