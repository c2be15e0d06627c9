//! `GET …/analytics`: request metrics over a time range, in total and per
//! group of up to three dimensions, for the requests matching the filters.
//!
//! One statement per answer part (totals, groups), each a single pass over
//! the matching rows: a CTE computes the group keys, window functions rank
//! latencies and times to first token within each group, and the outer
//! aggregate picks the nearest-rank percentiles — all in SQLite.

use super::filters::{property_name, property_path, Filters, TimeRange, REQUESTS};
use super::{bad_param, int, ratio, single, usd, Binder, Query, Statement};
use crate::core::error::GatewayError;
use serde_json::{json, Map, Value};

const DAY_MS: u64 = 24 * 3_600 * 1_000;
pub const MAX_DIMS: usize = 3;
const RESERVED: &[&str] = &["from", "to", "group_by", "limit"];

/// What requests are grouped by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    Key,
    Agent,
    Department,
    Model,
    Provider,
    Endpoint,
    Status,
    CacheStatus,
    User,
    Session,
    /// A value of the `properties` JSON column.
    Property(String),
    /// A guardrail that found something (`email`, a rule id): a request
    /// counts once in each guardrail's group; requests with no findings
    /// form the `null` group.
    Guardrail,
    /// UTC day, `2026-11-20`.
    Day,
    /// UTC hour, `2026-11-20T13:00:00Z`.
    Hour,
}

pub const DIM_NAMES: &str = "key, agent, department, model, provider, endpoint, status, cache_status, user, session, guardrail, property:<name>, day, hour";

impl Dim {
    pub fn parse(text: &str) -> Result<Dim, GatewayError> {
        Ok(match text {
            "key" => Dim::Key,
            "agent" => Dim::Agent,
            "department" => Dim::Department,
            "model" => Dim::Model,
            "provider" => Dim::Provider,
            "endpoint" => Dim::Endpoint,
            "status" => Dim::Status,
            "cache_status" => Dim::CacheStatus,
            "user" => Dim::User,
            "session" => Dim::Session,
            "guardrail" => Dim::Guardrail,
            "day" => Dim::Day,
            "hour" => Dim::Hour,
            other => match other.strip_prefix("property:") {
                Some(name) => Dim::Property(property_name(name, "group_by")?),
                None => return Err(bad_param("group_by", format!("Unknown dimension '{other}' in 'group_by'. Known: {DIM_NAMES}."))),
            },
        })
    }

    /// The dimension's name in answers (as given in `group_by`).
    pub fn name(&self) -> String {
        match self {
            Dim::Key => "key".into(),
            Dim::Agent => "agent".into(),
            Dim::Department => "department".into(),
            Dim::Model => "model".into(),
            Dim::Provider => "provider".into(),
            Dim::Endpoint => "endpoint".into(),
            Dim::Status => "status".into(),
            Dim::CacheStatus => "cache_status".into(),
            Dim::User => "user".into(),
            Dim::Session => "session".into(),
            Dim::Guardrail => "guardrail".into(),
            Dim::Property(p) => format!("property:{p}"),
            Dim::Day => "day".into(),
            Dim::Hour => "hour".into(),
        }
    }

    fn is_time(&self) -> bool {
        matches!(self, Dim::Day | Dim::Hour)
    }

    /// The SQL expression of the group key (a property's path is bound).
    fn expr(&self, b: &mut Binder) -> String {
        match self {
            Dim::Key => "virtual_key_id".into(),
            Dim::Agent => "agent_id".into(),
            Dim::Department => "department".into(),
            Dim::Model => "model".into(),
            Dim::Provider => "provider".into(),
            Dim::Endpoint => "endpoint".into(),
            Dim::Status => "status".into(),
            Dim::CacheStatus => "cache_status".into(),
            Dim::User => "user_id".into(),
            Dim::Session => "session_id".into(),
            Dim::Guardrail => "json_extract(gr.value, '$.detector')".into(),
            Dim::Property(p) => format!("json_extract(properties, {})", b.bind(property_path(p))),
            Dim::Day => "strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')".into(),
            Dim::Hour => "strftime('%Y-%m-%dT%H:00:00Z', created_at / 1000, 'unixepoch')".into(),
        }
    }
}

/// `group_by=model,day`: up to three distinct dimensions.
pub fn parse_dims(text: Option<&str>) -> Result<Vec<Dim>, GatewayError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else { return Ok(Vec::new()) };
    let mut dims: Vec<Dim> = Vec::new();
    for part in text.split(',').map(str::trim) {
        let dim = Dim::parse(part)?;
        if dims.contains(&dim) {
            return Err(bad_param("group_by", format!("'{part}' appears twice in 'group_by'.")));
        }
        dims.push(dim);
    }
    if dims.len() > MAX_DIMS {
        return Err(bad_param("group_by", format!("'group_by' takes at most {MAX_DIMS} dimensions.")));
    }
    Ok(dims)
}

/// A validated analytics request.
#[derive(Debug, Clone, PartialEq)]
pub struct Analytics {
    pub from: u64,
    pub to: u64,
    pub dims: Vec<Dim>,
    pub filters: Filters,
    /// Most groups answered (the first ones in answer order).
    pub limit: u64,
}

impl Analytics {
    /// `from` defaults to a day before `to`, `to` to `now`.
    pub fn parse(query: &Query, now: u64) -> Result<Analytics, GatewayError> {
        let range = TimeRange::parse(query)?;
        let to = range.to.unwrap_or_else(|| range.from.map_or(now, |f| now.max(f + 1)));
        let from = range.from.unwrap_or_else(|| to.saturating_sub(DAY_MS));
        let dims = parse_dims(single(query, "group_by")?)?;
        let limit = match single(query, "limit")? {
            None => 100,
            Some(v) => v.parse::<u64>().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| bad_param("limit", "'limit' (groups) must be between 1 and 1000."))?,
        };
        let filters = Filters::parse(query, &REQUESTS, RESERVED)?;
        Ok(Analytics { from, to, dims, filters, limit })
    }

    /// The totals (one row) over every matching request.
    pub fn totals_statement(&self, workspace_id: &str) -> Statement {
        self.statement(workspace_id, &[], None)
    }

    /// One row per group (`limit` + 1, to tell whether some were left out).
    pub fn groups_statement(&self, workspace_id: &str) -> Option<Statement> {
        (!self.dims.is_empty()).then(|| self.statement(workspace_id, &self.dims, Some(self.limit + 1)))
    }

    fn statement(&self, workspace_id: &str, dims: &[Dim], limit: Option<u64>) -> Statement {
        let mut b = Binder::default();
        let keys: Vec<String> = (0..dims.len()).map(|i| format!("g{i}")).collect();
        let key_exprs: Vec<String> = dims.iter().zip(&keys).map(|(d, k)| format!("{} AS {k}", d.expr(&mut b))).collect();
        let mut conds = vec![format!("workspace_id = {}", b.bind(workspace_id))];
        conds.push(format!("created_at >= {}", b.bind(self.from)));
        conds.push(format!("created_at < {}", b.bind(self.to)));
        conds.extend(self.filters.sql(&mut b));
        let mut base_cols = key_exprs;
        base_cols.extend(
            ["status", "prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens", "cost_nanos", "cost_saved_nanos", "cache_status", "latency_ms", "ttft_ms"]
                .map(String::from),
        );
        let partition = if keys.is_empty() { String::new() } else { format!("PARTITION BY {}", keys.join(", ")) };
        let rank = |col: &str| format!("ROW_NUMBER() OVER ({partition} ORDER BY {col} IS NULL, {col}) AS {col}_rank, COUNT({col}) OVER ({partition}) AS {col}_n");
        // Nearest rank: the ceil(p/100 * n)-th smallest value (NULLs rank last and are not counted).
        let pct = |col: &str, p: u32, name: &str| format!("MAX(CASE WHEN {col}_rank = ({col}_n * {p} + 99) / 100 THEN {col} END) AS {name}");
        let mut select = keys.clone();
        select.extend([
            "COUNT(*) AS requests".to_string(),
            "COALESCE(SUM(status >= 400), 0) AS errors".into(),
            "COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens".into(),
            "COALESCE(SUM(completion_tokens), 0) AS completion_tokens".into(),
            "COALESCE(SUM(cached_tokens), 0) AS cached_tokens".into(),
            "COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens".into(),
            "COALESCE(SUM(cost_nanos), 0) AS cost_nanos".into(),
            "COALESCE(SUM(cost_saved_nanos), 0) AS cost_saved_nanos".into(),
            "COALESCE(SUM(cache_status IN ('HIT', 'SEMANTIC_HIT')), 0) AS cache_hits".into(),
            "COALESCE(SUM(cache_status = 'MISS'), 0) AS cache_misses".into(),
            pct("latency_ms", 50, "latency_p50_ms"),
            pct("latency_ms", 95, "latency_p95_ms"),
            pct("latency_ms", 99, "latency_p99_ms"),
            pct("ttft_ms", 50, "ttft_p50_ms"),
            pct("ttft_ms", 95, "ttft_p95_ms"),
        ]);
        // Grouping by guardrail joins each request to its findings, one row
        // per distinct guardrail (the first finding of each stands for it).
        let source = match dims.contains(&Dim::Guardrail) {
            false => format!("request_logs WHERE {}", conds.join(" AND ")),
            true => format!(
                "(SELECT * FROM request_logs WHERE {}) AS r LEFT JOIN json_each(r.guardrails) AS gr \
                 WHERE gr.key IS NULL OR gr.key = (SELECT MIN(x.key) FROM json_each(r.guardrails) AS x \
                 WHERE json_extract(x.value, '$.detector') = json_extract(gr.value, '$.detector'))",
                conds.join(" AND ")
            ),
        };
        let mut sql = format!(
            "WITH base AS (SELECT {} FROM {source}), ranked AS (SELECT *, {}, {} FROM base) SELECT {} FROM ranked",
            base_cols.join(", "),
            rank("latency_ms"),
            rank("ttft_ms"),
            select.join(", "),
        );
        if !keys.is_empty() {
            // Time buckets in order, then the largest groups first; keys break ties.
            let mut order: Vec<String> = dims.iter().zip(&keys).filter(|(d, _)| d.is_time()).map(|(_, k)| k.clone()).collect();
            order.push("requests DESC".into());
            order.extend(dims.iter().zip(&keys).filter(|(d, _)| !d.is_time()).map(|(_, k)| k.clone()));
            sql.push_str(&format!(" GROUP BY {} ORDER BY {}", keys.join(", "), order.join(", ")));
        }
        if let Some(limit) = limit {
            sql.push_str(&format!(" LIMIT {}", b.bind(limit)));
        }
        b.finish(sql)
    }

    /// The answer, from the rows of the two statements.
    pub fn response(&self, workspace_id: &str, totals: &[Value], groups: &[Value]) -> Value {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let truncated = groups.len() > limit;
        let groups: Vec<Value> = groups.iter().take(limit).map(|row| self.group(row)).collect();
        json!({
            "object": "analytics",
            "workspace_id": workspace_id,
            "from": self.from,
            "to": self.to,
            "group_by": self.dims.iter().map(Dim::name).collect::<Vec<_>>(),
            "totals": metrics(totals.first().unwrap_or(&Value::Null)),
            "groups": groups,
            "truncated": truncated,
        })
    }

    /// `{ "group": { dim: value, … }, …metrics }`.
    fn group(&self, row: &Value) -> Value {
        let mut key = Map::new();
        for (i, d) in self.dims.iter().enumerate() {
            key.insert(d.name(), row.get(format!("g{i}")).cloned().unwrap_or(Value::Null));
        }
        let mut out = Map::new();
        out.insert("group".into(), Value::Object(key));
        if let Value::Object(m) = metrics(row) {
            out.extend(m);
        }
        Value::Object(out)
    }
}

/// The metrics of one result row, with the derived rates and USD forms.
pub fn metrics(row: &Value) -> Value {
    let n = |k: &str| row.get(k).map_or(0, int);
    let opt = |k: &str| row.get(k).filter(|v| !v.is_null()).map_or(Value::Null, |v| json!(int(v)));
    let (requests, errors, hits, misses) = (n("requests"), n("errors"), n("cache_hits"), n("cache_misses"));
    json!({
        "requests": requests,
        "errors": errors,
        "error_rate": ratio(errors, requests),
        "prompt_tokens": n("prompt_tokens"),
        "completion_tokens": n("completion_tokens"),
        "cached_tokens": n("cached_tokens"),
        "reasoning_tokens": n("reasoning_tokens"),
        "cost_nanos": n("cost_nanos"),
        "cost_usd": usd(n("cost_nanos")),
        "cost_saved_nanos": n("cost_saved_nanos"),
        "cost_saved_usd": usd(n("cost_saved_nanos")),
        "cache_hits": hits,
        "cache_misses": misses,
        "cache_hit_ratio": ratio(hits, hits + misses),
        "latency_p50_ms": opt("latency_p50_ms"),
        "latency_p95_ms": opt("latency_p95_ms"),
        "latency_p99_ms": opt("latency_p99_ms"),
        "ttft_p50_ms": opt("ttft_p50_ms"),
        "ttft_p95_ms": opt("ttft_p95_ms"),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testdb::TestDb;
    use super::*;
    use serde_json::json;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn run(db: &TestDb, pairs: &[(&str, &str)]) -> Value {
        let a = Analytics::parse(&q(pairs), 10_000_000).unwrap();
        let totals = db.query(&a.totals_statement("ws"));
        let groups = a.groups_statement("ws").map(|s| db.query(&s)).unwrap_or_default();
        a.response("ws", &totals, &groups)
    }

    #[test]
    fn parameters_are_validated_and_named() {
        let a = Analytics::parse(&q(&[("group_by", "model,property:Team,day"), ("from", "5"), ("to", "9")]), 100).unwrap();
        assert_eq!(a.dims, vec![Dim::Model, Dim::Property("team".into()), Dim::Day]);
        assert_eq!((a.from, a.to), (5, 9));
        let a = Analytics::parse(&q(&[]), 100 * DAY_MS).unwrap();
        assert_eq!((a.from, a.to), (99 * DAY_MS, 100 * DAY_MS), "the last day by default");
        for (pairs, param) in [
            (&[("group_by", "modle")][..], "group_by"),
            (&[("group_by", "model,model")], "group_by"),
            (&[("group_by", "model,key,agent,user")], "group_by"),
            (&[("group_by", "property:a'b")], "group_by"),
            (&[("from", "9"), ("to", "5")], "from"),
            (&[("to", "x")], "to"),
            (&[("limit", "0")], "limit"),
            (&[("colour", "red")], "colour"),
            (&[("group_by", "model"), ("group_by", "day")], "group_by"),
        ] {
            let e = Analytics::parse(&q(pairs), 100).unwrap_err();
            assert_eq!((e.status, e.param.as_deref()), (400, Some(param)), "{pairs:?}");
        }
        let e = Analytics::parse(&q(&[("group_by", "colour")]), 100).unwrap_err();
        assert!(e.message.contains("'colour'"), "{}", e.message);
    }

    #[test]
    fn user_input_never_reaches_the_sql_text() {
        let evil = "x') OR 1=1 --";
        let a = Analytics::parse(&q(&[("group_by", "property:team,model"), ("model", evil), ("property.team", evil)]), 100).unwrap();
        for s in [a.totals_statement("ws"), a.groups_statement("ws").unwrap()] {
            assert!(!s.sql.contains(evil) && !s.sql.contains("team"), "{}", s.sql);
            assert!(s.params.contains(&crate::observe::sql::SqlValue::Text(evil.into())));
        }
    }

    fn seed(db: &TestDb) {
        // 10 requests at latencies 10..=100 for model a, 2 for model b; hour 0 and hour 1 of day 0.
        for i in 1..=10i64 {
            let status = if i == 3 { 500 } else { 200 };
            let cache = match i {
                1 | 2 => "HIT",
                3 => "SEMANTIC_HIT",
                4 => "MISS",
                _ => "BYPASS",
            };
            db.log(
                &format!("a{i}"),
                "ws",
                i * 1000,
                &[
                    ("model", "a".into()),
                    ("status", status.into()),
                    ("latency_ms", (i * 10).into()),
                    ("ttft_ms", (i * 5).into()),
                    ("prompt_tokens", 10.into()),
                    ("completion_tokens", i.into()),
                    ("cost_nanos", 100.into()),
                    ("cost_saved_nanos", 7.into()),
                    ("cache_status", cache.into()),
                    ("properties", json!({"team": if i % 2 == 0 { "even" } else { "odd" }}).to_string().into()),
                ],
            );
        }
        db.log("b1", "ws", 3_600_000 + 1, &[("model", "b".into()), ("status", 429.into()), ("latency_ms", 7.into()), ("cost_nanos", 1.into())]);
        db.log("b2", "ws", 3_600_000 + 2, &[("model", "b".into()), ("properties", json!({"team": "odd"}).to_string().into())]);
        db.log("other", "ws2", 5, &[("model", "a".into()), ("cost_nanos", 1_000_000.into())]);
    }

    #[test]
    fn totals_and_percentiles_are_computed_in_sql() {
        let db = TestDb::new();
        seed(&db);
        let r = run(&db, &[("from", "0"), ("to", "10000000")]);
        let t = &r["totals"];
        assert_eq!(t["requests"], 12);
        assert_eq!(t["errors"], 2);
        assert_eq!(t["error_rate"], json!(2.0 / 12.0));
        assert_eq!(t["prompt_tokens"], 100);
        assert_eq!(t["completion_tokens"], 55);
        assert_eq!(t["cost_nanos"], 1001);
        assert_eq!(t["cost_usd"], json!(1001e-9));
        assert_eq!(t["cost_saved_nanos"], 70);
        assert_eq!(t["cache_hits"], 3);
        assert_eq!(t["cache_misses"], 1);
        assert_eq!(t["cache_hit_ratio"], json!(0.75));
        // Latencies 7, 10, 20, …, 100 (b2 has none): 11 values. Nearest rank.
        assert_eq!(t["latency_p50_ms"], 50, "6th of 11");
        assert_eq!(t["latency_p95_ms"], 100, "11th of 11");
        assert_eq!(t["latency_p99_ms"], 100);
        assert_eq!(t["ttft_p50_ms"], 25, "5th of 10");
        assert_eq!(t["ttft_p95_ms"], 50);
        assert_eq!(r["groups"], json!([]));
    }

    #[test]
    fn a_request_counts_once_per_guardrail_it_tripped() {
        let db = TestDb::new();
        let findings = |v: Value| ("guardrails", v.to_string().into());
        let email_twice = json!([
            {"detector": "email", "direction": "input", "action": "tokenize", "count": 2},
            {"detector": "email", "direction": "output", "action": "redact", "count": 1},
            {"detector": "card", "direction": "input", "action": "block", "count": 1}
        ]);
        db.log("g1", "ws", 10, &[findings(email_twice), ("status", 400.into())]);
        db.log("g2", "ws", 11, &[findings(json!([{"detector": "email", "direction": "input", "action": "log", "count": 1}]))]);
        db.log("g3", "ws", 12, &[]);
        db.log("g4", "ws2", 13, &[findings(json!([{"detector": "email", "direction": "input", "action": "log", "count": 1}]))]);
        let r = run(&db, &[("from", "0"), ("to", "100"), ("group_by", "guardrail")]);
        let groups: Vec<(Value, Value, Value)> =
            r["groups"].as_array().unwrap().iter().map(|g| (g["group"]["guardrail"].clone(), g["requests"].clone(), g["errors"].clone())).collect();
        assert_eq!(groups, vec![(json!("email"), json!(2), json!(1)), (Value::Null, json!(1), json!(0)), (json!("card"), json!(1), json!(1))]);
        assert_eq!(r["totals"]["requests"], 3, "totals count each request once");
    }

    #[test]
    fn groups_partition_the_totals() {
        let db = TestDb::new();
        seed(&db);
        let r = run(&db, &[("from", "0"), ("to", "10000000"), ("group_by", "model,property:team")]);
        let groups = r["groups"].as_array().unwrap();
        let keys: Vec<Value> = groups.iter().map(|g| g["group"].clone()).collect();
        assert_eq!(
            keys,
            vec![
                json!({"model": "a", "property:team": "even"}),
                json!({"model": "a", "property:team": "odd"}),
                json!({"model": "b", "property:team": null}),
                json!({"model": "b", "property:team": "odd"}),
            ]
        );
        for m in ["requests", "errors", "cost_nanos", "completion_tokens", "cache_hits"] {
            let sum: i64 = groups.iter().map(|g| g[m].as_i64().unwrap()).sum();
            assert_eq!(json!(sum), r["totals"][m], "{m}");
        }
        let even = &groups[0];
        assert_eq!(even["latency_p50_ms"], 60, "20,40,60,80,100: 3rd");
        let b_null = &groups[2];
        assert_eq!((b_null["requests"].clone(), b_null["latency_p50_ms"].clone(), b_null["ttft_p50_ms"].clone()), (json!(1), json!(7), Value::Null));
    }

    #[test]
    fn time_buckets_come_in_order_and_filters_apply() {
        let db = TestDb::new();
        seed(&db);
        let r = run(&db, &[("from", "0"), ("to", "10000000"), ("group_by", "hour"), ("status", "ok")]);
        let groups = r["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0]["group"], json!({"hour": "1970-01-01T00:00:00Z"}));
        assert_eq!(groups[0]["requests"], 9);
        assert_eq!(groups[1]["group"], json!({"hour": "1970-01-01T01:00:00Z"}));
        assert_eq!(groups[1]["requests"], 1);
        let r = run(&db, &[("from", "0"), ("to", "10000000"), ("group_by", "day"), ("property.team", "odd"), ("cache_status", "hit")]);
        assert_eq!(r["groups"].as_array().unwrap().len(), 1);
        assert_eq!(r["groups"][0]["group"], json!({"day": "1970-01-01"}));
        assert_eq!(r["totals"]["requests"], 1, "a1 is the odd HIT");
        assert_eq!(r["groups"][0]["requests"], 1);
        let r = run(&db, &[("from", "2000"), ("to", "4000")]);
        assert_eq!(r["totals"]["requests"], 2, "from inclusive, to exclusive");
    }

    #[test]
    fn too_many_groups_are_cut_and_flagged() {
        let db = TestDb::new();
        seed(&db);
        let r = run(&db, &[("from", "0"), ("to", "10000000"), ("group_by", "status"), ("limit", "1")]);
        assert_eq!(r["groups"].as_array().unwrap().len(), 1);
        assert_eq!(r["groups"][0]["group"], json!({"status": 200}));
        assert_eq!(r["truncated"], true);
    }

    #[test]
    fn an_empty_range_has_zero_totals() {
        let db = TestDb::new();
        let r = run(&db, &[("from", "0"), ("to", "10")]);
        assert_eq!(r["totals"]["requests"], 0);
        assert_eq!(r["totals"]["error_rate"], Value::Null);
        assert_eq!(r["totals"]["latency_p50_ms"], Value::Null);
    }
}
