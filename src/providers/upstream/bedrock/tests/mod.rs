//! Fixture-driven tests of the Bedrock adapter (fixtures in
//! `tests/fixtures/bedrock/`: request pairs, Converse answers, streams as
//! one event per line, error bodies, event-stream framing vectors).

mod adapter;
mod request;
mod response;
mod stream;

use crate::catalog::catalog;
use crate::providers::Target;
use serde_json::Value;

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/bedrock/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

pub const SECRET: &str = "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub static NO_CONFIG: Value = Value::Null;

pub fn target<'a>(model_id: &'a str, config: &'a Value) -> Target<'a> {
    Target {
        provider: catalog().provider("bedrock").unwrap(),
        model_id,
        base_url: "https://bedrock-runtime.us-east-1.amazonaws.com",
        secret: Some(SECRET),
        config,
        now_ms: 1_715_938_215_000,
    }
}
