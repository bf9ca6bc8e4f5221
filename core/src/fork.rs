//! Which process this is, for state that must be rebuilt in a child after `fork()`, without a
//! `getpid` system call on every use.
//!
//! On Unix a `pthread_atfork` handler bumps a counter in the child of every `fork()`, so
//! [`epoch`] is one atomic load: state tagged with an older epoch was inherited from a
//! parent. (glibc unregisters the handler if the library is unloaded.) Where the handler
//! cannot be registered, and off Unix, the process id is the epoch, as before.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The counter the child handler bumps; starts at 1 so that 0 can mean "never set".
static FORKS: AtomicU64 = AtomicU64::new(1);

/// Tells the process-id epochs (fallback) apart from the counter's.
const PID_EPOCH: u64 = 1 << 40;

#[cfg(unix)]
extern "C" fn in_child() {
    // Async-signal-safe: one atomic add, nothing else, in the child right after fork().
    FORKS.fetch_add(1, Ordering::AcqRel);
}

/// Whether the child handler is in place (decided once, before any epoch is handed out).
fn counted() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        #[cfg(unix)]
        {
            // SAFETY: registers a handler that only does an atomic add; no other state.
            unsafe { libc::pthread_atfork(None, None, Some(in_child)) == 0 }
        }
        #[cfg(not(unix))]
        {
            false
        }
    })
}

/// This process's epoch: never 0, the same for every call within one process, and
/// different in a child after `fork()` from every epoch its parent handed out before the fork.
pub fn epoch() -> u64 {
    if counted() {
        FORKS.load(Ordering::Acquire)
    } else {
        PID_EPOCH | u64::from(std::process::id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_never_zero() {
        let a = epoch();
        assert_ne!(a, 0);
        assert_eq!(a, epoch());
    }

    #[cfg(unix)]
    #[test]
    fn a_forked_child_has_a_new_epoch() {
        let parent = epoch();
        // SAFETY: the child only reads an atomic and exits with _exit (async-signal-safe).
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let changed = epoch() != parent;
            // SAFETY: ends the child without running the parent's exit handlers.
            unsafe { libc::_exit(if changed { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waits for the child just forked.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status), "child did not exit normally");
        assert_eq!(
            libc::WEXITSTATUS(status),
            0,
            "the child saw its parent's epoch"
        );
        assert_eq!(epoch(), parent, "the parent's epoch is unchanged");
    }
}
