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
//! has arrived (`c`). A new request `j` whose client enforces a set of quotas is granted at the
//! earliest instant `t` (no earlier than its arrival, nor than the request granted before it
//! among the callers with the same quotas: those are served first come, first served) such
//! that, for every quota of `N` requests per window `W` in its set,
//! `#{ earlier requests i, of any client : c_i > t - W } <= N - 1`; a request still in flight
//! counts, since `c_i` is unknown but later than `t`.
//!
//! Why this is safe: the server sees request `i` at some instant `a_i` with `g_i <= a_i <= c_i`,
//! whatever the network did. Take a quota `N` per `W`, any window `(s - W, s]` of the server,
//! and the requests it saw in it; let `j` be the one granted last, and say its client enforces
//! that quota. Every other one has `c_i >= a_i > s - W >= a_j - W >= g_j - W`, so it is one of
//! the at most `N - 1` requests counted when `j` was granted: the window holds at most `N`.
//! So a quota holds for all of the process's traffic to the host whenever every client of the
//! host enforces it (the default: every client uses the documented limits); a client with
//! looser custom quotas answers only for its own. Counting from the grant alone would not be
//! safe: a request delayed on the way can land in the same server window as a later one.
//!
//! Three details keep `a_i <= c_i` and the count true:
//! - **Cut short.** An attempt cancelled or timed out after its bytes may have left cannot
//!   know `c_i`: the server may still see it. It counts as completed [`CANCEL_GRACE`] after
//!   it was abandoned (the assumption: bytes that left reach the server within that time,
//!   or never), while an attempt that got its response, or provably never left, completes at
//!   once ([`Permit::complete`]).
//! - **History.** Completions are kept for the longest window any caller has used, and at
//!   least [`MIN_HISTORY`] (the longest documented window): a client with only a short
//!   custom window cannot prune what a default client needs.
//! - **Queues per quota set.** Callers with the same quotas wait in one first come, first
//!   served line (only its head consults the store); callers with other quotas (another
//!   client of the host) have their own line over the same log, so a tight custom quota at the
//!   head of its line never holds back a client whose quotas have room. The rule above is
//!   checked against the whole log at every grant, so the proof holds whatever the
//!   interleaving of lines. A retry keeps its arrival place ([`Ticket`]) ahead of later
//!   callers.
//!
//! Callers wait for the computed instant (no polling, no busy loop), or for a completion when
//! the quota is full of requests in flight. A bound on the wait (or a call's deadline) turns
//! into a local [`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited) error at once, as soon
//! as the expected wait (counting the callers ahead in line) exceeds it, without sending
//! anything. A 429 with `Retry-After` from the server blocks every caller until then.
//!
//! # After `fork()`
//!
//! A child process never inherits a place in line nor the parent's requests in flight (which
//! it could never complete): on first use in a child, each limiter starts a fresh line over a
//! copy of the parent's log ([`LimiterStore::forked`]), the requests in flight counted as
//! completed [`CANCEL_GRACE`] later. So a child does not get a fresh quota right after its
//! parent used one. From then on the processes' logs are separate: a parent and its children
//! sending at once share the server's budget without coordinating (a store shared between
//! processes is the fix for that).
//!
//! The state lives behind [`LimiterStore`], so that a store shared by processes (a file lock) or
//! by hosts (Redis) can replace the in-process [`MemoryStore`] without touching callers; time
//! comes from a [`Clock`], which tests replace.

mod file;
mod log;
mod memory;
mod redis;
mod shared;
mod spec;
pub(crate) mod store_option;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::process::PerProcess;
use crate::telemetry::WaitReason;

/// What [`RateLimiter::acquire_observed`] calls when a caller learns it must wait: how long,
/// and why.
pub type OnWait<'a> = dyn Fn(Duration, WaitReason) + Send + Sync + 'a;

pub use file::FileStore;
pub use log::{MIN_HISTORY, SlidingLog};
pub use memory::MemoryStore;
pub use redis::{RedisStore, SCRIPT as REDIS_SCRIPT};
pub use shared::{DEFAULT_MARGIN, Reservation, SharedStore, StoreFuture};
pub use spec::{ENV_KEY, ENV_STORE, RedisUrl, StoreSpec};

/// How long after being abandoned an attempt that was cut short (cancelled, or timed out
/// after its bytes may have left) still counts as in flight: the server may see it that much
/// later. Ten seconds, the default connect timeout: the SDK's own bound on how slow a network
/// may be before it gives up on it.
pub const CANCEL_GRACE: Duration = Duration::from_secs(10);

/// The latest instant the limiter computes with: a year after `now` (later ones saturate).
fn far_future(now: Instant) -> Instant {
    now.checked_add(crate::validate::MAX_DURATION)
        .unwrap_or(now)
}

/// At most `requests` requests in any window of length `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// A lower bound of the instant a request under `quotas` could be granted with `ahead`
    /// others of the same quotas before it (see [`SlidingLog::estimate`]): how a caller with a
    /// deadline learns at once that it cannot make it. The default knows only the next grant.
    fn estimate(&self, quotas: &[Quota], ahead: usize, now: Instant) -> Instant {
        let _ = ahead;
        match self.peek(quotas, now) {
            Decision::WaitUntil(until) => until,
            _ => now,
        }
    }
    /// The store a child process uses after `fork()`: `None` (the default) for a store that
    /// processes share (a file, Redis), which the child keeps using; a per-process store returns
    /// a copy of its history, since the parent's requests in flight are never completed in the
    /// child.
    fn forked(&self, now: Instant) -> Option<Arc<dyn LimiterStore>> {
        let _ = now;
        None
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

/// A caller's place in line: its arrival order at the limiter ([`RateLimiter::ticket`]). Every
/// attempt of one call waits with the call's ticket, so a retry (after a 429) is served before
/// the callers with the same quotas that arrived after the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(u64);

/// A limiter's state in one process: the store it uses there, and its lines.
struct Local {
    store: Arc<dyn LimiterStore>,
    /// The callers waiting, one first come, first served line per quota set.
    lines: Mutex<HashMap<Vec<Quota>, BTreeSet<Ticket>>>,
    /// Signalled whenever a request completes or a caller leaves its line.
    changed: Notify,
}

impl Local {
    fn new(store: Arc<dyn LimiterStore>) -> Local {
        Local {
            store,
            lines: Mutex::new(HashMap::new()),
            changed: Notify::new(),
        }
    }

    fn lines(&self) -> MutexGuard<'_, HashMap<Vec<Quota>, BTreeSet<Ticket>>> {
        // Every update leaves the lines valid, even if a holder panicked.
        self.lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A caller's place in the line of its quota set; leaving it (granted, failed or cancelled)
/// lets the next one in.
struct Place<'a> {
    local: &'a Local,
    key: Vec<Quota>,
    ticket: Ticket,
}

impl<'a> Place<'a> {
    fn enter(local: &'a Local, quotas: &[Quota], ticket: Ticket) -> Place<'a> {
        let mut key = quotas.to_vec();
        key.sort();
        key.dedup();
        local.lines().entry(key.clone()).or_default().insert(ticket);
        Place { local, key, ticket }
    }

    /// How many callers of the same quotas are ahead in line.
    fn ahead(&self) -> usize {
        self.local
            .lines()
            .get(&self.key)
            .map_or(0, |line| line.range(..self.ticket).count())
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        {
            let mut lines = self.local.lines();
            if let Some(line) = lines.get_mut(&self.key) {
                line.remove(&self.ticket);
                if line.is_empty() {
                    lines.remove(&self.key);
                }
            }
        }
        self.local.changed.notify_waiters();
    }
}

/// Waits for permission to send, on top of a [`LimiterStore`] and a [`Clock`].
///
/// One limiter is shared by every client of the process that talks to the same origin
/// ([`RateLimiter::shared`]); each client passes its own quotas. Callers with the same quotas
/// are served in arrival order and only the first in their line consults the store; callers
/// with other quotas wait in a line of their own over the same log (see the
/// [module docs](self)). Usable in a child process after `fork()`.
pub struct RateLimiter {
    clock: Arc<dyn Clock>,
    /// The [fork epoch](crate::process::fork_epoch) of the process that made the limiter.
    home_epoch: u64,
    /// The state in that process.
    home: Local,
    /// The state in a child process after `fork()`, built on first use there.
    forked: PerProcess<Local>,
    next_ticket: AtomicU64,
    /// A store shared with other processes, when there is one (the in-process store is then
    /// the fallback).
    shared: Option<Shared>,
}

/// A limiter's shared store and what to do when it fails.
struct Shared {
    store: Arc<dyn SharedStore>,
    /// Use the in-process store while the shared one fails (with one warning).
    fallback: bool,
    warned: AtomicBool,
    /// This process's latest 429 block, applied before the store hears of it.
    blocked: Mutex<Option<Instant>>,
}

type StoreMap = HashMap<String, Arc<RateLimiter>>;

static STORES: PerProcess<Mutex<StoreMap>> = PerProcess::new();

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter").finish_non_exhaustive()
    }
}

type SharedMap = HashMap<String, Arc<RateLimiter>>;

static SHARED: PerProcess<Mutex<SharedMap>> = PerProcess::new();

/// The key of an origin in the shared map: scheme, lowercase host and port (only when not the
/// scheme's default), no path, so every spelling of one origin shares one budget.
fn origin_key(origin: &str) -> String {
    let origin = origin.trim();
    match url::Url::parse(origin) {
        Ok(url) if url.has_host() => url.origin().ascii_serialization(),
        _ => origin.trim_end_matches('/').to_ascii_lowercase(),
    }
}

/// A child's shared limiters: the parent's (each starts from its parent's log on first use in
/// the child), unless a parent thread held the map at the instant of the fork.
fn inherit(parent: Option<&Mutex<SharedMap>>) -> SharedMap {
    match parent.map(Mutex::try_lock) {
        None => SharedMap::new(),
        Some(Ok(map)) => map.clone(),
        Some(Err(TryLockError::Poisoned(poisoned))) => poisoned.into_inner().clone(),
        Some(Err(TryLockError::WouldBlock)) => {
            tracing::warn!(
                target: "enjo::ratelimit",
                "rate limit: the parent process was using its limiters at the instant of fork(); \
                 this child starts from empty logs"
            );
            SharedMap::new()
        }
    }
}

impl RateLimiter {
    /// A limiter over `store`, with time from `clock`.
    pub fn new(store: Arc<dyn LimiterStore>, clock: Arc<dyn Clock>) -> RateLimiter {
        RateLimiter {
            clock,
            home_epoch: crate::process::fork_epoch(),
            home: Local::new(store),
            forked: PerProcess::new(),
            next_ticket: AtomicU64::new(0),
            shared: None,
        }
    }

    /// A limiter over a store shared with other processes or hosts ([`FileStore`],
    /// [`RedisStore`]), with time from `clock`. When the store fails, a call fails with
    /// [`ErrorKind::RateLimitStore`](crate::ErrorKind::RateLimitStore) before sending anything,
    /// unless `fallback` is true: then the call uses this process's own log instead (one
    /// warning), and the shared store is tried again on the next call.
    pub fn with_shared_store(
        store: Arc<dyn SharedStore>,
        fallback: bool,
        clock: Arc<dyn Clock>,
    ) -> RateLimiter {
        let mut limiter = RateLimiter::new(Arc::new(MemoryStore::new()), clock);
        limiter.shared = Some(Shared {
            store,
            fallback,
            warned: AtomicBool::new(false),
            blocked: Mutex::new(None),
        });
        limiter
    }

    /// The limiter of the process for `spec` and `key` (one per distinct store, key, margin
    /// and fallback choice, so the clients naming them share one line): the origin's
    /// [`RateLimiter::shared`] for [`StoreSpec::Memory`] (`key` is then the origin), a
    /// [`FileStore`] or a [`RedisStore`] otherwise. `margin` is added to every window of a
    /// shared store ([`DEFAULT_MARGIN`] when `None`).
    pub fn for_store(
        spec: &StoreSpec,
        key: &str,
        fallback: bool,
        margin: Option<Duration>,
    ) -> Result<Arc<RateLimiter>> {
        RateLimiter::for_store_trusting(spec, key, fallback, margin, &[])
    }

    /// [`RateLimiter::for_store`], with `roots` (PEM) as the only trusted certificate
    /// authorities of a `rediss://` store when not empty (the client's
    /// `root_certificate_pem`); the system's roots otherwise.
    pub fn for_store_trusting(
        spec: &StoreSpec,
        key: &str,
        fallback: bool,
        margin: Option<Duration>,
        roots: &[Vec<u8>],
    ) -> Result<Arc<RateLimiter>> {
        let margin = margin.unwrap_or(DEFAULT_MARGIN);
        let map_key = match spec {
            StoreSpec::Memory => return Ok(RateLimiter::shared(key)),
            StoreSpec::File(path) => format!("file\n{}\n{fallback}\n{margin:?}", path.display()),
            StoreSpec::Redis(url) => {
                use std::hash::{Hash, Hasher};
                let mut trusted = std::collections::hash_map::DefaultHasher::new();
                roots.hash(&mut trusted);
                format!(
                    "redis\n{}\n{key}\n{fallback}\n{margin:?}\n{:x}",
                    url.secret_url(),
                    trusted.finish()
                )
            }
        };
        let map = STORES.get_or_init(|| Mutex::new(StoreMap::new()));
        let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(limiter) = map.get(&map_key) {
            return Ok(limiter.clone());
        }
        let store: Arc<dyn SharedStore> = match spec {
            StoreSpec::Memory => return Ok(RateLimiter::shared(key)),
            StoreSpec::File(path) => Arc::new(FileStore::new(path, margin)),
            StoreSpec::Redis(url) => Arc::new(RedisStore::trusting(url, key, margin, roots)?),
        };
        let limiter = Arc::new(RateLimiter::with_shared_store(
            store,
            fallback,
            Arc::new(TokioClock),
        ));
        map.insert(map_key, limiter.clone());
        Ok(limiter)
    }

    /// The shared store's description (`file:/path`, `redis://host:6379/0` without password),
    /// or `memory`.
    pub fn store_name(&self) -> String {
        self.shared
            .as_ref()
            .map_or_else(|| "memory".to_owned(), |s| s.store.describe())
    }

    /// An in-process limiter on tokio's clock.
    pub fn in_memory() -> RateLimiter {
        RateLimiter::new(Arc::new(MemoryStore::new()), Arc::new(TokioClock))
    }

    /// The limiter shared by every client of this process that talks to `origin`
    /// (`scheme://host:port`; spellings of one origin, such as `https://API.enjo.ai:443/` and
    /// `https://api.enjo.ai`, share one). A child process after `fork()` starts from its
    /// parent's logs.
    pub fn shared(origin: &str) -> Arc<RateLimiter> {
        let map = SHARED.get_or_init_with(|parent| Mutex::new(inherit(parent)));
        let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry(origin_key(origin))
            .or_insert_with(|| Arc::new(RateLimiter::in_memory()))
            .clone()
    }

    /// Waits (at most `max`) for the background updates of shared stores (completions,
    /// releases, blocks) started so far: a short-lived process calls it before exiting, so its
    /// last request's completion reaches the store.
    pub async fn settle(max: Duration) {
        let _ = tokio::time::timeout(max, async {
            loop {
                let settled = SETTLED.notified();
                tokio::pin!(settled);
                settled.as_mut().enable();
                if PENDING.load(Ordering::SeqCst) == 0 {
                    return;
                }
                settled.await;
            }
        })
        .await;
    }

    /// [`RateLimiter::settle`] for code outside any tokio runtime (the CLI before it exits).
    pub fn settle_blocking(max: Duration) {
        if PENDING.load(Ordering::SeqCst) == 0 || tokio::runtime::Handle::try_current().is_ok() {
            return;
        }
        if let Ok(runtime) = crate::process::runtime() {
            runtime.block_on(RateLimiter::settle(max));
        }
    }

    /// The limiter's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// This process's state: after `fork()`, a fresh line over a copy of the parent's log.
    fn local(&self) -> &Local {
        if crate::process::fork_epoch() == self.home_epoch {
            return &self.home;
        }
        self.forked.get_or_init_with(|previous| {
            let parent = previous.unwrap_or(&self.home);
            let store = parent
                .store
                .forked(self.clock.now())
                .unwrap_or_else(|| parent.store.clone());
            Local::new(store)
        })
    }

    /// A new place at the end of the line: pass it to every [`RateLimiter::acquire_as`] of
    /// one call, so its retries keep their place.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.next_ticket.fetch_add(1, Ordering::Relaxed))
    }

    /// Waits until a request may be sent under `quotas`, at most `max_wait` (unbounded when
    /// `None`). When the expected wait (the callers ahead in line counted) exceeds the bound,
    /// it fails at once with a local `RateLimited` error saying how long the wait would be;
    /// nothing is sent. An empty quota (0 requests, or a zero window) is an `InvalidArgument`
    /// error. Cancel-safe: dropping the future gives up the place in line.
    pub async fn acquire(
        self: &Arc<Self>,
        quotas: &[Quota],
        max_wait: Option<Duration>,
    ) -> Result<Permit> {
        self.acquire_as(self.ticket(), quotas, max_wait).await
    }

    /// Like [`RateLimiter::acquire`], in the place of `ticket` (from [`RateLimiter::ticket`]):
    /// ahead of every caller with the same quotas that took its ticket later.
    pub async fn acquire_as(
        self: &Arc<Self>,
        ticket: Ticket,
        quotas: &[Quota],
        max_wait: Option<Duration>,
    ) -> Result<Permit> {
        self.acquire_observed(ticket, quotas, max_wait, None).await
    }

    /// Like [`RateLimiter::acquire_as`], calling `on_wait` (when given; at most once) with the expected
    /// wait when the caller learns it must wait within its bound: a quota of the in-process
    /// log is full, a server 429 blocks the limiter, or a shared store reserved a later
    /// instant. This is how a client emits [`Event::RateLimitWait`](crate::Event::RateLimitWait).
    pub async fn acquire_observed(
        self: &Arc<Self>,
        ticket: Ticket,
        quotas: &[Quota],
        max_wait: Option<Duration>,
        on_wait: Option<&OnWait<'_>>,
    ) -> Result<Permit> {
        quotas.iter().try_for_each(Quota::validate)?;
        if let Some(shared) = &self.shared {
            match self
                .acquire_shared(shared, ticket, quotas, max_wait, on_wait)
                .await
            {
                Err(err) if shared.fallback && err.kind() == crate::ErrorKind::RateLimitStore => {
                    if !shared.warned.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            target: "enjo::ratelimit",
                            store = %shared.store.describe(),
                            error = %err,
                            "rate limit: the shared store is unavailable; falling back to this \
                             process's own limiter (other processes are not counted) until it \
                             is back"
                        );
                    }
                }
                other => {
                    if other.is_ok() && shared.warned.swap(false, Ordering::Relaxed) {
                        tracing::warn!(
                            target: "enjo::ratelimit",
                            store = %shared.store.describe(),
                            "rate limit: the shared store is back"
                        );
                    }
                    return other;
                }
            }
        }
        self.acquire_local(ticket, quotas, max_wait, on_wait).await
    }

    /// [`RateLimiter::acquire_as`] through the shared store: wait for this caller's turn in
    /// the process's line, reserve the earliest instant in the store (one call), leave the line
    /// (the next caller reserves right behind), sleep until the instant. Dropped before it, the
    /// reservation is released.
    async fn acquire_shared(
        self: &Arc<Self>,
        shared: &Shared,
        ticket: Ticket,
        quotas: &[Quota],
        max_wait: Option<Duration>,
        on_wait: Option<&OnWait<'_>>,
    ) -> Result<Permit> {
        let local = self.local();
        let start = self.clock.now();
        let deadline = max_wait.and_then(|w| start.checked_add(w));
        let bound = max_wait.unwrap_or_default();
        // Announces the first wait within the bound (past it the call fails at once instead).
        let announced = AtomicBool::new(false);
        let announce = |until: Instant, now: Instant, reason: WaitReason| {
            if let Some(on_wait) = on_wait
                && deadline.is_none_or(|d| until <= d)
                && !announced.swap(true, Ordering::Relaxed)
            {
                on_wait(until.saturating_duration_since(now), reason);
            }
        };
        let too_long = |until: Instant, now: Instant| {
            let wait = until.saturating_duration_since(now);
            Error::local_rate_limit(if wait.is_zero() { bound } else { wait }, bound)
        };
        let place = Place::enter(local, quotas, ticket);
        loop {
            let changed = local.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if place.ahead() == 0 {
                break;
            }
            match deadline {
                None => changed.await,
                Some(deadline) => tokio::select! {
                    () = &mut changed => {}
                    () = self.clock.sleep_until(deadline) => {
                        return Err(too_long(deadline, self.clock.now()));
                    }
                },
            }
        }
        let blocked = *shared
            .blocked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(until) = blocked.filter(|&until| until > self.clock.now()) {
            if deadline.is_some_and(|d| until > d) {
                return Err(too_long(until, self.clock.now()));
            }
            announce(until, self.clock.now(), WaitReason::ServerRetryAfter);
            self.clock.sleep_until(until).await;
        }
        let now = self.clock.now();
        let mut reservation = shared.store.reserve(quotas, now).await?;
        drop(place);
        let mut guard = Reserved {
            store: Some(shared.store.clone()),
            slot: reservation.slot,
        };
        while !reservation.confirmed {
            let now = self.clock.now();
            if deadline.is_some_and(|d| reservation.at > d) {
                // The guard releases the reservation.
                return Err(too_long(reservation.at, now));
            }
            announce(reservation.at, now, WaitReason::SharedStore);
            tracing::debug!(
                target: "enjo::ratelimit",
                wait_ms = reservation.at.saturating_duration_since(now).as_millis() as u64,
                reason = "shared store reservation",
                "rate limit: reserved a slot in the shared store; waiting for it"
            );
            self.clock.sleep_until(reservation.at).await;
            reservation = shared
                .store
                .confirm(reservation.slot, quotas, self.clock.now())
                .await?;
            guard.slot = reservation.slot;
        }
        let store = guard.disarm();
        Ok(Permit {
            limiter: Some(self.clone()),
            slot: reservation.slot,
            waited: self.clock.now().saturating_duration_since(start),
            epoch: crate::process::fork_epoch(),
            shared: store,
        })
    }

    /// [`RateLimiter::acquire_as`] on this process's own store.
    async fn acquire_local(
        self: &Arc<Self>,
        ticket: Ticket,
        quotas: &[Quota],
        max_wait: Option<Duration>,
        on_wait: Option<&OnWait<'_>>,
    ) -> Result<Permit> {
        let local = self.local();
        let store = &local.store;
        let start = self.clock.now();
        // A bound too large to add to an instant is no bound at all.
        let deadline = max_wait.and_then(|w| start.checked_add(w));
        // What the log says before queueing: the wait announced (within the bound; past it
        // the call fails at once instead).
        if let Some(on_wait) = on_wait
            && let Decision::WaitUntil(until) = store.peek(quotas, start)
            && deadline.is_none_or(|d| until <= d)
        {
            let reason = crate::telemetry::wait_reason(self, quotas, start, until);
            on_wait(until.saturating_duration_since(start), reason);
        }
        let bound = max_wait.unwrap_or_default();
        let too_long = |until: Instant, now: Instant| {
            let wait = until.saturating_duration_since(now);
            Error::local_rate_limit(if wait.is_zero() { bound } else { wait }, bound)
        };
        let place = Place::enter(local, quotas, ticket);
        loop {
            let changed = local.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let now = self.clock.now();
            let ahead = place.ahead();
            if ahead > 0 {
                // Not this caller's turn: wait for the line to move, unless even the most
                // hopeful estimate of its turn is past the bound.
                let Some(deadline) = deadline else {
                    changed.await;
                    continue;
                };
                let turn = store.estimate(quotas, ahead, now);
                if turn > deadline {
                    return Err(too_long(turn, now));
                }
                tokio::select! {
                    () = &mut changed => {}
                    () = self.clock.sleep_until(deadline) => {
                        let now = self.clock.now();
                        return Err(too_long(store.estimate(quotas, place.ahead(), now), now));
                    }
                }
                continue;
            }
            match store.try_acquire(quotas, now) {
                Decision::Granted(slot) => {
                    drop(place);
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
                        epoch: crate::process::fork_epoch(),
                        shared: None,
                    });
                }
                Decision::WaitUntil(until) => {
                    if deadline.is_some_and(|d| until > d) {
                        return Err(too_long(until, now));
                    }
                    tracing::debug!(
                        target: "enjo::ratelimit",
                        wait_ms = until.saturating_duration_since(now).as_millis() as u64,
                        "rate limit: waiting for a slot"
                    );
                    tokio::select! {
                        () = self.clock.sleep_until(until) => {}
                        () = &mut changed => {}
                    }
                }
                Decision::WaitForCompletion => match deadline {
                    Some(deadline) => {
                        // Even if every request in flight completed now, it would be too late.
                        let turn = store.estimate(quotas, 0, now);
                        if turn > deadline {
                            return Err(too_long(turn, now));
                        }
                        tokio::select! {
                            () = &mut changed => {}
                            () = self.clock.sleep_until(deadline) => {
                                let now = self.clock.now();
                                return Err(too_long(store.estimate(quotas, 0, now), now));
                            }
                        }
                    }
                    None => changed.await,
                },
            }
        }
    }

    /// What acquiring under `quotas` at `now` would answer, without taking a slot (the
    /// callers in line ignored).
    pub fn peek(&self, quotas: &[Quota], now: Instant) -> Decision {
        self.local().store.peek(quotas, now)
    }

    /// Blocks every caller until `retry_after` from now (the server said 429); with a shared
    /// store, every process of the store (a "blocked until" instant kept in the store).
    pub fn block_for(&self, retry_after: Duration) {
        let now = self.clock.now();
        let until = now
            .checked_add(retry_after)
            .unwrap_or_else(|| far_future(now));
        self.local().store.block_until(until);
        if let Some(shared) = &self.shared {
            {
                let mut blocked = shared
                    .blocked
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                *blocked = Some(blocked.map_or(until, |b| b.max(until)));
            }
            spawn_store_update(shared.store.block_for(retry_after), "block");
        }
        tracing::debug!(
            target: "enjo::ratelimit",
            retry_after_ms = retry_after.as_millis() as u64,
            "rate limit: server asked to wait; blocking every caller"
        );
    }
}

/// Permission to send one request. Call [`Permit::complete`] when its response has arrived (or
/// when it provably never left); dropping it instead counts the request as completed
/// [`CANCEL_GRACE`] later, since a request cut short may still reach the server.
#[must_use = "the slot is released when the permit is completed or dropped"]
pub struct Permit {
    limiter: Option<Arc<RateLimiter>>,
    slot: SlotId,
    waited: Duration,
    /// The [fork epoch](crate::process::fork_epoch) of the process the slot was granted in
    /// (a child never completes its parent's).
    epoch: u64,
    /// The shared store the slot is an entry of, if any.
    shared: Option<Arc<dyn SharedStore>>,
}

/// A reservation in a shared store that its caller may still give up: dropped armed, it
/// releases the entry (in the background).
struct Reserved {
    store: Option<Arc<dyn SharedStore>>,
    slot: SlotId,
}

impl Reserved {
    fn disarm(mut self) -> Option<Arc<dyn SharedStore>> {
        self.store.take()
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            spawn_store_update(store.release(self.slot), "release");
        }
    }
}

/// Updates waiting for a shared store, so a process can wait for them before it exits
/// ([`RateLimiter::settle`]).
static PENDING: AtomicU64 = AtomicU64::new(0);
static SETTLED: Notify = Notify::const_new();

/// Runs a fire-and-forget update of a shared store (off the caller's path) on the current
/// tokio runtime; a failure is logged, never raised (the entry still leaves the log with
/// time).
fn spawn_store_update(update: StoreFuture<'static, Result<()>>, what: &'static str) {
    // On the process-wide runtime: a blocking call's own runtime stops when the call returns.
    let handle = match crate::process::runtime() {
        Ok(runtime) => runtime.handle().clone(),
        Err(err) => {
            tracing::debug!(
                target: "enjo::ratelimit",
                what,
                error = %err,
                "rate limit: no runtime to update the shared store on; the entry ages out instead"
            );
            return;
        }
    };
    let pending = Pending::start();
    handle.spawn(async move {
        if let Err(err) = update.await {
            tracing::debug!(target: "enjo::ratelimit", what, error = %err, "rate limit: shared store update failed");
        }
        drop(pending);
    });
}

/// One background update of a shared store in progress (see [`RateLimiter::settle`]).
pub(crate) struct Pending(());

impl Pending {
    pub(crate) fn start() -> Pending {
        PENDING.fetch_add(1, Ordering::SeqCst);
        Pending(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if PENDING.fetch_sub(1, Ordering::SeqCst) == 1 {
            SETTLED.notify_waiters();
        }
    }
}

impl Permit {
    /// A permit that limits nothing (rate limiting off).
    pub fn unlimited() -> Permit {
        Permit {
            limiter: None,
            slot: SlotId(0),
            waited: Duration::ZERO,
            epoch: 0,
            shared: None,
        }
    }

    /// How long the caller waited for this permit.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// The request's response has arrived (or it never left): it completes now.
    pub fn complete(mut self) {
        self.finish(Duration::ZERO);
    }

    fn finish(&mut self, after: Duration) {
        let Some(limiter) = self.limiter.take() else {
            return;
        };
        if self.epoch != crate::process::fork_epoch() {
            return;
        }
        if let Some(store) = self.shared.take() {
            spawn_store_update(store.complete(self.slot, after), "complete");
            return;
        }
        let local = limiter.local();
        let now = limiter.clock.now();
        let at = now.checked_add(after).unwrap_or(now);
        local.store.complete(self.slot, at);
        local.changed.notify_waiters();
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
        // Cut short (cancelled, timed out, or simply dropped): the server may still see it.
        self.finish(CANCEL_GRACE);
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
        let quotas = [Quota::new(1000, 10 * MS)];
        let second = Duration::from_secs(1);
        let mut log = SlidingLog::new();
        for i in 0..200 {
            if let Decision::Granted(slot) = log.try_acquire(&quotas, t0 + i * second) {
                log.complete(slot, t0 + i * second);
            }
        }
        // Kept for the minimum history (a minute), not longer.
        assert!(log.len() <= 61, "log kept {} entries", log.len());
    }

    /// A client with only a short window must not prune the history that a default client of
    /// the same host needs.
    #[test]
    fn a_short_window_does_not_prune_what_the_documented_limits_need() {
        let t0 = Instant::now();
        let short = [Quota::new(100, 10 * MS)];
        let mut log = SlidingLog::new();
        for i in 0..20 {
            let Decision::Granted(slot) = log.try_acquire(&short, t0 + i * MS) else {
                panic!("room for 100")
            };
            log.complete(slot, t0 + i * MS);
        }
        // Two seconds later the short client prunes, then a default client asks: the 20
        // requests are still within its minute.
        let later = t0 + Duration::from_secs(2);
        assert!(matches!(
            log.try_acquire(&short, later),
            Decision::Granted(_)
        ));
        assert_eq!(
            log.peek(&Quota::DOCUMENTED, later),
            Decision::WaitUntil(t0 + Duration::from_secs(60) + MS),
        );
    }

    #[test]
    fn the_estimate_counts_those_ahead() {
        let t0 = Instant::now();
        let quotas = [Quota::new(1, 100 * MS)];
        let mut log = SlidingLog::new();
        let Decision::Granted(slot) = log.try_acquire(&quotas, t0) else {
            panic!("free")
        };
        // In flight: counted as completing now, the most hopeful case.
        assert_eq!(log.estimate(&quotas, 0, t0), t0 + 100 * MS);
        assert_eq!(log.estimate(&quotas, 2, t0), t0 + 300 * MS);
        log.complete(slot, t0);
        assert_eq!(log.estimate(&quotas, 1, t0 + 50 * MS), t0 + 200 * MS);
        log.block_until(t0 + 500 * MS);
        assert_eq!(log.estimate(&quotas, 1, t0), t0 + 600 * MS);
    }

    #[test]
    fn a_forked_log_completes_the_parents_requests_in_flight() {
        let t0 = Instant::now();
        let quotas = [Quota::new(2, 100 * MS)];
        let mut log = SlidingLog::new();
        assert!(matches!(log.try_acquire(&quotas, t0), Decision::Granted(_)));
        assert!(matches!(log.try_acquire(&quotas, t0), Decision::Granted(_)));
        assert_eq!(log.peek(&quotas, t0), Decision::WaitForCompletion);
        let mut child = log.forked(t0 + CANCEL_GRACE);
        assert_eq!(child.len(), 2, "the parent's history is kept");
        assert_eq!(
            child.peek(&quotas, t0),
            Decision::WaitUntil(t0 + CANCEL_GRACE + 100 * MS),
            "no foreign request stays in flight forever"
        );
    }

    #[test]
    fn spellings_of_one_origin_share_one_limiter() {
        let a = RateLimiter::shared("https://API.enjo-origin-test.example:443/");
        let b = RateLimiter::shared("https://api.enjo-origin-test.example");
        assert!(Arc::ptr_eq(&a, &b));
        let c = RateLimiter::shared("https://api.enjo-origin-test.example:8443");
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(origin_key("http://LOCALHOST:80/x"), "http://localhost");
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_quota_is_refused_not_waited_on() {
        let limiter = Arc::new(RateLimiter::in_memory());
        for quota in [Quota::new(0, 100 * MS), Quota::new(1, Duration::ZERO)] {
            let result =
                tokio::time::timeout(Duration::from_secs(3600), limiter.acquire(&[quota], None))
                    .await;
            match result {
                Ok(Err(err)) => assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument),
                other => panic!("{quota}: {other:?}"),
            }
        }
    }
}
