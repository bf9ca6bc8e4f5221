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

/// An attempt that timed out after it was sent keeps its slot for the grace period (the
/// server may still see it): the next call cannot have that slot back a window later.
#[tokio::test]
async fn a_timed_out_attempt_keeps_its_slot_for_the_grace_period() {
    let mock = Mock::start();
    let client = mock
        .client()
        .rate_limit(RateLimit::Custom(vec![Quota::new(1, 100 * MS)]))
        .rate_limiter(Arc::new(RateLimiter::in_memory()))
        .timeout(200 * MS)
        .max_retries(0)
        .build()
        .expect("client");
    mock.fault("faq-bot", "delay=3000", Some(1)).await;
    let err = client
        .send_message("faq-bot", "slow", None)
        .await
        .expect_err("times out");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let err = client
        .send_message_with(
            "echo-bot",
            "next",
            &SendOptions::new().deadline(Duration::from_secs(2)),
        )
        .await
        .expect_err("the slot is still held");
    assert_eq!(err.kind(), ErrorKind::RateLimited, "{err}");
    let wait = err.retry_after().unwrap_or_default();
    assert!(wait > Duration::from_secs(5), "{wait:?}");
}

/// A one-connection-per-request HTTP server: the first request waits 300 ms, then gets a 429
/// asking for 100 ms; every later one a 200. Records the texts in arrival order.
async fn slow_429_server() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((mut stream, _)) = listener.accept().await {
            n += 1;
            let first = n == 1;
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let body = loop {
                    let Ok(read) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..read]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some(end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + length {
                        break buf[end + 4..end + 4 + length].to_vec();
                    }
                };
                let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let text = json["message"]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                log.lock().expect("lock").push(text);
                let (status, extra, reply) = if first {
                    tokio::time::sleep(300 * MS).await;
                    (
                        "429 Too Many Requests",
                        "retry-after-ms: 100\r\n",
                        r#"{"code":"rate_limit","error":"slow down"}"#,
                    )
                } else {
                    ("200 OK", "", r#"{"success":true,"data":{"answers":"ok"}}"#)
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\n{extra}content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                    reply.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

/// A call whose attempt got a 429 keeps its place in line: its retry goes before a caller that
/// arrived while the attempt was in flight.
#[tokio::test]
async fn a_429_retry_goes_before_a_later_caller() {
    let (url, seen) = slow_429_server().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let client = enjo::Client::builder()
        .ignore_env()
        .token("test-token")
        .base_url(url)
        .rate_limit(RateLimit::Custom(vec![Quota::new(1, 50 * MS)]))
        .rate_limiter(Arc::new(RateLimiter::in_memory()))
        .observer(move |e| {
            if let Event::Attempt { .. } = e {
                let _ = tx.send(());
            }
        })
        .build()
        .expect("client");
    let first = tokio::spawn({
        let client = client.clone();
        async move { client.send_message("bot", "first", None).await }
    });
    rx.recv().await.expect("the first attempt is sent");
    // Arrives while the first attempt is in flight.
    let second = client.send_message("bot", "second", None).await;
    assert!(second.is_ok(), "{second:?}");
    assert!(first.await.expect("task").is_ok());
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen, ["first", "first", "second"]);
}
