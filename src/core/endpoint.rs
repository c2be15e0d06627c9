//! The endpoints the gateway serves, named once for every layer: routing
//! (api), providers (which path, which field), governance (what a cap
//! bounds) and the log (its stable name).

/// A unified, OpenAI-compatible endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    ChatCompletions,
    /// Legacy text completions.
    Completions,
    Embeddings,
    Responses,
    /// `POST /v1/messages`: Anthropic's Messages API, for any provider.
    Messages,
    /// `POST /v1/messages/count_tokens`.
    CountTokens,
    ImagesGenerations,
    /// `GET /v1/models`
    ListModels,
    /// `GET /v1/models/{id}` (the id may contain `/`, e.g. `anthropic/claude-…`).
    RetrieveModel(String),
    /// `/{provider}/…`: the provider's own API, forwarded as it is.
    Passthrough { provider: String, path: String },
    /// `POST /v1/usage-events`: a run's non-LLM costs and revenue.
    UsageEvents,
}

impl Endpoint {
    /// The path below `/v1` that OpenAI-compatible providers serve it at.
    pub fn upstream_path(&self) -> &'static str {
        match self {
            Endpoint::ChatCompletions => "/chat/completions",
            Endpoint::Completions => "/completions",
            Endpoint::Embeddings => "/embeddings",
            Endpoint::Responses => "/responses",
            // Forwarded only to Anthropic, whose base URL has no version.
            Endpoint::Messages => "/v1/messages",
            Endpoint::CountTokens => "/v1/messages/count_tokens",
            Endpoint::ImagesGenerations => "/images/generations",
            Endpoint::ListModels | Endpoint::RetrieveModel(_) => "/models",
            Endpoint::Passthrough { .. } | Endpoint::UsageEvents => "",
        }
    }

    /// The body field that caps the answer's length.
    pub fn max_tokens_field(&self) -> &'static str {
        match self {
            Endpoint::Responses => "max_output_tokens",
            _ => "max_tokens",
        }
    }

    /// Whether the endpoint generates an answer whose length the
    /// `max_tokens` cap bounds.
    pub fn generates(&self) -> bool {
        matches!(self, Endpoint::ChatCompletions | Endpoint::Completions | Endpoint::Responses | Endpoint::Messages)
    }

    /// Whether errors must take Anthropic's shape (its SDK reads no other).
    pub fn speaks_anthropic(&self) -> bool {
        matches!(self, Endpoint::Messages | Endpoint::CountTokens)
    }

    /// Stable name used in logs, analytics and the catalog's capability list.
    pub fn name(&self) -> &'static str {
        match self {
            Endpoint::ChatCompletions => "chat",
            Endpoint::Completions => "completions",
            Endpoint::Embeddings => "embeddings",
            Endpoint::Responses => "responses",
            Endpoint::Messages => "messages",
            Endpoint::CountTokens => "count_tokens",
            Endpoint::ImagesGenerations => "images",
            Endpoint::ListModels | Endpoint::RetrieveModel(_) => "models",
            Endpoint::Passthrough { .. } => "passthrough",
            Endpoint::UsageEvents => "usage_events",
        }
    }
}
