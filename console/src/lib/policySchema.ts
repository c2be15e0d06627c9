// The scope policy shape (schema/openapi.yaml → ScopePolicy), for the policy
// editor's client-side check.
const patterns = { type: 'array', items: { type: 'string', minLength: 1 } };
export const scopePolicySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rate_limit: { type: 'string' },
    max_concurrency: { type: 'integer', minimum: 1 },
    allowed_models: patterns,
    denied_models: patterns,
    allowed_providers: patterns,
    denied_providers: patterns,
    max_tokens: { type: 'integer', minimum: 1 },
    allow_forced_routing: { type: 'boolean' },
    allow_provider_account_api: { type: 'boolean' },
    archive_bodies: { type: 'boolean' },
    denied_headers: patterns,
    cache: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        ttl_seconds: { type: 'integer', minimum: 1, maximum: 2592000 },
        bucket_max_size: { type: 'integer', minimum: 1, maximum: 20 },
        semantic_threshold: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        embeddings_model: { type: 'string' },
        coalesce: { type: 'boolean' },
      },
    },
  },
};
