//! Sessions and runs.
//!
//! A session is every request log and usage event of a workspace sharing a
//! `session_id`; `session_path` (`/plan/search/fetch`) places each request
//! in the session's tree. A run is a session bound to an agent (the agent
//! of the virtual key that made its requests, else of its usage events).
//! A session belongs to the period in which it started (its first request
//! or usage event) and its totals cover all of it, so a session is counted
//! in exactly one period and an agent's summary is the sum of its runs.
//!
//! Run economics: `model_cost` is the requests' cost; `tool_cost` the cost
//! of usage events of kind `tool_call`, `paid_endpoint` and `custom`;
//! `revenue` the revenue of events of kind `revenue`;
//! `margin = revenue − model_cost − tool_cost`.

use super::cursor::Page;
use super::filters::TimeRange;
use super::{bad_param, int, single, usd, Binder, Query, Statement};
use crate::core::error::GatewayError;
use serde_json::{json, Map, Value};

/// The money of a run, in nano-dollars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub model_cost_nanos: i64,
    pub tool_cost_nanos: i64,
    pub revenue_nanos: i64,
}

impl RunSummary {
    pub fn from_row(row: &Value) -> RunSummary {
        let n = |k: &str| row.get(k).map_or(0, int);
        RunSummary { model_cost_nanos: n("model_cost_nanos"), tool_cost_nanos: n("tool_cost_nanos"), revenue_nanos: n("revenue_nanos") }
    }

    pub fn margin_nanos(&self) -> i64 {
        self.revenue_nanos.saturating_sub(self.model_cost_nanos).saturating_sub(self.tool_cost_nanos)
    }

    pub fn to_json(self) -> Value {
        json!({
            "model_cost_nanos": self.model_cost_nanos,
            "model_cost_usd": usd(self.model_cost_nanos),
            "tool_cost_nanos": self.tool_cost_nanos,
            "tool_cost_usd": usd(self.tool_cost_nanos),
            "revenue_nanos": self.revenue_nanos,
            "revenue_usd": usd(self.revenue_nanos),
            "margin_nanos": self.margin_nanos(),
            "margin_usd": usd(self.margin_nanos()),
        })
    }
}

/// Which sessions a statement covers.
enum Scope<'a> {
    /// Sessions with activity in the range (narrowed to an agent's).
    Active { range: TimeRange, agent: Option<&'a str> },
    One(&'a str),
}

/// The per-session totals CTE `s` (session_id, agent_id, session_name,
/// requests, errors, tokens, usage_events, the three money sums, first_at,
/// last_at), for the sessions of `scope`. `ws` is the bound workspace.
fn sessions_cte(b: &mut Binder, ws: &str, scope: &Scope) -> String {
    let ids = match scope {
        Scope::One(id) => format!("SELECT {} AS session_id", b.bind(*id)),
        Scope::Active { range, agent } => {
            let part = |table: &str, b: &mut Binder| {
                let mut conds = vec![format!("workspace_id = {ws}"), "session_id IS NOT NULL".into()];
                conds.extend(range.sql("created_at", b));
                if let Some(a) = agent {
                    conds.push(format!("agent_id = {}", b.bind(*a)));
                }
                format!("SELECT session_id FROM {table} WHERE {}", conds.join(" AND "))
            };
            let logs = part("request_logs", b);
            let events = part("usage_events", b);
            format!("{logs} UNION {events}")
        }
    };
    format!(
        "ids AS ({ids}), \
         r AS (SELECT session_id, COUNT(*) AS requests, COALESCE(SUM(status >= 400), 0) AS errors, \
           COALESCE(SUM(cost_nanos), 0) AS model_cost_nanos, COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, \
           COALESCE(SUM(completion_tokens), 0) AS completion_tokens, MIN(created_at) AS first_at, MAX(created_at) AS last_at, \
           MIN(agent_id) AS agent_id, MIN(session_name) AS session_name \
           FROM request_logs WHERE workspace_id = {ws} AND session_id IS NOT NULL AND session_id IN (SELECT session_id FROM ids) GROUP BY session_id), \
         u AS (SELECT session_id, COUNT(*) AS usage_events, \
           COALESCE(SUM(CASE WHEN kind IN ('tool_call', 'paid_endpoint', 'custom') THEN cost_nanos ELSE 0 END), 0) AS tool_cost_nanos, \
           COALESCE(SUM(CASE WHEN kind = 'revenue' THEN revenue_nanos ELSE 0 END), 0) AS revenue_nanos, \
           MIN(created_at) AS first_at, MAX(created_at) AS last_at, MIN(agent_id) AS agent_id \
           FROM usage_events WHERE workspace_id = {ws} AND session_id IN (SELECT session_id FROM ids) GROUP BY session_id), \
         s AS (SELECT ids.session_id AS session_id, COALESCE(r.agent_id, u.agent_id) AS agent_id, r.session_name AS session_name, \
           COALESCE(r.requests, 0) AS requests, COALESCE(r.errors, 0) AS errors, \
           COALESCE(r.prompt_tokens, 0) AS prompt_tokens, COALESCE(r.completion_tokens, 0) AS completion_tokens, \
           COALESCE(u.usage_events, 0) AS usage_events, COALESCE(r.model_cost_nanos, 0) AS model_cost_nanos, \
           COALESCE(u.tool_cost_nanos, 0) AS tool_cost_nanos, COALESCE(u.revenue_nanos, 0) AS revenue_nanos, \
           MIN(COALESCE(r.first_at, u.first_at), COALESCE(u.first_at, r.first_at)) AS first_at, \
           MAX(COALESCE(r.last_at, u.last_at), COALESCE(u.last_at, r.last_at)) AS last_at \
           FROM ids LEFT JOIN r ON r.session_id = ids.session_id LEFT JOIN u ON u.session_id = ids.session_id \
           WHERE r.session_id IS NOT NULL OR u.session_id IS NOT NULL)"
    )
}

/// `GET …/sessions` and `GET …/runs`.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionList {
    pub agent_id: Option<String>,
    pub range: TimeRange,
    pub page: Page,
    /// Runs only: sessions bound to an agent.
    pub runs: bool,
}

const LIST_PARAMS: &[&str] = &["agent_id", "from", "to", "limit", "cursor"];

fn only_known(query: &Query, known: &[&str]) -> Result<(), GatewayError> {
    match query.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        Some((k, _)) => Err(bad_param(k, format!("Unknown parameter '{k}'. Known: {}.", known.join(", ")))),
        None => Ok(()),
    }
}

fn agent_param(query: &Query) -> Result<Option<String>, GatewayError> {
    match single(query, "agent_id")? {
        Some("") => Err(bad_param("agent_id", "'agent_id' needs a value.")),
        other => Ok(other.map(str::to_string)),
    }
}

impl SessionList {
    pub fn parse(query: &Query, runs: bool) -> Result<SessionList, GatewayError> {
        only_known(query, LIST_PARAMS)?;
        Ok(SessionList { agent_id: agent_param(query)?, range: TimeRange::parse(query)?, page: Page::parse(query, 50, 500)?, runs })
    }

    /// Newest sessions first (by start), `limit` + 1 rows.
    pub fn statement(&self, workspace_id: &str) -> Statement {
        let mut b = Binder::default();
        let ws = b.bind(workspace_id);
        let cte = sessions_cte(&mut b, &ws, &Scope::Active { range: self.range, agent: self.agent_id.as_deref() });
        let mut conds = self.range.sql("first_at", &mut b);
        if let Some(a) = &self.agent_id {
            conds.push(format!("agent_id = {}", b.bind(a.as_str())));
        }
        if self.runs {
            conds.push("agent_id IS NOT NULL".into());
        }
        conds.extend(self.page.sql("first_at", "session_id", &mut b));
        let filter = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        let order = self.page.order_and_limit("first_at", "session_id", &mut b);
        b.finish(format!("WITH {cte} SELECT * FROM s{filter} {order}"))
    }
}

/// One session's row of totals, with its run summary.
pub fn session_json(row: &Value) -> Value {
    let mut out = Map::new();
    for k in ["session_id", "session_name", "agent_id", "first_at", "last_at"] {
        out.insert(k.into(), row.get(k).cloned().unwrap_or(Value::Null));
    }
    for k in ["requests", "errors", "prompt_tokens", "completion_tokens", "usage_events"] {
        out.insert(k.into(), json!(row.get(k).map_or(0, int)));
    }
    let summary = RunSummary::from_row(row);
    out.insert("cost_nanos".into(), json!(summary.model_cost_nanos));
    out.insert("cost_usd".into(), json!(usd(summary.model_cost_nanos)));
    if let Value::Object(m) = summary.to_json() {
        out.extend(m);
    }
    Value::Object(out)
}

/// The cursor of a session list row.
pub fn next_cursor(page: &Page, rows: &mut Vec<Value>) -> Option<String> {
    page.finish(rows, "first_at", "session_id")
}

/// `GET …/agents/{agent}/summary`: the sum over the agent's runs started in the range.
pub fn agent_summary_statement(workspace_id: &str, agent_id: &str, range: TimeRange) -> Statement {
    let mut b = Binder::default();
    let ws = b.bind(workspace_id);
    let cte = sessions_cte(&mut b, &ws, &Scope::Active { range, agent: Some(agent_id) });
    let mut conds = range.sql("first_at", &mut b);
    conds.push(format!("agent_id = {}", b.bind(agent_id)));
    b.finish(format!(
        "WITH {cte} SELECT COUNT(*) AS runs, COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(errors), 0) AS errors, \
         COALESCE(SUM(usage_events), 0) AS usage_events, COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, \
         COALESCE(SUM(completion_tokens), 0) AS completion_tokens, COALESCE(SUM(model_cost_nanos), 0) AS model_cost_nanos, \
         COALESCE(SUM(tool_cost_nanos), 0) AS tool_cost_nanos, COALESCE(SUM(revenue_nanos), 0) AS revenue_nanos \
         FROM s WHERE {}",
        conds.join(" AND ")
    ))
}

pub fn parse_agent_summary(query: &Query) -> Result<TimeRange, GatewayError> {
    only_known(query, &["from", "to"])?;
    TimeRange::parse(query)
}

pub fn agent_summary_json(agent_id: &str, range: TimeRange, row: &Value) -> Value {
    let mut out = Map::new();
    out.insert("agent_id".into(), json!(agent_id));
    out.insert("from".into(), json!(range.from));
    out.insert("to".into(), json!(range.to));
    for k in ["runs", "requests", "errors", "usage_events", "prompt_tokens", "completion_tokens"] {
        out.insert(k.into(), json!(row.get(k).map_or(0, int)));
    }
    if let Value::Object(m) = RunSummary::from_row(row).to_json() {
        out.extend(m);
    }
    Value::Object(out)
}

/// Most requests (and usage events) a session answer holds.
pub const MAX_SESSION_ROWS: u64 = 5_000;

/// The statements of `GET …/sessions/{id}`: totals, requests in time
/// order, usage events in time order (each `MAX_SESSION_ROWS` + 1).
pub fn session_statements(workspace_id: &str, session_id: &str) -> [Statement; 3] {
    let mut b = Binder::default();
    let ws = b.bind(workspace_id);
    let cte = sessions_cte(&mut b, &ws, &Scope::One(session_id));
    let totals = b.finish(format!("WITH {cte} SELECT * FROM s"));
    let rows = |table: &str, cols: &str| {
        let mut b = Binder::default();
        let (ws, id, n) = (b.bind(workspace_id), b.bind(session_id), b.bind(MAX_SESSION_ROWS + 1));
        b.finish(format!("SELECT {cols} FROM {table} WHERE workspace_id = {ws} AND session_id = {id} ORDER BY created_at, id LIMIT {n}"))
    };
    [
        totals,
        rows(
            "request_logs",
            "id, created_at, session_path, session_name, agent_id, virtual_key_id, model, provider, status, error_code, \
             cost_nanos, latency_ms, ttft_ms, cache_status, prompt_tokens, completion_tokens",
        ),
        rows("usage_events", "*"),
    ]
}

/// A path's segments: `/plan//search/` → `["plan", "search"]`; at most 32 deep.
pub fn segments(path: Option<&str>) -> Vec<&str> {
    path.unwrap_or("").split('/').map(str::trim).filter(|s| !s.is_empty()).take(32).collect()
}

#[derive(Default)]
struct Node {
    name: String,
    path: String,
    requests: Vec<Value>,
    children: Vec<usize>,
}

/// The session tree from its requests (in time order): one node per path
/// segment, children in order of first appearance, each node's requests
/// in time order and `totals` over the node and everything below it.
pub fn tree(requests: &[Value]) -> Value {
    let mut nodes = vec![Node { name: "/".into(), path: "/".into(), ..Default::default() }];
    for r in requests {
        let mut at = 0;
        for seg in segments(r.get("session_path").and_then(Value::as_str)) {
            let found = nodes[at].children.iter().copied().find(|c| nodes[*c].name == seg);
            at = match found {
                Some(c) => c,
                None => {
                    let path = if at == 0 { format!("/{seg}") } else { format!("{}/{seg}", nodes[at].path) };
                    nodes.push(Node { name: seg.to_string(), path, ..Default::default() });
                    let id = nodes.len() - 1;
                    nodes[at].children.push(id);
                    id
                }
            };
        }
        let mut entry = Map::new();
        for k in ["id", "created_at", "model", "provider", "status", "error_code", "cost_nanos", "latency_ms", "ttft_ms", "cache_status", "prompt_tokens", "completion_tokens"] {
            entry.insert(k.into(), r.get(k).cloned().unwrap_or(Value::Null));
        }
        nodes[at].requests.push(Value::Object(entry));
    }
    node_json(&nodes, 0).0
}

#[derive(Default, Clone, Copy)]
struct Totals {
    requests: i64,
    errors: i64,
    cost_nanos: i64,
    prompt_tokens: i64,
    completion_tokens: i64,
    first_at: Option<i64>,
    last_at: Option<i64>,
}

impl Totals {
    fn add(&mut self, o: &Totals) {
        self.requests += o.requests;
        self.errors += o.errors;
        self.cost_nanos += o.cost_nanos;
        self.prompt_tokens += o.prompt_tokens;
        self.completion_tokens += o.completion_tokens;
        self.first_at = [self.first_at, o.first_at].into_iter().flatten().min();
        self.last_at = [self.last_at, o.last_at].into_iter().flatten().max();
    }

    fn of_request(r: &Value) -> Totals {
        let n = |k: &str| r.get(k).map_or(0, int);
        let at = r.get("created_at").filter(|v| !v.is_null()).map(int);
        Totals {
            requests: 1,
            errors: i64::from(n("status") >= 400),
            cost_nanos: n("cost_nanos"),
            prompt_tokens: n("prompt_tokens"),
            completion_tokens: n("completion_tokens"),
            first_at: at,
            last_at: at,
        }
    }

    fn to_json(self) -> Value {
        json!({
            "requests": self.requests,
            "errors": self.errors,
            "cost_nanos": self.cost_nanos,
            "cost_usd": usd(self.cost_nanos),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "first_at": self.first_at,
            "last_at": self.last_at,
        })
    }
}

fn node_json(nodes: &[Node], at: usize) -> (Value, Totals) {
    let node = &nodes[at];
    let mut totals = Totals::default();
    for r in &node.requests {
        totals.add(&Totals::of_request(r));
    }
    let mut children = Vec::with_capacity(node.children.len());
    for c in &node.children {
        let (json, t) = node_json(nodes, *c);
        totals.add(&t);
        children.push(json);
    }
    let json = json!({
        "name": node.name,
        "path": node.path,
        "totals": totals.to_json(),
        "requests": node.requests,
        "children": children,
    });
    (json, totals)
}

/// The answer of `GET …/sessions/{id}`, or None when the session has
/// neither requests nor usage events.
pub fn session_detail(totals: &[Value], requests: &[Value], events: &[Value]) -> Option<Value> {
    let row = totals.first()?;
    let max = usize::try_from(MAX_SESSION_ROWS).unwrap_or(usize::MAX);
    let truncated = requests.len() > max || events.len() > max;
    let requests = &requests[..requests.len().min(max)];
    let events: Vec<Value> = events.iter().take(max).cloned().map(|mut e| {
        if let Some(Value::String(text)) = e.get("metadata") {
            if let Ok(parsed) = serde_json::from_str::<Value>(text) {
                e["metadata"] = parsed;
            }
        }
        e
    }).collect();
    let mut out = match session_json(row) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    out.insert("object".into(), json!("session"));
    out.insert("tree".into(), tree(requests));
    out.insert("usage_events".into(), Value::Array(events));
    out.insert("run".into(), RunSummary::from_row(row).to_json());
    out.insert("truncated".into(), json!(truncated));
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::super::testdb::TestDb;
    use super::*;
    use serde_json::json;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn margin_is_revenue_less_both_costs() {
        let s = RunSummary { model_cost_nanos: 300, tool_cost_nanos: 200, revenue_nanos: 1_000 };
        assert_eq!(s.margin_nanos(), 500);
        let j = RunSummary { revenue_nanos: 0, ..s }.to_json();
        assert_eq!(j["margin_nanos"], -500);
        assert_eq!(j["margin_usd"], json!(-500e-9));
        assert_eq!(j["tool_cost_usd"], json!(200e-9));
    }

    #[test]
    fn paths_become_segments() {
        assert_eq!(segments(Some("/plan//search/ fetch/")), vec!["plan", "search", "fetch"]);
        assert!(segments(Some("/")).is_empty());
        assert!(segments(None).is_empty());
        assert_eq!(segments(Some(&"/a".repeat(100))).len(), 32);
    }

    #[test]
    fn the_tree_rolls_subtotals_up_to_the_root() {
        let r = |id: &str, at: i64, path: Option<&str>, status: i64, cost: i64| {
            json!({"id": id, "created_at": at, "session_path": path, "status": status, "cost_nanos": cost, "prompt_tokens": 1, "completion_tokens": 2})
        };
        let rows = vec![
            r("r1", 1, Some("/plan"), 200, 10),
            r("r2", 2, Some("/plan/search"), 200, 20),
            r("r3", 3, Some("/plan/search/fetch"), 500, 40),
            r("r4", 4, None, 200, 1),
            r("r5", 5, Some("/plan/write"), 200, 80),
            r("r6", 6, Some("/plan/search"), 429, 160),
        ];
        let t = tree(&rows);
        assert_eq!((t["path"].clone(), t["totals"]["requests"].clone(), t["totals"]["cost_nanos"].clone()), (json!("/"), json!(6), json!(311)));
        assert_eq!(t["requests"].as_array().unwrap().len(), 1, "r4 has no path: the root's own");
        let plan = &t["children"][0];
        assert_eq!(t["children"].as_array().unwrap().len(), 1);
        assert_eq!((plan["name"].clone(), plan["path"].clone()), (json!("plan"), json!("/plan")));
        assert_eq!(plan["totals"]["cost_nanos"], 310);
        assert_eq!(plan["totals"]["errors"], 2);
        assert_eq!(plan["totals"]["first_at"], 1);
        assert_eq!(plan["totals"]["last_at"], 6);
        let names: Vec<&str> = plan["children"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["search", "write"], "in order of first appearance");
        let search = &plan["children"][0];
        assert_eq!(search["path"], "/plan/search");
        assert_eq!(search["totals"]["cost_nanos"], 220);
        assert_eq!(search["totals"]["prompt_tokens"], 3);
        let ids: Vec<&str> = search["requests"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec!["r2", "r6"]);
        assert_eq!(search["children"][0]["path"], "/plan/search/fetch");
        assert_eq!(search["children"][0]["totals"]["requests"], 1);
    }

    fn seed(db: &TestDb) {
        let log = |id: &str, at: i64, session: &str, agent: Option<&str>, cost: i64, status: i64| {
            db.log(id, "ws", at, &[("session_id", session.into()), ("agent_id", agent.into()), ("cost_nanos", cost.into()), ("status", status.into()), ("session_name", "Research".into())]);
        };
        log("a1", 100, "s-a", Some("ag_1"), 300, 200);
        log("a2", 150, "s-a", Some("ag_1"), 200, 500);
        log("b1", 200, "s-b", None, 50, 200);
        log("c1", 400, "s-c", Some("ag_2"), 10, 200);
        let ev = |id: &str, at: i64, session: &str, agent: Option<&str>, kind: &str, cost: i64, revenue: i64| {
            db.usage(id, "ws", at, &[("session_id", session.into()), ("agent_id", agent.into()), ("kind", kind.into()), ("cost_nanos", cost.into()), ("revenue_nanos", revenue.into())]);
        };
        ev("u1", 120, "s-a", Some("ag_1"), "tool_call", 100, 0);
        ev("u2", 130, "s-a", Some("ag_1"), "paid_endpoint", 50, 0);
        ev("u3", 160, "s-a", Some("ag_1"), "revenue", 0, 2_000);
        ev("u4", 170, "s-a", Some("ag_1"), "custom", 25, 999);
        // A session with usage events only (no LLM request yet), started before s-a.
        ev("u5", 50, "s-d", Some("ag_1"), "tool_call", 7, 0);
        ev("u6", 60, "s-d", Some("ag_1"), "revenue", 0, 100);
        db.log("x", "other", 100, &[("session_id", "s-a".into()), ("cost_nanos", 1_000_000.into())]);
    }

    fn list(db: &TestDb, pairs: &[(&str, &str)], runs: bool) -> Vec<Value> {
        let l = SessionList::parse(&q(pairs), runs).unwrap();
        let mut rows = db.query(&l.statement("ws"));
        next_cursor(&l.page, &mut rows);
        rows.iter().map(session_json).collect()
    }

    #[test]
    fn sessions_have_totals_and_run_summaries() {
        let db = TestDb::new();
        seed(&db);
        let all = list(&db, &[], false);
        let ids: Vec<&str> = all.iter().map(|s| s["session_id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec!["s-c", "s-b", "s-a", "s-d"], "newest start first");
        let a = &all[2];
        assert_eq!((a["requests"].clone(), a["errors"].clone(), a["usage_events"].clone()), (json!(2), json!(1), json!(4)));
        assert_eq!((a["first_at"].clone(), a["last_at"].clone()), (json!(100), json!(170)));
        assert_eq!(a["agent_id"], "ag_1");
        assert_eq!(a["session_name"], "Research");
        assert_eq!(a["model_cost_nanos"], 500);
        assert_eq!(a["tool_cost_nanos"], 175, "tool_call + paid_endpoint + custom");
        assert_eq!(a["revenue_nanos"], 2_000, "revenue events only");
        assert_eq!(a["margin_nanos"], 2_000 - 500 - 175);
        let d = &all[3];
        assert_eq!((d["requests"].clone(), d["first_at"].clone(), d["margin_nanos"].clone()), (json!(0), json!(50), json!(93)));
        let runs = list(&db, &[], true);
        assert_eq!(runs.iter().map(|s| s["session_id"].as_str().unwrap()).collect::<Vec<_>>(), vec!["s-c", "s-a", "s-d"]);
        let ag1 = list(&db, &[("agent_id", "ag_1")], true);
        assert_eq!(ag1.len(), 2);
    }

    #[test]
    fn a_session_belongs_to_the_period_it_started_in() {
        let db = TestDb::new();
        seed(&db);
        let ids = |pairs: &[(&str, &str)]| list(&db, pairs, false).iter().map(|s| s["session_id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(ids(&[("from", "150"), ("to", "300")]), vec!["s-b"], "s-a started at 100");
        assert_eq!(ids(&[("from", "100"), ("to", "101")]), vec!["s-a"]);
        let s = list(&db, &[("from", "100"), ("to", "101")], false);
        assert_eq!(s[0]["requests"], 2, "totals cover the whole session");
    }

    #[test]
    fn session_pages_cover_every_session_once() {
        let db = TestDb::new();
        for i in 0..7 {
            db.log(&format!("r{i}"), "ws", 100, &[("session_id", format!("s{i}").into())]);
        }
        let mut seen = Vec::new();
        let mut query = q(&[("limit", "3")]);
        loop {
            let l = SessionList::parse(&query, false).unwrap();
            let mut rows = db.query(&l.statement("ws"));
            let next = next_cursor(&l.page, &mut rows);
            seen.extend(rows.iter().map(|r| r["session_id"].as_str().unwrap().to_string()));
            match next {
                Some(c) => {
                    query.retain(|(k, _)| k != "cursor");
                    query.push(("cursor".into(), c));
                }
                None => break,
            }
        }
        assert_eq!(seen, vec!["s6", "s5", "s4", "s3", "s2", "s1", "s0"]);
    }

    #[test]
    fn agent_summary_is_the_sum_of_its_runs() {
        let db = TestDb::new();
        seed(&db);
        let range = parse_agent_summary(&q(&[("from", "0"), ("to", "1000")])).unwrap();
        let rows = db.query(&agent_summary_statement("ws", "ag_1", range));
        let s = agent_summary_json("ag_1", range, &rows[0]);
        assert_eq!(s["runs"], 2);
        assert_eq!(s["model_cost_nanos"], 500);
        assert_eq!(s["tool_cost_nanos"], 182);
        assert_eq!(s["revenue_nanos"], 2_100);
        assert_eq!(s["margin_nanos"], 2_100 - 500 - 182);
        let runs = list(&db, &[("agent_id", "ag_1"), ("from", "0"), ("to", "1000")], true);
        let sum: i64 = runs.iter().map(|r| r["margin_nanos"].as_i64().unwrap()).sum();
        assert_eq!(json!(sum), s["margin_nanos"]);
        let none = db.query(&agent_summary_statement("ws", "ag_9", range));
        assert_eq!(agent_summary_json("ag_9", range, &none[0])["runs"], 0);
        assert!(parse_agent_summary(&q(&[("agent", "x")])).is_err());
    }

    #[test]
    fn session_detail_assembles_tree_events_and_run() {
        let db = TestDb::new();
        seed(&db);
        let [t, r, e] = session_statements("ws", "s-a");
        let d = session_detail(&db.query(&t), &db.query(&r), &db.query(&e)).unwrap();
        assert_eq!(d["session_id"], "s-a");
        assert_eq!(d["tree"]["totals"]["requests"], 2, "the other workspace's s-a is not included");
        assert_eq!(d["tree"]["totals"]["cost_nanos"], d["run"]["model_cost_nanos"]);
        assert_eq!(d["usage_events"].as_array().unwrap().len(), 4);
        assert_eq!(d["usage_events"][0]["metadata"], json!({}), "metadata is JSON");
        assert_eq!(d["run"]["margin_nanos"], 1_325);
        let [t, r, e] = session_statements("ws", "s-d");
        let d = session_detail(&db.query(&t), &db.query(&r), &db.query(&e)).unwrap();
        assert_eq!((d["requests"].clone(), d["run"]["margin_nanos"].clone()), (json!(0), json!(93)));
        let [t, r, e] = session_statements("ws", "nope");
        assert!(session_detail(&db.query(&t), &db.query(&r), &db.query(&e)).is_none());
    }

    #[test]
    fn sessions_are_read_through_the_indexes() {
        let db = TestDb::new();
        let st = SessionList::parse(&q(&[("from", "1"), ("to", "2")]), false).unwrap().statement("ws");
        let plan = db.plan(&st);
        for index in ["request_logs_by_time", "usage_events_by_time", "request_logs_by_session", "usage_events_by_session"] {
            assert!(plan.contains(index), "{index} unused:\n{plan}");
        }
        assert!(!plan.contains("SCAN request_logs") && !plan.contains("SCAN usage_events"), "{plan}");
    }

    #[test]
    fn list_parameters_are_validated() {
        assert!(SessionList::parse(&q(&[("agent", "x")]), false).is_err());
        assert!(SessionList::parse(&q(&[("agent_id", "")]), false).is_err());
        assert!(SessionList::parse(&q(&[("from", "9"), ("to", "1")]), true).is_err());
    }
}
