//! Python option values (seconds as floats, `rate_limit=True|False|[(n, seconds), ...]`,
//! `retry_policy="safe"|"at_least_once"`) → the core's builder settings.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PySequence};

use crate::errors::invalid;

/// Seconds → `Duration`; `allow_zero` for bounds such as the limiter's maximum wait.
pub fn seconds(name: &str, secs: f64, allow_zero: bool) -> enjo::Result<Duration> {
    let ok = secs.is_finite() && (secs > 0.0 || (allow_zero && secs == 0.0));
    let duration = if ok {
        Duration::try_from_secs_f64(secs).ok()
    } else {
        None
    };
    duration.ok_or_else(|| {
        let bound = if allow_zero { "0 or more" } else { "above 0" };
        invalid(format!(
            "{name} must be a finite number of seconds, {bound} (got {secs})"
        ))
    })
}

/// A non-negative retry count.
pub fn retries(name: &str, value: i64) -> enjo::Result<u32> {
    u32::try_from(value).map_err(|_| {
        invalid(format!(
            "{name} must be an integer from 0 to {} (got {value})",
            u32::MAX
        ))
    })
}

/// `"safe"` or `"at_least_once"`.
pub fn retry_policy(value: &str) -> enjo::Result<enjo::RetryPolicy> {
    match value {
        "safe" => Ok(enjo::RetryPolicy::Safe),
        "at_least_once" => Ok(enjo::RetryPolicy::AtLeastOnce),
        other => Err(invalid(format!(
            "retry_policy must be \"safe\" or \"at_least_once\" (got {other:?})"
        ))),
    }
}

/// One quota as Python gives it: `(requests, window_seconds)`.
pub fn quota(requests: i64, window_secs: f64) -> enjo::Result<enjo::Quota> {
    let requests = u32::try_from(requests)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            invalid(format!(
                "rate_limit quotas need a positive number of requests (got {requests})"
            ))
        })?;
    let window = seconds("a rate_limit window", window_secs, false)?;
    Ok(enjo::Quota::new(requests, window))
}

/// `True` (documented limits), `False` (off) or a sequence of `(requests, window_seconds)`.
pub fn rate_limit(value: &Bound<'_, PyAny>) -> PyResult<Result<enjo::RateLimit, enjo::Error>> {
    const SHAPE: &str =
        "rate_limit must be True, False or a list of (requests, window_seconds) pairs";
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Ok(if flag.is_true() {
            enjo::RateLimit::Documented
        } else {
            enjo::RateLimit::Off
        }));
    }
    let Ok(items) = value.cast::<PySequence>() else {
        return Ok(Err(invalid(SHAPE)));
    };
    if value.is_instance_of::<pyo3::types::PyString>() {
        return Ok(Err(invalid(SHAPE)));
    }
    let mut quotas = Vec::new();
    for item in items.try_iter()? {
        let item = item?;
        let Ok((requests, window)) = item.extract::<(i64, f64)>() else {
            return Ok(Err(invalid(SHAPE)));
        };
        match quota(requests, window) {
            Ok(q) => quotas.push(q),
            Err(e) => return Ok(Err(e)),
        }
    }
    if quotas.is_empty() {
        return Ok(Err(invalid(
            "rate_limit needs at least one (requests, window_seconds) pair; use False to turn it off",
        )));
    }
    Ok(Ok(enjo::RateLimit::Custom(quotas)))
}

/// Per-call overrides.
pub fn send_options(
    conversation_id: Option<String>,
    timeout: Option<f64>,
    max_retries: Option<i64>,
) -> enjo::Result<enjo::SendOptions> {
    let mut out = enjo::SendOptions::new();
    if let Some(id) = conversation_id {
        out = out.conversation_id(id);
    }
    if let Some(secs) = timeout {
        out = out.timeout(seconds("timeout", secs, false)?);
    }
    if let Some(n) = max_retries {
        out = out.max_retries(retries("max_retries", n)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_become_durations_and_bad_values_are_invalid_arguments() {
        assert_eq!(
            seconds("timeout", 1.5, false).ok(),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(seconds("wait", 0.0, true).ok(), Some(Duration::ZERO));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::MAX] {
            let Err(err) = seconds("timeout", bad, false) else {
                panic!("{bad} was accepted");
            };
            assert_eq!(err.kind(), enjo::ErrorKind::InvalidArgument);
            assert!(err.message().starts_with("timeout must be"), "{err}");
        }
    }

    #[test]
    fn retries_and_policies() -> enjo::Result<()> {
        assert_eq!(retries("max_retries", 0)?, 0);
        assert!(retries("max_retries", -1).is_err());
        assert!(retries("max_retries", 1 << 40).is_err());
        assert_eq!(
            retry_policy("at_least_once")?,
            enjo::RetryPolicy::AtLeastOnce
        );
        assert!(retry_policy("atLeastOnce").is_err());
        Ok(())
    }

    #[test]
    fn quotas_need_requests_and_a_window() -> enjo::Result<()> {
        assert_eq!(
            quota(5, 0.2)?,
            enjo::Quota::new(5, Duration::from_millis(200))
        );
        assert!(quota(0, 1.0).is_err());
        assert!(quota(-3, 1.0).is_err());
        assert!(quota(5, 0.0).is_err());
        Ok(())
    }
}
