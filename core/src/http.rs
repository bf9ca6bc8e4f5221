//! One HTTP attempt: build the reqwest client, send, read a size-capped body, and turn
//! whatever happened into a [`MessageResponse`] or an [`Error`].

use std::error::Error as StdError;
use std::sync::Once;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION,
};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, MAX_ERROR_BODY, Result};
use crate::models::MessageResponse;
use crate::retry::parse_retry_after;

/// Settings of the underlying HTTP client.
#[derive(Debug, Clone)]
pub(crate) struct HttpSettings {
    pub connect_timeout: Duration,
    pub tcp_keepalive: Option<Duration>,
    pub proxy: Option<String>,
    pub root_certificates_pem: Vec<Vec<u8>>,
    pub user_agent: String,
    /// The base URL's origin (environment proxies are bypassed for a loopback one).
    pub origin: String,
    /// Whether any connection may use TLS. When none can (plain http to the base URL and no
    /// proxy), the system's root certificates are not loaded: that alone is most of a
    /// short-lived process's start-up cost (the CLI against `enjo mock`).
    pub uses_tls: bool,
}

/// The environment variables reqwest takes proxies from.
const PROXY_VARS: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

impl HttpSettings {
    /// Whether a client for `origin` with `proxy` may make TLS connections: an https origin, a
    /// proxy option, or any proxy from the environment (which could be https) for an origin
    /// that is not loopback (loopback bypasses them).
    pub fn may_use_tls(origin: &str, proxy: Option<&str>) -> bool {
        !origin.starts_with("http://")
            || proxy.is_some()
            || (!crate::validate::is_loopback_origin(origin)
                && PROXY_VARS.iter().any(|v| std::env::var_os(v).is_some()))
    }
}

/// Builds the reqwest client: rustls (ring), no redirects of its own (see `redirect`), our
/// timeouts.
pub(crate) fn build_client(settings: &HttpSettings) -> Result<reqwest::Client> {
    static CRYPTO: Once = Once::new();
    CRYPTO.call_once(|| {
        // Err means the application already chose a provider: use that one.
        // rustls 0.23.48 deprecates ring's provider because ring has no post-quantum key
        // exchange; it stays our choice (no C toolchain, cmake or NASM needed to build any
        // binding, smaller wheels): see the README's "Choices". An application that wants
        // post-quantum key exchange installs aws-lc-rs's provider before the first client.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let _ = provider.install_default();
    });
    let user_agent = HeaderValue::from_str(&settings.user_agent).map_err(|_| {
        Error::invalid_argument("user_agent must be printable ASCII without line breaks")
    })?;
    let mut builder = reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(settings.connect_timeout)
        .tcp_nodelay(true)
        // Below the keep-alive timeouts of common servers and load balancers (60 s and up), so
        // an idle connection is dropped by us before the server closes it under a request.
        .pool_idle_timeout(Duration::from_secs(30))
        // Redirects come back as replies; `redirect` decides which to follow.
        .redirect(reqwest::redirect::Policy::none())
        // Every resend goes through the SDK's own loop (a limiter permit, an attempt event and
        // span each); an HTTP/2 refused stream is classified there (see `from_reqwest`).
        .retry(reqwest::retry::never())
        .referer(false);
    if let Some(keepalive) = settings.tcp_keepalive {
        builder = builder.tcp_keepalive(keepalive);
    }
    if !settings.uses_tls && settings.root_certificates_pem.is_empty() {
        builder = builder.tls_certs_only(Vec::new());
    }
    if crate::validate::is_loopback_origin(&settings.origin) {
        // Environment proxies would carry a plain-http request and its token across the
        // network, and resolve "localhost" themselves; an explicit proxy below still applies.
        builder = builder.no_proxy();
    }
    if let Some(proxy) = &settings.proxy {
        let proxy = reqwest::Proxy::all(proxy.as_str()).map_err(|e| {
            let shown = crate::validate::redact_credentials(proxy);
            Error::invalid_argument(format!(
                "proxy {shown:?} is not a valid proxy URL: {}",
                root_cause(&e)
            ))
        })?;
        builder = builder.proxy(proxy);
    }
    for pem in &settings.root_certificates_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            Error::invalid_argument(format!("root certificate is not valid PEM: {e}"))
        })?;
        if certs.is_empty() {
            return Err(Error::invalid_argument(
                "root certificate PEM holds no certificate",
            ));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| {
        Error::invalid_argument(format!(
            "could not build the HTTP client: {}",
            root_cause(&e)
        ))
        .with_source(e)
    })
}

/// The JSON body of a message request, as the vendor's samples send it:
/// `{"message": {"text": "...", "conversationId": "..."}}`. `conversationId` belongs INSIDE
/// `message` (a server that reads it there ignores a top-level one, so a follow-up would start
/// a new conversation); it is left out when not given.
pub(crate) fn request_body(text: &str, conversation_id: Option<&str>) -> Bytes {
    let mut message = Map::new();
    message.insert("text".into(), Value::String(text.to_owned()));
    if let Some(id) = conversation_id {
        message.insert("conversationId".into(), Value::String(id.to_owned()));
    }
    let mut body = Map::new();
    body.insert("message".into(), Value::Object(message));
    Bytes::from(Value::Object(body).to_string())
}

/// Sends one attempt (with the call's `extra` headers) and reads its reply, all within
/// `timeout`.
pub(crate) async fn send_once(
    http: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    auth: &HeaderValue,
    extra: &HeaderMap,
    body: Bytes,
    timeout: Duration,
    max_body: usize,
) -> Result<MessageResponse> {
    let attempt = async {
        let response = http
            .post(url)
            .headers(extra.clone())
            .header(AUTHORIZATION, auth.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(from_reqwest)?;
        let status = response.status();
        let server_id = server_request_id(response.headers());
        if status.is_success() {
            let reply = match read_body(response, max_body).await {
                Ok(body) => MessageResponse::from_bytes(Bytes::from(body), status.as_u16(), None),
                Err(err) => Err(err),
            };
            match reply {
                Ok(mut reply) => {
                    reply.server_request_id = server_id;
                    Ok(reply)
                }
                Err(err) => Err(err.with_server_request_id(server_id)),
            }
        } else {
            Err(error_response(response, server_id).await)
        }
    };
    let token = auth
        .to_str()
        .unwrap_or_default()
        .trim_start_matches("Bearer ");
    match tokio::time::timeout(timeout, attempt).await {
        // Gateways echo request headers in error pages: no token may come back out.
        Ok(result) => result.map_err(|err| err.redact(token)),
        Err(_) => Err(Error::new(
            ErrorKind::Timeout,
            format!(
                "no complete answer within {:.1}s (the request may have been processed)",
                timeout.as_secs_f64()
            ),
        )
        .with_maybe_sent(true)),
    }
}

/// The server's own request id.
pub(crate) fn server_request_id(headers: &HeaderMap) -> Option<String> {
    // `HeaderName` constants, not `&str` keys (see `parse_retry_after`).
    const NAMES: [HeaderName; 3] = [
        HeaderName::from_static("x-request-id"),
        HeaderName::from_static("request-id"),
        HeaderName::from_static("x-amzn-requestid"),
    ];
    NAMES
        .iter()
        .find_map(|name| headers.get(name))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Reads the whole body, failing with a decode error past `max` bytes (no OOM on a hostile or
/// broken server).
async fn read_body(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>> {
    let too_big = |status: u16| {
        Error::new(
            ErrorKind::Decode,
            format!("the response body is larger than the {max} byte cap (max_response_bytes)"),
        )
        .with_status(status)
    };
    let status = response.status().as_u16();
    if response
        .content_length()
        .is_some_and(|len| len > max as u64)
    {
        return Err(too_big(status));
    }
    let mut body = Vec::with_capacity(response.content_length().unwrap_or(0) as usize);
    while let Some(chunk) = response.chunk().await.map_err(from_reqwest)? {
        if body.len() + chunk.len() > max {
            return Err(too_big(status));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads a non-2xx reply into an API error. Never fails: a body that cannot be read or parsed
/// still gives an error with the status.
async fn error_response(mut response: reqwest::Response, server_id: Option<String>) -> Error {
    let mut body = Vec::new();
    // Keep what arrived even if the connection breaks mid-body.
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    error_from_parts(
        response.status(),
        response.headers(),
        &body,
        SystemTime::now(),
    )
    .with_server_request_id(server_id)
}

/// A non-2xx reply's status, headers and (possibly cut) body as an API error: the documented
/// error shapes, anything else (HTML from a proxy, empty, truncated) as a snippet. Pure, so the
/// fuzz targets reach it (`enjo::fuzzing`).
pub(crate) fn error_from_parts(
    status: reqwest::StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Error {
    let retry_after = parse_retry_after(headers, now);
    let location = headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .filter(|_| status.is_redirection())
        .map(str::to_owned);
    let is_html = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("html"));
    let text = String::from_utf8_lossy(body).into_owned();
    let reason = status.canonical_reason().unwrap_or("error");
    let parsed = serde_json::from_slice::<Value>(body).ok();
    let (code, message) = parsed
        .as_ref()
        .and_then(Value::as_object)
        .map(error_fields)
        .unwrap_or_default();
    let message = match message {
        Some(message) => message,
        None if body.is_empty() => format!("{reason} (empty body)"),
        None if is_html || looks_like_html(&text) => format!(
            "{reason}: the body was an HTML page, not JSON (likely from a proxy or load balancer)"
        ),
        None => format!("{reason}: {}", snippet(&text)),
    };
    Error::from_response(status.as_u16(), code, message, text, retry_after, None)
        .with_location(location)
}

/// `code` and message from the documented error bodies: `{"code","error"}` and
/// `{"code","message","status"}`, plus the common `{"error": {"code","message"}}`.
pub(crate) fn error_fields(obj: &Map<String, Value>) -> (Option<String>, Option<String>) {
    let as_text = |v: &Value| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let nested = obj.get("error").and_then(Value::as_object);
    let code = obj.get("code").and_then(as_text).or_else(|| {
        nested
            .and_then(|n| n.get("code").or(n.get("type")))
            .and_then(as_text)
    });
    let message = obj
        .get("error")
        .and_then(as_text)
        .or_else(|| obj.get("message").and_then(as_text))
        .or_else(|| nested.and_then(|n| n.get("message")).and_then(as_text))
        .or_else(|| obj.get("detail").and_then(as_text));
    (code, message)
}

fn looks_like_html(text: &str) -> bool {
    let head = text
        .trim_start()
        .get(..15)
        .unwrap_or(text)
        .to_ascii_lowercase();
    head.starts_with("<!doctype") || head.starts_with("<html")
}

fn snippet(text: &str) -> String {
    let flat: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect();
    if flat.is_empty() {
        "(blank body)".to_owned()
    } else {
        flat
    }
}

/// Maps a reqwest failure to our kinds, deciding whether the request may have been sent.
fn from_reqwest(err: reqwest::Error) -> Error {
    let cause = root_cause(&err);
    let error = if let Some(reason) = crate::retry::h2_unprocessed(&err) {
        // RFC 9113 §8.7: the server guarantees it did not process this stream.
        Error::new(
            ErrorKind::Connection,
            format!(
                "the server refused the request without processing it (HTTP/2 {reason:?}); it is \
                 safe to send again"
            ),
        )
        .with_maybe_sent(false)
    } else if err.is_connect() {
        // No connection was established: the server cannot have seen the request.
        let kind = if err.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::Connection
        };
        Error::new(kind, format!("could not connect to the server: {cause}")).with_maybe_sent(false)
    } else if err.is_timeout() {
        Error::new(ErrorKind::Timeout, format!("timed out: {cause}")).with_maybe_sent(true)
    } else if err.is_body() || err.is_decode() {
        Error::new(
            ErrorKind::Connection,
            format!("the connection broke while reading the reply: {cause}"),
        )
        .with_maybe_sent(true)
    } else {
        Error::new(
            ErrorKind::Connection,
            format!("the connection failed during the request: {cause}"),
        )
        .with_maybe_sent(true)
    };
    error.with_source(err.without_url())
}

/// The innermost error's text ("Connection refused (os error 111)"), which is what a user
/// needs; reqwest's own top-level text only says "error sending request".
fn root_cause(err: &(dyn StdError + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_documented_error_shapes() {
        let obj = json!({"code": "invalid_request_error", "error": "botId not found"});
        assert_eq!(
            error_fields(obj.as_object().expect("object")),
            (
                Some("invalid_request_error".into()),
                Some("botId not found".into())
            )
        );
        let obj =
            json!({"code": "rate_limit_error", "message": "Rate limit exceeded", "status": 429});
        assert_eq!(
            error_fields(obj.as_object().expect("object")),
            (
                Some("rate_limit_error".into()),
                Some("Rate limit exceeded".into())
            )
        );
        let obj = json!({"error": {"type": "x", "message": "m"}});
        assert_eq!(
            error_fields(obj.as_object().expect("object")),
            (Some("x".into()), Some("m".into()))
        );
    }

    #[test]
    fn request_body_puts_the_conversation_inside_message_and_leaves_out_a_missing_one() {
        assert_eq!(request_body("hi", None), r#"{"message":{"text":"hi"}}"#);
        assert_eq!(
            request_body("\"é\"", Some("c1")),
            r#"{"message":{"text":"\"é\"","conversationId":"c1"}}"#
        );
    }

    #[test]
    fn tls_roots_are_skipped_only_when_no_connection_can_use_tls() {
        assert!(HttpSettings::may_use_tls("https://api.enjo.ai", None));
        assert!(HttpSettings::may_use_tls(
            "http://127.0.0.1:1",
            Some("https://proxy:3128")
        ));
        assert!(!HttpSettings::may_use_tls("http://127.0.0.1:1", None));
        let env_proxy = PROXY_VARS.iter().any(|v| std::env::var_os(v).is_some());
        assert_eq!(
            HttpSettings::may_use_tls("http://10.0.0.1:1", None),
            env_proxy
        );
    }

    #[test]
    fn html_detection_and_snippets() {
        assert!(looks_like_html("  <!DOCTYPE html><html>"));
        assert!(looks_like_html("<HTML>"));
        assert!(!looks_like_html("{\"a\":1}"));
        assert_eq!(snippet("a\n  b"), "a b");
        assert_eq!(snippet(&"x".repeat(500)).len(), 200);
    }
}
