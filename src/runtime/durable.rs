//! Calling a Durable Object: one JSON body in, one JSON body out, to the
//! object of a namespace binding named by `name`.

use futures::future::{select, Either};
use std::future::Future;
use std::time::Duration;
use worker::{Delay, Env, Method, Request, RequestInit};

pub async fn call<B: serde::Serialize, T: serde::de::DeserializeOwned>(
    env: &Env,
    binding: &str,
    name: &str,
    body: &B,
) -> worker::Result<T> {
    let stub = env.durable_object(binding)?.id_from_name(name)?.get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(body).map_err(|e| worker::Error::RustError(e.to_string()))?.into()));
    let mut resp = stub.fetch_with_request(Request::new_with_init("https://object/call", &init)?).await?;
    if resp.status_code() != 200 {
        return Err(worker::Error::RustError(format!("{binding} answered {}", resp.status_code())));
    }
    resp.json().await
}

/// `Some(output)` when `work` finishes within `ms`, else `None` (the work is dropped).
pub async fn within<T>(ms: u64, work: impl Future<Output = T>) -> Option<T> {
    let work = Box::pin(work);
    let timer = Box::pin(Delay::from(Duration::from_millis(ms.max(1))));
    match select(work, timer).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}
