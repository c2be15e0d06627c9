//! The read side of observability, pure: query-string validation and the
//! parameterized SQL behind the admin API's analytics, log and audit
//! search, sessions and runs — plus what is assembled from the rows
//! (session trees, run margins, archived bodies). The handlers in
//! `api/admin/` only run these statements against D1 and send the result.
//!
//! Every value that comes from a request (filter values, property names,
//! cursors, time bounds) is bound as a parameter; only fixed column names
//! and expressions chosen from the tables below are written into the SQL.
//! D1 is SQLite: percentiles are computed in SQL with window functions
//! (nearest rank), never by pulling rows into the worker.

pub mod aggregate;
pub mod bodies;
pub mod cursor;
pub mod filters;
pub mod search;
pub mod sessions;

use crate::core::error::{GatewayError, ErrorCode};
use crate::observe::sql::SqlValue;
use serde_json::Value;

/// The query string, as decoded pairs in order.
pub type Query = [(String, String)];

/// One SQL statement and its parameters (`?1`, `?2`, … in order).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

/// Collects parameters while SQL is written; `bind` answers the new
/// parameter's placeholder, which may be used more than once.
#[derive(Debug, Default)]
pub struct Binder {
    params: Vec<SqlValue>,
}

impl Binder {
    pub fn bind(&mut self, value: impl Into<SqlValue>) -> String {
        self.params.push(value.into());
        format!("?{}", self.params.len())
    }

    pub fn finish(self, sql: String) -> Statement {
        Statement { sql, params: self.params }
    }
}

/// 400 naming the offending query parameter.
pub fn bad_param(param: &str, message: impl Into<String>) -> GatewayError {
    GatewayError::invalid_request(ErrorCode::InvalidParameter, message).with_param(param)
}

/// The one value of a parameter that may be given at most once.
pub fn single<'a>(query: &'a Query, name: &str) -> Result<Option<&'a str>, GatewayError> {
    let mut values = query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(bad_param(name, format!("'{name}' is given more than once.")));
    }
    Ok(first)
}

/// A whole number from a D1 result (D1 answers JS numbers; sums of
/// integers are integral), 0 when absent.
pub fn int(value: &Value) -> i64 {
    value.as_i64().or_else(|| value.as_u64().map(|n| n.min(i64::MAX as u64) as i64)).or_else(|| value.as_f64().map(|f| f as i64)).unwrap_or(0)
}

/// Nano-dollars as US dollars.
pub fn usd(nanos: i64) -> f64 {
    nanos as f64 / 1e9
}

/// `part / whole`, or null when nothing was counted.
pub fn ratio(part: i64, whole: i64) -> Value {
    if whole <= 0 {
        Value::Null
    } else {
        serde_json::json!(part as f64 / whole as f64)
    }
}

#[cfg(test)]
pub(crate) mod testdb;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_count_up_and_can_be_reused() {
        let mut b = Binder::default();
        let a = b.bind("x");
        let c = b.bind(5u64);
        let s = b.finish(format!("{a} {c} {a}"));
        assert_eq!(s.sql, "?1 ?2 ?1");
        assert_eq!(s.params, vec![SqlValue::Text("x".into()), SqlValue::Int(5)]);
    }

    #[test]
    fn single_refuses_repeats() {
        let q = vec![("a".to_string(), "1".to_string()), ("a".to_string(), "2".to_string())];
        assert_eq!(single(&q, "b").unwrap(), None);
        let e = single(&q, "a").unwrap_err();
        assert_eq!(e.status, 400);
        assert_eq!(e.param.as_deref(), Some("a"));
    }

    #[test]
    fn numbers_from_d1() {
        assert_eq!(int(&serde_json::json!(3)), 3);
        assert_eq!(int(&serde_json::json!(3.0)), 3);
        assert_eq!(int(&Value::Null), 0);
        assert_eq!(ratio(1, 4), serde_json::json!(0.25));
        assert_eq!(ratio(0, 0), Value::Null);
        assert!((usd(1_500_000_000) - 1.5).abs() < 1e-12);
    }
}
