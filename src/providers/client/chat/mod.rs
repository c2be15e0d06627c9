//! OpenAI's chat-completions format as a *client* format: parsed into the
//! internal model for translating adapters, and encoded back from it
//! (answers, stream chunks, embeddings). The OpenAI-compatible pass-through
//! path (`openai_compat`) does not use this: it forwards the client's bytes.

pub mod chunks;
pub mod embeddings;
pub mod request;
pub mod response;
