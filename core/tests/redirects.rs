//! Redirects, against a real HTTP server written here (the mock never redirects).
//!
//! Only 307 and 308 keep the method and body, so only they are followed, and only to the same
//! origin, at most 5 hops; each hop is a request the server counts, so it takes a rate-limiter
//! permit. A 301/302/303 (which HTTP clients turn into a GET without the body), a cross-origin
//! 307/308 and a hop past the limit are `Api` errors carrying the status and the `Location`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use enjo::ratelimit::{Decision, LimiterStore, MemoryStore, SlotId, TokioClock};
use enjo::{ErrorKind, Quota, RateLimit, RateLimiter};

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    method: String,
    path: String,
    body: String,
    auth: Option<String>,
}

#[derive(Clone)]
struct Server {
    /// `http://127.0.0.1:port` of this server.
    url: Arc<Mutex<String>>,
    /// Where `/v1/bots/cross/message` redirects to.
    elsewhere: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

/// `/v1/bots/r{301,302,303,307,308}/message` redirect to `/v1/bots/target/message` (relative
/// `Location`), `a{code}` the same with an absolute one, `cross` with a 307 to `elsewhere`,
/// `loop` to itself; `target` answers 200 with the method and body it got as `answers`.
async fn handle(
    State(server): State<Server>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let body = String::from_utf8_lossy(&body).into_owned();
    server.seen.lock().expect("lock").push(Seen {
        method: method.to_string(),
        path: path.clone(),
        body: body.clone(),
        auth: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
    let bot = path
        .strip_prefix("/v1/bots/")
        .and_then(|p| p.strip_suffix("/message"))
        .unwrap_or_default();
    let redirect = |status: u16, location: String| {
        let status = StatusCode::from_u16(status).expect("status");
        (status, [(header::LOCATION, location)]).into_response()
    };
    let own = server.url.lock().expect("lock").clone();
    match bot {
        "target" => {
            let answer = format!("{method} {body}");
            let reply = serde_json::json!({"success": true, "data": {"answers": answer}});
            (
                [(header::CONTENT_TYPE, "application/json")],
                reply.to_string(),
            )
                .into_response()
        }
        "cross" => redirect(307, format!("{}/v1/bots/target/message", server.elsewhere)),
        "loop" => redirect(307, path.clone()),
        _ => match (
            bot.get(..1),
            bot.get(1..).and_then(|c| c.parse::<u16>().ok()),
        ) {
            (Some("r"), Some(code)) => redirect(code, "/v1/bots/target/message".into()),
            (Some("a"), Some(code)) => redirect(code, format!("{own}/v1/bots/target/message")),
            _ => StatusCode::NOT_FOUND.into_response(),
        },
    }
}

async fn start(elsewhere: &str) -> Server {
    let server = Server {
        url: Arc::default(),
        elsewhere: elsewhere.to_owned(),
        seen: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    *server.url.lock().expect("lock") = url;
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(server.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    server
}

impl Server {
    fn url(&self) -> String {
        self.url.lock().expect("lock").clone()
    }
}

/// A store that counts the slots it grants.
#[derive(Default)]
struct CountingStore {
    inner: MemoryStore,
    granted: AtomicUsize,
}

impl LimiterStore for CountingStore {
    fn try_acquire(&self, quotas: &[Quota], now: Instant) -> Decision {
        let decision = self.inner.try_acquire(quotas, now);
        if matches!(decision, Decision::Granted(_)) {
            self.granted.fetch_add(1, Ordering::SeqCst);
        }
        decision
    }
    fn peek(&self, quotas: &[Quota], now: Instant) -> Decision {
        self.inner.peek(quotas, now)
    }
    fn complete(&self, slot: SlotId, now: Instant) {
        self.inner.complete(slot, now)
    }
    fn block_until(&self, until: Instant) {
        self.inner.block_until(until)
    }
}

/// A client of `base` whose limiter counts its grants (a generous custom quota).
fn client(base: &str) -> (enjo::Client, Arc<CountingStore>) {
    let store = Arc::new(CountingStore::default());
    let limiter = Arc::new(RateLimiter::new(store.clone(), Arc::new(TokioClock)));
    let client = enjo::Client::builder()
        .ignore_env()
        .token("sk-redirect-test-token")
        .base_url(base)
        .rate_limit(RateLimit::Custom(vec![Quota::new(
            100,
            Duration::from_secs(60),
        )]))
        .rate_limiter(limiter)
        .max_retries(0)
        .build()
        .expect("client");
    (client, store)
}

#[tokio::test]
async fn a_307_or_308_to_the_same_origin_resends_the_post_with_its_body() {
    let server = start("http://127.0.0.1:1").await;
    for bot in ["r307", "r308", "a307", "a308"] {
        let (client, store) = client(&server.url());
        let before = server.seen().len();
        let reply = client
            .send_message(bot, "keep this body", Some("c-1"))
            .await
            .unwrap_or_else(|e| panic!("{bot}: {e}"));
        let answer = reply.answers.unwrap_or_default();
        assert!(answer.starts_with("POST {"), "{bot}: {answer}");
        assert!(answer.contains("keep this body"), "{bot}: {answer}");
        let seen = server.seen()[before..].to_vec();
        assert_eq!(seen.len(), 2, "{bot}: {seen:?}");
        assert_eq!(seen[1].path, "/v1/bots/target/message");
        assert_eq!(seen[1].method, "POST", "{bot}");
        assert_eq!(
            seen[1].body, seen[0].body,
            "{bot}: the body is resent unchanged"
        );
        assert_eq!(seen[1].auth, seen[0].auth, "{bot}: same origin, same token");
        assert_eq!(
            store.granted.load(Ordering::SeqCst),
            2,
            "{bot}: the hop took a permit of its own"
        );
    }
}

#[tokio::test]
async fn a_301_302_or_303_is_an_api_error_with_the_location() {
    let server = start("http://127.0.0.1:1").await;
    for code in [301u16, 302, 303] {
        let (client, store) = client(&server.url());
        let before = server.seen().len();
        let err = client
            .send_message(&format!("r{code}"), "hi", None)
            .await
            .expect_err("not followed");
        assert_eq!(err.kind(), ErrorKind::Api, "{code}: {err}");
        assert_eq!(err.status(), Some(code), "{err}");
        assert!(
            err.message().contains("/v1/bots/target/message"),
            "the Location is in the message: {err}"
        );
        assert_eq!(
            server.seen().len() - before,
            1,
            "{code}: no GET (nor anything) sent to the Location"
        );
        assert_eq!(store.granted.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn a_307_to_another_origin_is_refused_and_never_gets_the_token() {
    let elsewhere = start("http://127.0.0.1:1").await;
    let server = start(&elsewhere.url()).await;
    let (client, _) = client(&server.url());
    let err = client
        .send_message("cross", "hi", None)
        .await
        .expect_err("cross-origin");
    assert_eq!(err.kind(), ErrorKind::Api, "{err}");
    assert_eq!(err.status(), Some(307));
    assert!(err.message().contains(&elsewhere.url()), "{err}");
    assert!(
        elsewhere.seen().is_empty(),
        "nothing sent to another origin"
    );
}

#[tokio::test]
async fn at_most_five_hops_each_with_its_permit() {
    let server = start("http://127.0.0.1:1").await;
    let (client, store) = client(&server.url());
    let err = client
        .send_message("loop", "hi", None)
        .await
        .expect_err("too many redirects");
    assert_eq!(err.kind(), ErrorKind::Api, "{err}");
    assert_eq!(err.status(), Some(307));
    assert!(err.message().contains("/v1/bots/loop/message"), "{err}");
    assert_eq!(server.seen().len(), 6, "the request and 5 hops");
    assert_eq!(store.granted.load(Ordering::SeqCst), 6);
}

/// A clock that jumps to the instant a sleeper waits for: limiter waits take no real time and
/// their lengths are exact.
struct JumpingClock(Mutex<Instant>);

impl enjo::ratelimit::Clock for JumpingClock {
    fn now(&self) -> Instant {
        *self.0.lock().expect("lock")
    }
    fn sleep_until(&self, deadline: Instant) -> enjo::ratelimit::Sleep {
        let mut now = self.0.lock().expect("lock");
        *now = (*now).max(deadline);
        Box::pin(std::future::ready(()))
    }
}

/// A hop waits for the limiter like any request, under the client's quotas: with 1 request a
/// minute, the hop after a 307 waits exactly a minute after the first request completed.
#[tokio::test]
async fn a_hop_waits_for_the_limiter() {
    let server = start("http://127.0.0.1:1").await;
    let waits = Arc::new(Mutex::new(Vec::new()));
    let seen = waits.clone();
    let clock = Arc::new(JumpingClock(Mutex::new(Instant::now())));
    let limiter = RateLimiter::new(Arc::new(MemoryStore::new()), clock);
    let client = enjo::Client::builder()
        .ignore_env()
        .token("t0ken-for-hops")
        .base_url(server.url())
        .rate_limit(RateLimit::Custom(vec![Quota::new(
            1,
            Duration::from_secs(60),
        )]))
        .rate_limiter(Arc::new(limiter))
        .observer(move |e| {
            if let enjo::Event::RateLimitWait { wait, .. } = e {
                seen.lock().expect("lock").push(*wait);
            }
        })
        .build()
        .expect("client");
    let reply = client
        .send_message("r307", "hi", None)
        .await
        .expect("reply");
    assert!(reply.answers.unwrap_or_default().starts_with("POST"));
    let waits = waits.lock().expect("lock").clone();
    assert_eq!(waits, [Duration::from_secs(60)], "the hop waited its turn");
}
