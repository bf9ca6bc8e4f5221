//! The async [`Client`] and its [`ClientBuilder`].

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use tracing::Instrument;

use crate::config::{DEFAULT_BASE_URL, EnvSource, Event, Options, Secret, SendOptions, VERSION};
use crate::conversation::Conversation;
use crate::deadline::Deadline;
use crate::error::{Error, ErrorKind, Result};
use crate::headers::CallHeaders;
use crate::http::{self, HttpSettings};
use crate::models::MessageResponse;
use crate::ratelimit::{Permit, Quota, RateLimit, RateLimiter, Ticket};
use crate::redirect;
use crate::retry::{self, RetryPolicy, Verdict};
use crate::telemetry;
use crate::validate::{self, BaseUrl};

/// Builds a [`Client`]; as [`blocking::ClientBuilder`](crate::blocking::ClientBuilder) (from
/// [`blocking::Client::builder`](crate::blocking::Client::builder)), a
/// [`blocking::Client`](crate::blocking::Client). `C` is the client that
/// [`build`](ClientBuilder::build) returns; the options are the same for both.
///
/// Unset options take their defaults: the token from `ENJO_API_TOKEN`, the base URL from
/// `ENJO_BASE_URL` or `https://api.enjo.ai`, a 60 s timeout, a 10 s connect timeout, 2 retries
/// of what is safe to retry, and Enjo's documented rate limits.
#[must_use]
pub struct ClientBuilder<C = Client> {
    options: Options,
    client: PhantomData<fn() -> C>,
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("options", &self.options)
            .finish()
    }
}

impl<C> Clone for ClientBuilder<C> {
    fn clone(&self) -> Self {
        ClientBuilder::with_options(self.options.clone())
    }
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder::with_options(Options::default())
    }
}

impl ClientBuilder {
    /// A builder with every option at its default.
    pub fn new() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Validates the options and builds the client. Fails with
    /// [`ErrorKind::InvalidArgument`] on a missing token, a bad base URL or a bad option.
    pub fn build(self) -> Result<Client> {
        Client::from_options(self.options)
    }

    /// Like [`ClientBuilder::build`], for the [blocking client](crate::blocking::Client) (the
    /// same as starting from [`blocking::Client::builder`](crate::blocking::Client::builder)).
    pub fn build_blocking(self) -> Result<crate::blocking::Client> {
        self.build().map(crate::blocking::Client::from_async)
    }
}

impl ClientBuilder<crate::blocking::Client> {
    /// Validates the options and builds the blocking client. Fails with
    /// [`ErrorKind::InvalidArgument`] on a missing token, a bad base URL or a bad option.
    pub fn build(self) -> Result<crate::blocking::Client> {
        Client::from_options(self.options).map(crate::blocking::Client::from_async)
    }
}

/// The options, whichever client they build.
impl<C> ClientBuilder<C> {
    /// A builder of `C` with these options.
    pub(crate) fn with_options(options: Options) -> ClientBuilder<C> {
        ClientBuilder {
            options,
            client: PhantomData,
        }
    }

    /// The bearer token (a personal access token from Enjo's settings). Default: the
    /// `ENJO_API_TOKEN` environment variable.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.options.token = Some(Secret(token.into()));
        self
    }

    /// The API's base URL; a path is kept as a prefix. Default: `ENJO_BASE_URL`, else
    /// `https://api.enjo.ai`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.options.base_url = Some(url.into());
        self
    }

    /// Timeout of each attempt, from connecting to the end of the reply. Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = timeout;
        self
    }

    /// Timeout for establishing a connection. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = timeout;
        self
    }

    /// Attempts after the first one, for failures the [retry policy](RetryPolicy) allows.
    /// Default 2; 0 disables retries.
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.options.max_retries = max_retries;
        self
    }

    /// Which failures are retried. Default [`RetryPolicy::Safe`]: never a request that may
    /// have created a ticket.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.options.retry_policy = policy;
        self
    }

    /// Client-side rate limiting. Default [`RateLimit::Documented`].
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.options.rate_limit = rate_limit;
        self
    }

    /// Longest wait for the rate limiter: a longer expected wait (the callers ahead in line
    /// counted) fails at once with a local `RateLimited` error (nothing sent). Default: no
    /// bound, callers wait their turn.
    pub fn rate_limit_max_wait(mut self, max_wait: Duration) -> Self {
        self.options.rate_limit_max_wait = Some(max_wait);
        self
    }

    /// Bound on a whole call: the rate limiter's wait, every attempt and every backoff.
    /// A limiter wait that cannot end in time fails at once with a local `RateLimited` error
    /// (`retry_after`: the expected wait; nothing sent); an attempt cut by the deadline is a
    /// `Timeout`; a retry that would start past it is not made (the last error is returned).
    /// Default: none. Per call: [`SendOptions::deadline`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.options.deadline = Some(deadline);
        self
    }

    /// Use this limiter instead of the one shared by the process for the base URL's origin
    /// (e.g. one with a test clock, or a store shared between processes).
    pub fn rate_limiter(mut self, limiter: Arc<RateLimiter>) -> Self {
        self.options.rate_limiter = Some(limiter);
        self
    }

    /// Text appended to the `User-Agent` (`enjo-rust/<version> <suffix>`).
    pub fn user_agent(mut self, suffix: impl Into<String>) -> Self {
        self.options.user_agent = Some(suffix.into());
        self
    }

    /// Send every request through this proxy (`http://`, `https://` or `socks5://` URL).
    /// With a plain-http base URL this needs [`allow_insecure_http`](Self::allow_insecure_http)
    /// (the token would reach the proxy in clear text). Without it, the `HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` environment variables apply, except to a
    /// loopback base URL (`127.0.0.0/8`, `::1`, `localhost`), which is always reached directly.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.options.proxy = Some(url.into());
        self
    }

    /// Trust this extra root certificate (PEM; a bundle of several is fine), e.g. a corporate
    /// TLS-inspecting proxy's.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.options.root_certificates_pem.push(pem.into());
        self
    }

    /// TCP keepalive interval for pooled connections (default 30 s); `None` turns it off.
    pub fn tcp_keepalive(mut self, interval: Option<Duration>) -> Self {
        self.options.tcp_keepalive = interval;
        self
    }

    /// Allow a plain `http://` base URL to a non-loopback host (loopback means `127.0.0.0/8`,
    /// `::1` and exactly `localhost`, not `*.localhost`), or through an explicit
    /// [`proxy`](Self::proxy). The token then travels in clear text: only for trusted networks.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.options.allow_insecure_http = allow;
        self
    }

    /// Names options in this builder's messages as `host` spells them (`allowInsecureHttp`,
    /// `--allow-insecure-http`), so that a hint names an option the user really has.
    /// [`options::ClientOptions`](crate::options::ClientOptions) sets it for the bindings.
    pub fn option_names(mut self, host: crate::options::Host) -> Self {
        self.options.option_names = Some(host);
        self
    }

    /// Largest response body accepted (default 16 MiB); a larger one is a decode error.
    pub fn max_response_bytes(mut self, max: usize) -> Self {
        self.options.max_response_bytes = max;
        self
    }

    /// Ignore `ENJO_API_TOKEN` and `ENJO_BASE_URL` (only what is set on the builder counts).
    pub fn ignore_env(mut self) -> Self {
        self.options.env = EnvSource::Ignore;
        self
    }

    /// Take the defaults of `ENJO_API_TOKEN` and `ENJO_BASE_URL` from these values instead of
    /// the process environment: for hosts that keep their own (Node's `process.env`, which
    /// scripts and worker threads may change). Blank values count as unset, as in the
    /// environment.
    pub fn env_values(mut self, token: Option<String>, base_url: Option<String>) -> Self {
        let (store, key) = self.options.env.read_store();
        self.options.env = EnvSource::Given {
            token: token.map(Secret),
            base_url,
            store,
            key,
        };
        self
    }

    /// Take the defaults of `ENJO_RATE_LIMIT_STORE` and `ENJO_RATE_LIMIT_KEY` from these values
    /// instead of the process environment (as [`env_values`](Self::env_values) does for the
    /// token and base URL; call it after that one).
    pub fn env_store_values(mut self, store: Option<String>, key: Option<String>) -> Self {
        let (token, base_url) = self.options.env.read();
        let (token, base_url) = match std::mem::take(&mut self.options.env) {
            EnvSource::Given {
                token, base_url, ..
            } => (token, base_url),
            _ => (token, base_url),
        };
        self.options.env = EnvSource::Given {
            token,
            base_url,
            store: store.map(Secret),
            key,
        };
        self
    }

    /// Where the rate-limit log lives, so that several processes or hosts share one quota:
    /// `memory` (the default: this process only), `file:/abs/path` or a bare absolute path
    /// (every process of this machine naming the file), `redis://…`, `rediss://…` or
    /// `redis+unix:///path.sock` (every process of every host naming the same Redis and
    /// [key](Self::rate_limit_key)). Default: `ENJO_RATE_LIMIT_STORE`, else `memory`. Checked
    /// by [`build`](ClientBuilder::build) ([`StoreSpec::parse`](crate::ratelimit::StoreSpec::parse)); a store that cannot be
    /// reached fails a call with [`ErrorKind::RateLimitStore`] before anything is sent. Every
    /// process sharing a store and key must use the same quotas (else
    /// [`ErrorKind::InvalidArgument`]). See `docs/rate-limiting.md`.
    pub fn rate_limit_store(mut self, spec: impl Into<String>) -> Self {
        self.options.rate_limit_store = Some(crate::ratelimit::store_option::StoreOption::Raw(
            Secret(spec.into()),
        ));
        self
    }

    /// [`rate_limit_store`](Self::rate_limit_store) already parsed by a binding's options
    /// layer (`option`: its name as the host spells it, for errors), so it is parsed once.
    pub(crate) fn rate_limit_store_parsed(
        mut self,
        spec: crate::ratelimit::StoreSpec,
        option: String,
    ) -> Self {
        use crate::ratelimit::store_option::StoreOption;
        self.options.rate_limit_store = Some(StoreOption::Parsed { spec, option });
        self
    }

    /// The name of the shared log in a Redis store (keys `enjo:rl:{key}:…`). Default:
    /// `ENJO_RATE_LIMIT_KEY`, else the base URL's origin. Set the same key on every host that
    /// leaves by the same IP, a different one for hosts with their own IP.
    pub fn rate_limit_key(mut self, key: impl Into<String>) -> Self {
        self.options.rate_limit_key = Some(key.into());
        self
    }

    /// When the shared store cannot be used, fall back to this process's own limiter (one
    /// warning) instead of failing with [`ErrorKind::RateLimitStore`]; the store is tried
    /// again on every call, so it is picked up when it is back. Default: false.
    pub fn rate_limit_store_fallback(mut self, fallback: bool) -> Self {
        self.options.rate_limit_store_fallback = fallback;
        self
    }

    /// Time added to every window of a shared store: how long a request may take from its
    /// grant to the server. Default [`DEFAULT_MARGIN`](crate::ratelimit::DEFAULT_MARGIN)
    /// (20 ms); it costs `margin / window` of the throughput.
    pub fn rate_limit_store_margin(mut self, margin: Duration) -> Self {
        self.options.rate_limit_store_margin = Some(margin);
        self
    }

    /// Receive an [`Event`] for every rate-limit wait, attempt and retry.
    pub fn observer(mut self, observer: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.options.observer = Some(Arc::new(observer));
        self
    }
}

/// The async Enjo client. Cheap to clone (clones share connections and limits); safe to use
/// from many tasks at once.
///
/// ```no_run
/// # async fn demo() -> enjo::Result<()> {
/// let client = enjo::Client::builder().build()?; // token from ENJO_API_TOKEN
/// let reply = client.send_message("support-bot", "How do I reset my password?", None).await?;
/// println!("{}", reply.answers.unwrap_or_default());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    base: BaseUrl,
    auth: HeaderValue,
    options: Options,
    quotas: Vec<Quota>,
    http_settings: HttpSettings,
    /// The HTTP client of the current process (rebuilt after `fork()`); `None` once closed.
    http: Mutex<(u64, Option<reqwest::Client>)>,
    /// Set by [`Client::close`].
    closed: AtomicBool,
}

impl Client {
    /// A builder; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client with every option at its default (token from `ENJO_API_TOKEN`).
    pub fn new() -> Result<Client> {
        ClientBuilder::new().build()
    }

    fn from_options(mut options: Options) -> Result<Client> {
        let (env_token, env_base_url) = options.env.read();
        if options.token.is_none() {
            options.token = env_token;
        }
        if options.base_url.is_none() {
            options.base_url = env_base_url;
        }
        let token = options.token.as_ref().map(|t| t.0.as_str());
        validate::token(token)?;
        let token = token.map(str::to_owned);
        let token = token.as_deref();
        let names = validate::UrlOptionNames::of(options.option_names.as_ref());
        let base = BaseUrl::parse_named(
            options.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
            options.allow_insecure_http,
            &names,
        )?;
        validate::proxy(
            &base,
            options.proxy.as_deref(),
            options.allow_insecure_http,
            &names,
        )?;
        crate::ratelimit::store_option::resolve(&mut options, base.origin())?;
        options.rate_limit.validate()?;
        if options.timeout.is_zero() || options.connect_timeout.is_zero() {
            return Err(Error::invalid_argument(
                "timeout and connect_timeout must be above zero",
            ));
        }
        if options.deadline.is_some_and(|d| d.is_zero()) {
            return Err(Error::invalid_argument("deadline must be above zero"));
        }
        if options.max_response_bytes == 0 {
            return Err(Error::invalid_argument(
                "max_response_bytes must be above zero",
            ));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.unwrap_or_default()))
            .map_err(|_| Error::invalid_argument("the API token is not a valid header value"))?;
        auth.set_sensitive(true);
        let user_agent = match options.user_agent.as_deref().map(str::trim) {
            Some(suffix) if !suffix.is_empty() => format!("enjo-rust/{VERSION} {suffix}"),
            _ => format!("enjo-rust/{VERSION}"),
        };
        let http_settings = HttpSettings {
            connect_timeout: options.connect_timeout,
            tcp_keepalive: options.tcp_keepalive,
            proxy: options.proxy.clone(),
            root_certificates_pem: options.root_certificates_pem.clone(),
            user_agent,
            origin: base.origin().to_owned(),
            uses_tls: HttpSettings::may_use_tls(base.origin(), options.proxy.as_deref()),
        };
        let http = http::build_client(&http_settings)?;
        Ok(Client {
            inner: Arc::new(Inner {
                quotas: options.rate_limit.quotas().to_vec(),
                base,
                auth,
                options,
                http_settings,
                http: Mutex::new((crate::process::fork_epoch(), Some(http))),
                closed: AtomicBool::new(false),
            }),
        })
    }

    /// The base URL requests go to (normalised, no trailing slash).
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// The full URL of a bot's message endpoint, as this client would call it.
    pub fn message_url(&self, bot_id: &str) -> String {
        self.inner.base.message_url(bot_id)
    }

    /// The path of that URL (base URL prefix included, bot id percent-encoded, no host): how
    /// the SDK's logs name a request.
    pub fn message_path(&self, bot_id: &str) -> String {
        let url = self.message_url(bot_id);
        self.inner.base.path_of(&url).to_owned()
    }

    /// The timeout of each attempt.
    pub fn timeout(&self) -> Duration {
        self.inner.options.timeout
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.inner.options.connect_timeout
    }

    /// Attempts after the first one (for failures the retry policy allows).
    pub fn max_retries(&self) -> u32 {
        self.inner.options.max_retries
    }

    /// Which failures are retried.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.options.retry_policy
    }

    /// The client-side rate limiting setting, as built.
    pub fn rate_limit(&self) -> &RateLimit {
        &self.inner.options.rate_limit
    }

    /// The bound on rate-limit waits (`None`: callers wait their turn).
    pub fn rate_limit_max_wait(&self) -> Option<Duration> {
        self.inner.options.rate_limit_max_wait
    }

    /// The bound on a whole call (`None`: no deadline).
    pub fn deadline(&self) -> Option<Duration> {
        self.inner.options.deadline
    }

    /// The quotas this client enforces on itself (empty when rate limiting is off).
    pub fn quotas(&self) -> &[Quota] {
        &self.inner.quotas
    }

    /// Sends `text` to the bot `bot_id`, continuing `conversation_id` when given.
    ///
    /// Waits for the rate limiter, retries what is safe to retry, and returns the bot's reply.
    pub async fn send_message(
        &self,
        bot_id: &str,
        text: &str,
        conversation_id: Option<&str>,
    ) -> Result<MessageResponse> {
        self.send(bot_id, text, conversation_id, &SendOptions::default())
            .await
    }

    /// Like [`Client::send_message`], with per-call overrides.
    pub async fn send_message_with(
        &self,
        bot_id: &str,
        text: &str,
        options: &SendOptions,
    ) -> Result<MessageResponse> {
        self.send(bot_id, text, options.conversation_id.as_deref(), options)
            .await
    }

    /// A conversation with `bot_id`: each [`Conversation::send`] continues it.
    pub fn conversation(&self, bot_id: impl Into<String>) -> Conversation {
        Conversation::new(self.clone(), bot_id.into(), None)
    }

    /// Resumes the conversation `conversation_id` with `bot_id`.
    pub fn resume_conversation(
        &self,
        bot_id: impl Into<String>,
        conversation_id: impl Into<String>,
    ) -> Conversation {
        Conversation::new(self.clone(), bot_id.into(), Some(conversation_id.into()))
    }

    /// One call: its headers and request id, its span, its attempts; the request id goes on
    /// the reply and on every error past argument checks.
    async fn send(
        &self,
        bot_id: &str,
        text: &str,
        conversation_id: Option<&str>,
        overrides: &SendOptions,
    ) -> Result<MessageResponse> {
        let call = CallHeaders::new(&overrides.headers)?;
        let max_retries = overrides
            .max_retries
            .unwrap_or(self.inner.options.max_retries);
        let span = telemetry::call_span(bot_id, &call.request_id, max_retries.saturating_add(1));
        let result = self
            .send_attempts(bot_id, text, conversation_id, overrides, &call, &span)
            .instrument(span.clone())
            .await;
        let result = match result {
            Ok(mut reply) => {
                reply.request_id = Some(call.request_id);
                Ok(reply)
            }
            Err(err) if err.kind() == ErrorKind::InvalidArgument => Err(err),
            Err(err) => Err(err.with_request_id(Some(call.request_id))),
        };
        telemetry::call_ended(&span, &result);
        result
    }

    async fn send_attempts(
        &self,
        bot_id: &str,
        text: &str,
        conversation_id: Option<&str>,
        overrides: &SendOptions,
        call: &CallHeaders,
        call_span: &tracing::Span,
    ) -> Result<MessageResponse> {
        if self.is_closed() {
            return Err(closed_error());
        }
        validate::bot_id(bot_id)?;
        validate::text(text)?;
        if let Some(id) = conversation_id {
            validate::conversation_id(id)?;
        }
        let options = &self.inner.options;
        let timeout = overrides.timeout.unwrap_or(options.timeout);
        if timeout.is_zero() {
            return Err(Error::invalid_argument("timeout must be above zero"));
        }
        let deadline = Deadline::start(overrides.deadline.or(options.deadline))?;
        let max_retries = overrides.max_retries.unwrap_or(options.max_retries);
        let policy = overrides.retry_policy.unwrap_or(options.retry_policy);
        let url = self.inner.base.message_url(bot_id);
        let path = self.inner.base.path_of(&url);
        // Parsed once per call from the client's parsed base (see `BaseUrl::request_url`).
        let target = self.inner.base.request_url(&url);
        let body = http::request_body(text, conversation_id);
        let http = self.http()?;
        let limiter = self.limiter();
        let max_attempts = max_retries.saturating_add(1);
        // One place in line for the whole call: a retry goes before later callers.
        let ticket = limiter.as_ref().map(|l| l.ticket());

        let request = Request {
            http: &http,
            limiter: limiter.as_ref(),
            ticket,
            deadline: &deadline,
            headers: &call.headers,
            body,
            timeout,
        };

        for attempt in 0..=max_retries {
            deadline.cap(timeout)?;
            let (permit, timeout, capped) = self.permit(&request).await?;
            let waited = permit.waited();
            self.emit(|| Event::Attempt {
                attempt: attempt + 1,
                max_attempts,
            });
            let span = telemetry::attempt_span(
                call_span,
                path,
                &call.request_id,
                attempt + 1,
                max_attempts,
                waited,
            );
            let started = Instant::now();
            let result = self
                .send_permitted(&request, target.clone(), permit, timeout, capped)
                .instrument(span.clone())
                .await;
            let request = &request;
            let result = redirect::follow(result, &url, self.inner.base.origin(), |to| {
                // Each hop is a request of its own: its own permit (the call's place in line)
                // and timeout, both bounded by the deadline.
                async move {
                    let (permit, timeout, capped) = self.permit(request).await?;
                    self.send_permitted(request, to.as_str(), permit, timeout, capped)
                        .await
                }
                .instrument(span.clone())
            })
            .await;
            let elapsed = started.elapsed();
            let elapsed_ms = elapsed.as_millis() as u64;
            let err = match result {
                Ok(reply) => {
                    telemetry::attempt_succeeded(&span, &reply);
                    tracing::debug!(
                        target: "enjo",
                        path,
                        status = reply.status,
                        attempt = attempt + 1,
                        max_attempts,
                        elapsed_ms,
                        rate_limit_wait_ms = waited.as_millis() as u64,
                        "attempt succeeded"
                    );
                    self.emit(|| Event::AttemptEnded {
                        attempt: attempt + 1,
                        max_attempts,
                        status: Some(reply.status),
                        elapsed,
                        error: None,
                    });
                    return Ok(reply);
                }
                Err(err) => err,
            };
            let server_429 = err.kind() == ErrorKind::RateLimited && err.status().is_some();
            let verdict = retry::decide(&err, policy, attempt, max_retries, retry::full_jitter);
            // Without a usable `Retry-After` (none, 0, a past date), a 429 is retried after at
            // least the shortest window (by then the server's window has room again, whatever
            // other clients of the IP did), limiter on or off.
            let verdict = match verdict {
                Verdict::RetryAfter(delay)
                    if server_429 && err.retry_after().is_none_or(|d| d.is_zero()) =>
                {
                    Verdict::RetryAfter(delay.max(self.shortest_window()))
                }
                verdict => verdict,
            };
            // A server 429 says the whole process is over the limit, not just this call: with
            // the limiter on, every caller is held back until the retry instant.
            let verdict = match (verdict, server_429, &limiter) {
                (Verdict::RetryAfter(delay), true, Some(limiter)) => {
                    limiter.block_for(delay);
                    Verdict::RetryAfter(delay)
                }
                (verdict, true, Some(limiter)) => {
                    // Not retried here, but other callers must not run into the same wall.
                    if let Some(wait) = err.retry_after() {
                        limiter.block_for(wait.min(retry::MAX_RETRY_AFTER));
                    }
                    verdict
                }
                (verdict, _, _) => verdict,
            };
            let retry_delay = match verdict {
                // A retry that would start past the deadline is not made.
                Verdict::RetryAfter(delay) if deadline.allows(delay) => Some(delay),
                Verdict::RetryAfter(_) | Verdict::GiveUp => None,
            };
            telemetry::attempt_failed(&span, &err, retry_delay);
            tracing::debug!(
                target: "enjo",
                path,
                status = err.status(),
                attempt = attempt + 1,
                max_attempts,
                elapsed_ms,
                rate_limit_wait_ms = waited.as_millis() as u64,
                kind = err.kind().as_str(),
                retry_in_ms = retry_delay.map(|d| d.as_millis() as u64),
                "attempt failed: {}",
                err.message()
            );
            self.emit(|| Event::AttemptEnded {
                attempt: attempt + 1,
                max_attempts,
                status: err.status(),
                elapsed,
                error: Some(err.kind()),
            });
            let Some(delay) = retry_delay else {
                return Err(err);
            };
            self.emit(|| Event::Retry {
                attempt: attempt + 1,
                delay,
                reason: err.to_string(),
            });
            // After a server 429 with the limiter on, the limiter holds every caller (this one
            // included) back until the retry instant; otherwise sleep here.
            if !(server_429 && limiter.is_some()) {
                tokio::time::sleep(delay).await;
            }
        }
        // The loop returns on its last attempt; reaching here means max_retries overflowed.
        Err(Error::new(ErrorKind::Api, "no attempt was made"))
    }

    /// Waits for a permit to send `request` (its limiter wait bounded by the deadline), and
    /// the attempt's timeout capped by what is left of the deadline (and whether it was).
    async fn permit(&self, request: &Request<'_>) -> Result<(Permit, Duration, bool)> {
        let bound = request
            .deadline
            .bound(self.inner.options.rate_limit_max_wait);
        let permit = self.acquire(request.limiter, request.ticket, bound).await?;
        match request.deadline.cap(request.timeout) {
            Ok((timeout, capped)) => Ok((permit, timeout, capped)),
            Err(err) => {
                permit.complete(); // never sent
                Err(err)
            }
        }
    }

    /// Sends `request` to `url` under `permit`, then gives the permit back (see `release`).
    async fn send_permitted(
        &self,
        request: &Request<'_>,
        url: impl reqwest::IntoUrl,
        permit: Permit,
        timeout: Duration,
        capped: bool,
    ) -> Result<MessageResponse> {
        let result = http::send_once(
            request.http,
            url,
            &self.inner.auth,
            request.headers,
            request.body.clone(),
            timeout,
            self.inner.options.max_response_bytes,
        )
        .await
        .map_err(|err| request.deadline.explain(err, capped));
        release(permit, &result);
        result
    }

    /// The shortest window of this client's quotas, or of the documented ones when the
    /// limiter is off (5 s).
    fn shortest_window(&self) -> Duration {
        let quotas = match self.inner.quotas.as_slice() {
            [] => &Quota::DOCUMENTED[..],
            quotas => quotas,
        };
        quotas.iter().map(|q| q.window).min().unwrap_or_default()
    }

    async fn acquire(
        &self,
        limiter: Option<&Arc<RateLimiter>>,
        ticket: Option<Ticket>,
        bound: Option<Duration>,
    ) -> Result<Permit> {
        let (Some(limiter), Some(ticket)) = (limiter, ticket) else {
            return Ok(Permit::unlimited());
        };
        // The limiter announces a wait (in-process log or shared store) within the bound.
        let on_wait = |wait, reason| self.emit(|| Event::RateLimitWait { wait, reason });
        let observed = self.inner.options.observer.is_some();
        let on_wait: Option<&crate::ratelimit::OnWait<'_>> = observed.then_some(&on_wait);
        limiter
            .acquire_observed(ticket, &self.inner.quotas, bound, on_wait)
            .await
            .map_err(|err| self.named_for_host(err))
    }

    /// `err` with its hint naming the store options as the client's host spells them
    /// (`rateLimitStore` in Node, `--rate-limit-store` in the CLI), when a binding said how.
    fn named_for_host(&self, err: Error) -> Error {
        match &self.inner.options.option_names {
            Some(host) if err.kind() == ErrorKind::RateLimitStore => {
                err.with_hint(crate::error::rate_limit_store_hint(
                    &host.name("rate_limit_store"),
                    &host.name("rate_limit_store_fallback"),
                ))
            }
            _ => err,
        }
    }

    fn limiter(&self) -> Option<Arc<RateLimiter>> {
        if self.inner.options.rate_limit == RateLimit::Off {
            return None;
        }
        Some(match &self.inner.options.rate_limiter {
            Some(limiter) => limiter.clone(),
            None => RateLimiter::shared(self.inner.base.origin()),
        })
    }

    fn emit(&self, event: impl FnOnce() -> Event) {
        if let Some(observer) = &self.inner.options.observer {
            observer(&event());
        }
    }

    /// The HTTP client to send with. Blocking calls running on their thread's own runtime use
    /// that thread's pool (a connection belongs to the runtime that opened it). Otherwise the
    /// process's pool: after `fork()` the parent's is unusable (its connections belong to the
    /// parent's runtime), so the child builds its own.
    fn http(&self) -> Result<reqwest::Client> {
        if crate::process::on_thread_runtime() {
            return self.thread_http();
        }
        let pid = crate::process::fork_epoch();
        let mut slot = self.http_slot();
        if self.is_closed() {
            return Err(closed_error());
        }
        if slot.0 != pid || slot.1.is_none() {
            let fresh = http::build_client(&self.inner.http_settings)?;
            // Leak the parent's pool rather than drop it in the child (see `process`).
            std::mem::forget(std::mem::replace(&mut *slot, (pid, Some(fresh.clone()))));
            return Ok(fresh);
        }
        slot.1.clone().ok_or_else(closed_error)
    }

    fn http_slot(&self) -> std::sync::MutexGuard<'_, (u64, Option<reqwest::Client>)> {
        self.inner
            .http
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Closes the client, and with it every handle to it (clones, conversations, the
    /// [blocking](crate::blocking::Client) wrapper): its idle connections are released, calls
    /// already running finish, and later calls fail at once with
    /// [`ErrorKind::InvalidArgument`] without sending. Idempotent.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        let mut slot = self.http_slot();
        if slot.0 == crate::process::fork_epoch() {
            slot.1 = None;
        }
        // After a fork the parent's pool is not ours to drop: it stays leaked (see `process`).
    }

    /// Whether [`Client::close`] was called (on this handle or any other of the client).
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// This thread's pool for this client (see [`Client::http`]).
    fn thread_http(&self) -> Result<reqwest::Client> {
        THREAD_POOLS.with(|pools| {
            let mut pools = pools.borrow_mut();
            let pid = crate::process::fork_epoch();
            if pools.0 != pid {
                // Forked: the parent's connections are not ours to use or to close.
                std::mem::forget(std::mem::replace(&mut *pools, (pid, Vec::new())));
            }
            // Forget the pools of clients that no longer exist.
            pools.1.retain(|(owner, _)| owner.strong_count() > 0);
            let me = Arc::downgrade(&self.inner);
            if let Some((_, client)) = pools.1.iter().find(|(owner, _)| owner.ptr_eq(&me)) {
                return Ok(client.clone());
            }
            let client = http::build_client(&self.inner.http_settings)?;
            pools.1.push((me, client.clone()));
            Ok(client)
        })
    }
}

/// What every attempt of one call (and each of its redirect hops) sends, and under which
/// limits.
struct Request<'a> {
    http: &'a reqwest::Client,
    limiter: Option<&'a Arc<RateLimiter>>,
    /// The call's place in the limiter's line.
    ticket: Option<Ticket>,
    deadline: &'a Deadline,
    headers: &'a reqwest::header::HeaderMap,
    body: bytes::Bytes,
    /// The per-attempt timeout, before the deadline caps it.
    timeout: Duration,
}

/// Gives back an attempt's permit. An attempt cut short after its bytes may have left (a
/// timeout or a broken connection) may still be seen by the server, so it holds its slot a
/// grace period longer (see `ratelimit::CANCEL_GRACE`); any other outcome completes now.
fn release(permit: Permit, result: &Result<MessageResponse>) {
    let cut_short = result.as_ref().is_err_and(|e| {
        matches!(e.kind(), ErrorKind::Timeout | ErrorKind::Connection) && e.may_have_been_sent()
    });
    if cut_short {
        drop(permit);
    } else {
        permit.complete();
    }
}

/// A thread's connection pools: the fork epoch they belong to, and one pool per live client.
type ThreadPools = (u64, Vec<(Weak<Inner>, reqwest::Client)>);

thread_local! {
    /// Per-thread connection pools of the clients used from this thread's blocking calls,
    /// with the fork epoch they belong to.
    static THREAD_POOLS: RefCell<ThreadPools> =
        const { RefCell::new((0, Vec::new())) };
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.inner.options;
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("token", &"[redacted]")
            .field("timeout", &o.timeout)
            .field("max_retries", &o.max_retries)
            .field("retry_policy", &o.retry_policy)
            .field("rate_limit", &o.rate_limit)
            .finish_non_exhaustive()
    }
}

/// What a call on a closed client fails with.
fn closed_error() -> Error {
    Error::invalid_argument("this enjo client is closed; create a new client to send again")
}
