//! Options as JavaScript hands them over, pulled into core's [`enjo::options`] (which checks
//! ranges and words the messages, naming each option as a Node caller spells it).

use std::collections::BTreeMap;

use enjo::options::{CallOptions, Host, QuotaValue, RateLimitValue, TimeUnit};
use napi::bindgen_prelude::Either;
use napi_derive::napi;

/// One client-side quota: at most `requests` requests in any window of `windowMs` milliseconds.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct RateLimitQuota {
    /// Requests allowed per window (a positive integer).
    pub requests: f64,
    /// The window's length in milliseconds.
    pub window_ms: f64,
}

/// Options of `new Enjo(options)`. Durations are in milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct ClientOptions {
    /// Personal access token. Default: `process.env.ENJO_API_TOKEN`.
    pub token: Option<String>,
    /// Base URL of the API; a path is kept as a prefix. Default: `process.env.ENJO_BASE_URL`,
    /// else `https://api.enjo.ai`.
    pub base_url: Option<String>,
    /// Timeout of each attempt, in milliseconds. Default 60000.
    pub timeout: Option<f64>,
    /// Timeout for establishing a connection, in milliseconds. Default 10000.
    pub connect_timeout: Option<f64>,
    /// Attempts after the first one, for failures the retry policy allows. Default 2.
    pub max_retries: Option<f64>,
    /// `"safe"` (default: never resend a request that may have created a ticket) or
    /// `"atLeastOnce"` (also retry 5xx and timeouts; may create duplicate tickets).
    #[napi(ts_type = "'safe' | 'atLeastOnce'")]
    pub retry_policy: Option<String>,
    /// Client-side rate limiting: `true` (default: Enjo's documented 20/min and 10/5 s),
    /// `false` (off), or your own quotas, all enforced at once.
    pub rate_limit: Option<Either<bool, Vec<RateLimitQuota>>>,
    /// Longest wait for the rate limiter, in milliseconds, before failing with a
    /// `RateLimitError` without sending (0: fail at once). Default: no bound.
    pub rate_limit_max_wait: Option<f64>,
    /// Bound on each whole call (limiter waits, attempts and retries), in milliseconds; past it
    /// the call fails with an `APITimeoutError`. Default: none.
    pub deadline: Option<f64>,
    /// Text appended to the `User-Agent` header.
    pub user_agent: Option<String>,
    /// Proxy URL for every request (`http://`, `https://` or `socks5://`).
    pub proxy: Option<String>,
    /// Extra trusted root certificates, PEM (for a TLS-inspecting proxy or a private server).
    pub root_certificate_pem: Option<String>,
    /// Allow a plain-`http` base URL that is not loopback (the token then travels in clear text).
    pub allow_insecure_http: Option<bool>,
    /// Largest accepted response body, in bytes; a larger one is a `ResponseDecodeError`.
    pub max_response_bytes: Option<f64>,
    /// Where the rate-limit log lives, so that processes share one quota: `"memory"` (this
    /// process), `"file:/path"` (this machine), `"redis://host:port/db"` (every host).
    /// Default: `process.env.ENJO_RATE_LIMIT_STORE`, else `"memory"`.
    pub rate_limit_store: Option<String>,
    /// The shared log's name in a Redis store. Default: `process.env.ENJO_RATE_LIMIT_KEY`,
    /// else the base URL's origin.
    pub rate_limit_key: Option<String>,
    /// Use this process's own limiter while the store is unreachable (one warning) instead of
    /// failing with a `RateLimitStoreError`. Default `false`.
    pub rate_limit_store_fallback: Option<bool>,
}

/// Per-call options of `sendMessage` and `Conversation.send`. Durations are in milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct NativeSendOptions {
    /// Continue this conversation (`sendMessage` only).
    pub conversation_id: Option<String>,
    /// Timeout of each attempt of this call, in milliseconds.
    pub timeout: Option<f64>,
    /// Retries after the first attempt, for this call.
    pub max_retries: Option<f64>,
    /// Retry policy for this call.
    #[napi(ts_type = "'safe' | 'atLeastOnce'")]
    pub retry_policy: Option<String>,
    /// Bound on this whole call, in milliseconds.
    pub deadline: Option<f64>,
    /// Extra headers sent with every attempt of this call (e.g. a gateway's key).
    pub headers: Option<BTreeMap<String, String>>,
}

/// `ENJO_API_TOKEN` and `ENJO_BASE_URL` as the caller's `process.env` has them (a worker
/// thread's own `env`, and changes made after the package was loaded, included), and the Node
/// version for the `User-Agent`. The core applies the defaults under its own rule: blank
/// values count as unset.
#[napi(object)]
#[derive(Default)]
pub struct EnvDefaults {
    /// `process.env.ENJO_API_TOKEN`.
    pub token: Option<String>,
    /// `process.env.ENJO_BASE_URL`.
    pub base_url: Option<String>,
    /// `process.versions.node`.
    pub node_version: Option<String>,
    /// `process.env.ENJO_RATE_LIMIT_STORE`.
    pub rate_limit_store: Option<String>,
    /// `process.env.ENJO_RATE_LIMIT_KEY`.
    pub rate_limit_key: Option<String>,
}

/// How Node spells and measures options: camelCase, milliseconds (a quota's window is
/// `windowMs`), `node/<version>` in the `User-Agent`.
pub fn host(node_version: Option<&str>) -> Host {
    let host = Host::new(enjo::Spelling::Camel, TimeUnit::Milliseconds)
        .with_aliases(&[(".window", ".window_ms")]);
    match node_version {
        Some(version) => host.with_language("node", version),
        None => host,
    }
}

impl ClientOptions {
    /// The same values as core's host-neutral options.
    pub fn into_core(self) -> enjo::options::ClientOptions {
        enjo::options::ClientOptions {
            token: self.token,
            base_url: self.base_url,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            max_retries: self.max_retries,
            retry_policy: self.retry_policy,
            rate_limit: self.rate_limit.map(|limit| match limit {
                Either::A(true) => RateLimitValue::On,
                Either::A(false) => RateLimitValue::Off,
                Either::B(quotas) => RateLimitValue::Quotas(
                    quotas
                        .iter()
                        .map(|q| QuotaValue {
                            requests: q.requests,
                            window: q.window_ms,
                        })
                        .collect(),
                ),
            }),
            rate_limit_max_wait: self.rate_limit_max_wait,
            deadline: self.deadline,
            user_agent: self.user_agent,
            proxy: self.proxy,
            root_certificate_pem: self.root_certificate_pem,
            allow_insecure_http: self.allow_insecure_http,
            max_response_bytes: self.max_response_bytes,
            rate_limit_store: self.rate_limit_store,
            rate_limit_key: self.rate_limit_key,
            rate_limit_store_fallback: self.rate_limit_store_fallback,
        }
    }
}

/// The core's per-call options, checked.
pub fn send_options(options: Option<NativeSendOptions>) -> enjo::Result<enjo::SendOptions> {
    let Some(o) = options else {
        return Ok(enjo::SendOptions::new());
    };
    CallOptions {
        conversation_id: o.conversation_id,
        timeout: o.timeout,
        max_retries: o.max_retries,
        retry_policy: o.retry_policy,
        deadline: o.deadline,
        headers: o.headers.unwrap_or_default().into_iter().collect(),
    }
    .send_options(&host(None))
}
