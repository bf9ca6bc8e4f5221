//! The error-reply parser of a call (`enjo::fuzzing::error_reply`: status, headers and body of
//! a non-2xx reply to an `Error`, then the token redaction every attempt's error goes through).
//!
//! The input is an HTTP response as text (a seed is a reply as a server sends it): a status
//! line whose first number is the status, header lines, a blank line, the body. Each `@TOKEN@`
//! in it becomes the client's token (gateways echo request headers in their error pages).
//!
//! Properties: the kind follows the status; the message is never empty; the kept body is at
//! most `MAX_ERROR_BODY`; a documented shape's code and message come back as sent
//! (`{"code","error"}`, `{"code","message","status"}`); no text of the error (message,
//! Display, Debug, body, code, request ids) contains the token.
#![no_main]

use std::time::{Duration, SystemTime};

use enjo::ErrorKind;
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const TOKEN: &str = "tok-FUZZ-4f9a2c7e1b";
const MARKER: &[u8] = b"@TOKEN@";

fuzz_target!(|data: &[u8]| {
    let data = replace(data, MARKER, TOKEN.as_bytes());
    // Redaction rewrites the token, its escaped forms and a cut-off head of it (from `tok-`).
    let planted = contains(&data, b"tok");
    let (head, body) = match find(&data, b"\r\n\r\n") {
        Some(i) => (&data[..i], &data[i + 4..]),
        None => match find(&data, b"\n\n") {
            Some(i) => (&data[..i], &data[i + 2..]),
            None => (&data[..], &[][..]),
        },
    };
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status_line = lines.next().unwrap_or_default();
    let digits: Vec<u8> = status_line
        .iter()
        .skip_while(|b| !b.is_ascii_digit())
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    let status: u16 = std::str::from_utf8(&digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = line[colon + 1..].trim_ascii();
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_760_000_000);
    let Some(err) = enjo::fuzzing::error_reply(status, &headers, body, now, TOKEN) else {
        assert!(!(100..=999).contains(&status), "status {status} refused");
        return;
    };
    assert_eq!(err.status(), Some(status));
    assert_eq!(err.kind(), ErrorKind::from_status(status));
    assert!(!err.message().trim().is_empty(), "empty message");
    assert!(err.body().is_some_and(|b| b.len() <= enjo::MAX_ERROR_BODY));

    // The documented shapes, read as documented (when nothing is there to be redacted).
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if let (false, Some(obj)) = (planted, json.as_ref().and_then(Value::as_object)) {
        let text = |key: &str| {
            obj.get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
        };
        if let Some(code) = text("code") {
            assert_eq!(err.code(), Some(code), "code of {obj:?}");
        }
        if let Some(error) = text("error") {
            assert_eq!(err.message(), error, "message of {obj:?}");
        } else if let (None, Some(message)) = (obj.get("error"), text("message")) {
            assert_eq!(err.message(), message, "message of {obj:?}");
        }
    }

    let view = err.view();
    for text in [
        err.to_string(),
        format!("{err:?}"),
        format!("{view:?}"),
        err.message().to_owned(),
        err.body().unwrap_or_default().to_owned(),
        err.code().unwrap_or_default().to_owned(),
        err.server_request_id().unwrap_or_default().to_owned(),
    ] {
        assert!(!text.contains(TOKEN), "token in error text: {text:?}");
    }
});

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

fn replace(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    while !rest.is_empty() {
        if rest.starts_with(from) {
            out.extend_from_slice(to);
            rest = &rest[from.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}
