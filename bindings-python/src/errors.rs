//! `enjo::Error` (through its [`enjo::ErrorView`]) → an instance of the matching Python class of
//! `enjo._exceptions`, and panics → `enjo.InternalError` (never pyo3's `PanicException`, which
//! escapes `except Exception`).

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

/// `enjo::Error` → an instance of its Python class, built from its [`enjo::ErrorView`].
pub fn to_pyerr(py: Python<'_>, err: &enjo::Error) -> PyErr {
    match instantiate(py, &err.view()) {
        Ok(err) => err,
        // Only if `enjo._exceptions` cannot be imported (a broken install).
        Err(import_failure) => import_failure,
    }
}

fn instantiate(py: Python<'_>, view: &enjo::ErrorView) -> PyResult<PyErr> {
    let class = exceptions(py)?.getattr(view.class_name)?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("message", &view.message)?;
    kwargs.set_item("kind", view.kind_name)?;
    kwargs.set_item("status", view.status)?;
    kwargs.set_item("code", view.code.as_deref())?;
    kwargs.set_item("body", view.body.as_deref())?;
    kwargs.set_item("retry_after", view.retry_after)?;
    kwargs.set_item("request_id", view.request_id.as_deref())?;
    kwargs.set_item("server_request_id", view.server_request_id.as_deref())?;
    kwargs.set_item("may_have_been_sent", view.may_have_been_sent)?;
    let instance = class.call((&view.display,), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}

/// An `InvalidArgumentError` with this message.
pub fn invalid(message: impl Into<String>) -> enjo::Error {
    enjo::Error::invalid_argument(message)
}

/// Runs `f`, turning a panic into an `InternalError` (the body of every exported function runs
/// in it, so that no panic reaches pyo3's own `PanicException`).
pub fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(to_pyerr(py, &enjo::Error::from_panic(payload.as_ref()))),
    }
}
