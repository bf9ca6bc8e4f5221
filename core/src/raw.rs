//! [`RawJson`]: a reply body kept as the bytes that came, parsed into a
//! [`serde_json::Value`] only when someone asks for it.
//!
//! Most callers read the typed fields of a reply and never its raw JSON; building (and
//! dropping) a `Value` of the whole body on every call was the largest single cost of a call.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde_json::Value;

/// A JSON document (a reply's whole body), parsed on first use and then kept.
///
/// Dereferences to the parsed [`Value`] (like a `LazyLock`): `raw["data"]["answers"]`,
/// `raw.is_object()`. Displays as compact JSON and serializes as the value. Cheap to clone
/// (clones share the text and the parsed value).
#[derive(Clone)]
pub struct RawJson(Arc<Inner>);

struct Inner {
    /// The document as received (valid UTF-8 JSON), when it came as text.
    text: Option<Bytes>,
    value: OnceLock<Value>,
}

impl RawJson {
    /// `text`, already checked to be valid JSON (UTF-8).
    pub(crate) fn from_text(text: Bytes) -> RawJson {
        RawJson(Arc::new(Inner {
            text: Some(text),
            value: OnceLock::new(),
        }))
    }

    /// An already-parsed document.
    pub fn from_value(value: Value) -> RawJson {
        RawJson(Arc::new(Inner {
            text: None,
            value: OnceLock::from(value),
        }))
    }

    /// The document as a [`Value`], parsed on the first call (later calls, from any thread
    /// and any clone, get the same value). A document that is valid JSON but that `Value`
    /// cannot hold (a number beyond `f64`'s range, e.g. `1e400`, in a field the SDK does not
    /// read) gives `Value::Null`; [`RawJson::text`] still has it verbatim.
    pub fn value(&self) -> &Value {
        self.0.value.get_or_init(|| {
            self.0
                .text
                .as_deref()
                .and_then(|text| serde_json::from_slice(text).ok())
                .unwrap_or(Value::Null)
        })
    }

    /// The document exactly as the server sent it (`None` when it was built from a
    /// [`Value`], see [`RawJson::from_value`]).
    pub fn text(&self) -> Option<&str> {
        self.0
            .text
            .as_deref()
            .and_then(|text| std::str::from_utf8(text).ok())
    }

    /// The document as JSON text, for handing to another language: the server's bytes as
    /// sent (no parse) when it came as text, else the value serialized compactly.
    pub fn json_text(&self) -> Cow<'_, str> {
        match self.text() {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(self.value().to_string()),
        }
    }

    /// The parsed value, owned (a copy when other clones still share it).
    pub fn into_value(self) -> Value {
        match Arc::try_unwrap(self.0) {
            Ok(inner) => {
                let text = inner.text;
                inner.value.into_inner().unwrap_or_else(|| {
                    text.as_deref()
                        .and_then(|text| serde_json::from_slice(text).ok())
                        .unwrap_or(Value::Null)
                })
            }
            Err(shared) => RawJson(shared).value().clone(),
        }
    }
}

impl Deref for RawJson {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value()
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.value(), f)
    }
}

impl serde::Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(serializer)
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.value(), f)
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &RawJson) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.value() == other.value()
    }
}

impl From<Value> for RawJson {
    fn from(value: Value) -> RawJson {
        RawJson::from_value(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_once_on_first_use() {
        let raw = RawJson::from_text(Bytes::from_static(br#"{"a": [1, 2]}"#));
        assert!(
            raw.0.value.get().is_none(),
            "not parsed before it is asked for"
        );
        let copy = raw.clone();
        assert_eq!(raw.value()["a"][1], 2);
        assert!(std::ptr::eq(raw.value(), copy.value()), "clones share it");
        assert_eq!(raw.text(), Some(r#"{"a": [1, 2]}"#));
        assert_eq!(raw, RawJson::from_value(serde_json::json!({"a": [1, 2]})));
    }

    #[test]
    fn json_text_is_the_servers_text_without_a_parse() {
        let raw = RawJson::from_text(Bytes::from_static(br#"{"a": [1, 2], "x": 1e400}"#));
        assert_eq!(raw.json_text(), r#"{"a": [1, 2], "x": 1e400}"#);
        assert!(raw.0.value.get().is_none(), "json_text does not parse");
        let built = RawJson::from_value(serde_json::json!({"a": [1, 2]}));
        assert_eq!(built.json_text(), r#"{"a":[1,2]}"#);
    }

    #[test]
    fn a_number_value_cannot_hold_is_null_with_the_text_kept() {
        let raw = RawJson::from_text(Bytes::from_static(br#"{"x": 1e400}"#));
        assert_eq!(raw.value(), &Value::Null);
        assert_eq!(raw.text(), Some(r#"{"x": 1e400}"#));
    }
}
