#![allow(clippy::unwrap_used)] // a benchmark: fixed inputs, a panic is the right failure
//! CPU cost of the pure request pipeline, natively: what the worker does per
//! request besides waiting on I/O. Run with `cargo bench --bench pipeline`
//! (scripts/bench.sh does). Wasm in workerd is slower than native by a
//! small factor; these numbers are for spotting regressions and hot spots.

use alephant_gateway::governance::token_cap;
use alephant_gateway::core::endpoint::Endpoint;
use alephant_gateway::auth::principal::Principal;
use alephant_gateway::catalog::{self, catalog};
use alephant_gateway::pipeline::context::{ClientMeta, RequestContext};
use alephant_gateway::pipeline::{body, resolve};
use alephant_gateway::providers::upstream::openai_compat::request;
use alephant_gateway::providers::upstream::openai_compat::stream::StreamObserver;
use alephant_gateway::providers::{usage, Target};
use alephant_gateway::store::records::{ProviderCredential, WorkspaceConfig};
use std::hint::black_box;
use std::time::Instant;

fn bench(name: &str, mut f: impl FnMut()) -> f64 {
    for _ in 0..200 {
        f();
    }
    let mut iters = 1_000u32;
    loop {
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        let elapsed = t.elapsed();
        if elapsed.as_millis() >= 200 {
            let ns = elapsed.as_nanos() as f64 / iters as f64;
            println!("{name:<44} {:>9.2} µs", ns / 1000.0);
            return ns;
        }
        iters *= 4;
    }
}

fn main() {
    let messages = serde_json::json!([
        {"role": "system", "content": "You are a helpful assistant. ".repeat(12)},
        {"role": "user", "content": "Summarise the benefits of an AI gateway for platform teams. ".repeat(10)}
    ]);
    let req = serde_json::to_vec(&serde_json::json!({"model": "gpt-4o-mini", "messages": messages, "temperature": 0.2, "stream": true}))
        .unwrap();
    let principal = Principal {
        key_id: "vk_1".into(),
        workspace_id: "ws_1".into(),
        key_name: "bench".into(),
        agent_id: None,
        department: None,
        allowed_models: Some(vec!["gpt-4o*".into()]),
        allowed_providers: None,
        rate_limit: None,
        policy: serde_json::json!({}),
        expires_at: None,
        revoked_at: None,
    };
    let ws = WorkspaceConfig {
        workspace_id: "ws_1".into(),
        credentials: vec![ProviderCredential {
            id: "pk_1".into(),
            provider: "openai".into(),
            name: String::new(),
            secret: Some("sk-bench".into()),
            base_url: Some("http://127.0.0.1:9/v1".into()),
            config: serde_json::json!({}),
        }],
        custom_providers: vec![],
        policies: vec![],
        budgets: vec![],
        cache_generation: 0,
    };
    let response = br#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Mock answer to: Summarise the benefits of an AI gateway"},"finish_reason":"stop"}],"usage":{"prompt_tokens":160,"completion_tokens":14,"total_tokens":174,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}"#;
    let mut stream = String::new();
    for i in 0..10 {
        stream.push_str(&format!(
            "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"word{i} \"}},\"finish_reason\":null}}]}}\n\n"
        ));
    }
    stream.push_str("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    stream.push_str("data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":160,\"completion_tokens\":14}}\n\ndata: [DONE]\n\n");

    println!("per request (native, {}):", std::env::consts::ARCH);
    let mut total = 0.0;
    total += bench("parse body (1 KB chat request)", || {
        black_box(body::parse(black_box(&req)).unwrap());
    });
    let policy = alephant_gateway::governance::scope_policy::EffectivePolicy::of_key(&principal);
    let parsed = body::parse(&req).unwrap();
    let capped = Principal { policy: serde_json::json!({"max_tokens": 512}), ..principal.clone() };
    let cap_policy = alephant_gateway::governance::scope_policy::EffectivePolicy::of_key(&capped);
    total += bench("request checks: shape, max_tokens cap", || {
        let mut o = parsed.object.clone();
        body::check_shape(&Endpoint::ChatCompletions, &o, false).unwrap();
        let cap = cap_policy.max_tokens().map(|(c, _)| c);
        black_box(token_cap::apply(&mut o, &token_cap::Site::top("max_tokens"), cap).unwrap());
    });
    total += bench("resolve model, policy, credential", || {
        black_box(resolve::select(catalog(), &ws, &policy, &Endpoint::ChatCompletions, &parsed.model).unwrap());
    });
    let selected = resolve::select(catalog(), &ws, &policy, &Endpoint::ChatCompletions, &parsed.model).unwrap();
    let target = selected.target(0);
    total += bench("build upstream request", || {
        let b = body::parse(&req).unwrap().object;
        black_box(request::build(&Endpoint::ChatCompletions, b, &target, &[]).unwrap());
    });
    bench("  (of which: re-parse for the build step)", || {
        black_box(body::parse(&req).unwrap());
    });
    total += bench("usage from a JSON answer", || {
        black_box(usage::from_openai_body(black_box(response)));
    });
    total += bench("observe a 12-event stream, strip usage", || {
        let mut o = StreamObserver::new(true);
        for chunk in stream.as_bytes().chunks(180) {
            black_box(o.push(chunk));
        }
        black_box(o.finish());
    });
    total += bench("log record + row values + queue JSON", || {
        let mut rc = RequestContext::new("id".into(), 1, Endpoint::ChatCompletions, ClientMeta::default());
        rc.workspace_id = Some("ws_1".into());
        rc.provider = Some("openai".into());
        rc.model = Some("gpt-4o-mini".into());
        rc.status = 200;
        let r = rc.to_log_record().unwrap();
        black_box(serde_json::to_string(&r).unwrap());
        black_box(r.values());
    });
    println!("{:<44} {:>9.2} µs  (the build step re-parses; the worker parses once)", "hot path total", total / 1000.0);
    println!("cache (requests with the cache on):");
    let scope = alephant_gateway::cache::key::KeyScope {
        workspace_id: "ws_1",
        generation: 0,
        endpoint: "chat",
        target: "openai/gpt-4o-mini",
        seed: None,
    };
    bench("  exact key: canonical body + SHA-256", || {
        let v = parsed.object.to_value().unwrap();
        let serde_json::Value::Object(m) = v else { unreachable!() };
        black_box(alephant_gateway::cache::key::exact_key(&scope, &alephant_gateway::cache::key::canonical_body(&m)));
    });
    let stored = alephant_gateway::cache::entry::StoredAnswer {
        body: alephant_gateway::cache::entry::StoredBody::Json { body: String::from_utf8_lossy(response).into_owned() },
        usage: None,
        cost_nanos: 1,
        provider: None,
        model: None,
        request_id: "r".into(),
        created_ms: 0,
        expires_ms: u64::MAX,
    };
    let bucket = alephant_gateway::cache::entry::Bucket { answers: vec![stored] }.encode();
    bench("  hit: parse bucket, pick, serve as a stream", || {
        let b = alephant_gateway::cache::entry::Bucket::parse(black_box(&bucket)).unwrap();
        let alephant_gateway::cache::entry::Pick::Hit { answer, .. } = b.pick(1, 0, 0.5) else { unreachable!() };
        black_box(alephant_gateway::cache::serve::serve(answer, alephant_gateway::cache::serve::Wanted::for_endpoint("chat", true, true)));
    });
    translation();
    guardrails();
    bench("catalog parse (once per isolate)", || {
        black_box(catalog::Catalog::from_json(catalog::BUNDLE).unwrap());
    });
}

/// The translation path agent clients take: a Codex-sized Responses request
/// to an Anthropic model, and an Anthropic tool-use stream encoded back as
/// Responses events or as Anthropic Messages events (Claude Code on another
/// model goes through the same encoders).
fn translation() {
    use alephant_gateway::providers::adapter::ChatAdapter;
    use alephant_gateway::providers::upstream::anthropic::Anthropic;
    use alephant_gateway::providers::client::{self as client_format, ClientFormat};
    use alephant_gateway::providers::stream_transform::StreamTransform;
    use alephant_gateway::providers::translate::TranslatingStream;

    println!("translation (Responses / Messages clients on another provider's model):");
    // Codex sends ~10 tools with full JSON schemas and a long system prompt.
    let tools: Vec<serde_json::Value> = (0..10)
        .map(|i| serde_json::json!({"type": "function", "name": format!("tool_{i}"), "description": "Does one thing well. ".repeat(8),
            "parameters": {"type": "object", "properties": {"cmd": {"type": "string", "description": "What to run"}, "timeout_ms": {"type": "number"}}, "required": ["cmd"]}}))
        .collect();
    let body = serde_json::json!({"model": "anthropic/claude-haiku-4-5", "instructions": "You are a coding agent. ".repeat(200),
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Fix the failing test. ".repeat(20)}]},
                  {"type": "function_call", "call_id": "c1", "name": "tool_0", "arguments": "{\"cmd\":\"cargo test\"}"},
                  {"type": "function_call_output", "call_id": "c1", "output": "test result: FAILED. ".repeat(40)}],
        "tools": tools, "stream": true, "store": false, "include": ["reasoning.encrypted_content"]});
    let provider = catalog().provider("anthropic").unwrap();
    let config = serde_json::Value::Null;
    let target = Target { provider, model_id: "claude-haiku-4-5", base_url: "https://api.anthropic.com", secret: Some("sk"), config: &config, now_ms: 0 };
    println!("  (request: {} KB)", serde_json::to_vec(&body).unwrap().len() / 1024);
    bench("  Responses request → Anthropic request", || {
        let (chat, _) = client_format::parse(&Endpoint::Responses, black_box(&body), "claude-haiku-4-5").unwrap();
        black_box(Anthropic.build_chat(&chat, &target).unwrap());
    });
    let stream = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/anthropic/stream_tool_use.sse")).unwrap();
    let (_, responses) = client_format::parse(&Endpoint::Responses, &body, "claude-haiku-4-5").unwrap();
    let messages = serde_json::json!({"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]});
    let (_, messages) = client_format::parse(&Endpoint::Messages, &messages, "m").unwrap();
    for (name, format) in [("  Anthropic stream → Responses events", responses), ("  Anthropic stream → Messages events", messages)] {
        bench(name, || {
            let format: ClientFormat = format.clone();
            let mut t = TranslatingStream::new(Anthropic.stream_decoder(), format.encoder("r1", "m", 0));
            for c in stream.chunks(64) {
                black_box(t.push(c));
            }
            black_box(t.finish());
        });
    }
}

/// Guardrails: the cost per KB of text scanned with every detector on, on
/// prose with a few findings; and a whole guarded request and answer.
fn guardrails() {
    use alephant_gateway::guardrails::config::{Direction, GuardPolicy, GuardrailsConfig};
    use alephant_gateway::guardrails::findings::Findings;
    use alephant_gateway::guardrails::scan;
    use alephant_gateway::guardrails::vault::Vault;
    use alephant_gateway::pipeline::guard::Guard;

    println!("guardrails (all seven detectors; a workspace rule and a deny-word list where named):");
    let config = |v: serde_json::Value| -> GuardrailsConfig { serde_json::from_value(v).unwrap() };
    let detectors = serde_json::json!({"email": {"input": "tokenize", "output": "redact"}, "phone": {"input": "tokenize"},
        "card": {"input": "redact"}, "iban": {"input": "redact"}, "ssn": {"input": "redact"}, "ip": {"input": "log"},
        "secret": {"input": "redact", "output": "redact"}});
    let all = config(serde_json::json!({"detectors": detectors}));
    let with_words = config(serde_json::json!({"detectors": detectors,
        "deny_words": [{"id": "rivals", "words": ["acme", "globex", "initech", "umbrella corp"], "input": "block"}]}));
    let with_regex = config(serde_json::json!({"detectors": detectors,
        "rules": [{"id": "codename", "pattern": "(?i)project\\s+falcon", "input": "redact"}]}));
    let policy = |c: &GuardrailsConfig| GuardPolicy::merge([("ws".to_string(), c)].into_iter(), &[]).unwrap();
    let (builtin, words, regex) = (policy(&all), policy(&with_words), policy(&with_regex));
    // Support-ticket prose: numbers, dates, versions, code — and a few real findings per KB.
    let paragraph = "Customer 18273 wrote on 2026-11-20 at 14:05 about order #99812 (v2.4.1): the export to \
        s3://bucket/path failed with error 0x80070005 after 3 retries; total 1,234.50 EUR. Contact alice@example.com \
        or +1 (415) 555-0100. Server 10.0.12.7 logs show std::io::Error; see ticket ABC-1234. ";
    let text = paragraph.repeat(64 * 1024 / paragraph.len() + 1);
    let kb = text.len() as f64 / 1024.0;
    println!("  (log-like text: ~11 findings and ~130 digit runs, capitals and colons per KB)");
    for (name, p) in [("built-in detectors", &builtin), ("+ a deny-word list", &words), ("+ a regex rule", &regex)] {
        let ns = bench(&format!("  scan {kb:.0} KB, {name}"), || {
            let (mut v, mut f) = (Vault::default(), Findings::default());
            black_box(scan::scan(black_box(&text), &p.input, Direction::Input, &mut v, &mut f).unwrap());
        });
        println!("{:<44} {:>9.2} µs/KB", "    per KB", ns / 1000.0 / kb);
    }
    let ns = bench(&format!("  find only (no action applied), {kb:.0} KB"), || {
        black_box(scan::matches(black_box(&text), &builtin.input));
    });
    println!("{:<44} {:>9.2} µs/KB", "    per KB", ns / 1000.0 / kb);
    let clean = "The quick brown fox jumps over the lazy dog while the gateway routes requests. ".repeat(64 * 1024 / 80 + 1);
    let ns = bench("  scan 64 KB of plain prose, built-in", || {
        let (mut v, mut f) = (Vault::default(), Findings::default());
        black_box(scan::scan(black_box(&clean), &builtin.input, Direction::Input, &mut v, &mut f).unwrap());
    });
    println!("{:<44} {:>9.2} µs/KB", "    per KB", ns / 1000.0 / (clean.len() as f64 / 1024.0));
    let req = serde_json::to_vec(&serde_json::json!({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": "You are a helpful assistant. ".repeat(12)},
        {"role": "user", "content": paragraph.repeat(4)}]})).unwrap();
    println!("  (request: {} bytes)", req.len());
    bench("  guard a chat request (parse, scan, rewrite)", || {
        let mut o = body::parse(black_box(&req)).unwrap().object;
        let mut g = Guard::new(builtin.clone());
        black_box(g.request(&mut o, req.len(), 0).unwrap());
        black_box(o.to_vec());
    });
}
