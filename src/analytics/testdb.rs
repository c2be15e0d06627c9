//! Tests only: an in-memory SQLite database (D1 is SQLite) with every
//! migration of `migrations-d1/` applied, so the generated statements are
//! run for real — window functions, JSON functions and all.

use super::Statement;
use crate::observe::sql::SqlValue;
use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::Connection;
use serde_json::{Map, Value};

pub struct TestDb {
    conn: Connection,
}

impl TestDb {
    pub fn new() -> TestDb {
        let conn = Connection::open_in_memory().unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations-d1");
        let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "sql")).collect();
        files.sort();
        for f in files {
            conn.execute_batch(&std::fs::read_to_string(&f).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        }
        TestDb { conn }
    }

    pub fn exec(&self, sql: &str) {
        self.conn.execute_batch(sql).unwrap();
    }

    /// A request_logs row with the required columns, plus `extra` columns.
    pub fn log(&self, id: &str, ws: &str, created_at: i64, extra: &[(&str, Value)]) {
        let base = [("id", id.into()), ("workspace_id", ws.into()), ("created_at", created_at.into()), ("endpoint", "chat".into()), ("status", 200.into())];
        self.insert("request_logs", &base, extra);
    }

    /// A usage_events row (kind `custom` unless `extra` sets it).
    pub fn usage(&self, id: &str, ws: &str, created_at: i64, extra: &[(&str, Value)]) {
        self.insert("usage_events", &[("id", id.into()), ("workspace_id", ws.into()), ("created_at", created_at.into()), ("kind", "custom".into())], extra);
    }

    fn insert(&self, table: &str, base: &[(&str, Value)], extra: &[(&str, Value)]) {
        let mut cols: Vec<&str> = Vec::new();
        let mut vals: Vec<Sql> = Vec::new();
        for (c, v) in base.iter().chain(extra) {
            match cols.iter().position(|x| x == c) {
                Some(i) => vals[i] = to_sql(v),
                None => {
                    cols.push(c);
                    vals.push(to_sql(v));
                }
            }
        }
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let sql = format!("INSERT INTO {table} ({}) VALUES ({})", cols.join(", "), marks.join(", "));
        self.conn.execute(&sql, rusqlite::params_from_iter(vals)).unwrap();
    }

    /// `EXPLAIN QUERY PLAN`, one detail line per step.
    pub fn plan(&self, st: &Statement) -> String {
        let explain = Statement { sql: format!("EXPLAIN QUERY PLAN {}", st.sql), params: st.params.clone() };
        self.query(&explain).iter().map(|r| r["detail"].as_str().unwrap_or_default().to_string()).collect::<Vec<_>>().join("\n")
    }

    pub fn query(&self, st: &Statement) -> Vec<Value> {
        let mut stmt = self.conn.prepare(&st.sql).unwrap_or_else(|e| panic!("{e}\n{}", st.sql));
        let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
        let params: Vec<Sql> = st
            .params
            .iter()
            .map(|p| match p {
                SqlValue::Null => Sql::Null,
                SqlValue::Int(i) => Sql::Integer(*i),
                SqlValue::Real(r) => Sql::Real(*r),
                SqlValue::Text(t) => Sql::Text(t.clone()),
            })
            .collect();
        let mut rows = stmt.query(rusqlite::params_from_iter(params)).unwrap();
        let mut out = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            let mut obj = Map::new();
            for (i, name) in names.iter().enumerate() {
                let v = match row.get_ref(i).unwrap() {
                    ValueRef::Null | ValueRef::Blob(_) => Value::Null,
                    ValueRef::Integer(n) => Value::from(n),
                    ValueRef::Real(f) => Value::from(f),
                    ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
                };
                obj.insert(name.clone(), v);
            }
            out.push(Value::Object(obj));
        }
        out
    }
}

fn to_sql(v: &Value) -> Sql {
    match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(*b as i64),
        Value::Number(n) => n.as_i64().map(Sql::Integer).unwrap_or_else(|| Sql::Real(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => Sql::Text(s.clone()),
        other => Sql::Text(other.to_string()),
    }
}
