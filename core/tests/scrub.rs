//! Proxies and gateways echo request headers in their error pages: the token must not come
//! back out through an error's message, body, code, request id, `Display` or `Debug`, an
//! observer's events, or a log line. Against a real server that echoes the `Authorization`
//! header. Alone in its test binary, since it installs the process-wide `tracing` subscriber.

#[path = "common/log_capture.rs"]
mod log_capture;

use log_capture::Captured;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use enjo::RateLimit;

const TOKEN: &str = "sk-live_9f8e7d6c5b4a3210";

/// Echoes the `Authorization` header back, in the shape the bot id names.
async fn echo(uri: Uri, headers: HeaderMap) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bare = auth.trim_start_matches("Bearer ").to_owned();
    let json = |status: StatusCode, body: serde_json::Value| {
        (
            status,
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (
                    header::HeaderName::from_static("x-request-id"),
                    bare.clone(),
                ),
                (
                    header::HeaderName::from_static("retry-after-ms"),
                    "1".into(),
                ),
            ],
            body.to_string(),
        )
            .into_response()
    };
    match uri.path() {
        "/v1/bots/html500/message" => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/html")],
            format!(
                "<html><body><h1>502 upstream</h1><pre>Authorization: {auth}\ntoken={bare}\
                 </pre></body></html>"
            ),
        )
            .into_response(),
        "/v1/bots/plain500/message" => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("upstream refused headers: authorization={auth}; token {bare}"),
        )
            .into_response(),
        // The message quotes the first 200 characters: this one cuts the token in two.
        "/v1/bots/long500/message" => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{} authorization: {auth} trailing", "x".repeat(170)),
        )
            .into_response(),
        "/v1/bots/json400/message" => json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"code": bare, "error": format!("bad header: {auth}")}),
        ),
        "/v1/bots/json429/message" => json(
            StatusCode::TOO_MANY_REQUESTS,
            serde_json::json!({"code": "rate_limit_error", "message": format!("slow down {auth}")}),
        ),
        "/v1/bots/false200/message" => json(
            StatusCode::OK,
            serde_json::json!({"success": false, "error": format!("rejected {auth}")}),
        ),
        "/v1/bots/redirect/message" => (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, format!("/login?token={bare}"))],
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::test]
async fn echoed_tokens_are_redacted_everywhere() {
    let captured = Captured::install_global(tracing::Level::TRACE);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, axum::Router::new().fallback(echo)).await;
    });
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let client = enjo::Client::builder()
        .ignore_env()
        .token(TOKEN)
        .base_url(url)
        .rate_limit(RateLimit::Off)
        .max_retries(1)
        .observer(move |e| seen.lock().expect("lock").push(format!("{e:?}")))
        .build()
        .expect("client");

    let mut texts = Vec::new();
    for bot in [
        "html500", "plain500", "long500", "json400", "json429", "false200", "redirect",
    ] {
        let err = client
            .send_message(bot, "hi", None)
            .await
            .expect_err("every bot fails");
        // The server did echo it (or the test proves nothing).
        assert!(
            err.body().is_none_or(|b| b.contains("[redacted]")) || bot == "redirect",
            "{bot}: {err:?} {:?}",
            err.body()
        );
        texts.extend([
            format!("{bot}: {err}"),
            format!("{bot}: {err:?}"),
            format!("{bot}: {}", err.message()),
            format!("{bot}: {:?}", err.body()),
            format!("{bot}: {:?}", err.code()),
            format!("{bot}: {:?}", err.request_id()),
        ]);
    }
    let events = events.lock().expect("lock").clone();
    assert!(
        events.iter().any(|e| e.starts_with("Retry")),
        "the 429 was retried: {events:?}"
    );
    texts.extend(events);
    texts.push(captured.text());
    for text in &texts {
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
        assert!(
            !text.contains(&TOKEN[..6]),
            "a part of the token leaked: {text}"
        );
    }
    assert!(
        texts.iter().any(|t| t.contains("bad header: [redacted]")),
        "{texts:#?}"
    );
}
