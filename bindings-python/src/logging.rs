//! Core [`enjo::Event`]s → records of the Python logger `enjo` (through `enjo._logging.emit`).
//!
//! Records, by kind (the Python level in brackets):
//! - `attempt` (DEBUG): one per attempt, with its outcome, from `Event::AttemptEnded`: the HTTP
//!   status (when a reply came), the time it took, the error kind (when it failed);
//! - `retry` (INFO): an attempt failed and is sent again after a delay (`Event::Retry`);
//! - `wait` (INFO when longer than a second, else DEBUG): the rate limiter makes the call wait,
//!   announced when the wait starts, with why (a quota, or the server's 429);
//! - `failed` (INFO): the call failed for good (its error is raised to the caller, so INFO,
//!   not WARNING: Python prints WARNING records to stderr when logging is not configured).
//!
//! Each names the request as `POST <path>`, the core's `Client::message_path(bot_id)` (base
//! URL prefix included, bot id percent-encoded): never the host, never the token. An event's
//! level, kind and text are the core's (`Event::level`, `Event::kind`, its `Display`), the
//! same in every binding; the `failed` record is this binding's own.
//!
//! The Python layer reads the `enjo` logger's threshold on the caller's side (cheap, with the
//! GIL already held) and passes it with each call: 0 (off), INFO or DEBUG. The request's future
//! runs inside [`Logged`], which makes the call's [`CallLog`] current (a thread-local) while it
//! is polled; the observer, called synchronously from that poll, builds a [`Record`] only for
//! the kinds the threshold lets through, so INFO-level logging never pays for DEBUG records,
//! and with logging off a call never looks at an event.
//!
//! Where records go ([`Sink`]): a blocking call runs on the caller's own thread, so its records
//! are emitted there and then (attaching to the interpreter, as the caller would). An async
//! call runs on the core's I/O thread, which must never wait for the GIL: its records are
//! queued on the call's event-loop queue (`bridge`) and emitted by the loop's thread, in order,
//! before the call's future is settled.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::bridge::LogQueue;

/// Python's `logging.DEBUG` and `logging.INFO`.
pub const DEBUG: i64 = 10;
pub const INFO: i64 = 20;

thread_local! {
    static CURRENT: RefCell<Option<Arc<CallLog>>> = const { RefCell::new(None) };
}

static EMIT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Where a call's records go.
pub enum Sink {
    /// Emitted on the thread that polls the call (blocking calls: the caller's thread).
    Direct,
    /// Queued for the event loop's thread (async calls).
    Queue(LogQueue),
}

/// One call's logging: its path, the lowest level wanted, and where records go.
pub struct CallLog {
    path: Arc<str>,
    level: i64,
    sink: Sink,
    /// The last attempt that ended, for the final record.
    attempts: AtomicU32,
}

impl CallLog {
    /// `None` when `level` lets no record through (0: the logger is off).
    pub fn new(level: i64, path: &str, sink: Sink) -> Option<Arc<CallLog>> {
        (level > 0 && level <= INFO).then(|| {
            Arc::new(CallLog {
                path: Arc::from(path),
                level,
                sink,
                attempts: AtomicU32::new(0),
            })
        })
    }

    fn wants(&self, level: i64) -> bool {
        level >= self.level
    }

    fn deliver(&self, record: Record) {
        match &self.sink {
            Sink::Direct => Python::attach(|py| emit(py, &record)),
            Sink::Queue(queue) => queue.push(record),
        }
    }

    /// A record of this call (see `enjo._logging.emit` for the fields).
    fn record(&self, kind: &'static str, level: i64, text: String) -> Record {
        Record {
            path: Arc::clone(&self.path),
            kind,
            level,
            text,
            attempt: 0,
            status: None,
            seconds: None,
            error: None,
        }
    }
}

/// One log record, built without the GIL: its text and the structured `enjo_*` attributes.
pub struct Record {
    path: Arc<str>,
    kind: &'static str,
    level: i64,
    text: String,
    attempt: u32,
    status: Option<u16>,
    seconds: Option<f64>,
    error: Option<&'static str>,
}

/// A future polled with its call's logging current.
pub struct Logged<F> {
    future: Pin<Box<F>>,
    log: Option<Arc<CallLog>>,
}

impl<F> Logged<F> {
    /// `log` is `None` when the caller's logger is off.
    pub fn new(future: F, log: Option<Arc<CallLog>>) -> Logged<F> {
        Logged {
            future: Box::pin(future),
            log,
        }
    }
}

impl<T, F: Future<Output = enjo::Result<T>>> Future for Logged<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(log) = self.log.clone() else {
            return self.future.as_mut().poll(cx);
        };
        struct Restore(Option<Arc<CallLog>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let previous = self.0.take();
                CURRENT.with(|c| *c.borrow_mut() = previous);
            }
        }
        let restore = Restore(CURRENT.with(|c| c.borrow_mut().replace(Arc::clone(&log))));
        let polled = self.future.as_mut().poll(cx);
        drop(restore);
        if let Poll::Ready(Err(err)) = &polled
            && log.wants(INFO)
        {
            let attempts = log.attempts.load(Ordering::Relaxed);
            let what = format!("{}: {}", err.kind().class_name(), err.message());
            let text = match attempts {
                0 => format!("failed before sending: {what}"),
                1 => format!("failed after 1 attempt: {what}"),
                n => format!("failed after {n} attempts: {what}"),
            };
            let mut record = log.record("failed", INFO, text);
            record.attempt = attempts;
            record.status = err.status();
            record.error = Some(err.kind().as_str());
            log.deliver(record);
        }
        polled
    }
}

/// The observer installed on every client.
pub fn observe(event: &enjo::Event) {
    // Cloned out, so that no borrow is held while a handler runs (it may send a request).
    let Some(log) = CURRENT.with(|c| c.borrow().clone()) else {
        return;
    };
    if let enjo::Event::AttemptEnded { attempt, .. } = event {
        log.attempts.store(*attempt, Ordering::Relaxed);
    }
    let level = match event.level() {
        Some(enjo::EventLevel::Debug) => DEBUG,
        Some(enjo::EventLevel::Info) => INFO,
        None => return,
    };
    if !log.wants(level) {
        return;
    }
    let mut record = log.record(event.kind(), level, event.to_string());
    match event {
        enjo::Event::AttemptEnded {
            attempt,
            status,
            elapsed,
            error,
            ..
        } => {
            record.attempt = *attempt;
            record.status = *status;
            record.seconds = Some(elapsed.as_secs_f64());
            record.error = error.map(enjo::ErrorKind::as_str);
        }
        enjo::Event::Retry { attempt, delay, .. } => {
            record.attempt = *attempt;
            record.seconds = Some(delay.as_secs_f64());
        }
        enjo::Event::RateLimitWait { wait, .. } => record.seconds = Some(wait.as_secs_f64()),
        _ => {}
    }
    log.deliver(record);
}

/// Hands `record` to `enjo._logging.emit` (on a thread holding the GIL).
pub fn emit(py: Python<'_>, record: &Record) {
    let result = EMIT.import(py, "enjo._logging", "emit").and_then(|emit| {
        emit.call1((
            record.kind,
            record.level,
            &*record.path,
            record.text.as_str(),
            record.attempt,
            record.status,
            record.seconds,
            record.error,
        ))
    });
    if let Err(err) = result {
        // A failing handler must not fail the request; Python reports it as unraisable.
        err.write_unraisable(py, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_select_record_kinds() {
        assert!(CallLog::new(0, "/x", Sink::Direct).is_none());
        assert!(CallLog::new(30, "/x", Sink::Direct).is_none());
        let Some(info) = CallLog::new(INFO, "/x", Sink::Direct) else {
            panic!("INFO lets records through");
        };
        assert!(info.wants(INFO) && !info.wants(DEBUG));
        let Some(debug) = CallLog::new(DEBUG, "/x", Sink::Direct) else {
            panic!("DEBUG lets records through");
        };
        assert!(debug.wants(INFO) && debug.wants(DEBUG));
    }
}
