//! The options layer every binding goes through (`enjo::options::ClientOptions`, applied for
//! each host spelling: Python, Node, C) on arbitrary values, then `build()`.
//!
//! Properties: never a panic; a refusal is an invalid-argument error whose message names an
//! option in the host's spelling; the token never appears in an error, nor in the Debug of a
//! builder or a client.
#![no_main]

use arbitrary::Arbitrary;
use enjo::options::{ClientOptions, Host, QuotaValue, RateLimitValue, TimeUnit};
use enjo::{ErrorKind, Spelling};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "tok-FUZZ-4f9a2c7e1b";

#[derive(Debug, Arbitrary)]
enum RateLimit {
    On,
    Off,
    Quotas(Vec<(f64, f64)>),
}

#[derive(Debug, Arbitrary)]
struct Input {
    host: u8,
    /// Appended to the secret: a token is the secret and what follows.
    token_tail: Option<String>,
    base_url: Option<String>,
    timeout: Option<f64>,
    connect_timeout: Option<f64>,
    max_retries: Option<f64>,
    retry_policy: Option<String>,
    rate_limit: Option<RateLimit>,
    rate_limit_max_wait: Option<f64>,
    deadline: Option<f64>,
    user_agent: Option<String>,
    proxy: Option<String>,
    root_certificate_pem: Option<String>,
    allow_insecure_http: Option<bool>,
    max_response_bytes: Option<f64>,
    rate_limit_store: Option<String>,
    rate_limit_key: Option<String>,
    rate_limit_store_fallback: Option<bool>,
}

fuzz_target!(|input: Input| {
    let host = match input.host % 3 {
        0 => Host::new(Spelling::Snake, TimeUnit::Seconds).with_language("python", "3.12.1"),
        1 => Host::new(Spelling::Camel, TimeUnit::Milliseconds).with_language("node", "20.11.0"),
        _ => Host::new(Spelling::Snake, TimeUnit::Seconds)
            .with_prefix("options.")
            .with_duration_suffix("_secs")
            .with_aliases(&[("rate_limit", "rate_limit_quotas")]),
    };
    // Only meaningful when no other field spells the secret itself.
    let others = [
        &input.base_url,
        &input.retry_policy,
        &input.user_agent,
        &input.proxy,
        &input.root_certificate_pem,
    ];
    let secret_elsewhere = others
        .iter()
        .any(|f| f.as_deref().is_some_and(|s| s.contains("tok-FUZZ")));
    let options = ClientOptions {
        token: Some(format!(
            "{SECRET}{}",
            input.token_tail.as_deref().unwrap_or_default()
        )),
        base_url: input.base_url.clone(),
        timeout: input.timeout,
        connect_timeout: input.connect_timeout,
        max_retries: input.max_retries,
        retry_policy: input.retry_policy.clone(),
        rate_limit: input.rate_limit.map(|r| match r {
            RateLimit::On => RateLimitValue::On,
            RateLimit::Off => RateLimitValue::Off,
            RateLimit::Quotas(q) => RateLimitValue::Quotas(
                q.into_iter()
                    .map(|(requests, window)| QuotaValue { requests, window })
                    .collect(),
            ),
        }),
        rate_limit_max_wait: input.rate_limit_max_wait,
        deadline: input.deadline,
        user_agent: input.user_agent.clone(),
        proxy: input.proxy.clone(),
        root_certificate_pem: input.root_certificate_pem.clone(),
        allow_insecure_http: input.allow_insecure_http,
        max_response_bytes: input.max_response_bytes,
        // The store spec goes to its parser only: a built client with an arbitrary file
        // path would write wherever the input says.
        rate_limit_store: None,
        rate_limit_key: input.rate_limit_key.clone(),
        rate_limit_store_fallback: input.rate_limit_store_fallback,
    };
    if let Some(spec) = &input.rate_limit_store {
        if let Err(err) = enjo::ratelimit::StoreSpec::parse("rate_limit_store", spec) {
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
            if spec.matches(SECRET).count() == 1 && spec.contains(&format!(":{SECRET}@")) {
                assert!(!err.to_string().contains(SECRET), "password in error: {err}");
            }
        }
    }
    let result = options.builder(&host).and_then(|builder| {
        if !secret_elsewhere {
            let debug = format!("{builder:?}");
            assert!(!debug.contains(SECRET), "token in builder Debug: {debug}");
        }
        builder.build()
    });
    match result {
        Ok(client) => {
            if !secret_elsewhere {
                let debug = format!("{client:?}");
                assert!(!debug.contains(SECRET), "token in client Debug: {debug}");
            }
        }
        Err(err) => {
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
            assert!(!err.message().is_empty());
            if !secret_elsewhere {
                for text in [err.to_string(), format!("{err:?}")] {
                    assert!(!text.contains(SECRET), "token in error: {text}");
                }
            }
        }
    }
});
