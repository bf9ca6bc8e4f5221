//! The reply types as Python classes: `enjo.MessageResponse`, `enjo.Source`, `enjo.Ticket`.
//!
//! They keep the core's structs and build Python objects on access (`raw` once, then cached),
//! so that a reply costs one allocation until the caller reads it.

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString};
use serde_json::Value;

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

#[pymethods]
impl Source {
    /// The source's type, e.g. `"jira"` or `"knowledge base"`.
    #[getter(r#type)]
    fn source_type(&self) -> Option<&str> {
        self.inner.source_type.as_deref()
    }

    /// Name or title of the source.
    #[getter]
    fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// Relevance score, usually in `[0, 1]`.
    #[getter]
    fn score(&self) -> Option<f64> {
        self.inner.score
    }

    /// Link to the source.
    #[getter]
    fn url(&self) -> Option<&str> {
        self.inner.url.as_deref()
    }

    /// `{"type", "name", "score", "url"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("type", self.inner.source_type.as_deref())?;
        d.set_item("name", self.inner.name.as_deref())?;
        d.set_item("score", self.inner.score)?;
        d.set_item("url", self.inner.url.as_deref())?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let s = &self.inner;
        format!(
            "Source(type={}, name={}, score={}, url={})",
            opt_repr(py, s.source_type.as_deref()),
            opt_repr(py, s.name.as_deref()),
            s.score
                .map_or_else(|| "None".to_owned(), |v| format!("{v}")),
            opt_repr(py, s.url.as_deref()),
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Source>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

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
    raw: PyOnceLock<Py<PyAny>>,
}

impl Ticket {
    fn new(inner: enjo::Ticket) -> Ticket {
        Ticket {
            inner,
            raw: PyOnceLock::new(),
        }
    }
}

#[pymethods]
impl Ticket {
    /// Platform id (`id`, Salesforce `Id`, ServiceNow `sys_id`).
    #[getter]
    fn id(&self) -> Option<&str> {
        self.inner.id.as_deref()
    }
    /// Link to the ticket in the external system.
    #[getter]
    fn url(&self) -> Option<&str> {
        self.inner.url.as_deref()
    }
    /// Kind of issue (`type`, Jira `issuetype.name`, ServiceNow `category`).
    #[getter(r#type)]
    fn ticket_type(&self) -> Option<&str> {
        self.inner.ticket_type.as_deref()
    }
    /// Current status.
    #[getter]
    fn status(&self) -> Option<&str> {
        self.inner.status.as_deref()
    }
    /// Priority level.
    #[getter]
    fn priority(&self) -> Option<&str> {
        self.inner.priority.as_deref()
    }
    /// Description of the issue.
    #[getter]
    fn description(&self) -> Option<&str> {
        self.inner.description.as_deref()
    }
    /// Creation timestamp, as sent.
    #[getter]
    fn created_date(&self) -> Option<&str> {
        self.inner.created_date.as_deref()
    }
    /// Last modification timestamp, as sent.
    #[getter]
    fn last_modified_date(&self) -> Option<&str> {
        self.inner.last_modified_date.as_deref()
    }
    /// The human-facing number: Salesforce `CaseNumber`, ServiceNow `number`, Jira `key`.
    #[getter]
    fn case_number(&self) -> Option<&str> {
        self.inner.case_number.as_deref()
    }
    /// The ticket exactly as the server sent it (a `dict`).
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.raw
            .get_or_try_init(py, || {
                Ok::<_, PyErr>(json_to_py(py, &self.inner.raw)?.unbind())
            })
            .map(|raw| raw.bind(py).clone())
    }

    /// Every field as a `dict` (`raw` included).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
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

    fn __repr__(&self, py: Python<'_>) -> String {
        let t = &self.inner;
        format!(
            "Ticket(id={}, case_number={}, type={}, status={}, priority={}, url={})",
            opt_repr(py, t.id.as_deref()),
            opt_repr(py, t.case_number.as_deref()),
            opt_repr(py, t.ticket_type.as_deref()),
            opt_repr(py, t.status.as_deref()),
            opt_repr(py, t.priority.as_deref()),
            opt_repr(py, t.url.as_deref()),
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Ticket>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

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
    raw_json: Value,
    sources: Vec<enjo::Source>,
    ticket_json: Option<enjo::Ticket>,
    raw: PyOnceLock<Py<PyAny>>,
    sources_py: PyOnceLock<Py<PyList>>,
    ticket: PyOnceLock<Option<Py<Ticket>>>,
}

impl From<enjo::MessageResponse> for MessageResponse {
    fn from(r: enjo::MessageResponse) -> MessageResponse {
        MessageResponse {
            answers: r.answers,
            conversation_id: r.conversation_id,
            request_id: r.request_id,
            raw_json: r.raw,
            sources: r.sources,
            ticket_json: r.ticket,
            raw: PyOnceLock::new(),
            sources_py: PyOnceLock::new(),
            ticket: PyOnceLock::new(),
        }
    }
}

#[pymethods]
impl MessageResponse {
    /// The bot's answer (`None` when the reply had none).
    #[getter]
    fn answers(&self) -> Option<&str> {
        self.answers.as_deref()
    }

    /// Pass it back (`conversation_id=`) to continue the conversation.
    #[getter]
    fn conversation_id(&self) -> Option<&str> {
        self.conversation_id.as_deref()
    }

    /// The server's request id (`x-request-id`), to quote to Enjo's support.
    #[getter]
    fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The sources the bot used (an empty list when none).
    #[getter]
    fn sources<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.sources_py
            .get_or_try_init(py, || {
                let list = PyList::empty(py);
                for s in &self.sources {
                    list.append(Py::new(py, Source { inner: s.clone() })?)?;
                }
                Ok::<_, PyErr>(list.unbind())
            })
            .map(|l| l.bind(py).clone())
    }

    /// The ticket the bot created, when its bot is wired to ticketing.
    #[getter]
    fn ticket(&self, py: Python<'_>) -> PyResult<Option<Py<Ticket>>> {
        self.ticket
            .get_or_try_init(py, || {
                self.ticket_json
                    .as_ref()
                    .map(|t| Py::new(py, Ticket::new(t.clone())))
                    .transpose()
            })
            .map(|t| t.as_ref().map(|t| t.clone_ref(py)))
    }

    /// The whole response body as a `dict`, unknown fields included.
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.raw
            .get_or_try_init(py, || {
                Ok::<_, PyErr>(json_to_py(py, &self.raw_json)?.unbind())
            })
            .map(|raw| raw.bind(py).clone())
    }

    /// Every field as plain `dict`s and `list`s (`raw` included), e.g. for `json.dumps`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("answers", self.answers.as_deref())?;
        let sources = PyList::empty(py);
        for s in &self.sources {
            sources.append(Source { inner: s.clone() }.to_dict(py)?)?;
        }
        d.set_item("sources", sources)?;
        d.set_item("conversation_id", self.conversation_id.as_deref())?;
        let ticket = match &self.ticket_json {
            Some(t) => Ticket::new(t.clone()).to_dict(py)?.into_any(),
            None => py.None().into_bound(py),
        };
        d.set_item("ticket", ticket)?;
        d.set_item("request_id", self.request_id.as_deref())?;
        d.set_item("raw", json_to_py(py, &self.raw_json)?)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let ticket = match &self.ticket_json {
            Some(t) => format!(
                "Ticket(id={}, case_number={}, status={})",
                opt_repr(py, t.id.as_deref()),
                opt_repr(py, t.case_number.as_deref()),
                opt_repr(py, t.status.as_deref())
            ),
            None => "None".to_owned(),
        };
        format!(
            "MessageResponse(answers={}, sources=[{} source{}], conversation_id={}, ticket={}, request_id={})",
            opt_repr(py, self.answers.as_deref()),
            self.sources.len(),
            if self.sources.len() == 1 { "" } else { "s" },
            opt_repr(py, self.conversation_id.as_deref()),
            ticket,
            opt_repr(py, self.request_id.as_deref()),
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<MessageResponse>().is_ok_and(|o| {
            let o = o.get();
            o.answers == self.answers
                && o.conversation_id == self.conversation_id
                && o.request_id == self.request_id
                && o.raw_json == self.raw_json
        })
    }

    fn __hash__(&self) -> PyResult<isize> {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "unhashable type: 'MessageResponse'",
        ))
    }
}
