//! The client's request id (`X-Request-Id`, one per call, the same on its retries) and per-call
//! extra headers, checked against what `enjo-mock` received.

mod common;

use std::time::Duration;

use common::Mock;
use enjo::{ErrorKind, SendOptions};
use serde_json::Value;

const MS: Duration = Duration::from_millis(1);

/// The `x-request-id` header of each logged request for `bot_id`, in order.
async fn sent_ids(mock: &Mock, bot_id: &str) -> Vec<String> {
    mock.requests(bot_id)
        .await
        .iter()
        .map(|r| header(r, "x-request-id").unwrap_or_default())
        .collect()
}

fn header(record: &Value, name: &str) -> Option<String> {
    record["headers"][name].as_str().map(str::to_owned)
}

fn is_client_id(id: &str) -> bool {
    id.len() == 36
        && id.starts_with("req_")
        && id[4..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn one_request_id_per_call_sent_on_every_attempt_and_on_the_reply() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    mock.fault("faq-bot", "429;retry-after-ms=10", Some(1))
        .await;
    let reply = client
        .send_message("faq-bot", "retried", None)
        .await
        .expect("reply after a retry");
    let ids = sent_ids(&mock, "faq-bot").await;
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(is_client_id(&ids[0]), "{ids:?}");
    assert_eq!(ids[0], ids[1], "a retry carries the call's id");
    assert_eq!(reply.request_id.as_deref(), Some(ids[0].as_str()));
    assert_eq!(
        reply.server_request_id, reply.request_id,
        "the mock echoes the client's id"
    );

    let again = client
        .send_message("faq-bot", "another call", None)
        .await
        .expect("reply");
    let ids = sent_ids(&mock, "faq-bot").await;
    assert_eq!(ids.len(), 3);
    assert_ne!(ids[2], ids[0], "a new call has a new id");
    assert_eq!(again.request_id.as_deref(), Some(ids[2].as_str()));
}

#[tokio::test]
async fn errors_carry_the_request_id_even_without_a_reply() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");

    mock.fault("faq-bot", "500", Some(1)).await;
    let err = client
        .send_message("faq-bot", "fails", None)
        .await
        .expect_err("500");
    let ids = sent_ids(&mock, "faq-bot").await;
    assert_eq!(err.request_id(), Some(ids[0].as_str()));
    assert_eq!(err.server_request_id(), err.request_id());
    assert!(err.to_string().contains(&ids[0]), "{err}");

    mock.fault("faq-bot", "delay=3000", Some(1)).await;
    let err = client
        .send_message_with("faq-bot", "too slow", &SendOptions::new().timeout(200 * MS))
        .await
        .expect_err("timeout");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let ids = sent_ids(&mock, "faq-bot").await;
    assert_eq!(ids.len(), 2);
    assert!(is_client_id(&ids[1]), "{ids:?}");
    assert_eq!(
        err.request_id(),
        Some(ids[1].as_str()),
        "a timeout can be traced"
    );
    assert_eq!(err.server_request_id(), None, "no reply, no server id");

    // Nothing listens here: the id is on the error although nothing arrived anywhere.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let err = mock
        .client()
        .base_url(format!("http://127.0.0.1:{port}"))
        .max_retries(0)
        .build()
        .expect("client")
        .send_message("faq-bot", "nobody home", None)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Connection);
    assert!(err.request_id().is_some_and(is_client_id), "{err:?}");
}

#[tokio::test]
async fn extra_headers_are_sent_on_every_attempt() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    mock.fault("faq-bot", "429;retry-after-ms=10", Some(1))
        .await;
    let options = SendOptions::new()
        .header("X-Tenant", "acme")
        .header("x-trace-note", "two words")
        .header("X-Tenant", "second");
    client
        .send_message_with("faq-bot", "with headers", &options)
        .await
        .expect("reply");
    let log = mock.requests("faq-bot").await;
    assert_eq!(log.len(), 2);
    for record in &log {
        assert_eq!(
            header(record, "x-tenant").as_deref(),
            Some("acme, second"),
            "{record}"
        );
        assert_eq!(header(record, "x-trace-note").as_deref(), Some("two words"));
        assert_eq!(
            header(record, "content-type").as_deref(),
            Some("application/json")
        );
        assert_eq!(
            header(record, "authorization").as_deref(),
            Some("[redacted]")
        );
    }
}

#[tokio::test]
async fn a_callers_own_x_request_id_is_the_calls_id() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    let options = SendOptions::new().header("X-Request-Id", "trace-from-upstream-42");
    let reply = client
        .send_message_with("faq-bot", "propagated", &options)
        .await
        .expect("reply");
    assert_eq!(sent_ids(&mock, "faq-bot").await, ["trace-from-upstream-42"]);
    assert_eq!(reply.request_id.as_deref(), Some("trace-from-upstream-42"));
}

#[tokio::test]
async fn reserved_and_invalid_headers_are_refused_before_sending() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    let refused: [(&str, &str); 9] = [
        ("Authorization", "Bearer other"),
        ("content-TYPE", "text/plain"),
        ("HOST", "evil.example"),
        ("Content-Length", "1"),
        ("Transfer-Encoding", "chunked"),
        ("bad name", "x"),
        ("", "x"),
        ("X-Ok", "line\r\nbreak"),
        ("X-Ok", "caf\u{e9}"),
    ];
    for (name, value) in refused {
        let err = client
            .send_message_with(
                "faq-bot",
                "never sent",
                &SendOptions::new().header(name, value),
            )
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{name:?}: {err}");
        assert!(!err.may_have_been_sent());
        assert!(!err.to_string().contains("never sent"));
    }
    assert_eq!(mock.count_text("faq-bot", "never sent").await, 0);
}
