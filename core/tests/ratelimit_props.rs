//! Property tests of the exact sliding log, on simulated time (whole milliseconds).
//!
//! A discrete-event simulation feeds random arrivals and request durations to a `SlidingLog`
//! and checks the schedule against an independent oracle:
//! - safety: for every quota (N per W), whatever instant in `[grant, completion]` the server
//!   saw each request at, no window of length W holds more than N requests;
//! - earliest: each request is granted at the first instant the quotas allow, given first come,
//!   first served order;
//! - saturated demand: with more requests waiting than the quotas allow, the number admitted
//!   within a horizon is within one of the maximum (a closed form for one quota, an
//!   independent greedy oracle for several).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use enjo::ratelimit::{
    Decision, LimiterStore, MemoryStore, Permit, Quota, RateLimiter, SlidingLog, SlotId, TokioClock,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Request {
    arrival: u64,
    duration: u64,
}

#[derive(Debug, Clone, Copy)]
struct Scheduled {
    arrival: u64,
    grant: u64,
    complete: u64,
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs the requests through a `SlidingLog`, first come first served, and returns the
/// schedule in arrival order.
fn simulate(quotas: &[Quota], requests: &[Request]) -> Vec<Scheduled> {
    let base = Instant::now();
    let at = |t: u64| base + ms(t);
    let mut log = SlidingLog::new();
    let mut schedule: Vec<Option<Scheduled>> = vec![None; requests.len()];
    let mut queue: VecDeque<usize> = VecDeque::new();
    let mut in_flight: Vec<(u64, SlotId)> = Vec::new();
    let mut next_arrival = 0;
    let mut now = 0u64;
    loop {
        in_flight.retain(|&(done, slot)| {
            if done <= now {
                log.complete(slot, at(done));
                false
            } else {
                true
            }
        });
        while next_arrival < requests.len() && requests[next_arrival].arrival <= now {
            queue.push_back(next_arrival);
            next_arrival += 1;
        }
        let mut wake: Option<u64> = None;
        while let Some(&j) = queue.front() {
            match log.try_acquire(quotas, at(now)) {
                Decision::Granted(slot) => {
                    let complete = now + requests[j].duration;
                    schedule[j] = Some(Scheduled {
                        arrival: requests[j].arrival,
                        grant: now,
                        complete,
                    });
                    in_flight.push((complete, slot));
                    queue.pop_front();
                }
                Decision::WaitUntil(until) => {
                    let until = until.duration_since(base).as_millis() as u64;
                    assert!(until > now, "WaitUntil must be in the future");
                    wake = Some(until);
                    break;
                }
                Decision::WaitForCompletion => {
                    assert!(
                        !in_flight.is_empty(),
                        "waiting for a completion that cannot come"
                    );
                    break;
                }
            }
        }
        let next = [
            requests.get(next_arrival).map(|r| r.arrival),
            in_flight.iter().map(|&(done, _)| done).min(),
            wake,
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            Some(next) => {
                assert!(next >= now);
                now = next;
            }
            None => break,
        }
    }
    schedule
        .into_iter()
        .map(|s| s.expect("every request is granted"))
        .collect()
}

/// The oracle: may request `j` be granted at `x`, given the requests before it?
fn allowed(quotas: &[Quota], schedule: &[Scheduled], j: usize, x: u64) -> bool {
    quotas.iter().all(|q| {
        let window = q.window.as_millis() as u64;
        let counted = schedule[..j]
            .iter()
            .filter(|i| i.complete + window > x)
            .count();
        counted < q.requests as usize
    })
}

fn quotas() -> impl Strategy<Value = Vec<Quota>> {
    prop::collection::vec((1u32..6, 1u64..60), 1..4)
        .prop_map(|qs| qs.into_iter().map(|(n, w)| Quota::new(n, ms(w))).collect())
}

fn requests() -> impl Strategy<Value = Vec<Request>> {
    prop::collection::vec((0u64..25, 0u64..40), 1..60).prop_map(|items| {
        let mut t = 0;
        items
            .into_iter()
            .map(|(gap, duration)| {
                t += gap;
                Request {
                    arrival: t,
                    duration,
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_server_window_ever_holds_more_than_n(
        quotas in quotas(),
        requests in requests(),
        seen_at in prop::collection::vec(0.0f64..=1.0, 60),
    ) {
        let schedule = simulate(&quotas, &requests);
        // The server sees each request somewhere between its grant and its completion.
        let arrivals: Vec<u64> = schedule
            .iter()
            .zip(&seen_at)
            .map(|(s, f)| s.grant + ((s.complete - s.grant) as f64 * f).round() as u64)
            .collect();
        for q in &quotas {
            let window = q.window.as_millis() as u64;
            for &end in &arrivals {
                let in_window = arrivals
                    .iter()
                    .filter(|&&a| a + window > end && a <= end)
                    .count();
                prop_assert!(
                    in_window <= q.requests as usize,
                    "quota {q}: {in_window} requests in the window ending at {end}: {schedule:?}"
                );
            }
        }
        // The extreme cases: every request seen at its grant, or at its completion.
        for pick in [|s: &Scheduled| s.grant, |s: &Scheduled| s.complete] {
            let seen: Vec<u64> = schedule.iter().map(pick).collect();
            for q in &quotas {
                let window = q.window.as_millis() as u64;
                for &end in &seen {
                    let n = seen.iter().filter(|&&a| a + window > end && a <= end).count();
                    prop_assert!(n <= q.requests as usize);
                }
            }
        }
    }

    #[test]
    fn every_request_goes_at_the_earliest_allowed_instant(
        quotas in quotas(),
        requests in requests(),
    ) {
        let schedule = simulate(&quotas, &requests);
        for (j, s) in schedule.iter().enumerate() {
            let previous = if j == 0 { 0 } else { schedule[j - 1].grant };
            let lower = s.arrival.max(previous);
            prop_assert!(s.grant >= lower, "served out of order: {s:?}");
            prop_assert!(allowed(&quotas, &schedule, j, s.grant), "granted while not allowed: {s:?}");
            prop_assert!(
                s.grant == lower || !allowed(&quotas, &schedule, j, s.grant - 1),
                "request {j} could have gone at {}: {s:?}", s.grant - 1
            );
        }
    }
}

/// Requests that all arrive at 0 (demand always waiting), one per duration.
fn saturated(durations: impl IntoIterator<Item = u64>) -> Vec<Request> {
    durations
        .into_iter()
        .map(|duration| Request {
            arrival: 0,
            duration,
        })
        .collect()
}

/// The most requests a first-come-first-served schedule can grant before `horizon` under
/// the limiter's rule (a request counts against a quota of window W from its grant until W
/// after its completion), found by an independent greedy over whole milliseconds: each
/// request at the first instant the oracle `allowed` accepts. Greedy is optimal here: if any
/// schedule grants its k-th request at s_k, greedy's g_k <= s_k by induction, because earlier
/// grants of the requests before k mean no more of them are counted at any later instant.
fn greedy_maximum(quotas: &[Quota], requests: &[Request], horizon: u64) -> usize {
    let mut schedule: Vec<Scheduled> = Vec::new();
    let mut x = 0;
    for (j, r) in requests.iter().enumerate() {
        while x < horizon && !allowed(quotas, &schedule, j, x) {
            x += 1;
        }
        if x >= horizon {
            break;
        }
        schedule.push(Scheduled {
            arrival: r.arrival,
            grant: x,
            complete: x + r.duration,
        });
    }
    schedule.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// One quota (N per W), every request taking d: the limiter admits N, then N more every
    /// W + d, so within [0, H) the maximum is N * ceil(H / (W + d)); with saturated demand the
    /// count admitted is within one of it (and never above: safety).
    #[test]
    fn saturated_demand_on_one_quota_admits_the_closed_form_maximum(
        n in 1u32..8,
        window in 1u64..60,
        duration in 0u64..40,
        horizon in 1u64..400,
    ) {
        let quota = [Quota::new(n, ms(window))];
        let maximum = n as usize * horizon.div_ceil(window + duration) as usize;
        let schedule = simulate(&quota, &saturated(vec![duration; maximum + 5]));
        let admitted = schedule.iter().filter(|s| s.grant < horizon).count();
        prop_assert!(admitted <= maximum, "{admitted} admitted, over the maximum {maximum}");
        prop_assert!(
            admitted + 1 >= maximum,
            "{admitted} admitted, more than one under the maximum {maximum}: {schedule:?}"
        );
    }

    /// Several quotas and random response times, demand always waiting: the count admitted
    /// within [0, H) is within one of the greedy oracle's maximum.
    #[test]
    fn saturated_demand_admits_within_one_of_the_maximum(
        quotas in quotas(),
        durations in prop::collection::vec(0u64..40, 150),
        horizon in 1u64..200,
    ) {
        let requests = saturated(durations);
        let maximum = greedy_maximum(&quotas, &requests, horizon);
        let schedule = simulate(&quotas, &requests);
        let admitted = schedule.iter().filter(|s| s.grant < horizon).count();
        prop_assert!(admitted <= maximum, "{admitted} admitted, over the maximum {maximum}");
        prop_assert!(
            admitted + 1 >= maximum,
            "{admitted} admitted, more than one under the maximum {maximum}: {schedule:?}"
        );
    }
}

/// A store that counts how often it is consulted.
struct Counting {
    inner: MemoryStore,
    calls: AtomicUsize,
}

impl LimiterStore for Counting {
    fn try_acquire(&self, quotas: &[Quota], now: Instant) -> Decision {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.try_acquire(quotas, now)
    }
    fn peek(&self, quotas: &[Quota], now: Instant) -> Decision {
        self.inner.peek(quotas, now)
    }
    fn complete(&self, slot: SlotId, now: Instant) {
        self.inner.complete(slot, now)
    }
    fn block_until(&self, until: Instant) {
        self.inner.block_until(until)
    }
}

/// 64 tasks through the async limiter on tokio's paused clock: they go in arrival order, at
/// the instants the quotas allow, and the store is consulted a bounded number of times (no
/// polling).
#[tokio::test(start_paused = true)]
async fn async_limiter_serves_in_order_without_polling() {
    let store = Arc::new(Counting {
        inner: MemoryStore::new(),
        calls: AtomicUsize::new(0),
    });
    let limiter = Arc::new(RateLimiter::new(store.clone(), Arc::new(TokioClock)));
    let quotas = [Quota::new(5, ms(200)), Quota::new(10, ms(1000))];
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..64u64 {
        let limiter = limiter.clone();
        tasks.push(tokio::spawn(async move {
            let permit = limiter.acquire(&quotas, None).await.expect("no bound");
            let granted = tokio::time::Instant::now();
            // Hold the slot for a simulated 10 ms request.
            tokio::time::sleep(ms(10)).await;
            permit.complete();
            (i, granted.duration_since(start))
        }));
        tokio::task::yield_now().await;
    }
    let mut grants = Vec::new();
    for task in tasks {
        grants.push(task.await.expect("task"));
    }
    // First come, first served.
    for pair in grants.windows(2) {
        assert!(pair[0].1 <= pair[1].1, "out of order: {pair:?}");
    }
    // 10 per second, counted from completions 10 ms after each grant: request k (0-based)
    // waits for request k-10 to complete, plus a second.
    let times: Vec<u64> = grants.iter().map(|(_, t)| t.as_millis() as u64).collect();
    assert_eq!(&times[..5], &[0; 5]);
    assert!(times[5] >= 210, "{times:?}"); // 5 per 200 ms, after the first five completed
    for k in 10..64 {
        assert!(times[k] >= times[k - 10] + 1010, "request {k}: {times:?}");
    }
    // And not a millisecond later than the quotas allow: the async layer (turnstile, sleeps,
    // wake-ups on completion) grants exactly the schedule of the simulated log.
    let arrivals = vec![
        Request {
            arrival: 0,
            duration: 10
        };
        64
    ];
    let expected: Vec<u64> = simulate(&quotas, &arrivals)
        .iter()
        .map(|s| s.grant)
        .collect();
    assert_eq!(times, expected, "granted later than allowed");
    let calls = store.calls.load(Ordering::Relaxed);
    assert!(
        calls <= 64 * 3,
        "the store was consulted {calls} times for 64 grants"
    );
}

/// A bound on the wait fails at once, without taking a slot.
#[tokio::test(start_paused = true)]
async fn bounded_wait_fails_fast_with_retry_after() {
    let limiter = Arc::new(RateLimiter::in_memory());
    let quotas = [Quota::new(1, ms(1000))];
    let first = limiter
        .acquire(&quotas, Some(ms(0)))
        .await
        .expect("first is free");
    first.complete();
    let before = tokio::time::Instant::now();
    let err = limiter
        .acquire(&quotas, Some(ms(100)))
        .await
        .expect_err("would wait a second");
    assert_eq!(err.kind(), enjo::ErrorKind::RateLimited);
    assert_eq!(err.status(), None);
    assert_eq!(err.retry_after(), Some(ms(1000)));
    assert!(!err.may_have_been_sent());
    assert_eq!(
        tokio::time::Instant::now(),
        before,
        "failed without waiting"
    );
    // Unbounded, the same call waits exactly until the slot frees.
    let permit = limiter.acquire(&quotas, None).await.expect("waits");
    assert_eq!(tokio::time::Instant::now() - before, ms(1000));
    drop(permit);
}

/// A server 429 blocks every caller until its Retry-After.
#[tokio::test(start_paused = true)]
async fn block_for_holds_everyone_back() {
    let limiter = Arc::new(RateLimiter::in_memory());
    let quotas = [Quota::new(100, ms(1000))];
    let start = tokio::time::Instant::now();
    limiter.block_for(ms(750));
    let a = limiter.acquire(&quotas, None).await.expect("a");
    let b = limiter.acquire(&quotas, None).await.expect("b");
    assert_eq!(tokio::time::Instant::now() - start, ms(750));
    drop((a, b));
}

/// A caller that gives up (its future is dropped) does not hold the line.
#[tokio::test(start_paused = true)]
async fn cancelled_waiter_frees_its_place() {
    let limiter = Arc::new(RateLimiter::in_memory());
    let quotas = [Quota::new(1, ms(100))];
    let held = limiter.acquire(&quotas, None).await.expect("first");
    let waiting = tokio::time::timeout(ms(10), limiter.acquire(&quotas, None)).await;
    assert!(waiting.is_err(), "had to wait");
    held.complete();
    let start = tokio::time::Instant::now();
    let next = limiter.acquire(&quotas, None).await.expect("next");
    assert_eq!(tokio::time::Instant::now() - start, ms(100));
    drop(next);
}

/// Durations too large for instant arithmetic are refused or saturate; they never panic.
#[tokio::test(start_paused = true)]
async fn huge_durations_never_panic() {
    assert!(Quota::parse_list("1/1e18s").is_err());
    assert!(Quota::new(1, Duration::MAX).validate().is_err());
    let limiter = Arc::new(RateLimiter::in_memory());
    let quotas = [Quota::new(1, ms(100))];
    // An unrepresentable bound is no bound: the wait is served.
    let first = limiter
        .acquire(&quotas, Some(Duration::MAX))
        .await
        .expect("free");
    first.complete();
    let start = tokio::time::Instant::now();
    let second = limiter
        .acquire(&quotas, Some(Duration::MAX))
        .await
        .expect("waits its turn");
    assert_eq!(tokio::time::Instant::now() - start, ms(100));
    drop(second);
    // A server asking for forever blocks (for a year at most) without overflowing.
    limiter.block_for(Duration::MAX);
    let err = limiter
        .acquire(&quotas, Some(ms(10)))
        .await
        .expect_err("blocked");
    assert_eq!(err.kind(), enjo::ErrorKind::RateLimited);
}

/// Two clients of one host with different quotas: a tight custom quota waiting at the head of
/// its line does not hold back a client whose quotas have room in the shared log.
#[tokio::test(start_paused = true)]
async fn a_tight_quota_at_the_head_does_not_block_other_quotas() {
    let limiter = Arc::new(RateLimiter::in_memory());
    let tight = [Quota::new(1, Duration::from_secs(10))];
    let roomy = [Quota::new(5, Duration::from_secs(1))];
    limiter
        .acquire(&tight, None)
        .await
        .expect("free")
        .complete();
    let waiter = tokio::spawn({
        let limiter = limiter.clone();
        async move { limiter.acquire(&tight, None).await.map(Permit::complete) }
    });
    tokio::task::yield_now().await; // the tight waiter is now at the head of its line
    let start = tokio::time::Instant::now();
    let granted = tokio::time::timeout(ms(1), limiter.acquire(&roomy, None)).await;
    assert!(
        granted.is_ok(),
        "the roomy client waited behind the tight one"
    );
    assert_eq!(tokio::time::Instant::now(), start);
    granted.expect("granted").expect("no bound").complete();
    // The shared log still counts the roomy request for the tight quota.
    waiter.await.expect("task").expect("served");
}

/// A bounded waiter that cannot make it fails at once, with the wait its place in line
/// implies (the callers ahead counted), not the head's.
#[tokio::test(start_paused = true)]
async fn a_waiter_behind_others_fails_at_once_with_its_real_wait() {
    let limiter = Arc::new(RateLimiter::in_memory());
    let quotas = [Quota::new(1, Duration::from_secs(1))];
    limiter
        .acquire(&quotas, None)
        .await
        .expect("free")
        .complete();
    let ahead: Vec<_> = (0..3)
        .map(|_| {
            let limiter = limiter.clone();
            tokio::spawn(async move { limiter.acquire(&quotas, None).await.map(Permit::complete) })
        })
        .collect();
    tokio::task::yield_now().await;
    let start = tokio::time::Instant::now();
    // The head waits 1 s, within the bound; this caller, 4th in line, would wait 4 s.
    let err = limiter
        .acquire(&quotas, Some(ms(1500)))
        .await
        .expect_err("cannot make it");
    assert_eq!(tokio::time::Instant::now(), start, "failed without waiting");
    assert_eq!(err.kind(), enjo::ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(4)));
    for task in ahead {
        task.await.expect("task").expect("served");
    }
}

/// A call's retry keeps its place: it is served before a caller that arrived after the call.
#[tokio::test(start_paused = true)]
async fn a_retry_keeps_its_place_ahead_of_later_callers() {
    let limiter = Arc::new(RateLimiter::in_memory());
    let quotas = [Quota::new(1, Duration::from_secs(1))];
    let call = limiter.ticket();
    let first = limiter.acquire_as(call, &quotas, None).await.expect("free");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let later = tokio::spawn({
        let (limiter, tx) = (limiter.clone(), tx.clone());
        async move {
            let permit = limiter.acquire(&quotas, None).await.expect("served");
            let _ = tx.send("later caller");
            permit.complete();
        }
    });
    tokio::task::yield_now().await; // the later caller is in line
    first.complete(); // the first attempt got a 429
    let retry = tokio::spawn({
        let limiter = limiter.clone();
        async move {
            let permit = limiter
                .acquire_as(call, &quotas, None)
                .await
                .expect("served");
            let _ = tx.send("retry");
            permit.complete();
        }
    });
    retry.await.expect("task");
    later.await.expect("task");
    assert_eq!(rx.recv().await, Some("retry"));
    assert_eq!(rx.recv().await, Some("later caller"));
}

/// An attempt cut short (its permit dropped, not completed) holds its slot for the grace
/// period: the server may still see it.
#[tokio::test(start_paused = true)]
async fn a_cut_short_attempt_counts_a_grace_period_later() {
    let limiter = Arc::new(RateLimiter::in_memory());
    let quotas = [Quota::new(1, ms(100))];
    let cancelled = limiter.acquire(&quotas, None).await.expect("free");
    drop(cancelled);
    let start = tokio::time::Instant::now();
    let next = limiter.acquire(&quotas, None).await.expect("waits");
    assert_eq!(
        tokio::time::Instant::now() - start,
        enjo::ratelimit::CANCEL_GRACE + ms(100)
    );
    next.complete();
    // A completed one frees its slot a window after its response, no grace.
    let start = tokio::time::Instant::now();
    limiter
        .acquire(&quotas, None)
        .await
        .expect("waits")
        .complete();
    assert_eq!(tokio::time::Instant::now() - start, ms(100));
}

/// One request of the mixed-quota property: which client (quota set) sends it, when it
/// arrives, how long it takes.
#[derive(Debug, Clone)]
struct Mixed {
    client: usize,
    arrival: u64,
    duration: u64,
}

/// (client, grant, completion, grant order) of one request of the mixed-quota property.
type Granted = (usize, u64, u64, usize);

/// Runs `requests` through one async `RateLimiter` on tokio's paused clock, each client with
/// its own quota set, and returns (client, grant, completion, grant order) per request, in
/// arrival order.
fn run_mixed(sets: &[Vec<Quota>; 2], requests: &[Mixed]) -> Vec<Granted> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let limiter = Arc::new(RateLimiter::in_memory());
        let start = tokio::time::Instant::now();
        let order = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = requests
            .iter()
            .cloned()
            .map(|r| {
                let limiter = limiter.clone();
                let quotas = sets[r.client].clone();
                let order = order.clone();
                tokio::spawn(async move {
                    tokio::time::sleep_until(start + ms(r.arrival)).await;
                    let permit = limiter.acquire(&quotas, None).await.expect("no bound");
                    let grant = start.elapsed().as_millis() as u64;
                    let nth = order.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(ms(r.duration)).await;
                    permit.complete();
                    (r.client, grant, grant + r.duration, nth)
                })
            })
            .collect();
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.expect("task"));
        }
        out
    })
}

fn mixed_requests() -> impl Strategy<Value = Vec<Mixed>> {
    prop::collection::vec((0usize..2, 0u64..25, 0u64..40), 1..40).prop_map(|items| {
        let mut t = 0;
        items
            .into_iter()
            .map(|(client, gap, duration)| {
                t += gap;
                Mixed {
                    client,
                    arrival: t,
                    duration,
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Two clients of one host with different quotas, each served in its own line over one
    /// log: in any server window, whatever instant in [grant, completion] the server saw each
    /// request at, the request granted last in the window never finds its own client's quota
    /// full; and each client's requests are served in arrival order.
    #[test]
    fn mixed_quotas_keep_every_clients_quotas(
        a in quotas(),
        b in quotas(),
        requests in mixed_requests(),
        seen_at in prop::collection::vec(0.0f64..=1.0, 40),
    ) {
        let sets = [a, b];
        let schedule = run_mixed(&sets, &requests);
        for client in 0..2 {
            let grants: Vec<u64> = schedule.iter().filter(|s| s.0 == client).map(|s| s.1).collect();
            prop_assert!(grants.windows(2).all(|p| p[0] <= p[1]), "out of order: {schedule:?}");
        }
        // The server saw each request at its grant, at its completion, or in between.
        for pick in 0..3 {
            let seen: Vec<u64> = schedule
                .iter()
                .enumerate()
                .map(|(i, s)| match pick {
                    0 => s.1,
                    1 => s.2,
                    _ => s.1 + ((s.2 - s.1) as f64 * seen_at[i]).round() as u64,
                })
                .collect();
            for &end in &seen {
                let in_window = |w: u64| -> Vec<usize> {
                    (0..schedule.len()).filter(|&i| seen[i] + w > end && seen[i] <= end).collect()
                };
                for (set, quotas) in sets.iter().enumerate() {
                    for q in quotas {
                        let members = in_window(q.window.as_millis() as u64);
                        // The request granted last in the window.
                        let last = members.iter().max_by_key(|&&i| schedule[i].3);
                        let last_is_ours = last.is_some_and(|&i| schedule[i].0 == set);
                        prop_assert!(
                            !last_is_ours || members.len() <= q.requests as usize,
                            "client {set}'s quota {q}: {} requests in the window ending at {end}: {schedule:?}",
                            members.len()
                        );
                    }
                }
            }
        }
    }
}
