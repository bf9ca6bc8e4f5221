//! The `reset-mid-body` and `unicode` faults over real HTTP: what a client actually receives.

use enjo_mock::faults::UNICODE_ANSWER;
use enjo_mock::{DEFAULT_TOKEN, MockConfig, MockServer};
use serde_json::{Value, json};

fn start() -> MockServer {
    let _ = rustls::crypto::ring::default_provider().install_default();
    MockServer::start_background(MockConfig::default().without_rate_limit()).expect("server starts")
}

async fn send(server: &MockServer, fault: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/bots/faq-bot/message", server.url()))
        .bearer_auth(DEFAULT_TOKEN)
        .header("x-enjo-mock-fault", fault)
        .json(&json!({"message": {"text": "How do I reset my password?"}}))
        .send()
        .await
        .expect("the status line and headers arrive")
}

#[tokio::test]
async fn reset_mid_body_sends_half_the_announced_body_then_breaks() {
    let server = start();
    let mut response = send(&server, "reset-mid-body").await;
    assert_eq!(response.status(), 200);
    let announced = response.content_length().expect("a Content-Length");
    let mut received = 0u64;
    let outcome = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received += chunk.len() as u64,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    assert!(outcome.is_err(), "the body must break off, not end cleanly");
    assert_eq!(
        received,
        announced / 2,
        "half of the announced body arrived first"
    );
    let log = server.requests();
    let entry = log.last().expect("logged");
    assert_eq!(entry.fault.as_deref(), Some("reset-mid-body"));
}

#[tokio::test]
async fn unicode_escapes_and_raw_utf8_decode_to_the_documented_answer() {
    let server = start();
    let response = send(&server, "unicode").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("valid JSON");
    assert_eq!(body["data"]["answers"], UNICODE_ANSWER);
    assert_eq!(body["data"]["sources"][0]["name"], "Ünïcödé ✓");
    assert_eq!(body["data"]["conversationId"], "conv-ü-1");
}
