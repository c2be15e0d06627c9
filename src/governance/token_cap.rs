//! The policy's `max_tokens` cap, written into the request in the field
//! its format reads, whatever name the client used.
//!
//! A client can name the limit of an answer in several ways
//! (`max_tokens`, `max_completion_tokens`, `max_output_tokens`; Gemini's
//! `generationConfig.maxOutputTokens`, Bedrock's `inferenceConfig.maxTokens`).
//! Every one of them present is held to the cap, so no alias can carry a
//! larger value past it; when none is present the cap is set in the
//! format's own field, so the answer (and the budget reservation made from
//! the same number) is bounded either way.

use crate::core::error::{GatewayError, GatewayResult, ErrorCode};
use crate::catalog::AdapterKind;
use crate::util::json_object::JsonObject;
use serde_json::value::RawValue;

/// Every top-level name an OpenAI- or Anthropic-format body may use.
pub const TOP_LEVEL: &[&str] = &["max_tokens", "max_completion_tokens", "max_output_tokens"];

/// Where a request format keeps its answer-length limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// The object holding the fields (`generationConfig`), or none: top level.
    pub containers: &'static [&'static str],
    /// Every name the limit may go by there: each is held to the cap.
    pub fields: &'static [&'static str],
    /// The names the format itself reads. When the client gave none of
    /// them (only an alias the format ignores), the cap is written to
    /// `default`, so the answer is bounded either way.
    pub reads: &'static [&'static str],
    /// The field the cap is written to (none: the format has no field
    /// the gateway may add).
    pub default: Option<&'static str>,
}

impl Site {
    /// A top-level site whose format reads `default` (and, for chat and
    /// completions, both of OpenAI's names).
    pub const fn top(default: &'static str) -> Site {
        let reads: &'static [&'static str] = match default.as_bytes() {
            b"max_output_tokens" => &["max_output_tokens"],
            _ => &["max_tokens", "max_completion_tokens"],
        };
        Site { containers: &[], fields: TOP_LEVEL, reads, default: Some(default) }
    }
}

const GEMINI: Site = Site {
    containers: &["generationConfig", "generation_config"],
    fields: &["maxOutputTokens", "max_output_tokens"],
    reads: &["maxOutputTokens", "max_output_tokens"],
    default: Some("maxOutputTokens"),
};
const BEDROCK_CONVERSE: Site = Site {
    containers: &["inferenceConfig"],
    fields: &["maxTokens", "max_tokens"],
    reads: &["maxTokens"],
    default: Some("maxTokens"),
};
/// Bedrock `invoke` bodies are the model family's own format.
const BEDROCK_INVOKE: Site = Site {
    containers: &[],
    fields: &["max_tokens", "max_tokens_to_sample", "max_gen_len", "max_new_tokens"],
    reads: &["max_tokens", "max_tokens_to_sample", "max_gen_len", "max_new_tokens"],
    default: None,
};

/// The site of a native (pass-through) request, by wire format and path.
pub fn native_site(kind: AdapterKind, path: &str) -> Site {
    match kind {
        AdapterKind::Gemini => GEMINI,
        AdapterKind::Bedrock if path.contains("/converse") => BEDROCK_CONVERSE,
        AdapterKind::Bedrock => BEDROCK_INVOKE,
        _ if path.trim_end_matches('/').ends_with("/responses") => Site::top("max_output_tokens"),
        _ => Site::top("max_tokens"),
    }
}

/// What the request asked for and what the provider may now answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capped {
    /// The largest limit the client named, if any.
    pub requested: Option<u64>,
    /// The largest limit the provider will read.
    pub effective: Option<u64>,
    /// The body was changed.
    pub rewritten: bool,
}

fn no_repeats(object: &JsonObject, keys: &[&str]) -> GatewayResult<()> {
    object.repeated(keys).map_or(Ok(()), |key| Err(GatewayError::duplicate_field(key)))
}

fn invalid(field: &str) -> GatewayError {
    GatewayError::invalid_request(ErrorCode::InvalidType, format!("'{field}' must be a whole number of at least 0.")).with_param(field)
}

/// The limits named in one object, as (field, value).
fn named(object: &JsonObject, fields: &[&str]) -> GatewayResult<Vec<(String, u64)>> {
    let mut out = Vec::new();
    for f in fields {
        if let Some(n) = object.get_as::<u64>(f).map_err(|_| invalid(f))? {
            out.push((f.to_string(), n));
        }
    }
    Ok(out)
}

/// Holds every limit in `object` to `cap` (when there is one), or writes
/// `cap` to `default`. Returns (requested, effective).
fn cap_object(object: &mut JsonObject, site: &Site, cap: Option<u64>) -> GatewayResult<Capped> {
    no_repeats(object, site.fields)?;
    let given = named(object, site.fields)?;
    let requested = given.iter().map(|(_, n)| *n).max();
    let read = given.iter().filter(|(f, _)| site.reads.contains(&f.as_str())).map(|(_, n)| *n).max();
    let Some(cap) = cap else { return Ok(Capped { requested, effective: read, rewritten: false }) };
    let mut rewritten = false;
    for (field, n) in &given {
        if *n > cap {
            object.set(field, &cap).map_err(|_| GatewayError::internal(ErrorCode::BodyRewrite))?;
            rewritten = true;
        }
    }
    if read.is_some() {
        return Ok(Capped { requested, effective: read.map(|r| r.min(cap)), rewritten });
    }
    // Nothing the format reads bounds the answer: the cap does.
    match site.default {
        Some(field) => {
            object.set(field, &cap).map_err(|_| GatewayError::internal(ErrorCode::BodyRewrite))?;
            Ok(Capped { requested, effective: Some(cap), rewritten: true })
        }
        None => Ok(Capped { requested, effective: None, rewritten }),
    }
}

/// Applies `cap` to a request body at `site`; with no cap, only reads
/// what the client asked for (for budget reservations).
pub fn apply(body: &mut JsonObject, site: &Site, cap: Option<u32>) -> GatewayResult<Capped> {
    let cap = cap.map(u64::from);
    if site.containers.is_empty() {
        return cap_object(body, site, cap);
    }
    no_repeats(body, site.containers)?;
    let present: Vec<&str> = site.containers.iter().copied().filter(|c| body.contains(c)).collect();
    if present.is_empty() {
        let mut fresh = JsonObject::default();
        let capped = cap_object(&mut fresh, site, cap)?;
        if fresh.keys().next().is_some() {
            body.set(site.containers[0], &raw(&fresh)?).map_err(|_| GatewayError::internal(ErrorCode::BodyRewrite))?;
        }
        return Ok(capped);
    }
    let mut out = Capped { requested: None, effective: None, rewritten: false };
    for container in present {
        let mut inner: JsonObject = body.get_as(container).map_err(|_| {
            GatewayError::invalid_request(ErrorCode::InvalidType, format!("'{container}' must be an object.")).with_param(container)
        })?
        .unwrap_or_default();
        let capped = cap_object(&mut inner, site, cap)?;
        out.requested = out.requested.max(capped.requested);
        out.effective = out.effective.max(capped.effective);
        if capped.rewritten {
            out.rewritten = true;
            body.set(container, &raw(&inner)?).map_err(|_| GatewayError::internal(ErrorCode::BodyRewrite))?;
        }
    }
    Ok(out)
}

fn raw(object: &JsonObject) -> GatewayResult<Box<RawValue>> {
    let text = String::from_utf8(object.to_vec()).map_err(|_| GatewayError::internal(ErrorCode::BodyRewrite))?;
    RawValue::from_string(text).map_err(|_| GatewayError::internal(ErrorCode::BodyRewrite))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn run(body: Value, site: Site, cap: Option<u32>) -> (Value, Capped) {
        let mut o = JsonObject::parse(body.to_string().as_bytes()).unwrap();
        let c = apply(&mut o, &site, cap).unwrap();
        (serde_json::from_slice(&o.to_vec()).unwrap(), c)
    }

    #[test]
    fn every_alias_is_held_to_the_cap() {
        let (b, c) = run(json!({"max_tokens": 10, "max_completion_tokens": 100000, "max_output_tokens": 99999}), Site::top("max_tokens"), Some(50));
        assert_eq!((b["max_tokens"].clone(), b["max_completion_tokens"].clone(), b["max_output_tokens"].clone()), (json!(10), json!(50), json!(50)));
        assert_eq!(c, Capped { requested: Some(100000), effective: Some(50), rewritten: true });
    }

    #[test]
    fn the_cap_fills_the_formats_own_field_when_none_is_given() {
        let (b, c) = run(json!({"input": "x"}), Site::top("max_output_tokens"), Some(50));
        assert_eq!(b["max_output_tokens"], 50);
        assert_eq!(c.effective, Some(50));
        let (b, _) = run(json!({"contents": []}), native_site(AdapterKind::Gemini, "/v1beta/models/m:generateContent"), Some(7));
        assert_eq!(b["generationConfig"]["maxOutputTokens"], 7);
        let (b, _) = run(json!({"messages": []}), native_site(AdapterKind::Bedrock, "/model/m/converse"), Some(7));
        assert_eq!(b["inferenceConfig"]["maxTokens"], 7);
    }

    #[test]
    fn an_alias_the_format_ignores_does_not_leave_the_answer_unbounded() {
        // The Responses API reads only max_output_tokens.
        let (b, c) = run(json!({"input": "x", "max_tokens": 100000}), Site::top("max_output_tokens"), Some(50));
        assert_eq!((b["max_tokens"].clone(), b["max_output_tokens"].clone()), (json!(50), json!(50)));
        assert_eq!(c.effective, Some(50));
        // Chat reads both of OpenAI's names: one given is enough.
        let (b, _) = run(json!({"max_completion_tokens": 100000}), Site::top("max_tokens"), Some(50));
        assert_eq!(b, json!({"max_completion_tokens": 50}));
    }

    #[test]
    fn nested_aliases_and_both_spellings_of_the_container() {
        let body = json!({"generationConfig": {"maxOutputTokens": 9000, "temperature": 0.5}, "generation_config": {"max_output_tokens": 8000}});
        let (b, c) = run(body, native_site(AdapterKind::Gemini, "/v1beta/models/m:streamGenerateContent"), Some(100));
        assert_eq!(b["generationConfig"], json!({"maxOutputTokens": 100, "temperature": 0.5}));
        assert_eq!(b["generation_config"]["max_output_tokens"], 100);
        assert_eq!(c, Capped { requested: Some(9000), effective: Some(100), rewritten: true });
    }

    #[test]
    fn without_a_cap_the_request_is_only_read() {
        let (b, c) = run(json!({"max_tokens": 300}), Site::top("max_tokens"), None);
        assert_eq!(b, json!({"max_tokens": 300}));
        assert_eq!((c.effective, c.rewritten), (Some(300), false));
    }

    #[test]
    fn bad_values_and_repeats_are_the_clients_error() {
        let mut o = JsonObject::parse(br#"{"max_tokens": "lots"}"#).unwrap();
        assert_eq!(apply(&mut o, &Site::top("max_tokens"), Some(5)).unwrap_err().param.as_deref(), Some("max_tokens"));
        let mut o = JsonObject::parse(br#"{"max_tokens": -1}"#).unwrap();
        assert!(apply(&mut o, &Site::top("max_tokens"), Some(5)).is_err());
        let mut o = JsonObject::parse(br#"{"generationConfig": {"maxOutputTokens": 1, "maxOutputTokens": 99999}}"#).unwrap();
        let site = native_site(AdapterKind::Gemini, "/x");
        assert_eq!(apply(&mut o, &site, Some(5)).unwrap_err().code, "duplicate_field");
        let mut o = JsonObject::parse(br#"{"generationConfig": {}, "generationConfig": {"maxOutputTokens": 99999}}"#).unwrap();
        assert_eq!(apply(&mut o, &site, Some(5)).unwrap_err().code, "duplicate_field");
    }
}
