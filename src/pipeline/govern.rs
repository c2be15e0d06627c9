//! Stage 3 at the edge: the request's rate-limit rules (its scopes' and
//! a header's tighter ones), its budgets (refusing unpriced models where a
//! budget applies) and its concurrency lease, admitted by the `Limiter`
//! objects; what admission returns is folded into the context.

use super::context::RequestContext;
use crate::auth::principal::Principal;
use crate::core::error::{ErrorCode, GatewayError, GatewayResult};
use crate::core::headers::RATELIMIT_POLICY;
use crate::governance::scope_policy::EffectivePolicy;
use crate::governance::scopes::{Estimates, Subject};
use crate::governance::{admission, rate_limit};
use crate::runtime::config::test_hooks;
use crate::store::records::{BudgetRow, WorkspaceConfig};
use worker::Env;

/// Stage 3: the request admitted by every limit scope it falls under.
/// `unpriced`: a planned target with no price, which budgets refuse
/// unless they allow unpriced models.
#[allow(clippy::too_many_arguments)]
pub async fn govern(
    env: &Env,
    rc: &mut RequestContext,
    principal: &Principal,
    policy: &EffectivePolicy,
    workspace: &WorkspaceConfig,
    headers: &[(String, String)],
    est: &Estimates,
    unpriced: Option<&str>,
) -> GatewayResult<()> {
    rc.prompt_tokens_estimate = est.prompt_tokens;
    let header_rules = match headers.iter().find(|(k, _)| k == RATELIMIT_POLICY) {
        // A request may add tighter rules over its own scopes, never remove any.
        Some((_, v)) => rate_limit::parse_header(v).map_err(|why| {
            GatewayError::invalid_request(ErrorCode::InvalidRatelimitPolicy, format!("alephant-ratelimit-policy: {why}."))
        })?,
        None => Vec::new(),
    };
    let budgets: Vec<&BudgetRow> = workspace.budgets_for(principal).collect();
    if let (Some(model), Some(budget)) = (unpriced, budgets.iter().find(|b| !b.allow_unpriced)) {
        // Spend that cannot be priced cannot be held to a budget.
        return Err(GatewayError::forbidden(
            ErrorCode::UnpricedModel,
            format!(
                "Model '{model}' has no price, so budget '{}' cannot account for it; an administrator can allow \
                 unpriced models on the budget (\"unpriced\": \"allow\") or give the model a price.",
                budget.id
            ),
        )
        .with_param("model"));
    }
    rc.budget_webhooks = budgets.iter().filter_map(|b| b.webhook_url.clone().map(|u| (b.id.clone(), u))).collect();
    let subject = Subject { principal, meta: &rc.meta, policy, header_rules: &header_rules, budgets };
    let test_now = test_hooks(env)
        .then(|| headers.iter().find(|(k, _)| k == "alephant-test-now").and_then(|(_, v)| v.parse().ok()))
        .flatten();
    match admission::admit(env, &rc.id, rc.started_ms, &subject, est, test_now).await {
        Ok(a) => {
            rc.response_headers.extend(a.headers);
            rc.policy.extend(a.decisions);
            rc.admissions = a.admitted;
            Ok(())
        }
        Err(r) => {
            rc.response_headers.extend(r.headers);
            rc.policy.extend(r.decisions);
            Err(r.error)
        }
    }
}
