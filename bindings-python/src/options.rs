//! Python option values (seconds as floats, `rate_limit=True|False|[(n, seconds), ...]`,
//! `retry_policy="safe"|"at_least_once"`) → the core's builder settings.
//!
//! The checks themselves are the core's (`enjo::validate`, `enjo::Quota::from_count`), shared by
//! every binding; this module only spells Python's names and shapes. A value of the wrong
//! *type* is a `TypeError` (as in the rest of Python); a value of the right type that is out of
//! range is an `InvalidArgumentError` (a `ValueError`).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PySequence, PyString};

use crate::errors::invalid;

/// What `rate_limit=` accepts, for the messages.
const SHAPE: &str = "rate_limit must be True, False or a list of (requests, window_seconds) pairs";

/// One quota from Python numbers: `requests` a whole number from 1, `window_secs` above 0.
pub fn quota(requests: f64, window_secs: f64) -> enjo::Result<enjo::Quota> {
    let window = enjo::validate::seconds("a rate_limit window", window_secs, false)?;
    enjo::Quota::from_count("a rate_limit quota's requests", requests, window)
}

/// A number for a quota (`int` or `float`, not `bool`); `None` when it is not one.
fn number(value: &Bound<'_, PyAny>) -> Option<f64> {
    if value.is_instance_of::<PyBool>() {
        return None;
    }
    // Only real numbers: `float("5")` works on a str, which must stay a type error.
    let is_number = value.is_instance_of::<pyo3::types::PyInt>()
        || value.is_instance_of::<pyo3::types::PyFloat>();
    is_number.then(|| value.extract::<f64>().ok()).flatten()
}

fn is_text(value: &Bound<'_, PyAny>) -> bool {
    value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyByteArray>()
}

/// `True` (documented limits), `False` (off) or a sequence of `(requests, window_seconds)`
/// pairs, each any 2-item sequence of numbers (`(5, 1.0)`, `[5, 1.0]`). The outer `Err` is a
/// `TypeError` (wrong shape); the inner one an `InvalidArgumentError` (bad numbers).
pub fn rate_limit(value: &Bound<'_, PyAny>) -> PyResult<Result<enjo::RateLimit, enjo::Error>> {
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Ok(if flag.is_true() {
            enjo::RateLimit::Documented
        } else {
            enjo::RateLimit::Off
        }));
    }
    let type_error = |what: String| PyTypeError::new_err(format!("{SHAPE} ({what})"));
    let type_name = |v: &Bound<'_, PyAny>| {
        v.get_type()
            .name()
            .map_or_else(|_| "?".to_owned(), |n| n.to_string())
    };
    if is_text(value) {
        return Err(type_error(format!("got {}", type_name(value))));
    }
    let Ok(items) = value.cast::<PySequence>() else {
        return Err(type_error(format!("got {}", type_name(value))));
    };
    let mut quotas = Vec::new();
    for item in items.try_iter()? {
        let item = item?;
        let pair = if is_text(&item) {
            None
        } else {
            item.cast::<PySequence>().ok()
        };
        let Some(pair) = pair else {
            return Err(type_error(format!(
                "got a {} in the list",
                type_name(&item)
            )));
        };
        let len = pair.len()?;
        if len != 2 {
            return Ok(Err(invalid(format!(
                "{SHAPE}: each pair has 2 items (got {len})"
            ))));
        }
        let (requests, window) = (pair.get_item(0)?, pair.get_item(1)?);
        let (Some(requests), Some(window)) = (number(&requests), number(&window)) else {
            return Err(type_error(format!(
                "got a pair of {} and {}",
                type_name(&requests),
                type_name(&window)
            )));
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
        out = out.timeout(enjo::validate::seconds("timeout", secs, false)?);
    }
    if let Some(n) = max_retries {
        out = out.max_retries(enjo::validate::count_int("max_retries", n)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn quotas_need_requests_and_a_window() -> enjo::Result<()> {
        assert_eq!(
            quota(5.0, 0.2)?,
            enjo::Quota::new(5, Duration::from_millis(200))
        );
        for (n, w) in [
            (0.0, 1.0),
            (-3.0, 1.0),
            (2.5, 1.0),
            (5.0, 0.0),
            (5.0, f64::NAN),
        ] {
            let Err(err) = quota(n, w) else {
                panic!("({n}, {w}) was accepted");
            };
            assert_eq!(err.kind(), enjo::ErrorKind::InvalidArgument);
        }
        let Err(err) = quota(5.0, -1.0) else {
            panic!("a negative window was accepted");
        };
        assert!(err.message().starts_with("a rate_limit window"), "{err}");
        Ok(())
    }

    #[test]
    fn per_call_options_name_the_python_keywords() {
        let Err(err) = send_options(None, Some(0.0), None) else {
            panic!("timeout=0 was accepted");
        };
        assert!(err.message().starts_with("timeout must be"), "{err}");
        let Err(err) = send_options(None, None, Some(-1)) else {
            panic!("max_retries=-1 was accepted");
        };
        assert!(err.message().starts_with("max_retries must be"), "{err}");
        assert!(send_options(Some("c".into()), Some(1.5), Some(0)).is_ok());
    }
}
