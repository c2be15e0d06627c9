//! The typed context that flows through the pipeline stages. Each stage
//! fills in what it learned; `settle` turns it into the log record. Pure
//! data, so the record mapping is tested natively.

pub use crate::core::client_meta::ClientMeta;
use crate::core::endpoint::Endpoint;
use crate::core::error::GatewayError;
use crate::cache::entry::StoredBody;
use crate::cache::state::CacheState;
use crate::observe::archive::ArchivePlan;
use crate::catalog::pricing::Nanos;
use crate::observe::audit_record::AuditRecord;
use crate::observe::log_record::{Attempt, LogRecord, SCHEMA_VERSION};
use crate::core::usage::Usage;

#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The gateway's own id: the log row, the archive prefix and every
    /// ledger hold are keyed by it, so it is minted for every request.
    pub id: String,
    /// The client's `x-request-id`, kept for search and echoed back; never a key.
    pub client_request_id: Option<String>,
    pub started_ms: u64,
    pub endpoint: Endpoint,
    pub meta: ClientMeta,
    // authenticate
    pub workspace_id: Option<String>,
    pub key_id: Option<String>,
    pub agent_id: Option<String>,
    pub department: Option<String>,
    // resolve
    pub requested_model: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub stream: bool,
    /// The router the request went through, if any.
    pub router_id: Option<String>,
    // dispatch / respond
    pub attempts: Vec<Attempt>,
    pub provider_request_id: Option<String>,
    pub upstream_started_ms: Option<u64>,
    pub upstream_headers_ms: Option<u64>,
    pub first_token_ms: Option<u64>,
    pub finished_ms: Option<u64>,
    pub status: u16,
    pub error: Option<GatewayError>,
    // govern
    /// Policy decisions taken for this request (recorded in the log).
    pub policy: Vec<serde_json::Value>,
    /// Extra headers for the client (rate-limit state), success or error.
    pub response_headers: Vec<(String, String)>,
    /// What the request was admitted by, per limit scope object: settled
    /// with the real usage once the answer is in.
    pub admissions: Vec<crate::governance::scopes::ScopedAdmit>,
    /// Webhooks of the budgets the request reserved on, by budget id.
    pub budget_webhooks: Vec<(String, String)>,
    // cache
    pub cache: Option<CacheState>,
    /// The prompt template (id, version) the messages were rendered from.
    pub prompt: Option<(String, u64)>,
    /// The request's guardrails: its policy, placeholders and findings.
    pub guard: Option<super::guard::Guard>,
    // archive
    /// Which bodies go to the archive.
    pub archive: ArchivePlan,
    /// The request body, kept when it is archived.
    pub request_body: Option<Vec<u8>>,
    /// The complete answer as the client got it, kept when the cache or
    /// the archive wants it.
    pub answer: Option<StoredBody>,
    /// Where the bodies were archived.
    pub request_body_key: Option<String>,
    pub response_body_key: Option<String>,
    /// Test deployments only: a fault for the log consumer to play.
    pub test_fault: Option<String>,
    // settle
    pub usage: Option<Usage>,
    pub cost: Option<Nanos>,
    /// The prompt tokens estimated before the request ran: the usage when
    /// the provider reports none.
    pub prompt_tokens_estimate: u64,
    /// `usage` is an estimate.
    pub usage_estimated: bool,
    /// The request generates an answer that is billed by its tokens (not a
    /// model listing or an account API call): usage it never reports is
    /// estimated.
    pub bills_tokens: bool,
}

impl RequestContext {
    pub fn new(id: String, started_ms: u64, endpoint: Endpoint, meta: ClientMeta) -> Self {
        let endpoint_bills_tokens = endpoint.generates() || endpoint == Endpoint::Embeddings;
        RequestContext {
            id,
            client_request_id: None,
            started_ms,
            endpoint,
            meta,
            workspace_id: None,
            key_id: None,
            agent_id: None,
            department: None,
            requested_model: None,
            provider: None,
            model: None,
            stream: false,
            router_id: None,
            attempts: Vec::new(),
            provider_request_id: None,
            upstream_started_ms: None,
            upstream_headers_ms: None,
            first_token_ms: None,
            finished_ms: None,
            status: 0,
            error: None,
            policy: Vec::new(),
            response_headers: Vec::new(),
            admissions: Vec::new(),
            budget_webhooks: Vec::new(),
            cache: None,
            prompt: None,
            guard: None,
            archive: ArchivePlan::default(),
            request_body: None,
            answer: None,
            request_body_key: None,
            response_body_key: None,
            test_fault: None,
            usage: None,
            cost: None,
            prompt_tokens_estimate: 0,
            usage_estimated: false,
            bills_tokens: endpoint_bills_tokens,
        }
    }

    /// Usage the provider never reported, estimated: the prompt as
    /// estimated before the request ran, and the answer from what was seen
    /// of it. Not for cache hits, which used no provider tokens.
    pub fn estimate_missing_usage(&mut self, completion_tokens: u64) {
        if !self.bills_tokens || self.usage.is_some() || self.served_from_cache() || self.upstream_started_ms.is_none() {
            return;
        }
        self.usage = Some(Usage { prompt_tokens: self.prompt_tokens_estimate, completion_tokens, ..Default::default() });
        self.usage_estimated = true;
    }

    /// Whether the complete answer must be kept (for the cache or the archive).
    pub fn wants_answer(&self) -> bool {
        self.archive.response || self.cache.as_ref().is_some_and(|c| c.wants_answer())
    }

    /// True when the answer came from the cache (it cost nothing upstream).
    pub fn served_from_cache(&self) -> bool {
        self.cache.as_ref().is_some_and(|c| c.status.is_hit())
    }

    pub fn fail(&mut self, e: &GatewayError, now_ms: u64) {
        self.status = e.status;
        self.error = Some(e.clone());
        self.finished_ms.get_or_insert(now_ms);
    }

    /// The audit event of a request refused by policy (`policy.<code>`),
    /// with the decisions that led there; `None` for anything else.
    pub fn policy_audit(&self, id: String) -> Option<AuditRecord> {
        let e = self.error.as_ref().filter(|e| e.code.is_policy_decision())?;
        Some(AuditRecord {
            id,
            workspace_id: self.workspace_id.clone()?,
            created_at: self.started_ms,
            actor: AuditRecord::actor_of(self.key_id.as_deref()),
            action: format!("policy.{}", e.code),
            target_type: Some("request".into()),
            target_id: Some(self.id.clone()),
            details: serde_json::json!({
                "message": e.message, "model": self.requested_model, "decisions": self.policy,
            }),
            request_id: Some(self.id.clone()),
        })
    }

    /// The log record, or `None` when the request never reached a workspace
    /// (unauthenticated traffic is not attributed to anyone's logs).
    pub fn to_log_record(&self) -> Option<LogRecord> {
        let workspace_id = self.workspace_id.clone()?;
        let since = |t: Option<u64>, from: Option<u64>| match (t, from) {
            (Some(t), Some(f)) => Some(t.saturating_sub(f)),
            _ => None,
        };
        let usage = self.usage;
        let properties = (!self.meta.properties.is_empty()).then(|| {
            let map: serde_json::Map<String, serde_json::Value> = self
                .meta
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            serde_json::Value::Object(map).to_string()
        });
        Some(LogRecord {
            v: SCHEMA_VERSION,
            id: self.id.clone(),
            workspace_id,
            created_at: self.started_ms,
            virtual_key_id: self.key_id.clone(),
            agent_id: self.agent_id.clone(),
            department: self.department.clone(),
            session_id: self.meta.session_id.clone(),
            session_path: self.meta.session_path.clone(),
            session_name: self.meta.session_name.clone(),
            properties,
            user_id: self.meta.user_id.clone(),
            country: self.meta.country.clone(),
            referer: self.meta.referer.clone(),
            client_ip: self.meta.client_ip.clone(),
            endpoint: self.endpoint.name().to_string(),
            requested_model: self.requested_model.clone(),
            provider: self.provider.clone(),
            model: self.model.clone(),
            provider_request_id: self.provider_request_id.clone(),
            stream: self.stream,
            status: self.status,
            error_code: self.error.as_ref().map(|e| e.code.to_string()),
            error_message: self.error.as_ref().map(|e| e.message.clone()),
            latency_ms: since(self.finished_ms, Some(self.started_ms)),
            upstream_latency_ms: since(self.upstream_headers_ms, self.upstream_started_ms),
            ttft_ms: since(self.first_token_ms, Some(self.started_ms)),
            prompt_tokens: usage.map(|u| u.prompt_tokens),
            completion_tokens: usage.map(|u| u.completion_tokens),
            cached_tokens: usage.map(|u| u.cached_tokens),
            cache_creation_tokens: usage.map(|u| u.cache_creation_tokens),
            reasoning_tokens: usage.map(|u| u.reasoning_tokens),
            cost_nanos: self.cost.map(|c| c.0),
            cache_status: self.cache.as_ref().map(|c| c.status.as_str().to_string()),
            cost_saved_nanos: self.cache.as_ref().and_then(|c| c.cost_saved_nanos),
            cache_key: self.cache.as_ref().and_then(|c| c.key.clone()),
            cache_detail: self.cache.as_ref().and_then(|c| c.detail()),
            error_type: self.error.as_ref().map(|e| e.error_type.as_str().to_string()),
            prompt_id: self.prompt.as_ref().map(|(id, _)| id.clone()),
            prompt_version: self.prompt.as_ref().map(|(_, v)| *v),
            router_id: self.router_id.clone(),
            target: self.provider.as_ref().zip(self.model.as_ref()).map(|(p, m)| format!("{p}/{m}")),
            attempts: self.attempts.clone(),
            policy: self.policy.clone(),
            request_body_key: self.request_body_key.clone(),
            response_body_key: self.response_body_key.clone(),
            client_request_id: self.client_request_id.clone(),
            usage_estimated: self.usage_estimated,
            guardrails: self.guard.as_ref().and_then(|g| g.findings_json()),
            test_fault: self.test_fault.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;

    fn ctx() -> RequestContext {
        RequestContext::new("req-1".into(), 1_000, Endpoint::ChatCompletions, ClientMeta::default())
    }

    #[test]
    fn unauthenticated_requests_have_no_record() {
        assert!(ctx().to_log_record().is_none());
    }

    #[test]
    fn record_carries_timings_usage_and_cost() {
        let mut c = ctx();
        c.workspace_id = Some("ws_1".into());
        c.key_id = Some("vk_1".into());
        c.provider = Some("openai".into());
        c.model = Some("gpt-4o".into());
        c.upstream_started_ms = Some(1_010);
        c.upstream_headers_ms = Some(1_110);
        c.first_token_ms = Some(1_120);
        c.finished_ms = Some(1_300);
        c.status = 200;
        c.usage = Some(Usage { prompt_tokens: 10, completion_tokens: 5, ..Default::default() });
        c.cost = Some(Nanos(42));
        c.meta.properties = vec![("team".into(), "search".into())];
        let r = c.to_log_record().unwrap();
        assert_eq!(r.latency_ms, Some(300));
        assert_eq!(r.upstream_latency_ms, Some(100));
        assert_eq!(r.ttft_ms, Some(120));
        assert_eq!(r.prompt_tokens, Some(10));
        assert_eq!(r.cost_nanos, Some(42));
        assert_eq!(r.target.as_deref(), Some("openai/gpt-4o"));
        assert_eq!(r.endpoint, "chat");
        assert_eq!(r.properties.as_deref(), Some(r#"{"team":"search"}"#));
    }

    #[test]
    fn missing_usage_is_estimated_and_marked() {
        let mut c = ctx();
        c.workspace_id = Some("ws_1".into());
        c.prompt_tokens_estimate = 40;
        c.estimate_missing_usage(7);
        assert!(c.usage.is_none(), "no provider was called: nothing to estimate");
        c.upstream_started_ms = Some(1_001);
        c.estimate_missing_usage(7);
        let r = c.to_log_record().unwrap();
        assert_eq!((r.prompt_tokens, r.completion_tokens, r.usage_estimated), (Some(40), Some(7), true));
        let mut listing = RequestContext::new("r".into(), 0, Endpoint::ListModels, ClientMeta::default());
        listing.upstream_started_ms = Some(1);
        listing.estimate_missing_usage(9);
        assert!(listing.usage.is_none(), "a model listing is billed by no tokens");
        let mut reported = ctx();
        reported.upstream_started_ms = Some(1);
        reported.usage = Some(Usage { prompt_tokens: 1, ..Default::default() });
        reported.estimate_missing_usage(9);
        assert!(!reported.usage_estimated);
    }

    #[test]
    fn policy_refusals_are_audited_with_their_decisions_and_nothing_else_is() {
        let mut c = ctx();
        c.workspace_id = Some("ws_1".into());
        c.key_id = Some("vk_1".into());
        c.policy.push(serde_json::json!({"decision": "budget_exceeded"}));
        c.fail(&GatewayError::rate_limited(ErrorCode::BudgetExceeded, "no money"), 1_001);
        let a = c.policy_audit("ae_1".into()).unwrap();
        assert_eq!((a.action.as_str(), a.actor.as_str(), a.request_id.as_deref()), ("policy.budget_exceeded", "key:vk_1", Some("req-1")));
        assert_eq!(a.details["decisions"][0]["decision"], "budget_exceeded");
        let mut other = ctx();
        other.workspace_id = Some("ws_1".into());
        other.fail(&GatewayError::bad_gateway(ErrorCode::UpstreamUnreachable, "down"), 1_001);
        assert!(other.policy_audit("ae_2".into()).is_none());
        assert_eq!(AuditRecord::actor_of(Some(crate::auth::principal::MASTER_KEY_ID)), "master");
    }

    #[test]
    fn failures_record_code_and_status() {
        let mut c = ctx();
        c.workspace_id = Some("ws_1".into());
        c.fail(&GatewayError::not_found(ErrorCode::ModelNotFound, "nope"), 1_005);
        let r = c.to_log_record().unwrap();
        assert_eq!(r.status, 404);
        assert_eq!(r.error_code.as_deref(), Some("model_not_found"));
        assert_eq!(r.error_type.as_deref(), Some("not_found_error"));
        assert_eq!(r.latency_ms, Some(5));
    }
}
