//! The client-side limiter against a server enforcing the same quotas strictly, in real time.
//! Nothing here asserts a duration: the server's verdicts are the measure.

mod common;

use std::time::Duration;

use common::Mock;
use enjo::{Quota, RateLimit};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_tasks_get_zero_429s() {
    let quotas = [
        (5, Duration::from_millis(200)),
        (10, Duration::from_secs(1)),
    ];
    let mock = Mock::with_rate_limit(&quotas);
    // A limiter of its own, so that no other test in this process shares the origin's log.
    let limiter = std::sync::Arc::new(enjo::RateLimiter::in_memory());
    let client = mock
        .client()
        .rate_limit(RateLimit::Custom(
            quotas.iter().map(|&(n, w)| Quota::new(n, w)).collect(),
        ))
        .rate_limiter(limiter)
        .max_retries(0) // a 429 would surface as an error
        .build()
        .expect("client");
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .send_message("echo-bot", &format!("burst {i}"), None)
                    .await
            })
        })
        .collect();
    for task in tasks {
        let reply = task.await.expect("task");
        assert!(reply.is_ok(), "{reply:?}");
    }
    let log = mock.requests("echo-bot").await;
    assert_eq!(log.len(), 64);
    assert!(
        log.iter().all(|r| r["status"] == 200),
        "a 429 slipped through"
    );
}

#[tokio::test]
async fn without_the_limiter_the_same_burst_is_refused() {
    // The control experiment: the server does enforce the quotas.
    let mock = Mock::with_rate_limit(&[(5, Duration::from_millis(200))]);
    let client = mock.client().max_retries(0).build().expect("client");
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .send_message("echo-bot", &format!("unlimited {i}"), None)
                    .await
            })
        })
        .collect();
    let mut limited = 0;
    for task in tasks {
        if let Err(err) = task.await.expect("task") {
            assert_eq!(err.kind(), enjo::ErrorKind::RateLimited);
            assert!(err.retry_after().is_some());
            limited += 1;
        }
    }
    assert!(limited > 0, "the mock must refuse a burst above its quota");
}

/// The blocking client runs each thread's calls on that thread's own runtime; the limiter is
/// still one per origin for all of them.
#[test]
fn eight_threads_of_blocking_calls_get_zero_429s() {
    let quotas = [
        (5, Duration::from_millis(200)),
        (10, Duration::from_secs(1)),
    ];
    let mock = Mock::with_rate_limit(&quotas);
    let client = mock
        .client()
        .rate_limit(RateLimit::Custom(
            quotas.iter().map(|&(n, w)| Quota::new(n, w)).collect(),
        ))
        .max_retries(0)
        .build_blocking()
        .expect("client");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                (0..3)
                    .map(|i| client.send_message("echo-bot", &format!("thread {t} call {i}"), None))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for thread in threads {
        for reply in thread.join().expect("thread") {
            assert!(reply.is_ok(), "{reply:?}");
        }
    }
    let log = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(mock.requests("echo-bot"));
    assert_eq!(log.len(), 24);
    assert!(
        log.iter().all(|r| r["status"] == 200),
        "a 429 slipped through"
    );
}
