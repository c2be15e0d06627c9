//! Column filters from the query string, validated and written as a
//! parameterized `WHERE` clause — one table of filters per D1 table, the
//! same for analytics, log search and (with its own table) audit search.
//!
//! A filter repeated (`model=a&model=b`) matches any of its values.
//! An unknown parameter is refused with 400 naming it, so a typo never
//! silently widens a query.

use super::{bad_param, single, Binder, Query};
use crate::core::error::GatewayError;
use crate::observe::sql::SqlValue;

/// How a filter's values compare with its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    /// `column IN (values)`.
    Exact,
    /// As `Exact`, the value upper-cased (`hit` finds `HIT`).
    Upper,
    /// An HTTP status `429`, a class `4xx`, `error` (≥ 400) or `ok` (< 400).
    Status,
    /// `column >= value`, a whole number, given once.
    AtLeast,
    /// Exact, or a prefix when the value ends in `*` (`policy.*`).
    ExactOrPrefix,
}

#[derive(Debug)]
pub struct Filter {
    pub param: &'static str,
    column: &'static str,
    kind: Match,
}

const fn f(param: &'static str, column: &'static str, kind: Match) -> Filter {
    Filter { param, column, kind }
}

/// The filters a table accepts; `properties` allows `property.<name>=<value>`
/// over the `properties` JSON column.
pub struct FilterSet {
    pub filters: &'static [Filter],
    pub properties: bool,
}

/// `request_logs`: analytics, log search, sessions.
pub const REQUESTS: FilterSet = FilterSet {
    filters: &[
        f("key_id", "virtual_key_id", Match::Exact),
        f("agent_id", "agent_id", Match::Exact),
        f("department", "department", Match::Exact),
        f("model", "model", Match::Exact),
        f("provider", "provider", Match::Exact),
        f("endpoint", "endpoint", Match::Exact),
        f("status", "status", Match::Status),
        f("cache_status", "cache_status", Match::Upper),
        f("session_id", "session_id", Match::Exact),
        f("user_id", "user_id", Match::Exact),
        f("error_code", "error_code", Match::Exact),
        f("client_request_id", "client_request_id", Match::Exact),
        f("min_cost_nanos", "cost_nanos", Match::AtLeast),
    ],
    properties: true,
};

/// `audit_events`.
pub const AUDIT: FilterSet = FilterSet {
    filters: &[
        f("action", "action", Match::ExactOrPrefix),
        f("actor", "actor", Match::Exact),
        f("target_type", "target_type", Match::Exact),
        f("target_id", "target_id", Match::Exact),
        f("request_id", "request_id", Match::Exact),
    ],
    properties: false,
};

const MAX_VALUE_LEN: usize = 512;
/// Values over all filters: D1 binds at most 100 parameters per statement.
pub const MAX_VALUES: usize = 50;

/// A property name as the gateway records it: the header suffix of
/// `alephant-property-<name>`, lower-cased. Letters, digits, `-`, `_`, `.`
/// only, so that the JSON path built from it (bound, never interpolated)
/// always names exactly this key.
pub fn property_name(raw: &str, param: &str) -> Result<String, GatewayError> {
    let name = raw.to_ascii_lowercase();
    let ok = !name.is_empty() && name.len() <= 64 && name.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
    if ok {
        Ok(name)
    } else {
        Err(bad_param(param, format!("'{raw}' is not a property name (letters, digits, '-', '_', '.'; at most 64).")))
    }
}

/// The JSON path of a property in the `properties` column: `$."name"`.
pub fn property_path(name: &str) -> String {
    format!("$.\"{name}\"")
}

/// Inclusive-exclusive status ranges.
fn status_range(value: &str) -> Option<(u64, u64)> {
    match value.to_ascii_lowercase().as_str() {
        "error" | "errors" => Some((400, 1000)),
        "ok" | "success" => Some((0, 400)),
        v if v.len() == 3 && v.ends_with("xx") => {
            let class = v[..1].parse::<u64>().ok().filter(|c| (1..=5).contains(c))?;
            Some((class * 100, class * 100 + 100))
        }
        v => v.parse::<u64>().ok().filter(|s| (100..=599).contains(s)).map(|s| (s, s + 1)),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Condition {
    In { column: &'static str, values: Vec<SqlValue> },
    Status(Vec<(u64, u64)>),
    AtLeast { column: &'static str, value: u64 },
    Prefixes { column: &'static str, exact: Vec<String>, prefixes: Vec<String> },
    Property { name: String, values: Vec<String> },
}

/// Validated filters, ready to be written as SQL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    conditions: Vec<Condition>,
}

impl Filters {
    /// Reads every parameter of `query` not in `reserved` as a filter of `set`.
    pub fn parse(query: &Query, set: &FilterSet, reserved: &[&str]) -> Result<Filters, GatewayError> {
        let mut names: Vec<&str> = Vec::new();
        for (k, _) in query {
            if !reserved.contains(&k.as_str()) && !names.contains(&k.as_str()) {
                names.push(k);
            }
        }
        let given: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).filter(|k| !reserved.contains(k)).collect();
        if given.len() > MAX_VALUES {
            return Err(bad_param(given[MAX_VALUES], format!("At most {MAX_VALUES} filter values per query.")));
        }
        let mut conditions = Vec::new();
        for name in names {
            let values: Vec<&str> = query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect();
            for v in &values {
                if v.is_empty() {
                    return Err(bad_param(name, format!("'{name}' needs a value.")));
                }
                if v.len() > MAX_VALUE_LEN {
                    return Err(bad_param(name, format!("'{name}' is longer than {MAX_VALUE_LEN} characters.")));
                }
            }
            if let Some(prop) = name.strip_prefix("property.").filter(|_| set.properties) {
                let prop = property_name(prop, name)?;
                conditions.push(Condition::Property { name: prop, values: values.iter().map(|v| v.to_string()).collect() });
                continue;
            }
            let Some(filter) = set.filters.iter().find(|f| f.param == name) else {
                return Err(unknown_filter(name, set, reserved));
            };
            conditions.push(condition(filter, query, &values)?);
        }
        Ok(Filters { conditions })
    }

    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    /// One SQL condition per filter (to be joined with AND), parameters bound in `b`.
    pub fn sql(&self, b: &mut Binder) -> Vec<String> {
        self.conditions.iter().map(|c| condition_sql(c, b)).collect()
    }
}

fn unknown_filter(name: &str, set: &FilterSet, reserved: &[&str]) -> GatewayError {
    let mut known: Vec<String> = reserved.iter().map(|s| s.to_string()).collect();
    known.extend(set.filters.iter().map(|f| f.param.to_string()));
    if set.properties {
        known.push("property.<name>".into());
    }
    bad_param(name, format!("Unknown parameter '{name}'. Known: {}.", known.join(", ")))
}

fn condition(filter: &Filter, query: &Query, values: &[&str]) -> Result<Condition, GatewayError> {
    let p = filter.param;
    Ok(match filter.kind {
        Match::Exact => Condition::In { column: filter.column, values: values.iter().map(|v| SqlValue::from(*v)).collect() },
        Match::Upper => {
            Condition::In { column: filter.column, values: values.iter().map(|v| SqlValue::Text(v.to_ascii_uppercase())).collect() }
        }
        Match::Status => Condition::Status(
            values
                .iter()
                .map(|v| status_range(v).ok_or_else(|| bad_param(p, format!("'{p}' takes a status (429), a class (4xx), 'error' or 'ok'; not '{v}'."))))
                .collect::<Result<_, _>>()?,
        ),
        Match::AtLeast => {
            let v = single(query, p)?.unwrap_or_default();
            let value = v.parse::<u64>().ok().filter(|n| *n <= i64::MAX as u64).ok_or_else(|| bad_param(p, format!("'{p}' must be a whole number.")))?;
            Condition::AtLeast { column: filter.column, value }
        }
        Match::ExactOrPrefix => {
            let (mut exact, mut prefixes) = (Vec::new(), Vec::new());
            for v in values {
                match v.strip_suffix('*') {
                    Some(prefix) if prefix.contains('*') => return Err(bad_param(p, format!("'{p}' takes '*' only at the end."))),
                    Some(prefix) => prefixes.push(prefix.to_string()),
                    None if v.contains('*') => return Err(bad_param(p, format!("'{p}' takes '*' only at the end."))),
                    None => exact.push(v.to_string()),
                }
            }
            Condition::Prefixes { column: filter.column, exact, prefixes }
        }
    })
}

fn in_list(b: &mut Binder, values: impl IntoIterator<Item = SqlValue>) -> String {
    values.into_iter().map(|v| b.bind(v)).collect::<Vec<_>>().join(", ")
}

fn condition_sql(c: &Condition, b: &mut Binder) -> String {
    match c {
        Condition::In { column, values } => format!("{column} IN ({})", in_list(b, values.iter().cloned())),
        Condition::Status(ranges) => {
            let parts: Vec<String> = ranges
                .iter()
                .map(|(lo, hi)| {
                    let (lo, hi) = (b.bind(*lo), b.bind(*hi));
                    format!("(status >= {lo} AND status < {hi})")
                })
                .collect();
            format!("({})", parts.join(" OR "))
        }
        Condition::AtLeast { column, value } => format!("{column} >= {}", b.bind(*value)),
        Condition::Prefixes { column, exact, prefixes } => {
            let mut parts = Vec::new();
            if !exact.is_empty() {
                parts.push(format!("{column} IN ({})", in_list(b, exact.iter().map(|s| SqlValue::from(s.as_str())))));
            }
            for prefix in prefixes {
                // `>=` lets the (workspace, action, …) index start the range;
                // `substr` makes it exact (LIKE would be case-insensitive and treat _ and % as wildcards).
                let p = b.bind(prefix.as_str());
                parts.push(format!("({column} >= {p} AND substr({column}, 1, length({p})) = {p})"));
            }
            format!("({})", parts.join(" OR "))
        }
        Condition::Property { name, values } => {
            let path = b.bind(property_path(name));
            format!("json_extract(properties, {path}) IN ({})", in_list(b, values.iter().map(|s| SqlValue::from(s.as_str()))))
        }
    }
}

/// `from` / `to` (ms since the epoch, `from` inclusive, `to` exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    pub from: Option<u64>,
    pub to: Option<u64>,
}

/// Largest time accepted: 2^53 ms (exact in JavaScript numbers).
const MAX_MS: u64 = 1 << 53;

fn millis(query: &Query, name: &str) -> Result<Option<u64>, GatewayError> {
    single(query, name)?
        .map(|v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n <= MAX_MS)
                .ok_or_else(|| bad_param(name, format!("'{name}' must be a time in milliseconds since the epoch, not '{v}'.")))
        })
        .transpose()
}

impl TimeRange {
    pub fn parse(query: &Query) -> Result<TimeRange, GatewayError> {
        let range = TimeRange { from: millis(query, "from")?, to: millis(query, "to")? };
        if let (Some(from), Some(to)) = (range.from, range.to) {
            if from >= to {
                return Err(bad_param("from", format!("'from' ({from}) must be before 'to' ({to}).")));
            }
        }
        Ok(range)
    }

    /// Conditions on `column`.
    pub fn sql(&self, column: &str, b: &mut Binder) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(from) = self.from {
            out.push(format!("{column} >= {}", b.bind(from)));
        }
        if let Some(to) = self.to {
            out.push(format!("{column} < {}", b.bind(to)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn where_of(f: &Filters) -> (String, Vec<SqlValue>) {
        let mut b = Binder::default();
        let sql = f.sql(&mut b).join(" AND ");
        let s = b.finish(sql);
        (s.sql, s.params)
    }

    #[test]
    fn filters_become_bound_conditions() {
        let f = Filters::parse(&q(&[("model", "gpt-4o"), ("model", "x"), ("cache_status", "hit"), ("limit", "5")]), &REQUESTS, &["limit"]).unwrap();
        let (sql, params) = where_of(&f);
        assert_eq!(sql, "model IN (?1, ?2) AND cache_status IN (?3)");
        assert_eq!(params, vec!["gpt-4o".into(), "x".into(), SqlValue::Text("HIT".into())]);
    }

    #[test]
    fn key_filter_names_the_column() {
        let f = Filters::parse(&q(&[("key_id", "vk_1")]), &REQUESTS, &[]).unwrap();
        assert_eq!(where_of(&f).0, "virtual_key_id IN (?1)");
    }

    #[test]
    fn status_takes_codes_classes_and_words() {
        let f = Filters::parse(&q(&[("status", "5xx"), ("status", "429")]), &REQUESTS, &[]).unwrap();
        let (sql, params) = where_of(&f);
        assert_eq!(sql, "((status >= ?1 AND status < ?2) OR (status >= ?3 AND status < ?4))");
        assert_eq!(params, vec![SqlValue::Int(500), SqlValue::Int(600), SqlValue::Int(429), SqlValue::Int(430)]);
        assert_eq!(status_range("error"), Some((400, 1000)));
        assert_eq!(status_range("ok"), Some((0, 400)));
        for bad in ["6xx", "99", "abc", "4x", "600"] {
            assert!(status_range(bad).is_none(), "{bad}");
        }
        let e = Filters::parse(&q(&[("status", "teapot")]), &REQUESTS, &[]).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("status"));
    }

    #[test]
    fn properties_are_bound_paths_never_sql() {
        let f = Filters::parse(&q(&[("property.Team", "growth")]), &REQUESTS, &[]).unwrap();
        let (sql, params) = where_of(&f);
        assert_eq!(sql, "json_extract(properties, ?1) IN (?2)");
        assert_eq!(params, vec![SqlValue::Text("$.\"team\"".into()), "growth".into()]);
        for evil in ["property.a'b", "property.a\"b", "property.", "property.a)--", "property.a b"] {
            let e = Filters::parse(&q(&[(evil, "x")]), &REQUESTS, &[]).unwrap_err();
            assert_eq!(e.status, 400, "{evil}");
            assert_eq!(e.param.as_deref(), Some(evil));
        }
        assert!(Filters::parse(&q(&[("property.team", "x")]), &AUDIT, &[]).is_err(), "audit events have no properties");
    }

    #[test]
    fn unknown_and_empty_parameters_are_named() {
        let e = Filters::parse(&q(&[("modle", "x")]), &REQUESTS, &["limit"]).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("modle"));
        assert!(e.message.contains("Unknown parameter 'modle'") && e.message.contains("limit"), "{}", e.message);
        let e = Filters::parse(&q(&[("model", "")]), &REQUESTS, &[]).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("model"));
        let e = Filters::parse(&q(&[("min_cost_nanos", "-1")]), &REQUESTS, &[]).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("min_cost_nanos"));
        let e = Filters::parse(&q(&[("min_cost_nanos", "1"), ("min_cost_nanos", "2")]), &REQUESTS, &[]).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("min_cost_nanos"));
    }

    #[test]
    fn filter_values_are_bounded() {
        let many: Vec<(String, String)> = (0..=MAX_VALUES).map(|i| ("model".to_string(), format!("m{i}"))).collect();
        assert_eq!(Filters::parse(&many, &REQUESTS, &[]).unwrap_err().status, 400);
        assert!(Filters::parse(&many[1..], &REQUESTS, &[]).is_ok());
        let long = "x".repeat(MAX_VALUE_LEN + 1);
        assert!(Filters::parse(&q(&[("user_id", &long)]), &REQUESTS, &[]).is_err());
    }

    #[test]
    fn audit_actions_match_exactly_or_by_prefix() {
        let f = Filters::parse(&q(&[("action", "policy.*"), ("action", "key.created"), ("actor", "master")]), &AUDIT, &[]).unwrap();
        let (sql, params) = where_of(&f);
        assert_eq!(sql, "(action IN (?1) OR (action >= ?2 AND substr(action, 1, length(?2)) = ?2)) AND actor IN (?3)");
        assert_eq!(params, vec!["key.created".into(), "policy.".into(), "master".into()]);
        assert!(Filters::parse(&q(&[("action", "po*licy")]), &AUDIT, &[]).is_err());
        assert!(Filters::parse(&q(&[("action", "a**")]), &AUDIT, &[]).is_err());
        assert!(Filters::parse(&q(&[("model", "x")]), &AUDIT, &[]).is_err(), "request filters are not audit filters");
    }

    #[test]
    fn time_ranges_are_validated() {
        assert_eq!(TimeRange::parse(&q(&[])).unwrap(), TimeRange::default());
        let r = TimeRange::parse(&q(&[("from", "10"), ("to", "20")])).unwrap();
        let mut b = Binder::default();
        assert_eq!(r.sql("created_at", &mut b), vec!["created_at >= ?1", "created_at < ?2"]);
        for bad in [&[("from", "20"), ("to", "10")][..], &[("from", "5"), ("to", "5")], &[("from", "-1")], &[("to", "soon")], &[("to", "1e3")], &[("from", "1"), ("from", "2")]] {
            let e = TimeRange::parse(&q(bad)).unwrap_err();
            assert_eq!(e.status, 400, "{bad:?}");
        }
    }
}
