//! A JSON object kept as its top-level keys over raw, unparsed values.
//!
//! The gateway only needs to read or change a few top-level fields of a
//! request (`model`, `stream`, `stream_options`) before forwarding it to an
//! OpenAI-compatible provider. Parsing the whole body into a `Value` tree and
//! printing it again costs CPU on every request and rewrites numbers and
//! escapes the client chose; this keeps every untouched value byte for byte.

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

#[derive(Debug, Clone, Default)]
pub struct JsonObject {
    fields: Vec<(String, Box<RawValue>)>,
}

impl JsonObject {
    pub fn parse(bytes: &[u8]) -> Result<JsonObject, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_ref())
    }

    /// Deserializes one field; `Ok(None)` when it is absent or `null`.
    pub fn get_as<'a, T: Deserialize<'a>>(&'a self, key: &str) -> Result<Option<T>, serde_json::Error> {
        match self.get(key) {
            None => Ok(None),
            Some(raw) if raw.get() == "null" => Ok(None),
            Some(raw) => serde_json::from_str(raw.get()).map(Some),
        }
    }

    /// The first of `keys` that the object holds more than once. Parsers
    /// disagree on which copy wins (we read the last, others the first), so
    /// a field the gateway decides on must appear once.
    pub fn repeated<'k>(&self, keys: &[&'k str]) -> Option<&'k str> {
        keys.iter().copied().find(|key| self.fields.iter().filter(|(k, _)| k == key).nth(1).is_some())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets a field to a serialisable value, replacing every earlier occurrence.
    pub fn set<T: serde::Serialize>(&mut self, key: &str, value: &T) -> Result<(), serde_json::Error> {
        let raw = serde_json::value::to_raw_value(value)?;
        self.remove(key);
        self.fields.push((key.to_string(), raw));
        Ok(())
    }

    pub fn remove(&mut self, key: &str) {
        self.fields.retain(|(k, _)| k != key);
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(k, _)| k.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_ref()))
    }

    /// The whole object as a `Value` tree (for formats that need every field).
    pub fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        let mut map = serde_json::Map::with_capacity(self.fields.len());
        for (k, v) in &self.fields {
            map.insert(k.clone(), serde_json::from_str(v.get())?);
        }
        Ok(serde_json::Value::Object(map))
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let len: usize = self.fields.iter().map(|(k, v)| k.len() + v.get().len() + 4).sum();
        let mut out = Vec::with_capacity(len + 2);
        out.push(b'{');
        for (i, (k, v)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Keys came from JSON or from our own code; serialising a &str cannot fail.
            out.extend_from_slice(serde_json::to_string(k).unwrap_or_default().as_bytes());
            out.push(b':');
            out.extend_from_slice(v.get().as_bytes());
        }
        out.push(b'}');
        out
    }
}

impl<'de> Deserialize<'de> for JsonObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = JsonObject;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonObject, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((k, v)) = map.next_entry::<String, Box<RawValue>>()? {
                    fields.push((k, v));
                }
                Ok(JsonObject { fields })
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<JsonObject, A::Error> {
                Err(de::Error::custom("expected a JSON object, found an array"))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untouched_values_keep_their_bytes() {
        let src = br#"{"model":"openai/gpt-4o","temperature":0.70,"messages":[{"role":"user","content":"caf\u00e9"}]}"#;
        let mut o = JsonObject::parse(src).unwrap();
        o.set("model", &"gpt-4o").unwrap();
        let out = String::from_utf8(o.to_vec()).unwrap();
        assert_eq!(out, r#"{"temperature":0.70,"messages":[{"role":"user","content":"caf\u00e9"}],"model":"gpt-4o"}"#);
    }

    #[test]
    fn typed_reads() {
        let o = JsonObject::parse(br#"{"model":"m","stream":true,"n":null}"#).unwrap();
        assert_eq!(o.get_as::<String>("model").unwrap().as_deref(), Some("m"));
        assert_eq!(o.get_as::<bool>("stream").unwrap(), Some(true));
        assert_eq!(o.get_as::<u32>("n").unwrap(), None);
        assert_eq!(o.get_as::<u32>("absent").unwrap(), None);
        assert!(o.get_as::<bool>("model").is_err());
    }

    #[test]
    fn rejects_non_objects() {
        assert!(JsonObject::parse(b"[1,2]").is_err());
        assert!(JsonObject::parse(b"\"s\"").is_err());
        assert!(JsonObject::parse(b"{\"a\":").is_err());
        assert!(JsonObject::parse(b"").is_err());
    }

    #[test]
    fn duplicate_keys_last_wins_and_set_replaces_all() {
        let mut o = JsonObject::parse(br#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(o.get("a").unwrap().get(), "2");
        o.set("a", &3).unwrap();
        assert_eq!(o.to_vec(), br#"{"a":3}"#);
    }

    #[test]
    fn repeated_decision_fields_are_found() {
        let o = JsonObject::parse(br#"{"model":"a","stream":true,"model":"b"}"#).unwrap();
        assert_eq!(o.repeated(&["stream", "model"]), Some("model"));
        assert_eq!(o.repeated(&["stream"]), None);
    }

    #[test]
    fn output_is_valid_json() {
        let o = JsonObject::parse(br#"{"we\"ird":{"x":[1,2,{"y":null}]}}"#).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.to_vec()).unwrap();
        assert_eq!(v["we\"ird"]["x"][2]["y"], serde_json::Value::Null);
    }
}
