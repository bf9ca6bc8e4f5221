//! The client options `rate_limit_store`, `rate_limit_key` and `rate_limit_store_fallback`,
//! resolved into the limiter a client uses.

use crate::config::Options;
use crate::error::Result;

use super::{RateLimit, RateLimiter, StoreSpec};

/// Resolves the store options (explicit ones first, then `ENJO_RATE_LIMIT_STORE` /
/// `ENJO_RATE_LIMIT_KEY` from the builder's environment source) into `options.rate_limiter`,
/// unless a limiter was given explicitly or limiting is off. `origin` is the default key.
pub(crate) fn resolve(options: &mut Options, origin: &str) -> Result<()> {
    let (env_store, env_key) = options.env.read_store();
    let (value, option) = match (&options.rate_limit_store, env_store) {
        (Some(value), _) => (value.0.clone(), "rate_limit_store"),
        (None, Some(value)) => (value.0, super::ENV_STORE),
        (None, None) => return Ok(()),
    };
    let spec = StoreSpec::parse(option, &value)?;
    let key = options
        .rate_limit_key
        .clone()
        .or(env_key)
        .map(|k| k.trim().to_owned())
        .unwrap_or_else(|| origin.to_owned());
    if key.is_empty() || key.contains(['{', '}']) {
        return Err(crate::Error::invalid_argument(
            "rate_limit_key must be non-empty and contain no braces",
        ));
    }
    if options.rate_limiter.is_some() || options.rate_limit == RateLimit::Off {
        return Ok(());
    }
    if matches!(spec, StoreSpec::Memory) {
        return Ok(());
    }
    options.rate_limiter = Some(RateLimiter::for_store(
        &spec,
        &key,
        options.rate_limit_store_fallback,
        options.rate_limit_store_margin,
    )?);
    Ok(())
}
