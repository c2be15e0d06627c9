//! The one registration list of wire formats. Each line names a format
//! once: its `AdapterKind` variant, the name `providers/*.json` use, and —
//! for formats the gateway translates — the folder under
//! `providers/upstream/` and its adapter type. `catalog` builds
//! `AdapterKind` from this list and `providers::upstream` its module list
//! and dispatch, so a new wire format is one folder plus one line here
//! (and its name in `schema/provider.schema.json`, which a test checks).
//!
//! The list holds names only, no paths, so the core layer still depends
//! on nothing above it.

/// Calls `$callback!` with every wire format.
#[macro_export]
macro_rules! with_wire_formats {
    ($callback:ident) => {
        $callback! {
            // Forwarded as the client sent them: OpenAI's chat/completions format
            // (and the many providers that copy it), and the same behind Azure's
            // deployment URLs and `api-key` header.
            forwarded: [Openai "openai", Azure "azure"],
            // Translated through the internal model by providers::upstream::<folder>.
            translated: [
                Anthropic "anthropic" anthropic::Anthropic,
                Gemini "gemini" gemini::Gemini,
                Bedrock "bedrock" bedrock::Bedrock,
                Cohere "cohere" cohere::Cohere,
            ],
        }
    };
}
