//! The structure check of a request body against the vendor's sample body
//! (`spec/vendor-request-body.json`, see `spec/vendor-request-body.md`): same keys at the same
//! places, same JSON types, no other key; values may differ. Shared by the core and CLI tests.
#![allow(dead_code)]

use serde_json::{Map, Value};

/// The vendor's sample body, read from the one fixture file.
pub fn vendor_body() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec/vendor-request-body.json"
    );
    let text = std::fs::read_to_string(path).expect("spec/vendor-request-body.json is readable");
    serde_json::from_str(&text).expect("spec/vendor-request-body.json is JSON")
}

/// The structure of `value`: objects keep their keys, arrays their items, every other value
/// becomes the name of its JSON type.
pub fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), shape(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(_) => "string".into(),
        Value::Number(_) => "number".into(),
        Value::Bool(_) => "boolean".into(),
        Value::Null => "null".into(),
    }
}

/// Asserts that `body` (what the server received) has the structure of the vendor's sample:
/// with `message.conversationId` when `with_conversation`, without it otherwise.
pub fn assert_vendor_shape(body: &Value, with_conversation: bool) {
    let mut expected = vendor_body();
    if !with_conversation
        && let Some(message) = expected.get_mut("message").and_then(Value::as_object_mut)
    {
        message.remove("conversationId");
    }
    assert_eq!(
        shape(body),
        shape(&expected),
        "the request body {body} does not have the structure of the vendor's sample body \
         (spec/vendor-request-body.json)"
    );
}
