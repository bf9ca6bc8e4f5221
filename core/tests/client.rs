//! The async client against a real `enjo-mock` over HTTP: the contract, every error kind and
//! fault, retries counted at the server, and what must never leak.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Mock;
use common::vendor_body::assert_vendor_shape;
use enjo::{ErrorKind, Event, RetryPolicy, SendOptions};

const MS: Duration = Duration::from_millis(1);

#[tokio::test]
async fn answers_with_sources_and_a_conversation_id() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    let reply = client
        .send_message("faq-bot", "How do I reset my password?", None)
        .await
        .expect("reply");
    assert!(reply.answers.as_deref().is_some_and(|a| !a.is_empty()));
    assert!(!reply.sources.is_empty(), "retrieval found sources");
    for source in &reply.sources {
        let score = source.score.expect("score");
        assert!((0.0..=1.0).contains(&score), "score {score}");
        assert!(source.name.is_some() && source.url.is_some());
    }
    assert!(reply.conversation_id.is_some());
    assert!(reply.ticket.is_none(), "faq-bot has no ticketing");
    assert_eq!(reply.raw["success"], true);
    assert!(reply.request_id.is_some(), "mock sends x-request-id");
}

#[tokio::test]
async fn conversation_threads_its_id() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    let conversation = client.conversation("support-bot");
    assert_eq!(conversation.id(), None);
    let first = conversation
        .send("My VPN keeps dropping")
        .await
        .expect("first");
    let id = first.conversation_id.clone().expect("minted id");
    assert_eq!(conversation.id().as_deref(), Some(id.as_str()));
    let second = conversation
        .send("Please open a ticket for this")
        .await
        .expect("second");
    assert_eq!(second.conversation_id.as_deref(), Some(id.as_str()));
    let log = mock.requests("support-bot").await;
    assert_eq!(log.len(), 2);
    assert!(
        log[0]["conversation_id"].is_null(),
        "first message starts one"
    );
    assert_eq!(log[1]["conversation_id"], id.as_str());
    // The ticket's description is built from the whole conversation.
    let ticket = second.ticket.expect("ticket on request");
    let description = ticket.description.unwrap_or_default();
    assert!(description.contains("VPN"), "{description}");
}

/// What the server RECEIVED has the vendor's sample body structure: `{"message": {"text"}}`
/// for a first message, `{"message": {"text", "conversationId"}}` for a follow-up (the id
/// INSIDE `message`, nothing at the top level), and the follow-up threads on the server.
#[tokio::test]
async fn the_body_sent_is_the_vendors_and_a_follow_up_threads() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    let first = client
        .send_message("echo-bot", "first", None)
        .await
        .expect("first");
    let id = first.conversation_id.expect("minted id");
    let second = client
        .send_message("echo-bot", "second", Some(&id))
        .await
        .expect("second");
    assert_eq!(second.conversation_id.as_deref(), Some(id.as_str()));
    let conversation = client.resume_conversation("echo-bot", &id);
    conversation.send("third").await.expect("third");
    let log = mock.requests("echo-bot").await;
    assert_eq!(log.len(), 3);
    assert_eq!(
        log[0]["body"],
        serde_json::json!({"message": {"text": "first"}})
    );
    assert_vendor_shape(&log[0]["body"], false);
    for entry in &log[1..] {
        assert_vendor_shape(&entry["body"], true);
        assert_eq!(entry["body"]["message"]["conversationId"], id.as_str());
        // The server threaded it: the same conversation, not a new one.
        assert_eq!(entry["conversation_id"], id.as_str());
    }
}

/// Sends started together on one conversation go one after the other, in order, all in the
/// same conversation (none starts a conversation of its own).
#[tokio::test]
async fn concurrent_sends_on_a_conversation_stay_in_it() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    let conversation = client.conversation("echo-bot");
    let (a, b, c) = tokio::join!(
        conversation.send("one"),
        conversation.send("two"),
        conversation.send("three")
    );
    let ids: Vec<_> = [a, b, c]
        .into_iter()
        .map(|r| r.expect("reply").conversation_id)
        .collect();
    assert!(
        ids.iter().all(|id| id.is_some() && *id == ids[0]),
        "{ids:?}"
    );
    let log = mock.requests("echo-bot").await;
    let texts: Vec<_> = log.iter().map(|r| r["text"].as_str()).collect();
    assert_eq!(texts, [Some("one"), Some("two"), Some("three")]);
    assert!(log[0]["conversation_id"].is_null());
    assert!(
        log[1..]
            .iter()
            .all(|r| r["conversation_id"].as_str() == ids[0].as_deref())
    );
}

#[tokio::test]
async fn tickets_in_each_platform_shape_read_the_same() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    for (bot, number_prefix) in [
        ("support-bot", ""),
        ("jira-bot", "SUP-"),
        ("servicenow-bot", "INC"),
    ] {
        let reply = client
            .send_message(
                bot,
                "I need a human, please create a ticket: urgent outage",
                None,
            )
            .await
            .expect("reply");
        let ticket = reply
            .ticket
            .unwrap_or_else(|| panic!("{bot} creates a ticket"));
        let number = ticket.case_number.clone().expect("case number");
        assert!(number.starts_with(number_prefix), "{bot}: {number}");
        assert!(ticket.id.is_some(), "{bot}: id");
        assert!(ticket.url.is_some(), "{bot}: url");
        assert!(ticket.status.is_some(), "{bot}: status");
        assert!(ticket.priority.is_some(), "{bot}: priority");
        assert!(ticket.created_date.is_some(), "{bot}: created");
        assert!(ticket.description.is_some(), "{bot}: description");
        assert!(ticket.raw.is_object());
    }
    assert_eq!(mock.tickets().await.len(), 3);
    let reply = client
        .send_message("faq-bot", "Please create a ticket", None)
        .await
        .expect("reply");
    assert!(reply.ticket.is_none(), "no ticketing, no ticket");
}

#[tokio::test]
async fn unicode_round_trips() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    let text = "Grüße, 世界! Ça va? 🎫 «ticket» \u{202e}rtl\u{202c} \"quoted\" \\ back";
    let reply = client
        .send_message("echo-bot", text, None)
        .await
        .expect("reply");
    assert_eq!(reply.answers.as_deref(), Some(text));
}

#[tokio::test]
async fn a_5_mb_answer_arrives_whole_and_a_body_over_the_cap_is_refused() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    mock.fault("faq-bot", "huge-body=5000000", Some(1)).await;
    let reply = client
        .send_message("faq-bot", "big", None)
        .await
        .expect("5 MB fits");
    assert_eq!(reply.answers.map(|a| a.len()), Some(5_000_000));

    let small_cap = mock
        .client()
        .max_response_bytes(1 << 20)
        .build()
        .expect("client");
    mock.fault("faq-bot", "huge-body=2000000", Some(1)).await;
    let err = small_cap
        .send_message("faq-bot", "too big", None)
        .await
        .expect_err("over the cap");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("cap"), "{err}");
}

#[tokio::test]
async fn server_errors_map_to_kinds_in_both_body_shapes() {
    let mock = Mock::start();
    let client = mock.client().max_retries(0).build().expect("client");
    let cases = [
        (400, ErrorKind::InvalidRequest, "invalid_request_error"),
        (401, ErrorKind::Authentication, "authentication_error"),
        (404, ErrorKind::NotFound, "not_found"),
        (429, ErrorKind::RateLimited, "rate_limit_error"),
        (500, ErrorKind::Server, "server_error"),
        (409, ErrorKind::Api, "api_error"),
    ];
    for (status, kind, code) in cases {
        for shape in ["", ";shape=message"] {
            mock.fault("faq-bot", &format!("status={status}{shape}"), Some(1))
                .await;
            let err = client
                .send_message("faq-bot", "hello", None)
                .await
                .expect_err("fault");
            assert_eq!(err.kind(), kind, "{status}{shape}: {err}");
            assert_eq!(err.status(), Some(status));
            assert_eq!(err.code(), Some(code), "{status}{shape}");
            assert!(!err.message().is_empty());
            assert!(err.body().is_some_and(|b| b.contains(code)));
        }
    }
}

#[tokio::test]
async fn real_contract_errors() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    let err = client
        .send_message("no-such-bot", "hi", None)
        .await
        .expect_err("unknown bot");
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(err.message(), "botId not found");

    let wrong_token = mock
        .client()
        .token("wrong-token-123")
        .build()
        .expect("client");
    let err = wrong_token
        .send_message("faq-bot", "hi", None)
        .await
        .expect_err("bad token");
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(err.to_string().contains("ENJO_API_TOKEN"));
    assert!(!err.to_string().contains("wrong-token-123"));
    assert!(!format!("{err:?}").contains("wrong-token-123"));

    let wrong_prefix = mock
        .client()
        .base_url(format!("{}/not-the-api", mock.url()))
        .build()
        .expect("client");
    let err = wrong_prefix
        .send_message("faq-bot", "hi", None)
        .await
        .expect_err("wrong prefix");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn hostile_and_broken_replies_are_typed_errors() {
    let mock = Mock::start();
    let client = mock.client().max_retries(0).build().expect("client");
    let cases = [
        ("html-502", ErrorKind::Server),
        ("malformed-json", ErrorKind::Decode),
        ("success-false", ErrorKind::Api),
        ("empty-body=503", ErrorKind::Server),
        ("empty-body=200", ErrorKind::Decode),
        ("reset", ErrorKind::Connection),
    ];
    for (fault, kind) in cases {
        mock.fault("faq-bot", fault, Some(1)).await;
        let err = client
            .send_message("faq-bot", "hello", None)
            .await
            .expect_err(fault);
        assert_eq!(err.kind(), kind, "{fault}: {err}");
    }
    mock.fault("faq-bot", "html-502", Some(1)).await;
    let err = client
        .send_message("faq-bot", "x", None)
        .await
        .expect_err("502");
    assert!(err.message().contains("HTML"), "{err}");
    assert_eq!(err.status(), Some(502));
}

#[tokio::test]
async fn missing_and_extra_fields_are_tolerated() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    mock.fault("support-bot", "missing-fields", Some(1)).await;
    let reply = client
        .send_message("support-bot", "hello", None)
        .await
        .expect("missing fields are fine");
    assert!(reply.answers.is_none() && reply.sources.is_empty() && reply.ticket.is_none());
    mock.fault("support-bot", "extra-fields", Some(1)).await;
    let reply = client
        .send_message("support-bot", "please create a ticket", None)
        .await
        .expect("extra fields are fine");
    assert!(reply.answers.is_some());
    assert!(reply.ticket.is_some());
}

#[tokio::test]
async fn a_slow_server_times_out_and_is_not_resent() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    mock.fault("faq-bot", "delay=3000", None).await;
    let options = SendOptions::new().timeout(300 * MS);
    let err = client
        .send_message_with("faq-bot", "slow one", &options)
        .await
        .expect_err("timeout");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.may_have_been_sent());
    assert_eq!(mock.count_text("faq-bot", "slow one").await, 1);
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after() {
    let mock = Mock::start();
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let client = mock
        .client()
        .observer(move |e| seen.lock().expect("lock").push(e.clone()))
        .build()
        .expect("client");
    mock.fault("faq-bot", "429;retry-after-ms=200", Some(1))
        .await;
    let reply = client.send_message("faq-bot", "retry me", None).await;
    assert!(reply.is_ok(), "{reply:?}");
    let log = mock.requests("faq-bot").await;
    let statuses: Vec<_> = log.iter().map(|r| r["status"].as_u64()).collect();
    assert_eq!(statuses, [Some(429), Some(200)]);
    let events = events.lock().expect("lock");
    let retries: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Retry { attempt, delay, .. } => Some((*attempt, *delay)),
            _ => None,
        })
        .collect();
    assert_eq!(retries, [(1, 200 * MS)], "waited what the server asked");
}

#[tokio::test]
async fn a_429_beyond_max_retries_returns_retry_after() {
    let mock = Mock::start();
    let client = mock.client().max_retries(1).build().expect("client");
    mock.fault("faq-bot", "429;retry-after-ms=50", None).await;
    let err = client
        .send_message("faq-bot", "always limited", None)
        .await
        .expect_err("still limited");
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(50 * MS));
    assert_eq!(mock.count_text("faq-bot", "always limited").await, 2);
}

#[tokio::test]
async fn a_500_is_sent_once_by_default_and_retried_only_when_asked() {
    let mock = Mock::start();
    let client = mock.client().max_retries(2).build().expect("client");
    mock.fault("support-bot", "500-after-ticket", None).await;
    let err = client
        .send_message("support-bot", "please open a ticket (safe)", None)
        .await
        .expect_err("500");
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(
        mock.count_text("support-bot", "please open a ticket (safe)")
            .await,
        1,
        "a 500 after a ticket was created must not be resent"
    );
    assert_eq!(mock.tickets().await.len(), 1);

    let at_least_once = SendOptions::new().retry_policy(RetryPolicy::AtLeastOnce);
    let err = client
        .send_message_with("support-bot", "please open a ticket (alo)", &at_least_once)
        .await
        .expect_err("500 every time");
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(
        mock.count_text("support-bot", "please open a ticket (alo)")
            .await,
        3,
        "1 + max_retries under the opt-in policy"
    );
    // Which is exactly why it is opt-in: every attempt created a ticket.
    assert_eq!(mock.tickets().await.len(), 4);
}

#[tokio::test]
async fn refused_connections_are_retried_and_reported() {
    // A port with nothing listening: bind, note the port, close.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let attempts = Arc::new(Mutex::new(0));
    let counter = attempts.clone();
    let client = enjo::Client::builder()
        .ignore_env()
        .token("t")
        .base_url(format!("http://127.0.0.1:{port}"))
        .rate_limit(enjo::RateLimit::Off)
        .max_retries(1)
        .observer(move |e| {
            if matches!(e, Event::Attempt { .. }) {
                *counter.lock().expect("lock") += 1;
            }
        })
        .build()
        .expect("client");
    let err = client
        .send_message("faq-bot", "anyone?", None)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Connection);
    assert!(!err.may_have_been_sent());
    assert!(err.to_string().to_lowercase().contains("refused"), "{err}");
    assert_eq!(
        *attempts.lock().expect("lock"),
        2,
        "never reached: safe to retry"
    );
}

#[tokio::test]
async fn bot_ids_cannot_change_the_path() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    for id in [
        "../faq-bot",
        "a/b",
        "faq-bot?x=1",
        "faq-bot#frag",
        "ünï cødé",
    ] {
        let err = client
            .send_message(id, "hi", None)
            .await
            .expect_err("not a bot");
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{id}: {err}");
        assert_eq!(err.message(), "botId not found", "{id}");
    }
    let log = mock.requests("../faq-bot").await;
    assert_eq!(log.len(), 1, "the mock saw the id as one segment: {log:?}");
}

#[tokio::test]
async fn invalid_arguments_never_reach_the_network() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    for (bot, text) in [("", "hi"), ("faq-bot", ""), ("faq-bot", "  "), (".", "hi")] {
        let err = client
            .send_message(bot, text, None)
            .await
            .expect_err("invalid");
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }
    let err = client
        .send_message("faq-bot", "hi", Some(""))
        .await
        .expect_err("empty conversation id");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let huge = "x".repeat(enjo::validate::MAX_TEXT_BYTES + 1);
    let err = client
        .send_message("faq-bot", &huge, None)
        .await
        .expect_err("too long");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(mock.requests("faq-bot").await.is_empty());

    for builder in [
        enjo::Client::builder().ignore_env(),
        enjo::Client::builder()
            .ignore_env()
            .token("t")
            .base_url("http://example.com"),
        enjo::Client::builder()
            .ignore_env()
            .token("t")
            .base_url("nonsense"),
        enjo::Client::builder()
            .ignore_env()
            .token("t")
            .timeout(Duration::ZERO),
        enjo::Client::builder()
            .ignore_env()
            .token("t")
            .rate_limit(enjo::RateLimit::Custom(vec![])),
        enjo::Client::builder()
            .ignore_env()
            .token("t")
            .add_root_certificate_pem("not a pem"),
    ] {
        let err = builder.build().expect_err("invalid options");
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }
}

#[tokio::test]
async fn the_token_never_shows() {
    let secret = "sk-very-secret-token-value";
    let mock = Mock::start();
    let builder = mock.client().token(secret);
    assert!(!format!("{builder:?}").contains(secret));
    let client = builder.build().expect("client");
    assert!(!format!("{client:?}").contains(secret));
    let err = client
        .send_message("faq-bot", "hi", None)
        .await
        .expect_err("401");
    for text in [
        err.to_string(),
        format!("{err:?}"),
        err.body().unwrap_or("").to_owned(),
    ] {
        assert!(!text.contains(secret), "{text}");
    }
    let log = serde_json::to_string(&mock.requests("faq-bot").await).expect("json");
    assert!(!log.contains(secret));
}

/// A server that answers every request with a redirect to `location`, counting requests.
fn redirecting_server(location: String) -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let hits = Arc::new(Mutex::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            *counter.lock().expect("lock") += 1;
            let reply = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (url, hits)
}

#[tokio::test]
async fn redirects_to_another_origin_are_not_followed() {
    let (elsewhere, elsewhere_hits) = redirecting_server("http://127.0.0.1:1/".into());
    let (start, start_hits) = redirecting_server(format!("{elsewhere}/v1/bots/x/message"));
    let client = enjo::Client::builder()
        .ignore_env()
        .token("t")
        .base_url(start)
        .rate_limit(enjo::RateLimit::Off)
        .build()
        .expect("client");
    let err = client
        .send_message("x", "hi", None)
        .await
        .expect_err("redirect refused");
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.status(), Some(307));
    assert!(err.message().contains("not followed"), "{err}");
    assert_eq!(*start_hits.lock().expect("lock"), 1);
    assert_eq!(
        *elsewhere_hits.lock().expect("lock"),
        0,
        "token never sent elsewhere"
    );
}

#[tokio::test]
async fn requests_go_through_the_configured_proxy() {
    let mock = Mock::start();
    // Nothing listens on port 1: the reply can only come through the proxy (the mock serves
    // absolute-form requests, as a forward proxy receives them).
    let client = mock
        .client()
        .base_url("http://127.0.0.1:1")
        .proxy(mock.url())
        .allow_insecure_http(true)
        .build()
        .expect("client");
    let reply = client
        .send_message("echo-bot", "via the proxy", None)
        .await
        .expect("proxied");
    assert_eq!(reply.answers.as_deref(), Some("via the proxy"));
    let err = mock
        .client()
        .proxy("not a url")
        .build()
        .expect_err("bad proxy");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

/// (The extra root certificate really used for TLS is in `tests/tls.rs`.)
#[tokio::test]
async fn bad_root_certificates_and_keepalive_settings_are_checked_when_built() {
    let mock = Mock::start();
    for bad in [
        &b"not pem"[..],
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ] {
        let err = mock
            .client()
            .add_root_certificate_pem(bad.to_vec())
            .build()
            .expect_err("not a certificate");
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }
    let client = mock
        .client()
        .tcp_keepalive(None)
        .build()
        .expect("keepalive off is fine");
    assert!(client.send_message("echo-bot", "ok", None).await.is_ok());
}

/// A server that answers every request with `reply` (raw HTTP bytes), then closes.
fn raw_server(reply: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(&reply);
        }
    });
    url
}

fn raw_client(url: String) -> enjo::Client {
    enjo::Client::builder()
        .ignore_env()
        .token("t")
        .base_url(url)
        .rate_limit(enjo::RateLimit::Off)
        .max_retries(0)
        .max_response_bytes(64 * 1024)
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_is_cut_off_while_streaming() {
    // No Content-Length: the cap can only be enforced while reading.
    let mut reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    let chunk = vec![b' '; 16 * 1024];
    for _ in 0..16 {
        reply.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        reply.extend_from_slice(&chunk);
        reply.extend_from_slice(b"\r\n");
    }
    reply.extend_from_slice(b"0\r\n\r\n");
    let err = raw_client(raw_server(reply))
        .send_message("x", "hi", None)
        .await
        .expect_err("256 KiB over a 64 KiB cap");
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert!(err.message().contains("cap"), "{err}");
}

#[tokio::test]
async fn a_truncated_error_body_still_gives_the_status() {
    let body = br#"{"code":"server_error","err"#;
    let mut reply = b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 200\r\nConnection: close\r\n\r\n".to_vec();
    reply.extend_from_slice(body);
    let err = raw_client(raw_server(reply))
        .send_message("x", "hi", None)
        .await
        .expect_err("500");
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.body(), Some(std::str::from_utf8(body).expect("utf8")));
}

#[tokio::test]
async fn per_call_max_retries_overrides_the_clients() {
    let mock = Mock::start();
    let client = mock
        .client()
        .max_retries(0)
        .retry_policy(RetryPolicy::AtLeastOnce)
        .build()
        .expect("client");
    mock.fault("faq-bot", "500", None).await;
    let options = SendOptions::new().max_retries(2);
    let err = client
        .send_message_with("faq-bot", "three times", &options)
        .await
        .expect_err("500");
    assert_eq!(err.status(), Some(500));
    assert_eq!(mock.count_text("faq-bot", "three times").await, 3);
    let err = client
        .send_message("faq-bot", "once", None)
        .await
        .expect_err("500");
    assert_eq!(err.status(), Some(500));
    assert_eq!(mock.count_text("faq-bot", "once").await, 1);
}

/// Arrival instants (the mock's `at_ms`) of the requests whose text is `text`.
async fn arrivals(mock: &Mock, bot_id: &str, text: &str) -> Vec<u64> {
    mock.requests(bot_id)
        .await
        .iter()
        .filter(|r| r["text"] == text)
        .filter_map(|r| r["at_ms"].as_u64())
        .collect()
}

#[tokio::test]
async fn clients_of_one_origin_share_one_limiter() {
    let mock = Mock::start();
    let quota = enjo::RateLimit::Custom(vec![enjo::Quota::new(1, 300 * MS)]);
    let a = mock.client().rate_limit(quota.clone()).build().expect("a");
    let b = mock.client().rate_limit(quota).build().expect("b");
    let (ra, rb) = tokio::join!(
        a.send_message("echo-bot", "from a", None),
        b.send_message("echo-bot", "from b", None)
    );
    assert!(ra.is_ok() && rb.is_ok(), "{ra:?} {rb:?}");
    let (ta, tb) = (
        arrivals(&mock, "echo-bot", "from a").await,
        arrivals(&mock, "echo-bot", "from b").await,
    );
    let gap = ta[0].abs_diff(tb[0]);
    // One request per 300 ms for the origin, whichever client sends: the second waited for
    // the first to complete, plus the window (a lower bound, safe on a loaded machine).
    assert!(gap >= 300, "the two clients sent {gap} ms apart");
}

/// A server 429 holds back every caller of the process that talks to that origin, not only
/// the one that got it: with `Retry-After`, until then; without, for at least the shortest
/// quota window.
#[tokio::test]
async fn a_server_429_holds_every_caller_back() {
    for (fault, least_wait) in [
        ("429;retry-after-ms=400", 400),
        ("429;retry-after=none", 500),
    ] {
        let mock = Mock::start();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let client = mock
            .client()
            .rate_limit(enjo::RateLimit::Custom(vec![enjo::Quota::new(
                100,
                500 * MS,
            )]))
            .observer(move |e| {
                let _ = tx.send(e.clone());
            })
            .build()
            .expect("client");
        mock.fault("faq-bot", fault, Some(1)).await;
        let first = tokio::spawn({
            let client = client.clone();
            async move { client.send_message("faq-bot", "first", None).await }
        });
        // Once the first call got its 429, another caller starts.
        let mut retry_delay = None;
        while let Some(event) = rx.recv().await {
            if let Event::Retry { delay, .. } = event {
                retry_delay = Some(delay);
                break;
            }
        }
        let retry_delay = retry_delay.expect("the 429 is retried");
        assert!(retry_delay >= least_wait * MS, "{fault}: {retry_delay:?}");
        let second = client.send_message("echo-bot", "second", None).await;
        assert!(second.is_ok(), "{second:?}");
        assert!(first.await.expect("task").is_ok());
        let refused = arrivals(&mock, "faq-bot", "first").await;
        let other = arrivals(&mock, "echo-bot", "second").await;
        assert_eq!(refused.len(), 2, "{fault}: the 429 and its retry");
        for (what, at) in [("the retry", refused[1]), ("the other caller", other[0])] {
            let waited = at.saturating_sub(refused[0]);
            assert!(
                waited >= u64::from(least_wait),
                "{fault}: {what} went {waited} ms after the 429"
            );
        }
    }
}

/// A wait past `rate_limit_max_wait` fails at once, and is not announced as a wait.
#[tokio::test]
async fn a_wait_past_the_bound_is_an_error_not_a_wait_event() {
    let mock = Mock::start();
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let client = mock
        .client()
        .rate_limit(enjo::RateLimit::Custom(vec![enjo::Quota::new(
            1,
            Duration::from_secs(60),
        )]))
        .rate_limiter(Arc::new(enjo::RateLimiter::in_memory()))
        .rate_limit_max_wait(50 * MS)
        .observer(move |e| seen.lock().expect("lock").push(e.clone()))
        .build()
        .expect("client");
    client
        .send_message("echo-bot", "first", None)
        .await
        .expect("free");
    let err = client
        .send_message("echo-bot", "second", None)
        .await
        .expect_err("would wait a minute");
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.status(), None, "refused locally");
    let events = events.lock().expect("lock").clone();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::RateLimitWait { .. })),
        "{events:?}"
    );
    assert_eq!(mock.count_text("echo-bot", "second").await, 0);
}
