//! HTTP/2 for real: a TLS server negotiating `h2` (ALPN) that refuses streams with
//! `REFUSED_STREAM`, which RFC 9113 §8.7 defines as "not processed": such a request counts as
//! never sent, so the default (safe) policy sends it again, each resend an attempt of the SDK's
//! own loop (a limiter permit, an event), not a hidden resend inside the HTTP stack.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use enjo::{ErrorKind, Event, RateLimit};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer};

/// A CA's PEM and a TLS config for a `localhost` certificate it signed, offering only `h2`.
fn tls_config() -> (String, rustls::ServerConfig) {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "enjo h2 test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("leaf params")
        .signed_by(&leaf_key, &ca)
        .expect("leaf certificate");
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    )
    .expect("server config");
    config.alpn_protocols = vec![b"h2".to_vec()];
    (ca.pem(), config)
}

/// An HTTP/2 server that resets its first `refuse` streams with `REFUSED_STREAM` and answers
/// the others with a documented reply. Returns the CA, the port and the streams seen.
async fn h2_server(refuse: usize) -> (String, u16, Arc<AtomicUsize>) {
    let (ca, config) = tls_config();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let streams = Arc::new(AtomicUsize::new(0));
    let seen = streams.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut conn) = h2::server::handshake(tls).await else {
                    return;
                };
                while let Some(Ok((request, mut respond))) = conn.accept().await {
                    let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
                    if n <= refuse {
                        respond.send_reset(h2::Reason::REFUSED_STREAM);
                        continue;
                    }
                    tokio::spawn(async move {
                        let mut body = request.into_body();
                        while let Some(Ok(chunk)) = body.data().await {
                            let _ = body.flow_control().release_capacity(chunk.len());
                        }
                        let Ok(head) = http::Response::builder()
                            .status(200)
                            .header("content-type", "application/json")
                            .body(())
                        else {
                            return;
                        };
                        let reply = format!(
                            r#"{{"success":true,"data":{{"answers":"stream {n}","conversationId":"c-{n}"}}}}"#
                        );
                        if let Ok(mut send) = respond.send_response(head, false) {
                            let _ = send.send_data(Bytes::from(reply), true);
                        }
                    });
                }
            });
        }
    });
    (ca, port, streams)
}

fn client(ca: &str, port: u16, events: &Arc<Mutex<Vec<Event>>>) -> enjo::ClientBuilder {
    let seen = events.clone();
    enjo::Client::builder()
        .ignore_env()
        .token("h2-test-token")
        .base_url(format!("https://localhost:{port}"))
        .add_root_certificate_pem(ca.as_bytes().to_vec())
        .rate_limit(RateLimit::Off)
        .observer(move |e| seen.lock().expect("lock").push(e.clone()))
}

fn attempts(events: &Mutex<Vec<Event>>) -> usize {
    events
        .lock()
        .expect("lock")
        .iter()
        .filter(|e| matches!(e, Event::Attempt { .. }))
        .count()
}

#[tokio::test]
async fn refused_streams_are_resent_by_the_safe_policy_one_attempt_each() {
    let (ca, port, streams) = h2_server(3).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let reply = client(&ca, port, &events)
        .max_retries(3)
        .build()
        .expect("client")
        .send_message("h2-bot", "over http/2", None)
        .await
        .expect("answered after three refused streams");
    assert_eq!(reply.answers.as_deref(), Some("stream 4"));
    assert_eq!(streams.load(Ordering::SeqCst), 4);
    assert_eq!(
        attempts(&events),
        4,
        "each resend is an attempt of the SDK's loop"
    );
}

#[tokio::test]
async fn a_refused_stream_is_a_connection_error_that_was_never_sent() {
    let (ca, port, streams) = h2_server(1).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let err = client(&ca, port, &events)
        .max_retries(0)
        .build()
        .expect("client")
        .send_message("h2-bot", "refused", None)
        .await
        .expect_err("refused, no retries allowed");
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(!err.may_have_been_sent(), "{err}");
    assert!(err.to_string().contains("REFUSED_STREAM"), "{err}");
    assert_eq!(streams.load(Ordering::SeqCst), 1);
}
