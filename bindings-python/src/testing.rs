//! The testing kit's native half (`enjo._enjo.Mock`, `enjo._enjo._mock_main`): the
//! `enjo-mock` server in-process, on a runtime thread of its own (`enjo_mock::Kit`).
//! `enjo.testing.MockServer` and `python -m enjo.mock` wrap it.

use std::path::PathBuf;
use std::sync::Mutex;

use enjo_mock::{Kit, KitOptions};
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;

use crate::errors::{guard, invalid, to_pyerr};

/// A running mock server (see `enjo.testing.MockServer`).
#[pyclass(frozen, module = "enjo._enjo")]
pub struct Mock {
    kit: Mutex<Kit>,
    url: String,
    token: String,
    port: u16,
}

impl Mock {
    fn with_kit<T>(&self, f: impl FnOnce(&mut Kit) -> T) -> T {
        let mut kit = self.kit.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut kit)
    }
}

#[pymethods]
impl Mock {
    /// Starts the server on 127.0.0.1 and a free port.
    #[new]
    #[pyo3(signature = (*, rate_limit=None, bots_file=None, fault_bots=None, token=None))]
    fn new(
        py: Python<'_>,
        rate_limit: Option<String>,
        bots_file: Option<PathBuf>,
        fault_bots: Option<Vec<(String, String)>>,
        token: Option<String>,
    ) -> PyResult<Mock> {
        guard(py, || {
            let options = KitOptions {
                rate_limit,
                bots_file,
                fault_bots: fault_bots.unwrap_or_default(),
                token,
            };
            options
                .config()
                .map_err(|message| to_pyerr(py, &invalid(message)))?;
            let kit = py
                .detach(|| Kit::start(&options))
                .map_err(PyOSError::new_err)?;
            Ok(Mock {
                url: kit.url().to_owned(),
                token: kit.token().to_owned(),
                port: kit.port(),
                kit: Mutex::new(kit),
            })
        })
    }

    /// `http://127.0.0.1:PORT`.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The accepted token.
    #[getter]
    fn token(&self) -> &str {
        &self.token
    }

    /// The port.
    #[getter]
    fn port(&self) -> u16 {
        self.port
    }

    /// The requests received, as a JSON array.
    fn requests_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || Ok(self.with_kit(|kit| kit.requests_json())))
    }

    /// The tickets created, as a JSON array.
    fn tickets_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || Ok(self.with_kit(|kit| kit.tickets_json())))
    }

    /// Queues a fault.
    #[pyo3(signature = (fault, bot_id=None, times=None))]
    fn add_fault(
        &self,
        py: Python<'_>,
        fault: &str,
        bot_id: Option<&str>,
        times: Option<u32>,
    ) -> PyResult<()> {
        guard(py, || {
            self.with_kit(|kit| kit.add_fault(fault, bot_id, times))
                .map_err(|message| to_pyerr(py, &invalid(message)))
        })
    }

    /// Forgets requests, tickets, conversations, faults and rate-limit windows.
    fn reset(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || {
            self.with_kit(|kit| kit.reset());
            Ok(())
        })
    }

    /// Stops the server (idempotent).
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || {
            py.detach(|| self.with_kit(Kit::stop));
            Ok(())
        })
    }

    fn __repr__(&self) -> String {
        format!("<enjo._enjo.Mock url={:?}>", self.url)
    }
}

/// Runs the mock as a command until SIGINT/SIGTERM; returns the exit status.
#[pyfunction]
pub fn _mock_main(py: Python<'_>, name: String, args: Vec<String>) -> PyResult<i32> {
    guard(py, || {
        Ok(py.detach(|| enjo_mock::kit::main_with_args(&name, args)))
    })
}
