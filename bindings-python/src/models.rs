//! The reply types as Python classes: `enjo.MessageResponse`, `enjo.Source`, `enjo.Ticket`.
//!
//! They keep the core's structs and build Python objects on access, so that a reply costs one
//! allocation until the caller reads it. What is mutable in Python (`raw`, `sources`,
//! `to_dict()`) is built afresh on each access from the same Rust data, so a caller changing
//! the dict it got can never make the reply disagree with itself. (`ticket` is built once: a
//! `Ticket` is immutable.)
//!
//! Replies pickle (`__reduce__`): a `MessageResponse` as its raw body, status and request id,
//! re-read by the core on unpickling; a `Ticket` as its raw record; a `Source` as its fields.
//! So a `multiprocessing` worker can return them.
//!
//! Every method runs in [`guard`]: a panic becomes `enjo.EnjoError`.

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use serde_json::{Map, Number, Value};

use crate::errors::{guard, to_pyerr};

/// Nesting accepted when reading JSON back from Python (serde_json itself stops at 128).
const MAX_DEPTH: usize = 256;

/// JSON → Python (`dict`, `list`, `str`, `int`, `float`, `bool`, `None`).
pub fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_bound_py_any(py)?,
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_bound_py_any(py)?
            } else if let Some(u) = n.as_u64() {
                u.into_bound_py_any(py)?
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)?
            }
        }
        Value::String(s) => s.into_bound_py_any(py)?,
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, json_to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// Python → JSON, for unpickling (the inverse of [`json_to_py`]: `dict` with `str` keys,
/// `list`/`tuple`, `str`, `int`, `float`, `bool`, `None`).
pub fn py_to_json(value: &Bound<'_, PyAny>) -> PyResult<Value> {
    py_to_json_at(value, 0)
}

fn py_to_json_at(value: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    use pyo3::exceptions::{PyTypeError, PyValueError};
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err("JSON nested too deeply"));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        if let Ok(i) = value.extract::<i64>() {
            return Ok(Value::from(i));
        }
        return Ok(Value::from(value.extract::<u64>()?));
    }
    if let Ok(f) = value.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| PyValueError::new_err("JSON has no NaN or infinity"));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(d) = value.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in d.iter() {
            let key = k
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err("JSON object keys are strings"))?;
            map.insert(key.to_cow()?.into_owned(), py_to_json_at(&v, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for item in value.try_iter()? {
            items.push(py_to_json_at(&item?, depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    let name = value.get_type().name()?;
    Err(PyTypeError::new_err(format!(
        "a {name} is not a JSON value"
    )))
}

/// Python's `repr` of `text`, cut to `max` characters (a 5 MB answer stays readable).
fn short_repr(py: Python<'_>, text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(max).collect();
    let cut = chars.next().is_some();
    let quoted = PyString::new(py, &head)
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| format!("{head:?}"));
    if cut { format!("{quoted}…") } else { quoted }
}

fn opt_repr(py: Python<'_>, value: Option<&str>) -> String {
    value.map_or_else(|| "None".to_owned(), |v| short_repr(py, v, 80))
}

/// One source the bot used for its answer.
#[pyclass(frozen, module = "enjo", name = "Source")]
pub struct Source {
    inner: enjo::Source,
}

impl Source {
    fn dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("type", self.inner.source_type.as_deref())?;
        d.set_item("name", self.inner.name.as_deref())?;
        d.set_item("score", self.inner.score)?;
        d.set_item("url", self.inner.url.as_deref())?;
        Ok(d)
    }
}

#[pymethods]
impl Source {
    /// The source's type, e.g. `"jira"` or `"knowledge base"`.
    #[getter(r#type)]
    fn source_type(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        guard(py, || Ok(self.inner.source_type.as_deref()))
    }

    /// Name or title of the source.
    #[getter]
    fn name(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        guard(py, || Ok(self.inner.name.as_deref()))
    }

    /// Relevance score, usually in `[0, 1]`.
    #[getter]
    fn score(&self, py: Python<'_>) -> PyResult<Option<f64>> {
        guard(py, || Ok(self.inner.score))
    }

    /// Link to the source.
    #[getter]
    fn url(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        guard(py, || Ok(self.inner.url.as_deref()))
    }

    /// `{"type", "name", "score", "url"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || self.dict(py))
    }

    /// Rebuilds a source from its fields (pickle's constructor; not public API).
    #[classmethod]
    #[pyo3(name = "_from_fields")]
    fn from_fields(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        source_type: Option<String>,
        name: Option<String>,
        score: Option<f64>,
        url: Option<String>,
    ) -> PyResult<Source> {
        guard(py, || {
            let mut obj = Map::new();
            obj.insert(
                "type".into(),
                source_type.map_or(Value::Null, Value::String),
            );
            obj.insert("name".into(), name.map_or(Value::Null, Value::String));
            obj.insert("score".into(), score.map_or(Value::Null, Value::from));
            obj.insert("url".into(), url.map_or(Value::Null, Value::String));
            enjo::Source::from_json(&Value::Object(obj))
                .map(|inner| Source { inner })
                .ok_or_else(|| pyo3::exceptions::PyValueError::new_err("not a source"))
        })
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        guard(py, || {
            let s = &self.inner;
            let rebuild = py.get_type::<Source>().getattr("_from_fields")?;
            let args = (
                s.source_type.as_deref(),
                s.name.as_deref(),
                s.score,
                s.url.as_deref(),
            );
            (rebuild, args).into_pyobject(py)
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let s = &self.inner;
            Ok(format!(
                "Source(type={}, name={}, score={}, url={})",
                opt_repr(py, s.source_type.as_deref()),
                opt_repr(py, s.name.as_deref()),
                s.score
                    .map_or_else(|| "None".to_owned(), |v| format!("{v}")),
                opt_repr(py, s.url.as_deref()),
            ))
        })
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        guard(py, || {
            Ok(other
                .cast::<Source>()
                .is_ok_and(|o| o.get().inner == self.inner))
        })
    }

    // Cannot panic: it only builds an exception.
    fn __hash__(&self) -> PyResult<isize> {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "unhashable type: 'Source'",
        ))
    }
}

/// A ticket the bot created (Salesforce, Jira, ServiceNow, ...).
#[pyclass(frozen, module = "enjo", name = "Ticket")]
pub struct Ticket {
    inner: enjo::Ticket,
}

impl Ticket {
    fn dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let t = &self.inner;
        let d = PyDict::new(py);
        d.set_item("id", t.id.as_deref())?;
        d.set_item("url", t.url.as_deref())?;
        d.set_item("type", t.ticket_type.as_deref())?;
        d.set_item("status", t.status.as_deref())?;
        d.set_item("priority", t.priority.as_deref())?;
        d.set_item("description", t.description.as_deref())?;
        d.set_item("created_date", t.created_date.as_deref())?;
        d.set_item("last_modified_date", t.last_modified_date.as_deref())?;
        d.set_item("case_number", t.case_number.as_deref())?;
        d.set_item("raw", json_to_py(py, &t.raw)?)?;
        Ok(d)
    }
}

/// A text field of a ticket, read in a guard.
fn field<'a>(py: Python<'_>, value: &'a Option<String>) -> PyResult<Option<&'a str>> {
    guard(py, || Ok(value.as_deref()))
}

#[pymethods]
impl Ticket {
    /// Platform id (`id`, Salesforce `Id`, ServiceNow `sys_id`).
    #[getter]
    fn id(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        field(py, &self.inner.id)
    }
    /// Link to the ticket in the external system.
    #[getter]
    fn url(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        field(py, &self.inner.url)
    }
    /// Kind of issue (`type`, Jira `issuetype.name`, ServiceNow `category`).
    #[getter(r#type)]
    fn ticket_type(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        field(py, &self.inner.ticket_type)
    }
    /// Current status.
    #[getter]
    fn status(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        field(py, &self.inner.status)
    }
    /// Priority level.
    #[getter]
    fn priority(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        field(py, &self.inner.priority)
    }
    /// Description of the issue.
    #[getter]
    fn description(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        field(py, &self.inner.description)
    }
    /// Creation timestamp, as sent.
    #[getter]
    fn created_date(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        field(py, &self.inner.created_date)
    }
    /// Last modification timestamp, as sent.
    #[getter]
    fn last_modified_date(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        field(py, &self.inner.last_modified_date)
    }
    /// The human-facing number: Salesforce `CaseNumber`, ServiceNow `number`, Jira `key`.
    #[getter]
    fn case_number(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        field(py, &self.inner.case_number)
    }
    /// The ticket exactly as the server sent it (a new `dict` on each access).
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || json_to_py(py, &self.inner.raw))
    }

    /// Every field as a `dict` (`raw` included).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || self.dict(py))
    }

    /// Rebuilds a ticket from its raw record (pickle's constructor; not public API).
    #[classmethod]
    #[pyo3(name = "_from_raw")]
    fn from_raw(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        raw: &Bound<'_, PyAny>,
    ) -> PyResult<Ticket> {
        guard(py, || {
            enjo::Ticket::from_json(&py_to_json(raw)?)
                .map(|inner| Ticket { inner })
                .ok_or_else(|| {
                    pyo3::exceptions::PyValueError::new_err(
                        "a ticket's raw record is a non-empty dict",
                    )
                })
        })
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        guard(py, || {
            let rebuild = py.get_type::<Ticket>().getattr("_from_raw")?;
            (rebuild, (json_to_py(py, &self.inner.raw)?,)).into_pyobject(py)
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let t = &self.inner;
            Ok(format!(
                "Ticket(id={}, case_number={}, type={}, status={}, priority={}, url={})",
                opt_repr(py, t.id.as_deref()),
                opt_repr(py, t.case_number.as_deref()),
                opt_repr(py, t.ticket_type.as_deref()),
                opt_repr(py, t.status.as_deref()),
                opt_repr(py, t.priority.as_deref()),
                opt_repr(py, t.url.as_deref()),
            ))
        })
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        guard(py, || {
            Ok(other
                .cast::<Ticket>()
                .is_ok_and(|o| o.get().inner == self.inner))
        })
    }

    // Cannot panic: it only builds an exception.
    fn __hash__(&self) -> PyResult<isize> {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "unhashable type: 'Ticket'",
        ))
    }
}

/// A bot's reply to `send_message`.
#[pyclass(frozen, module = "enjo", name = "MessageResponse")]
pub struct MessageResponse {
    answers: Option<String>,
    conversation_id: Option<String>,
    request_id: Option<String>,
    server_request_id: Option<String>,
    status: u16,
    raw_json: enjo::RawJson,
    sources: Vec<enjo::Source>,
    ticket_json: Option<enjo::Ticket>,
    ticket: PyOnceLock<Option<Py<Ticket>>>,
}

impl From<enjo::MessageResponse> for MessageResponse {
    fn from(r: enjo::MessageResponse) -> MessageResponse {
        MessageResponse {
            answers: r.answers,
            conversation_id: r.conversation_id,
            request_id: r.request_id,
            server_request_id: r.server_request_id,
            status: r.status,
            raw_json: r.raw,
            sources: r.sources,
            ticket_json: r.ticket,
            ticket: PyOnceLock::new(),
        }
    }
}

#[pymethods]
impl MessageResponse {
    /// The bot's answer (`None` when the reply had none).
    #[getter]
    fn answers(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        field(py, &self.answers)
    }

    /// Pass it back (`conversation_id=`) to continue the conversation.
    #[getter]
    fn conversation_id(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        field(py, &self.conversation_id)
    }

    /// The call's request id (sent as `X-Request-Id` on each attempt), to quote to Enjo's support.
    #[getter]
    fn request_id(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        field(py, &self.request_id)
    }

    /// The server's own request id (its `x-request-id`, `request-id` or `x-amzn-requestid`
    /// header), when it sent one.
    #[getter]
    fn server_request_id(&self, py: Python<'_>) -> PyResult<Option<&str>> {
        field(py, &self.server_request_id)
    }

    /// The sources the bot used (a new list on each access; empty when none).
    #[getter]
    fn sources<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            let list = PyList::empty(py);
            for s in &self.sources {
                list.append(Py::new(py, Source { inner: s.clone() })?)?;
            }
            Ok(list)
        })
    }

    /// The ticket the bot created, when its bot is wired to ticketing.
    #[getter]
    fn ticket(&self, py: Python<'_>) -> PyResult<Option<Py<Ticket>>> {
        guard(py, || {
            self.ticket
                .get_or_try_init(py, || {
                    self.ticket_json
                        .as_ref()
                        .map(|t| Py::new(py, Ticket { inner: t.clone() }))
                        .transpose()
                })
                .map(|t| t.as_ref().map(|t| t.clone_ref(py)))
        })
    }

    /// The whole response body as a `dict`, unknown fields included (a new `dict` on each
    /// access).
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || json_to_py(py, &self.raw_json))
    }

    /// Every field as plain `dict`s and `list`s (`raw` included), e.g. for `json.dumps`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || {
            let d = PyDict::new(py);
            d.set_item("answers", self.answers.as_deref())?;
            let sources = PyList::empty(py);
            for s in &self.sources {
                sources.append(Source { inner: s.clone() }.dict(py)?)?;
            }
            d.set_item("sources", sources)?;
            d.set_item("conversation_id", self.conversation_id.as_deref())?;
            let ticket = match &self.ticket_json {
                Some(t) => Ticket { inner: t.clone() }.dict(py)?.into_any(),
                None => py.None().into_bound(py),
            };
            d.set_item("ticket", ticket)?;
            d.set_item("request_id", self.request_id.as_deref())?;
            d.set_item("server_request_id", self.server_request_id.as_deref())?;
            d.set_item("raw", json_to_py(py, &self.raw_json)?)?;
            Ok(d)
        })
    }

    /// Rebuilds a reply from its raw body (pickle's constructor; not public API): the core
    /// reads it again, exactly as it read the server's reply.
    #[classmethod]
    #[pyo3(name = "_from_raw", signature = (raw, status, request_id=None, server_request_id=None))]
    fn from_raw(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        raw: &Bound<'_, PyAny>,
        status: u16,
        request_id: Option<String>,
        server_request_id: Option<String>,
    ) -> PyResult<MessageResponse> {
        guard(py, || {
            let mut reply = enjo::MessageResponse::from_json(py_to_json(raw)?, status, request_id)
                .map_err(|err| to_pyerr(py, &err))?;
            reply.server_request_id = server_request_id;
            Ok(MessageResponse::from(reply))
        })
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        guard(py, || {
            let rebuild = py.get_type::<MessageResponse>().getattr("_from_raw")?;
            let args = (
                json_to_py(py, &self.raw_json)?,
                self.status,
                self.request_id.as_deref(),
                self.server_request_id.as_deref(),
            );
            (rebuild, args).into_pyobject(py)
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let ticket = match &self.ticket_json {
                Some(t) => format!(
                    "Ticket(id={}, case_number={}, status={})",
                    opt_repr(py, t.id.as_deref()),
                    opt_repr(py, t.case_number.as_deref()),
                    opt_repr(py, t.status.as_deref())
                ),
                None => "None".to_owned(),
            };
            Ok(format!(
                "MessageResponse(answers={}, sources=[{} source{}], conversation_id={}, ticket={}, request_id={})",
                opt_repr(py, self.answers.as_deref()),
                self.sources.len(),
                if self.sources.len() == 1 { "" } else { "s" },
                opt_repr(py, self.conversation_id.as_deref()),
                ticket,
                opt_repr(py, self.request_id.as_deref()),
            ))
        })
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        guard(py, || {
            Ok(other.cast::<MessageResponse>().is_ok_and(|o| {
                let o = o.get();
                o.answers == self.answers
                    && o.conversation_id == self.conversation_id
                    && o.request_id == self.request_id
                    && o.server_request_id == self.server_request_id
                    && o.status == self.status
                    && o.raw_json == self.raw_json
            }))
        })
    }

    // Cannot panic: it only builds an exception.
    fn __hash__(&self) -> PyResult<isize> {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "unhashable type: 'MessageResponse'",
        ))
    }
}
