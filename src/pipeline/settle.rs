//! Stage 7: after the answer — the log record onto the `LOGS` queue. Runs
//! in `wait_until`, so it never delays the response.

use super::context::RequestContext;
use worker::{Context, Env};

pub fn schedule(ctx: &Context, env: &Env, rc: RequestContext) {
    let env = env.clone();
    ctx.wait_until(async move { settle(&env, rc).await });
}

pub async fn settle(env: &Env, rc: RequestContext) {
    let Some(record) = rc.to_log_record() else { return };
    // One JSON string crosses into the runtime, rather than a 40-property
    // object built field by field.
    let Ok(json) = serde_json::to_string(&record) else { return };
    let sent = match env.queue("LOGS") {
        Ok(queue) => queue.send(&json).await,
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        // The queue is the durable path; if even it refuses, the record goes
        // to the worker's log (tail / Logpush) rather than vanishing.
        worker::console_error!("log record {} not queued: {e}", record.id);
        worker::console_log!("{json}");
    }
}
