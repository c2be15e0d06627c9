//! Sending to the `LOGS` queue from the request path.

use super::audit_record::QueueMessage;
use worker::Env;

/// Sends one message; if even the queue refuses, the worker's log keeps
/// it (tail / Logpush) rather than losing it.
pub async fn send(env: &Env, message: &QueueMessage) {
    let Ok(json) = message.to_json() else { return };
    let sent = match env.queue("LOGS") {
        Ok(queue) => queue.send(&json).await,
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        worker::console_error!("queue message not sent: {e}");
        worker::console_log!("{json}");
    }
}
