//! The native half of the Python package `enjo` (module `enjo._enjo`): converts options,
//! replies and errors between Python and the `enjo` core crate, nothing else.
//!
//! - `Client` wraps `enjo::Client`. `send` is the blocking call: it releases the GIL
//!   (`py.detach`) and runs the request on the calling thread's own runtime
//!   ([`enjo::blocking::block_on`], fork-safe). On Python's main thread it runs through
//!   [`enjo::blocking::block_on_interruptible`], which checks Python's signal handlers every
//!   100 ms, so Ctrl-C interrupts a long call. `start` is the async call (see `bridge`).
//! - Replies are the classes of `models`; errors become the classes of `enjo._exceptions`
//!   (`errors`). Every exported method, getter and constructor runs in `guard`: a panic
//!   anywhere becomes `enjo.EnjoError`, never pyo3's `PanicException`.
//! - Logging goes through the core's observer to the Python logger `enjo` (`logging`).

#![deny(clippy::unwrap_used, clippy::expect_used)]

mod bridge;
mod errors;
mod logging;
mod models;
mod options;
mod testing;

use std::cell::Cell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use enjo::blocking::Interruptible;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::bridge::{Completions, Task};
use crate::errors::{guard, to_pyerr};
use crate::logging::{CallLog, Logged, Sink};
use crate::models::{MessageResponse, Source, Ticket};

/// How often a blocking call on the main thread checks for signals (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

thread_local! {
    /// Whether this thread is Python's main thread, with the process (its fork epoch: no
    /// `getpid` per call) it was found in (a fork makes the forking thread the child's main
    /// thread).
    static IS_MAIN: Cell<Option<(u64, bool)>> = const { Cell::new(None) };
}

/// Whether the calling thread is Python's main thread: the only one whose blocking calls need
/// to run signal handlers (Python runs them there only). Asked of `threading` once per thread
/// and process, whichever thread imported the module; a failure to ask means "no".
fn on_main_thread(py: Python<'_>) -> bool {
    let pid = enjo::process::fork_epoch();
    if let Some((seen, main)) = IS_MAIN.with(Cell::get)
        && seen == pid
    {
        return main;
    }
    let main = (|| {
        let threading = py.import("threading")?;
        let main = threading.call_method0("main_thread")?.getattr("ident")?;
        let current = threading.call_method0("get_ident")?;
        main.eq(current)
    })()
    .unwrap_or(false);
    IS_MAIN.with(|c| c.set(Some((pid, main))));
    main
}

/// Runs a request from blocking code with the GIL released. A panic becomes an `EnjoError`;
/// on the main thread, a signal handler that raises (`KeyboardInterrupt`) abandons the request
/// (its future is dropped) and the exception propagates.
fn block<F>(py: Python<'_>, request: F) -> PyResult<enjo::MessageResponse>
where
    F: Future<Output = enjo::Result<enjo::MessageResponse>> + Send,
{
    let interruptible = on_main_thread(py);
    let ended = py.detach(|| {
        catch_unwind(AssertUnwindSafe(|| {
            if interruptible {
                enjo::blocking::block_on_interruptible(request, SIGNAL_CHECK, || {
                    Python::attach(|py| py.check_signals().err())
                })
            } else {
                Interruptible::Finished(enjo::blocking::block_on(request))
            }
        }))
    });
    match ended {
        Ok(Interruptible::Finished(done)) => done.map_err(|err| to_pyerr(py, &err)),
        Ok(Interruptible::Interrupted(err)) => Err(err),
        Err(payload) => Err(to_pyerr(py, &enjo::Error::from_panic(payload.as_ref()))),
    }
}

/// The native client; `enjo.Enjo` and `enjo.AsyncEnjo` wrap it.
#[pyclass(frozen, weakref, module = "enjo._enjo")]
struct Client {
    inner: enjo::Client,
}

impl Client {
    fn call_log(&self, level: i64, bot_id: &str, sink: Sink) -> Option<Arc<CallLog>> {
        log_for(&self.inner, level, bot_id, sink)
    }
}

/// The logging of one call (`None` when `level` is 0: the logger is off).
fn log_for(client: &enjo::Client, level: i64, bot_id: &str, sink: Sink) -> Option<Arc<CallLog>> {
    if level <= 0 {
        return None;
    }
    CallLog::new(level, &client.message_path(bot_id), sink)
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (
        *, token=None, base_url=None, timeout=None, connect_timeout=None, max_retries=None,
        retry_policy=None, rate_limit=None, rate_limit_max_wait=None, deadline=None,
        user_agent=None, proxy=None, root_certificate_pem=None, allow_insecure_http=None,
        max_response_bytes=None, rate_limit_store=None, rate_limit_key=None,
        rate_limit_store_fallback=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        token: Option<String>,
        base_url: Option<String>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        max_retries: Option<i64>,
        retry_policy: Option<String>,
        rate_limit: Option<Bound<'_, PyAny>>,
        rate_limit_max_wait: Option<f64>,
        deadline: Option<f64>,
        user_agent: Option<String>,
        proxy: Option<String>,
        root_certificate_pem: Option<String>,
        allow_insecure_http: Option<bool>,
        max_response_bytes: Option<i64>,
        rate_limit_store: Option<String>,
        rate_limit_key: Option<String>,
        rate_limit_store_fallback: Option<bool>,
    ) -> PyResult<Client> {
        guard(py, || {
            let host = options::host(py)?;
            let rate_limit = rate_limit.map(|v| options::rate_limit(&v)).transpose()?;
            let built = rate_limit.transpose().and_then(|rate_limit| {
                enjo::options::ClientOptions {
                    token,
                    base_url,
                    timeout,
                    connect_timeout,
                    max_retries: max_retries.map(|n| n as f64),
                    retry_policy,
                    rate_limit,
                    rate_limit_max_wait,
                    deadline,
                    user_agent,
                    proxy,
                    root_certificate_pem,
                    allow_insecure_http,
                    max_response_bytes: max_response_bytes.map(|n| n as f64),
                    rate_limit_store,
                    rate_limit_key,
                    rate_limit_store_fallback,
                }
                .apply(host, enjo::Client::builder().observer(logging::observe))?
                .build()
            });
            match built {
                Ok(inner) => Ok(Client { inner }),
                Err(err) => Err(to_pyerr(py, &err)),
            }
        })
    }

    /// Closes the client: every handle and conversation of it; idle connections are released,
    /// running calls finish, later calls raise. Idempotent.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || {
            self.inner.close();
            Ok(())
        })
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        guard(py, || Ok(self.inner.is_closed()))
    }

    /// The base URL requests go to (normalised, no trailing slash).
    #[getter]
    fn base_url(&self, py: Python<'_>) -> PyResult<&str> {
        guard(py, || Ok(self.inner.base_url()))
    }

    /// The client's settings as built, in Python's units and spellings (no secrets):
    /// `timeout`, `connect_timeout`, `rate_limit_max_wait` (seconds or `None`), `max_retries`,
    /// `retry_policy`, `rate_limit` (`True`, `False` or a list of `(requests, seconds)`).
    #[getter]
    fn settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || {
            let s = &self.inner;
            let d = PyDict::new(py);
            d.set_item("timeout", s.timeout().as_secs_f64())?;
            d.set_item("connect_timeout", s.connect_timeout().as_secs_f64())?;
            d.set_item("max_retries", s.max_retries())?;
            d.set_item("retry_policy", s.retry_policy().name(enjo::Spelling::Snake))?;
            match s.rate_limit() {
                enjo::RateLimit::Off => d.set_item("rate_limit", false)?,
                enjo::RateLimit::Custom(quotas) => {
                    let list = PyList::empty(py);
                    for q in quotas {
                        list.append((q.requests, q.window.as_secs_f64()))?;
                    }
                    d.set_item("rate_limit", list)?;
                }
                // Documented (and any future setting): Enjo's own limits.
                _ => d.set_item("rate_limit", true)?,
            }
            d.set_item(
                "rate_limit_max_wait",
                s.rate_limit_max_wait().map(|w| w.as_secs_f64()),
            )?;
            Ok(d)
        })
    }

    /// The core client's own description (its `Debug`, without secrets).
    fn describe(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || Ok(format!("{:?}", self.inner)))
    }

    /// Sends `text` to `bot_id` and waits for the reply, with the GIL released. `log` is the
    /// `enjo` logger's threshold (0: off; `logging.INFO`; `logging.DEBUG`).
    #[pyo3(signature = (bot_id, text, options=None, log=0))]
    fn send(
        &self,
        py: Python<'_>,
        bot_id: String,
        text: String,
        options: Option<&CallOptions>,
        log: i64,
    ) -> PyResult<MessageResponse> {
        guard(py, || {
            let options = CallOptions::or_default(options);
            let log = self.call_log(log, &bot_id, Sink::Direct);
            let request = self.inner.send_message_with(&bot_id, &text, &options);
            Ok(MessageResponse::from(block(py, Logged::new(request, log))?))
        })
    }

    /// Starts sending `text` to `bot_id` on the SDK's runtime; the outcome settles `future`
    /// (an `asyncio.Future` of the loop that owns `completions`), and log records go through
    /// the same queue to the loop's thread.
    #[pyo3(signature = (completions, future, bot_id, text, options=None, log=0))]
    #[allow(clippy::too_many_arguments)]
    fn start(
        &self,
        py: Python<'_>,
        completions: &Completions,
        future: Py<PyAny>,
        bot_id: String,
        text: String,
        options: Option<&CallOptions>,
        log: i64,
    ) -> PyResult<Task> {
        guard(py, || {
            let options = CallOptions::or_default(options);
            let client = self.inner.clone();
            let log = self.call_log(log, &bot_id, Sink::Queue(completions.log_queue()));
            Ok(bridge::spawn(completions, future, async move {
                Logged::new(client.send_message_with(&bot_id, &text, &options), log).await
            }))
        })
    }

    /// A conversation with `bot_id`, continuing `conversation_id` when given.
    #[pyo3(signature = (bot_id, conversation_id=None))]
    fn conversation(
        &self,
        py: Python<'_>,
        bot_id: String,
        conversation_id: Option<String>,
    ) -> PyResult<Conversation> {
        guard(py, || {
            let inner = match conversation_id {
                Some(id) => self.inner.resume_conversation(bot_id, id),
                None => self.inner.conversation(bot_id),
            };
            Ok(Conversation {
                inner: Arc::new(inner),
                client: self.inner.clone(),
            })
        })
    }
}

/// The native conversation; `enjo.Conversation` and `enjo.AsyncConversation` wrap it.
#[pyclass(frozen, weakref, module = "enjo._enjo")]
struct Conversation {
    inner: Arc<enjo::Conversation>,
    /// The client it was made by (the same `enjo::Client` the conversation holds), for the
    /// path in log records.
    client: enjo::Client,
}

#[pymethods]
impl Conversation {
    /// The bot this conversation talks to.
    #[getter]
    fn bot_id(&self, py: Python<'_>) -> PyResult<&str> {
        guard(py, || Ok(self.inner.bot_id()))
    }

    /// The conversation id, once a reply has given one (or when resumed).
    #[getter]
    fn conversation_id(&self, py: Python<'_>) -> PyResult<Option<String>> {
        guard(py, || Ok(self.inner.id()))
    }

    /// Sends `text` in this conversation and waits, with the GIL released (the core refuses
    /// options carrying a `conversation_id`).
    #[pyo3(signature = (text, options=None, log=0))]
    fn send(
        &self,
        py: Python<'_>,
        text: String,
        options: Option<&CallOptions>,
        log: i64,
    ) -> PyResult<MessageResponse> {
        guard(py, || {
            let options = CallOptions::or_default(options);
            let log = log_for(&self.client, log, self.inner.bot_id(), Sink::Direct);
            let reply = block(py, Logged::new(self.inner.send_with(&text, options), log))?;
            Ok(MessageResponse::from(reply))
        })
    }

    /// Starts sending `text` in this conversation (see `Client.start`).
    #[pyo3(signature = (completions, future, text, options=None, log=0))]
    fn start(
        &self,
        py: Python<'_>,
        completions: &Completions,
        future: Py<PyAny>,
        text: String,
        options: Option<&CallOptions>,
        log: i64,
    ) -> PyResult<Task> {
        guard(py, || {
            let options = CallOptions::or_default(options);
            let conversation = self.inner.clone();
            let sink = Sink::Queue(completions.log_queue());
            let log = log_for(&self.client, log, self.inner.bot_id(), sink);
            Ok(bridge::spawn(completions, future, async move {
                Logged::new(conversation.send_with(&text, options), log).await
            }))
        })
    }
}

/// Per-call overrides, checked by the core when made (`enjo.Enjo.send_message` builds one
/// when any override is given).
#[pyclass(frozen, module = "enjo._enjo")]
struct CallOptions {
    inner: enjo::SendOptions,
}

impl CallOptions {
    /// The overrides of `options`, or none.
    fn or_default(options: Option<&CallOptions>) -> enjo::SendOptions {
        options.map(|o| o.inner.clone()).unwrap_or_default()
    }
}

#[pymethods]
impl CallOptions {
    #[new]
    #[pyo3(signature = (
        *, conversation_id=None, timeout=None, max_retries=None, retry_policy=None,
        deadline=None, headers=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        conversation_id: Option<String>,
        timeout: Option<f64>,
        max_retries: Option<i64>,
        retry_policy: Option<String>,
        deadline: Option<f64>,
        headers: Option<Bound<'_, PyAny>>,
    ) -> PyResult<CallOptions> {
        guard(py, || {
            let headers = match headers {
                Some(h) if !h.is_none() => options::headers(&h)?,
                _ => Vec::new(),
            };
            let call = enjo::options::CallOptions {
                conversation_id,
                timeout,
                max_retries: max_retries.map(|n| n as f64),
                retry_policy,
                deadline,
                headers,
            };
            match call.send_options(options::host(py)?) {
                Ok(inner) => Ok(CallOptions { inner }),
                Err(err) => Err(to_pyerr(py, &err)),
            }
        })
    }
}

/// Test hook: panics in a plain call (`"sync"`), inside a blocking request (`"blocking"`) or
/// inside an async request's task (`"async"`, which needs `completions` and `future`), to
/// prove that none of them reaches Python as anything but `enjo.InternalError`. Not public API.
#[pyfunction]
#[pyo3(signature = (mode, completions=None, future=None))]
fn _test_panic(
    py: Python<'_>,
    mode: &str,
    completions: Option<&Completions>,
    future: Option<Py<PyAny>>,
) -> PyResult<Option<Task>> {
    guard(py, || match (mode, completions, future) {
        ("blocking", _, _) => block(py, async { boom("blocking") }).map(|_| None),
        ("async", Some(completions), Some(future)) => {
            Ok(Some(bridge::spawn(completions, future, async {
                tokio::task::yield_now().await;
                boom("async")
            })))
        }
        _ => panic!("test panic (sync)"),
    })
}

fn boom(where_: &str) -> enjo::Result<enjo::MessageResponse> {
    panic!("test panic ({where_})")
}

/// Test hook: async requests started and not yet finished or dropped. Not guarded: an atomic
/// load cannot panic.
#[pyfunction]
fn _in_flight() -> usize {
    bridge::IN_FLIGHT.load(std::sync::atomic::Ordering::SeqCst)
}

#[pymodule]
fn _enjo(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", enjo::VERSION)?;
    // The core's error kinds as (class name, kind, comes from a response): the tests check
    // that `enjo._exceptions` has a class for each.
    let kinds: Vec<_> = enjo::ErrorKind::ALL
        .iter()
        .map(|k| (k.class_name(), k.as_str(), k.is_api()))
        .collect();
    m.add("ERROR_KINDS", kinds)?;
    m.add_class::<Client>()?;
    m.add_class::<Conversation>()?;
    m.add_class::<CallOptions>()?;
    m.add_class::<Completions>()?;
    m.add_class::<Task>()?;
    m.add_class::<MessageResponse>()?;
    m.add_class::<Source>()?;
    m.add_class::<Ticket>()?;
    m.add_function(wrap_pyfunction!(_test_panic, m)?)?;
    m.add_function(wrap_pyfunction!(_in_flight, m)?)?;
    m.add_class::<testing::Mock>()?;
    m.add_function(wrap_pyfunction!(testing::_mock_main, m)?)?;
    Ok(())
}
