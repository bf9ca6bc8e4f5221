//! Python's shapes of option values → the core's host values ([`enjo::options`]), which check
//! ranges and spell the messages: `rate_limit=True|False|[(n, seconds), ...]` and `headers=`
//! (a mapping or a list of `(name, value)` pairs).
//!
//! A value of the wrong *type* is a `TypeError` (as in the rest of Python); a value of the
//! right type that is out of range is the core's `InvalidArgumentError` (a `ValueError`).

use enjo::options::{Host, QuotaValue, RateLimitValue, TimeUnit};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyMapping, PySequence, PyString};

use crate::errors::invalid;

/// What `rate_limit=` accepts, for the messages.
const SHAPE: &str = "rate_limit must be True, False or a list of (requests, window_seconds) pairs";

/// What `headers=` accepts, for the messages.
const HEADERS: &str = "headers must be a mapping or a list of (name, value) pairs of str";

static HOST: PyOnceLock<Host> = PyOnceLock::new();

/// Python's host: snake_case names, seconds, and `python/<platform.python_version()>` in the
/// `User-Agent`.
pub fn host(py: Python<'_>) -> PyResult<&Host> {
    HOST.get_or_try_init(py, || {
        let version: String = py
            .import("platform")?
            .call_method0("python_version")?
            .extract()?;
        Ok(Host::new(enjo::Spelling::Snake, TimeUnit::Seconds).with_language("python", &version))
    })
}

/// A number for a quota (`int` or `float`, not `bool`); `None` when it is not one.
fn number(value: &Bound<'_, PyAny>) -> Option<f64> {
    if value.is_instance_of::<PyBool>() {
        return None;
    }
    // Only real numbers: `float("5")` works on a str, which must stay a type error.
    let is_number = value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>();
    is_number.then(|| value.extract::<f64>().ok()).flatten()
}

fn is_text(value: &Bound<'_, PyAny>) -> bool {
    value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyByteArray>()
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

/// `True` (documented limits), `False` (off) or a sequence of `(requests, window_seconds)`
/// pairs, each any 2-item sequence of numbers (`(5, 1.0)`, `[5, 1.0]`). The outer `Err` is a
/// `TypeError` (wrong shape); the inner one an `InvalidArgumentError` (a pair of 3 items).
pub fn rate_limit(value: &Bound<'_, PyAny>) -> PyResult<enjo::Result<RateLimitValue>> {
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Ok(if flag.is_true() {
            RateLimitValue::On
        } else {
            RateLimitValue::Off
        }));
    }
    let type_error = |what: String| PyTypeError::new_err(format!("{SHAPE} ({what})"));
    let items = match value.cast::<PySequence>() {
        Ok(items) if !is_text(value) => items,
        _ => return Err(type_error(format!("got {}", type_name(value)))),
    };
    let mut quotas = Vec::new();
    for item in items.try_iter()? {
        let item = item?;
        let pair = match item.cast::<PySequence>() {
            Ok(pair) if !is_text(&item) => pair,
            _ => {
                return Err(type_error(format!(
                    "got a {} in the list",
                    type_name(&item)
                )));
            }
        };
        let len = pair.len()?;
        if len != 2 {
            return Ok(Err(invalid(format!(
                "{SHAPE}: each pair has 2 items (got {len})"
            ))));
        }
        let (requests, window) = (pair.get_item(0)?, pair.get_item(1)?);
        let (Some(n), Some(w)) = (number(&requests), number(&window)) else {
            return Err(type_error(format!(
                "got a pair of {} and {}",
                type_name(&requests),
                type_name(&window)
            )));
        };
        quotas.push(QuotaValue {
            requests: n,
            window: w,
        });
    }
    Ok(Ok(RateLimitValue::Quotas(quotas)))
}

/// `headers=`: a mapping (`{"X-Tenant": "t"}`) or an iterable of `(name, value)` pairs, each
/// a `str`; in order. Anything else is a `TypeError`; the core checks names and values.
pub fn headers(value: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let type_error = |what: String| PyTypeError::new_err(format!("{HEADERS} ({what})"));
    let pairs = if let Ok(mapping) = value.cast::<PyMapping>() {
        mapping.items()?.into_any()
    } else if is_text(value) {
        return Err(type_error(format!("got {}", type_name(value))));
    } else {
        value.clone()
    };
    let iter = pairs
        .try_iter()
        .map_err(|_| type_error(format!("got {}", type_name(value))))?;
    let mut out = Vec::new();
    for item in iter {
        let item = item?;
        let pair = match item.cast::<PySequence>() {
            Ok(pair) if !is_text(&item) && pair.len()? == 2 => pair,
            _ => {
                return Err(type_error(format!(
                    "got a {} in the list",
                    type_name(&item)
                )));
            }
        };
        let (name, value) = (pair.get_item(0)?, pair.get_item(1)?);
        match (name.cast::<PyString>(), value.cast::<PyString>()) {
            (Ok(name), Ok(value)) => {
                out.push((name.to_cow()?.into_owned(), value.to_cow()?.into_owned()))
            }
            _ => {
                return Err(type_error(format!(
                    "got a pair of {} and {}",
                    type_name(&name),
                    type_name(&value)
                )));
            }
        }
    }
    Ok(out)
}
