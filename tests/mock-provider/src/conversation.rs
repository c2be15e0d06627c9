//! What the mock says, independent of wire format. Every format module
//! reduces its request to a `Conversation` and renders the `Reply`.
//!
//! The mock plays an agent loop: offered tools and asked a task, it calls
//! the first tool; given the tool's result, it answers in words.

use crate::text;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    pub name: String,
    /// JSON Schema of the arguments.
    pub parameters: Value,
}

#[derive(Debug, Clone, Default)]
pub struct Conversation {
    pub system: Option<String>,
    /// The latest user text.
    pub last_user: String,
    /// The latest tool result, when it came after the latest user turn.
    pub tool_result: Option<String>,
    pub tools: Vec<Tool>,
    /// All text in the request, for token counting.
    pub all_text: String,
    /// How many tool calls to make at once (parallel tool calls).
    pub parallel_calls: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Text(String),
    ToolCalls(Vec<(String, String, Value)>),
}

impl Conversation {
    /// The latest user text without the `<system-reminder>` blocks Claude
    /// Code puts beside the user's words (a model reads them as context,
    /// not as the task).
    pub fn task(&self) -> String {
        let mut rest = self.last_user.as_str();
        let mut task = String::new();
        while let Some(start) = rest.find(REMINDER_OPEN) {
            task.push_str(&rest[..start]);
            rest = match rest[start..].find(REMINDER_CLOSE) {
                Some(end) => &rest[start + end + REMINDER_CLOSE.len()..],
                None => "",
            };
        }
        task.push_str(rest);
        task.trim().to_string()
    }

    pub fn prompt_tokens(&self) -> u64 {
        text::tokens(&self.all_text)
    }

    pub fn reply(&self, content_override: Option<&str>) -> Reply {
        if let Some(c) = content_override {
            return Reply::Text(c.to_string());
        }
        if let Some(result) = &self.tool_result {
            return Reply::Text(format!("The tool returned: {result}"));
        }
        if !self.tools.is_empty() {
            let n = self.parallel_calls.clamp(1, self.tools.len());
            let task = self.task();
            // Coding agents offer many tools; a shell runs the task.
            let mut tools: Vec<&Tool> = self.tools.iter().collect();
            tools.sort_by_key(|t| !SHELL_TOOLS.contains(&t.name.as_str()));
            let calls = tools
                .into_iter()
                .take(n)
                .enumerate()
                .map(|(i, t)| (format!("call_mock_{i}"), t.name.clone(), arguments_for(t, &task)))
                .collect::<Vec<_>>();
            return Reply::ToolCalls(calls);
        }
        let shown: String = self.last_user.chars().take(200).collect();
        Reply::Text(format!("Mock answer to: {shown}"))
    }
}

const REMINDER_OPEN: &str = "<system-reminder>";
const REMINDER_CLOSE: &str = "</system-reminder>";

/// Shell tools of coding agents (Codex, opencode, Claude Code), called
/// first: the task given to the mock is then a command to run.
const SHELL_TOOLS: &[&str] = &["exec_command", "shell", "shell_command", "bash", "Bash", "local_shell"];

/// Arguments satisfying the schema's required string/number/bool fields;
/// an array-typed `command` is an argv running the task in a shell.
fn arguments_for(tool: &Tool, task: &str) -> Value {
    let mut args = Map::new();
    let props = tool.parameters.get("properties").and_then(Value::as_object);
    let required: Vec<&str> = tool
        .parameters
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for name in required {
        let kind = props.and_then(|p| p.get(name)).and_then(|p| p.get("type")).and_then(Value::as_str);
        let value = match kind {
            Some("number") | Some("integer") => json!(1),
            Some("boolean") => json!(true),
            Some("array") if name == "command" => json!(["bash", "-lc", task]),
            Some("array") => json!([task]),
            Some("object") => json!({}),
            _ => json!(task),
        };
        args.insert(name.to_string(), value);
    }
    Value::Object(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool() -> Tool {
        Tool {
            name: "get_weather".into(),
            parameters: json!({"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"]}),
        }
    }

    #[test]
    fn agent_loop() {
        let mut c = Conversation { last_user: "Paris".into(), tools: vec![tool()], ..Default::default() };
        match c.reply(None) {
            Reply::ToolCalls(calls) => {
                assert_eq!(calls[0].1, "get_weather");
                assert_eq!(calls[0].2, json!({"city":"Paris","days":1}));
            }
            other => panic!("{other:?}"),
        }
        c.tool_result = Some("sunny".into());
        assert_eq!(c.reply(None), Reply::Text("The tool returned: sunny".into()));
    }

    #[test]
    fn system_reminders_are_not_the_task() {
        let c = Conversation {
            last_user: "<system-reminder>\nDate\n</system-reminder>\n\n<system-reminder>x</system-reminder>\n\necho hi".into(),
            ..Default::default()
        };
        assert_eq!(c.task(), "echo hi");
        let unclosed = Conversation { last_user: "do it <system-reminder> never closed".into(), ..Default::default() };
        assert_eq!(unclosed.task(), "do it");
    }

    #[test]
    fn shell_tools_are_called_first_with_the_task_as_command() {
        let c = Conversation {
            last_user: "echo hi > out.txt".into(),
            tools: vec![
                tool(),
                Tool { name: "shell".into(), parameters: json!({"type":"object","properties":{"command":{"type":"array"}},"required":["command"]}) },
            ],
            ..Default::default()
        };
        match c.reply(None) {
            Reply::ToolCalls(calls) => {
                assert_eq!(calls[0].1, "shell");
                assert_eq!(calls[0].2, json!({"command": ["bash", "-lc", "echo hi > out.txt"]}));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plain_answer() {
        let c = Conversation { last_user: "hi".into(), ..Default::default() };
        assert_eq!(c.reply(None), Reply::Text("Mock answer to: hi".into()));
    }
}
