//! The client options `rate_limit_store`, `rate_limit_key` and `rate_limit_store_fallback`,
//! resolved into the limiter a client uses.

use crate::config::{Options, Secret};
use crate::error::{Error, Result};

use super::{RateLimit, RateLimiter, StoreSpec};

/// The `rate_limit_store` option as the builder holds it: parsed once, by whoever can name the
/// option best in its error (a binding's options layer, in the host's spelling), or by
/// [`resolve`] when given raw to the Rust builder.
#[derive(Clone)]
pub(crate) enum StoreOption {
    /// As given to [`ClientBuilder::rate_limit_store`](crate::ClientBuilder::rate_limit_store)
    /// (it may hold a Redis password).
    Raw(Secret),
    /// Already parsed; `option` is the option's name as the user spelled it.
    Parsed {
        /// The store.
        spec: StoreSpec,
        /// `rate_limit_store`, `rateLimitStore`, `--rate-limit-store`...
        option: String,
    },
}

/// The refusal of a store given while the limiter is off: the store holds the limiter's log,
/// so without a limiter it would silently do nothing.
fn store_without_limiter(option: &str, spec: &StoreSpec) -> Error {
    Error::invalid_argument(format!(
        "{option} needs the rate limiter on; it is off, so the store {spec} would never be \
         used and this process would not share any limit. Remove {option}, or turn the rate \
         limiter on (the documented limits or custom quotas)"
    ))
}

/// Resolves the store options (explicit ones first, then `ENJO_RATE_LIMIT_STORE` /
/// `ENJO_RATE_LIMIT_KEY` from the builder's environment source) into `options.rate_limiter`,
/// unless a limiter was given explicitly. `origin` is the default key. An explicit shared
/// store with the limiter off is refused (`InvalidArgument`); the environment's store is then
/// ignored (it is a default for every client, and this one opted out of limiting).
pub(crate) fn resolve(options: &mut Options, origin: &str) -> Result<()> {
    let (env_store, env_key) = options.env.read_store();
    let (spec, explicit) = match (&options.rate_limit_store, env_store) {
        (Some(StoreOption::Parsed { spec, option }), _) => (spec.clone(), Some(option.clone())),
        (Some(StoreOption::Raw(value)), _) => (
            StoreSpec::parse("rate_limit_store", &value.0)?,
            Some("rate_limit_store".to_owned()),
        ),
        (None, Some(value)) => (StoreSpec::parse(super::ENV_STORE, &value.0)?, None),
        (None, None) => return Ok(()),
    };
    let key = options
        .rate_limit_key
        .clone()
        .or(env_key)
        .map(|k| k.trim().to_owned())
        .unwrap_or_else(|| origin.to_owned());
    if key.is_empty() || key.contains(['{', '}']) {
        return Err(Error::invalid_argument(
            "rate_limit_key must be non-empty and contain no braces",
        ));
    }
    if matches!(spec, StoreSpec::Memory) {
        return Ok(());
    }
    if options.rate_limit == RateLimit::Off {
        return match explicit {
            Some(option) => Err(store_without_limiter(&option, &spec)),
            None => Ok(()),
        };
    }
    if options.rate_limiter.is_some() {
        return Ok(());
    }
    options.rate_limiter = Some(RateLimiter::for_store_trusting(
        &spec,
        &key,
        options.rate_limit_store_fallback,
        options.rate_limit_store_margin,
        &options.root_certificates_pem,
    )?);
    Ok(())
}
