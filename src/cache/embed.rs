//! Embeddings for the semantic cache, through the gateway's own provider
//! layer: any provider that serves embeddings (OpenAI-compatible or
//! translated by its adapter, the local mock included) with the
//! workspace's credential — or the key named by `alephant-embeddings-key`
//! — or the Workers AI binding `AI` for `workers-ai/@cf/…` models. The
//! call is bounded in time; its cost is real spend and is added to the
//! request's.

use super::options::SemanticOptions;
use crate::core::endpoint::Endpoint;
use crate::catalog::{catalog, pricing};
use crate::governance::scope_policy::EffectivePolicy;
use crate::providers::adapter::adapter_for;
use crate::providers::model::embeddings::EmbeddingsRequest;
use crate::providers::upstream::openai_compat::request as openai_request;
use crate::providers::usage::{OpenAiUsage, Usage};
use crate::runtime::http::{send, SendFailure};
use crate::runtime::now_ms;
use crate::store::records::WorkspaceConfig;
use crate::util::json_object::JsonObject;
use serde::Deserialize;
use worker::Env;

pub const WORKERS_AI_PREFIX: &str = "workers-ai/";

pub struct Embedding {
    pub values: Vec<f32>,
    pub cost_nanos: u64,
}

pub async fn embed(
    env: &Env,
    workspace: &WorkspaceConfig,
    policy: &EffectivePolicy,
    options: &SemanticOptions,
    text: &str,
    timeout_ms: u64,
) -> Result<Embedding, String> {
    match options.embeddings_model.strip_prefix(WORKERS_AI_PREFIX) {
        Some(model) => {
            // Called on the key's behalf, like any other model: its policy applies, and it costs.
            policy.check_model("workers-ai", model).map_err(|e| e.message)?;
            let neurons_per_million = pricing::workers_ai_neurons_per_million(model)
                .ok_or_else(|| format!("Workers AI model '{model}' is not a priced embeddings model"))?;
            let mut e = workers_ai(env, model, text).await?;
            e.cost_nanos = pricing::workers_ai_cost_nanos(neurons_per_million, text);
            Ok(e)
        }
        None => provider(workspace, policy, options, text, timeout_ms).await,
    }
}

/// A struct, not a `json!` map: the binding's serializer turns maps into
/// JS `Map`s, which Workers AI does not read as its input object.
#[derive(serde::Serialize)]
struct AiInput<'a> {
    text: [&'a str; 1],
}

#[derive(Deserialize)]
struct AiEmbeddings {
    data: Vec<Vec<f32>>,
}

async fn workers_ai(env: &Env, model: &str, text: &str) -> Result<Embedding, String> {
    let ai = env.ai("AI").map_err(|_| "the Workers AI binding 'AI' is not configured".to_string())?;
    let out: AiEmbeddings =
        ai.run(model, AiInput { text: [text] }).await.map_err(|e| format!("Workers AI {model}: {e}"))?;
    let values = out.data.into_iter().next().ok_or_else(|| format!("Workers AI {model} returned no embedding"))?;
    Ok(Embedding { values, cost_nanos: 0 })
}

#[derive(Deserialize)]
struct OpenAiEmbeddings {
    data: Vec<OpenAiVector>,
    #[serde(default)]
    usage: Option<OpenAiUsage>,
}

#[derive(Deserialize)]
struct OpenAiVector {
    embedding: Vec<f32>,
}

async fn provider(
    workspace: &WorkspaceConfig,
    policy: &EffectivePolicy,
    options: &SemanticOptions,
    text: &str,
    timeout_ms: u64,
) -> Result<Embedding, String> {
    let model = options.embeddings_model.as_str();
    let resolved = crate::catalog::resolve::resolve(catalog(), &workspace.custom_providers, model).map_err(|e| e.message)?;
    let p = resolved.provider;
    if !p.serves(Endpoint::Embeddings.name()) {
        return Err(format!("provider '{}' does not serve embeddings", p.id));
    }
    // The embeddings model is called on the key's behalf: its policy applies.
    policy.check_model(&p.id, resolved.model_id).map_err(|e| e.message)?;
    // `alephant-embeddings-key` names one of the workspace's provider keys, or is a key itself.
    let named = options.embeddings_key.as_deref().and_then(|k| workspace.credential(&p.id, Some(k)).ok().flatten());
    let credential = named.or_else(|| workspace.credential_for(&p.id));
    let mut target = crate::store::records::target(p, resolved.model_id, credential, now_ms());
    if named.is_none() {
        if let Some(raw) = options.embeddings_key.as_deref() {
            target.secret = Some(raw);
        }
    }
    if target.secret.is_none() && p.needs_key() {
        return Err(format!("no key for embeddings provider '{}'", p.id));
    }
    let failed = |f: SendFailure| match f {
        SendFailure::Timeout => format!("{} embeddings took over {timeout_ms} ms", p.id),
        SendFailure::Network(_) => format!("{} embeddings unreachable", p.id),
        SendFailure::Invalid(why) => format!("{} embeddings request invalid: {why}", p.id),
    };
    let (values, usage) = match adapter_for(p.adapter) {
        None => {
            let body = serde_json::json!({ "model": resolved.model_id, "input": text }).to_string();
            let body = JsonObject::parse(body.as_bytes()).map_err(|e| e.to_string())?;
            let (request, _) = openai_request::build(&Endpoint::Embeddings, body, &target, &[]).map_err(|e| e.message)?;
            let bytes = fetch_ok(&request, timeout_ms, &failed).await?;
            let parsed: OpenAiEmbeddings = serde_json::from_slice(&bytes).map_err(|e| format!("{} embeddings answer unreadable: {e}", p.id))?;
            let values = parsed.data.into_iter().next().map(|v| v.embedding).ok_or("no embedding in the answer")?;
            (values, parsed.usage.map(Usage::from).unwrap_or_default())
        }
        Some(adapter) => {
            let request = EmbeddingsRequest { model: resolved.model_id.to_string(), inputs: vec![text.to_string()], ..Default::default() };
            let mut bodies = Vec::new();
            for upstream in adapter.build_embeddings(&request, &target).map_err(|e| e.message)? {
                bodies.push(fetch_ok(&upstream, timeout_ms, &failed).await?);
            }
            let answer = adapter.parse_embeddings(&bodies, &request).map_err(|e| e.message)?;
            let values = answer.vectors.into_iter().next().ok_or("no embedding in the answer")?;
            (values, answer.usage)
        }
    };
    let cost_nanos = resolved.model.and_then(|m| pricing::cost(m, &usage)).map_or(0, |c| c.0);
    Ok(Embedding { values, cost_nanos })
}

async fn fetch_ok(
    request: &crate::providers::UpstreamRequest,
    timeout_ms: u64,
    failed: &dyn Fn(SendFailure) -> String,
) -> Result<Vec<u8>, String> {
    let response = send(request, timeout_ms).await.map_err(failed)?;
    let status = response.status();
    let (_, bytes) = response.bytes().await.map_err(|_| "embeddings answer cut off".to_string())?;
    if !(200..300).contains(&status) {
        // The provider's message may echo input, never a secret: still, keep only the status.
        return Err(format!("embeddings provider answered {status}"));
    }
    Ok(bytes)
}
