//! The 2xx reply decoder (`MessageResponse::from_body`) on arbitrary bytes (a seed is a reply
//! body as a server sends it). Each `@TOKEN@` in the input becomes the client's token, as a
//! server or gateway echoing the request's `Authorization` would send it.
//!
//! Properties: a decoded reply's `raw` (parsed lazily; null only when its text is valid JSON
//! that a `Value` cannot hold) re-encodes to valid JSON that decodes to the same reply
//! (the decoder is a function of the JSON value, not of its spelling); a ticket's common fields
//! do not depend on the ASCII case of `ticketDetails`' keys; an error is a decode error, or an
//! API error exactly when the body says `"success": false`; once redacted as the client does,
//! no error text holds the token.
#![no_main]

use enjo::{ErrorKind, MessageResponse};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

const TOKEN: &str = "tok-FUZZ-4f9a2c7e1b";

fuzz_target!(|data: &[u8]| {
    check(&plant(data));
});

/// `data` with every `@TOKEN@` replaced by the token.
fn plant(data: &[u8]) -> Vec<u8> {
    const MARKER: &[u8] = b"@TOKEN@";
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    while !rest.is_empty() {
        if rest.starts_with(MARKER) {
            out.extend_from_slice(TOKEN.as_bytes());
            rest = &rest[MARKER.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

fn check(body: &[u8]) {
    match MessageResponse::from_body(body, 200, None) {
        Ok(reply) => decoded(&reply),
        Err(err) => {
            let parsed: Option<Value> = serde_json::from_slice(body).ok();
            let says_failure = parsed
                .as_ref()
                .and_then(Value::as_object)
                .is_some_and(|o| o.get("success") == Some(&Value::Bool(false)));
            match err.kind() {
                ErrorKind::Api => assert!(says_failure, "an API error without success:false"),
                ErrorKind::Decode => assert!(
                    !parsed.as_ref().is_some_and(Value::is_object),
                    "a JSON object refused as undecodable"
                ),
                other => panic!("unexpected error kind {other:?}"),
            }
            assert_eq!(err.status(), Some(200));
            let err = enjo::fuzzing::redact(err, TOKEN);
            for text in [
                err.to_string(),
                format!("{err:?}"),
                err.message().to_owned(),
                err.body().unwrap_or_default().to_owned(),
                err.code().unwrap_or_default().to_owned(),
            ] {
                assert!(!text.contains(TOKEN), "token in error text: {text:?}");
            }
        }
    }
}

fn decoded(reply: &MessageResponse) {
    let value = reply.raw.value();
    if value.is_null() {
        // `raw` is parsed lazily; a valid body that a `Value` cannot hold (a number beyond
        // f64's range in a field the decoder skips) reads as null and keeps its text verbatim.
        let text = reply.raw.text().expect("a decoded body keeps its text");
        assert!(
            serde_json::from_str::<Value>(text).is_err(),
            "raw is null although its text parses: {text:?}"
        );
        return;
    }
    assert!(value.is_object());
    // Re-encoding `raw` gives valid JSON that decodes to the same reply.
    let encoded = serde_json::to_vec(value).expect("a Value always serialises");
    let again: Value = serde_json::from_slice(&encoded).expect("re-encoded raw is valid JSON");
    assert_eq!(&again, value);
    let reply2 = MessageResponse::from_body(&encoded, 200, None).expect("re-encoded reply decodes");
    // Debug, not ==: a score may be NaN ("NaN" as a string parses), which is never == itself.
    assert_eq!(format!("{reply:?}"), format!("{reply2:?}"));
    if let Some(ticket) = &reply.ticket {
        assert!(ticket.raw.as_object().is_some_and(|o| !o.is_empty()));
    }
    // Ticket casing: the same ticketDetails with its keys in other ASCII cases.
    let Some(details) = value
        .get("data")
        .and_then(|d| d.get("ticketDetails"))
        .and_then(Value::as_object)
    else {
        return;
    };
    for recase in [
        str::to_ascii_uppercase as fn(&str) -> String,
        str::to_ascii_lowercase,
    ] {
        let recased: Map<String, Value> = details
            .iter()
            .map(|(k, v)| (recase(k), v.clone()))
            .collect();
        if recased.len() != details.len() {
            continue; // two keys differ only in case: they merge, the casing test is void
        }
        let mut raw = value.clone();
        raw["data"]["ticketDetails"] = Value::Object(recased);
        let other = MessageResponse::from_json(raw, 200, None).expect("recased reply decodes");
        let fields = |r: &MessageResponse| {
            r.ticket.as_ref().map(|t| {
                [
                    t.id.clone(),
                    t.url.clone(),
                    t.ticket_type.clone(),
                    t.status.clone(),
                    t.priority.clone(),
                    t.description.clone(),
                    t.created_date.clone(),
                    t.last_modified_date.clone(),
                    t.case_number.clone(),
                ]
            })
        };
        assert_eq!(
            fields(reply),
            fields(&other),
            "ticket fields depend on key casing"
        );
    }
}
