//! Fault injection: misbehaviour on demand, for testing clients.
//!
//! A fault spec is `name[=value][;param=value...]`, e.g. `429;retry-after-ms=200`,
//! `status=400;shape=message`, `delay=1500`, `huge-body=5000000`, `huge-body-chunked=5000000`.
//! Specs arrive per request (the
//! `X-Enjo-Mock-Fault` header), per bot (`fault` in the bot config), or queued through
//! `POST /_mock/faults`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which documented error body shape to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"code": "...", "error": "..."}` (the docs' examples).
    Error,
    /// `{"code": "...", "message": "...", "status": N}` (the docs' rate-limit section).
    Message,
}

/// What a faulted request gets.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// That status with a documented error body; 429s carry `Retry-After` unless disabled.
    Status {
        /// HTTP status.
        code: u16,
        /// Body shape.
        shape: Shape,
        /// `Retry-After` to send (429 defaults to 1 s).
        retry_after: Option<Duration>,
    },
    /// Process the message (creating any ticket), then answer 500.
    ServerErrorAfterTicket,
    /// 200 with truncated JSON.
    MalformedJson,
    /// 502 with an HTML page, as a proxy sends.
    Html502,
    /// That status with an empty body.
    EmptyBody(u16),
    /// Wait, then answer normally.
    Delay(Duration),
    /// Close the connection abruptly (RST) without any response.
    Reset,
    /// 200 with the `Content-Length` of a whole reply, half of its body, then an RST.
    ResetMidBody,
    /// 200 whose strings are non-ASCII: JSON `\u` escapes (a surrogate pair included) beside
    /// raw UTF-8; the decoded answer is [`UNICODE_ANSWER`].
    Unicode,
    /// 200 with `"success": false`.
    SuccessFalse,
    /// 200 with `"data": {}`.
    MissingFields,
    /// 200 with unknown keys at every level.
    ExtraFields,
    /// 200 whose `answers` is this many bytes, sent with a `Content-Length`.
    HugeBody(usize),
    /// The same, streamed with `Transfer-Encoding: chunked` and no `Content-Length`, so a
    /// client only learns the size by reading.
    HugeBodyChunked(usize),
}

/// The largest `huge-body` / `huge-body-chunked` a fault may ask for: 256 MiB.
pub const MAX_HUGE_BODY: usize = 256 * 1024 * 1024;

/// The size of a `huge-body` / `huge-body-chunked` without a value: 20 MiB.
pub const DEFAULT_HUGE_BODY: usize = 20 * 1024 * 1024;

/// The body of the `unicode` fault: every kind of non-ASCII text a JSON parser must handle.
pub const UNICODE_BODY: &str = r#"{"success":true,"data":{"answers":"Gr\u00fc\u00dfe, \u65e5\u672c\u8a9e, \ud83d\ude00 and 😀, שלום, e\u0301 \"q\" \\ \/ tab\tend","sources":[{"type":"knowledge base","name":"Ünïcödé ✓","score":0.5,"url":"https://kb.example/%C3%BC"}],"conversationId":"conv-\u00fc-1"}}"#;

/// The `answers` of [`UNICODE_BODY`], decoded.
pub const UNICODE_ANSWER: &str = "Grüße, 日本語, 😀 and 😀, שלום, e\u{301} \"q\" \\ / tab\tend";

/// A queued fault, as posted to `/_mock/faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Only requests to this bot (any bot when absent).
    #[serde(default)]
    pub bot_id: Option<String>,
    /// The fault spec.
    pub fault: String,
    /// How many requests it applies to (until reset when absent).
    #[serde(default)]
    pub times: Option<u32>,
}

impl Fault {
    /// Parses a spec; the error says what is accepted.
    pub fn parse(spec: &str) -> Result<Fault, String> {
        let mut parts = spec.split(';').map(str::trim);
        let head = parts.next().unwrap_or_default();
        let (name, value) = match head.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (head, None),
        };
        let mut shape = Shape::Error;
        let mut retry_after: Option<Option<Duration>> = None;
        for param in parts.filter(|p| !p.is_empty()) {
            let (key, val) = param
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| format!("fault parameter {param:?} is not key=value"))?;
            match key {
                "shape" if val == "message" => shape = Shape::Message,
                "shape" if val == "error" => shape = Shape::Error,
                "retry-after" if val == "none" => retry_after = Some(None),
                "retry-after" => retry_after = Some(Some(Duration::from_secs(number(key, val)?))),
                "retry-after-ms" => {
                    retry_after = Some(Some(Duration::from_millis(number(key, val)?)))
                }
                _ => return Err(format!("unknown fault parameter {param:?}")),
            }
        }
        let status = |code: u16| {
            let default = (code == 429).then_some(Duration::from_secs(1));
            Fault::Status {
                code,
                shape,
                retry_after: retry_after.unwrap_or(default),
            }
        };
        let need = |what: &str| -> Result<&str, String> {
            value.ok_or_else(|| format!("fault {name:?} needs ={what}"))
        };
        Ok(match name {
            "500" => status(500),
            "429" => status(429),
            "status" => {
                let code = number("status", need("<code>")?)?;
                let code = u16::try_from(code)
                    .ok()
                    .filter(|c| (200..=599).contains(c))
                    .ok_or_else(|| format!("status {code} is not an HTTP status"))?;
                status(code)
            }
            "500-after-ticket" => Fault::ServerErrorAfterTicket,
            "malformed-json" => Fault::MalformedJson,
            "html-502" => Fault::Html502,
            "empty-body" => {
                let code = number("empty-body", need("<status>")?)?;
                Fault::EmptyBody(u16::try_from(code).map_err(|_| "bad status".to_owned())?)
            }
            "delay" => Fault::Delay(Duration::from_millis(number("delay", need("<ms>")?)?)),
            "reset" => Fault::Reset,
            "reset-mid-body" => Fault::ResetMidBody,
            "unicode" => Fault::Unicode,
            "success-false" => Fault::SuccessFalse,
            "missing-fields" => Fault::MissingFields,
            "extra-fields" => Fault::ExtraFields,
            "huge-body" => Fault::HugeBody(huge_size(name, value)?),
            "huge-body-chunked" => Fault::HugeBodyChunked(huge_size(name, value)?),
            other => {
                return Err(format!(
                    "unknown fault {other:?}; known: 500, 500-after-ticket, 429, status=<code>, \
                     malformed-json, html-502, empty-body=<status>, delay=<ms>, reset, \
                     reset-mid-body, unicode, success-false, missing-fields, extra-fields, huge-body=<bytes>, \
                     huge-body-chunked=<bytes>"
                ));
            }
        })
    }

    /// The fault's name, as recorded in the request log.
    pub fn name(&self) -> String {
        match self {
            Fault::Status { code, .. } => format!("status={code}"),
            Fault::ServerErrorAfterTicket => "500-after-ticket".into(),
            Fault::MalformedJson => "malformed-json".into(),
            Fault::Html502 => "html-502".into(),
            Fault::EmptyBody(code) => format!("empty-body={code}"),
            Fault::Delay(d) => format!("delay={}", d.as_millis()),
            Fault::Reset => "reset".into(),
            Fault::ResetMidBody => "reset-mid-body".into(),
            Fault::Unicode => "unicode".into(),
            Fault::SuccessFalse => "success-false".into(),
            Fault::MissingFields => "missing-fields".into(),
            Fault::ExtraFields => "extra-fields".into(),
            Fault::HugeBody(n) => format!("huge-body={n}"),
            Fault::HugeBodyChunked(n) => format!("huge-body-chunked={n}"),
        }
    }
}

/// The size asked for by `huge-body[=<bytes>]` or `huge-body-chunked[=<bytes>]`, at most
/// [`MAX_HUGE_BODY`].
fn huge_size(name: &str, value: Option<&str>) -> Result<usize, String> {
    let Some(value) = value else {
        return Ok(DEFAULT_HUGE_BODY);
    };
    let size = number(name, value).or_else(|why| {
        // All digits but too many of them for a u64: over the limit, not malformed.
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            Ok(u64::MAX)
        } else {
            Err(why)
        }
    })?;
    usize::try_from(size)
        .ok()
        .filter(|&n| n <= MAX_HUGE_BODY)
        .ok_or_else(|| {
            format!(
                "{name}={value} is over the limit of {MAX_HUGE_BODY} bytes (256 MiB); ask for less"
            )
        })
}

fn number(what: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("{what} needs a whole number, not {value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_fault() {
        assert_eq!(
            Fault::parse("429"),
            Ok(Fault::Status {
                code: 429,
                shape: Shape::Error,
                retry_after: Some(Duration::from_secs(1))
            })
        );
        assert_eq!(
            Fault::parse("429;retry-after-ms=250;shape=message"),
            Ok(Fault::Status {
                code: 429,
                shape: Shape::Message,
                retry_after: Some(Duration::from_millis(250))
            })
        );
        assert_eq!(
            Fault::parse("status=429;retry-after=none"),
            Ok(Fault::Status {
                code: 429,
                shape: Shape::Error,
                retry_after: None
            })
        );
        assert_eq!(
            Fault::parse("status=400"),
            Ok(Fault::Status {
                code: 400,
                shape: Shape::Error,
                retry_after: None
            })
        );
        assert_eq!(
            Fault::parse("delay=5"),
            Ok(Fault::Delay(Duration::from_millis(5)))
        );
        assert_eq!(Fault::parse("huge-body=10"), Ok(Fault::HugeBody(10)));
        assert_eq!(
            Fault::parse("huge-body"),
            Ok(Fault::HugeBody(DEFAULT_HUGE_BODY))
        );
        assert_eq!(
            Fault::parse("huge-body-chunked=10"),
            Ok(Fault::HugeBodyChunked(10))
        );
        assert_eq!(
            Fault::parse(&format!("huge-body-chunked={MAX_HUGE_BODY}")),
            Ok(Fault::HugeBodyChunked(MAX_HUGE_BODY))
        );
        for over in [
            format!("huge-body={}", MAX_HUGE_BODY + 1),
            format!("huge-body-chunked={}", MAX_HUGE_BODY + 1),
            "huge-body=99999999999999999999999".to_owned(),
        ] {
            let err = Fault::parse(&over).expect_err("over the cap");
            assert!(err.contains("over the limit of 268435456 bytes"), "{err}");
        }
        assert_eq!(Fault::parse("empty-body=503"), Ok(Fault::EmptyBody(503)));
        for ok in [
            "500",
            "500-after-ticket",
            "malformed-json",
            "html-502",
            "reset",
            "reset-mid-body",
            "unicode",
            "success-false",
            "missing-fields",
            "extra-fields",
            "huge-body",
            "huge-body-chunked",
        ] {
            assert!(Fault::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Fault::parse("reset-mid-body"), Ok(Fault::ResetMidBody));
        assert_eq!(Fault::parse("unicode"), Ok(Fault::Unicode));
        let body: serde_json::Value = serde_json::from_str(UNICODE_BODY).expect("valid JSON");
        assert_eq!(body["data"]["answers"], UNICODE_ANSWER);
        assert_eq!(body["data"]["conversationId"], "conv-ü-1");
        for bad in [
            "",
            "nope",
            "status=abc",
            "status=99",
            "delay",
            "429;x=1",
            "429;shape",
            "huge-body=",
            "huge-body=-1",
        ] {
            assert!(Fault::parse(bad).is_err(), "{bad}");
        }
    }
}
