//! `tracing` spans of a call (`enjo.send_message`) and of each attempt (`enjo.attempt`), with
//! the stable attribute names documented in the crate's README ("Observability"). Attributes
//! are recorded as they become known; the token and the message text are never among them.

use std::time::Duration;

use tracing::Span;
use tracing::field::Empty;

use crate::error::{Error, Result};
use crate::models::MessageResponse;

/// The span of one call, from validation to the last attempt's end.
pub(crate) fn call_span(bot_id: &str, request_id: &str, max_attempts: u32) -> Span {
    tracing::info_span!(
        target: "enjo",
        "enjo.send_message",
        enjo.bot_id = bot_id,
        enjo.request_id = request_id,
        enjo.max_attempts = max_attempts,
        enjo.attempts = Empty,
        http.response.status_code = Empty,
        enjo.server_request_id = Empty,
        error.type = Empty,
        otel.status_code = Empty,
    )
}

/// The span of one attempt (one HTTP request), a child of the call's span; counts the attempt
/// on `call`.
pub(crate) fn attempt_span(
    call: &Span,
    path: &str,
    request_id: &str,
    attempt: u32,
    max_attempts: u32,
    rate_limit_wait: Duration,
) -> Span {
    call.record("enjo.attempts", attempt);
    tracing::info_span!(
        target: "enjo",
        parent: call,
        "enjo.attempt",
        otel.kind = "client",
        http.request.method = "POST",
        url.path = path,
        enjo.request_id = request_id,
        enjo.attempt_number = attempt,
        enjo.max_attempts = max_attempts,
        enjo.rate_limit_wait_ms = millis(rate_limit_wait),
        http.response.status_code = Empty,
        enjo.server_request_id = Empty,
        error.type = Empty,
        enjo.retry_reason = Empty,
        enjo.retry_in_ms = Empty,
        otel.status_code = Empty,
    )
}

/// A successful attempt's status and server id.
pub(crate) fn attempt_succeeded(span: &Span, reply: &MessageResponse) {
    span.record("http.response.status_code", reply.status);
    if let Some(id) = &reply.server_request_id {
        span.record("enjo.server_request_id", id.as_str());
    }
}

/// A failed attempt: its status and server id when a reply came, the error's kind, and why
/// and when it is sent again (`retry_in`), if it is.
pub(crate) fn attempt_failed(span: &Span, err: &Error, retry_in: Option<Duration>) {
    record_error(span, err);
    if let Some(delay) = retry_in {
        span.record("enjo.retry_reason", retry_reason(err));
        span.record("enjo.retry_in_ms", millis(delay));
    }
}

/// The call's outcome, on its span.
pub(crate) fn call_ended(span: &Span, result: &Result<MessageResponse>) {
    match result {
        Ok(reply) => attempt_succeeded(span, reply),
        Err(err) => record_error(span, err),
    }
}

fn record_error(span: &Span, err: &Error) {
    if let Some(status) = err.status() {
        span.record("http.response.status_code", status);
    }
    if let Some(id) = err.server_request_id() {
        span.record("enjo.server_request_id", id);
    }
    span.record("error.type", err.kind().as_str());
    span.record("otel.status_code", "ERROR");
}

/// Why a failed attempt is sent again, as a stable token: `rate_limited` (a 429),
/// `not_sent` (the request provably never reached the server), else the error's kind
/// (`timeout`, `connection`, `server`: only under `RetryPolicy::AtLeastOnce`).
pub(crate) fn retry_reason(err: &Error) -> &'static str {
    match err.kind() {
        crate::ErrorKind::RateLimited => "rate_limited",
        _ if !err.may_have_been_sent() => "not_sent",
        kind => kind.as_str(),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
