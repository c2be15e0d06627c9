//! The queue consumer: `LOGS` messages (log records, audit events, usage
//! events → D1 rows; bodies R2 refused at first → R2), then each
//! workspace's records to its log sink. The same code consumes the
//! dead-letter queue, with longer waits.
//!
//! - Idempotent: rows are `INSERT OR IGNORE` on their id and bodies are
//!   written to fixed keys, so a redelivered message changes nothing.
//! - One D1 batch per queue batch; if the batch fails, rows are written one
//!   by one so that one bad record cannot hold back the others.
//! - What cannot be written is retried after a delay as long as the
//!   message is old (5 s at first, then about doubling, at most an hour);
//!   after `max_retries` (wrangler.toml) it moves to the dead-letter queue,
//!   whose consumer retries hourly and, before the queue would drop it,
//!   prints it to the worker's log (Logpush / tail). An outage of D1, R2
//!   or a sink loses nothing.

use super::archive_store;
use super::audit_record::{self, QueueMessage};
use super::delivery::{self, Outcome};
use super::log_record::insert_sql;
use super::sink;
use super::usage_event;
use crate::observe::sql::SqlValue;
use crate::runtime::config::test_hooks;
use crate::runtime::now_ms;
use crate::store::d1;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::collections::BTreeMap;
use worker::{D1Database, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, RawMessage};

/// The dead-letter queue's name (wrangler.toml).
const DEAD_LETTERS: &str = "alephant-gateway-logs-dlq";
/// A dead letter this old is printed and dropped: before its queue's
/// `max_retries` (24, hourly) would drop it silently.
const GIVE_UP_AGE_MS: u64 = 22 * 3_600_000;

thread_local! {
    /// Test faults already played, by record id: each plays once.
    static PLAYED: std::cell::RefCell<std::collections::HashSet<String>> = Default::default();
}

struct Item {
    message: RawMessage,
    record: QueueMessage,
    /// Written (or nothing to write) and delivered: ack it.
    ok: bool,
}

fn age_ms(message: &RawMessage) -> u64 {
    now_ms().saturating_sub(message.timestamp().as_millis())
}

/// Waiting as long as the message has already waited doubles the delay on
/// each retry without counting attempts.
fn backoff_seconds(age_ms: u64, dead_letter: bool) -> u32 {
    if dead_letter {
        return 3_600;
    }
    ((age_ms / 1000) as u32).clamp(5, 3_600)
}

fn retry(message: &RawMessage, dead_letter: bool) {
    let delay = backoff_seconds(age_ms(message), dead_letter);
    message.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(delay).build());
}

/// Messages travel as JSON text (see `observe::queue`).
fn decode(body: wasm_bindgen::JsValue) -> Result<QueueMessage, String> {
    let text = body.as_string().ok_or("not a JSON text message")?;
    QueueMessage::from_json(&text)
}

/// The statement that writes a record, if it is a row.
fn row(message: &QueueMessage) -> Option<(String, Vec<SqlValue>)> {
    match message {
        QueueMessage::Log(r) => Some((insert_sql(), r.values())),
        QueueMessage::Audit(a) => Some((audit_record::INSERT_SQL.to_string(), a.values())),
        QueueMessage::Usage(u) => Some((usage_event::INSERT_SQL.to_string(), u.values())),
        QueueMessage::Body(_) => None,
    }
}

/// Test deployments only: the fault a log record asks the consumer to
/// play, the first time the record is seen.
fn fault(env: &Env, item: &Item) -> Option<String> {
    match &item.record {
        QueueMessage::Log(r) if test_hooks(env) => {
            let f = r.test_fault.clone()?;
            PLAYED.with(|p| p.borrow_mut().insert(r.id.clone())).then_some(f)
        }
        _ => None,
    }
}

async fn insert_one(db: &D1Database, message: &QueueMessage) -> bool {
    let Some((sql, values)) = row(message) else { return true };
    match d1::statement(db, &sql, &values) {
        Ok(stmt) => stmt.run().await.is_ok(),
        Err(_) => false,
    }
}

async fn write_rows(env: &Env, items: &mut [Item]) {
    let Ok(db) = d1::db(env) else {
        items.iter_mut().filter(|i| row(&i.record).is_some()).for_each(|i| i.ok = false);
        return;
    };
    let faults: Vec<Option<String>> = items.iter().map(|i| fault(env, i)).collect();
    // `d1-fail-once`: this record's first write fails before reaching D1.
    let failing: Vec<bool> = faults.iter().map(|f| f.as_deref() == Some("d1-fail-once")).collect();
    let statements: Result<Vec<_>, _> = items
        .iter()
        .zip(&failing)
        .filter(|(_, f)| !**f)
        .filter_map(|(i, _)| row(&i.record))
        .map(|(sql, values)| d1::statement(&db, &sql, &values))
        .collect();
    let batch_ok = match statements {
        Ok(s) if s.is_empty() => true,
        Ok(s) => db.batch(s).await.is_ok(),
        Err(_) => false,
    };
    for ((item, failed), f) in items.iter_mut().zip(failing).zip(faults) {
        if failed {
            item.ok = false;
        } else if !batch_ok && row(&item.record).is_some() {
            item.ok = insert_one(&db, &item.record).await;
        }
        // `d1-dup-once`: written, but the acknowledgement is "lost".
        if f.as_deref() == Some("d1-dup-once") {
            item.ok = false;
        }
    }
}

async fn write_bodies(env: &Env, items: &mut [Item]) {
    for item in items.iter_mut() {
        let QueueMessage::Body(b) = &item.record else { continue };
        let written = match STANDARD.decode(&b.data) {
            Ok(bytes) => archive_store::put(env, &b.key, &b.content_type, &bytes).await,
            // Undecodable data will never decode: keep the message for the dead letters.
            Err(e) => Err(format!("body {} undecodable: {e}", b.key)),
        };
        if let Err(why) = written {
            worker::console_error!("{why}");
            item.ok = false;
        }
    }
}

/// Posts each workspace's written records to its sink; a transient failure
/// retries that workspace's records (rows are idempotent).
async fn deliver(env: &Env, items: &mut [Item]) {
    let mut by_workspace: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        if item.ok && delivery::delivered_kind(&item.record) {
            by_workspace.entry(item.record.workspace_id().to_string()).or_default().push(i);
        }
    }
    for (workspace, indexes) in by_workspace {
        let outcome = match sink::sink_for(env, &workspace).await {
            Ok(None) => continue,
            Ok(Some(s)) => sink::post(&s, delivery::ndjson(indexes.iter().map(|i| &items[*i].record))).await,
            Err(why) => {
                worker::console_error!("log sink of {workspace} unreadable: {why}");
                Outcome::Retry
            }
        };
        match outcome {
            Outcome::Delivered => {}
            Outcome::Retry => indexes.iter().for_each(|i| items[*i].ok = false),
            Outcome::Refused => worker::console_error!("the log sink of {workspace} refused {} records", indexes.len()),
        }
    }
}

pub async fn consume(batch: MessageBatch<serde_json::Value>, env: &Env) -> worker::Result<()> {
    let dead_letter = batch.queue() == DEAD_LETTERS;
    let mut items = Vec::new();
    for message in batch.raw_iter() {
        match decode(message.body()) {
            Ok(record) => items.push(Item { message, record, ok: true }),
            Err(e) => {
                worker::console_error!("undecodable log message {}: {e}", message.id());
                retry(&message, dead_letter);
            }
        }
    }
    write_rows(env, &mut items).await;
    write_bodies(env, &mut items).await;
    deliver(env, &mut items).await;
    for item in &items {
        if item.ok {
            item.message.ack();
        } else if dead_letter && age_ms(&item.message) >= GIVE_UP_AGE_MS {
            // The last resort: the worker's own log keeps it.
            worker::console_error!("giving up on {}; the message follows", item.record.id());
            worker::console_log!("{}", item.record.to_json().unwrap_or_default());
            item.message.ack();
        } else {
            worker::console_warn!("queue message {} not done; will retry", item.record.id());
            retry(&item.message, dead_letter);
        }
    }
    Ok(())
}
