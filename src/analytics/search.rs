//! Log and audit search: filters, a time range and a page, newest first.

use super::cursor::{Page, PAGE_PARAMS};
use super::filters::{FilterSet, Filters, TimeRange, AUDIT, REQUESTS};
use super::{Binder, Query, Statement};
use crate::core::error::GatewayError;

/// A validated search over one table of the workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    table: &'static str,
    pub filters: Filters,
    pub range: TimeRange,
    pub page: Page,
}

const RANGE_PARAMS: &[&str] = &["from", "to"];

fn parse(table: &'static str, set: &FilterSet, query: &Query) -> Result<Search, GatewayError> {
    let reserved: Vec<&str> = PAGE_PARAMS.iter().chain(RANGE_PARAMS).copied().collect();
    Ok(Search { table, filters: Filters::parse(query, set, &reserved)?, range: TimeRange::parse(query)?, page: Page::parse(query, 50, 500)? })
}

impl Search {
    /// `GET …/logs`.
    pub fn logs(query: &Query) -> Result<Search, GatewayError> {
        parse("request_logs", &REQUESTS, query)
    }

    /// `GET …/audit-events`.
    pub fn audit(query: &Query) -> Result<Search, GatewayError> {
        parse("audit_events", &AUDIT, query)
    }

    pub fn statement(&self, workspace_id: &str) -> Statement {
        let mut b = Binder::default();
        let mut conds = vec![format!("workspace_id = {}", b.bind(workspace_id))];
        conds.extend(self.range.sql("created_at", &mut b));
        conds.extend(self.page.sql("created_at", "id", &mut b));
        conds.extend(self.filters.sql(&mut b));
        let order = self.page.order_and_limit("created_at", "id", &mut b);
        b.finish(format!("SELECT * FROM {} WHERE {} {order}", self.table, conds.join(" AND ")))
    }
}

#[cfg(test)]
mod tests {
    use super::super::cursor::Cursor;
    use super::super::testdb::TestDb;
    use super::*;
    use serde_json::Value;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_statement_binds_everything() {
        let s = Search::logs(&q(&[("model", "m"), ("from", "1"), ("limit", "3")])).unwrap();
        let st = s.statement("ws");
        assert_eq!(
            st.sql,
            "SELECT * FROM request_logs WHERE workspace_id = ?1 AND created_at >= ?2 AND model IN (?3) ORDER BY created_at DESC, id DESC LIMIT ?4"
        );
        assert_eq!(st.params.len(), 4);
        assert!(Search::audit(&q(&[("model", "m")])).is_err());
    }

    /// Every row of a filtered search, page by page, exactly once — with
    /// many rows sharing a timestamp.
    #[test]
    fn pages_return_every_matching_row_once() {
        let db = TestDb::new();
        for i in 0..23 {
            let model = if i % 3 == 0 { "a" } else { "b" };
            db.log(&format!("r{i:02}"), "ws", 1_000 + (i / 5) as i64, &[("model", model.into()), ("status", 200.into())]);
        }
        db.log("other", "ws2", 1_000, &[("model", "b".into())]);
        let mut seen = Vec::new();
        let mut query = q(&[("model", "b"), ("limit", "4")]);
        loop {
            let s = Search::logs(&query).unwrap();
            let mut rows = db.query(&s.statement("ws"));
            let next = s.page.finish(&mut rows, "created_at", "id");
            seen.extend(rows.iter().map(|r| r["id"].as_str().unwrap_or_default().to_string()));
            match next {
                Some(c) => {
                    query.retain(|(k, _)| k != "cursor");
                    query.push(("cursor".into(), c));
                }
                None => break,
            }
        }
        let mut expected: Vec<String> = (0..23).filter(|i| i % 3 != 0).map(|i| format!("r{i:02}")).collect();
        expected.sort_by(|a, b| b.cmp(a));
        assert_eq!(seen, expected, "newest first, ties by id, each once");
    }

    #[test]
    fn before_and_time_ranges_narrow_the_search() {
        let db = TestDb::new();
        for i in 0..10 {
            db.log(&format!("r{i}"), "ws", 100 * i, &[]);
        }
        let ids = |pairs: &[(&str, &str)]| -> Vec<String> {
            let s = Search::logs(&q(pairs)).unwrap();
            db.query(&s.statement("ws")).iter().map(|r| r["id"].as_str().unwrap_or_default().to_string()).collect()
        };
        assert_eq!(ids(&[("before", "300")]), vec!["r2", "r1", "r0"]);
        assert_eq!(ids(&[("from", "300"), ("to", "500")]), vec!["r4", "r3"]);
        let c = Cursor { at: 500, id: "r5".into() }.encode();
        assert_eq!(ids(&[("cursor", &c), ("limit", "2")]), vec!["r4", "r3", "r2"], "limit + 1 rows fetched");
    }

    #[test]
    fn pages_are_read_from_the_time_index_without_sorting() {
        let db = TestDb::new();
        let plan = db.plan(&Search::logs(&q(&[])).unwrap().statement("ws"));
        assert!(plan.contains("request_logs_by_time") && !plan.contains("TEMP B-TREE"), "{plan}");
        let plan = db.plan(&Search::audit(&q(&[])).unwrap().statement("ws"));
        assert!(plan.contains("audit_events_by_time") && !plan.contains("TEMP B-TREE"), "{plan}");
    }

    #[test]
    fn audit_prefix_search_runs() {
        let db = TestDb::new();
        db.exec(
            "INSERT INTO audit_events (id, workspace_id, created_at, actor, action) VALUES \
             ('a1','ws',1,'master','policy.updated'), ('a2','ws',2,'system','policy.denied'), ('a3','ws',3,'master','policyx'), \
             ('a4','ws',4,'master','key.created'), ('a5','ws',5,'master','POLICY.upper')",
        );
        let s = Search::audit(&q(&[("action", "policy.*")])).unwrap();
        let rows: Vec<Value> = db.query(&s.statement("ws"));
        let ids: Vec<&str> = rows.iter().filter_map(|r| r["id"].as_str()).collect();
        assert_eq!(ids, vec!["a2", "a1"]);
        let s = Search::audit(&q(&[("action", "key.created"), ("actor", "master")])).unwrap();
        assert_eq!(db.query(&s.statement("ws")).len(), 1);
    }
}
