//! Async calls: a request runs as a task on the core's process-wide runtime
//! ([`enjo::runtime`], rebuilt after `fork()`), and its outcome comes back to the asyncio event
//! loop through a [`Completions`] queue, one per loop.
//!
//! A finished task pushes its outcome and, when the queue was empty, writes one byte to a
//! socket pair whose other end the loop watches (`loop.add_reader`). The loop then runs
//! [`Completions::drain`] on its own thread, with the GIL it already holds, and settles every
//! finished `asyncio.Future` at once. Log records of async calls travel the same way (see
//! `logging`): the task queues them and the loop's thread hands them to `logging`. No runtime
//! thread ever waits for the GIL, and a burst of replies costs one wake-up.
//!
//! Loops without `add_reader` (Windows' proactor) get a fallback: the pushing thread attaches
//! and calls `loop.call_soon_threadsafe(drain)`. That queue holds only a *weak* reference to
//! its loop and makes a fresh `drain` callable (holding the queue, not the `Completions`
//! object) for each wake-up, so there is no reference cycle through Rust that Python's garbage
//! collector cannot see, and a loop is never kept alive by its own queue.
//!
//! Cancellation: the Python side calls [`Task::cancel`] when the awaiting coroutine is cancelled,
//! which aborts the tokio task: its future is dropped, closing the connection or leaving the
//! rate limiter's queue.

use std::future::Future;
use std::io::{ErrorKind as IoErrorKind, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::intern;
use pyo3::prelude::*;

use crate::errors::{guard, to_pyerr};
use crate::logging::Record;
use crate::models::MessageResponse;

/// How a request ended.
enum Outcome {
    Reply(Box<enjo::MessageResponse>),
    Failed(enjo::Error),
}

impl Outcome {
    fn from_result(result: enjo::Result<enjo::MessageResponse>) -> Outcome {
        match result {
            Ok(reply) => Outcome::Reply(Box::new(reply)),
            Err(err) => Outcome::Failed(err),
        }
    }
}

/// What a task hands to its loop's thread.
enum Item {
    /// A request's outcome, for its future.
    Done { future: Py<PyAny>, outcome: Outcome },
    /// A log record of an async call, for the `enjo` logger.
    Log(Record),
}

/// How the loop learns that the queue has something.
enum Waker {
    #[cfg(unix)]
    Pipe {
        tx: std::os::unix::net::UnixStream,
        rx: std::os::unix::net::UnixStream,
    },
    /// `weakref.ref(loop)`: wake-ups go through `loop.call_soon_threadsafe`.
    Threadsafe { loop_ref: Py<PyAny> },
}

pub struct Shared {
    queue: Mutex<Vec<Item>>,
    waker: Waker,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Vec<Item>> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn push(self: &Arc<Self>, item: Item) {
        let was_empty = {
            let mut queue = self.lock();
            let was_empty = queue.is_empty();
            queue.push(item);
            was_empty
        };
        if !was_empty {
            return; // a wake-up is already on its way
        }
        match &self.waker {
            #[cfg(unix)]
            Waker::Pipe { tx, .. } => {
                // Full pipe (WouldBlock): the loop has wake-ups pending anyway.
                let _ = (&*tx).write(&[1]);
            }
            Waker::Threadsafe { loop_ref } => Python::attach(|py| {
                let scheduled = (|| {
                    let event_loop = loop_ref.bind(py).call0()?;
                    if event_loop.is_none() {
                        return Ok(()); // the loop is gone: nobody awaits these futures
                    }
                    let drain = Drain {
                        shared: Arc::clone(self),
                    };
                    event_loop.call_method1(intern!(py, "call_soon_threadsafe"), (drain,))?;
                    Ok::<_, PyErr>(())
                })();
                if let Err(err) = scheduled {
                    // The loop is closed: nobody awaits these futures any more.
                    err.write_unraisable(py, None);
                }
            }),
        }
    }

    /// Settles every finished request's future and emits queued log records, in the order the
    /// tasks pushed them (runs on the loop's thread).
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        #[cfg(unix)]
        if let Waker::Pipe { rx, .. } = &self.waker {
            let mut sink = [0u8; 256];
            loop {
                match (&*rx).read(&mut sink) {
                    Ok(0) => break,
                    Ok(_) => continue,
                    Err(e) if e.kind() == IoErrorKind::Interrupted => continue,
                    Err(_) => break, // WouldBlock: emptied
                }
            }
        }
        let items = std::mem::take(&mut *self.lock());
        for item in items {
            match item {
                Item::Done { future, outcome } => settle(py, future.bind(py), outcome)?,
                Item::Log(record) => crate::logging::emit(py, &record),
            }
        }
        Ok(())
    }
}

fn settle(py: Python<'_>, future: &Bound<'_, PyAny>, outcome: Outcome) -> PyResult<()> {
    // Cancelled meanwhile (its task was aborted too late to stop it): drop the reply.
    if future.call_method0(intern!(py, "done"))?.is_truthy()? {
        return Ok(());
    }
    let settled = match outcome {
        Outcome::Reply(reply) => {
            let reply = Py::new(py, MessageResponse::from(*reply))?;
            future.call_method1(intern!(py, "set_result"), (reply,))
        }
        Outcome::Failed(err) => {
            let err = to_pyerr(py, &err).into_value(py);
            future.call_method1(intern!(py, "set_exception"), (err,))
        }
    };
    if let Err(err) = settled {
        err.write_unraisable(py, Some(future));
    }
    Ok(())
}

/// Where an async call's log records go: its loop's queue.
#[derive(Clone)]
pub struct LogQueue(Arc<Shared>);

impl LogQueue {
    pub fn push(&self, record: Record) {
        self.0.push(Item::Log(record));
    }
}

/// The completion queue of one asyncio event loop (made by `enjo._client`).
#[pyclass(frozen, weakref, module = "enjo._enjo")]
pub struct Completions {
    shared: Arc<Shared>,
}

impl Completions {
    /// Where the log records of calls settled through this queue go.
    pub fn log_queue(&self) -> LogQueue {
        LogQueue(Arc::clone(&self.shared))
    }
}

#[pymethods]
impl Completions {
    /// A queue woken through a socket pair (`fileno()` for `loop.add_reader`), or, with
    /// `loop_ref` (a `weakref.ref` to the loop), through `loop.call_soon_threadsafe`.
    #[new]
    #[pyo3(signature = (loop_ref=None))]
    fn new(py: Python<'_>, loop_ref: Option<Py<PyAny>>) -> PyResult<Completions> {
        guard(py, || {
            let waker = match loop_ref {
                Some(loop_ref) => Waker::Threadsafe { loop_ref },
                None => pipe_waker()?,
            };
            Ok(Completions {
                shared: Arc::new(Shared {
                    queue: Mutex::new(Vec::new()),
                    waker,
                }),
            })
        })
    }

    /// The descriptor to watch with `loop.add_reader` (-1 for a thread-safe-call queue).
    fn fileno(&self, py: Python<'_>) -> PyResult<i32> {
        guard(py, || {
            Ok(match &self.shared.waker {
                #[cfg(unix)]
                Waker::Pipe { rx, .. } => {
                    use std::os::fd::AsRawFd;
                    rx.as_raw_fd()
                }
                Waker::Threadsafe { .. } => -1,
            })
        })
    }

    /// Settles every finished request's future (runs on the loop's thread).
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || self.shared.drain(py))
    }
}

/// One wake-up of a thread-safe-call queue: `loop.call_soon_threadsafe(Drain(...))`.
#[pyclass(frozen, module = "enjo._enjo")]
struct Drain {
    shared: Arc<Shared>,
}

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || self.shared.drain(py))
    }
}

#[cfg(unix)]
fn pipe_waker() -> PyResult<Waker> {
    let (tx, rx) = std::os::unix::net::UnixStream::pair()?;
    tx.set_nonblocking(true)?;
    rx.set_nonblocking(true)?;
    Ok(Waker::Pipe { tx, rx })
}

#[cfg(not(unix))]
fn pipe_waker() -> PyResult<Waker> {
    Err(pyo3::exceptions::PyNotImplementedError::new_err(
        "no socket-pair wake-up on this platform",
    ))
}

/// Requests started and not yet finished or dropped (a test hook: cancellation must drop them).
pub static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

struct InFlight;

impl InFlight {
    fn new() -> InFlight {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A running request; `cancel()` aborts it.
#[pyclass(frozen, module = "enjo._enjo")]
pub struct Task {
    abort: Option<tokio::task::AbortHandle>,
}

#[pymethods]
impl Task {
    /// Aborts the request (idempotent; nothing happens once it has finished).
    fn cancel(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || {
            if let Some(abort) = &self.abort {
                abort.abort();
            }
            Ok(())
        })
    }
}

/// Runs `request` on the core's runtime ([`enjo::process::spawn`]: a panic becomes an
/// `InternalError`); its outcome settles `future` through `completions`.
pub fn spawn<F>(completions: &Completions, future: Py<PyAny>, request: F) -> Task
where
    F: Future<Output = enjo::Result<enjo::MessageResponse>> + Send + 'static,
{
    let shared = completions.shared.clone();
    let in_flight = InFlight::new();
    let request = async move {
        let _in_flight = in_flight;
        request.await
    };
    let abort = enjo::process::spawn(request, move |result| {
        let outcome = Outcome::from_result(result.and_then(|reply| reply));
        shared.push(Item::Done { future, outcome });
    });
    Task { abort }
}
