//! Cursor pagination, newest first: a page is ordered by (time, id)
//! descending, and the cursor is the last row's (time, id), so rows with
//! equal timestamps are neither skipped nor repeated across pages, and rows
//! written after the first page never shift the later ones.
//!
//! The cursor is opaque to clients: base64url of `"<time>,<id>"`.

use super::{bad_param, single, Binder, Query};
use crate::core::error::GatewayError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: u64,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{},{}", self.at, self.id))
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (at, id) = text.split_once(',')?;
        let at = at.parse::<u64>().ok()?;
        (!id.is_empty()).then(|| Cursor { at, id: id.to_string() })
    }

    /// The cursor after `row`, read from its `time` and `id` fields.
    pub fn of_row(row: &Value, time: &str, id: &str) -> Option<Cursor> {
        let at = row.get(time).map(super::int).filter(|n| *n >= 0)? as u64;
        let id = row.get(id)?.as_str()?.to_string();
        Some(Cursor { at, id })
    }
}

/// `limit`, `cursor` and the older `before` of a list endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub limit: u64,
    pub cursor: Option<Cursor>,
    /// Only rows created before this time (ms): the older way to page.
    pub before: Option<u64>,
}

/// The parameters `Page::parse` reads.
pub const PAGE_PARAMS: &[&str] = &["limit", "cursor", "before"];

impl Page {
    /// `limit` defaults to `default`, larger values are capped at `max`.
    pub fn parse(query: &Query, default: u64, max: u64) -> Result<Page, GatewayError> {
        let limit = match single(query, "limit")? {
            None => default,
            Some(v) => v.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| bad_param("limit", "'limit' must be a whole number of at least 1."))?.min(max),
        };
        let cursor = single(query, "cursor")?
            .map(|c| Cursor::decode(c).ok_or_else(|| bad_param("cursor", "'cursor' is not a cursor this API returned.")))
            .transpose()?;
        let before = single(query, "before")?
            .map(|v| v.parse::<u64>().map_err(|_| bad_param("before", "'before' must be a time in milliseconds since the epoch.")))
            .transpose()?;
        Ok(Page { limit, cursor, before })
    }

    /// Conditions placing rows after the cursor (and before `before`), for
    /// `ORDER BY time DESC, id DESC`.
    pub fn sql(&self, time: &str, id: &str, b: &mut Binder) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(before) = self.before {
            out.push(format!("{time} < {}", b.bind(before)));
        }
        if let Some(c) = &self.cursor {
            let (at, cid) = (b.bind(c.at), b.bind(c.id.as_str()));
            out.push(format!("({time} < {at} OR ({time} = {at} AND {id} < {cid}))"));
        }
        out
    }

    /// `ORDER BY … LIMIT n`: one row more than the page, to tell whether another page follows.
    pub fn order_and_limit(&self, time: &str, id: &str, b: &mut Binder) -> String {
        format!("ORDER BY {time} DESC, {id} DESC LIMIT {}", b.bind(self.limit + 1))
    }

    /// Cuts the extra row off `rows` and answers the next page's cursor
    /// (None at the end).
    pub fn finish(&self, rows: &mut Vec<Value>, time: &str, id: &str) -> Option<String> {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        if rows.len() <= limit {
            return None;
        }
        rows.truncate(limit);
        rows.last().and_then(|r| Cursor::of_row(r, time, id)).map(|c| c.encode())
    }
}

/// `{ object: "list", data, next_cursor }`.
pub fn list(data: Vec<Value>, next_cursor: Option<String>) -> Value {
    serde_json::json!({ "object": "list", "data": data, "next_cursor": next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn cursors_round_trip_and_are_opaque() {
        let c = Cursor { at: 1_700_000_000_123, id: "0192,odd id/é".into() };
        let text = c.encode();
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{text}");
        assert_eq!(Cursor::decode(&text), Some(c));
        for bad in ["", "!!!", "bm9jb21tYQ", "LTEsYQ", "MTIs"] {
            // "nocomma", "-1,a", "12,"
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn page_parameters_are_validated() {
        let p = Page::parse(&q(&[]), 50, 500).unwrap();
        assert_eq!((p.limit, p.cursor.clone(), p.before), (50, None, None));
        assert_eq!(Page::parse(&q(&[("limit", "9999")]), 50, 500).unwrap().limit, 500);
        for (k, v) in [("limit", "0"), ("limit", "ten"), ("cursor", "zz"), ("before", "yesterday")] {
            assert_eq!(Page::parse(&q(&[(k, v)]), 50, 500).unwrap_err().param.as_deref(), Some(k));
        }
    }

    #[test]
    fn the_cursor_orders_ties_by_id() {
        let c = Cursor { at: 5, id: "b".into() };
        let p = Page::parse(&q(&[("cursor", &c.encode()), ("limit", "2")]), 50, 500).unwrap();
        let mut b = Binder::default();
        let conds = p.sql("created_at", "id", &mut b);
        let order = p.order_and_limit("created_at", "id", &mut b);
        assert_eq!(conds, vec!["(created_at < ?1 OR (created_at = ?1 AND id < ?2))"]);
        assert_eq!(order, "ORDER BY created_at DESC, id DESC LIMIT ?3");
        assert_eq!(b.finish(String::new()).params[2], crate::observe::sql::SqlValue::Int(3));
    }

    #[test]
    fn finish_cuts_the_lookahead_row() {
        let p = Page { limit: 2, cursor: None, before: None };
        let mut rows = vec![json!({"created_at": 9, "id": "c"}), json!({"created_at": 9, "id": "b"}), json!({"created_at": 8, "id": "a"})];
        let next = p.finish(&mut rows, "created_at", "id").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(Cursor::decode(&next), Some(Cursor { at: 9, id: "b".into() }));
        let mut last = vec![json!({"created_at": 1, "id": "z"})];
        assert_eq!(p.finish(&mut last, "created_at", "id"), None);
    }
}
