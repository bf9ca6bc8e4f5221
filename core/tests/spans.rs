//! The `tracing` spans of a call (`enjo.send_message`) and of its attempts (`enjo.attempt`),
//! with the attribute names core/README.md documents, and no secrets. Alone in its test
//! binary, since it installs the process-wide subscriber.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::Mock;
use enjo::ErrorKind;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span as the subscriber saw it: name, parent and every field recorded (as text).
#[derive(Debug, Clone)]
struct CapturedSpan {
    id: u64,
    name: &'static str,
    parent: Option<u64>,
    fields: BTreeMap<String, String>,
}

impl CapturedSpan {
    fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
}

#[derive(Default)]
struct Captured {
    spans: Vec<CapturedSpan>,
    /// Index in `spans` of each live span id (ids are reused after a span closes).
    live: BTreeMap<u64, usize>,
    /// Every event's fields, to check for secrets too.
    events: Vec<BTreeMap<String, String>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Captured>>);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let parent = ctx
            .span(id)
            .and_then(|span| span.parent())
            .map(|p| p.id().into_u64());
        let mut captured = self.0.lock().expect("lock");
        let index = captured.spans.len();
        let parent = parent.and_then(|p| captured.live.get(&p).map(|&i| captured.spans[i].id));
        captured.spans.push(CapturedSpan {
            id: index as u64,
            name: attrs.metadata().name(),
            parent,
            fields,
        });
        captured.live.insert(id.into_u64(), index);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut captured = self.0.lock().expect("lock");
        if let Some(&index) = captured.live.get(&id.into_u64()) {
            values.record(&mut Fields(&mut captured.spans[index].fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().expect("lock").events.push(fields);
    }
}

#[tokio::test]
async fn calls_and_attempts_are_spans_with_stable_attributes_and_no_secrets() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let secret = "sk-span-secret";
    let text = "private words of the user";
    let mock = Mock::start();
    mock.fault("echo-bot", "429;retry-after-ms=10", Some(1))
        .await;
    let reply = mock
        .client()
        .build()
        .expect("client")
        .send_message("echo-bot", text, None)
        .await
        .expect("reply after one retry");
    let request_id = reply.request_id.clone().expect("a request id");
    let err = mock
        .client()
        .token(secret)
        .max_retries(0)
        .build()
        .expect("client")
        .send_message("echo-bot", text, None)
        .await
        .expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Authentication);

    let captured = capture.0.lock().expect("lock");
    let calls: Vec<_> = captured
        .spans
        .iter()
        .filter(|s| s.name == "enjo.send_message")
        .collect();
    assert_eq!(calls.len(), 2, "{:#?}", captured.spans);
    let attempts_of = |call: &CapturedSpan| -> Vec<CapturedSpan> {
        captured
            .spans
            .iter()
            .filter(|s| s.name == "enjo.attempt" && s.parent == Some(call.id))
            .cloned()
            .collect()
    };

    // The retried call.
    let ok = calls[0];
    assert_eq!(ok.get("enjo.bot_id"), Some("echo-bot"));
    assert_eq!(ok.get("enjo.request_id"), Some(request_id.as_str()));
    assert_eq!(ok.get("enjo.max_attempts"), Some("3"));
    assert_eq!(ok.get("enjo.attempts"), Some("2"));
    assert_eq!(ok.get("http.response.status_code"), Some("200"));
    assert_eq!(
        ok.get("enjo.server_request_id"),
        Some(request_id.as_str()),
        "the mock echoes it"
    );
    assert_eq!(ok.get("error.type"), None);
    let attempts = attempts_of(ok);
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    let (first, second) = (&attempts[0], &attempts[1]);
    for (n, attempt) in [first, second].into_iter().enumerate() {
        assert_eq!(
            attempt.get("enjo.attempt_number"),
            Some(&*(n + 1).to_string())
        );
        assert_eq!(attempt.get("enjo.max_attempts"), Some("3"));
        assert_eq!(attempt.get("enjo.request_id"), Some(request_id.as_str()));
        assert_eq!(attempt.get("enjo.rate_limit_wait_ms"), Some("0"));
        assert_eq!(attempt.get("otel.kind"), Some("client"));
        assert_eq!(attempt.get("http.request.method"), Some("POST"));
        assert_eq!(attempt.get("url.path"), Some("/v1/bots/echo-bot/message"));
    }
    assert_eq!(first.get("http.response.status_code"), Some("429"));
    assert_eq!(first.get("error.type"), Some("rate_limited"));
    assert_eq!(first.get("enjo.retry_reason"), Some("rate_limited"));
    assert_eq!(first.get("enjo.retry_in_ms"), Some("10"));
    assert_eq!(first.get("otel.status_code"), Some("ERROR"));
    assert_eq!(second.get("http.response.status_code"), Some("200"));
    assert_eq!(second.get("error.type"), None);
    assert_eq!(second.get("enjo.retry_reason"), None);
    assert_eq!(second.get("otel.status_code"), None);

    // The refused call.
    let failed = calls[1];
    assert_eq!(failed.get("enjo.attempts"), Some("1"));
    assert_eq!(failed.get("http.response.status_code"), Some("401"));
    assert_eq!(failed.get("error.type"), Some("authentication"));
    assert_eq!(failed.get("otel.status_code"), Some("ERROR"));
    assert_eq!(failed.get("enjo.request_id"), err.request_id());
    let attempts = attempts_of(failed);
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].get("enjo.retry_reason"), None, "not retried");

    let everything = format!("{:?} {:?}", captured.spans, captured.events);
    assert!(
        !everything.contains(secret),
        "the token leaked: {everything}"
    );
    assert!(
        !everything.contains(text),
        "the message text leaked: {everything}"
    );
}
