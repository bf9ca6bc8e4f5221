//! The testing kit's embeddable API over real HTTP: started from plain (non-async) code, it
//! answers, records requests and tickets, applies fault bots and scaled limits, and stops.

use enjo_mock::{Kit, KitOptions};
use serde_json::{Value, json};

async fn post(kit: &Kit, bot: &str, text: &str) -> (u16, Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::Client::new()
        .post(format!("{}/v1/bots/{bot}/message", kit.url()))
        .bearer_auth(kit.token())
        .json(&json!({"message": {"text": text}}))
        .send()
        .await
        .expect("response");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn parse(text: &str) -> Vec<Value> {
    serde_json::from_str(text).expect("a JSON array")
}

#[tokio::test]
async fn kit_serves_records_and_stops() {
    let mut kit = Kit::start(&KitOptions {
        fault_bots: vec![("down-bot".into(), "500".into())],
        token: Some("kit-token".into()),
        ..KitOptions::default()
    })
    .expect("starts");
    assert!(kit.url().starts_with("http://127.0.0.1:"), "{}", kit.url());
    assert_eq!(kit.token(), "kit-token");
    assert!(!format!("{kit:?}").contains("kit-token"));

    let (status, body) = post(&kit, "support-bot", "Please open a ticket, login is down").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&kit, "down-bot", "hello").await;
    assert_eq!((status, body["code"].as_str()), (500, Some("server_error")));

    let requests = parse(&kit.requests_json());
    let bots: Vec<_> = requests.iter().map(|r| r["bot_id"].as_str()).collect();
    assert_eq!(bots, [Some("support-bot"), Some("down-bot")]);
    assert_eq!(requests[1]["fault"], "status=500");
    let tickets = parse(&kit.tickets_json());
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["platform"], "salesforce");

    kit.add_fault("status=404", Some("echo-bot"), Some(1))
        .expect("queued");
    assert_eq!(post(&kit, "echo-bot", "a").await.0, 404);
    assert_eq!(post(&kit, "echo-bot", "b").await.0, 200);
    assert!(kit.add_fault("explode", None, None).is_err());

    kit.reset();
    assert!(parse(&kit.requests_json()).is_empty());

    let url = kit.url().to_owned();
    kit.stop();
    kit.stop();
    let after = reqwest::Client::new()
        .post(format!("{url}/v1/bots/echo-bot/message"))
        .send()
        .await;
    assert!(after.is_err(), "still answering after stop");
}

#[tokio::test]
async fn kit_rate_limit_is_off_by_default_and_scaled_on_request() {
    let kit = Kit::start(&KitOptions::default()).expect("starts");
    for i in 0..15 {
        assert_eq!(post(&kit, "echo-bot", &format!("m{i}")).await.0, 200);
    }
    let limited = Kit::start(&KitOptions {
        rate_limit: Some("2/1m".into()),
        ..KitOptions::default()
    })
    .expect("starts");
    let mut statuses = Vec::new();
    for i in 0..3 {
        statuses.push(post(&limited, "echo-bot", &format!("m{i}")).await.0);
    }
    assert_eq!(statuses, [200, 200, 429]);
    assert!(
        Kit::start(&KitOptions {
            rate_limit: Some("fast".into()),
            ..KitOptions::default()
        })
        .is_err()
    );
}

#[test]
fn standalone_help_and_bad_flags_return_statuses() {
    assert_eq!(
        enjo_mock::kit::main_with_args("enjo-mock", vec!["--help".into()]),
        0
    );
    assert_eq!(
        enjo_mock::kit::main_with_args("enjo-mock", vec!["--nope".into()]),
        2
    );
    assert_eq!(
        enjo_mock::kit::main_with_args("enjo-mock", vec!["--rate-limit".into(), "x".into()]),
        1
    );
}
