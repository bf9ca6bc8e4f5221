//! [`SlidingLog`]: the exact sliding log as a plain data structure, time passed in.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::{Decision, Quota, SlotId, far_future};

/// The shortest history a log keeps: the longest documented window ([`Quota::DOCUMENTED`]),
/// so that a client with only short custom windows cannot prune what a default client of the
/// same host needs.
pub const MIN_HISTORY: Duration = Duration::from_secs(60);

/// The exact sliding log, as a plain data structure with time passed in (no clock, no I/O).
///
/// Requests in flight are kept by id; completed ones only as their completion instants, in
/// order, for as long as the longest window any caller has used (at least [`MIN_HISTORY`]):
/// every check is O(number of quotas).
#[derive(Debug, Clone)]
pub struct SlidingLog {
    /// Granted requests that have not completed: id → grant instant.
    in_flight: HashMap<u64, Instant>,
    /// Completion instants, oldest first.
    done: VecDeque<Instant>,
    blocked_until: Option<Instant>,
    next_id: u64,
    /// The longest window seen (at least [`MIN_HISTORY`]): completions older than this can
    /// never matter again.
    horizon: Duration,
}

impl Default for SlidingLog {
    fn default() -> Self {
        SlidingLog {
            in_flight: HashMap::new(),
            done: VecDeque::new(),
            blocked_until: None,
            next_id: 0,
            horizon: MIN_HISTORY,
        }
    }
}

impl SlidingLog {
    /// An empty log.
    pub fn new() -> SlidingLog {
        SlidingLog::default()
    }

    /// Number of requests remembered (in flight or completed within the longest window).
    pub fn len(&self) -> usize {
        self.in_flight.len() + self.done.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// See [`LimiterStore::peek`](super::LimiterStore::peek).
    pub fn peek(&mut self, quotas: &[Quota], now: Instant) -> Decision {
        if let Some(window) = quotas.iter().map(|q| q.window).max() {
            self.horizon = self.horizon.max(window);
        }
        self.prune(now);
        if let Some(until) = self.blocked_until.filter(|&until| until > now) {
            return Decision::WaitUntil(until);
        }
        let in_flight = self.in_flight.len();
        let mut wait_until: Option<Instant> = None;
        for quota in quotas {
            let limit = quota.requests as usize;
            if in_flight >= limit {
                return Decision::WaitForCompletion;
            }
            // At most `room` completed requests may still be inside the window at grant time,
            // so the (room+1)-th most recent completion must have left it.
            let room = limit - 1 - in_flight;
            if let Some(&pivot) = self
                .done
                .len()
                .checked_sub(room + 1)
                .and_then(|i| self.done.get(i))
            {
                // Windows are at most a year (`Quota::validate`); saturate rather than panic
                // for a store fed unvalidated quotas.
                let earliest = pivot
                    .checked_add(quota.window)
                    .unwrap_or_else(|| far_future(now));
                if earliest > now {
                    wait_until = Some(wait_until.map_or(earliest, |w| w.max(earliest)));
                }
            }
        }
        match wait_until {
            Some(until) => Decision::WaitUntil(until),
            None => Decision::Granted(SlotId(self.next_id)),
        }
    }

    /// See [`LimiterStore::try_acquire`](super::LimiterStore::try_acquire).
    pub fn try_acquire(&mut self, quotas: &[Quota], now: Instant) -> Decision {
        let decision = self.peek(quotas, now);
        if let Decision::Granted(SlotId(id)) = decision {
            self.next_id += 1;
            self.in_flight.insert(id, now);
        }
        decision
    }

    /// See [`LimiterStore::complete`](super::LimiterStore::complete). Unknown or already
    /// completed slots are ignored. `now` may lie in the future (a request cut short counts
    /// as completed a grace period later).
    pub fn complete(&mut self, slot: SlotId, now: Instant) {
        let Some(granted) = self.in_flight.remove(&slot.0) else {
            return;
        };
        self.insert_done(granted.max(now));
    }

    fn insert_done(&mut self, at: Instant) {
        // Completions come in time order in practice: insert from the back.
        let position = self
            .done
            .iter()
            .rposition(|&t| t <= at)
            .map_or(0, |p| p + 1);
        self.done.insert(position, at);
    }

    /// See [`LimiterStore::block_until`](super::LimiterStore::block_until); a later block wins
    /// over an earlier one.
    pub fn block_until(&mut self, until: Instant) {
        self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
    }

    /// See [`LimiterStore::estimate`](super::LimiterStore::estimate): the earliest instant the
    /// request behind `ahead` others of the same quotas could be granted, if every request in
    /// flight completed at `now` and each of those ahead at its own grant. A lower bound: the
    /// real grant can only come later.
    pub fn estimate(&self, quotas: &[Quota], ahead: usize, now: Instant) -> Instant {
        let mut log = self.clone();
        for granted in std::mem::take(&mut log.in_flight).into_values() {
            log.insert_done(granted.max(now));
        }
        let mut at = now;
        for _ in 0..=ahead {
            // Each grant takes at most three checks: the block, then the quotas' instant.
            let mut granted = false;
            for _ in 0..4 {
                match log.peek(quotas, at) {
                    Decision::Granted(_) => {
                        log.insert_done(at);
                        granted = true;
                        break;
                    }
                    Decision::WaitUntil(until) if until > at => at = until,
                    // Only an unvalidated quota of 0 requests gets here: never.
                    _ => return far_future(now),
                }
            }
            if !granted {
                return far_future(now);
            }
        }
        at
    }

    /// The log a child process starts from after `fork()`: the same history, with the
    /// parent's requests in flight (which the child can never complete) counted as completed
    /// at `completed_at`.
    pub fn forked(&self, completed_at: Instant) -> SlidingLog {
        let mut log = self.clone();
        for granted in std::mem::take(&mut log.in_flight).into_values() {
            log.insert_done(granted.max(completed_at));
        }
        log
    }

    fn prune(&mut self, now: Instant) {
        while self
            .done
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= self.horizon)
        {
            self.done.pop_front();
        }
    }
}
