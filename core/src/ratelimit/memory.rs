//! [`MemoryStore`]: the in-process store.

use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::Instant;

use super::{CANCEL_GRACE, Decision, LimiterStore, Quota, SlidingLog, SlotId};

/// The in-process store: a [`SlidingLog`] behind a mutex.
#[derive(Debug, Default)]
pub struct MemoryStore {
    log: Mutex<SlidingLog>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// A store holding `log`.
    pub fn from_log(log: SlidingLog) -> MemoryStore {
        MemoryStore {
            log: Mutex::new(log),
        }
    }

    fn log(&self) -> MutexGuard<'_, SlidingLog> {
        // The log stays consistent even if a holder panicked: every method leaves it valid.
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl LimiterStore for MemoryStore {
    fn try_acquire(&self, quotas: &[Quota], now: Instant) -> Decision {
        self.log().try_acquire(quotas, now)
    }
    fn peek(&self, quotas: &[Quota], now: Instant) -> Decision {
        self.log().peek(quotas, now)
    }
    fn complete(&self, slot: SlotId, now: Instant) {
        self.log().complete(slot, now)
    }
    fn block_until(&self, until: Instant) {
        self.log().block_until(until)
    }
    fn estimate(&self, quotas: &[Quota], ahead: usize, now: Instant) -> Instant {
        self.log().estimate(quotas, ahead, now)
    }
    /// A copy of the parent's log, its requests in flight counted as completed
    /// [`CANCEL_GRACE`] from now. If another thread of the parent held the log at the instant
    /// of the fork (it never releases it in the child), the child starts blocked for the
    /// longest documented window instead: conservative, and rare.
    fn forked(&self, now: Instant) -> Option<Arc<dyn LimiterStore>> {
        let completed_at = now.checked_add(CANCEL_GRACE).unwrap_or(now);
        let log = match self.log.try_lock() {
            Ok(log) => log.forked(completed_at),
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner().forked(completed_at),
            Err(TryLockError::WouldBlock) => {
                let mut log = SlidingLog::new();
                log.block_until(now.checked_add(super::MIN_HISTORY).unwrap_or(now));
                log
            }
        };
        Some(Arc::new(MemoryStore::from_log(log)))
    }
}
