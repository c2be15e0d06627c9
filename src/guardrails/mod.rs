//! Guardrails: what goes to a model and what comes back, inspected and
//! sanitised in the gateway — before the provider, the cache key, the logs
//! and the archive see the request.
//!
//! ```text
//!  detect/    built-in detectors (e-mail, phone, card, IBAN, SSN, IP, secrets):
//!             byte scanners with checksums where the format has one
//!  rules      workspace regex rules and deny-word lists (regex-lite, bounded)
//!  config     the `guardrails` object of a scope policy, validated on write,
//!             merged over scopes (most specific wins) and a stricter-only header
//!  scan       one text: findings, and the text with each action applied
//!  vault      tokenize's placeholders (`⟨EMAIL_1⟩`) and their restore
//!  body       every text field of a JSON request or answer
//!  stream     the same for an SSE answer, chunk by chunk, placeholders split
//!             across chunks included
//!  schema     the answer against the JSON schema the request asked for
//!  moderation a moderation model's verdict as a guardrail (the call is the pipeline's)
//! ```
//!
//! Pure: no I/O, natively tested; the pipeline decides when it runs.

pub mod body;
pub mod config;
pub mod detect;
pub mod findings;
pub mod moderation;
pub mod rules;
pub mod scan;
pub mod schema;
pub mod stream;
pub mod vault;
