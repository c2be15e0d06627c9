//! `/v1/messages/count_tokens` for providers without a counting endpoint:
//! the input tokens of a request, estimated without a tokenizer.
//!
//! Claude Code uses the count to decide when to compact a conversation, so
//! the estimate leans high rather than low: about 3.5 ASCII bytes per token
//! (English prose runs near 4, code nearer 3), one token per non-ASCII
//! character (CJK text is roughly that; accented Latin text is
//! over-counted), a few tokens of framing per message and tool, the tool
//! schemas as JSON text, and a fixed amount per image or PDF (the size of a
//! large image; real images cost their area, PDFs their pages).

use crate::providers::model::{ChatRequest, ContentPart, Message};

/// Framing of one message (role markers, separators).
const PER_MESSAGE: u64 = 4;
/// An image or an inline PDF.
const PER_IMAGE: u64 = 1_600;
/// The instructions a model gets when it is offered tools at all.
const TOOLS_PREAMBLE: u64 = 300;
/// Framing of one tool definition or tool call.
const PER_TOOL: u64 = 8;

/// Tokens of a text: ⌈ASCII bytes ÷ 3.5⌉ plus one per non-ASCII character.
pub fn text_tokens(s: &str) -> u64 {
    let (mut ascii, mut other) = (0u64, 0u64);
    for b in s.bytes() {
        if b < 0x80 {
            ascii += 1;
        } else if b >= 0xC0 {
            // The lead byte of a multi-byte character.
            other += 1;
        }
    }
    (ascii * 2).div_ceil(7) + other
}

fn message_tokens(m: &Message) -> u64 {
    let mut n = PER_MESSAGE;
    for part in &m.content {
        n += match part {
            ContentPart::Text(t) => text_tokens(t),
            ContentPart::Image(_) => PER_IMAGE,
        };
    }
    for call in &m.tool_calls {
        n += PER_TOOL + text_tokens(&call.name) + text_tokens(&call.arguments);
    }
    if let Some(id) = &m.tool_call_id {
        n += text_tokens(id);
    }
    n
}

/// The estimated input tokens of a request.
pub fn estimate(req: &ChatRequest) -> u64 {
    let mut n: u64 = req.system.iter().map(|s| PER_MESSAGE + text_tokens(s)).sum();
    n += req.messages.iter().map(message_tokens).sum::<u64>();
    if !req.tools.is_empty() {
        n += TOOLS_PREAMBLE;
        for t in &req.tools {
            n += PER_TOOL + text_tokens(&t.name);
            n += t.description.as_deref().map_or(0, text_tokens);
            n += text_tokens(&t.parameters.to_string());
        }
    }
    n.max(1)
}

/// `{"input_tokens": N}`, the count_tokens answer.
pub fn to_json(tokens: u64) -> Vec<u8> {
    format!("{{\"input_tokens\":{tokens}}}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::model::{ImageSource, Role, Tool, ToolCall};
    use serde_json::{json, Value};

    fn msg(role: Role, content: Vec<ContentPart>) -> Message {
        Message { role, content, tool_calls: vec![], tool_call_id: None }
    }

    #[test]
    fn text_rule() {
        assert_eq!(text_tokens(""), 0);
        assert_eq!(text_tokens("abcdefg"), 2);
        assert_eq!(text_tokens("abcdefgh"), 3);
        assert_eq!(text_tokens("日本語"), 3);
        assert_eq!(text_tokens("héllo"), 2 + 1);
    }

    #[test]
    fn everything_counts() {
        let base = ChatRequest { messages: vec![msg(Role::User, vec![ContentPart::Text("hello there".into())])], ..Default::default() };
        let plain = estimate(&base);
        assert_eq!(plain, PER_MESSAGE + text_tokens("hello there"));

        let mut with_system = base.clone();
        with_system.system.push("Be brief.".into());
        assert_eq!(estimate(&with_system), plain + PER_MESSAGE + text_tokens("Be brief."));

        let mut with_image = base.clone();
        with_image.messages[0].content.push(ContentPart::Image(ImageSource::Url("https://x/y.png".into())));
        assert_eq!(estimate(&with_image), plain + PER_IMAGE);

        let mut with_tools = base.clone();
        let schema = json!({"type": "object", "properties": {"city": {"type": "string"}}});
        with_tools.tools.push(Tool { name: "weather".into(), description: Some("Weather now".into()), parameters: schema.clone() });
        let tools = TOOLS_PREAMBLE + PER_TOOL + text_tokens("weather") + text_tokens("Weather now") + text_tokens(&schema.to_string());
        assert_eq!(estimate(&with_tools), plain + tools);

        let mut with_calls = base.clone();
        let mut a = msg(Role::Assistant, vec![]);
        a.tool_calls.push(ToolCall { id: "t1".into(), name: "weather".into(), arguments: "{\"city\":\"Paris\"}".into() });
        with_calls.messages.push(a);
        let mut result = msg(Role::Tool, vec![ContentPart::Text("sunny".into())]);
        result.tool_call_id = Some("t1".into());
        with_calls.messages.push(result);
        let calls = PER_MESSAGE + PER_TOOL + text_tokens("weather") + text_tokens("{\"city\":\"Paris\"}");
        let results = PER_MESSAGE + text_tokens("sunny") + text_tokens("t1");
        assert_eq!(estimate(&with_calls), plain + calls + results);

        assert_eq!(estimate(&ChatRequest::default()), 1);
    }

    #[test]
    fn json_answer() {
        let v: Value = serde_json::from_slice(&to_json(1234)).unwrap();
        assert_eq!(v, json!({"input_tokens": 1234}));
    }
}
