//! Cache keys. An exact key is SHA-256 over everything that decides the
//! answer: the workspace (and its cache generation, bumped by a purge), the
//! endpoint, the target (`provider/model`, or the router), the seed, and the
//! canonical request body — keys sorted, integral floats written as
//! integers, and the fields that cannot change the answer left out
//! ([`IGNORED_FIELDS`]). Parts are length-prefixed, so no two different
//! inputs can frame into the same bytes.
//!
//! The semantic cache embeds only the final user turn; everything else in
//! the request is hashed into a *context* that a stored answer must match
//! exactly, so a similar question asked under another system prompt, with
//! other tools or earlier turns, is never a hit.

use serde_json::{Map, Number, Value};
use sha2::{Digest, Sha256};

/// Body fields that do not change the answer: transport (`stream`,
/// `stream_options`), attribution (`user`, `safety_identifier`,
/// `metadata`), storage at the provider (`store`), and routing hints for
/// the provider's own prompt cache (`prompt_cache_key`).
pub const IGNORED_FIELDS: &[&str] =
    &["stream", "stream_options", "user", "safety_identifier", "metadata", "store", "prompt_cache_key"];

/// Versioned so that a change of key layout never reads old entries.
const KEY_VERSION: &str = "alephant-cache-v1";

/// What, besides the body, an answer depends on.
#[derive(Debug, Clone, Copy)]
pub struct KeyScope<'a> {
    pub workspace_id: &'a str,
    pub generation: u64,
    /// The endpoint's stable name (`chat`, `completions`, `embeddings`).
    pub endpoint: &'a str,
    /// `provider/model`, or `router:<id>` for a request through a router.
    pub target: &'a str,
    pub seed: Option<&'a str>,
}

fn normalize(v: &mut Value) {
    match v {
        Value::Number(n) => {
            // `1.0` and `1` ask for the same thing.
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15) {
                *n = Number::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        Value::Object(map) => map.values_mut().for_each(normalize),
        _ => {}
    }
}

/// The body as the key sees it (serde_json's map keeps keys sorted).
pub fn canonical_body(body: &Map<String, Value>) -> Value {
    let mut map: Map<String, Value> =
        body.iter().filter(|(k, _)| !IGNORED_FIELDS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    map.values_mut().for_each(normalize);
    Value::Object(map)
}

struct Hasher(Sha256);

impl Hasher {
    fn new(kind: &str) -> Self {
        let mut h = Hasher(Sha256::new());
        h.part(KEY_VERSION.as_bytes());
        h.part(kind.as_bytes());
        h
    }

    fn part(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    fn scope(&mut self, s: &KeyScope) {
        self.part(s.workspace_id.as_bytes());
        self.part(&s.generation.to_le_bytes());
        self.part(s.endpoint.as_bytes());
        self.part(s.target.as_bytes());
        match s.seed {
            Some(seed) => {
                self.part(b"seed");
                self.part(seed.as_bytes());
            }
            None => self.part(b"no-seed"),
        }
    }

    fn hex(self) -> String {
        self.0.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The exact key: 64 hex characters.
pub fn exact_key(scope: &KeyScope, canonical: &Value) -> String {
    let mut h = Hasher::new("exact");
    h.scope(scope);
    h.part(canonical.to_string().as_bytes());
    h.hex()
}

/// Where an exact key's bucket lives in KV (workspace first, so an
/// operator can list one workspace's entries).
pub fn kv_key(workspace_id: &str, key: &str) -> String {
    format!("c1/{workspace_id}/{key}")
}

/// The text of the final user turn, if the request ends with one that is
/// text only (images and audio are not embedded: such requests use the
/// exact cache alone). Chat: the last message; completions: the prompt.
pub fn final_user_turn(endpoint: &str, body: &Map<String, Value>) -> Option<String> {
    match endpoint {
        "chat" => {
            let last = body.get("messages")?.as_array()?.last()?;
            if last.get("role")?.as_str()? != "user" {
                return None;
            }
            match last.get("content")? {
                Value::String(s) => Some(s.clone()),
                Value::Array(parts) => {
                    let texts: Option<Vec<&str>> = parts
                        .iter()
                        .map(|p| match p.get("type").and_then(Value::as_str) {
                            Some("text") => p.get("text").and_then(Value::as_str),
                            _ => None,
                        })
                        .collect();
                    Some(texts?.join("\n"))
                }
                _ => None,
            }
        }
        "completions" => body.get("prompt")?.as_str().map(str::to_string),
        _ => None,
    }
    .filter(|t| !t.trim().is_empty())
}

/// The context an answer's vector is filed under: the scope, the
/// embeddings model, and the canonical body without the final user turn.
pub fn context_hash(scope: &KeyScope, canonical: &Value, embeddings_model: &str) -> String {
    let mut without_turn = canonical.clone();
    if let Some(Value::Object(last)) = without_turn.get_mut("messages").and_then(Value::as_array_mut).and_then(|m| m.last_mut()) {
        last.remove("content");
    }
    if let Some(map) = without_turn.as_object_mut() {
        map.remove("prompt");
    }
    let mut h = Hasher::new("semantic-context");
    h.scope(scope);
    h.part(embeddings_model.as_bytes());
    h.part(without_turn.to_string().as_bytes());
    h.hex()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope() -> KeyScope<'static> {
        KeyScope { workspace_id: "ws_a", generation: 0, endpoint: "chat", target: "openai/gpt-4o-mini", seed: None }
    }

    fn key_of(body: Value, s: &KeyScope) -> String {
        let Value::Object(map) = body else { panic!() };
        exact_key(s, &canonical_body(&map))
    }

    fn chat(q: &str) -> Value {
        json!({"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": q}]})
    }

    #[test]
    fn transport_and_attribution_fields_do_not_change_the_key() {
        let a = key_of(json!({"model": "m", "temperature": 1, "messages": []}), &scope());
        let b = key_of(
            json!({"messages": [], "temperature": 1.0, "model": "m", "stream": true, "stream_options": {"include_usage": true}, "user": "u1", "metadata": {"x": "y"}}),
            &scope(),
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(a, key_of(json!({"model": "m", "temperature": 0.5, "messages": []}), &scope()));
    }

    #[test]
    fn workspace_seed_target_endpoint_and_generation_separate_keys() {
        let body = chat("hi");
        let base = key_of(body.clone(), &scope());
        let others = [
            KeyScope { workspace_id: "ws_b", ..scope() },
            KeyScope { seed: Some("1"), ..scope() },
            KeyScope { target: "anthropic/claude", ..scope() },
            KeyScope { endpoint: "completions", ..scope() },
            KeyScope { generation: 1, ..scope() },
        ];
        for s in others {
            assert_ne!(base, key_of(body.clone(), &s), "{s:?}");
        }
        // Framing: moving bytes between parts never collides.
        let a = KeyScope { workspace_id: "ab", target: "c", ..scope() };
        let b = KeyScope { workspace_id: "a", target: "bc", ..scope() };
        assert_ne!(key_of(body.clone(), &a), key_of(body, &b));
    }

    #[test]
    fn final_user_turn_text_only() {
        let Value::Object(b) = chat("What is the capital of France?") else { panic!() };
        assert_eq!(final_user_turn("chat", &b).as_deref(), Some("What is the capital of France?"));
        let Value::Object(parts) = json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]}) else { panic!() };
        assert_eq!(final_user_turn("chat", &parts).as_deref(), Some("a\nb"));
        let Value::Object(image) = json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {"url": "x"}}]}]}) else { panic!() };
        assert_eq!(final_user_turn("chat", &image), None);
        let Value::Object(tool) = json!({"messages": [{"role": "user", "content": "q"}, {"role": "tool", "content": "r", "tool_call_id": "c"}]}) else { panic!() };
        assert_eq!(final_user_turn("chat", &tool), None);
        let Value::Object(p) = json!({"prompt": "Once upon"}) else { panic!() };
        assert_eq!(final_user_turn("completions", &p).as_deref(), Some("Once upon"));
        assert_eq!(final_user_turn("embeddings", &p), None);
    }

    #[test]
    fn context_ignores_the_final_turn_but_nothing_else() {
        let ctx = |body: Value| {
            let Value::Object(m) = body else { panic!() };
            context_hash(&scope(), &canonical_body(&m), "openai/text-embedding-3-small")
        };
        assert_eq!(ctx(chat("capital of France?")), ctx(chat("France's capital city?")));
        let other_system = json!({"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "Answer in French."}, {"role": "user", "content": "capital of France?"}]});
        assert_ne!(ctx(chat("capital of France?")), ctx(other_system));
        let mut with_tools = chat("capital of France?");
        with_tools["tools"] = json!([{"type": "function", "function": {"name": "f"}}]);
        assert_ne!(ctx(chat("capital of France?")), ctx(with_tools));
        let mut hotter = chat("capital of France?");
        hotter["temperature"] = json!(1.5);
        assert_ne!(ctx(chat("capital of France?")), ctx(hotter));
    }
}
