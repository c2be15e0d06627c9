//! OpenAI chat requests → Converse bodies.

use super::fixture_json;
use crate::providers::upstream::bedrock::request::{converse_request, JSON_OBJECT_INSTRUCTION};
use crate::providers::model::{ChatRequest, ContentPart, Message, Role};
use crate::providers::client::chat::request::parse;
use serde_json::{json, Value};

fn chat(openai: &Value) -> ChatRequest {
    parse(openai, "anthropic.claude-3-5-sonnet-20240620-v1:0").unwrap()
}

fn converse(openai: &Value) -> Value {
    serde_json::to_value(converse_request(&chat(openai)).unwrap()).unwrap()
}

fn check_pair(name: &str) {
    let f = fixture_json(name);
    assert_eq!(converse(&f["openai"]), f["bedrock"], "{name}");
}

#[test]
fn system_multi_turn_and_parameters() {
    check_pair("request_basic.json");
}

#[test]
fn tools_images_parallel_calls_and_merged_tool_results() {
    check_pair("request_tools.json");
}

#[test]
fn json_schema_becomes_output_config() {
    check_pair("request_json_schema.json");
}

#[test]
fn json_object_adds_an_instruction() {
    let v = converse(&json!({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        "response_format": {"type": "json_object"}}));
    assert_eq!(v["system"], json!([{"text": "Be brief."}, {"text": JSON_OBJECT_INSTRUCTION}]));
    assert!(v.get("outputConfig").is_none());
}

fn with_tools(choice: Value, history: bool) -> Value {
    let mut messages = vec![json!({"role": "user", "content": "weather in Paris?"})];
    if history {
        messages.push(json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "lookup", "arguments": ""}}]}));
        messages.push(json!({"role": "tool", "tool_call_id": "t1", "content": "sunny"}));
    }
    converse(&json!({"messages": messages, "tool_choice": choice,
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]}))
}

#[test]
fn tool_choice_mapping() {
    assert_eq!(with_tools(json!("auto"), false)["toolConfig"]["toolChoice"], json!({"auto": {}}));
    assert_eq!(with_tools(json!("required"), false)["toolConfig"]["toolChoice"], json!({"any": {}}));
    assert_eq!(
        with_tools(json!({"type": "function", "function": {"name": "get_weather"}}), false)["toolConfig"]["toolChoice"],
        json!({"tool": {"name": "get_weather"}})
    );
    assert!(with_tools(Value::Null, false)["toolConfig"].get("toolChoice").is_none());
    // Converse has no "none": the tools are left out…
    assert!(with_tools(json!("none"), false).get("toolConfig").is_none());
    // …unless the history holds tool blocks, which need a toolConfig.
    let v = with_tools(json!("none"), true);
    assert!(v["toolConfig"].get("toolChoice").is_none());
    let names: Vec<&str> = v["toolConfig"]["tools"].as_array().unwrap().iter().map(|t| t["toolSpec"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["get_weather", "lookup"], "a tool called earlier but no longer offered is declared");
    assert_eq!(v["messages"][1]["content"][0]["toolUse"]["input"], json!({}), "empty arguments are an empty object");
}

#[test]
fn tool_history_without_offered_tools_still_declares_them() {
    let v = converse(&json!({"messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": [{"id": "a", "type": "function", "function": {"name": "search", "arguments": "{\"q\":\"x\"}"}}]},
        {"role": "tool", "tool_call_id": "a", "content": "found"}
    ]}));
    assert_eq!(v["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"], json!({"type": "object", "properties": {}}));
    assert_eq!(v["messages"][2]["content"][0]["toolResult"]["toolUseId"], "a");
}

#[test]
fn same_role_turns_merge_and_blank_text_is_dropped() {
    let v = converse(&json!({"messages": [
        {"role": "user", "content": "one"},
        {"role": "user", "content": ""},
        {"role": "user", "content": [{"type": "text", "text": "two"}]},
        {"role": "assistant", "content": "   "},
        {"role": "assistant", "content": "three"}
    ]}));
    assert_eq!(v["messages"], json!([
        {"role": "user", "content": [{"text": "one"}, {"text": "two"}]},
        {"role": "assistant", "content": [{"text": "three"}]}
    ]));
    assert!(v.get("system").is_none() && v.get("inferenceConfig").is_none() && v.get("toolConfig").is_none());
}

#[test]
fn images_must_be_inline_and_of_a_known_format() {
    let url = json!({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]});
    let e = converse_request(&chat(&url)).unwrap_err();
    assert_eq!(e.status, 400);
    assert!(e.message.contains("URL"), "{}", e.message);

    let tiff = json!({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/tiff;base64,AAAA"}}]}]});
    assert!(converse_request(&chat(&tiff)).unwrap_err().message.contains("image/tiff"));

    let jpeg = json!({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}}]}]});
    assert_eq!(converse(&jpeg)["messages"][0]["content"][0], json!({"image": {"format": "jpeg", "source": {"bytes": "/9j/4AAQ"}}}));
}

#[test]
fn broken_history_is_a_client_error() {
    let bad_args = json!({"messages": [{"role": "user", "content": "x"},
        {"role": "assistant", "tool_calls": [{"id": "a", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]}]});
    assert_eq!(converse_request(&chat(&bad_args)).unwrap_err().status, 400);
    let no_id = ChatRequest {
        messages: vec![Message { role: Role::Tool, content: vec![ContentPart::Text("r".into())], tool_calls: vec![], tool_call_id: None }],
        ..Default::default()
    };
    assert!(converse_request(&no_id).unwrap_err().message.contains("tool_call_id"));
}
