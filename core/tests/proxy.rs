//! Proxies from the environment and the loopback exemption. Alone in its test binary, with a
//! single test: it sets process-wide environment variables.
//!
//! A plain-http loopback base URL (the mock, a sidecar) must be reached directly even when
//! `HTTP_PROXY`/`ALL_PROXY` are set: through the proxy, the request and its bearer token would
//! cross the network in clear text, and the proxy would resolve "localhost" itself.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::Mock;
use enjo::ErrorKind;

/// A "proxy" on loopback that counts the connections it gets and answers each with a 502.
fn fake_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (url, hits)
}

#[test]
fn loopback_bypasses_environment_proxies_and_explicit_proxies_need_consent() {
    let (proxy, hits) = fake_proxy();
    // SAFETY: the only test of this binary, before it starts any client or runtime; nothing
    // else reads the environment concurrently.
    unsafe {
        for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
            std::env::set_var(var, &proxy);
        }
        for var in ["NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy"] {
            std::env::remove_var(var);
        }
    }
    let mock = Mock::start();
    let port = mock.url().rsplit(':').next().expect("port").to_owned();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");

    // Loopback base URLs go straight to the mock.
    for base in [
        format!("http://127.0.0.1:{port}"),
        format!("http://LOCALHOST:{port}"),
    ] {
        let client = mock.client().base_url(&base).build().expect("client");
        let reply = runtime
            .block_on(client.send_message("echo-bot", "direct", None))
            .unwrap_or_else(|e| panic!("{base}: {e}"));
        assert_eq!(reply.answers.as_deref(), Some("direct"));
        let blocking = mock
            .client()
            .base_url(&base)
            .build_blocking()
            .expect("client");
        let reply = blocking
            .send_message("echo-bot", "direct too", None)
            .unwrap_or_else(|e| panic!("{base}: {e}"));
        assert_eq!(reply.answers.as_deref(), Some("direct too"));
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the environment's proxy never saw a loopback request"
    );

    // `*.localhost` is not loopback (a resolver may send it to DNS): plain http to it is refused
    // without consent, and with consent it is a normal host, proxied like any other.
    let err = mock
        .client()
        .base_url(format!("http://foo.localhost:{port}"))
        .build()
        .expect_err("not loopback");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.message().contains("allow_insecure_http"), "{err}");
    let client = mock
        .client()
        .base_url(format!("http://foo.localhost:{port}"))
        .allow_insecure_http(true)
        .max_retries(0)
        .build()
        .expect("client");
    let err = runtime
        .block_on(client.send_message("echo-bot", "via proxy", None))
        .expect_err("the fake proxy answers 502");
    assert_eq!(err.status(), Some(502), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // An explicit proxy applies to loopback too, but with a plain-http base URL the token would
    // travel in clear text to it: refused unless allow_insecure_http says so.
    let err = mock
        .client()
        .proxy(&proxy)
        .build()
        .expect_err("clear text to a proxy");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.message().contains("allow_insecure_http"), "{err}");
    let client = mock
        .client()
        .proxy(&proxy)
        .allow_insecure_http(true)
        .max_retries(0)
        .build()
        .expect("consented");
    let err = runtime
        .block_on(client.send_message("echo-bot", "via proxy", None))
        .expect_err("the fake proxy answers 502");
    assert_eq!(err.status(), Some(502), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}
