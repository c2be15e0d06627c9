//! Guardrails in the pipeline (docs/guardrails.md): the request's
//! guardrails from its scopes and header; its body guarded before routing,
//! the cache key, the archive and the log see it; the answer checked and
//! its placeholders restored on the way out — after the cache and the
//! archive took their copy, so neither ever holds a tokenized value.

use super::context::RequestContext;
use crate::core::error::{ErrorCode, GatewayError, GatewayResult};
use crate::guardrails::body;
use crate::guardrails::config::{Decided, GuardPolicy, SchemaCheck};
use crate::guardrails::findings::{Blocked, Findings};
use crate::guardrails::vault::Vault;
use crate::util::json_object::JsonObject;
use std::cell::RefCell;
use std::rc::Rc;

/// One request's guardrails and what they have done so far.
#[derive(Debug, Clone)]
pub struct Guard {
    pub policy: GuardPolicy,
    /// Tokenize's placeholders, shared with the answer's stream.
    pub vault: Rc<Vault>,
    /// Shared with the stream stages, which count output findings as they go.
    pub findings: Rc<RefCell<Findings>>,
    /// The JSON schema the request asked its answer to follow, when the
    /// policy checks answers against it.
    pub schema: Option<Rc<serde_json::Value>>,
    /// What the moderation call cost (nano-dollars): the request's spend too.
    pub moderation_cost_nanos: u64,
}

impl Guard {
    pub fn new(policy: GuardPolicy) -> Self {
        Guard { policy, vault: Rc::default(), findings: Rc::default(), schema: None, moderation_cost_nanos: 0 }
    }

    /// Reads the schema a request asks for (`response_format`, `text.format`).
    fn note_schema(&mut self, object: &JsonObject) {
        if self.policy.output_schema == SchemaCheck::Off {
            return;
        }
        let fields = ["response_format", "text"].map(|k| object.get_as::<serde_json::Value>(k).ok().flatten().map(|v| (k, v)));
        let body = serde_json::Value::Object(fields.into_iter().flatten().map(|(k, v)| (k.to_string(), v)).collect());
        self.schema = crate::guardrails::schema::requested(&body).cloned().map(Rc::new);
    }

    /// The answer (client format) against the requested schema; the 502
    /// says where it departs from it.
    pub fn check_schema(&self, answer: &[u8]) -> GatewayResult<()> {
        let Some(schema) = &self.schema else { return Ok(()) };
        crate::guardrails::schema::check_answer(answer, schema).map_err(|why| {
            GatewayError::bad_gateway(
                ErrorCode::InvalidModelOutput,
                format!("The model's answer does not follow the JSON schema the request asked for: {why}."),
            )
        })
    }

    /// Whether a failed schema check should try the next target.
    pub fn schema_fallback(&self) -> bool {
        self.schema.is_some() && self.policy.output_schema == SchemaCheck::Fallback
    }

    /// The input checks over the request body (rewritten in place), then
    /// the size limit over the body as it came (`body_len` bytes, `images`
    /// image parts). `Ok(true)` when the body must be re-serialised.
    pub fn request(&mut self, object: &mut JsonObject, body_len: usize, images: u64) -> Result<bool, Refused> {
        let vault = Rc::make_mut(&mut self.vault);
        let rewritten = body::guard_request(object, &self.policy, vault, &mut self.findings.borrow_mut()).map_err(Refused::Blocked)?;
        if let Some((limit, scope)) = &self.policy.max_input_tokens {
            let tokens = crate::governance::estimate::input_tokens(body_len, images);
            if tokens > *limit {
                return Err(Refused::TooLarge(GatewayError::invalid_request(
                    ErrorCode::MaxInputTokensExceeded,
                    format!("The request's input is about {tokens} tokens, over the limit of {limit} set by {scope}."),
                )));
            }
        }
        Ok(rewritten)
    }

    pub fn output_checks(&self) -> &[Decided] {
        &self.policy.output
    }

    /// Whether an answer must be looked at at all.
    pub fn touches_answer(&self) -> bool {
        !self.policy.output.is_empty() || !self.vault.is_empty() || self.schema.is_some()
    }

    /// The output checks over a complete JSON answer: the bytes to keep
    /// (cache, archive) when something was masked; `Err` when withheld.
    pub fn scan_answer(&self, bytes: &[u8]) -> Result<Option<Vec<u8>>, Blocked> {
        body::scan_answer(bytes, &self.policy.output, &mut self.findings.borrow_mut())
    }

    /// The answer as the client gets it: this request's placeholders restored.
    pub fn restore_answer(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        body::restore_answer(bytes, &self.vault)
    }

    /// The log column.
    pub fn findings_json(&self) -> Option<String> {
        self.findings.borrow().to_json()
    }
}

/// Why a request's input was refused.
#[derive(Debug)]
pub enum Refused {
    Blocked(Blocked),
    TooLarge(GatewayError),
}

/// Stage 1b's guardrails: the request's guard set up on the context and
/// its input checks run over `object`. A block is recorded as a policy
/// decision (so its audit event says which guardrail).
pub fn guard_request(rc: &mut RequestContext, policy: Option<GuardPolicy>, object: &mut JsonObject, body_len: usize, images: u64) -> GatewayResult<bool> {
    let Some(policy) = policy else { return Ok(false) };
    let guard = rc.guard.insert(Guard::new(policy));
    guard.note_schema(object);
    match guard.request(object, body_len, images) {
        Ok(rewritten) => Ok(rewritten),
        Err(Refused::Blocked(b)) => {
            rc.policy.push(block_decision(&b));
            Err(b.to_error())
        }
        Err(Refused::TooLarge(e)) => {
            rc.policy.push(serde_json::json!({"decision": "max_input_tokens_exceeded"}));
            Err(e)
        }
    }
}

/// The policy decision recorded (and audited) for a block.
pub fn block_decision(b: &Blocked) -> serde_json::Value {
    serde_json::json!({
        "decision": "guardrail_violation", "guardrail": b.check, "direction": b.direction.as_str(), "scope": b.scope, "count": b.count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn guard(v: serde_json::Value) -> Guard {
        let c: crate::guardrails::config::GuardrailsConfig = serde_json::from_value(v).unwrap();
        Guard::new(GuardPolicy::merge([("this key's policy".to_string(), &c)].into_iter(), &[]).unwrap())
    }

    #[test]
    fn a_request_is_tokenized_and_its_answer_restored() {
        let mut g = guard(json!({"detectors": {"email": {"input": "tokenize"}}}));
        let mut body = JsonObject::parse(br#"{"model":"m","messages":[{"role":"user","content":"I am a@x.io"}]}"#).unwrap();
        let len = body.to_vec().len();
        assert!(g.request(&mut body, len, 0).unwrap());
        assert!(String::from_utf8(body.to_vec()).unwrap().contains("I am ⟨EMAIL_1⟩"));
        let answer = br#"{"choices":[{"message":{"content":"Hello \u27e8EMAIL_1\u27e9"}}]}"#;
        assert!(g.touches_answer());
        let restored = g.restore_answer(answer).unwrap();
        assert!(String::from_utf8(restored).unwrap().contains("Hello a@x.io"));
        assert!(g.findings_json().unwrap().contains(r#""detector":"email""#));
    }

    #[test]
    fn the_requested_schema_is_held_to_the_answer() {
        let mut g = guard(json!({"output_schema": "reject"}));
        let mut body = JsonObject::parse(br#"{"model":"m","messages":[],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","required":["a"]}}}}"#).unwrap();
        let mut rc = RequestContext::new("r".into(), 0, crate::core::endpoint::Endpoint::ChatCompletions, Default::default());
        guard_request(&mut rc, Some(g.policy.clone()), &mut body, 100, 0).unwrap();
        let g2 = rc.guard.take().unwrap();
        assert!(g2.touches_answer() && !g2.schema_fallback());
        let answer = |c: &str| json!({"choices": [{"message": {"content": c}}]}).to_string().into_bytes();
        assert!(g2.check_schema(&answer(r#"{"a": 1}"#)).is_ok());
        let e = g2.check_schema(&answer(r#"{"b": 1}"#)).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (502, "invalid_model_output"));
        assert!(e.message.contains("'a' is missing"), "{}", e.message);
        g.note_schema(&JsonObject::parse(br#"{"model":"m"}"#).unwrap());
        assert!(g.schema.is_none() && g.check_schema(&answer("not json")).is_ok(), "no schema asked, nothing checked");
    }

    #[test]
    fn max_input_tokens_refuses_a_long_request_naming_the_scope() {
        let mut g = guard(json!({"max_input_tokens": 10}));
        let small_body = br#"{"model":"m","messages":[]}"#;
        let mut small = JsonObject::parse(small_body).unwrap();
        assert!(g.request(&mut small, small_body.len(), 0).is_ok());
        let long = format!(r#"{{"model":"m","messages":[{{"role":"user","content":"{}"}}]}}"#, "x".repeat(200));
        let Err(Refused::TooLarge(e)) = g.request(&mut JsonObject::parse(long.as_bytes()).unwrap(), long.len(), 0) else { panic!("not refused") };
        assert_eq!((e.status, e.code.as_str()), (400, "max_input_tokens_exceeded"));
        assert!(e.message.contains("this key's policy"), "{}", e.message);
        assert!(g.request(&mut small, small_body.len(), 1).is_err(), "an image counts as its flat size");
    }
}
