//! The provider side: one folder per wire format the gateway translates to
//! and from (`openai_compat` forwards the OpenAI format as it is). Each
//! builds the provider's requests from the internal model
//! (`providers::model`), reads its answers, streams and errors back into it.

pub mod anthropic;
pub mod bedrock;
pub mod cohere;
pub mod gemini;
pub mod openai_compat;
