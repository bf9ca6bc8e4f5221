//! A request's life on core's runtime: its Promise, its cancellation, and the JavaScript
//! environment it may outlive.
//!
//! `sendMessage` / `send` return a Promise that always resolves, with a [`SendOutcome`]
//! holding the reply, an [`ErrorInfo`] or `aborted`; `index.js` turns an error into an instance
//! of its class. The request runs through [`enjo::process::spawn`] (core's runtime, panics
//! caught as `InternalError`); the Promise is settled through a napi deferred, whose threadsafe
//! function keeps the event loop alive only while a request is pending. A [`CancelToken`]
//! (fired by the caller's `AbortSignal`) drops the request's future, which closes its
//! connection or gives up its place in the rate limiter's queue.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::Object;
use napi::{Env, JsDeferred};
use napi_derive::napi;
use tokio::sync::Notify;

use crate::errors::ErrorInfo;
use crate::logging::{CallLog, LogRecord, Logged};
use crate::models::ReplyJson;

/// How a request ended: exactly one of `response`, `error` is set, or `aborted` is true.
///
/// A reply crosses as JSON text: `index.js` parses `response` into the reply object and gives
/// it lazy `raw` getters over `raw` and `ticketRaw`.
#[napi(object)]
pub struct SendOutcome {
    /// The reply (a `MessageResponse`) as JSON, its `raw` fields `null`.
    pub response: Option<String>,
    /// The reply's whole body (`raw`) as JSON.
    pub raw: Option<String>,
    /// The ticket's `raw` as JSON, when the reply has a ticket.
    pub ticket_raw: Option<String>,
    /// The failure.
    pub error: Option<ErrorInfo>,
    /// The caller's signal aborted the request (its future was dropped).
    pub aborted: Option<bool>,
    /// The call's log records (`ENJO_LOG`), in order, for `index.js` to write out.
    pub log: Option<Vec<LogRecord>>,
}

impl SendOutcome {
    fn new(result: enjo::Result<Option<enjo::MessageResponse>>) -> SendOutcome {
        let mut outcome = SendOutcome {
            response: None,
            raw: None,
            ticket_raw: None,
            error: None,
            aborted: None,
            log: None,
        };
        match result.and_then(|reply| reply.map(reply_json).transpose()) {
            Ok(Some(json)) => {
                outcome.response = Some(json.reply);
                outcome.raw = Some(json.raw);
                outcome.ticket_raw = json.ticket_raw;
            }
            Ok(None) => outcome.aborted = Some(true),
            Err(err) => outcome.error = Some(err.into()),
        }
        outcome
    }
}

fn reply_json(reply: enjo::MessageResponse) -> enjo::Result<ReplyJson> {
    ReplyJson::new(reply)
        .map_err(|e| enjo::Error::internal(format!("could not hand the reply to JavaScript: {e}")))
}

#[derive(Default)]
pub(crate) struct CancelState {
    cancelled: AtomicBool,
    notify: Notify,
}

impl CancelState {
    pub(crate) async fn cancelled(&self) {
        // Registered before the flag is read: a `cancel()` in between still wakes us.
        let notified = self.notify.notified();
        if self.cancelled.load(Ordering::Acquire) {
            return;
        }
        notified.await;
    }
}

/// Fired by the JavaScript layer when the caller's `AbortSignal` aborts: the request's Rust
/// future is dropped, closing its connection or leaving the rate limiter's queue.
#[napi]
pub struct CancelToken {
    pub(crate) state: Arc<CancelState>,
}

#[napi]
impl CancelToken {
    /// A token that has not fired.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> CancelToken {
        CancelToken {
            state: Arc::new(CancelState::default()),
        }
    }

    /// Cancels every request given this token (idempotent).
    #[napi]
    pub fn cancel(&self) {
        self.state.cancelled.store(true, Ordering::Release);
        self.state.notify.notify_waiters();
    }

    /// Whether `cancel()` was called.
    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.state.cancelled.load(Ordering::Acquire)
    }
}

type OutcomeDeferred = JsDeferred<SendOutcome, Box<dyn FnOnce(Env) -> napi::Result<SendOutcome>>>;

/// Whether a JavaScript environment (the main thread's, or a worker's) still exists.
///
/// A request can outlive its environment: `worker.terminate()` tears the worker down while the
/// request runs on the SDK's threads. Node frees a threadsafe function (a deferred Promise's
/// channel back to JavaScript) during that teardown, and calling it afterwards is a
/// use-after-free that aborts the process. So every environment gets a guard, cleared by an
/// environment cleanup hook, and a request settles its Promise only under the guard's lock
/// while the environment is alive. The hook runs in the same cleanup pass that starts closing
/// the threadsafe functions, before any of them is freed.
struct EnvGuard {
    alive: Mutex<bool>,
}

impl EnvGuard {
    /// This environment's guard, made (and its cleanup hook registered) on first use.
    fn of(env: &Env) -> napi::Result<Arc<EnvGuard>> {
        if let Some(guard) = env.get_instance_data::<Arc<EnvGuard>>()? {
            return Ok(guard.clone());
        }
        let guard = Arc::new(EnvGuard {
            alive: Mutex::new(true),
        });
        env.set_instance_data(guard.clone(), (), |_| {})?;
        env.add_env_cleanup_hook(guard.clone(), |guard| *guard.lock() = false)?;
        Ok(guard)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, bool> {
        self.alive
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Runs `request` on the core's runtime and returns a Promise of its [`SendOutcome`]. The
/// Promise always resolves: errors, aborts and panics are outcomes too.
pub(crate) fn spawn_request<'env, F>(
    env: &'env Env,
    cancel: Option<Arc<CancelState>>,
    log: Option<Arc<CallLog>>,
    request: F,
) -> napi::Result<Object<'env>>
where
    F: Future<Output = enjo::Result<enjo::MessageResponse>> + Send + 'static,
{
    let guard = EnvGuard::of(env)?;
    let (deferred, promise): (OutcomeDeferred, Object<'env>) = env.create_deferred()?;
    let records = log.clone();
    let settle = move |result: enjo::Result<Option<enjo::MessageResponse>>| {
        let mut outcome = SendOutcome::new(result);
        outcome.log = records.map(|log| log.take());
        let alive = guard.lock();
        if *alive {
            deferred.resolve(Box::new(move |_env| Ok(outcome)));
        }
        // Otherwise the environment is gone, and with it the Promise: nothing to settle.
    };
    let request = Logged::new(request, log);
    let run = async move {
        match cancel {
            None => request.await.map(Some),
            Some(cancel) => tokio::select! {
                biased;
                () = cancel.cancelled() => Ok(None),
                result = request => result.map(Some),
            },
        }
    };
    // The abort handle is not used: cancellation goes through the token, which settles.
    let _ = enjo::process::spawn(run, move |result| settle(result.and_then(|r| r)));
    Ok(promise)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancel_wakes_a_waiter_registered_before_or_after() {
        let token = CancelToken::new();
        let state = token.state.clone();
        let waiter = tokio::spawn(async move { state.cancelled().await });
        tokio::task::yield_now().await;
        token.cancel();
        assert!(waiter.await.is_ok());
        // Already cancelled: returns at once.
        token.state.cancelled().await;
        assert!(token.cancelled());
    }
}
