//! The shared limiter stores against real servers: `redis-server` (started per test on a free
//! loopback port or a unix socket, stopped by PID) and state files in temp dirs, with the mock
//! over real HTTP. No assertion reads the wall clock: instants are compared as the store
//! stamped them (Redis `TIME`, the file's µs).

mod common;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use common::Mock;
use common::log_capture::Captured;
use common::redis_server::{RedisServer, fresh_dir};
use enjo::ratelimit::{
    FileStore, Quota, RateLimiter, RedisStore, SharedStore, StoreSpec, TokioClock,
};
use enjo::{ErrorKind, RateLimit};
use redis::AsyncCommands;

const S: i64 = 1_000_000;

fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| Captured::install_global(tracing::Level::WARN))
}

fn redis_store(server: &RedisServer, key: &str, margin: Duration) -> RedisStore {
    let StoreSpec::Redis(url) =
        StoreSpec::parse("rate_limit_store", &server.url()).expect("a redis url")
    else {
        panic!("not redis")
    };
    RedisStore::new(&url, key, margin).expect("store")
}

/// The log's entries as (member, score), oldest first.
async fn entries(server: &RedisServer, key: &str) -> Vec<(String, i64)> {
    let mut conn = server.conn().await;
    conn.zrange_withscores(format!("enjo:rl:{{{key}}}:log"), 0, -1)
        .await
        .expect("zrange")
}

/// Reserves a slot that is free now and completes it at once (sent and answered).
async fn take(store: &dyn SharedStore, quotas: &[Quota]) {
    let r = store
        .reserve(quotas, Instant::now())
        .await
        .expect("reserved");
    assert!(r.confirmed, "free now");
    store
        .complete(r.slot, Duration::ZERO)
        .await
        .expect("completed");
}

async fn redis_time(server: &RedisServer) -> i64 {
    let mut conn = server.conn().await;
    let (secs, micros): (i64, i64) = redis::cmd("TIME")
        .query_async(&mut conn)
        .await
        .expect("TIME");
    secs * S + micros
}

#[tokio::test]
async fn redis_admits_every_quota_at_once_from_redis_time() {
    let server = RedisServer::tcp();
    let store = redis_store(&server, "k", Duration::ZERO);
    let quotas = [
        Quota::new(2, Duration::from_secs(1)),
        Quota::new(3, Duration::from_secs(10)),
    ];
    let before = redis_time(&server).await;
    take(&store, &quotas).await;
    take(&store, &quotas).await;
    let third = store
        .reserve(&quotas, Instant::now())
        .await
        .expect("reserved");
    assert!(!third.confirmed, "it must wait");
    let after = redis_time(&server).await;
    let scores: Vec<i64> = entries(&server, "k")
        .await
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(scores.len(), 3, "{scores:?}");
    let (s1, s2) = (scores[0], scores[1]);
    // Stamped with Redis TIME (the first two: their completions).
    assert!(before <= s1 && s2 <= after, "{before} {scores:?} {after}");
    // The 3rd: the short quota (2 per 1 s) is full until exactly s1 + 1 s (an entry at the
    // window's edge no longer counts); the long one (3 per 10 s) has room.
    assert_eq!(scores[2], s1 + S);
    // The 4th: both quotas at once; the long one decides: its 3rd latest entry is s1.
    store
        .reserve(&quotas, Instant::now())
        .await
        .expect("reserved");
    let scores: Vec<i64> = entries(&server, "k")
        .await
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(scores, vec![s1, s2, s1 + S, s1 + 10 * S]);
}

#[tokio::test]
async fn redis_quota_of_one_over_a_unix_socket_with_margin() {
    let server = RedisServer::unix();
    let margin = Duration::from_millis(7);
    let store = redis_store(&server, "one", margin);
    let quotas = [Quota::new(1, Duration::from_secs(2))];
    take(&store, &quotas).await;
    let first = entries(&server, "one").await[0].1;
    let step = 2 * S + 7_000;
    for i in 1..3 {
        store
            .reserve(&quotas, Instant::now())
            .await
            .expect("reserved");
        let scores: Vec<i64> = entries(&server, "one")
            .await
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(
            scores.last(),
            Some(&(first + i * step)),
            "each one window later"
        );
    }
}

#[tokio::test]
async fn redis_survives_script_flush_and_refills_after_an_empty_restart() {
    let mut server = RedisServer::tcp();
    let store = redis_store(&server, "refill", Duration::ZERO);
    let quotas = [Quota::new(1, Duration::from_secs(60))];
    take(&store, &quotas).await;
    let mut conn = server.conn().await;
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut conn)
        .await
        .expect("flush");
    let first = entries(&server, "refill").await[0].1;
    store
        .reserve(&quotas, Instant::now())
        .await
        .expect("after SCRIPT FLUSH");
    let stamps: Vec<i64> = entries(&server, "refill")
        .await
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(stamps, vec![first, first + 60 * S]);
    let last = stamps[1];
    // A restart loses everything; the next reservation must not start a fresh window.
    server.restart();
    assert!(entries(&server, "refill").await.is_empty());
    store
        .reserve(&quotas, Instant::now())
        .await
        .expect("after the restart, same store");
    let after: Vec<i64> = entries(&server, "refill")
        .await
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(after.last().copied(), Some(last + 60 * S), "{after:?}");
}

#[tokio::test]
async fn different_quotas_on_one_key_are_refused() {
    let server = RedisServer::tcp();
    let a = redis_store(&server, "mixed", Duration::ZERO);
    let b = redis_store(&server, "mixed", Duration::ZERO);
    a.reserve(&Quota::DOCUMENTED, Instant::now())
        .await
        .expect("first");
    let err = b
        .reserve(&[Quota::new(5, Duration::from_secs(1))], Instant::now())
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let text = err.to_string();
    assert!(
        text.contains("10/5s, 20/60s") && text.contains("5/1s"),
        "{text}"
    );
    // Another key is another log.
    redis_store(&server, "other", Duration::ZERO)
        .reserve(&[Quota::new(5, Duration::from_secs(1))], Instant::now())
        .await
        .expect("another key");
    // Same policy in the file store.
    let dir = fresh_dir();
    let path = dir.join("state");
    FileStore::new(&path, Duration::ZERO)
        .reserve(&Quota::DOCUMENTED, Instant::now())
        .await
        .expect("first");
    let err = FileStore::new(&path, Duration::ZERO)
        .reserve(&[Quota::new(5, Duration::from_secs(1))], Instant::now())
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
}

#[tokio::test]
async fn a_cancelled_waiter_takes_nothing() {
    let server = RedisServer::tcp();
    let store: Arc<dyn SharedStore> = Arc::new(redis_store(&server, "cancel", Duration::ZERO));
    let limiter = Arc::new(RateLimiter::with_shared_store(
        store,
        false,
        Arc::new(TokioClock),
    ));
    let quotas = [Quota::new(1, Duration::from_secs(30))];
    let first = limiter.acquire(&quotas, None).await.expect("free");
    // The second reserves 30 s ahead, then its caller gives up.
    let granted = entries(&server, "cancel").await;
    let waiting = limiter.acquire(&quotas, None);
    let reserved = tokio::select! {
        r = waiting => panic!("must wait: {r:?}"),
        log = async {
            loop {
                let log = entries(&server, "cancel").await;
                if log.len() == 2 {
                    return log;
                }
                tokio::task::yield_now().await;
            }
        } => log,
    };
    // Its reservation was a window after the first (in flight: counted as ending now); its
    // caller gave up (dropped) here.
    assert!(reserved[1].1 >= granted[0].1 + 30 * S, "{reserved:?}");
    RateLimiter::settle(Duration::from_secs(5)).await;
    assert_eq!(
        entries(&server, "cancel").await,
        granted,
        "the reservation was released"
    );
    first.complete();
    RateLimiter::settle(Duration::from_secs(5)).await;
    // The completion moved the entry's stamp to the response's arrival (never earlier).
    let done = entries(&server, "cancel").await;
    assert_eq!(done.len(), 1);
    assert!(done[0].1 > granted[0].1, "{done:?} {granted:?}");
}

#[tokio::test]
async fn a_429_blocks_every_client_of_the_store() {
    let server = RedisServer::tcp();
    let quotas = [Quota::new(100, Duration::from_secs(1))];
    let a: Arc<dyn SharedStore> = Arc::new(redis_store(&server, "blk", Duration::ZERO));
    let b = redis_store(&server, "blk", Duration::ZERO);
    let limiter = RateLimiter::with_shared_store(a, false, Arc::new(TokioClock));
    limiter.block_for(Duration::from_secs(30));
    RateLimiter::settle(Duration::from_secs(5)).await;
    let mut conn = server.conn().await;
    let blocked: i64 = conn
        .hget("enjo:rl:{blk}:meta", "b")
        .await
        .expect("blocked until");
    // Another process (another store object) reserves no earlier than the block.
    b.reserve(&quotas, Instant::now()).await.expect("reserved");
    let stamps: Vec<i64> = entries(&server, "blk")
        .await
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(stamps, vec![blocked]);
}

#[tokio::test]
async fn file_store_shared_by_two_clients_and_blocked_by_a_429() {
    let dir = fresh_dir();
    let path = dir.join("limits.json");
    let a = FileStore::new(&path, Duration::ZERO);
    let b = FileStore::new(&path, Duration::ZERO);
    let quotas = [Quota::new(2, Duration::from_secs(10))];
    take(&a, &quotas).await;
    take(&b, &quotas).await;
    let two: Vec<i64> = a
        .snapshot()
        .expect("state")
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(two.len(), 2);
    a.reserve(&quotas, Instant::now()).await.expect("a again");
    let stamps: Vec<i64> = a
        .snapshot()
        .expect("state")
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(stamps, vec![two[0], two[1], two[0] + 10 * S], "{stamps:?}");
    b.block_for(Duration::from_secs(100)).await.expect("block");
    let other = [Quota::new(2, Duration::from_secs(10))];
    a.reserve(&other, Instant::now())
        .await
        .expect("a after the block");
    let last = a
        .snapshot()
        .expect("state")
        .into_iter()
        .map(|(_, t)| t)
        .max();
    assert!(last > Some(two[0] + 99 * S), "{last:?}");
}

#[tokio::test]
async fn file_store_resets_a_corrupt_or_truncated_file_with_a_warning() {
    let logs = logs();
    let dir = fresh_dir();
    let path = dir.join("corrupt-state");
    let store = FileStore::new(&path, Duration::ZERO);
    let quotas = [Quota::new(5, Duration::from_secs(10))];
    store.reserve(&quotas, Instant::now()).await.expect("first");
    let good = std::fs::read_to_string(&path).expect("state");
    for bad in [
        "\u{0}\u{1}garbage".to_owned(),
        good[..good.len() / 2].to_owned(),
        "{\"v\":1}".to_owned(),
    ] {
        std::fs::write(&path, &bad).expect("write");
        store
            .reserve(&quotas, Instant::now())
            .await
            .expect("recovers");
        assert_eq!(
            store.snapshot().expect("state").len(),
            1,
            "reset, then one entry"
        );
    }
    assert!(
        logs.text().contains("corrupt or truncated"),
        "{}",
        logs.text()
    );
}

#[tokio::test]
async fn an_unusable_store_is_a_typed_error_before_sending() {
    let mock = Mock::start();
    // A state file under a regular file can never be created.
    let dir = fresh_dir();
    std::fs::write(dir.join("plain"), "x").expect("file");
    let spec = format!("file:{}", dir.join("plain").join("state").display());
    let client = mock
        .client()
        .rate_limit(RateLimit::Documented)
        .rate_limit_store(&spec)
        .build()
        .expect("client");
    let err = client
        .send_message("echo-bot", "hi", None)
        .await
        .expect_err("store error");
    assert_eq!(err.kind(), ErrorKind::RateLimitStore, "{err}");
    assert!(err.to_string().contains(&spec), "{err}");
    assert!(!err.view().may_have_been_sent);
    assert!(
        mock.requests("echo-bot").await.is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn redis_down_fails_or_falls_back_and_comes_back_without_a_new_client() {
    let logs = logs();
    let mock = Mock::start();
    let mut server = RedisServer::tcp();
    let build = |fallback: bool| {
        mock.client()
            .rate_limit(RateLimit::Custom(vec![Quota::new(
                50,
                Duration::from_secs(60),
            )]))
            .rate_limit_store(server.url())
            .rate_limit_key(format!("down-{fallback}"))
            .rate_limit_store_fallback(fallback)
            .build()
            .expect("client")
    };
    let strict = build(false);
    let lenient = build(true);
    strict
        .send_message("echo-bot", "up", None)
        .await
        .expect("redis is up");
    server.stop();
    let err = strict
        .send_message("echo-bot", "down", None)
        .await
        .expect_err("redis is down");
    assert_eq!(err.kind(), ErrorKind::RateLimitStore, "{err}");
    assert!(err.to_string().contains("redis://127.0.0.1"), "{err}");
    lenient
        .send_message("echo-bot", "fallback", None)
        .await
        .expect("falls back");
    lenient
        .send_message("echo-bot", "fallback", None)
        .await
        .expect("falls back");
    let warned = logs
        .text()
        .matches("falling back to this process's own limiter")
        .count();
    assert_eq!(warned, 1, "one warning: {}", logs.text());
    assert_eq!(
        mock.count_text("echo-bot", "down").await,
        0,
        "nothing sent while down"
    );
    server.restart();
    strict
        .send_message("echo-bot", "back", None)
        .await
        .expect("redis is back");
    lenient
        .send_message("echo-bot", "back", None)
        .await
        .expect("redis is back");
    // The strict client refilled the empty Redis with its request from before the restart.
    assert_eq!(entries(&server, "down-false").await.len(), 2);
    assert_eq!(entries(&server, "down-true").await.len(), 1);
}

#[tokio::test]
async fn a_redis_password_is_never_shown() {
    let password = "s3cret-hunter2-pw";
    let server = RedisServer::tcp_with_password(password);
    let mock = Mock::start();
    let good = server.url();
    let wrong = good.replace(password, "wrong-hunter2-pw");
    for url in [&good, &wrong] {
        let builder = mock
            .client()
            .rate_limit(RateLimit::Documented)
            .rate_limit_store(url.clone())
            .rate_limit_key("pw");
        let shown = format!("{builder:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let client = builder.build().expect("client");
        match client.send_message("echo-bot", "pw", None).await {
            Ok(_) => assert_eq!(url, &good),
            Err(err) => {
                assert_eq!(url, &wrong);
                assert_eq!(err.kind(), ErrorKind::RateLimitStore);
                for text in [err.to_string(), format!("{err:?}")] {
                    assert!(!text.contains("hunter2"), "{text}");
                    assert!(text.contains("***"), "{text}");
                }
            }
        }
    }
    assert!(!logs().text().contains("hunter2"));
}

#[tokio::test]
async fn env_default_and_explicit_option_wins() {
    let server = RedisServer::unix();
    let mock = Mock::start();
    let client = enjo::Client::builder()
        .token(enjo_mock::DEFAULT_TOKEN)
        .base_url(mock.url())
        .env_values(None, None)
        .env_store_values(Some(server.url()), Some("from-env".into()))
        .build()
        .expect("client");
    client
        .send_message("echo-bot", "env", None)
        .await
        .expect("sent");
    assert_eq!(entries(&server, "from-env").await.len(), 1);
    let bad = enjo::Client::builder()
        .token(enjo_mock::DEFAULT_TOKEN)
        .base_url(mock.url())
        .env_store_values(Some("nonsense://x".into()), None)
        .build()
        .expect_err("a bad env value is refused");
    assert!(bad.to_string().contains("ENJO_RATE_LIMIT_STORE"), "{bad}");
    enjo::Client::builder()
        .token(enjo_mock::DEFAULT_TOKEN)
        .base_url(mock.url())
        .env_store_values(Some("nonsense://x".into()), None)
        .rate_limit_store("memory")
        .build()
        .expect("the explicit option wins");
}

/// The confirmation at the reserved instant counts a request in flight as ending now, and a
/// completed one from its completion: a request answered later than planned pushes the next.
#[tokio::test]
async fn a_request_in_flight_counts_until_its_response_arrives() {
    for redis_backed in [true, false] {
        let server = RedisServer::tcp();
        let dir = fresh_dir();
        let store: Box<dyn SharedStore> = if redis_backed {
            Box::new(redis_store(&server, "flight", Duration::ZERO))
        } else {
            Box::new(FileStore::new(dir.join("flight"), Duration::ZERO))
        };
        let stamps = || async {
            if redis_backed {
                entries(&server, "flight")
                    .await
                    .into_iter()
                    .map(|(_, s)| s)
                    .collect::<Vec<_>>()
            } else {
                FileStore::new(dir.join("flight"), Duration::ZERO)
                    .snapshot()
                    .expect("state")
                    .into_iter()
                    .map(|(_, t)| t)
                    .collect()
            }
        };
        let quotas = [Quota::new(1, Duration::from_secs(1))];
        let a = store.reserve(&quotas, Instant::now()).await.expect("a");
        assert!(a.confirmed);
        let b = store.reserve(&quotas, Instant::now()).await.expect("b");
        assert!(!b.confirmed);
        // `a` is still in flight: confirming `b` moves it a window past "now", again.
        let moved = store
            .confirm(b.slot, &quotas, Instant::now())
            .await
            .expect("confirm");
        assert!(!moved.confirmed);
        assert_eq!(moved.slot, b.slot);
        let a_stamp = stamps().await[0];
        assert!(stamps().await[1] > a_stamp + S, "{:?}", stamps().await);
        // Once `a` is answered, `b` is due exactly one window after that answer.
        store
            .complete(a.slot, Duration::ZERO)
            .await
            .expect("complete");
        let answered = stamps().await[0];
        assert!(answered > a_stamp);
        let due = store
            .confirm(b.slot, &quotas, Instant::now())
            .await
            .expect("confirm");
        assert!(!due.confirmed);
        assert_eq!(
            stamps().await,
            vec![answered, answered + S],
            "redis: {redis_backed}"
        );
    }
}

/// A wait past `rate_limit_max_wait` fails at once with a local `RateLimited` error, and the
/// reservation it would have waited on is released.
#[tokio::test]
async fn a_bounded_wait_fails_at_once_and_releases_its_reservation() {
    let dir = fresh_dir();
    let file = FileStore::new(dir.join("bounded"), Duration::ZERO);
    let store: Arc<dyn SharedStore> = Arc::new(file.clone());
    let limiter = Arc::new(RateLimiter::with_shared_store(
        store,
        false,
        Arc::new(TokioClock),
    ));
    let quotas = [Quota::new(1, Duration::from_secs(60))];
    let first = limiter.acquire(&quotas, None).await.expect("free");
    let err = limiter
        .acquire(&quotas, Some(Duration::from_secs(1)))
        .await
        .expect_err("a minute is past the bound");
    assert_eq!(err.kind(), ErrorKind::RateLimited, "{err}");
    assert!(err.retry_after() > Some(Duration::from_secs(1)), "{err}");
    RateLimiter::settle(Duration::from_secs(5)).await;
    assert_eq!(file.snapshot().expect("state").len(), 1, "released");
    first.complete();
}

/// A shared store given while the limiter is off would hold nothing: refused, naming the
/// option as the user spelled it; the environment's store is a default and is then ignored.
#[tokio::test]
async fn a_store_with_the_limiter_off_is_refused() {
    let dir = fresh_dir();
    let spec = format!("file:{}", dir.join("off").display());
    let mock = Mock::start();
    // `Mock::client()` turns the limiter off.
    let err = mock
        .client()
        .rate_limit_store(&spec)
        .build()
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("rate_limit_store needs the rate limiter on;"),
        "{text}"
    );
    assert!(text.contains(&spec), "{text}");
    // The password of a Redis URL is not repeated.
    let err = mock
        .client()
        .rate_limit_store("redis://:hunter2-off@127.0.0.1:1/0")
        .build()
        .expect_err("refused");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    // Through a binding's options layer: in the host's spelling.
    let node =
        enjo::options::Host::new(enjo::Spelling::Camel, enjo::options::TimeUnit::Milliseconds);
    let options = enjo::options::ClientOptions {
        token: Some(enjo_mock::DEFAULT_TOKEN.into()),
        base_url: Some(mock.url()),
        rate_limit: Some(enjo::options::RateLimitValue::Off),
        rate_limit_store: Some(spec.clone()),
        ..Default::default()
    };
    let err = options
        .builder(&node)
        .and_then(|b| b.ignore_env().build())
        .expect_err("refused");
    assert!(
        err.to_string()
            .starts_with("rateLimitStore needs the rate limiter on;"),
        "{err}"
    );
    // `memory` is the default, not a shared store: nothing to refuse.
    mock.client()
        .rate_limit_store("memory")
        .build()
        .expect("memory with the limiter off");
    // The environment's store with the limiter off: ignored, and nothing is written.
    let client = enjo::Client::builder()
        .token(enjo_mock::DEFAULT_TOKEN)
        .base_url(mock.url())
        .env_values(None, None)
        .env_store_values(Some(spec.clone()), None)
        .rate_limit(RateLimit::Off)
        .build()
        .expect("an env store is a default: ignored when the limiter is off");
    client
        .send_message("echo-bot", "off", None)
        .await
        .expect("sent");
    assert!(!dir.join("off").exists(), "the store was not used");
}

/// The `RateLimitWait` event when a shared store makes the caller wait: once per call, with
/// the reserved wait, as with the in-process log (file store, then Redis).
#[tokio::test]
async fn a_shared_store_wait_is_announced_as_an_event() {
    let redis = RedisServer::tcp();
    let dir = fresh_dir();
    let window = Duration::from_millis(300);
    let margin = enjo::ratelimit::DEFAULT_MARGIN;
    for spec in [
        format!("file:{}", dir.join("events").display()),
        redis.url(),
    ] {
        let mock = Mock::start();
        let waits = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = waits.clone();
        let client = mock
            .client()
            .rate_limit(RateLimit::Custom(vec![Quota::new(1, window)]))
            .rate_limit_store(&spec)
            .rate_limit_key("events")
            .observer(move |event| {
                if let enjo::Event::RateLimitWait { wait, reason } = event {
                    seen.lock().expect("events").push((*wait, *reason));
                }
            })
            .build()
            .expect("client");
        client
            .send_message("echo-bot", "first", None)
            .await
            .expect("first");
        assert!(
            waits.lock().expect("events").is_empty(),
            "{spec}: the first one is free"
        );
        client
            .send_message("echo-bot", "second", None)
            .await
            .expect("second");
        let waits = waits.lock().expect("events").clone();
        assert_eq!(waits.len(), 1, "{spec}: one announcement: {waits:?}");
        let (wait, reason) = waits[0];
        assert!(
            !wait.is_zero() && wait <= window + margin,
            "{spec}: {waits:?}"
        );
        assert_eq!(reason, enjo::WaitReason::SharedStore, "{spec}");
    }
}
