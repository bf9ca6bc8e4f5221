//! [`SharedStore`]: a log that several processes (a file) or hosts (Redis) share, and the
//! reservation rule both backends apply.
//!
//! A shared store does not poll: a caller *reserves* the earliest instant `t*` at which every
//! quota has room (one call; it is admitted at once when `t* = now`), the reservation is an
//! entry of the log from then on (stamped `t*`, so the next callers queue behind it, first come
//! first served across the fleet), and the caller sleeps until `t*`, then *confirms*: the store
//! checks the quotas again against the requests actually sent, and either admits it (its entry
//! is then in flight) or moves it to a later `t*` (when requests completed later than planned).
//! A request in flight counts as completing "now" until its response arrives (then its stamp
//! becomes that instant) or its [`LEASE`] ends (its process died); a caller cancelled before
//! sending removes its entry.
//!
//! The rule, for quotas of `N` per `W` and a margin `m`:
//! `t* = max(now, blocked_until, max over quotas of s_N + W + m)`, where `s_N` is the `N`-th
//! latest stamp (no constraint with fewer than `N` entries). At a confirmation only the
//! requests sent count (not the other reservations), which makes the shared log as exact as
//! the in-process one: the server sees request `i` at `a_i`, between its confirmation and its
//! response; take a server window and the request `j` of it confirmed last: every other one
//! was in flight (counted as now) or completed after `a_j - W` when `j` was confirmed, so at
//! most `N - 1` others were counted.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use std::sync::Arc;

use super::{Quota, SlotId};
use crate::error::{Error, Result};

/// A boxed future returned by a [`SharedStore`].
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The default margin ([`SharedStore`]): 20 ms, the time a request may take from its grant
/// to the server on a typical network. It costs `m / W` of the throughput of a quota of window
/// `W` (0.4 % of 10 per 5 s).
pub const DEFAULT_MARGIN: Duration = Duration::from_millis(20);

/// How long a request counts as in flight at most: past it, a request whose process died
/// before completing it counts from its stamp only. Two minutes: more than the default
/// timeout (60 s) plus [`CANCEL_GRACE`](super::CANCEL_GRACE).
pub const LEASE: Duration = Duration::from_secs(120);

/// A reserved entry: when `confirmed`, send now; else [confirm](SharedStore::confirm) it at
/// `at` (on the limiter's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    /// The entry in the store's log.
    pub slot: SlotId,
    /// When the caller may send (after confirming).
    pub at: Instant,
    /// Admitted: the entry is in flight, send now.
    pub confirmed: bool,
}

/// A request log shared by processes (a file) or hosts (Redis). Every method may fail (the
/// store is unreachable): callers turn that into
/// [`ErrorKind::RateLimitStore`](crate::ErrorKind::RateLimitStore) before sending anything,
/// or fall back to the in-process store when asked to.
///
/// A backend implements the steps ([`reserve_now`](Self::reserve_now),
/// [`confirm_now`](Self::confirm_now), ...); [`reserve`](Self::reserve) and
/// [`confirm`](Self::confirm) are written once here: they run the step detached from their
/// caller, so a caller dropped mid-call never leaks a reservation.
pub trait SharedStore: Send + Sync + 'static {
    /// The store for people, without secrets (`file:/path`, `redis://host:6379/0`).
    fn describe(&self) -> String;
    /// This store as a shared handle (a backend is a cheap clone of an `Arc`): what the
    /// detached work of [`reserve`](Self::reserve) releases an orphaned reservation with.
    fn handle(&self) -> Arc<dyn SharedStore>;
    /// The backend's reservation step, run in the caller's task: see
    /// [`reserve`](Self::reserve).
    fn reserve_now(
        &self,
        quotas: &[Quota],
        now: Instant,
    ) -> StoreFuture<'static, Result<Reservation>>;
    /// The backend's confirmation step, run in the caller's task: see
    /// [`confirm`](Self::confirm).
    fn confirm_now(
        &self,
        slot: SlotId,
        quotas: &[Quota],
        now: Instant,
    ) -> StoreFuture<'static, Result<Reservation>>;
    /// Removes a reservation whose caller gave up before sending.
    fn release(&self, slot: SlotId) -> StoreFuture<'static, Result<()>>;
    /// The request of `slot` counts as completed `after` from now: zero when its response
    /// arrived, a grace period when it was cut short and may still reach the server. Its
    /// entry's stamp only ever moves later.
    fn complete(&self, slot: SlotId, after: Duration) -> StoreFuture<'static, Result<()>>;
    /// Nothing may be reserved for sending before `wait` from now (a server 429), for every
    /// process of the store.
    fn block_for(&self, wait: Duration) -> StoreFuture<'static, Result<()>>;

    /// Reserves the earliest instant at which a request may be sent under every one of
    /// `quotas` at once (all or nothing). `now` is the limiter's clock, read just before.
    /// Cancel-safe: dropped before the store answers, the reservation is released.
    fn reserve<'a>(
        &'a self,
        quotas: &'a [Quota],
        now: Instant,
    ) -> StoreFuture<'a, Result<Reservation>> {
        detached(self.handle(), self.reserve_now(quotas, now))
    }
    /// At the reserved instant: admits the reservation `slot` (confirmed: send now), or moves
    /// it to a later instant (confirm again then). A reservation the store lost (an emptied
    /// Redis) is replaced by a new one. Cancel-safe, as [`reserve`](Self::reserve).
    fn confirm<'a>(
        &'a self,
        slot: SlotId,
        quotas: &'a [Quota],
        now: Instant,
    ) -> StoreFuture<'a, Result<Reservation>> {
        detached(self.handle(), self.confirm_now(slot, quotas, now))
    }
}

/// Runs `work` (a reservation or a confirmation) on the SDK's process-wide runtime, detached
/// from its caller: a caller dropped while the store answers (cancelled, timed out) leaves the
/// work to finish there, and the reservation it made is released instead of leaking.
pub(crate) fn detached(
    store: Arc<dyn SharedStore>,
    work: StoreFuture<'static, Result<Reservation>>,
) -> StoreFuture<'static, Result<Reservation>> {
    Box::pin(async move {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let pending = super::Pending::start();
        crate::process::runtime()?.spawn(async move {
            let _pending = pending;
            if let Err(Ok(orphan)) = tx.send(work.await)
                && let Err(err) = store.release(orphan.slot).await
            {
                tracing::debug!(
                    target: "enjo::ratelimit",
                    error = %err,
                    "rate limit: could not release a reservation whose caller left"
                );
            }
        });
        rx.await
            .map_err(|_| Error::internal("a shared store task ended without an answer"))?
    })
}

/// The canonical text of a quota set, stored with the log: `N:Wµs` pairs, sorted, `;`-joined
/// (e.g. `10:5000000;20:60000000`).
pub(crate) fn quotas_key(quotas: &[Quota]) -> String {
    let mut quotas = quotas.to_vec();
    quotas.sort();
    quotas.dedup();
    quotas
        .iter()
        .map(|q| format!("{}:{}", q.requests, q.window.as_micros()))
        .collect::<Vec<_>>()
        .join(";")
}

/// The refusal when two clients use different quotas on one store and key.
pub(crate) fn quota_conflict(store: &str, stored: &str, ours: &str) -> crate::Error {
    crate::Error::invalid_argument(format!(
        "rate limit store {store} already holds a log for the quotas {} while this client \
         enforces {}: every process sharing a store and key must use the same quotas (or set \
         a different rate_limit_key)",
        show_quotas(stored),
        show_quotas(ours)
    ))
}

fn show_quotas(key: &str) -> String {
    key.split(';')
        .filter_map(|pair| {
            let (n, w) = pair.split_once(':')?;
            let w: u64 = w.parse().ok()?;
            Some(format!("{n}/{:?}", Duration::from_micros(w)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How long entries must be kept for `quotas`: the longest window plus the margin. (Unlike
/// the in-process log, no [`MIN_HISTORY`](super::MIN_HISTORY) floor: every client of a shared
/// log uses the same quotas, so none can prune what another needs.)
pub(crate) fn horizon(quotas: &[Quota], margin: Duration) -> Duration {
    quotas.iter().map(|q| q.window).max().unwrap_or_default() + margin
}

/// The reservation rule on stamps in microseconds: the earliest instant `>= now` and
/// `>= blocked` at which every quota has room. `stamps` need not be sorted.
pub(crate) fn earliest(
    stamps: &[i64],
    quotas: &[Quota],
    now: i64,
    blocked: i64,
    margin: i64,
) -> i64 {
    let mut sorted = stamps.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let mut at = now.max(blocked);
    for quota in quotas {
        let n = quota.requests as usize;
        if let Some(&nth) = n.checked_sub(1).and_then(|i| sorted.get(i)) {
            let window = i64::try_from(quota.window.as_micros()).unwrap_or(i64::MAX);
            at = at.max(nth.saturating_add(window).saturating_add(margin));
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    #[test]
    fn all_quotas_at_once_and_window_edges() {
        let q = [
            Quota::new(2, Duration::from_secs(1)),
            Quota::new(3, Duration::from_secs(10)),
        ];
        // Empty log: now.
        assert_eq!(earliest(&[], &q, 5 * S, 0, 0), 5 * S);
        // One entry: room in both.
        assert_eq!(earliest(&[5 * S], &q, 5 * S, 0, 0), 5 * S);
        // Two entries at 5 s: the short quota is full until exactly 6 s (an entry at the
        // window's edge no longer counts).
        assert_eq!(earliest(&[5 * S, 5 * S], &q, 5 * S, 0, 0), 6 * S);
        // Three: the long quota decides (its 3rd latest at 1 s leaves at 11 s).
        assert_eq!(earliest(&[S, 5 * S, 5 * S], &q, 5 * S, 0, 0), 11 * S);
        // The margin widens every window; a block comes first.
        assert_eq!(earliest(&[5 * S, 5 * S], &q, 5 * S, 0, 7), 6 * S + 7);
        assert_eq!(earliest(&[], &q, 5 * S, 9 * S, 0), 9 * S);
        // A reservation in the future is an entry too.
        assert_eq!(earliest(&[9 * S, 8 * S], &q, 5 * S, 0, 0), 9 * S);
    }

    #[test]
    fn quota_of_one() {
        let q = [Quota::new(1, Duration::from_secs(1))];
        assert_eq!(earliest(&[3 * S], &q, 3 * S, 0, 0), 4 * S);
        assert_eq!(earliest(&[3 * S], &q, 4 * S, 0, 0), 4 * S);
    }

    #[test]
    fn quotas_key_is_canonical() {
        let a = quotas_key(&Quota::DOCUMENTED);
        let mut rev = Quota::DOCUMENTED;
        rev.reverse();
        assert_eq!(a, quotas_key(&rev));
        assert_eq!(a, "10:5000000;20:60000000");
        let err = quota_conflict("file:/x", &a, "1:1000000");
        assert!(err.to_string().contains("10/5s, 20/60s"), "{err}");
    }
}
