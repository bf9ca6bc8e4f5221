//! The client's side of the limiter's edge cases: the whole-call deadline, and the wait after a
//! 429 without a usable `Retry-After` when the limiter is off. Against `enjo-mock` over HTTP.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::Mock;
use enjo::{ErrorKind, Event, Quota, RateLimit, RateLimiter, SendOptions};

const MS: Duration = Duration::from_millis(1);

/// A limiter wait that cannot end before the deadline fails at once, locally (nothing sent),
/// with the expected wait as `retry_after`; per client and per call.
#[tokio::test]
async fn a_limiter_wait_past_the_deadline_fails_at_once() {
    let mock = Mock::start();
    let builder = || {
        mock.client()
            .rate_limit(RateLimit::Custom(vec![Quota::new(
                1,
                Duration::from_secs(60),
            )]))
            .rate_limiter(Arc::new(RateLimiter::in_memory()))
    };
    let per_client = builder()
        .deadline(Duration::from_secs(1))
        .build()
        .expect("client");
    assert_eq!(per_client.deadline(), Some(Duration::from_secs(1)));
    let per_call = builder().build().expect("client");
    assert_eq!(per_call.deadline(), None);
    for (client, options) in [
        (per_client, SendOptions::new()),
        (
            per_call,
            SendOptions::new().deadline(Duration::from_secs(1)),
        ),
    ] {
        client
            .send_message("echo-bot", "first", None)
            .await
            .expect("free");
        let err = client
            .send_message_with("echo-bot", "second", &options)
            .await
            .expect_err("would wait a minute");
        assert_eq!(err.kind(), ErrorKind::RateLimited, "{err}");
        assert_eq!(err.status(), None, "refused locally");
        assert!(!err.may_have_been_sent());
        let wait = err.retry_after().expect("the expected wait");
        assert!(wait > Duration::from_secs(50), "{wait:?}");
    }
    assert_eq!(mock.count_text("echo-bot", "second").await, 0);
}

/// An attempt's own timeout is cut by what is left of the deadline.
#[tokio::test]
async fn an_attempt_is_cut_by_the_deadline() {
    let mock = Mock::start();
    let client = mock
        .client()
        .timeout(Duration::from_secs(60))
        .deadline(300 * MS)
        .build()
        .expect("client");
    mock.fault("faq-bot", "delay=5000", Some(1)).await;
    let err = client
        .send_message("faq-bot", "slow", None)
        .await
        .expect_err("the deadline passes during the attempt");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("deadline"), "{err}");
    assert!(err.may_have_been_sent());
}

/// A zero deadline is refused.
#[tokio::test]
async fn a_zero_deadline_is_refused() {
    let mock = Mock::start();
    let err = mock
        .client()
        .deadline(Duration::ZERO)
        .build()
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let client = mock.client().build().expect("client");
    let err = client
        .send_message_with(
            "echo-bot",
            "x",
            &SendOptions::new().deadline(Duration::ZERO),
        )
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

/// With the limiter off, a 429 without a usable `Retry-After` (none, or 0) is retried after
/// at least the shortest documented window, not after a fraction of a second of jitter.
#[tokio::test]
async fn without_the_limiter_a_bare_429_waits_the_shortest_documented_window() {
    for fault in ["429;retry-after=none", "429;retry-after=0"] {
        let mock = Mock::start();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let client = mock
            .client()
            .rate_limit(RateLimit::Off)
            .observer(move |e| {
                if let Event::Retry { delay, .. } = e {
                    let _ = tx.send(*delay);
                }
            })
            .build()
            .expect("client");
        mock.fault("faq-bot", fault, Some(1)).await;
        let call = tokio::spawn(async move { client.send_message("faq-bot", "x", None).await });
        let delay = rx.recv().await.expect("the 429 is retried");
        // Not waited for: the delay chosen is the point.
        call.abort();
        assert!(delay >= Duration::from_secs(5), "{fault}: {delay:?}");
    }
}
