//! The adapter as the pipeline sees it: registration, URLs, signing,
//! pass-through model names, embeddings.

use super::{target, NO_CONFIG};
use crate::catalog::AdapterKind;
use crate::providers::adapter::adapter_for;
use crate::providers::model::embeddings::EmbeddingsRequest;
use crate::providers::model::{ChatRequest, ContentPart, Message, Role};
use serde_json::{json, Value};

fn hello(stream: bool) -> ChatRequest {
    ChatRequest {
        model: "anthropic.claude-3-haiku-20240307-v1:0".into(),
        messages: vec![Message { role: Role::User, content: vec![ContentPart::Text("Hello".into())], tool_calls: vec![], tool_call_id: None }],
        stream,
        ..Default::default()
    }
}

fn body(req: &crate::providers::UpstreamRequest) -> Value {
    serde_json::from_slice(req.body.as_ref().unwrap()).unwrap()
}

#[test]
fn registered_and_signed() {
    let a = adapter_for(AdapterKind::Bedrock).expect("bedrock adapter registered");
    let t = target("anthropic.claude-3-haiku-20240307-v1:0", &NO_CONFIG);
    let r = a.build_chat(&hello(false), &t).unwrap();
    assert_eq!(r.method, "POST");
    assert_eq!(r.url, "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse");
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("authorization").unwrap().starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240517/us-east-1/bedrock/aws4_request"));
    assert_eq!(body(&r), json!({"messages": [{"role": "user", "content": [{"text": "Hello"}]}]}));

    let s = a.build_chat(&hello(true), &t).unwrap();
    assert!(s.url.ends_with("/converse-stream"));
    assert_eq!(s.header("accept"), Some("application/vnd.amazon.eventstream"));
}

#[test]
fn region_setting_moves_the_endpoint() {
    let cfg = json!({"region": "eu-central-1"});
    let t = target("amazon.nova-lite-v1:0", &cfg);
    let r = adapter_for(AdapterKind::Bedrock).unwrap().build_chat(&hello(false), &t).unwrap();
    assert_eq!(r.url, "https://bedrock-runtime.eu-central-1.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse");
    assert!(r.header("authorization").unwrap().contains("/eu-central-1/bedrock/aws4_request"));
}

#[test]
fn missing_credential_is_reported_without_leaking() {
    let mut t = target("amazon.nova-lite-v1:0", &NO_CONFIG);
    t.secret = Some("only-one-part");
    let e = adapter_for(AdapterKind::Bedrock).unwrap().build_chat(&hello(false), &t).unwrap_err();
    assert_eq!(e.code, "provider_credential_invalid");
    assert!(!e.message.contains("only-one-part"));
}

#[test]
fn passthrough_model_from_the_path() {
    let a = adapter_for(AdapterKind::Bedrock).unwrap();
    assert_eq!(
        a.passthrough_model("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream", b"{}").as_deref(),
        Some("anthropic.claude-3-haiku-20240307-v1:0")
    );
    assert_eq!(a.passthrough_model("/model/us.amazon.nova-pro-v1:0/invoke", b"").as_deref(), Some("us.amazon.nova-pro-v1:0"));
    assert_eq!(a.passthrough_model("/other", br#"{"model":"m"}"#).as_deref(), Some("m"));
}

fn embed_req(inputs: &[&str], dimensions: Option<u32>) -> EmbeddingsRequest {
    EmbeddingsRequest { model: String::new(), inputs: inputs.iter().map(|s| s.to_string()).collect(), dimensions, ..Default::default() }
}

#[test]
fn titan_embeddings_one_request_per_input() {
    let a = adapter_for(AdapterKind::Bedrock).unwrap();
    let t = target("amazon.titan-embed-text-v2:0", &NO_CONFIG);
    let req = embed_req(&["first text", "second"], Some(256));
    let built = a.build_embeddings(&req, &t).unwrap();
    assert_eq!(built.len(), 2);
    assert!(built[0].url.ends_with("/model/amazon.titan-embed-text-v2%3A0/invoke"));
    assert!(built.iter().all(|r| r.header("authorization").is_some()));
    assert_eq!(body(&built[1]), json!({"inputText": "second", "dimensions": 256, "normalize": true}));

    let v1 = target("amazon.titan-embed-text-v1", &NO_CONFIG);
    assert_eq!(body(&a.build_embeddings(&req, &v1).unwrap()[0]), json!({"inputText": "first text"}));

    let answers = vec![
        br#"{"embedding":[0.1,0.2],"embeddingsByType":{"float":[0.1,0.2]},"inputTextTokenCount":3}"#.to_vec(),
        br#"{"embedding":[0.3,0.4],"inputTextTokenCount":2}"#.to_vec(),
    ];
    let r = a.parse_embeddings(&answers, &req).unwrap();
    assert_eq!(r.vectors, vec![vec![0.1, 0.2], vec![0.3, 0.4]]);
    assert_eq!(r.usage.prompt_tokens, 5);
    assert!(a.parse_embeddings(&answers[..1], &req).is_err(), "one vector for two inputs");
    assert!(a.parse_embeddings(&[b"{}".to_vec(), b"{}".to_vec()], &req).is_err());
}

#[test]
fn cohere_embeddings_in_batches() {
    let a = adapter_for(AdapterKind::Bedrock).unwrap();
    let t = target("cohere.embed-english-v3", &NO_CONFIG);
    let texts: Vec<String> = (0..100).map(|i| format!("text {i}")).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let req = embed_req(&refs, None);
    let built = a.build_embeddings(&req, &t).unwrap();
    assert_eq!(built.len(), 2, "96 texts a request");
    let b0 = body(&built[0]);
    assert_eq!(b0["texts"].as_array().unwrap().len(), 96);
    assert_eq!(b0["input_type"], "search_document");

    let small = embed_req(&["a b c d", "e"], None);
    let r = a.parse_embeddings(&[br#"{"id":"x","embeddings":[[1.0],[2.0]],"response_type":"embeddings_floats","texts":["a b c d","e"]}"#.to_vec()], &small).unwrap();
    assert_eq!(r.vectors, vec![vec![1.0], vec![2.0]]);
    assert_eq!(r.usage.prompt_tokens, 3, "estimated: about four characters a token");

    let v4 = target("cohere.embed-v4:0", &NO_CONFIG);
    let b = body(&a.build_embeddings(&embed_req(&["x"], Some(512)), &v4).unwrap()[0]);
    assert_eq!(b, json!({"texts": ["x"], "input_type": "search_document", "embedding_types": ["float"], "output_dimension": 512}));
    let r = a.parse_embeddings(&[br#"{"embeddings":{"float":[[0.5,0.5]]},"response_type":"embeddings_by_type"}"#.to_vec()], &embed_req(&["x"], None)).unwrap();
    assert_eq!(r.vectors, vec![vec![0.5, 0.5]]);
}
