//! State that must be rebuilt in a child process after `fork()`.
//!
//! After `fork()` only the forking thread exists in the child: a tokio runtime's worker threads,
//! the connections in an HTTP pool and any lock held by another thread are gone or unusable.
//! Everything process-wide is therefore keyed by the process (its [fork epoch](fork_epoch): no `getpid` per use) and rebuilt on first use in a
//! child. The parent's copies are leaked in the child, never dropped: dropping a runtime whose
//! threads do not exist would hang.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use crate::error::{Error, ErrorKind, Result};
pub use crate::fork::epoch as fork_epoch;

/// A lazily built value, one per process: rebuilt on first use after a `fork()`.
pub struct PerProcess<T: 'static> {
    /// The [fork epoch](fork_epoch) `value` was built in (0: never).
    pid: AtomicU64,
    value: AtomicPtr<T>,
    init_lock: Mutex<()>,
}

impl<T: Send + Sync + 'static> PerProcess<T> {
    /// An empty cell (usable in a `static`).
    pub const fn new() -> PerProcess<T> {
        PerProcess {
            pid: AtomicU64::new(0),
            value: AtomicPtr::new(std::ptr::null_mut()),
            init_lock: Mutex::new(()),
        }
    }

    /// This process's value, built with `init` on first use in this process.
    pub fn get_or_init(&self, init: impl FnOnce() -> T) -> &'static T {
        match self.get_or_try_init(|| Ok::<T, std::convert::Infallible>(init())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Like [`PerProcess::get_or_init`] with a fallible `init` (tried again on next use).
    pub fn get_or_try_init<E>(&self, init: impl FnOnce() -> Result<T, E>) -> Result<&'static T, E> {
        self.get_or_try_init_with(|_| init())
    }

    /// Like [`PerProcess::get_or_init`], with `init` given the value of the process this one
    /// was forked from (when that one had built it), to carry state over. Only lock-free reads
    /// (`try_lock`) of it are safe: a lock held by a parent thread stays held in the child.
    pub fn get_or_init_with(&self, init: impl FnOnce(Option<&'static T>) -> T) -> &'static T {
        match self
            .get_or_try_init_with(|previous| Ok::<T, std::convert::Infallible>(init(previous)))
        {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    fn get_or_try_init_with<E>(
        &self,
        init: impl FnOnce(Option<&'static T>) -> Result<T, E>,
    ) -> Result<&'static T, E> {
        let pid = fork_epoch();
        if let Some(value) = self.current(pid) {
            return Ok(value);
        }
        let _guard = self
            .init_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(value) = self.current(pid) {
            return Ok(value);
        }
        // SAFETY: a non-null pointer always comes from `Box::leak` below and is never freed.
        let previous = unsafe { self.value.load(Ordering::Acquire).as_ref() };
        // Leaked on purpose: one value per process, and never dropped in a child (see above).
        let value: &'static T = Box::leak(Box::new(init(previous)?));
        self.value
            .store(value as *const T as *mut T, Ordering::Release);
        self.pid.store(pid, Ordering::Release);
        Ok(value)
    }

    fn current(&self, pid: u64) -> Option<&'static T> {
        if self.pid.load(Ordering::Acquire) != pid {
            return None;
        }
        let ptr = self.value.load(Ordering::Acquire);
        // SAFETY: a non-null pointer always comes from `Box::leak` above and is never freed.
        unsafe { ptr.as_ref() }
    }
}

impl<T: Send + Sync + 'static> Default for PerProcess<T> {
    fn default() -> Self {
        PerProcess::new()
    }
}

static RUNTIME: PerProcess<tokio::runtime::Runtime> = PerProcess::new();

/// Worker threads of the process-wide runtime: `ENJO_IO_THREADS` (1 to 64), else 1.
///
/// One thread serves the API's few requests per minute with the lowest latency (no hop between
/// workers); raise it only for very high request rates against a server without limits.
fn io_threads() -> usize {
    std::env::var("ENJO_IO_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| (1..=64).contains(n))
        .unwrap_or(1)
}

fn io_error(e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Connection,
        format!("could not start the SDK's I/O runtime: {e}"),
    )
    .with_source(e)
    .with_maybe_sent(false)
}

/// The SDK's process-wide tokio runtime (worker threads named `enjo-io`: one by default, or
/// `ENJO_IO_THREADS`), rebuilt in a child after `fork()`. Async bindings run their requests
/// on it.
pub fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    RUNTIME.get_or_try_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(io_threads())
            .thread_name("enjo-io")
            .enable_all()
            .build()
            .map_err(io_error)
    })
}

/// Runs `future` on the [process-wide runtime](runtime) and hands what it gives to `settle`
/// (on a runtime thread): `Ok(output)`, or an [`ErrorKind::Internal`] error when polling it
/// panicked. When the runtime cannot start, `settle` gets that error at once, on the calling
/// thread, and `None` is returned. Otherwise the handle aborts the future: dropped where it
/// waits (a connection closed, a place in the rate limiter's line given up), `settle` is then
/// dropped without being called. What async bindings run their requests with.
pub fn spawn<T, F, S>(future: F, settle: S) -> Option<tokio::task::AbortHandle>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
    S: FnOnce(Result<T>) + Send + 'static,
{
    match runtime() {
        Ok(runtime) => {
            let task = runtime.spawn(async move {
                settle(crate::unwind::catch_unwind_future(future).await);
            });
            Some(task.abort_handle())
        }
        Err(err) => {
            settle(Err(err));
            None
        }
    }
}

thread_local! {
    /// This thread's own runtime for blocking calls, with the fork epoch it was built in.
    static THREAD_RUNTIME: RefCell<Option<(u64, tokio::runtime::Runtime)>> =
        const { RefCell::new(None) };
    /// Whether this thread is inside [`block_on_this_thread`].
    static ON_THREAD_RUNTIME: Cell<bool> = const { Cell::new(false) };
}

/// True while a blocking call runs on this thread's own runtime: the HTTP client then uses
/// this thread's connection pool (connections belong to the runtime that made them).
pub(crate) fn on_thread_runtime() -> bool {
    ON_THREAD_RUNTIME.with(Cell::get)
}

/// Runs `future` on a current-thread runtime owned by the calling thread, so that a blocking
/// call does all its I/O on the caller's thread: no wake-up of another thread, hence lower
/// latency. The runtime is rebuilt after `fork()` (the parent's is leaked, never dropped).
/// Must not be called from inside a tokio runtime.
pub(crate) fn block_on_this_thread<F: Future>(future: F) -> Result<F::Output> {
    struct Flag(bool);
    impl Drop for Flag {
        fn drop(&mut self) {
            ON_THREAD_RUNTIME.with(|f| f.set(self.0));
        }
    }
    THREAD_RUNTIME.with(|slot| {
        let mut slot = slot.borrow_mut();
        let pid = fork_epoch();
        if !matches!(&*slot, Some((owner, _)) if *owner == pid) {
            if let Some(parent) = slot.take() {
                std::mem::forget(parent);
            }
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(io_error)?;
            *slot = Some((pid, runtime));
        }
        let Some((_, runtime)) = slot.as_ref() else {
            return Err(Error::new(ErrorKind::Connection, "no I/O runtime"));
        };
        // Restored even if the future panics.
        let _restore = Flag(ON_THREAD_RUNTIME.with(|f| f.replace(true)));
        Ok(runtime.block_on(async {
            // This runtime sleeps between calls, so its pooled connections learn only now that
            // the server may have closed them while idle. Yielding once polls the I/O driver
            // (tokio runs deferred tasks after it) and lets those connection tasks see their
            // EOF before the request picks a connection: without it, a call after an idle
            // period would be written to a dead connection and fail.
            tokio::task::yield_now().await;
            future.await
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_value_within_a_process() {
        static CELL: PerProcess<String> = PerProcess::new();
        let a = CELL.get_or_init(|| "a".to_owned());
        let b = CELL.get_or_init(|| "b".to_owned());
        assert!(std::ptr::eq(a, b));
        assert_eq!(b, "a");
    }

    #[test]
    fn blocking_calls_run_on_the_callers_thread() {
        assert!(!on_thread_runtime());
        let inside = block_on_this_thread(async { on_thread_runtime() }).expect("runtime");
        assert!(inside);
        assert!(!on_thread_runtime(), "the flag is restored");
        let caught = std::panic::catch_unwind(|| {
            let _ = block_on_this_thread(async { panic!("boom") });
        });
        assert!(caught.is_err());
        assert!(!on_thread_runtime(), "restored after a panic too");
    }

    #[test]
    fn one_io_thread_by_default() {
        if std::env::var_os("ENJO_IO_THREADS").is_none() {
            assert_eq!(io_threads(), 1);
            assert_eq!(runtime().expect("runtime").metrics().num_workers(), 1);
        }
    }

    #[test]
    fn failed_init_is_retried() {
        static CELL: PerProcess<u8> = PerProcess::new();
        assert!(CELL.get_or_try_init(|| Err::<u8, ()>(())).is_err());
        assert_eq!(CELL.get_or_try_init(|| Ok::<u8, ()>(7)), Ok(&7));
    }
}
