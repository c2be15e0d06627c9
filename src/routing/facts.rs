//! What a request tells conditional routers about itself.

use super::condition::{Facts, Field};
use crate::auth::principal::Principal;
use crate::core::client_meta::ClientMeta;
use crate::util::json_object::JsonObject;
use serde_json::Value;

pub struct RequestFacts<'a> {
    pub meta: &'a ClientMeta,
    pub principal: &'a Principal,
    /// The model as the client named it.
    pub model: &'a str,
    pub body: &'a JsonObject,
}

impl Facts for RequestFacts<'_> {
    fn fact(&self, field: &Field) -> Option<Value> {
        let text = |s: &Option<String>| s.clone().map(Value::String);
        match field {
            Field::Property(name) => {
                self.meta.properties.iter().find(|(k, _)| k == name).map(|(_, v)| Value::String(v.clone()))
            }
            Field::SessionId => text(&self.meta.session_id),
            Field::SessionPath => text(&self.meta.session_path),
            Field::KeyId => Some(Value::String(self.principal.key_id.clone())),
            Field::AgentId => text(&self.principal.agent_id),
            Field::Department => text(&self.principal.department),
            Field::User => text(&self.meta.user_id),
            Field::Model => Some(Value::String(self.model.to_string())),
            Field::Body(param) => self.body.get_as::<Value>(param).ok().flatten(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::condition::parse;
    use serde_json::json;

    #[test]
    fn facts_from_headers_key_and_body() {
        let meta = ClientMeta { properties: vec![("team".into(), "search".into())], session_id: Some("s1".into()), ..Default::default() };
        let principal = Principal {
            key_id: "vk_1".into(),
            workspace_id: "ws".into(),
            key_name: String::new(),
            agent_id: Some("ag_1".into()),
            department: None,
            allowed_models: None,
            allowed_providers: None,
            rate_limit: None,
            policy: json!({}),
            expires_at: None,
            revoked_at: None,
        };
        let body = JsonObject::parse(br#"{"model":"router/main","max_tokens":9000}"#).unwrap();
        let f = RequestFacts { meta: &meta, principal: &principal, model: "router/main", body: &body };
        let holds = |c: Value| parse(&c, "c").unwrap().holds(&f);
        assert!(holds(json!({"field": "property.team", "value": "search"})));
        assert!(holds(json!({"field": "session_id", "value": "s1"})));
        assert!(holds(json!({"field": "agent_id", "value": "ag_1"})));
        assert!(holds(json!({"field": "body.max_tokens", "op": "gt", "value": 8000})));
        assert!(holds(json!({"field": "department", "op": "not_exists"})));
        assert!(!holds(json!({"field": "body.temperature", "op": "exists"})));
    }
}
