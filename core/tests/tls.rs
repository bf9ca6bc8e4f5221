//! TLS for real: `enjo-mock` behind a TLS front end whose certificate is signed by a CA made
//! for this test. The client reaches it only when that CA is added with
//! `add_root_certificate_pem`; without it the handshake fails as a connection error that never
//! sent the request (so it is safe to retry, and the server saw nothing).

mod common;

use std::sync::Arc;

use common::Mock;
use enjo::ErrorKind;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer};

/// A CA (returned as PEM) and a TLS listener on 127.0.0.1 presenting a `localhost`
/// certificate signed by it, forwarding the decrypted bytes to `backend`.
async fn tls_front(backend: String) -> (String, u16) {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "enjo test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");

    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf_params = CertificateParams::new(vec!["localhost".to_owned()]).expect("leaf params");
    let leaf = leaf_params
        .signed_by(&leaf_key, &ca)
        .expect("leaf certificate");

    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
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
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let backend = backend.clone();
            tokio::spawn(async move {
                // A failed handshake (the untrusting client) just drops the connection.
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(&backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (ca.pem(), port)
}

#[tokio::test]
async fn an_extra_root_certificate_is_what_makes_tls_work() {
    let mock = Mock::start();
    let backend = mock.url().trim_start_matches("http://").to_owned();
    let (ca_pem, port) = tls_front(backend).await;
    let base = format!("https://localhost:{port}");

    let untrusting = mock
        .client()
        .base_url(&base)
        .max_retries(0)
        .build()
        .expect("client");
    let err = untrusting
        .send_message("echo-bot", "not trusted", None)
        .await
        .expect_err("unknown CA");
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(!err.may_have_been_sent(), "a failed handshake sent nothing");
    assert_eq!(mock.count_text("echo-bot", "not trusted").await, 0);

    let trusting = mock
        .client()
        .base_url(&base)
        .add_root_certificate_pem(ca_pem.into_bytes())
        .build()
        .expect("client");
    let reply = trusting
        .send_message("echo-bot", "over tls", None)
        .await
        .expect("trusted through the extra root");
    assert_eq!(reply.answers.as_deref(), Some("over tls"));
    assert_eq!(mock.count_text("echo-bot", "over tls").await, 1);
}
