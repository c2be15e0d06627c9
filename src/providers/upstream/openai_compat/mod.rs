//! OpenAI's wire format, spoken by OpenAI and by most other providers
//! (Mistral, Groq, Together, Fireworks, DeepSeek, xAI, Perplexity,
//! OpenRouter, Ollama, vLLM, Hugging Face). Requests are forwarded with only
//! the fields the gateway must change rewritten; answers pass through.

pub mod chat;
pub mod request;
pub mod stream;
