//! Fixtures the unit tests of every layer share (compiled for tests only):
//! a principal, a workspace with an OpenAI credential. Modules build on
//! these with struct update syntax instead of keeping copies of their own.

use crate::auth::principal::Principal;
use crate::providers::adapter::StreamDecoder;
use crate::providers::model::StreamEvent;
use crate::store::records::{ProviderCredential, WorkspaceConfig};

/// Key `vk_1` of workspace `ws_1`, with this `policy` JSON and nothing else set.
pub fn principal(policy: serde_json::Value) -> Principal {
    Principal {
        key_id: "vk_1".into(),
        workspace_id: "ws_1".into(),
        key_name: String::new(),
        agent_id: None,
        department: None,
        allowed_models: None,
        allowed_providers: None,
        rate_limit: None,
        policy,
        expires_at: None,
        revoked_at: None,
    }
}

/// An OpenAI provider key `pk_1` (secret `sk-1`, the catalog's base URL).
pub fn credential() -> ProviderCredential {
    ProviderCredential {
        id: "pk_1".into(),
        provider: "openai".into(),
        name: String::new(),
        secret: Some("sk-1".into()),
        base_url: None,
        config: serde_json::json!({}),
    }
}

/// Workspace `ws_1` with `credential()` and nothing else.
pub fn workspace() -> WorkspaceConfig {
    WorkspaceConfig {
        workspace_id: "ws_1".into(),
        credentials: vec![credential()],
        custom_providers: vec![],
        policies: vec![],
        budgets: vec![],
        cache_generation: 0,
    }
}

/// Every event a decoder gives for a stream fed in these pieces, its end included.
pub fn decode_pieces<'a>(mut decoder: Box<dyn StreamDecoder>, pieces: impl IntoIterator<Item = &'a [u8]>) -> Vec<StreamEvent> {
    let mut out = Vec::new();
    for piece in pieces {
        out.extend(decoder.push(piece));
    }
    out.extend(decoder.finish());
    out
}

/// The stream fed in pieces of `size` bytes.
pub fn decode_in_chunks(new: &dyn Fn() -> Box<dyn StreamDecoder>, bytes: &[u8], size: usize) -> Vec<StreamEvent> {
    decode_pieces(new(), bytes.chunks(size.max(1)))
}

/// The chunking harness every stream decoder is held to: the events of a
/// stream, after `normalize` (e.g. merging adjacent deltas), are the same
/// whole, split once at every byte, and fed one byte at a time. Returns them.
pub fn assert_chunking_invariant(
    new: &dyn Fn() -> Box<dyn StreamDecoder>,
    bytes: &[u8],
    normalize: &dyn Fn(Vec<StreamEvent>) -> Vec<StreamEvent>,
) -> Vec<StreamEvent> {
    let whole = normalize(decode_pieces(new(), [bytes]));
    for at in 0..=bytes.len() {
        assert_eq!(normalize(decode_pieces(new(), [&bytes[..at], &bytes[at..]])), whole, "split at byte {at}");
    }
    assert_eq!(normalize(decode_in_chunks(new, bytes, 1)), whole, "byte by byte");
    whole
}
