//! The `LOGS` queue consumer: log records → `request_logs` rows, audit
//! events of the request path → `audit_events` rows, in D1.
//!
//! - Idempotent: `INSERT OR IGNORE` on the record id, so a redelivered
//!   message never duplicates a row.
//! - One D1 batch per queue batch; if the batch fails, rows are retried one
//!   by one so that one bad record cannot hold back the others.
//! - A message that cannot be decoded or written is retried with a delay;
//!   after `max_retries` (wrangler.toml) the queue moves it to the
//!   dead-letter queue, so nothing accepted is silently dropped.

use super::audit_record::{self, QueueMessage};
use super::log_record::insert_sql;
use crate::observe::sql::SqlValue;
use crate::store::d1;
use worker::{D1Database, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, RawMessage};

fn retry(message: &RawMessage) {
    // Back off so a D1 outage is not hammered by immediate redeliveries.
    message.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(5).build());
}

/// Messages travel as JSON text (see `pipeline::settle`).
fn decode(body: wasm_bindgen::JsValue) -> Result<QueueMessage, String> {
    let text = body.as_string().ok_or("not a JSON text message")?;
    QueueMessage::from_json(&text)
}

/// The statement that writes a message (idempotently: INSERT OR IGNORE on its id).
fn row(message: &QueueMessage) -> (String, Vec<SqlValue>) {
    match message {
        QueueMessage::Log(r) => (insert_sql(), r.values()),
        QueueMessage::Audit(a) => (audit_record::INSERT_SQL.to_string(), a.values()),
    }
}

fn id_of(message: &QueueMessage) -> &str {
    match message {
        QueueMessage::Log(r) => &r.id,
        QueueMessage::Audit(a) => &a.id,
    }
}

async fn insert_one(db: &D1Database, message: &QueueMessage) -> bool {
    let (sql, values) = row(message);
    match d1::statement(db, &sql, &values) {
        Ok(stmt) => stmt.run().await.is_ok(),
        Err(_) => false,
    }
}

pub async fn consume(batch: MessageBatch<serde_json::Value>, env: &Env) -> worker::Result<()> {
    let messages: Vec<RawMessage> = batch.raw_iter().collect();
    let mut decoded: Vec<(RawMessage, QueueMessage)> = Vec::with_capacity(messages.len());
    for message in messages {
        match decode(message.body()) {
            Ok(record) => decoded.push((message, record)),
            Err(e) => {
                worker::console_error!("undecodable log message {}: {e}", message.id());
                retry(&message);
            }
        }
    }
    if decoded.is_empty() {
        return Ok(());
    }
    let db = match d1::db(env) {
        Ok(db) => db,
        Err(_) => {
            decoded.iter().for_each(|(m, _)| retry(m));
            return Ok(());
        }
    };
    let statements: Result<Vec<_>, _> = decoded
        .iter()
        .map(|(_, m)| {
            let (sql, values) = row(m);
            d1::statement(&db, &sql, &values)
        })
        .collect();
    let batch_ok = match statements {
        Ok(s) => db.batch(s).await.is_ok(),
        Err(_) => false,
    };
    if batch_ok {
        decoded.iter().for_each(|(m, _)| m.ack());
        return Ok(());
    }
    for (message, record) in &decoded {
        if insert_one(&db, record).await {
            message.ack();
        } else {
            worker::console_error!("queue message {} not written; will retry", id_of(record));
            retry(message);
        }
    }
    Ok(())
}
