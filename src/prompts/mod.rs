//! Prompt templates: chat messages with `{{variables}}`, a default model and
//! default parameters, stored in versions by the admin API and rendered into
//! a chat request by `alephant-prompt-id` (see docs/prompts.md).
//!
//! Pure: `text` parses one string with variables, `template` checks a
//! template's JSON (errors carry their path, like router configs), `render`
//! fills it from a request's `inputs`. The request-side application lives in
//! `pipeline::prompt`, the stored versions in `store::prompts`.
//!
//! Rendering works on parsed JSON values and returns JSON values: an input
//! becomes part of a string, never part of the JSON text, so no input can
//! change the shape of the request.

pub mod render;
pub mod template;
pub mod text;

pub use render::{render, Missing};
pub use template::Template;

use crate::core::error::{ErrorCode, GatewayError};

/// The prompt a request names.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptRef {
    pub id: String,
    /// `None`: the latest version.
    pub version: Option<u64>,
}

pub fn not_found(id: &str, version: Option<u64>) -> GatewayError {
    let which = version.map_or(String::new(), |v| format!(" version {v}"));
    GatewayError::not_found(ErrorCode::PromptNotFound, format!("No prompt '{id}'{which} in this workspace."))
}

/// Prompt ids: 1 to 64 of `A-Za-z0-9`, `_`, `-`, `.` — they travel in a
/// header and a URL path as they are.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}
