//! The fields of a 2xx reply that the typed [`MessageResponse`](crate::MessageResponse) needs,
//! read straight from the body's text: `success` and the four documented fields of `data`.
//! Everything else is checked to be valid JSON and skipped without being built, and the body
//! is kept as text for a lazy [`RawJson`](crate::RawJson).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// What the body held.
// Made once per reply and matched at once: boxing `Data` would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Body {
    /// A JSON object; `failed` when its `success` was `false`.
    Object { failed: bool, data: Data },
    /// Valid JSON, but not an object.
    NotObject,
}

/// The documented fields of `data` (each `None` when missing; `data` not an object: all
/// `None`). The values are read as sent, to be interpreted leniently by `models`.
#[derive(Default)]
pub(crate) struct Data {
    pub answers: Option<Value>,
    pub sources: Option<Value>,
    pub conversation_id: Option<Value>,
    pub ticket: Option<Value>,
}

/// Reads `text` (the whole body): an error when it is not one valid JSON document.
pub(crate) fn read(text: &str) -> serde_json::Result<Body> {
    let mut de = serde_json::Deserializer::from_str(text);
    let body = (&mut de).deserialize_any(BodyVisitor)?;
    de.end()?;
    Ok(body)
}

/// The keys looked for, at the top and in `data` (a later duplicate wins, as in a `Value`).
enum Key {
    Success,
    Data,
    Answers,
    Sources,
    ConversationId,
    TicketDetails,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "success" => Key::Success,
                    "data" => Key::Data,
                    "answers" => Key::Answers,
                    "sources" => Key::Sources,
                    "conversationId" => Key::ConversationId,
                    "ticketDetails" => Key::TicketDetails,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// Every non-object JSON value gives `$other` (an array is read through and dropped).
macro_rules! other_values {
    ($other:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($other)
        }
    };
}

struct BodyVisitor;

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = Body;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    other_values!(Body::NotObject);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body, A::Error> {
        let mut failed = false;
        let mut data = Data::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Success => failed = map.next_value::<Value>()? == Value::Bool(false),
                Key::Data => data = map.next_value::<Data>()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Body::Object { failed, data })
    }
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Data, D::Error> {
        deserializer.deserialize_any(DataVisitor)
    }
}

struct DataVisitor;

impl<'de> Visitor<'de> for DataVisitor {
    type Value = Data;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    other_values!(Data::default());

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Data, A::Error> {
        let mut data = Data::default();
        while let Some(key) = map.next_key::<Key>()? {
            let slot = match key {
                Key::Answers => &mut data.answers,
                Key::Sources => &mut data.sources,
                Key::ConversationId => &mut data.conversation_id,
                Key::TicketDetails => &mut data.ticket,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value::<Value>()?);
        }
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(text: &str) -> Data {
        match read(text) {
            Ok(Body::Object { data, .. }) => data,
            Ok(Body::NotObject) => panic!("{text}: not an object"),
            Err(e) => panic!("{text}: {e}"),
        }
    }

    #[test]
    fn reads_the_documented_fields_and_skips_the_rest() {
        let d = data(
            r#"{"x": [1, {"a": null}], "success": true, "data": {"answers": "a", "y": {},
               "sources": [], "conversationId": "c", "ticketDetails": {"id": 1}}}"#,
        );
        assert_eq!(d.answers, Some(Value::from("a")));
        assert_eq!(d.sources, Some(Value::Array(vec![])));
        assert_eq!(d.conversation_id, Some(Value::from("c")));
        assert_eq!(d.ticket, Some(serde_json::json!({"id": 1})));
    }

    #[test]
    fn a_later_duplicate_wins_as_in_a_value() {
        let d = data(r#"{"data": {"answers": "old"}, "data": {"answers": "a", "answers": "b"}}"#);
        assert_eq!(d.answers, Some(Value::from("b")));
        assert!(matches!(
            read(r#"{"success": false, "success": true}"#),
            Ok(Body::Object { failed: false, .. })
        ));
        assert!(matches!(
            read(r#"{"success": true, "success": false}"#),
            Ok(Body::Object { failed: true, .. })
        ));
    }

    #[test]
    fn escaped_keys_are_read_like_plain_ones() {
        let d = data(r#"{"d\u0061ta": {"answ\u0065rs": "a"}}"#);
        assert_eq!(d.answers, Some(Value::from("a")));
    }

    #[test]
    fn data_that_is_not_an_object_has_no_fields() {
        for text in [
            r#"{"data": null}"#,
            r#"{"data": [1, [2]]}"#,
            r#"{"data": "x"}"#,
        ] {
            let d = data(text);
            assert!(d.answers.is_none() && d.sources.is_none() && d.ticket.is_none());
        }
    }

    #[test]
    fn not_an_object_and_invalid_json() {
        for text in ["[1, 2]", "7", "null", "\"s\""] {
            assert!(matches!(read(text), Ok(Body::NotObject)), "{text}");
        }
        for text in [
            "",
            "<html>",
            r#"{"success": tr"#,
            r#"{"x": [1,]}"#,
            r#"{"x": 01}"#,
            r#"{} {}"#,
            r#"{"x": "\q"}"#,
        ] {
            assert!(read(text).is_err(), "{text}");
        }
    }
}
