//! `enjo::Error` → an instance of the matching Python class of `enjo._exceptions`, and panics →
//! `enjo.EnjoError` (never pyo3's `PanicException`, which escapes `except Exception`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

/// The Python module defining the exception classes (pure Python: `InvalidArgumentError` must
/// also be a `ValueError`, `APITimeoutError` a `TimeoutError`).
const EXCEPTIONS_MODULE: &str = "enjo._exceptions";

static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn exceptions(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    EXCEPTIONS
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import(EXCEPTIONS_MODULE)?.unbind())
        })
        .map(|m| m.bind(py))
}

/// The fields of an SDK error, ready to become a Python exception. Built without the GIL.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorFields {
    /// Python class name (`RateLimitError`, ... or `EnjoError` for a bug).
    pub class: &'static str,
    /// `str(error)`: what happened and what to do next.
    pub text: String,
    /// The message alone (the server's, or the core's).
    pub message: String,
    /// `rate_limited`, `timeout`, ... (`internal` for a bug).
    pub kind: &'static str,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub body: Option<String>,
    /// Seconds.
    pub retry_after: Option<f64>,
    pub request_id: Option<String>,
}

impl From<&enjo::Error> for ErrorFields {
    fn from(err: &enjo::Error) -> ErrorFields {
        ErrorFields {
            class: err.kind().class_name(),
            text: err.to_string(),
            message: err.message().to_owned(),
            kind: err.kind().as_str(),
            status: err.status(),
            code: err.code().map(str::to_owned),
            body: err.body().map(str::to_owned),
            retry_after: err.retry_after().map(|d| d.as_secs_f64()),
            request_id: err.request_id().map(str::to_owned),
        }
    }
}

impl ErrorFields {
    /// An internal failure (a panic): reported as the base `EnjoError`.
    pub fn bug(what: &str) -> ErrorFields {
        let message = format!("internal error in enjo: {what} (this is a bug; please report it)");
        ErrorFields {
            class: "EnjoError",
            text: message.clone(),
            message,
            kind: "internal",
            status: None,
            code: None,
            body: None,
            retry_after: None,
            request_id: None,
        }
    }

    /// The Python exception instance.
    pub fn to_pyerr(&self, py: Python<'_>) -> PyErr {
        match self.instantiate(py) {
            Ok(err) => err,
            // Only if `enjo._exceptions` cannot be imported (a broken install).
            Err(import_failure) => import_failure,
        }
    }

    fn instantiate(&self, py: Python<'_>) -> PyResult<PyErr> {
        let class = exceptions(py)?.getattr(self.class)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("message", &self.message)?;
        kwargs.set_item("kind", self.kind)?;
        kwargs.set_item("status", self.status)?;
        kwargs.set_item("code", self.code.as_deref())?;
        kwargs.set_item("body", self.body.as_deref())?;
        kwargs.set_item("retry_after", self.retry_after)?;
        kwargs.set_item("request_id", self.request_id.as_deref())?;
        let instance = class.call((&self.text,), Some(&kwargs))?;
        Ok(PyErr::from_value(instance))
    }
}

/// `enjo::Error` → Python exception.
pub fn to_pyerr(py: Python<'_>, err: &enjo::Error) -> PyErr {
    ErrorFields::from(err).to_pyerr(py)
}

/// An `InvalidArgumentError` with this message.
pub fn invalid(message: impl Into<String>) -> enjo::Error {
    enjo::Error::invalid_argument(message)
}

/// The text of a panic's payload (its message, from [`enjo::unwind::panic_message`]).
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    format!("panic: {}", enjo::unwind::panic_message(payload))
}

/// Runs `f`, turning a panic into an `EnjoError` (the body of every exported function runs in
/// it, so that no panic reaches pyo3's own `PanicException`).
pub fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(ErrorFields::bug(&panic_text(payload.as_ref())).to_pyerr(py)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn fields_keep_everything_and_retry_after_is_in_seconds() {
        let err = enjo::Error::from_response(
            429,
            Some("rate_limit_error".into()),
            "Rate limit exceeded".into(),
            r#"{"code":"rate_limit_error"}"#.into(),
            Some(Duration::from_millis(2500)),
            Some("req-7".into()),
        );
        let f = ErrorFields::from(&err);
        assert_eq!(f.class, "RateLimitError");
        assert_eq!(f.kind, "rate_limited");
        assert_eq!(f.status, Some(429));
        assert_eq!(f.code.as_deref(), Some("rate_limit_error"));
        assert_eq!(f.message, "Rate limit exceeded");
        assert_eq!(f.retry_after, Some(2.5));
        assert_eq!(f.request_id.as_deref(), Some("req-7"));
        assert!(f.text.contains("req-7"), "{}", f.text);
        assert!(
            f.text.starts_with("HTTP 429 rate_limit_error"),
            "{}",
            f.text
        );
    }

    #[test]
    fn panics_read_as_bugs() {
        let payload: Box<dyn std::any::Any + Send> = Box::new("boom");
        assert_eq!(panic_text(payload.as_ref()), "panic: boom");
        let bug = ErrorFields::bug("panic: boom");
        assert_eq!(bug.class, "EnjoError");
        assert!(bug.message.contains("this is a bug"));
    }
}
