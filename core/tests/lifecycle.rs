//! What every binding relies on core for: `close()` seen by every handle, a conversation
//! refusing a per-call conversation id, the guarded spawn, and options given the host's way
//! (units, spellings, User-Agent) — against a real `enjo-mock`.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::Mock;
use enjo::options::{CallOptions, ClientOptions, Host, RateLimitValue, TimeUnit};
use enjo::{ErrorKind, Spelling};
use enjo_mock::DEFAULT_TOKEN;

#[tokio::test]
async fn close_is_seen_by_clones_and_conversations_and_sends_nothing() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    let clone = client.clone();
    let conversation = client.conversation("faq-bot");
    conversation.send("hello").await.expect("sent before close");
    assert!(!clone.is_closed());
    client.close();
    client.close(); // idempotent
    assert!(clone.is_closed());
    for err in [
        clone.send_message("faq-bot", "after", None).await.err(),
        conversation.send("after").await.err(),
    ] {
        let err = err.expect("refused once closed");
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().contains("closed"), "{err}");
        assert!(!err.may_have_been_sent());
    }
    assert_eq!(
        mock.requests("faq-bot").await.len(),
        1,
        "nothing sent after close"
    );
}

#[test]
fn the_blocking_client_closes_too() {
    let mock = Mock::start();
    let client = mock.client().build_blocking().expect("client");
    client.send_message("faq-bot", "hi", None).expect("sent");
    client.close();
    assert!(client.is_closed());
    let err = client
        .send_message("faq-bot", "after", None)
        .expect_err("closed");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[tokio::test]
async fn a_conversation_refuses_a_per_call_conversation_id() {
    let mock = Mock::start();
    let client = mock.client().build().expect("client");
    let conversation = client.resume_conversation("faq-bot", "conv-1");
    let options = enjo::SendOptions::new().conversation_id("conv-2");
    let err = conversation
        .send_with("hi", options)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("resume"), "{err}");
    assert_eq!(conversation.id().as_deref(), Some("conv-1"));
    assert!(mock.requests("faq-bot").await.is_empty(), "nothing sent");
}

#[test]
fn spawn_settles_with_the_output_or_an_internal_error() {
    let (tx, rx) = mpsc::channel();
    let sender = tx.clone();
    let handle = enjo::process::spawn(async { 7 }, move |out| {
        let _ = sender.send(out.map_err(|e| e.kind()));
    });
    assert!(handle.is_some());
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok(Ok(7)));
    let fail = std::env::var("ENJO_NEVER_SET_THIS").is_err();
    enjo::process::spawn(
        async move {
            if fail {
                panic!("boom");
            }
            8
        },
        move |out| {
            let _ = tx.send(out.map_err(|e| e.kind()));
        },
    );
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(30)),
        Ok(Err(ErrorKind::Internal))
    );
}

#[test]
fn an_aborted_spawn_never_settles() {
    let (tx, rx) = mpsc::channel::<()>();
    let handle = enjo::process::spawn(
        async { tokio::time::sleep(Duration::from_secs(3600)).await },
        move |_| {
            let _ = tx.send(());
        },
    )
    .expect("runtime");
    handle.abort();
    // The settle closure is dropped with the task: the channel disconnects, nothing arrives.
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(30)),
        Err(mpsc::RecvTimeoutError::Disconnected)
    );
}

#[tokio::test]
async fn host_options_reach_the_wire_in_the_hosts_units_and_user_agent() {
    let mock = Mock::start();
    let node = Host::new(Spelling::Camel, TimeUnit::Milliseconds).with_language("node", "20.1.0");
    let client = ClientOptions {
        token: Some(DEFAULT_TOKEN.into()),
        base_url: Some(mock.url()),
        timeout: Some(1500.0),
        max_retries: Some(0.0),
        retry_policy: Some("atLeastOnce".into()),
        rate_limit: Some(RateLimitValue::Off),
        user_agent: Some("my-app/1".into()),
        ..ClientOptions::default()
    }
    .apply(&node, enjo::Client::builder().ignore_env())
    .expect("options")
    .build()
    .expect("client");
    assert_eq!(client.timeout(), Duration::from_millis(1500));
    assert_eq!(client.max_retries(), 0);
    assert_eq!(client.retry_policy(), enjo::RetryPolicy::AtLeastOnce);
    let call = CallOptions {
        headers: vec![("X-Tenant".into(), "acme".into())],
        ..CallOptions::default()
    }
    .send_options(&node)
    .expect("call options");
    client
        .send_message_with("faq-bot", "hi", &call)
        .await
        .expect("reply");
    let log = mock.requests("faq-bot").await;
    let headers = &log[0]["headers"];
    let agent = headers["user-agent"].as_str().unwrap_or_default();
    assert!(
        agent.starts_with("enjo-rust/") && agent.ends_with(" node/20.1.0 my-app/1"),
        "{agent}"
    );
    assert_eq!(headers["x-tenant"], "acme");
}

#[test]
fn a_bad_option_is_named_as_the_host_spells_it() {
    let c = Host::new(Spelling::Snake, TimeUnit::Seconds)
        .with_prefix("options.")
        .with_duration_suffix("_secs");
    let err = ClientOptions {
        connect_timeout: Some(0.0),
        ..ClientOptions::default()
    }
    .builder(&c)
    .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(
        err.message()
            .starts_with("options.connect_timeout_secs must be"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_store_names_the_options_as_the_host_spells_them() {
    let mock = Mock::start();
    // A loopback port where nothing listens: the store is down from the first call.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let node = Host::new(Spelling::Camel, TimeUnit::Milliseconds);
    let client = ClientOptions {
        token: Some(DEFAULT_TOKEN.into()),
        base_url: Some(mock.url()),
        rate_limit_store: Some(format!("redis://127.0.0.1:{port}")),
        ..ClientOptions::default()
    }
    .apply(&node, enjo::Client::builder().ignore_env())
    .expect("options")
    .build()
    .expect("client");
    let err = client
        .send_message("faq-bot", "hi", None)
        .await
        .expect_err("the store is down");
    assert_eq!(err.kind(), ErrorKind::RateLimitStore);
    let shown = err.to_string();
    assert!(
        shown.contains("(rateLimitStore / ENJO_RATE_LIMIT_STORE)")
            && shown.contains("opt into rateLimitStoreFallback"),
        "{shown}"
    );
    assert!(!shown.contains("rate_limit_store"), "{shown}");
    assert!(mock.requests("faq-bot").await.is_empty(), "nothing sent");
}
