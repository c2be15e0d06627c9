//! What the guardrails found in one request: counted per check, direction
//! and action for the log row — never the values themselves.

use super::config::{Action, Direction};
use crate::core::error::{ErrorCode, GatewayError};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub detector: String,
    pub direction: &'static str,
    pub action: &'static str,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    pub fn add(&mut self, detector: &str, direction: Direction, action: Action, count: u64) {
        let (direction, action) = (direction.as_str(), action.as_str());
        match self.0.iter_mut().find(|f| f.detector == detector && f.direction == direction && f.action == action) {
            Some(f) => f.count += count,
            None => self.0.push(Finding { detector: detector.to_string(), direction, action, count }),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The log column: a JSON array, or `None` when nothing was found.
    pub fn to_json(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| serde_json::to_string(&self.0).unwrap_or_default())
    }
}

/// A `block` that fired: which check, where, and who set it.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocked {
    pub check: String,
    pub direction: Direction,
    pub scope: String,
    pub count: u64,
}

impl Blocked {
    /// The client's error: which guardrail, which way and whose policy —
    /// never the value it found.
    pub fn to_error(&self) -> GatewayError {
        let found = match self.count {
            1 => "1 match".to_string(),
            n => format!("{n} matches"),
        };
        let message = match self.direction {
            Direction::Input => format!(
                "The request was blocked by guardrail '{}' (input) of {}: {found} in the request's text.",
                self.check, self.scope
            ),
            Direction::Output => format!(
                "The answer was withheld by guardrail '{}' (output) of {}: {found} in the model's answer.",
                self.check, self.scope
            ),
        };
        GatewayError::invalid_request(ErrorCode::GuardrailViolation, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_detector_direction_and_action() {
        let mut f = Findings::default();
        f.add("email", Direction::Input, Action::Tokenize, 1);
        f.add("email", Direction::Input, Action::Tokenize, 2);
        f.add("email", Direction::Output, Action::Redact, 1);
        assert_eq!(
            f.to_json().unwrap(),
            r#"[{"detector":"email","direction":"input","action":"tokenize","count":3},{"detector":"email","direction":"output","action":"redact","count":1}]"#
        );
        assert_eq!(Findings::default().to_json(), None);
    }

    #[test]
    fn a_block_is_a_400_naming_guardrail_direction_and_scope() {
        let b = Blocked { check: "card".into(), direction: Direction::Input, scope: "the workspace policy".into(), count: 2 };
        let e = b.to_error();
        assert_eq!((e.status, e.code.as_str()), (400, "guardrail_violation"));
        assert!(e.message.contains("guardrail 'card' (input) of the workspace policy: 2 matches"), "{}", e.message);
        let out = Blocked { direction: Direction::Output, count: 1, ..b }.to_error();
        assert!(out.message.contains("withheld") && out.message.contains("(output)"), "{}", out.message);
    }
}
