//! The moderation guardrail's call (the pure half is
//! `guardrails::moderation`): the guarded request text to an OpenAI-format
//! `/moderations` endpoint with the workspace's key for that provider, or
//! to Llama Guard through the Workers AI binding. Bounded in time; its
//! cost is the request's. On failure the policy's `on_error` decides:
//! `open` lets the request on (recorded), `closed` refuses it with 503.

use super::context::RequestContext;
use crate::catalog::{catalog, pricing};
use crate::core::error::{ErrorCode, ErrorType, GatewayError, GatewayResult};
use crate::guardrails::config::{Action, Direction};
use crate::guardrails::moderation::{self, ModerationConfig, OnError, Verdict};
use crate::providers::{adapter::adapter_for, auth, UpstreamRequest};
use crate::runtime::http::send;
use crate::runtime::now_ms;
use crate::store::records::WorkspaceConfig;
use crate::util::json_object::JsonObject;
use worker::Env;

/// How long a moderation call may take before the policy's `on_error` applies.
const TIMEOUT_MS: u64 = 5_000;

/// Runs the moderation guardrail over the (guarded) request, if a scope sets one.
pub async fn input(env: &Env, rc: &mut RequestContext, workspace: &WorkspaceConfig, object: &JsonObject) -> GatewayResult<()> {
    let Some((config, scope)) = rc.guard.as_ref().and_then(|g| g.policy.moderation.clone()) else { return Ok(()) };
    let text = object.to_value().map(moderation::text_of).unwrap_or_default();
    if text.is_empty() {
        return Ok(());
    }
    let verdict = match call(env, workspace, &config, &text).await {
        Ok(v) => v,
        Err(why) => {
            rc.policy.push(serde_json::json!({"decision": "moderation_unavailable", "on_error": config.on_error, "why": why}));
            return match config.on_error {
                OnError::Open => Ok(()),
                OnError::Closed => Err(GatewayError::new(
                    503,
                    ErrorType::UpstreamError,
                    ErrorCode::ModerationUnavailable,
                    format!("The moderation check of {scope} could not be made ({why}), and it is set to refuse requests then."),
                )),
            };
        }
    };
    let categories: Vec<String> = verdict.0.flagged.iter().map(|(c, s)| format!("{c} {s:.2}")).collect();
    // The call itself is on the record: which model, what it flagged, what it cost.
    rc.policy.push(serde_json::json!({"decision": "moderation", "model": config.model, "flagged": categories, "cost_nanos": verdict.1}));
    let Some(g) = rc.guard.as_mut() else { return Ok(()) };
    g.moderation_cost_nanos += verdict.1;
    if verdict.0.flagged.is_empty() {
        return Ok(());
    }
    let action = config.action();
    g.findings.borrow_mut().add("moderation", Direction::Input, action, verdict.0.flagged.len() as u64);
    if action != Action::Block {
        return Ok(());
    }
    rc.policy.push(serde_json::json!({
        "decision": "guardrail_violation", "guardrail": "moderation", "direction": "input", "scope": scope, "categories": categories,
    }));
    Err(GatewayError::invalid_request(
        ErrorCode::GuardrailViolation,
        format!(
            "The request was blocked by guardrail 'moderation' (input) of {scope}: flagged for {} (threshold {}).",
            categories.join(", "),
            config.threshold
        ),
    ))
}

/// The verdict and what the call cost (nano-dollars).
async fn call(env: &Env, workspace: &WorkspaceConfig, config: &ModerationConfig, text: &str) -> Result<(Verdict, u64), String> {
    if let Some(model) = config.is_workers_ai() {
        return workers_ai(env, model, config, text).await;
    }
    let resolved = crate::catalog::resolve::resolve(catalog(), &workspace.custom_providers, &config.model).map_err(|e| e.message)?;
    let p = resolved.provider;
    if adapter_for(p.adapter).is_some() {
        return Err(format!("provider '{}' has no OpenAI-format moderation endpoint", p.id));
    }
    let credential = workspace.credential_for(&p.id);
    let target = crate::store::records::target(p, resolved.model_id, credential, now_ms());
    if target.secret.is_none() && p.needs_key() {
        return Err(format!("this workspace has no key for provider '{}'", p.id));
    }
    let body = serde_json::json!({"model": resolved.model_id, "input": text}).to_string().into_bytes();
    let mut request = UpstreamRequest {
        method: "POST",
        url: format!("{}/moderations", target.base_url.trim_end_matches('/')),
        headers: vec![("content-type".into(), "application/json".into())],
        body: Some(body),
    };
    auth::apply(p.auth, target.secret, &mut request);
    let response = send(&request, TIMEOUT_MS).await.map_err(|_| format!("{} moderation did not answer in time", p.id))?;
    let status = response.status();
    let (_, bytes) = response.bytes().await.map_err(|_| "the moderation answer was cut off".to_string())?;
    if !(200..300).contains(&status) {
        return Err(format!("{} moderation answered {status}", p.id));
    }
    Ok((moderation::read_openai(&bytes, config)?, 0))
}

#[derive(serde::Serialize)]
struct GuardInput<'a> {
    messages: [GuardMessage<'a>; 1],
}

#[derive(serde::Serialize)]
struct GuardMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(serde::Deserialize)]
struct GuardOutput {
    #[serde(default)]
    response: String,
}

async fn workers_ai(env: &Env, model: &str, config: &ModerationConfig, text: &str) -> Result<(Verdict, u64), String> {
    let ai = env.ai("AI").map_err(|_| "the Workers AI binding 'AI' is not configured".to_string())?;
    let out: GuardOutput = ai
        .run(model, GuardInput { messages: [GuardMessage { role: "user", content: text }] })
        .await
        .map_err(|e| format!("Workers AI {model}: {e}"))?;
    let cost = pricing::workers_ai_neurons_per_million(model).map_or(0, |n| pricing::workers_ai_cost_nanos(n, text));
    Ok((moderation::read_llama_guard(&out.response, config), cost))
}
