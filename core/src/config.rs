//! Client options and their defaults, shared by the async and blocking clients.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::ratelimit::{RateLimit, RateLimiter};
use crate::retry::RetryPolicy;

/// The vendor's API.
pub const DEFAULT_BASE_URL: &str = "https://api.enjo.ai";
/// Environment variable holding the bearer token.
pub const ENV_TOKEN: &str = "ENJO_API_TOKEN";
/// Environment variable overriding the base URL.
pub const ENV_BASE_URL: &str = "ENJO_BASE_URL";
/// Whole-attempt timeout by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Connection timeout by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Retries after the first attempt by default.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Largest accepted response body by default (16 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// The SDK's version, sent in the `User-Agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Something that happened while sending, for progress displays and logs. Delivered to the
/// [`observer`](crate::ClientBuilder::observer) on the task that sends.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The local rate limiter makes the caller wait about this long before sending; announced
    /// when the wait starts.
    RateLimitWait {
        /// Expected wait.
        wait: Duration,
        /// Which quota is full, or the server's 429.
        reason: crate::telemetry::WaitReason,
    },
    /// Attempt `attempt` of at most `max_attempts` is being sent (1-based).
    Attempt {
        /// This attempt's number, from 1.
        attempt: u32,
        /// 1 + max_retries.
        max_attempts: u32,
    },
    /// Attempt `attempt` got its reply (or failed), after `elapsed`.
    AttemptEnded {
        /// This attempt's number, from 1.
        attempt: u32,
        /// 1 + max_retries.
        max_attempts: u32,
        /// The HTTP status, when a reply arrived.
        status: Option<u16>,
        /// From sending to the end of the reply (or the failure).
        elapsed: Duration,
        /// `None` on success, else the kind of error (a [`Event::Retry`] follows when it is
        /// sent again).
        error: Option<crate::ErrorKind>,
    },
    /// An attempt failed and will be sent again after `delay`.
    Retry {
        /// The failed attempt's number, from 1.
        attempt: u32,
        /// Wait before the next attempt.
        delay: Duration,
        /// Why (the error's text, without secrets).
        reason: String,
    },
}

/// How much an [`Event`] matters to a log: what a binding's logger (Python's `enjo` logger,
/// Node's `ENJO_LOG`) records it at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventLevel {
    /// Each attempt and its outcome.
    Debug,
    /// Waits and retries: what makes a call slower than one round trip.
    Info,
}

impl Event {
    /// The level a log records this event at; `None` for events that only progress displays
    /// show (an attempt starting: its end is logged).
    pub fn level(&self) -> Option<EventLevel> {
        match self {
            Event::AttemptEnded { .. } => Some(EventLevel::Debug),
            Event::Retry { .. } => Some(EventLevel::Info),
            Event::RateLimitWait { wait, .. } => Some(crate::telemetry::wait_level(*wait)),
            Event::Attempt { .. } => None,
        }
    }

    /// `kind` as every binding's log names it: `attempt`, `retry`, `wait`, or `start`.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::AttemptEnded { .. } => "attempt",
            Event::Retry { .. } => "retry",
            Event::RateLimitWait { .. } => "wait",
            Event::Attempt { .. } => "start",
        }
    }
}

/// The log line of an event, without the request it belongs to (a binding puts
/// `POST <path>: ` in front): `attempt 1 of 3: HTTP 200 in 12.3 ms`, `attempt 1 failed
/// (…); retrying in 0.500s`, `client-side rate limit, waiting 1.250s (quota: 10 requests per
/// 5s)`.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::RateLimitWait { wait, reason } => crate::telemetry::fmt_wait(f, *wait, reason),
            Event::Attempt {
                attempt,
                max_attempts,
            } => write!(f, "attempt {attempt} of {max_attempts}: sending"),
            Event::AttemptEnded {
                attempt,
                max_attempts,
                status,
                elapsed,
                error,
            } => {
                write!(f, "attempt {attempt} of {max_attempts}: ")?;
                match status {
                    Some(status) => write!(f, "HTTP {status}")?,
                    None => f.write_str("no reply")?,
                }
                let ms = elapsed.as_secs_f64() * 1000.0;
                match error {
                    None => write!(f, " in {ms:.1} ms"),
                    Some(kind) => write!(f, " ({}) after {ms:.1} ms", kind.as_str()),
                }
            }
            Event::Retry {
                attempt,
                delay,
                reason,
            } => write!(
                f,
                "attempt {attempt} failed ({reason}); retrying in {:.3}s",
                delay.as_secs_f64()
            ),
        }
    }
}

/// A callback receiving [`Event`]s.
pub type Observer = Arc<dyn Fn(&Event) + Send + Sync>;

/// A bearer token that never shows up in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

/// Where the defaults of the token and the base URL come from.
#[derive(Clone, Default)]
pub(crate) enum EnvSource {
    /// `ENJO_API_TOKEN` / `ENJO_BASE_URL` of the process.
    #[default]
    Process,
    /// Values the host language read from its own environment (Node's `process.env`).
    Given {
        token: Option<Secret>,
        base_url: Option<String>,
        /// `ENJO_RATE_LIMIT_STORE` and `ENJO_RATE_LIMIT_KEY`, as the host read them.
        store: Option<Secret>,
        key: Option<String>,
    },
    /// No defaults: only what the builder sets counts.
    Ignore,
}

impl EnvSource {
    /// The token and base URL defaults; blank values count as unset.
    pub(crate) fn read(&self) -> (Option<Secret>, Option<String>) {
        let (token, base_url) = match self {
            EnvSource::Process => (
                std::env::var(ENV_TOKEN).ok().map(Secret),
                std::env::var(ENV_BASE_URL).ok(),
            ),
            EnvSource::Given {
                token, base_url, ..
            } => (token.clone(), base_url.clone()),
            EnvSource::Ignore => (None, None),
        };
        let present = |s: &str| !s.trim().is_empty();
        (
            token.filter(|t| present(&t.0)),
            base_url.filter(|u| present(u)),
        )
    }
}

impl EnvSource {
    /// The defaults of `rate_limit_store` and `rate_limit_key` (`ENJO_RATE_LIMIT_STORE`,
    /// `ENJO_RATE_LIMIT_KEY`); blank values count as unset. The store may hold a password.
    pub(crate) fn read_store(&self) -> (Option<Secret>, Option<String>) {
        let (store, key) = match self {
            EnvSource::Process => (
                std::env::var(crate::ratelimit::ENV_STORE).ok().map(Secret),
                std::env::var(crate::ratelimit::ENV_KEY).ok(),
            ),
            EnvSource::Given { store, key, .. } => (store.clone(), key.clone()),
            EnvSource::Ignore => (None, None),
        };
        (
            store.filter(|s| !s.0.trim().is_empty()),
            key.filter(|k| !k.trim().is_empty()),
        )
    }
}

/// Every option of a client. Built by [`ClientBuilder`](crate::ClientBuilder).
#[derive(Clone)]
pub(crate) struct Options {
    pub token: Option<Secret>,
    pub base_url: Option<String>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_retries: u32,
    pub retry_policy: RetryPolicy,
    pub rate_limit: RateLimit,
    pub rate_limit_max_wait: Option<Duration>,
    pub deadline: Option<Duration>,
    pub rate_limiter: Option<Arc<RateLimiter>>,
    /// `rate_limit_store` as given or parsed (it may hold a Redis password).
    pub rate_limit_store: Option<crate::ratelimit::store_option::StoreOption>,
    pub rate_limit_key: Option<String>,
    pub rate_limit_store_fallback: bool,
    pub rate_limit_store_margin: Option<Duration>,
    pub user_agent: Option<String>,
    pub proxy: Option<String>,
    pub root_certificates_pem: Vec<Vec<u8>>,
    pub tcp_keepalive: Option<Duration>,
    pub allow_insecure_http: bool,
    pub max_response_bytes: usize,
    pub env: EnvSource,
    pub observer: Option<Observer>,
    /// How the user spells options, for messages (`allowInsecureHttp`, `--allow-insecure-http`).
    pub option_names: Option<crate::options::Host>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            token: None,
            base_url: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_policy: RetryPolicy::Safe,
            rate_limit: RateLimit::Documented,
            rate_limit_max_wait: None,
            deadline: None,
            rate_limiter: None,
            rate_limit_store: None,
            rate_limit_key: None,
            rate_limit_store_fallback: false,
            rate_limit_store_margin: None,
            user_agent: None,
            proxy: None,
            root_certificates_pem: Vec::new(),
            tcp_keepalive: Some(Duration::from_secs(30)),
            allow_insecure_http: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            env: EnvSource::Process,
            observer: None,
            option_names: None,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_policy", &self.retry_policy)
            .field("rate_limit", &self.rate_limit)
            .field("rate_limit_max_wait", &self.rate_limit_max_wait)
            .field("deadline", &self.deadline)
            .field(
                "rate_limit_store",
                &self.rate_limit_store.as_ref().map(|_| "[set]"),
            )
            .field("rate_limit_key", &self.rate_limit_key)
            .field("rate_limit_store_fallback", &self.rate_limit_store_fallback)
            .field("user_agent", &self.user_agent)
            .field("proxy", &self.proxy.as_ref().map(|_| "[set]"))
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

/// Per-call overrides for [`Client::send_message_with`](crate::Client::send_message_with).
/// Its `Debug` shows extra headers by name only: their values may be credentials (a gateway
/// key).
#[derive(Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct SendOptions {
    /// Continue this conversation (`conversationId`).
    pub conversation_id: Option<String>,
    /// Whole-attempt timeout for this call.
    pub timeout: Option<Duration>,
    /// Retries after the first attempt for this call.
    pub max_retries: Option<u32>,
    /// Retry policy for this call.
    pub retry_policy: Option<RetryPolicy>,
    /// Bound on this whole call (limiter wait, attempts, backoff); see
    /// [`ClientBuilder::deadline`](crate::ClientBuilder::deadline).
    pub deadline: Option<Duration>,
    /// Extra headers sent on every attempt of this call, in order (a name may repeat); see
    /// [`SendOptions::header`].
    pub headers: Vec<(String, String)>,
}

impl fmt::Debug for SendOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("SendOptions")
            .field("conversation_id", &self.conversation_id)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_policy", &self.retry_policy)
            .field("deadline", &self.deadline)
            .field("headers", &header_names)
            .finish()
    }
}

impl SendOptions {
    /// No overrides.
    pub fn new() -> SendOptions {
        SendOptions::default()
    }

    /// Continue the conversation `id`.
    pub fn conversation_id(mut self, id: impl Into<String>) -> SendOptions {
        self.conversation_id = Some(id.into());
        self
    }

    /// Whole-attempt timeout for this call.
    pub fn timeout(mut self, timeout: Duration) -> SendOptions {
        self.timeout = Some(timeout);
        self
    }

    /// Retries after the first attempt for this call.
    pub fn max_retries(mut self, max_retries: u32) -> SendOptions {
        self.max_retries = Some(max_retries);
        self
    }

    /// Retry policy for this call.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> SendOptions {
        self.retry_policy = Some(policy);
        self
    }

    /// Bound on this whole call (limiter wait, attempts, backoff).
    pub fn deadline(mut self, deadline: Duration) -> SendOptions {
        self.deadline = Some(deadline);
        self
    }

    /// Adds a header sent on every attempt of this call (e.g. a tenant or tracing header a
    /// gateway needs). Checked when sending: `Authorization`, `Proxy-Authorization`,
    /// `Content-Type`, `Content-Length`, `Transfer-Encoding`, `Host`, `Connection` and
    /// `Upgrade` (any case) are refused, as are invalid names and values that are not
    /// printable ASCII, with [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// before anything is sent. An `X-Request-Id` header becomes the call's
    /// [request id](crate::MessageResponse::request_id) instead of a generated one.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> SendOptions {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_a_level_and_a_log_line() {
        let ended = Event::AttemptEnded {
            attempt: 1,
            max_attempts: 3,
            status: Some(503),
            elapsed: Duration::from_micros(12_340),
            error: Some(crate::ErrorKind::Server),
        };
        assert_eq!(ended.level(), Some(EventLevel::Debug));
        assert_eq!(ended.kind(), "attempt");
        assert_eq!(
            ended.to_string(),
            "attempt 1 of 3: HTTP 503 (server) after 12.3 ms"
        );
        let retry = Event::Retry {
            attempt: 1,
            delay: Duration::from_millis(500),
            reason: "HTTP 503".into(),
        };
        assert_eq!(retry.level(), Some(EventLevel::Info));
        assert_eq!(
            retry.to_string(),
            "attempt 1 failed (HTTP 503); retrying in 0.500s"
        );
        let quota =
            crate::telemetry::WaitReason::Quota(crate::Quota::new(10, Duration::from_secs(5)));
        let wait = Event::RateLimitWait {
            wait: Duration::from_millis(1250),
            reason: quota,
        };
        assert_eq!(wait.level(), Some(EventLevel::Info), "a wait over 1 s");
        assert_eq!(
            wait.to_string(),
            "client-side rate limit, waiting 1.250s (quota: 10 requests per 5s)"
        );
        let short = Event::RateLimitWait {
            wait: Duration::from_millis(1000),
            reason: quota,
        };
        assert_eq!(short.level(), Some(EventLevel::Debug), "1 s or less");
        let server = Event::RateLimitWait {
            wait: Duration::from_secs(5),
            reason: crate::telemetry::WaitReason::ServerRetryAfter,
        };
        assert_eq!(
            server.to_string(),
            "server rate limit (HTTP 429), waiting 5.000s before sending again"
        );
        let start = Event::Attempt {
            attempt: 1,
            max_attempts: 1,
        };
        assert_eq!(start.level(), None);
    }

    #[test]
    fn send_options_debug_shows_header_names_not_values() {
        let options = SendOptions::new()
            .header("X-Gateway-Key", "gw-secret-123")
            .conversation_id("c1");
        let shown = format!("{options:?}");
        assert!(shown.contains("X-Gateway-Key"), "{shown}");
        assert!(shown.contains("c1"), "{shown}");
        assert!(!shown.contains("gw-secret-123"), "{shown}");
    }
}
