use super::*;
use crate::catalog::catalog;
use crate::providers::model::Tool;
use crate::core::usage::Usage;

fn target(provider: &str) -> Target<'static> {
    static CONFIG: Value = Value::Null;
    Target {
        provider: catalog().provider(provider).unwrap(),
        model_id: "m-1",
        base_url: "http://127.0.0.1:9/v1",
        secret: Some("sk-up"),
        config: &CONFIG,
        now_ms: 0,
    }
}

fn conversation() -> ChatRequest {
    ChatRequest {
        model: "m-1".into(),
        system: vec!["be brief".into()],
        messages: vec![
            Message {
                role: Role::User,
                content: vec![
                    ContentPart::Text("what is here?".into()),
                    ContentPart::Image(ImageSource::Base64 { media_type: "image/png".into(), data: "AAA".into() }),
                ],
                tool_calls: vec![],
                tool_call_id: None,
            },
            Message {
                role: Role::Assistant,
                content: vec![],
                tool_calls: vec![ToolCall { id: "c1".into(), name: "look".into(), arguments: "{\"x\":1}".into() }],
                tool_call_id: None,
            },
            Message { role: Role::Tool, content: vec![ContentPart::Text("a cat".into())], tool_calls: vec![], tool_call_id: Some("c1".into()) },
        ],
        tools: vec![Tool { name: "look".into(), description: Some("looks".into()), parameters: json!({"type": "object"}) }],
        tool_choice: Some(ToolChoice::Function("look".into())),
        parallel_tool_calls: Some(false),
        max_tokens: Some(64),
        temperature: Some(0.5),
        stop: vec!["END".into()],
        stream: true,
        ..Default::default()
    }
}

#[test]
fn builds_an_openai_chat_request() {
    let req = OpenAiChat.build_chat(&conversation(), &target("groq")).unwrap();
    assert_eq!(req.url, "http://127.0.0.1:9/v1/chat/completions");
    assert_eq!(req.header("authorization"), Some("Bearer sk-up"));
    let b: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
    assert_eq!(b["model"], "m-1");
    assert_eq!(b["messages"][0], json!({"role": "system", "content": "be brief"}));
    assert_eq!(b["messages"][1]["content"][1]["image_url"]["url"], "data:image/png;base64,AAA");
    assert_eq!(b["messages"][2]["content"], Value::Null);
    assert_eq!(b["messages"][2]["tool_calls"][0]["function"]["arguments"], "{\"x\":1}");
    assert_eq!(b["messages"][3], json!({"role": "tool", "tool_call_id": "c1", "content": "a cat"}));
    assert_eq!(b["tools"][0]["function"]["description"], "looks");
    assert_eq!(b["tool_choice"]["function"]["name"], "look");
    assert_eq!(b["parallel_tool_calls"], false);
    assert_eq!(b["max_tokens"], 64);
    assert_eq!(b["stop"], json!(["END"]));
    assert_eq!(b["stream_options"]["include_usage"], true);
}

#[test]
fn openai_itself_gets_max_completion_tokens() {
    let req = OpenAiChat.build_chat(&conversation(), &target("openai")).unwrap();
    let b: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
    assert_eq!(b["max_completion_tokens"], 64);
    assert!(b.get("max_tokens").is_none());
}

#[test]
fn separate_text_blocks_stay_separate_paragraphs() {
    let mut req = conversation();
    req.messages[0].content = vec![
        ContentPart::Text("<system-reminder>\nDate: today\n</system-reminder>".into()),
        ContentPart::Text("echo hi".into()),
    ];
    let b: Value = serde_json::from_slice(OpenAiChat.build_chat(&req, &target("groq")).unwrap().body.as_ref().unwrap()).unwrap();
    assert_eq!(b["messages"][1]["content"], "<system-reminder>\nDate: today\n</system-reminder>\n\necho hi");
}

#[test]
fn parses_a_tool_call_answer() {
    let body = br#"{"id":"chatcmpl-1","model":"m-1","choices":[{"index":0,"message":{"role":"assistant","content":null,
        "reasoning_content":"hmm","tool_calls":[{"id":"call_9","type":"function","function":{"name":"look","arguments":"{\"x\":2}"}}]},
        "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14}}"#;
    let r = OpenAiChat.parse_chat(body).unwrap();
    assert_eq!(r.text, None);
    assert_eq!(r.reasoning.as_deref(), Some("hmm"));
    assert_eq!(r.tool_calls, vec![ToolCall { id: "call_9".into(), name: "look".into(), arguments: "{\"x\":2}".into() }]);
    assert_eq!(r.finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(r.usage.unwrap().completion_tokens, 4);
    assert_eq!(OpenAiChat.parse_chat(b"<html>").unwrap_err().status, 502);
}

const TOOL_STREAM: &str = concat!(
    "data: {\"id\":\"c1\",\"model\":\"m-1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Let me\"}}]}\n\n",
    ": keep-alive\n\n",
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"look\",\"arguments\":\"\"}}]}}]}\n\n",
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"x\\\"\"}}]}}]}\n\n",
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"function\":{\"name\":\"read\",\"arguments\":\"{}\"}}]}}]}\n\n",
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\":1}\"}}]}}]}\n\n",
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
    "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}\n\n",
    "data: [DONE]\n\n",
);

fn decode(stream: &str, size: usize) -> Vec<StreamEvent> {
    let mut d = OpenAiChat.stream_decoder();
    let mut events = Vec::new();
    for c in stream.as_bytes().chunks(size) {
        events.extend(d.push(c));
    }
    events.extend(d.finish());
    events
}

#[test]
fn stream_of_text_and_parallel_tool_calls() {
    let expected = vec![
        StreamEvent::Start { id: Some("c1".into()), model: Some("m-1".into()) },
        StreamEvent::TextDelta("Let me".into()),
        StreamEvent::ToolCallStart { index: 0, id: "call_a".into(), name: "look".into() },
        StreamEvent::ToolCallArgs { index: 0, delta: "{\"x\"".into() },
        StreamEvent::ToolCallStart { index: 1, id: "call_b".into(), name: "read".into() },
        StreamEvent::ToolCallArgs { index: 1, delta: "{}".into() },
        StreamEvent::ToolCallArgs { index: 0, delta: ":1}".into() },
        StreamEvent::Finish(FinishReason::ToolCalls),
        StreamEvent::Usage(Usage { prompt_tokens: 7, completion_tokens: 3, ..Default::default() }),
        StreamEvent::Done,
    ];
    for size in [1, 7, 4096] {
        assert_eq!(decode(TOOL_STREAM, size), expected, "chunk size {size}");
    }
}

#[test]
fn stream_without_done_still_finishes_and_errors_end_it() {
    let s = "data: {\"choices\":[{\"delta\":{\"reasoning\":\"think\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"length\"}]}\n\n";
    let events = decode(s, 5);
    assert_eq!(events[1], StreamEvent::ReasoningDelta("think".into()));
    assert_eq!(&events[3..], &[StreamEvent::Finish(FinishReason::Length), StreamEvent::Done]);

    let events = decode("data: {\"error\":{\"message\":\"overloaded\"}}\n\ndata: [DONE]\n\n", 64);
    assert_eq!(events, vec![StreamEvent::Error { message: "overloaded".into() }]);
}
