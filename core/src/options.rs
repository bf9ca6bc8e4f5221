//! Options as a host language hands them over, applied with core's checks: the one place
//! where every binding's option values become builder settings.
//!
//! A binding pulls each value out of its host object (a Python keyword, a JavaScript property,
//! a C struct field, an R argument) into [`ClientOptions`] or [`CallOptions`], in the host's
//! own units (seconds or milliseconds) and spellings (`at_least_once` or `atLeastOnce`), and
//! calls [`ClientOptions::builder`] / [`CallOptions::send_options`] with its [`Host`]. Range
//! checks, defaults and error messages live here, and a message names the option as the user
//! spelled it (`rate_limit_max_wait`, `rateLimitMaxWait`, `options.rate_limit_max_wait_secs`).
//!
//! Adding an option is: a field here and a line in [`ClientOptions::apply`], then one
//! value-extraction line per binding (see `docs/bindings.md`).

use std::time::Duration;

use crate::client::ClientBuilder;
use crate::config::SendOptions;
use crate::error::{Error, Result};
use crate::ratelimit::{Quota, RateLimit};
use crate::retry::{RetryPolicy, Spelling};
use crate::validate;

/// The unit a host language gives durations in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds (Python, R, C, the CLI).
    Seconds,
    /// Milliseconds (JavaScript).
    Milliseconds,
}

/// How a binding's host language names and measures options, and what it adds to the
/// `User-Agent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// `snake_case` or `camelCase` option names and retry-policy values.
    pub spelling: Spelling,
    /// The unit of every duration.
    pub unit: TimeUnit,
    /// Put before every option name in messages (C: `"options."`); usually empty.
    pub prefix: &'static str,
    /// Put after the name of every duration option (C: `"_secs"`); usually empty.
    pub duration_suffix: &'static str,
    /// The language and its version for the `User-Agent` (`python/3.12.1`, `node/20.11.0`);
    /// `None`: the Rust core's own token only.
    pub language: Option<String>,
    /// Options the host names differently from core, as `(core's name, host's name)` (C:
    /// `("rate_limit", "rate_limit_quotas")` for the quota array's messages). A core name that
    /// starts with `.` renames an item's field (Node: `(".window", ".window_ms")`).
    pub aliases: &'static [(&'static str, &'static str)],
}

impl Host {
    /// A host spelling names `spelling` and giving durations in `unit`, with no prefix.
    pub fn new(spelling: Spelling, unit: TimeUnit) -> Host {
        Host {
            spelling,
            unit,
            prefix: "",
            duration_suffix: "",
            language: None,
            aliases: &[],
        }
    }

    /// The same host with `prefix` before every option name in messages.
    #[must_use]
    pub fn with_prefix(mut self, prefix: &'static str) -> Host {
        self.prefix = prefix;
        self
    }

    /// The same host with `suffix` after every duration option's name in messages.
    #[must_use]
    pub fn with_duration_suffix(mut self, suffix: &'static str) -> Host {
        self.duration_suffix = suffix;
        self
    }

    /// The same host announcing `name/version` in the `User-Agent`.
    #[must_use]
    pub fn with_language(mut self, name: &str, version: &str) -> Host {
        self.language = Some(format!("{name}/{version}"));
        self
    }

    /// The same host naming the options of `aliases` its own way in messages.
    #[must_use]
    pub fn with_aliases(mut self, aliases: &'static [(&'static str, &'static str)]) -> Host {
        self.aliases = aliases;
        self
    }

    /// `snake_name` (core's spelling of an option, possibly followed by `[i].field`) as the
    /// user spells it.
    pub fn name(&self, snake_name: &str) -> String {
        let aliased = self.aliases.iter().find_map(|(core, host)| {
            let rest = snake_name.strip_prefix(core)?;
            (rest.is_empty() || rest.starts_with('[')).then(|| format!("{host}{rest}"))
        });
        let snake_name = aliased.as_deref().unwrap_or(snake_name);
        // A field alias (core's name starting with `.`) renames the last field of an item:
        // Node's `rateLimit[0].windowMs`.
        let field = self.aliases.iter().find_map(|(core, host)| {
            let head = snake_name
                .strip_suffix(core)
                .filter(|_| core.starts_with('.'))?;
            Some(format!("{head}{host}"))
        });
        let snake_name = field.as_deref().unwrap_or(snake_name);
        let spelled = match self.spelling {
            Spelling::Snake => snake_name.to_owned(),
            Spelling::Camel => camel_case(snake_name),
        };
        format!("{}{spelled}", self.prefix)
    }

    /// The name of a duration option, with this host's unit suffix.
    fn duration_name(&self, snake_name: &str) -> String {
        format!("{}{}", self.name(snake_name), self.duration_suffix)
    }

    /// A duration option; zero only where `allow_zero`.
    pub fn duration(&self, snake_name: &str, value: f64, allow_zero: bool) -> Result<Duration> {
        let name = self.duration_name(snake_name);
        match self.unit {
            TimeUnit::Seconds => validate::seconds(&name, value, allow_zero),
            TimeUnit::Milliseconds => validate::millis(&name, value, allow_zero),
        }
    }

    /// A count option (`max_retries`): a whole number from 0 to `u32::MAX`.
    pub fn count(&self, snake_name: &str, value: f64) -> Result<u32> {
        validate::count(&self.name(snake_name), value)
    }

    /// A retry policy spelled the host's way.
    pub fn retry_policy(&self, snake_name: &str, value: &str) -> Result<RetryPolicy> {
        RetryPolicy::parse(value, self.spelling, &self.name(snake_name))
    }

    /// The `User-Agent` suffix: the host's language, then the user's own text.
    fn user_agent(&self, user_suffix: Option<&str>) -> Option<String> {
        let user_suffix = user_suffix.map(str::trim).filter(|s| !s.is_empty());
        match (self.language.as_deref(), user_suffix) {
            (Some(language), Some(suffix)) => Some(format!("{language} {suffix}")),
            (Some(language), None) => Some(language.to_owned()),
            (None, suffix) => suffix.map(str::to_owned),
        }
    }
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// One quota as the host gives it: `requests` in any window of `window` (in the host's unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuotaValue {
    /// Requests allowed per window: a whole number from 1.
    pub requests: f64,
    /// The window's length, in the host's unit.
    pub window: f64,
}

/// The `rate_limit` option as the host gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum RateLimitValue {
    /// `true`: Enjo's documented limits.
    On,
    /// `false`: no client-side limit.
    Off,
    /// The caller's own quotas, all enforced at once (at least one).
    Quotas(Vec<QuotaValue>),
}

impl RateLimitValue {
    /// The core's [`RateLimit`], each quota checked; messages name `name[i].requests` /
    /// `name[i].window`.
    fn resolve(self, host: &Host, snake_name: &str) -> Result<RateLimit> {
        let quotas = match self {
            RateLimitValue::On => return Ok(RateLimit::Documented),
            RateLimitValue::Off => return Ok(RateLimit::Off),
            RateLimitValue::Quotas(quotas) => quotas,
        };
        if quotas.is_empty() {
            return Err(Error::invalid_argument(format!(
                "{} needs at least one quota; turn it off instead to send without a \
                 client-side limit",
                host.name(snake_name)
            )));
        }
        let quotas = quotas
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let item = format!("{snake_name}[{i}]");
                let window = host.duration(&format!("{item}.window"), q.window, false)?;
                let requests = host.name(&format!("{item}.requests"));
                if q.requests == 0.0 {
                    // Named here: the quota's own check would only say it is empty.
                    return Err(Error::invalid_argument(format!(
                        "{requests} must be a whole number from 1 (got 0): a quota allows at \
                         least 1 request"
                    )));
                }
                Quota::from_count(&requests, q.requests, window)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RateLimit::Custom(quotas))
    }
}

/// Every client option as a host language gives it; `None` keeps core's default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientOptions {
    /// The bearer token.
    pub token: Option<String>,
    /// Base URL of the API.
    pub base_url: Option<String>,
    /// Whole-attempt timeout, in the host's unit.
    pub timeout: Option<f64>,
    /// Connection timeout, in the host's unit.
    pub connect_timeout: Option<f64>,
    /// Retries after the first attempt.
    pub max_retries: Option<f64>,
    /// `safe` or `at_least_once` / `atLeastOnce`.
    pub retry_policy: Option<String>,
    /// Client-side rate limiting.
    pub rate_limit: Option<RateLimitValue>,
    /// Longest wait for the rate limiter (0 allowed: fail at once), in the host's unit.
    pub rate_limit_max_wait: Option<f64>,
    /// Bound on each whole call, in the host's unit.
    pub deadline: Option<f64>,
    /// The user's text appended to the `User-Agent`.
    pub user_agent: Option<String>,
    /// Proxy URL for every request.
    pub proxy: Option<String>,
    /// Extra trusted root certificates, PEM.
    pub root_certificate_pem: Option<String>,
    /// Allow a plain-http base URL that is not loopback.
    pub allow_insecure_http: Option<bool>,
    /// Largest accepted response body, in bytes.
    pub max_response_bytes: Option<f64>,
    /// Where the rate-limit log lives: `memory`, `file:/path`, `redis://…` (see
    /// [`ClientBuilder::rate_limit_store`]); parsed and checked by core.
    pub rate_limit_store: Option<String>,
    /// The shared log's name in a Redis store.
    pub rate_limit_key: Option<String>,
    /// Fall back to the in-process limiter while the store is unreachable.
    pub rate_limit_store_fallback: Option<bool>,
}

impl ClientOptions {
    /// No option set: every default.
    pub fn new() -> ClientOptions {
        ClientOptions::default()
    }

    /// A builder with these options applied (see [`ClientOptions::apply`]).
    pub fn builder(self, host: &Host) -> Result<ClientBuilder> {
        self.apply(host, ClientBuilder::new())
    }

    /// Applies the options that are set to `builder`, each checked, with messages naming the
    /// option in the host's spelling. The host's language goes into the `User-Agent` whether
    /// or not `user_agent` is set.
    pub fn apply<C>(self, host: &Host, mut b: ClientBuilder<C>) -> Result<ClientBuilder<C>> {
        b = b.option_names(host.clone());
        if let Some(token) = self.token {
            b = b.token(token);
        }
        if let Some(url) = self.base_url {
            b = b.base_url(url);
        }
        if let Some(v) = self.timeout {
            b = b.timeout(host.duration("timeout", v, false)?);
        }
        if let Some(v) = self.connect_timeout {
            b = b.connect_timeout(host.duration("connect_timeout", v, false)?);
        }
        if let Some(v) = self.max_retries {
            b = b.max_retries(host.count("max_retries", v)?);
        }
        if let Some(v) = self.retry_policy {
            b = b.retry_policy(host.retry_policy("retry_policy", &v)?);
        }
        if let Some(v) = self.rate_limit {
            b = b.rate_limit(v.resolve(host, "rate_limit")?);
        }
        if let Some(v) = self.rate_limit_max_wait {
            b = b.rate_limit_max_wait(host.duration("rate_limit_max_wait", v, true)?);
        }
        if let Some(v) = self.deadline {
            b = b.deadline(host.duration("deadline", v, false)?);
        }
        if let Some(suffix) = host.user_agent(self.user_agent.as_deref()) {
            b = b.user_agent(suffix);
        }
        if let Some(v) = self.proxy {
            b = b.proxy(v);
        }
        if let Some(v) = self.root_certificate_pem {
            b = b.add_root_certificate_pem(v.into_bytes());
        }
        if let Some(v) = self.allow_insecure_http {
            b = b.allow_insecure_http(v);
        }
        if let Some(v) = self.max_response_bytes {
            b = b.max_response_bytes(byte_count(&host.name("max_response_bytes"), v)?);
        }
        if let Some(v) = self.rate_limit_store {
            // Parsed here (once), so that a message names the option as the host spells it.
            let option = host.name("rate_limit_store");
            let spec = crate::ratelimit::StoreSpec::parse(&option, &v)?;
            b = b.rate_limit_store_parsed(spec, option);
        }
        if let Some(v) = self.rate_limit_key {
            b = b.rate_limit_key(v);
        }
        if let Some(v) = self.rate_limit_store_fallback {
            b = b.rate_limit_store_fallback(v);
        }
        Ok(b)
    }
}

/// A size in bytes: a whole number from 1 that fits the platform's `usize`.
fn byte_count(name: &str, value: f64) -> Result<usize> {
    // 2^53: above it an f64 no longer holds every whole number.
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0;
    if value.is_finite()
        && value >= 1.0
        && value.fract() == 0.0
        && value <= MAX_EXACT
        && let Ok(bytes) = usize::try_from(value as u64)
    {
        return Ok(bytes);
    }
    Err(Error::invalid_argument(format!(
        "{name} must be a whole number of bytes from 1 (got {value})"
    )))
}

/// Per-call overrides as a host language gives them; `None` keeps the client's setting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallOptions {
    /// Continue this conversation.
    pub conversation_id: Option<String>,
    /// Whole-attempt timeout for this call, in the host's unit.
    pub timeout: Option<f64>,
    /// Retries after the first attempt for this call.
    pub max_retries: Option<f64>,
    /// Retry policy for this call, in the host's spelling.
    pub retry_policy: Option<String>,
    /// Bound on this whole call, in the host's unit.
    pub deadline: Option<f64>,
    /// Extra headers for every attempt of this call, in order.
    pub headers: Vec<(String, String)>,
}

impl CallOptions {
    /// No override.
    pub fn new() -> CallOptions {
        CallOptions::default()
    }

    /// The core's [`SendOptions`], each value checked, with messages naming the option in the
    /// host's spelling.
    pub fn send_options(self, host: &Host) -> Result<SendOptions> {
        let mut out = SendOptions::new();
        out.conversation_id = self.conversation_id;
        if let Some(v) = self.timeout {
            out.timeout = Some(host.duration("timeout", v, false)?);
        }
        if let Some(v) = self.max_retries {
            out.max_retries = Some(host.count("max_retries", v)?);
        }
        if let Some(v) = self.retry_policy {
            out.retry_policy = Some(host.retry_policy("retry_policy", &v)?);
        }
        if let Some(v) = self.deadline {
            out.deadline = Some(host.duration("deadline", v, false)?);
        }
        out.headers = self.headers;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn python() -> Host {
        Host::new(Spelling::Snake, TimeUnit::Seconds).with_language("python", "3.12.1")
    }

    fn node() -> Host {
        Host::new(Spelling::Camel, TimeUnit::Milliseconds)
    }

    fn c() -> Host {
        Host::new(Spelling::Snake, TimeUnit::Seconds)
            .with_prefix("options.")
            .with_duration_suffix("_secs")
            .with_aliases(&[("rate_limit", "rate_limit_quotas")])
    }

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Ok(v) => panic!("accepted: {v:?}"),
            Err(e) => e.message().to_owned(),
        }
    }

    #[test]
    fn messages_name_the_option_as_the_host_spells_it() {
        let wait = |host: &Host, v| {
            let options = ClientOptions {
                rate_limit_max_wait: Some(v),
                ..ClientOptions::default()
            };
            message(options.builder(host).map(|_| ()))
        };
        assert!(wait(&python(), -1.0).starts_with("rate_limit_max_wait must be"));
        assert!(wait(&node(), -1.0).starts_with("rateLimitMaxWait must be"));
        assert!(wait(&node(), -1.0).contains("milliseconds"));
        assert!(wait(&c(), -1.0).starts_with("options.rate_limit_max_wait_secs must be"));
    }

    #[test]
    fn durations_are_in_the_hosts_unit() -> Result<()> {
        let secs = python().duration("timeout", 1.5, false)?;
        let ms = node().duration("timeout", 1500.0, false)?;
        assert_eq!(secs, Duration::from_millis(1500));
        assert_eq!(ms, secs);
        Ok(())
    }

    #[test]
    fn quotas_are_checked_one_by_one_and_named_by_index() {
        let limit = |host: &Host, quotas: Vec<QuotaValue>| {
            RateLimitValue::Quotas(quotas).resolve(host, "rate_limit")
        };
        let bad = vec![
            QuotaValue {
                requests: 5.0,
                window: 1.0,
            },
            QuotaValue {
                requests: 2.5,
                window: 1.0,
            },
        ];
        assert!(message(limit(&node(), bad.clone())).starts_with("rateLimit[1].requests"));
        assert!(message(limit(&python(), bad)).starts_with("rate_limit[1].requests"));
        let zero_window = vec![QuotaValue {
            requests: 5.0,
            window: 0.0,
        }];
        assert!(
            message(limit(&c(), zero_window))
                .starts_with("options.rate_limit_quotas[0].window_secs")
        );
        assert!(message(limit(&python(), Vec::new())).contains("at least one quota"));
    }

    #[test]
    fn a_field_alias_renames_an_items_last_field() {
        let host = node().with_aliases(&[(".window", ".window_ms")]);
        assert_eq!(host.name("rate_limit[2].window"), "rateLimit[2].windowMs");
        assert_eq!(host.name("rate_limit[2].requests"), "rateLimit[2].requests");
        assert_eq!(host.name("timeout"), "timeout");
    }

    #[test]
    fn a_quota_of_zero_requests_is_named() {
        let zero = vec![QuotaValue {
            requests: 0.0,
            window: 1.0,
        }];
        let text = message(RateLimitValue::Quotas(zero).resolve(&c(), "rate_limit"));
        assert!(
            text.starts_with("options.rate_limit_quotas[0].requests must be"),
            "{text}"
        );
    }

    #[test]
    fn retry_policy_in_the_hosts_spelling() -> Result<()> {
        assert_eq!(
            node().retry_policy("retry_policy", "atLeastOnce")?,
            RetryPolicy::AtLeastOnce
        );
        assert!(
            message(python().retry_policy("retry_policy", "atLeastOnce"))
                .starts_with("retry_policy must be \"safe\" or \"at_least_once\"")
        );
        Ok(())
    }

    #[test]
    fn user_agent_is_language_then_the_users_text() {
        assert_eq!(
            python().user_agent(Some(" my-app/2 ")).as_deref(),
            Some("python/3.12.1 my-app/2")
        );
        assert_eq!(python().user_agent(None).as_deref(), Some("python/3.12.1"));
        assert_eq!(node().user_agent(Some("x")).as_deref(), Some("x"));
        assert_eq!(node().user_agent(Some("  ")), None);
    }

    #[test]
    fn a_bad_store_is_named_as_the_host_spells_it() {
        let store = |host: &Host, spec: &str| {
            let options = ClientOptions {
                rate_limit_store: Some(spec.into()),
                ..ClientOptions::default()
            };
            message(options.builder(host).map(|_| ()))
        };
        assert!(store(&node(), "ftp://x").starts_with("rateLimitStore: "));
        let shown = store(&python(), "redis://:hunter2@");
        assert!(shown.starts_with("rate_limit_store: "), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn byte_counts_are_whole_and_positive() {
        assert_eq!(byte_count("m", 1024.0).ok(), Some(1024));
        for bad in [0.0, -1.0, 1.5, f64::NAN, f64::INFINITY, 1e300] {
            assert!(byte_count("m", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn call_options_keep_the_conversation_and_headers() -> Result<()> {
        let options = CallOptions {
            conversation_id: Some("c1".into()),
            timeout: Some(2500.0),
            retry_policy: Some("atLeastOnce".into()),
            headers: vec![("X-Tenant".into(), "t".into())],
            ..CallOptions::default()
        }
        .send_options(&node())?;
        assert_eq!(options.conversation_id.as_deref(), Some("c1"));
        assert_eq!(options.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(options.retry_policy, Some(RetryPolicy::AtLeastOnce));
        assert_eq!(options.headers.len(), 1);
        let bad = CallOptions {
            max_retries: Some(-1.0),
            ..CallOptions::default()
        };
        assert!(message(bad.send_options(&node())).starts_with("maxRetries must be"));
        Ok(())
    }

    #[test]
    fn the_insecure_http_hint_names_the_hosts_option() -> Result<()> {
        let build = |host: &Host, allow: Option<bool>, proxy: Option<&str>| {
            // Through a proxy, even a loopback http base URL needs the option.
            let base_url = match proxy {
                Some(_) => "http://127.0.0.1:8080",
                None => "http://enjo.internal:8080",
            };
            ClientOptions {
                token: Some("t0k3n-value".into()),
                base_url: Some(base_url.into()),
                allow_insecure_http: allow,
                proxy: proxy.map(str::to_owned),
                ..ClientOptions::default()
            }
            .builder(host)
            .and_then(|b: ClientBuilder| b.build())
        };
        for (host, base, insecure) in [
            (python(), "base_url", "allow_insecure_http"),
            (node(), "baseUrl", "allowInsecureHttp"),
            (c(), "options.base_url", "options.allow_insecure_http"),
        ] {
            let text = message(build(&host, None, None));
            assert!(text.starts_with(&format!("{base} ")), "{text}");
            assert!(
                text.contains(&format!("set {insecure} explicitly")),
                "{text}"
            );
            // The option the message names is the one that lets the client be built.
            build(&host, Some(true), None)?;
            let text = message(build(&host, None, Some("http://proxy.internal:3128")));
            assert!(
                text.contains(&format!("set {insecure} explicitly")),
                "{text}"
            );
        }
        Ok(())
    }
}
