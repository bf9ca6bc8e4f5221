//! What the client reports about its attempts: `tracing` events and observer `Event`s, with
//! no secrets. Alone in its test binary, since it installs the process-wide subscriber.

mod common;

use std::sync::{Arc, Mutex};

use common::Mock;
use common::log_capture::Captured;
use enjo::{ErrorKind, Event};

/// One `tracing` event per attempt, with path, status, attempt n/m and what happens next; one
/// `AttemptEnded` event per attempt for observers; never the token or the message text.
#[tokio::test]
async fn attempts_are_traced_and_observed_without_secrets() {
    let secret = "sk-traced-secret";
    let text = "private words of the user";
    let captured = Captured::install_global(tracing::Level::DEBUG);

    let mock = Mock::start();
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let observed = |token: &str| {
        let seen = seen.clone();
        mock.client()
            .token(token)
            .observer(move |e| seen.lock().expect("lock").push(e.clone()))
            .build()
            .expect("client")
    };
    mock.fault("echo-bot", "429;retry-after-ms=10", Some(1))
        .await;
    let reply = observed(enjo_mock::DEFAULT_TOKEN)
        .send_message("echo-bot", text, None)
        .await
        .expect("reply after one retry");
    assert_eq!(reply.status, 200);
    let err = observed(secret)
        .send_message("echo-bot", text, None)
        .await
        .expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Authentication);

    let ended: Vec<_> = events
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|e| match e {
            Event::AttemptEnded {
                attempt,
                status,
                error,
                ..
            } => Some((*attempt, *status, *error)),
            _ => None,
        })
        .collect();
    assert_eq!(
        ended,
        [
            (1, Some(429), Some(ErrorKind::RateLimited)),
            (2, Some(200), None),
            (1, Some(401), Some(ErrorKind::Authentication)),
        ]
    );
    let log = captured.text();
    assert!(log.contains("/v1/bots/echo-bot/message"), "{log}");
    assert!(
        log.contains("status=429") && log.contains("retry_in_ms=10"),
        "{log}"
    );
    assert!(
        log.contains("status=200") && log.contains("attempt=2"),
        "{log}"
    );
    assert!(log.contains("status=401"), "{log}");
    assert!(
        !log.contains(secret),
        "the token leaked into the log: {log}"
    );
    assert!(
        !log.contains(text),
        "the message text leaked into the log: {log}"
    );
}
