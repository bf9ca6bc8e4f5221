//! `ENJO_LOG=debug|info`: core's [`enjo::Event`]s of a call as log records, which `index.js`
//! writes to stderr (`console.error`) before the call's Promise settles.
//!
//! Each record is `POST <path>: ` followed by the event's `Display` (core's wording), at the
//! event's [`enjo::Event::level`]: one per attempt with its outcome (`debug`), one per retry
//! and per rate-limit wait longer than a second (`info`; shorter waits are `debug`). The path
//! is core's `Client::message_path` (base URL prefix included, bot id percent-encoded): never
//! the host, never the token.
//!
//! A rate-limit wait at `info` is written to stderr at once, when the wait starts, in the same
//! `[enjo] info: …` form (straight to the process's stderr, not through `console.error`): a
//! call that stalls for seconds must not look hung until it settles.
//!
//! The observer installed on every client is called synchronously from the poll of the call
//! that caused the event; [`Logged`] makes that call's [`CallLog`] current (a thread-local)
//! while it polls the call, so events reach the right call. With logging off no `CallLog`
//! exists and the observer returns at once.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use napi_derive::napi;

thread_local! {
    static CURRENT: RefCell<Option<Arc<CallLog>>> = const { RefCell::new(None) };
}

/// One log record of a call.
#[napi(object)]
pub struct LogRecord {
    /// `debug` or `info`.
    pub level: String,
    /// `POST <path>: <what happened>`.
    pub message: String,
}

/// The records of one call, at `level` and above (1: info, 2: debug).
pub struct CallLog {
    path: String,
    debug: bool,
    records: Mutex<Vec<LogRecord>>,
}

impl CallLog {
    /// `None` when `level` (0: off, 1: info, 2: debug) lets no record through.
    pub fn new(level: Option<u32>, path: String) -> Option<Arc<CallLog>> {
        let level = level.unwrap_or(0);
        (level > 0).then(|| {
            Arc::new(CallLog {
                path,
                debug: level >= 2,
                records: Mutex::new(Vec::new()),
            })
        })
    }

    fn push(&self, event: &enjo::Event) {
        let level = match event.level() {
            Some(enjo::EventLevel::Debug) if self.debug => "debug",
            Some(enjo::EventLevel::Info) => "info",
            _ => return,
        };
        let message = format!("POST {}: {event}", self.path);
        if level == "info" && matches!(event, enjo::Event::RateLimitWait { .. }) {
            write_now(level, &message);
            return;
        }
        let record = LogRecord {
            level: level.to_owned(),
            message,
        };
        self.lock().push(record);
    }

    /// The records so far, in order (emptied).
    pub fn take(&self) -> Vec<LogRecord> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LogRecord>> {
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Writes one record to stderr now, as `index.js` writes the others (`[enjo] info: …`).
fn write_now(level: &str, message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "[enjo] {level}: {message}");
}

/// The observer installed on every client: hands `event` to the call being polled.
pub fn observe(event: &enjo::Event) {
    // Cloned out, so that no borrow is held while the record is built.
    if let Some(log) = CURRENT.with(|c| c.borrow().clone()) {
        log.push(event);
    }
}

/// A future polled with its call's log current.
pub struct Logged<F> {
    future: Pin<Box<F>>,
    log: Option<Arc<CallLog>>,
}

impl<F> Logged<F> {
    /// `log` is `None` when logging is off.
    pub fn new(future: F, log: Option<Arc<CallLog>>) -> Logged<F> {
        Logged {
            future: Box::pin(future),
            log,
        }
    }
}

impl<F: Future> Future for Logged<F> {
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
        let _restore = Restore(CURRENT.with(|c| c.borrow_mut().replace(log)));
        self.future.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn levels_select_records_and_lines_carry_the_path() {
        assert!(CallLog::new(None, "/x".into()).is_none());
        assert!(CallLog::new(Some(0), "/x".into()).is_none());
        let ended = enjo::Event::AttemptEnded {
            attempt: 1,
            max_attempts: 3,
            status: Some(200),
            elapsed: Duration::from_millis(5),
            error: None,
        };
        let wait = enjo::Event::RateLimitWait {
            wait: Duration::from_millis(250),
            reason: enjo::WaitReason::Quota(enjo::Quota::new(10, Duration::from_secs(5))),
        };
        let Some(info) = CallLog::new(Some(1), "/v1/bots/b/message".into()) else {
            panic!("info lets records through");
        };
        info.push(&ended);
        info.push(&wait);
        let records = info.take();
        assert!(
            records.is_empty(),
            "info drops debug records (a wait of 1 s or less)"
        );
        let Some(debug) = CallLog::new(Some(2), "/p".into()) else {
            panic!("debug lets records through");
        };
        debug.push(&ended);
        debug.push(&wait);
        let levels: Vec<_> = debug.take().into_iter().map(|r| r.level).collect();
        assert_eq!(levels, ["debug", "debug"]);
        let Some(debug) = CallLog::new(Some(2), "/p".into()) else {
            panic!("debug lets records through");
        };
        debug.push(&enjo::Event::RateLimitWait {
            wait: Duration::from_secs(3),
            reason: enjo::WaitReason::ServerRetryAfter,
        });
        assert!(
            debug.take().is_empty(),
            "a long wait is written at once, not kept"
        );
    }
}
