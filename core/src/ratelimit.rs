//! Client-side rate limiting: an exact sliding log, shared per host in the process.
//!
//! Enjo allows 20 requests per minute and 10 per 5 seconds per client IP. The limiter makes
//! sure that a process never sends a request those limits would refuse, whatever algorithm the
//! server uses (fixed or sliding windows), by keeping a log of every request and checking every
//! [`Quota`] at once.
//!
//! # What "exact" means here
//!
//! A request holds its place in the log from the moment it is granted (`g`) until its response
//! has arrived (`c`). A new request `j` is granted at the earliest instant `t` (no earlier than
//! its arrival, nor than the request granted before it: callers are served first come, first
//! served) such that, for every quota of `N` requests per window `W`,
//! `#{ earlier requests i : c_i > t - W } <= N - 1`; a request still in flight counts, since
//! `c_i` is unknown but later than `t`.
//!
//! Why this is safe: the server sees request `i` at some instant `a_i` with `g_i <= a_i <= c_i`,
//! whatever the network did. Take any window `(s - W, s]` of the server and the requests it
//! saw in it; let `j` be the one granted last. Every other one has `c_i >= a_i > s - W >= a_j -
//! W >= g_j - W`, so it is one of the at most `N - 1` requests counted when `j` was granted:
//! the window holds at most `N`. Counting from the grant alone would not be safe: a request
//! delayed on the way can land in the same server window as a later one.
//!
//! Callers wait for the computed instant (no polling, no busy loop), or for a completion when
//! the quota is full of requests in flight. A bound on the wait turns into a local
//! [`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited) error without sending anything.
//! A 429 with `Retry-After` from the server blocks every caller until then.
//!
//! The state lives behind [`LimiterStore`], so that a store shared by processes (a file lock) or
//! by hosts (Redis) can replace the in-process [`MemoryStore`] without touching callers; time
//! comes from a [`Clock`], which tests replace.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::process::PerProcess;

/// The latest instant the limiter computes with: a year after `now` (later ones saturate).
fn far_future(now: Instant) -> Instant {
    now.checked_add(crate::validate::MAX_DURATION)
        .unwrap_or(now)
}

/// At most `requests` requests in any window of length `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    /// How many requests a window may hold (at least 1).
    pub requests: u32,
    /// The window's length (more than zero).
    pub window: Duration,
}

impl Quota {
    /// `requests` per `window`. Checked by [`Quota::validate`] when a client is built.
    pub const fn new(requests: u32, window: Duration) -> Quota {
        Quota { requests, window }
    }

    /// Enjo's documented limits per IP: 20 requests per minute and 10 per 5 seconds.
    pub const DOCUMENTED: [Quota; 2] = [
        Quota::new(20, Duration::from_secs(60)),
        Quota::new(10, Duration::from_secs(5)),
    ];

    /// Rejects a quota of zero requests, a zero-length window, or a window longer than
    /// [`MAX_DURATION`](crate::validate::MAX_DURATION) (a year).
    pub fn validate(&self) -> Result<()> {
        if self.requests == 0 || self.window.is_zero() {
            return Err(Error::invalid_argument(format!(
                "rate limit quota {self} is empty: it needs at least 1 request and a window above 0"
            )));
        }
        if self.window > crate::validate::MAX_DURATION {
            return Err(Error::invalid_argument(format!(
                "rate limit quota {self} has a window longer than a year"
            )));
        }
        Ok(())
    }

    /// A quota from another language's numbers: `requests` a whole number from 1 (`name` is
    /// how the caller spells that field, for the error message), `window` already converted
    /// (see [`validate::seconds`](crate::validate::seconds)).
    pub fn from_count(name: &str, requests: f64, window: Duration) -> Result<Quota> {
        let requests = crate::validate::count(name, requests)?;
        let quota = Quota::new(requests, window);
        quota.validate()?;
        Ok(quota)
    }

    /// Parses a comma-separated list such as `20/60s,10/5s` (units `ms`, `s`, `m`; a bare number
    /// means seconds).
    pub fn parse_list(spec: &str) -> Result<Vec<Quota>> {
        let bad = |part: &str| {
            Error::invalid_argument(format!(
                "rate limit {part:?} is not of the form REQUESTS/WINDOW, e.g. 20/60s,10/5s"
            ))
        };
        spec.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|part| {
                let (n, w) = part.split_once('/').ok_or_else(|| bad(part))?;
                let requests: u32 = n.trim().parse().map_err(|_| bad(part))?;
                let w = w.trim();
                let (num, scale) = if let Some(v) = w.strip_suffix("ms") {
                    (v, 0.001)
                } else if let Some(v) = w.strip_suffix('s') {
                    (v, 1.0)
                } else if let Some(v) = w.strip_suffix('m') {
                    (v, 60.0)
                } else {
                    (w, 1.0)
                };
                let value: f64 = num.trim().parse().map_err(|_| bad(part))?;
                let window = Duration::try_from_secs_f64(value * scale).map_err(|_| bad(part))?;
                let quota = Quota::new(requests, window);
                quota.validate()?;
                Ok(quota)
            })
            .collect()
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:?}", self.requests, self.window)
    }
}

/// Which limits the client enforces on itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RateLimit {
    /// Enjo's documented limits ([`Quota::DOCUMENTED`]). The default.
    #[default]
    Documented,
    /// Your own quotas, all enforced at once (e.g. a share of the IP's budget).
    Custom(Vec<Quota>),
    /// No client-side limiting (the server's 429s are still retried).
    Off,
}

impl RateLimit {
    /// The quotas to enforce (empty when off).
    pub fn quotas(&self) -> &[Quota] {
        match self {
            RateLimit::Documented => &Quota::DOCUMENTED,
            RateLimit::Custom(quotas) => quotas,
            RateLimit::Off => &[],
        }
    }

    /// Checks every quota.
    pub fn validate(&self) -> Result<()> {
        if let RateLimit::Custom(quotas) = self {
            if quotas.is_empty() {
                return Err(Error::invalid_argument(
                    "custom rate limit has no quotas; use RateLimit::Off to turn limiting off",
                ));
            }
            quotas.iter().try_for_each(Quota::validate)?;
        }
        Ok(())
    }
}

/// Identifies one granted request in a store's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlotId(pub u64);

/// A store's answer to "may I send now?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Granted: send now, and report completion with this id.
    Granted(SlotId),
    /// Nothing can be sent before this instant.
    WaitUntil(Instant),
    /// A quota is full of requests in flight: wait until one completes.
    WaitForCompletion,
}

/// Where the request log lives. Implementations must be exact for their scope (a process, a
/// machine, a fleet) and apply the rule described in the [module docs](self).
pub trait LimiterStore: Send + Sync + 'static {
    /// Grants a slot at `now` under every one of `quotas`, or says how long to wait.
    fn try_acquire(&self, quotas: &[Quota], now: Instant) -> Decision;
    /// What [`LimiterStore::try_acquire`] would answer, without taking anything.
    fn peek(&self, quotas: &[Quota], now: Instant) -> Decision;
    /// The request holding `slot` got its response (or gave up) at `now`.
    fn complete(&self, slot: SlotId, now: Instant);
    /// Nothing may be granted before `until` (a server 429's `Retry-After`).
    fn block_until(&self, until: Instant);
}

/// The exact sliding log, as a plain data structure with time passed in (no clock, no I/O).
///
/// Requests in flight are kept by id; completed ones only as their completion instants, in
/// order, for as long as the longest window: every check is O(number of quotas).
#[derive(Debug, Default)]
pub struct SlidingLog {
    /// Granted requests that have not completed: id → grant instant.
    in_flight: HashMap<u64, Instant>,
    /// Completion instants, oldest first.
    done: VecDeque<Instant>,
    blocked_until: Option<Instant>,
    next_id: u64,
    /// The longest window seen: completions older than this can never matter again.
    horizon: Duration,
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

    /// See [`LimiterStore::peek`].
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

    /// See [`LimiterStore::try_acquire`].
    pub fn try_acquire(&mut self, quotas: &[Quota], now: Instant) -> Decision {
        let decision = self.peek(quotas, now);
        if let Decision::Granted(SlotId(id)) = decision {
            self.next_id += 1;
            self.in_flight.insert(id, now);
        }
        decision
    }

    /// See [`LimiterStore::complete`]. Unknown or already completed slots are ignored.
    pub fn complete(&mut self, slot: SlotId, now: Instant) {
        let Some(granted) = self.in_flight.remove(&slot.0) else {
            return;
        };
        let at = granted.max(now);
        // Completions come in time order in practice: insert from the back.
        let position = self
            .done
            .iter()
            .rposition(|&t| t <= at)
            .map_or(0, |p| p + 1);
        self.done.insert(position, at);
    }

    /// See [`LimiterStore::block_until`]; a later block wins over an earlier one.
    pub fn block_until(&mut self, until: Instant) {
        self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
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
}

/// A boxed future, as returned by [`Clock::sleep_until`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where the limiter gets time from. The default, [`TokioClock`], follows tokio's clock, so
/// `tokio::time::pause()` also drives the limiter in tests.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
    /// Completes at `deadline` (at once if it has passed).
    fn sleep_until(&self, deadline: Instant) -> Sleep;
}

/// The default clock: `tokio::time`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

/// Waits for permission to send, on top of a [`LimiterStore`] and a [`Clock`].
///
/// One limiter is shared by every client of the process that talks to the same origin
/// ([`RateLimiter::shared`]); each client passes its own quotas. Waiters are served in arrival
/// order, and only the first in line consults the store.
pub struct RateLimiter {
    store: Arc<dyn LimiterStore>,
    clock: Arc<dyn Clock>,
    /// First come, first served: the holder is the only waiter consulting the store.
    turnstile: tokio::sync::Mutex<()>,
    /// Signalled whenever a request completes.
    completed: Notify,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter").finish_non_exhaustive()
    }
}

static SHARED: PerProcess<Mutex<HashMap<String, Arc<RateLimiter>>>> = PerProcess::new();

impl RateLimiter {
    /// A limiter over `store`, with time from `clock`.
    pub fn new(store: Arc<dyn LimiterStore>, clock: Arc<dyn Clock>) -> RateLimiter {
        RateLimiter {
            store,
            clock,
            turnstile: tokio::sync::Mutex::new(()),
            completed: Notify::new(),
        }
    }

    /// An in-process limiter on tokio's clock.
    pub fn in_memory() -> RateLimiter {
        RateLimiter::new(Arc::new(MemoryStore::new()), Arc::new(TokioClock))
    }

    /// The limiter shared by every client of this process that talks to `origin`
    /// (`scheme://host:port`). A child process after `fork()` gets fresh ones.
    pub fn shared(origin: &str) -> Arc<RateLimiter> {
        let map = SHARED.get_or_init(|| Mutex::new(HashMap::new()));
        let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry(origin.to_owned())
            .or_insert_with(|| Arc::new(RateLimiter::in_memory()))
            .clone()
    }

    /// The limiter's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Waits until a request may be sent under `quotas`, at most `max_wait` (unbounded when
    /// `None`). Past the bound it fails at once with a local `RateLimited` error saying how
    /// long the wait would have been; nothing is sent. Cancel-safe: dropping the future gives
    /// up the place in line.
    pub async fn acquire(
        self: &Arc<Self>,
        quotas: &[Quota],
        max_wait: Option<Duration>,
    ) -> Result<Permit> {
        let start = self.clock.now();
        // A bound too large to add to an instant is no bound at all.
        let deadline = max_wait.and_then(|w| start.checked_add(w));
        let too_long = |limiter: &RateLimiter, bound: Duration| {
            let now = limiter.clock.now();
            let until = match limiter.store.peek(quotas, now) {
                Decision::WaitUntil(until) => until,
                _ => now.checked_add(bound).unwrap_or(now),
            };
            Error::local_rate_limit(until.saturating_duration_since(now), bound)
        };
        let _turn = match (deadline, self.turnstile.try_lock()) {
            (_, Ok(turn)) => turn,
            (None, Err(_)) => self.turnstile.lock().await,
            (Some(deadline), Err(_)) => {
                tokio::select! {
                    turn = self.turnstile.lock() => turn,
                    () = self.clock.sleep_until(deadline) => {
                        return Err(too_long(self, max_wait.unwrap_or_default()));
                    }
                }
            }
        };
        loop {
            let completed = self.completed.notified();
            tokio::pin!(completed);
            completed.as_mut().enable();
            let now = self.clock.now();
            match self.store.try_acquire(quotas, now) {
                Decision::Granted(slot) => {
                    let waited = now.saturating_duration_since(start);
                    if !waited.is_zero() {
                        tracing::debug!(
                            target: "enjo::ratelimit",
                            waited_ms = waited.as_millis() as u64,
                            "rate limit: slot granted after waiting"
                        );
                    }
                    return Ok(Permit {
                        limiter: Some(self.clone()),
                        slot,
                        waited,
                    });
                }
                Decision::WaitUntil(until) => {
                    if let Some(deadline) = deadline.filter(|&d| until > d) {
                        return Err(Error::local_rate_limit(
                            until.saturating_duration_since(now),
                            deadline.saturating_duration_since(start),
                        ));
                    }
                    tracing::debug!(
                        target: "enjo::ratelimit",
                        wait_ms = until.saturating_duration_since(now).as_millis() as u64,
                        "rate limit: waiting for a slot"
                    );
                    tokio::select! {
                        () = self.clock.sleep_until(until) => {}
                        () = &mut completed => {}
                    }
                }
                Decision::WaitForCompletion => match deadline {
                    Some(deadline) => {
                        tokio::select! {
                            () = &mut completed => {}
                            () = self.clock.sleep_until(deadline) => {
                                return Err(too_long(self, max_wait.unwrap_or_default()));
                            }
                        }
                    }
                    None => completed.await,
                },
            }
        }
    }

    /// What acquiring under `quotas` at `now` would answer, without taking a slot.
    pub fn peek(&self, quotas: &[Quota], now: Instant) -> Decision {
        self.store.peek(quotas, now)
    }

    /// Blocks every caller until `retry_after` from now (the server said 429).
    pub fn block_for(&self, retry_after: Duration) {
        let now = self.clock.now();
        let until = now
            .checked_add(retry_after)
            .unwrap_or_else(|| far_future(now));
        self.store.block_until(until);
        tracing::debug!(
            target: "enjo::ratelimit",
            retry_after_ms = retry_after.as_millis() as u64,
            "rate limit: server asked to wait; blocking every caller"
        );
    }
}

/// Permission to send one request. Dropping it records the request's completion, so hold it
/// until the response has arrived.
#[must_use = "the slot is released when the permit is dropped"]
pub struct Permit {
    limiter: Option<Arc<RateLimiter>>,
    slot: SlotId,
    waited: Duration,
}

impl Permit {
    /// A permit that limits nothing (rate limiting off).
    pub fn unlimited() -> Permit {
        Permit {
            limiter: None,
            slot: SlotId(0),
            waited: Duration::ZERO,
        }
    }

    /// How long the caller waited for this permit.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("slot", &self.slot)
            .field("waited", &self.waited)
            .finish()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(limiter) = self.limiter.take() {
            limiter.store.complete(self.slot, limiter.clock.now());
            limiter.completed.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn parse_list_reads_units() -> Result<()> {
        assert_eq!(
            Quota::parse_list("20/60s,10/5s")?,
            Quota::DOCUMENTED.to_vec()
        );
        assert_eq!(
            Quota::parse_list("5/200ms, 1/2m,3/4")?,
            vec![
                Quota::new(5, 200 * MS),
                Quota::new(1, Duration::from_secs(120)),
                Quota::new(3, Duration::from_secs(4)),
            ]
        );
        for bad in ["x", "5", "0/1s", "5/0s", "5/-1s", "a/1s", "5/1h"] {
            assert!(Quota::parse_list(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn in_flight_requests_hold_their_slot() {
        let t0 = Instant::now();
        let quotas = [Quota::new(2, 100 * MS)];
        let mut log = SlidingLog::new();
        let Decision::Granted(a) = log.try_acquire(&quotas, t0) else {
            panic!("first must be granted")
        };
        assert!(matches!(log.try_acquire(&quotas, t0), Decision::Granted(_)));
        assert_eq!(log.try_acquire(&quotas, t0), Decision::WaitForCompletion);
        log.complete(a, t0 + 30 * MS);
        // The completed one leaves the window 100 ms after it completed, not after its grant.
        assert_eq!(
            log.try_acquire(&quotas, t0 + 40 * MS),
            Decision::WaitUntil(t0 + 130 * MS)
        );
        assert!(matches!(
            log.try_acquire(&quotas, t0 + 130 * MS),
            Decision::Granted(_)
        ));
    }

    #[test]
    fn block_until_stops_everyone() {
        let t0 = Instant::now();
        let mut log = SlidingLog::new();
        log.block_until(t0 + 50 * MS);
        log.block_until(t0 + 10 * MS);
        assert_eq!(log.try_acquire(&[], t0), Decision::WaitUntil(t0 + 50 * MS));
        assert!(matches!(
            log.try_acquire(&[], t0 + 50 * MS),
            Decision::Granted(_)
        ));
    }

    #[test]
    fn old_entries_are_pruned() {
        let t0 = Instant::now();
        let quotas = [Quota::new(100, 10 * MS)];
        let mut log = SlidingLog::new();
        for i in 0..50 {
            if let Decision::Granted(slot) = log.try_acquire(&quotas, t0 + i * MS) {
                log.complete(slot, t0 + i * MS);
            }
        }
        assert!(log.len() <= 11, "log kept {} entries", log.len());
    }
}
