//! Native pass-through, `/{provider}/…`: the provider's own API, forwarded
//! untouched except for authentication (virtual key in, provider credential
//! out) and gateway-only headers — so a provider's SDK pointed at
//! `<gateway>/anthropic` works as it would against the provider. Usage and
//! cost are still read from the answer (observed, never rewritten), and the
//! request is logged, rate-limited and policy-checked like any other.

use super::context::RequestContext;
use crate::observe::archive::ArchivePlan;
use super::dispatch::send_raw;
use super::respond::{fail, gateway_headers, json_answer, stream_answer, JsonConversion};
use super::start::intake;
use super::{authenticate, settle};
use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::core::headers::forward_on_passthrough;
use crate::core::endpoint::Endpoint;
use crate::catalog::{catalog, AdapterKind, AuthScheme, ModelSpec, ProviderSpec};
use crate::governance::estimate;
use crate::governance::token_cap;
use crate::providers::adapter::{adapter_for, model_in_body};
use crate::providers::native_paths::{self, NativeCall};
use crate::providers::upstream::openai_compat::request as openai_request;
use crate::util::json_object::JsonObject;
use crate::providers::upstream::openai_compat::stream::StreamObserver;
use crate::providers::sse;
use crate::providers::stream_transform::StreamTransform;
use crate::providers::translate::ObservingStream;
use crate::providers::upstream::bedrock;
use crate::providers::{auth, upstream_error, usage, UpstreamRequest};
use crate::runtime::config::Config;
use crate::runtime::http::{self, ErrorShape, UpstreamResponse};
use crate::runtime::now_ms;
use crate::store::config as store;
use crate::runtime::client_request::ClientRequest;
use worker::{Context, Env, Response};

/// Gateway errors in the shape the provider's own SDK understands: by the
/// provider's wire format, so a workspace's own Anthropic-format provider
/// gets Anthropic-shaped errors too.
fn shape(kind: AdapterKind) -> ErrorShape {
    if kind == AdapterKind::Anthropic {
        ErrorShape::Anthropic
    } else {
        ErrorShape::OpenAi
    }
}

pub async fn handle_passthrough(req: ClientRequest, env: &Env, ctx: &Context, provider: String, path: String) -> Response {
    let cfg = Config::from_env(env);
    let endpoint = Endpoint::Passthrough { provider: provider.clone(), path: path.clone() };
    let mut rc = intake(&req, env, endpoint);
    let kind = catalog().provider(&provider).map_or(AdapterKind::Openai, |p| p.adapter);
    match run(&req, env, &cfg, &mut rc, &provider, &path).await {
        Ok(sent) => respond(sent, rc, env, ctx).await,
        Err(e) => fail(rc, e, env, ctx, shape(kind)),
    }
}

/// What was sent, and what stage 6 needs to answer it.
struct Sent {
    upstream: UpstreamResponse,
    kind: AdapterKind,
    model: Option<ModelSpec>,
    /// The gateway asked for a usage chunk the client did not.
    strip_usage_chunk: bool,
    /// The workspace's credential, scrubbed from any error that quotes it.
    secret: Option<String>,
}

/// Headers that pick which provider organisation or project pays: only
/// the provider key's own settings (`config.organization`,
/// `config.project`) choose them, never the client.
const ACCOUNT_HEADERS: &[(&str, &str)] = &[("openai-organization", "organization"), ("openai-project", "project")];

fn refuse_path(why: &str) -> GatewayError {
    GatewayError::invalid_request(ErrorCode::InvalidPath, format!("This path cannot be forwarded: it contains {why}."))
}

async fn run(
    req: &ClientRequest,
    env: &Env,
    cfg: &Config,
    rc: &mut RequestContext,
    provider_id: &str,
    path: &str,
) -> GatewayResult<Sent> {
    let headers = &req.headers;
    // The request URL's query, split from the virtual key it may carry.
    let (query, query_key) = native_paths::split_query(&req.query);
    let principal = authenticate::authenticate(req, env, cfg, rc, query_key.as_deref()).await?;
    // The provider's own API is forwarded as it is: no template is rendered into it.
    super::prompt::requested(headers, &rc.endpoint)?;
    let workspace = store::workspace_config(env, cfg, &principal.workspace_id, rc.started_ms).await?;
    let spec: &ProviderSpec = workspace
        .custom_providers
        .iter()
        .find(|p| p.id == provider_id)
        .or_else(|| catalog().provider(provider_id))
        .ok_or_else(|| GatewayError::not_found(ErrorCode::UnknownProvider, format!("No provider '{provider_id}'.")))?;
    let policy = workspace.effective_policy(&principal);
    policy.check_headers(headers)?;
    rc.archive = ArchivePlan::new(cfg.archive, policy.archive_bodies(), headers);
    let guards = policy.guardrails(headers)?;
    let method = method_name(req);
    let call = native_paths::classify(spec, method, path).map_err(|u| refuse_path(u.0))?;
    rc.provider = Some(spec.id.clone());
    // Only generation is estimated when it reports no usage (listings, account
    // calls, embeddings and images are not billed by tokens they could hide).
    rc.bills_tokens = matches!(call, NativeCall::Generate { .. });
    if call.is_account() && !policy.may_use_account_api() {
        // Refused before anything is read or sent: nothing reaches the provider account.
        return Err(GatewayError::forbidden(
            ErrorCode::ProviderAccountApiNotAllowed,
            format!(
                "{method} {path} is an account API of provider '{}', not inference; this key may not use it ({}).",
                spec.id,
                policy.account_api_rule()
            ),
        ));
    }
    let mut body = if matches!(method, "GET" | "HEAD") { Vec::new() } else { req.read_body(cfg.max_body_bytes).await? };
    let mut strip_usage_chunk = false;
    let mut max_tokens = None;
    // The inference body as parsed once: its model and stream flag are read from it.
    let mut parsed: Option<JsonObject> = None;
    // Image parts are counted once, for the input size limit and the estimate.
    let images = estimate::image_parts(&body);
    if !body.is_empty() && !call.is_account() {
        // Inference bodies are JSON the gateway decides on: read them as strictly as /v1.
        let mut object = super::body::parse_object(&body)?;
        super::body::check_repeated(&object, NATIVE_CONTAINERS)?;
        // The same guardrails as /v1: the provider sees only the guarded text.
        let mut rewritten = super::guard::guard_request(rc, guards, &mut object, body.len(), images)?;
        if let NativeCall::Generate { openai_stream_usage } = call {
            let capped = super::body::cap_tokens(rc, &policy, &mut object, token_cap::native_site(spec.adapter, path))?;
            max_tokens = capped.effective;
            rewritten |= capped.rewritten;
            if openai_stream_usage && openai_request::wants_stream(&object)? {
                // Every stream is costed: ask for its usage chunk, and hide it when the client did not.
                strip_usage_chunk = openai_request::request_stream_usage(&mut object)?;
                rewritten |= strip_usage_chunk;
            }
        }
        if rewritten {
            body = object.to_vec();
        }
        super::moderate::input(env, rc, &workspace, &object).await?;
        parsed = Some(object);
    }
    if rc.archive.request {
        rc.request_body = Some(body.clone());
    }
    let adapter = adapter_for(spec.adapter);
    let model = match (adapter, &parsed) {
        (Some(a), _) => a.passthrough_model(path, &body),
        (None, Some(object)) => object.get_as::<String>("model").ok().flatten(),
        (None, None) => model_in_body(&body),
    };
    if let Some(m) = &model {
        super::body::check_model_name(m)?;
    }
    rc.model = model.clone();
    rc.requested_model = model.clone();
    let body_stream = match &parsed {
        Some(object) => object.get_as::<bool>("stream").ok().flatten().unwrap_or(false),
        None => body_wants_stream(&body),
    };
    rc.stream = body_stream || path.contains("stream");
    match &model {
        Some(m) => policy.check_model(&spec.id, m)?,
        None => policy.check_provider(&spec.id)?,
    }
    let credential = workspace.credential_for(&spec.id);
    if credential.is_none() && spec.needs_key() {
        return Err(GatewayError::invalid_request(
            ErrorCode::ProviderNotConfigured,
            format!("This workspace has no key for provider '{}'.", spec.id),
        ));
    }
    let model_spec = model.as_deref().and_then(|m| spec.model(m)).cloned();
    let est = estimate::estimate(body.len(), images, max_tokens, &model_spec.iter().collect::<Vec<_>>());
    // Only calls that are billed per request can be unpriced.
    let billed = matches!(call, NativeCall::Generate { .. } | NativeCall::Other);
    let unpriced = (billed && !model_spec.as_ref().is_some_and(ModelSpec::is_priced))
        .then(|| format!("{}/{}", spec.id, model.as_deref().unwrap_or("?")));
    super::govern::govern(env, rc, &principal, &policy, &workspace, headers, &est, unpriced.as_deref()).await?;

    let target = crate::store::records::target(spec, model.as_deref().unwrap_or(""), credential, now_ms());
    let base = target.base_url;
    let mut upstream = UpstreamRequest {
        method,
        url: format!("{}{}{}", spec.passthrough_root(base), path, query),
        headers: headers
            .iter()
            .filter(|(k, _)| forward_on_passthrough(k) && !ACCOUNT_HEADERS.iter().any(|(h, _)| k.eq_ignore_ascii_case(h)))
            .cloned()
            .collect(),
        body: (!body.is_empty()).then_some(body),
    };
    for (header, setting) in ACCOUNT_HEADERS {
        if let Some(v) = target.setting(setting) {
            upstream.headers.push((header.to_string(), v.to_string()));
        }
    }
    for (k, v) in &spec.default_headers {
        if upstream.header(k).is_none() {
            upstream.headers.push((k.clone(), v.clone()));
        }
    }
    if spec.auth == AuthScheme::Sigv4 {
        // AWS signs the whole request, so the URL must be final first.
        let (region, base) = bedrock::endpoint::region_and_base(&target)?;
        upstream.url = format!("{}{}{}", spec.passthrough_root(&base), path, query);
        let creds = bedrock::endpoint::credentials(target.secret, &spec.id)?;
        bedrock::endpoint::sign(&mut upstream, &creds, &region, target.now_ms);
    } else {
        auth::apply(spec.auth, target.secret, &mut upstream);
    }
    let response = send_raw(rc, &target, &upstream, cfg.upstream_timeout_ms).await?;
    let secret = target.secret.map(str::to_string);
    Ok(Sent { upstream: response, kind: spec.adapter, model: model_spec, strip_usage_chunk, secret })
}

/// Objects in native bodies that hold decision fields (Gemini's and Bedrock's
/// generation settings): each may appear once.
const NATIVE_CONTAINERS: &[&str] = &["generationConfig", "generation_config", "inferenceConfig"];

fn method_name(req: &ClientRequest) -> &'static str {
    match req.method.as_str() {
        "GET" => "GET",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        _ => "POST",
    }
}

fn body_wants_stream(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct S {
        stream: Option<bool>,
    }
    serde_json::from_slice::<S>(body).ok().and_then(|s| s.stream).unwrap_or(false)
}

/// How an error is written into each provider's native stream.
fn native_error_event(kind: AdapterKind) -> fn(&GatewayError) -> Vec<u8> {
    match kind {
        AdapterKind::Anthropic => |e| sse::encode(Some("error"), &e.to_anthropic_json()),
        AdapterKind::Bedrock => |_| Vec::new(), // binary framing: the stream just ends
        _ => |e| sse::encode(None, &e.to_openai_json()),
    }
}

async fn respond(sent: Sent, mut rc: RequestContext, env: &Env, ctx: &Context) -> Response {
    let Sent { upstream, kind, model, strip_usage_chunk, secret } = sent;
    let status = upstream.status();
    let content_type = upstream.header("content-type").unwrap_or_else(|| "application/json".into());
    if status == 401 || status == 403 {
        // About the workspace's credential, not the caller: the provider's
        // body (key hints, organisation ids) is replaced by the gateway's own.
        let bytes = upstream.bytes().await.map(|(_, copy)| copy).unwrap_or_default();
        let provider = rc.provider.clone().unwrap_or_default();
        let e = upstream_error::normalize(status, &bytes, &provider, secret.as_deref());
        return fail(rc, e, env, ctx, shape(kind));
    }
    if !(200..300).contains(&status) {
        // The provider's own error, untouched: its SDK knows that shape.
        let (body, bytes) = upstream.bytes().await.unwrap_or_else(|_| (js_sys::Uint8Array::new_with_length(0), Vec::new()));
        let provider = rc.provider.clone().unwrap_or_default();
        let e = upstream_error::normalize(status, &bytes, &provider, secret.as_deref());
        rc.fail(&e, now_ms());
        let headers = gateway_headers(&rc, &content_type);
        if let Some(ra) = upstream.header("retry-after") {
            let _ = headers.set("retry-after", &ra);
        }
        settle::schedule(ctx, env, rc);
        let init = web_sys::ResponseInit::new();
        init.set_status(status);
        init.set_headers(&headers.0);
        return match web_sys::Response::new_with_opt_buffer_source_and_init(Some(&body), &init) {
            Ok(r) => Response::from(r),
            Err(_) => http::error(&e, None, shape(kind)),
        };
    }
    let streaming = content_type.contains("event-stream") || content_type.contains("eventstream");
    if streaming {
        rc.stream = true;
        let observer: Box<dyn StreamTransform> = match adapter_for(kind) {
            Some(a) => Box::new(ObservingStream::new(a.stream_decoder(), native_error_event(kind))),
            None => Box::new(StreamObserver::new(strip_usage_chunk)),
        };
        return stream_answer(upstream, rc, observer, None, model, &content_type, env, ctx);
    }
    let convert: JsonConversion = match adapter_for(kind) {
        Some(a) => Box::new(move |bytes: &[u8]| Ok((None, a.parse_chat(bytes).ok().and_then(|r| r.usage)))),
        None => Box::new(|bytes: &[u8]| Ok((None, usage::from_openai_body(bytes)))),
    };
    json_answer(upstream, rc, model, convert, env, ctx).await
}
