//! JSON Schema (as OpenAI clients write it for tools and `json_schema`
//! response formats) → Gemini's `Schema`, a subset of the OpenAPI 3.0 schema
//! object that rejects keys it does not know.
//!
//! Kept (Gemini's `Schema` fields): `type`, `format` (only values Gemini
//! accepts: `enum`/`date-time` for strings, `float`/`double` for numbers,
//! `int32`/`int64` for integers), `title`, `description`, `nullable`,
//! `enum` (string values), `properties`, `required` (only names that are
//! properties), `items`, `minItems`, `maxItems`, `minLength`, `maxLength`,
//! `pattern`, `minimum`, `maximum`, `minProperties`, `maxProperties`,
//! `anyOf`, `propertyOrdering`, `default`, `example`.
//!
//! Rewritten: `$ref` to `#/$defs/…` or `#/definitions/…` is inlined (cycles
//! are cut after a fixed depth); `allOf` is merged into one schema; `oneOf`
//! becomes `anyOf`; a `null` member of a `type` array or of `anyOf` becomes
//! `nullable: true`; several types become an `anyOf`; `const` becomes a
//! one-value `enum`; a non-string `enum` moves into the description;
//! `examples` gives its first value as `example`; `prefixItems` gives its
//! first schema as `items`.
//!
//! Dropped, because Gemini refuses or cannot express them: `$schema`, `$id`,
//! `$anchor`, `$comment`, `$defs`, `definitions`, `additionalProperties`,
//! `unevaluatedProperties`, `patternProperties`, `propertyNames`,
//! `dependentRequired`, `dependentSchemas`, `dependencies`, `strict`, `not`,
//! `if`/`then`/`else`, `contains`, `minContains`, `maxContains`,
//! `uniqueItems`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`,
//! `readOnly`, `writeOnly`, `deprecated`, `contentEncoding`,
//! `contentMediaType`, and any other key not listed above.

use serde_json::{json, Map, Value};

/// Deeper than this, `$ref` chains (recursive schemas) are cut off.
const MAX_DEPTH: u32 = 12;

const COPIED: &[&str] = &[
    "title",
    "description",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "minProperties",
    "maxProperties",
    "propertyOrdering",
    "default",
    "example",
];

/// Converts a whole schema (its own root for `$ref`s).
pub fn to_gemini(schema: &Value) -> Value {
    convert(schema, schema, 0)
}

/// A function's `parameters`: `None` when the function takes no arguments
/// (Gemini refuses an object schema with empty `properties`).
pub fn parameters(schema: &Value) -> Option<Value> {
    let converted = to_gemini(schema);
    let has_properties = converted.get("properties").and_then(Value::as_object).is_some_and(|p| !p.is_empty());
    let is_object = matches!(converted.get("type").and_then(Value::as_str), None | Some("object"));
    if is_object && !has_properties && converted.get("anyOf").is_none() {
        None
    } else {
        Some(converted)
    }
}

fn resolve<'a>(reference: &str, root: &'a Value) -> Option<&'a Value> {
    if reference == "#" {
        return Some(root);
    }
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

/// Inlines `$ref` and merges `allOf` at the raw JSON Schema level.
fn flatten(node: &Map<String, Value>, root: &Value, depth: u32) -> Map<String, Value> {
    let mut out = node.clone();
    if let Some(reference) = out.remove("$ref").as_ref().and_then(Value::as_str) {
        if let Some(Value::Object(target)) = resolve(reference, root).filter(|_| depth < MAX_DEPTH) {
            let mut resolved = flatten(target, root, depth + 1);
            // Keys beside `$ref` (a description, usually) take precedence.
            for (k, v) in out {
                resolved.insert(k, v);
            }
            out = resolved;
        } else {
            out.entry("type").or_insert_with(|| json!("object"));
        }
    }
    if let Some(Value::Array(parts)) = out.remove("allOf") {
        for part in parts {
            let Value::Object(part) = part else { continue };
            let part = flatten(&part, root, depth + 1);
            merge_into(&mut out, part);
        }
    }
    out
}

/// Merges an `allOf` member into its parent: properties and `required`
/// are united; other keys are kept from the parent when both have them.
fn merge_into(base: &mut Map<String, Value>, part: Map<String, Value>) {
    for (k, v) in part {
        match (k.as_str(), base.get_mut(&k), v) {
            ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                for (name, schema) in theirs {
                    mine.entry(name).or_insert(schema);
                }
            }
            ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                for name in theirs {
                    if !mine.contains(&name) {
                        mine.push(name);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

fn convert(node: &Value, root: &Value, depth: u32) -> Value {
    let Value::Object(raw) = node else { return json!({}) };
    if depth > MAX_DEPTH {
        return json!({ "type": "object" });
    }
    let obj = flatten(raw, root, depth);
    let mut out = Map::new();
    let mut nullable = obj.get("nullable").and_then(Value::as_bool).unwrap_or(false);

    let mut types: Vec<String> = match obj.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    };
    if types.iter().any(|t| t == "null") {
        nullable = true;
        types.retain(|t| t != "null");
    }

    for key in COPIED {
        if let Some(v) = obj.get(*key) {
            out.insert((*key).to_string(), v.clone());
        }
    }
    if !out.contains_key("example") {
        if let Some(first) = obj.get("examples").and_then(Value::as_array).and_then(|e| e.first()) {
            out.insert("example".into(), first.clone());
        }
    }

    // anyOf / oneOf, with `null` members turned into `nullable`.
    let alternatives = obj.get("anyOf").or_else(|| obj.get("oneOf")).and_then(Value::as_array);
    if let Some(alternatives) = alternatives {
        let mut converted = Vec::new();
        for alt in alternatives {
            if is_null_schema(alt) {
                nullable = true;
            } else {
                converted.push(convert(alt, root, depth + 1));
            }
        }
        if converted.len() == 1 && types.is_empty() {
            if let Some(Value::Object(single)) = converted.pop() {
                for (k, v) in single {
                    out.entry(k).or_insert(v);
                }
            }
        } else if !converted.is_empty() {
            out.insert("anyOf".into(), Value::Array(converted));
        }
    }

    match types.len() {
        0 => {}
        1 => {
            out.insert("type".into(), json!(types[0]));
        }
        _ if !out.contains_key("anyOf") => {
            let alts: Vec<Value> = types.iter().map(|t| json!({ "type": t })).collect();
            out.insert("anyOf".into(), Value::Array(alts));
        }
        _ => {}
    }
    let single_type = out.get("type").and_then(Value::as_str).map(str::to_string);

    // enum / const: Gemini's enum holds strings only.
    let mut values: Option<Vec<Value>> = obj.get("enum").and_then(Value::as_array).cloned();
    if let (None, Some(c)) = (&values, obj.get("const")) {
        values = Some(vec![c.clone()]);
    }
    if let Some(mut values) = values {
        if values.iter().any(Value::is_null) {
            nullable = true;
            values.retain(|v| !v.is_null());
        }
        if values.iter().all(Value::is_string) {
            if !values.is_empty() {
                out.insert("enum".into(), Value::Array(values));
                if single_type.is_none() {
                    out.insert("type".into(), json!("string"));
                }
            }
        } else {
            let listed = values.iter().map(Value::to_string).collect::<Vec<_>>().join(", ");
            let note = format!("Allowed values: {listed}.");
            let description = match out.get("description").and_then(Value::as_str) {
                Some(d) if !d.is_empty() => format!("{d} {note}"),
                _ => note,
            };
            out.insert("description".into(), json!(description));
        }
    }

    if let Some(format) = obj.get("format").and_then(Value::as_str) {
        let allowed = match out.get("type").and_then(Value::as_str) {
            Some("string") => matches!(format, "enum" | "date-time"),
            Some("number") => matches!(format, "float" | "double"),
            Some("integer") => matches!(format, "int32" | "int64"),
            _ => false,
        };
        if allowed {
            out.insert("format".into(), json!(format));
        }
    }

    if let Some(Value::Object(props)) = obj.get("properties") {
        let converted: Map<String, Value> =
            props.iter().map(|(name, schema)| (name.clone(), convert(schema, root, depth + 1))).collect();
        if !converted.is_empty() {
            if let Some(Value::Array(required)) = obj.get("required") {
                let required: Vec<Value> = required
                    .iter()
                    .filter(|r| r.as_str().is_some_and(|n| converted.contains_key(n)))
                    .cloned()
                    .collect();
                if !required.is_empty() {
                    out.insert("required".into(), Value::Array(required));
                }
            }
            out.insert("properties".into(), Value::Object(converted));
        }
    }

    let items = match obj.get("items") {
        Some(Value::Array(tuple)) => tuple.first(),
        Some(items) => Some(items),
        None => obj.get("prefixItems").and_then(Value::as_array).and_then(|p| p.first()),
    };
    if let Some(items) = items {
        out.insert("items".into(), convert(items, root, depth + 1));
    }

    if nullable {
        out.insert("nullable".into(), json!(true));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_keys_are_stripped_recursively() {
        let s = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object", "additionalProperties": false, "strict": true,
            "properties": {
                "city": {"type": "string", "description": "City", "format": "uri", "minLength": 1},
                "when": {"type": "string", "format": "date-time"},
                "tags": {"type": "array", "uniqueItems": true, "items": {"type": "string", "additionalProperties": false}},
                "n": {"type": "integer", "exclusiveMinimum": 0, "multipleOf": 2, "format": "int64"}
            },
            "required": ["city", "ghost"]
        });
        assert_eq!(
            to_gemini(&s),
            json!({
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City", "minLength": 1},
                    "when": {"type": "string", "format": "date-time"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "n": {"type": "integer", "format": "int64"}
                },
                "required": ["city"]
            })
        );
    }

    #[test]
    fn refs_are_inlined_and_all_of_merged() {
        let s = json!({
            "type": "object",
            "$defs": {"Unit": {"type": "string", "enum": ["c", "f"]}},
            "properties": {
                "unit": {"$ref": "#/$defs/Unit", "description": "Unit"},
                "both": {"allOf": [{"$ref": "#/definitions/A"}, {"properties": {"b": {"type": "number"}}, "required": ["b"]}]}
            },
            "definitions": {"A": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}}
        });
        let g = to_gemini(&s);
        assert_eq!(g["properties"]["unit"], json!({"type": "string", "enum": ["c", "f"], "description": "Unit"}));
        assert_eq!(g["properties"]["both"]["properties"], json!({"a": {"type": "string"}, "b": {"type": "number"}}));
        assert_eq!(g["properties"]["both"]["required"], json!(["a", "b"]));
        assert!(g.get("$defs").is_none() && g.get("definitions").is_none());
    }

    #[test]
    fn recursive_refs_are_cut() {
        let s = json!({"type": "object", "properties": {"child": {"$ref": "#"}}});
        let g = to_gemini(&s);
        let mut node = &g;
        let mut levels = 0;
        while let Some(next) = node.pointer("/properties/child") {
            node = next;
            levels += 1;
        }
        assert!(levels > 3 && levels <= MAX_DEPTH as usize + 1, "{levels}");
    }

    #[test]
    fn nullability_and_unions() {
        let s = json!({"type": "object", "properties": {
            "a": {"type": ["string", "null"]},
            "b": {"anyOf": [{"type": "integer"}, {"type": "null"}], "description": "B"},
            "c": {"oneOf": [{"type": "string"}, {"type": "number"}]},
            "d": {"type": ["string", "number"]},
            "e": {"const": "fixed"},
            "f": {"type": "integer", "enum": [1, 2, null]},
            "g": {"examples": ["x"], "type": "string"}
        }});
        let p = &to_gemini(&s)["properties"];
        assert_eq!(p["a"], json!({"type": "string", "nullable": true}));
        assert_eq!(p["b"], json!({"type": "integer", "description": "B", "nullable": true}));
        assert_eq!(p["c"], json!({"anyOf": [{"type": "string"}, {"type": "number"}]}));
        assert_eq!(p["d"], json!({"anyOf": [{"type": "string"}, {"type": "number"}]}));
        assert_eq!(p["e"], json!({"type": "string", "enum": ["fixed"]}));
        assert_eq!(p["f"], json!({"type": "integer", "description": "Allowed values: 1, 2.", "nullable": true}));
        assert_eq!(p["g"], json!({"type": "string", "example": "x"}));
    }

    #[test]
    fn argument_free_functions_have_no_parameters() {
        assert_eq!(parameters(&json!({"type": "object", "properties": {}})), None);
        assert_eq!(parameters(&json!({})), None);
        assert_eq!(parameters(&json!({"type": "object", "additionalProperties": {"type": "string"}})), None);
        assert!(parameters(&json!({"type": "object", "properties": {"x": {"type": "string"}}})).is_some());
    }
}
