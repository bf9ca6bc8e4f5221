//! A rate-limit wait is announced when it starts, with why (which quota, or the server's 429),
//! and at INFO only when it is longer than a second ("silent stalls", issue 19). Time comes
//! from an injected clock that jumps to each deadline: nothing here waits for real.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Mock;
use enjo::ratelimit::MemoryStore;
use enjo::{Event, EventLevel, Quota, RateLimit, RateLimiter, WaitReason};

/// A clock whose sleeps end at once, moving "now" to their deadline.
struct JumpingClock(Mutex<Instant>);

impl enjo::ratelimit::Clock for JumpingClock {
    fn now(&self) -> Instant {
        *self.0.lock().expect("lock")
    }
    fn sleep_until(&self, deadline: Instant) -> enjo::ratelimit::Sleep {
        let mut now = self.0.lock().expect("lock");
        *now = (*now).max(deadline);
        Box::pin(std::future::ready(()))
    }
}

/// A client of `mock` under `quotas` on a jumping clock, and the waits it announces.
fn client(mock: &Mock, quotas: Vec<Quota>) -> (enjo::Client, Arc<Mutex<Vec<Event>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let seen = waits.clone();
    let clock = Arc::new(JumpingClock(Mutex::new(Instant::now())));
    let limiter = RateLimiter::new(Arc::new(MemoryStore::new()), clock);
    let client = mock
        .client()
        .rate_limit(RateLimit::Custom(quotas))
        .rate_limiter(Arc::new(limiter))
        .observer(move |e| {
            if matches!(e, Event::RateLimitWait { .. }) {
                seen.lock().expect("lock").push(e.clone());
            }
        })
        .build()
        .expect("client");
    (client, waits)
}

#[tokio::test]
async fn a_long_quota_wait_is_info_and_names_the_full_quota() {
    let mock = Mock::start();
    let hourly = Quota::new(1, Duration::from_secs(60));
    let (client, waits) = client(&mock, vec![Quota::new(5, Duration::from_secs(5)), hourly]);
    for text in ["one", "two"] {
        client
            .send_message("echo-bot", text, None)
            .await
            .expect("reply");
    }
    let waits = waits.lock().expect("lock").clone();
    let [Event::RateLimitWait { wait, reason }] = waits.as_slice() else {
        panic!("one wait expected: {waits:?}");
    };
    // The clock stands still but for the waits: the first request completed at "now".
    assert_eq!(*wait, Duration::from_secs(60));
    assert_eq!(
        *reason,
        WaitReason::Quota(hourly),
        "the 1-per-minute quota is full"
    );
    assert_eq!(waits[0].level(), Some(EventLevel::Info));
    assert_eq!(
        waits[0].to_string(),
        "client-side rate limit, waiting 60.000s (quota: 1 request per 1m)"
    );
}

#[tokio::test]
async fn a_wait_of_a_second_or_less_is_debug() {
    let mock = Mock::start();
    let (client, waits) = client(&mock, vec![Quota::new(1, Duration::from_millis(800))]);
    for text in ["one", "two"] {
        client
            .send_message("echo-bot", text, None)
            .await
            .expect("reply");
    }
    let waits = waits.lock().expect("lock").clone();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!(waits[0].level(), Some(EventLevel::Debug), "{waits:?}");
}

#[tokio::test]
async fn a_servers_429_wait_says_so() {
    let mock = Mock::start();
    mock.fault("faq-bot", "429;retry-after-ms=3000", Some(1))
        .await;
    let (client, waits) = client(&mock, Quota::DOCUMENTED.to_vec());
    client
        .send_message("faq-bot", "hello", None)
        .await
        .expect("the retry succeeds");
    let waits = waits.lock().expect("lock").clone();
    let [Event::RateLimitWait { wait, reason }] = waits.as_slice() else {
        panic!("one wait expected: {waits:?}");
    };
    assert_eq!(*reason, WaitReason::ServerRetryAfter);
    assert_eq!(*wait, Duration::from_secs(3));
    assert_eq!(waits[0].level(), Some(EventLevel::Info));
    assert!(
        waits[0]
            .to_string()
            .starts_with("server rate limit (HTTP 429), waiting "),
        "{}",
        waits[0]
    );
}
