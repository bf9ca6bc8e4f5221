//! `tracing` spans of a call (`enjo.send_message`) and of each attempt (`enjo.attempt`), with
//! the stable attribute names documented in the crate's README ("Observability"). Attributes
//! are recorded as they become known; the token and the message text are never among them.

use std::fmt;
use std::time::{Duration, Instant};

use tracing::Span;
use tracing::field::Empty;

use crate::error::{Error, Result};
use crate::models::MessageResponse;
use crate::ratelimit::{Decision, Quota, RateLimiter};

/// A rate-limit wait longer than this is logged at INFO when it starts (Python's `enjo`
/// logger, `ENJO_LOG=info` in Node, C and R): a call that stalls silently looks hung. Shorter
/// waits are DEBUG records.
pub const WAIT_LOG_THRESHOLD: Duration = Duration::from_secs(1);

/// Why the rate limiter makes a call wait ([`Event::RateLimitWait`](crate::Event)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitReason {
    /// This quota of the client's is full (the one that frees last, when several are).
    Quota(Quota),
    /// The server answered 429: every caller of the host waits for its `Retry-After`.
    ServerRetryAfter,
    /// The shared rate-limit store (`rate_limit_store`) reserved a later instant: other
    /// processes sharing the quota are using it now.
    SharedStore,
}

/// The level of a wait's record: INFO past [`WAIT_LOG_THRESHOLD`], else DEBUG.
pub(crate) fn wait_level(wait: Duration) -> crate::EventLevel {
    if wait > WAIT_LOG_THRESHOLD {
        crate::EventLevel::Info
    } else {
        crate::EventLevel::Debug
    }
}

/// The text of a wait's record (see [`Event`](crate::Event)'s `Display`).
pub(crate) fn fmt_wait(
    f: &mut fmt::Formatter<'_>,
    wait: Duration,
    reason: &WaitReason,
) -> fmt::Result {
    let secs = wait.as_secs_f64();
    match reason {
        WaitReason::Quota(quota) => write!(
            f,
            "client-side rate limit, waiting {secs:.3}s (quota: {} request{} per {})",
            quota.requests,
            if quota.requests == 1 { "" } else { "s" },
            window(quota.window)
        ),
        WaitReason::ServerRetryAfter => write!(
            f,
            "server rate limit (HTTP 429), waiting {secs:.3}s before sending again"
        ),
        WaitReason::SharedStore => write!(
            f,
            "shared rate limit (other processes on the store), waiting {secs:.3}s"
        ),
    }
}

/// `5s`, `1m`, `1.5s`, `250ms`.
fn window(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if d.subsec_nanos() == 0 && d.as_secs().is_multiple_of(60) && d.as_secs() > 0 {
        format!("{}m", d.as_secs() / 60)
    } else if secs >= 1.0 {
        format!("{secs}s")
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Why `limiter` makes a caller under `quotas` wait until `until`: a server block reaching
/// that far, else the quota that frees last. Only peeks (nothing is taken).
pub(crate) fn wait_reason(
    limiter: &RateLimiter,
    quotas: &[Quota],
    now: Instant,
    until: Instant,
) -> WaitReason {
    let blocked = matches!(limiter.peek(&[], now), Decision::WaitUntil(b) if b >= until);
    if blocked {
        return WaitReason::ServerRetryAfter;
    }
    quotas
        .iter()
        .filter_map(|q| match limiter.peek(std::slice::from_ref(q), now) {
            Decision::WaitUntil(at) => Some((at, *q)),
            _ => None,
        })
        .max_by_key(|(at, _)| *at)
        .map_or(WaitReason::ServerRetryAfter, |(_, q)| WaitReason::Quota(q))
}

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
