//! Binding pure `SqlValue`s to D1 statements.

use crate::observe::sql::SqlValue;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

pub fn db(env: &Env) -> worker::Result<D1Database> {
    env.d1("DB")
}

pub fn js_values(values: &[SqlValue]) -> Vec<JsValue> {
    values
        .iter()
        .map(|v| match v {
            SqlValue::Null => JsValue::NULL,
            SqlValue::Int(i) => JsValue::from_f64(*i as f64),
            SqlValue::Real(r) => JsValue::from_f64(*r),
            SqlValue::Text(s) => JsValue::from_str(s),
        })
        .collect()
}

pub fn statement(db: &D1Database, sql: &str, values: &[SqlValue]) -> worker::Result<D1PreparedStatement> {
    db.prepare(sql).bind(&js_values(values))
}
