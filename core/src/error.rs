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
    /// A bug in enjo (a caught panic, a helper thread that ended without a result): never the
    /// caller's fault. Report it with the request id.
    Internal,
    /// The shared rate-limit store (a state file, Redis) could not be used: nothing was sent.
    RateLimitStore,
}

impl ErrorKind {
    /// Every kind, in declaration order (handy for bindings that build a class per kind).
    pub const ALL: [ErrorKind; 12] = [
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
        ErrorKind::Internal,
        ErrorKind::RateLimitStore,
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
            ErrorKind::Internal => "InternalError",
            ErrorKind::RateLimitStore => "RateLimitStoreError",
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
            ErrorKind::Internal => "internal",
            ErrorKind::RateLimitStore => "rate_limit_store",
        }
    }

    /// The C binding's status name (`ENJO_ERR_RATE_LIMITED`, ...): `ENJO_ERR_` and
    /// [`as_str`](ErrorKind::as_str) in capitals.
    pub fn c_status_name(self) -> String {
        format!("ENJO_ERR_{}", self.as_str().to_ascii_uppercase())
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
            ErrorKind::Internal => concat!(
                "this is a bug in enjo, please report it (with the request id, if any) at ",
                env!("CARGO_PKG_REPOSITORY"),
                "/issues"
            ),
            // Rust's names; a client made by a binding names its own (`rate_limit_store_hint`).
            ErrorKind::RateLimitStore => {
                static HINT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
                    rate_limit_store_hint("rate_limit_store", "rate_limit_store_fallback")
                });
                HINT.as_str()
            }
            ErrorKind::InvalidArgument | ErrorKind::Api => return None,
        })
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hint of a [`ErrorKind::RateLimitStore`] error, naming the two options as the caller's
/// language spells them (`rateLimitStore`, `--rate-limit-store`, `options.rate_limit_store`).
pub(crate) fn rate_limit_store_hint(store: &str, fallback: &str) -> String {
    format!(
        "check that the rate limit store ({store} / ENJO_RATE_LIMIT_STORE) is reachable and writable, or opt into {fallback} to use the in-process limiter meanwhile"
    )
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
    /// A redirect's `Location` (crate-internal: see `redirect`).
    location: Option<String>,
    /// The server's id (its `x-request-id`, `request-id` or `x-amzn-requestid` header).
    server_request_id: Option<String>,
    /// Whether the request may have reached the server (decides retry safety).
    maybe_sent: bool,
    /// A hint naming options as the caller's language spells them, in place of the kind's.
    hint: Option<String>,
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
                location: None,
                server_request_id: None,
                maybe_sent: kind.is_api() || kind == ErrorKind::Decode,
                hint: None,
                source: None,
            }),
        }
    }

    /// An argument was rejected before anything was sent.
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// A bug in enjo ([`ErrorKind::Internal`]): `what` says what went wrong; `Display` adds the
    /// one wording every binding shows ("this is a bug in enjo, please report it ..."). It
    /// counts as possibly sent: nobody can tell how far the call got.
    pub fn internal(what: impl fmt::Display) -> Error {
        Error::new(
            ErrorKind::Internal,
            format!("internal error in enjo: {what}"),
        )
        .with_maybe_sent(true)
    }

    /// A caught panic as an [`ErrorKind::Internal`] error: what every binding returns instead of
    /// letting a panic cross into its host language (see [`crate::unwind`]).
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Error {
        Error::internal(format_args!(
            "panic: {}",
            crate::unwind::panic_message(payload)
        ))
    }

    /// A flat copy of every field, in the units bindings hand to their host language (see
    /// [`ErrorView`]).
    pub fn view(&self) -> ErrorView {
        let inner = &*self.inner;
        ErrorView {
            kind: inner.kind,
            class_name: inner.kind.class_name(),
            kind_name: inner.kind.as_str(),
            message: inner.message.clone(),
            display: self.to_string(),
            status: inner.status,
            code: inner.code.clone(),
            body: inner.body.clone(),
            retry_after: inner.retry_after.map(|d| d.as_secs_f64()),
            request_id: inner.request_id.clone(),
            server_request_id: inner.server_request_id.clone(),
            may_have_been_sent: inner.maybe_sent,
        }
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

    /// The shared rate-limit store `store` (described without secrets) could not be used:
    /// `why` says what failed. Nothing was sent.
    pub fn rate_limit_store(store: &str, why: impl fmt::Display) -> Error {
        let mut err = Error::new(
            ErrorKind::RateLimitStore,
            format!("rate limit store {store} is unavailable: {why} (nothing was sent)"),
        );
        err.inner.maybe_sent = false;
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

    pub(crate) fn with_message(mut self, message: String) -> Error {
        self.inner.message = message;
        self
    }

    pub(crate) fn with_location(mut self, location: Option<String>) -> Error {
        self.inner.location = location;
        self
    }

    /// Replaces every occurrence of `token` (alone, as `Bearer <token>`, or escaped as JSON,
    /// HTML or in a URL) in what the server sent back (message, code, body, request id,
    /// `Location`) with `[redacted]`: proxies and gateways echo request headers in their
    /// error pages.
    pub(crate) fn redact(mut self, token: &str) -> Error {
        let inner = &mut *self.inner;
        scrub_in_place(&mut inner.message, token);
        for field in [
            &mut inner.code,
            &mut inner.body,
            &mut inner.request_id,
            &mut inner.server_request_id,
            &mut inner.location,
        ]
        .into_iter()
        .flatten()
        {
            scrub_in_place(field, token);
        }
        self
    }

    /// A redirect's `Location` header, as the server sent it.
    pub(crate) fn location(&self) -> Option<&str> {
        self.inner.location.as_deref()
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
    pub fn hint(&self) -> Option<&str> {
        self.inner
            .hint
            .as_deref()
            .or_else(|| self.inner.kind.hint())
    }

    /// Replaces the kind's hint (one that names options as the caller's language spells them).
    pub(crate) fn with_hint(mut self, hint: String) -> Error {
        self.inner.hint = Some(hint);
        self
    }
}

/// An [`Error`] as plain fields, in the units every binding hands to its host language
/// (seconds as `f64`, names as strings): the one conversion the Python exceptions, Node's error
/// objects and C's `enjo_error` all start from. Built by [`Error::view`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ErrorView {
    /// The kind.
    pub kind: ErrorKind,
    /// The Python / Node class name ([`ErrorKind::class_name`]: `RateLimitError`, ...).
    pub class_name: &'static str,
    /// The stable snake_case kind name ([`ErrorKind::as_str`]: `rate_limited`, ...).
    pub kind_name: &'static str,
    /// The message alone ([`Error::message`]).
    pub message: String,
    /// The full text for users: status, message, delay, request ids and what to do next (the
    /// error's `Display`).
    pub display: String,
    /// The HTTP status, for errors from a response.
    pub status: Option<u16>,
    /// The server's error code.
    pub code: Option<String>,
    /// The raw response body (cut at [`MAX_ERROR_BODY`] bytes).
    pub body: Option<String>,
    /// Seconds to wait before trying again.
    pub retry_after: Option<f64>,
    /// The call's request id (sent as `X-Request-Id`).
    pub request_id: Option<String>,
    /// The server's own request id.
    pub server_request_id: Option<String>,
    /// False when the request provably never reached the server.
    pub may_have_been_sent: bool,
}

/// What replaces a token in server-supplied text.
pub(crate) const REDACTED: &str = "[redacted]";

/// Tokens shorter than this are only redacted where they stand alone (not inside a longer run
/// of letters and digits): replacing every `t` of a one-letter test token would garble the
/// text, and a real token is far longer.
const WHOLE_WORD_BELOW: usize = 8;

fn scrub_in_place(text: &mut String, token: &str) {
    if let Some(clean) = scrub(text, token) {
        *text = clean;
    }
}

/// `text` with every occurrence of `token` (and of `Bearer <token>`, any case of "Bearer", and
/// of the token as escaped in JSON, HTML or a URL) replaced by `[redacted]`; `None` when
/// nothing had to change.
pub(crate) fn scrub(text: &str, token: &str) -> Option<String> {
    if token.is_empty() {
        return None;
    }
    let whole_word = token.len() < WHOLE_WORD_BELOW;
    let mut forms = vec![token.to_owned()];
    let json = serde_json::to_string(token).unwrap_or_default();
    let json = json.trim_matches('"');
    forms.push(json.to_owned());
    forms.push(json.replace('/', "\\/"));
    forms.push(
        token
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;"),
    );
    forms.push(
        percent_encoding::utf8_percent_encode(token, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
    );
    let mut out: Option<String> = None;
    for (i, form) in forms.iter().enumerate() {
        if form.is_empty() || forms[..i].contains(form) {
            continue;
        }
        if let Some(clean) = replace_all(out.as_deref().unwrap_or(text), form, whole_word) {
            out = Some(clean);
        }
    }
    if let Some(clean) = cut_tail(out.as_deref().unwrap_or(text), token) {
        out = Some(clean);
    }
    out
}

/// A text cut short (a body at its cap, a message's 200-character snippet) may end in the
/// first part of the token: that part is redacted too (from 4 characters of a long token).
fn cut_tail(text: &str, token: &str) -> Option<String> {
    const BEARER: &[u8] = b"bearer ";
    if token.len() < WHOLE_WORD_BELOW {
        return None;
    }
    let len = (4..token.len())
        .rev()
        .find(|&len| token.get(..len).is_some_and(|head| text.ends_with(head)))?;
    let start = text.len() - len;
    let bytes = text.as_bytes();
    let cut = start
        .checked_sub(BEARER.len())
        .filter(|&b| bytes[b..start].eq_ignore_ascii_case(BEARER))
        .unwrap_or(start);
    Some(format!("{}{REDACTED}", &text[..cut]))
}

/// Replaces each occurrence of `needle` (with a `Bearer ` in front of it, when there is one)
/// by [`REDACTED`]; with `whole_word`, only occurrences not touching a letter or digit.
fn replace_all(text: &str, needle: &str, whole_word: bool) -> Option<String> {
    const BEARER: &[u8] = b"bearer ";
    let bytes = text.as_bytes();
    let is_word = |i: Option<usize>| {
        i.and_then(|i| bytes.get(i))
            .is_some_and(u8::is_ascii_alphanumeric)
    };
    let step = needle.chars().next().map_or(1, char::len_utf8);
    let (mut out, mut copied, mut from) = (String::new(), 0, 0);
    while let Some(found) = text.get(from..).and_then(|rest| rest.find(needle)) {
        let start = from + found;
        let end = start + needle.len();
        if whole_word && (is_word(start.checked_sub(1)) || is_word(Some(end))) {
            from = start + step;
            continue;
        }
        let cut = start
            .checked_sub(BEARER.len())
            .filter(|&b| b >= copied)
            .filter(|&b| bytes[b..start].eq_ignore_ascii_case(BEARER))
            .unwrap_or(start);
        out.push_str(&text[copied..cut]);
        out.push_str(REDACTED);
        copied = end;
        from = end;
    }
    (copied > 0).then(|| {
        out.push_str(&text[copied..]);
        out
    })
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
        if let Some(hint) = self.hint() {
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
    fn the_store_hint_reads_the_same_with_rusts_names_and_names_the_hosts() {
        assert_eq!(
            Some(rate_limit_store_hint("rate_limit_store", "rate_limit_store_fallback").as_str()),
            ErrorKind::RateLimitStore.hint()
        );
        let err = Error::rate_limit_store("redis://127.0.0.1:1", "cannot reach it").with_hint(
            rate_limit_store_hint("rateLimitStore", "rateLimitStoreFallback"),
        );
        let shown = err.to_string();
        assert!(
            shown.contains("(rateLimitStore / ENJO_RATE_LIMIT_STORE)"),
            "{shown}"
        );
        assert!(shown.contains("opt into rateLimitStoreFallback"), "{shown}");
        assert!(!shown.contains("rate_limit_store"), "{shown}");
        assert_eq!(
            err.hint(),
            Some(&shown[shown.len() - err.hint().map_or(0, str::len)..])
        );
    }

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
    fn tokens_are_scrubbed_in_every_form() {
        let t = "sk-AbC/12+3=";
        assert_eq!(
            scrub(&format!("Authorization: Bearer {t}, again {t}."), t).as_deref(),
            Some("Authorization: [redacted], again [redacted].")
        );
        assert_eq!(
            scrub(&format!("bearer {t}"), t).as_deref(),
            Some("[redacted]")
        );
        assert_eq!(
            scrub(r#"{"auth":"Bearer sk-AbC\/12+3="}"#, t).as_deref(),
            Some(r#"{"auth":"[redacted]"}"#)
        );
        assert_eq!(
            scrub("?token=sk%2DAbC%2F12%2B3%3D&x", t).as_deref(),
            Some("?token=[redacted]&x")
        );
        assert_eq!(scrub("nothing here", t), None);
        // Cut short in the middle of the token (a capped body, a snippet).
        assert_eq!(
            scrub("<pre>Authorization: Bearer sk-AbC/1", t).as_deref(),
            Some("<pre>Authorization: [redacted]")
        );
        assert_eq!(scrub("ends in sk-", t), None);
        assert_eq!(scrub("é Bearer", t), None);
        assert_eq!(scrub("anything", ""), None);
        // A short token only where it stands alone.
        assert_eq!(
            scrub("the token t was wrong: Bearer t", "t").as_deref(),
            Some("the token [redacted] was wrong: [redacted]")
        );
        let err = Error::from_response(
            400,
            Some(t.into()),
            format!("bad {t}"),
            format!("<pre>Bearer {t}</pre>"),
            None,
            Some(t.into()),
        )
        .with_location(Some(format!("/x?{t}")))
        .redact(t);
        for text in [
            err.to_string(),
            format!("{err:?}"),
            err.body().unwrap_or_default().to_owned(),
            err.location().unwrap_or_default().to_owned(),
        ] {
            assert!(!text.contains(t), "{text}");
        }
        assert_eq!(err.body(), Some("<pre>[redacted]</pre>"));
    }

    #[test]
    fn class_names_are_distinct() {
        let mut names: Vec<_> = ErrorKind::ALL.iter().map(|k| k.class_name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ErrorKind::ALL.len());
    }

    #[test]
    fn a_caught_panic_is_an_internal_error_that_says_report_it() {
        let payload = std::panic::catch_unwind(|| panic!("boom")).expect_err("panics");
        let err = Error::from_panic(payload.as_ref());
        assert_eq!(err.kind(), ErrorKind::Internal);
        assert_eq!(err.message(), "internal error in enjo: panic: boom");
        assert!(err.may_have_been_sent());
        let text = err.to_string();
        assert!(
            text.contains("this is a bug in enjo, please report it"),
            "{text}"
        );
        assert!(text.ends_with("/issues"), "{text}");
        assert_eq!(ErrorKind::Internal.class_name(), "InternalError");
        assert_eq!(ErrorKind::Internal.as_str(), "internal");
        assert_eq!(ErrorKind::Internal.c_status_name(), "ENJO_ERR_INTERNAL");
        assert_eq!(
            ErrorKind::RateLimited.c_status_name(),
            "ENJO_ERR_RATE_LIMITED"
        );
        assert!(ErrorKind::ALL.contains(&ErrorKind::Internal));
    }

    #[test]
    fn the_view_holds_every_field_in_host_units() {
        let err = Error::from_response(
            429,
            Some("rate_limit_error".into()),
            "slow down".into(),
            "{}".into(),
            Some(Duration::from_millis(1500)),
            Some("req_1".into()),
        )
        .with_server_request_id(Some("srv_1".into()));
        let view = err.view();
        assert_eq!(view.kind, ErrorKind::RateLimited);
        assert_eq!(view.class_name, "RateLimitError");
        assert_eq!(view.kind_name, "rate_limited");
        assert_eq!(view.message, "slow down");
        assert_eq!(view.display, err.to_string());
        assert_eq!(view.status, Some(429));
        assert_eq!(view.code.as_deref(), Some("rate_limit_error"));
        assert_eq!(view.body.as_deref(), Some("{}"));
        assert_eq!(view.retry_after, Some(1.5));
        assert_eq!(view.request_id.as_deref(), Some("req_1"));
        assert_eq!(view.server_request_id.as_deref(), Some("srv_1"));
        assert!(view.may_have_been_sent);
        let local = Error::invalid_argument("no").view();
        assert_eq!(
            (local.status, local.retry_after, local.may_have_been_sent),
            (None, None, false)
        );
    }
}
