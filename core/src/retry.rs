//! When to send a request again, and after how long.
//!
//! A `POST /message` may create a ticket, so by default ([`RetryPolicy::Safe`]) a request is
//! sent again only when that cannot duplicate anything: after a 429 (the server refused it), or
//! when it provably never reached the server (DNS failure, connection refused, TLS handshake
//! failure, connect timeout, an HTTP/2 stream the server refused with `REFUSED_STREAM` or
//! left unprocessed under a graceful `GOAWAY`). A 500, 502–504 or a timeout after the request was sent is retried
//! only under [`RetryPolicy::AtLeastOnce`].
//!
//! Waits: the server's `retry-after-ms` or `Retry-After` (seconds or an HTTP date) when given,
//! honoured up to [`MAX_RETRY_AFTER`] (beyond it the error is returned, carrying the delay);
//! otherwise exponential backoff with full jitter, 0.5 s base, 8 s cap. A server 429 concerns
//! the whole process (the limits are per IP): with the client-side limiter on, it holds back
//! every caller talking to that origin until the retry instant, and without a `Retry-After`
//! that instant is at least the shortest window of the client's quotas away (5 s for Enjo's
//! documented limits), since an immediate retry would only meet another 429.
//!
//! A timeout counts as "may have been sent" unless reqwest reports it as a connect timeout;
//! when a call's timeout is shorter than `connect_timeout`, a timeout during connection is
//! therefore not retried under the safe policy (conservative, never a duplicate).

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, RETRY_AFTER};

use crate::error::{Error, ErrorKind};

/// First backoff step.
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// Longest backoff step.
pub const BACKOFF_CAP: Duration = Duration::from_secs(8);
/// Longest server-requested wait the client sleeps through before giving up with the error.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// Which failures are sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryPolicy {
    /// Only 429s and requests that never reached the server. Never duplicates a ticket.
    #[default]
    Safe,
    /// Also 500, 502, 503, 504 and timeouts or resets after sending: a request may then be
    /// processed twice (two tickets). Choose it only if duplicates are acceptable.
    AtLeastOnce,
}

/// How a host language spells names: `at_least_once` (Python, R, the CLI) or `atLeastOnce`
/// (Node, Kotlin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// `snake_case`.
    Snake,
    /// `camelCase`.
    Camel,
}

impl RetryPolicy {
    /// Every policy, in the order of C's `enjo_retry_policy` values (`ENJO_RETRY_SAFE` = 0).
    pub const ALL: [RetryPolicy; 2] = [RetryPolicy::Safe, RetryPolicy::AtLeastOnce];

    /// The policy's name in a host language's spelling: `"safe"`, `"at_least_once"` /
    /// `"atLeastOnce"`.
    pub fn name(self, spelling: Spelling) -> &'static str {
        match (self, spelling) {
            (RetryPolicy::Safe, _) => "safe",
            (RetryPolicy::AtLeastOnce, Spelling::Snake) => "at_least_once",
            (RetryPolicy::AtLeastOnce, Spelling::Camel) => "atLeastOnce",
        }
    }

    /// The policy named `value` in `spelling`; an [`ErrorKind::InvalidArgument`] error naming
    /// `option` (as the user spelled it: `retry_policy`, `retryPolicy`) and the accepted names
    /// otherwise.
    pub fn parse(value: &str, spelling: Spelling, option: &str) -> Result<RetryPolicy, Error> {
        RetryPolicy::ALL
            .into_iter()
            .find(|policy| policy.name(spelling) == value)
            .ok_or_else(|| {
                let names: Vec<String> = RetryPolicy::ALL
                    .iter()
                    .map(|policy| format!("{:?}", policy.name(spelling)))
                    .collect();
                Error::invalid_argument(format!(
                    "{option} must be {} (got {value:?})",
                    names.join(" or ")
                ))
            })
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send again after this delay.
    RetryAfter(Duration),
    /// Return the error.
    GiveUp,
}

/// Decides about `err`, which ended attempt number `attempt` (0 for the first send), when
/// `max_retries` further attempts are allowed in all. `jitter` maps a cap to a random delay in
/// `[0, cap]` (injected so tests are deterministic).
pub fn decide(
    err: &Error,
    policy: RetryPolicy,
    attempt: u32,
    max_retries: u32,
    jitter: impl FnOnce(Duration) -> Duration,
) -> Verdict {
    if attempt >= max_retries || !is_retryable(err, policy) {
        return Verdict::GiveUp;
    }
    match err.retry_after() {
        Some(wait) if wait > MAX_RETRY_AFTER => Verdict::GiveUp,
        Some(wait) => Verdict::RetryAfter(wait),
        None => Verdict::RetryAfter(jitter(backoff_cap(attempt))),
    }
}

/// Whether `err` may be sent again under `policy`.
pub fn is_retryable(err: &Error, policy: RetryPolicy) -> bool {
    match err.kind() {
        // A server 429 was refused, not processed; a local one already waited its bound.
        ErrorKind::RateLimited => err.status().is_some(),
        ErrorKind::Connection | ErrorKind::Timeout if !err.may_have_been_sent() => true,
        ErrorKind::Connection | ErrorKind::Timeout => policy == RetryPolicy::AtLeastOnce,
        ErrorKind::Server => {
            policy == RetryPolicy::AtLeastOnce && matches!(err.status(), Some(500 | 502..=504))
        }
        _ => false,
    }
}

/// The backoff cap before attempt `attempt + 1`: `min(8 s, 0.5 s × 2^attempt)`.
pub fn backoff_cap(attempt: u32) -> Duration {
    BACKOFF_BASE
        .saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX))
        .min(BACKOFF_CAP)
}

/// Full jitter: a uniformly random delay in `[0, cap]`.
pub fn full_jitter(cap: Duration) -> Duration {
    use rand::Rng;
    let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rand::rng().random_range(0..=nanos))
}

/// The HTTP/2 reason when `err`'s source chain shows a stream the server provably did not
/// process (RFC 9113 §8.7): reset by the server with `REFUSED_STREAM`, or refused by its
/// graceful shutdown (`GOAWAY` with `NO_ERROR`). Such a request is safe to send again.
pub(crate) fn h2_unprocessed(err: &(dyn std::error::Error + 'static)) -> Option<h2::Reason> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(h2) = e.downcast_ref::<h2::Error>() {
            let reason = h2.reason()?;
            let refused = h2.is_reset() && reason == h2::Reason::REFUSED_STREAM;
            let going_away = h2.is_go_away() && reason == h2::Reason::NO_ERROR;
            return (h2.is_remote() && (refused || going_away)).then_some(reason);
        }
        current = e.source();
    }
    None
}

/// The server's requested delay: `retry-after-ms`, else `Retry-After` as (fractional) seconds
/// or an HTTP date. Garbage and negative values are ignored.
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    // Looked up by `HeaderName` constants, not `&str`: a `&str` key is parsed into a scratch
    // buffer on every lookup (slower, and valgrind flags its optimised compare as a jump on
    // uninitialised bytes, which failed the C and R suites' valgrind runs).
    const RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");
    if let Some(ms) = headers
        .get(RETRY_AFTER_MS)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
    {
        return Some(ms);
    }
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn api(status: u16, retry_after: Option<Duration>) -> Error {
        Error::from_response(status, None, "x".into(), String::new(), retry_after, None)
    }

    fn no_jitter(cap: Duration) -> Duration {
        cap
    }

    #[test]
    fn safe_policy_never_resends_what_may_have_been_processed() {
        let safe = RetryPolicy::Safe;
        for status in [500, 502, 503, 504, 400, 401, 404] {
            assert_eq!(
                decide(&api(status, None), safe, 0, 2, no_jitter),
                Verdict::GiveUp
            );
        }
        let sent_timeout = Error::new(ErrorKind::Timeout, "t").with_maybe_sent(true);
        assert_eq!(
            decide(&sent_timeout, safe, 0, 2, no_jitter),
            Verdict::GiveUp
        );
        let refused = Error::new(ErrorKind::Connection, "refused").with_maybe_sent(false);
        assert_eq!(
            decide(&refused, safe, 0, 2, no_jitter),
            Verdict::RetryAfter(BACKOFF_BASE)
        );
        assert_eq!(
            decide(
                &api(429, Some(Duration::from_secs(3))),
                safe,
                1,
                2,
                no_jitter
            ),
            Verdict::RetryAfter(Duration::from_secs(3))
        );
        assert_eq!(
            decide(&api(429, None), safe, 2, 2, no_jitter),
            Verdict::GiveUp,
            "no attempts left"
        );
        let local = Error::local_rate_limit(Duration::from_secs(1), Duration::ZERO);
        assert_eq!(decide(&local, safe, 0, 2, no_jitter), Verdict::GiveUp);
    }

    #[test]
    fn at_least_once_policy_resends_server_errors() {
        let alo = RetryPolicy::AtLeastOnce;
        for status in [500, 502, 503, 504] {
            assert!(matches!(
                decide(&api(status, None), alo, 0, 2, no_jitter),
                Verdict::RetryAfter(_)
            ));
        }
        assert_eq!(
            decide(&api(501, None), alo, 0, 2, no_jitter),
            Verdict::GiveUp
        );
        let sent_timeout = Error::new(ErrorKind::Timeout, "t").with_maybe_sent(true);
        assert!(matches!(
            decide(&sent_timeout, alo, 0, 2, no_jitter),
            Verdict::RetryAfter(_)
        ));
    }

    #[test]
    fn long_retry_after_is_returned_not_slept() {
        let err = api(429, Some(MAX_RETRY_AFTER + Duration::from_secs(1)));
        assert_eq!(
            decide(&err, RetryPolicy::Safe, 0, 2, no_jitter),
            Verdict::GiveUp
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let caps: Vec<_> = (0..7).map(backoff_cap).map(|d| d.as_millis()).collect();
        assert_eq!(caps, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(backoff_cap(200), BACKOFF_CAP);
        for _ in 0..100 {
            assert!(full_jitter(BACKOFF_CAP) <= BACKOFF_CAP);
        }
    }

    #[test]
    fn only_a_stream_the_server_refused_is_unprocessed() {
        // Errors h2 builds locally are not the server's word.
        let local = h2::Error::from(h2::Reason::REFUSED_STREAM);
        assert_eq!(h2_unprocessed(&local), None);
        let io = std::io::Error::other("reset by peer");
        assert_eq!(h2_unprocessed(&io), None);
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let parse = |name: &'static str, value: &str| {
            let mut h = HeaderMap::new();
            h.insert(name, HeaderValue::from_str(value).expect("header"));
            parse_retry_after(&h, now)
        };
        assert_eq!(parse("retry-after", "3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse("retry-after", "1.5"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse("retry-after-ms", "250"),
            Some(Duration::from_millis(250))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(10));
        assert_eq!(parse("retry-after", &date), Some(Duration::from_secs(10)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(10));
        assert_eq!(parse("retry-after", &past), Some(Duration::ZERO));
        assert_eq!(parse("retry-after", "soon"), None);
        assert_eq!(parse("retry-after", "-1"), None);
    }

    #[test]
    fn policy_names_both_ways_in_both_spellings() {
        for spelling in [Spelling::Snake, Spelling::Camel] {
            for policy in RetryPolicy::ALL {
                let name = policy.name(spelling);
                assert_eq!(RetryPolicy::parse(name, spelling, "x").ok(), Some(policy));
            }
        }
        assert_eq!(
            RetryPolicy::AtLeastOnce.name(Spelling::Camel),
            "atLeastOnce"
        );
        let err = RetryPolicy::parse("atLeastOnce", Spelling::Snake, "retry_policy")
            .expect_err("the other spelling is refused");
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            err.message(),
            "retry_policy must be \"safe\" or \"at_least_once\" (got \"atLeastOnce\")"
        );
        let err = RetryPolicy::parse("x", Spelling::Camel, "retryPolicy").expect_err("refused");
        assert_eq!(
            err.message(),
            "retryPolicy must be \"safe\" or \"atLeastOnce\" (got \"x\")"
        );
    }
}
