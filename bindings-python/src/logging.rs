//! Core [`enjo::Event`]s → records of the Python logger `enjo` (through `enjo._logging.emit`).
//!
//! The Python layer checks `logging.getLogger("enjo").isEnabledFor(INFO)` on the caller's side
//! (cheap, with the GIL already held) and passes the answer with each call; the request's future
//! runs inside [`Logged`], which sets a thread-local flag (and the bot id) while it is polled.
//! The observer, called synchronously from that poll, attaches to the interpreter only when the
//! flag is set: with logging off, a call never takes the GIL for logging.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

thread_local! {
    static ENABLED: Cell<bool> = const { Cell::new(false) };
    static BOT_ID: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
}

static EMIT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A future polled with logging on (for this call's bot).
pub struct Logged<F> {
    future: Pin<Box<F>>,
    bot_id: Option<Arc<str>>,
}

impl<F> Logged<F> {
    /// `bot_id` is `None` when the caller's logger is off.
    pub fn new(future: F, bot_id: Option<Arc<str>>) -> Logged<F> {
        Logged {
            future: Box::pin(future),
            bot_id,
        }
    }
}

impl<F: Future> Future for Logged<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(bot) = self.bot_id.clone() else {
            return self.future.as_mut().poll(cx);
        };
        struct Restore(bool, Option<Arc<str>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                ENABLED.with(|e| e.set(self.0));
                let bot = self.1.take();
                BOT_ID.with(|b| *b.borrow_mut() = bot);
            }
        }
        let _restore = Restore(
            ENABLED.with(|e| e.replace(true)),
            BOT_ID.with(|b| b.borrow_mut().replace(bot)),
        );
        self.future.as_mut().poll(cx)
    }
}

/// The observer installed on every client.
pub fn observe(event: &enjo::Event) {
    if !ENABLED.with(Cell::get) {
        return;
    }
    let bot = BOT_ID.with(|b| b.borrow().clone());
    let (kind, attempt, max_attempts, seconds, reason) = match event {
        enjo::Event::Attempt {
            attempt,
            max_attempts,
        } => ("attempt", *attempt, *max_attempts, None, None),
        enjo::Event::Retry {
            attempt,
            delay,
            reason,
        } => (
            "retry",
            *attempt,
            0,
            Some(delay.as_secs_f64()),
            Some(reason.as_str()),
        ),
        enjo::Event::RateLimitWait { wait } => ("wait", 0, 0, Some(wait.as_secs_f64()), None),
        _ => return,
    };
    Python::attach(|py| {
        let result = EMIT.import(py, "enjo._logging", "emit").and_then(|emit| {
            emit.call1((kind, bot.as_deref(), attempt, max_attempts, seconds, reason))
        });
        if let Err(err) = result {
            // A failing handler must not fail the request; Python reports it as unraisable.
            err.write_unraisable(py, None);
        }
    });
}
