//! State that must be rebuilt in a child process after `fork()`.
//!
//! After `fork()` only the forking thread exists in the child: a tokio runtime's worker threads,
//! the connections in an HTTP pool and any lock held by another thread are gone or unusable.
//! Everything process-wide is therefore keyed by the process id and rebuilt on first use in a
//! child. The parent's copies are leaked in the child, never dropped: dropping a runtime whose
//! threads do not exist would hang.

use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use crate::error::{Error, ErrorKind, Result};

/// A lazily built value, one per process: rebuilt on first use after a `fork()`.
pub struct PerProcess<T: 'static> {
    pid: AtomicU32,
    value: AtomicPtr<T>,
    init_lock: Mutex<()>,
}

impl<T: Send + Sync + 'static> PerProcess<T> {
    /// An empty cell (usable in a `static`).
    pub const fn new() -> PerProcess<T> {
        PerProcess {
            pid: AtomicU32::new(0),
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
        let pid = std::process::id();
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
        // Leaked on purpose: one value per process, and never dropped in a child (see above).
        let value: &'static T = Box::leak(Box::new(init()?));
        self.value
            .store(value as *const T as *mut T, Ordering::Release);
        self.pid.store(pid, Ordering::Release);
        Ok(value)
    }

    fn current(&self, pid: u32) -> Option<&'static T> {
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

/// The SDK's process-wide tokio runtime (two worker threads named `enjo-io`), rebuilt in a
/// child after `fork()`. The blocking client and the bindings run their requests on it.
pub fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    RUNTIME.get_or_try_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("enjo-io")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Connection,
                    format!("could not start the SDK's I/O threads: {e}"),
                )
                .with_source(e)
                .with_maybe_sent(false)
            })
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
    fn failed_init_is_retried() {
        static CELL: PerProcess<u8> = PerProcess::new();
        assert!(CELL.get_or_try_init(|| Err::<u8, ()>(())).is_err());
        assert_eq!(CELL.get_or_try_init(|| Ok::<u8, ()>(7)), Ok(&7));
    }
}
