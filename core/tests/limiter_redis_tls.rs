//! `rediss://` for real: Debian's `redis-server` (built with TLS) on a free loopback TLS port
//! (`--port 0`: no plain port), presenting a certificate signed by a throwaway CA made here.
//! The client trusts that CA through `root_certificate_pem` (the option that also trusts it for
//! HTTPS); without it the store is unreachable (a typed error) and nothing is sent.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Mock;
use common::redis_server::fresh_dir;
use enjo::ratelimit::Quota;
use enjo::{ErrorKind, RateLimit};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// A `redis-server` speaking only TLS, stopped by PID on drop.
struct TlsRedis {
    child: Child,
    port: u16,
    ca_pem: String,
    dir: std::path::PathBuf,
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a PEM file");
    path.display().to_string()
}

impl TlsRedis {
    async fn start() -> TlsRedis {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "enjo test CA (redis)");
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
        let leaf_key = KeyPair::generate().expect("server key");
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("server params")
            .signed_by(&leaf_key, &ca)
            .expect("server certificate");

        let dir = fresh_dir();
        let cert = write(&dir, "server.crt", &leaf.pem());
        let key = write(&dir, "server.key", &leaf_key.serialize_pem());
        let ca_file = write(&dir, "ca.crt", &ca.pem());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("redis-server")
            .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .args(["--tls-cert-file", &cert, "--tls-key-file", &key])
            .args(["--tls-ca-cert-file", &ca_file, "--tls-auth-clients", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts (apt-get install redis-server)");
        let server = TlsRedis {
            child,
            port,
            ca_pem: ca.pem(),
            dir,
        };
        // Ready when a TLS client trusting the CA gets an answer to PING.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(mut conn) = server.conn().await {
                let pong: redis::RedisResult<String> =
                    redis::cmd("PING").query_async(&mut conn).await;
                if pong.is_ok() {
                    return server;
                }
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer over TLS"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}/0", self.port)
    }

    /// A connection for inspecting the store, trusting the CA.
    async fn conn(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        redis::Client::build_with_tls(
            self.url(),
            redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(self.ca_pem.clone().into_bytes()),
            },
        )?
        .get_multiplexed_async_connection()
        .await
    }
}

#[tokio::test]
async fn rediss_admits_through_a_ca_given_as_root_certificate_pem() {
    let redis = TlsRedis::start().await;
    let mock = Mock::start();
    let window = Duration::from_millis(200);
    let client = mock
        .client()
        .rate_limit(RateLimit::Custom(vec![Quota::new(1, window)]))
        .rate_limit_store(redis.url())
        .rate_limit_key("tls")
        .add_root_certificate_pem(redis.ca_pem.clone().into_bytes())
        .build()
        .expect("client");
    for text in ["one", "two"] {
        client
            .send_message("echo-bot", text, None)
            .await
            .expect("admitted over rediss");
    }
    enjo::RateLimiter::settle(Duration::from_secs(5)).await;
    let mut conn = redis.conn().await.expect("inspect over TLS");
    let stamps: Vec<(String, i64)> =
        redis::AsyncCommands::zrange_withscores(&mut conn, "enjo:rl:{tls}:log", 0, -1)
            .await
            .expect("the log");
    assert_eq!(stamps.len(), 2, "{stamps:?}");
    // The second was admitted a window after the first was answered (Redis TIME, µs).
    let window_us = i64::try_from(window.as_micros()).expect("µs");
    assert!(stamps[1].1 - stamps[0].1 >= window_us, "{stamps:?}");
    assert_eq!(mock.requests("echo-bot").await.len(), 2);
}

#[tokio::test]
async fn rediss_without_the_ca_is_an_unreachable_store_and_sends_nothing() {
    let redis = TlsRedis::start().await;
    let mock = Mock::start();
    let client = mock
        .client()
        .rate_limit(RateLimit::Documented)
        .rate_limit_store(redis.url())
        .rate_limit_key("untrusted")
        .build()
        .expect("client");
    let err = client
        .send_message("echo-bot", "untrusted", None)
        .await
        .expect_err("the server's certificate is not trusted");
    assert_eq!(err.kind(), ErrorKind::RateLimitStore, "{err}");
    assert!(err.to_string().contains("rediss://127.0.0.1"), "{err}");
    assert!(mock.requests("echo-bot").await.is_empty(), "nothing sent");
    // Garbage as a root certificate is refused when the client is built, naming the option.
    let err = mock
        .client()
        .rate_limit(RateLimit::Documented)
        .rate_limit_store(redis.url())
        .add_root_certificate_pem(
            b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n".to_vec(),
        )
        .build()
        .expect_err("not a certificate");
    assert!(matches!(err.kind(), ErrorKind::InvalidArgument), "{err}");
}
