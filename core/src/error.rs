//! One error type for the whole SDK.
//!
//! Every failure is an [`Error`] with an [`ErrorKind`]; the kinds are the taxonomy that every
//! binding maps one to one (Python and Node exception classes, C status codes, R condition
//! classes). API errors carry the HTTP status, the server's `code` and `message`, the raw body,
//! `Retry-After` and the request ids (the client's, sent as `X-Request-Id`, and the server's).
//! The token never appears in any of it.

use std::fmt;
use std::time::Duration;

/// What went wrong, in the taxonomy shared by every language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Caught before sending: empty bot id or text, bad base URL, missing token, bad option.
    InvalidArgument,
    /// HTTP 400: the server refused the request (for example `botId not found`).
    InvalidRequest,
    /// HTTP 401: the token is missing, wrong or revoked.
    Authentication,
    /// HTTP 404: no such endpoint (usually a wrong base URL).
    NotFound,
    /// HTTP 429 from the server, or the local rate limiter would have to wait past its bound.
    RateLimited,
    /// HTTP 5xx.
    Server,
    /// Any other non-2xx status (a refused redirect included), or a 2xx whose body says
    /// `"success": false`.
    Api,
    /// No full answer within the timeout.
    Timeout,
    /// DNS failure, connection refused or reset, TLS failure.
    Connection,
    /// A 2xx whose body is not the documented JSON (malformed, wrong shape, over the size cap).
    Decode,
}

impl ErrorKind {
    /// Every kind, in declaration order (handy for bindings that build a class per kind).
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::InvalidArgument,
        ErrorKind::InvalidRequest,
        ErrorKind::Authentication,
        ErrorKind::NotFound,
        ErrorKind::RateLimited,
        ErrorKind::Server,
        ErrorKind::Api,
        ErrorKind::Timeout,
        ErrorKind::Connection,
        ErrorKind::Decode,
    ];

    /// The class name used by the Python and Node bindings (`RateLimitError`, ...).
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "InvalidArgumentError",
            ErrorKind::InvalidRequest => "InvalidRequestError",
            ErrorKind::Authentication => "AuthenticationError",
            ErrorKind::NotFound => "NotFoundError",
            ErrorKind::RateLimited => "RateLimitError",
            ErrorKind::Server => "ServerError",
            ErrorKind::Api => "APIError",
            ErrorKind::Timeout => "APITimeoutError",
            ErrorKind::Connection => "APIConnectionError",
            ErrorKind::Decode => "ResponseDecodeError",
        }
    }

    /// A short snake_case name, stable across releases (`rate_limited`, ...), used in logs, the
    /// CLI's `--json` errors and R's condition classes.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Authentication => "authentication",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Api => "api",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::Decode => "decode",
        }
    }

    /// True for the kinds that come from an HTTP response (they carry a status).
    pub fn is_api(self) -> bool {
        matches!(
            self,
            ErrorKind::InvalidRequest
                | ErrorKind::Authentication
                | ErrorKind::NotFound
                | ErrorKind::RateLimited
                | ErrorKind::Server
                | ErrorKind::Api
        )
    }

    /// The kind for a non-2xx HTTP status.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            400 => ErrorKind::InvalidRequest,
            401 => ErrorKind::Authentication,
            404 => ErrorKind::NotFound,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Api,
        }
    }

    /// What the user should do next, appended to the message.
    fn hint(self) -> Option<&'static str> {
        Some(match self {
            ErrorKind::Authentication => {
                "check ENJO_API_TOKEN (or the token passed to the client): create a personal access token in Enjo's settings"
            }
            ErrorKind::InvalidRequest => {
                "check the bot id against your Enjo dashboard and the message fields"
            }
            ErrorKind::NotFound => "check the base URL (ENJO_BASE_URL) and the bot id",
            ErrorKind::RateLimited => {
                "the API allows 20 requests per minute and 10 per 5 seconds per IP; slow down or retry after the given delay"
            }
            ErrorKind::Server => {
                "the request may have been processed (a ticket may exist); retry only if a duplicate is acceptable"
            }
            ErrorKind::Timeout => {
                "raise `timeout`, or check the server; the request may have been processed"
            }
            ErrorKind::Connection => "check the base URL, your network and any proxy settings",
            ErrorKind::Decode => "the server's reply was not the documented JSON",
            ErrorKind::InvalidArgument | ErrorKind::Api => return None,
        })
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A duration for people: `1.5s`, or `20ms` below a second (where `0.0s` would mislead).
fn human(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Longest raw body kept on an error, in bytes (the rest is cut at a char boundary).
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// An error from the Enjo SDK. Cheap to move (one pointer).
///
/// Inspect it with [`Error::kind`] and the accessors; its `Display` says what happened and what
/// to do next.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    code: Option<String>,
    body: Option<String>,
    retry_after: Option<Duration>,
    /// The client's id of the call (sent as `X-Request-Id`).
    request_id: Option<String>,
    /// The server's id (its `x-request-id`, `request-id` or `x-amzn-requestid` header).
    server_request_id: Option<String>,
    /// Whether the request may have reached the server (decides retry safety).
    maybe_sent: bool,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` with a message. Prefer the specific constructors.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                code: None,
                body: None,
                retry_after: None,
                request_id: None,
                server_request_id: None,
                maybe_sent: kind.is_api() || kind == ErrorKind::Decode,
                source: None,
            }),
        }
    }

    /// An argument was rejected before anything was sent.
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// An error built from an HTTP response: the kind follows the status. `request_id` is the
    /// call's own id (the `X-Request-Id` it sent).
    pub fn from_response(
        status: u16,
        code: Option<String>,
        message: String,
        body: String,
        retry_after: Option<Duration>,
        request_id: Option<String>,
    ) -> Error {
        let mut err = Error::new(ErrorKind::from_status(status), message);
        err.inner.status = Some(status);
        err.inner.code = code;
        err.inner.body = Some(truncate_body(body));
        err.inner.retry_after = retry_after;
        err.inner.request_id = request_id;
        err
    }

    /// The local limiter refused to wait `retry_after` (more than its bound).
    pub fn local_rate_limit(retry_after: Duration, bound: Duration) -> Error {
        let mut err = Error::new(
            ErrorKind::RateLimited,
            format!(
                "the client-side rate limiter would wait {}, more than its bound of {} (nothing was \
                 sent)",
                human(retry_after),
                human(bound)
            ),
        );
        err.inner.retry_after = Some(retry_after);
        err.inner.maybe_sent = false;
        err
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        self.inner.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_maybe_sent(mut self, maybe_sent: bool) -> Error {
        self.inner.maybe_sent = maybe_sent;
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Error {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_body(mut self, body: String) -> Error {
        self.inner.body = Some(truncate_body(body));
        self
    }

    pub(crate) fn with_request_id(mut self, request_id: Option<String>) -> Error {
        if self.inner.request_id.is_none() {
            self.inner.request_id = request_id;
        }
        self
    }

    pub(crate) fn with_server_request_id(mut self, id: Option<String>) -> Error {
        if self.inner.server_request_id.is_none() {
            self.inner.server_request_id = id;
        }
        self
    }

    pub(crate) fn with_code(mut self, code: Option<String>) -> Error {
        self.inner.code = code;
        self
    }

    /// The kind of error, shared by every binding.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The message alone (without the hint that `Display` adds).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status, for errors that come from a response.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The server's error `code` (e.g. `rate_limit_error`), when it sent one.
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// The raw response body (cut at [`MAX_ERROR_BODY`] bytes), for errors from a response.
    pub fn body(&self) -> Option<&str> {
        self.inner.body.as_deref()
    }

    /// How long to wait before trying again (`Retry-After`, or the local limiter's estimate).
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// The call's request id: generated by the client (`req_` and 32 hex digits, or the
    /// caller's own `X-Request-Id` header) and sent as `X-Request-Id` on every attempt of the
    /// call, so it is known even when no reply came (a timeout, a broken connection). Quote it
    /// to Enjo's support. `None` only for errors caught before a call started (invalid
    /// arguments).
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// The server's own request id (its `x-request-id`, `request-id` or `x-amzn-requestid`
    /// response header), when a reply came with one. Servers and gateways that echo the
    /// client's `X-Request-Id` give the same value as [`Error::request_id`].
    pub fn server_request_id(&self) -> Option<&str> {
        self.inner.server_request_id.as_deref()
    }

    /// False when the request provably never reached the server (so sending it again cannot
    /// duplicate anything); true when it may have.
    pub fn may_have_been_sent(&self) -> bool {
        self.inner.maybe_sent
    }

    /// The hint that `Display` appends ("check ENJO_API_TOKEN", ...), if any.
    pub fn hint(&self) -> Option<&'static str> {
        self.inner.kind.hint()
    }
}

fn truncate_body(mut body: String) -> String {
    if body.len() > MAX_ERROR_BODY {
        let mut cut = MAX_ERROR_BODY;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    body
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        match (inner.status, inner.code.as_deref()) {
            (Some(status), Some(code)) => write!(f, "HTTP {status} {code}: ")?,
            (Some(status), None) => write!(f, "HTTP {status}: ")?,
            (None, _) => {}
        }
        f.write_str(&inner.message)?;
        if let Some(wait) = inner.retry_after {
            write!(f, " (retry after {})", human(wait))?;
        }
        match (&inner.request_id, &inner.server_request_id) {
            (Some(id), Some(server)) if server != id => {
                write!(f, " [request id {id}, server request id {server}]")?
            }
            (Some(id), _) | (None, Some(id)) => write!(f, " [request id {id}]")?,
            (None, None) => {}
        }
        if let Some(hint) = inner.kind.hint() {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &inner.kind)
            .field("message", &inner.message);
        if let Some(status) = inner.status {
            d.field("status", &status);
        }
        if let Some(code) = &inner.code {
            d.field("code", code);
        }
        if let Some(wait) = inner.retry_after {
            d.field("retry_after", &wait);
        }
        if let Some(id) = &inner.request_id {
            d.field("request_id", id);
        }
        if let Some(id) = &inner.server_request_id {
            d.field("server_request_id", id);
        }
        if let Some(source) = &inner.source {
            d.field("source", &source.to_string());
        }
        d.finish_non_exhaustive()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| &**s as &(dyn std::error::Error + 'static))
    }
}

/// `Result` with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_maps_to_kind() {
        assert_eq!(ErrorKind::from_status(400), ErrorKind::InvalidRequest);
        assert_eq!(ErrorKind::from_status(401), ErrorKind::Authentication);
        assert_eq!(ErrorKind::from_status(404), ErrorKind::NotFound);
        assert_eq!(ErrorKind::from_status(429), ErrorKind::RateLimited);
        assert_eq!(ErrorKind::from_status(503), ErrorKind::Server);
        assert_eq!(ErrorKind::from_status(418), ErrorKind::Api);
        assert_eq!(ErrorKind::from_status(302), ErrorKind::Api);
    }

    #[test]
    fn display_says_what_to_do() {
        let err = Error::from_response(
            401,
            Some("authentication_error".into()),
            "Authentication Error".into(),
            "{}".into(),
            None,
            Some("req-1".into()),
        );
        let text = err.to_string();
        assert!(text.starts_with("HTTP 401 authentication_error: Authentication Error"));
        assert!(text.contains("ENJO_API_TOKEN"), "{text}");
        assert!(text.contains("req-1"), "{text}");
    }

    #[test]
    fn short_waits_read_in_milliseconds() {
        let err = Error::local_rate_limit(Duration::from_millis(20), Duration::from_millis(5));
        assert!(
            err.to_string()
                .contains("wait 20ms, more than its bound of 5ms"),
            "{err}"
        );
        assert!(err.to_string().contains("retry after 20ms"), "{err}");
        let err = Error::local_rate_limit(Duration::from_millis(2500), Duration::from_secs(1));
        assert!(err.to_string().contains("retry after 2.5s"), "{err}");
    }

    #[test]
    fn body_is_cut_at_a_char_boundary() {
        let body = "é".repeat(MAX_ERROR_BODY);
        let err = Error::from_response(500, None, "x".into(), body, None, None);
        let kept = err.body().map(str::len).unwrap_or_default();
        assert!((MAX_ERROR_BODY - 1..=MAX_ERROR_BODY).contains(&kept));
    }

    #[test]
    fn class_names_are_distinct() {
        let mut names: Vec<_> = ErrorKind::ALL.iter().map(|k| k.class_name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ErrorKind::ALL.len());
    }
}
