//! The headers of one call that the SDK does not fix itself: the request id (`X-Request-Id`,
//! one per call, the same on its retries) and the caller's extra headers
//! ([`SendOptions::header`](crate::SendOptions::header)).

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{Error, Result};

/// The header carrying the call's id.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Headers the SDK owns: the token, the body's type and framing, the connection.
const RESERVED: [&str; 8] = [
    "authorization",
    "proxy-authorization",
    "content-type",
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
    "upgrade",
];

/// The extra headers and the id of one call.
#[derive(Debug, Clone)]
pub(crate) struct CallHeaders {
    /// Sent on every attempt, `X-Request-Id` included.
    pub headers: HeaderMap,
    /// The call's id: the caller's `X-Request-Id`, else a new one.
    pub request_id: String,
}

impl CallHeaders {
    /// Checks the caller's headers and adds the request id. Fails with an invalid-argument
    /// error on a reserved name (case-insensitive), an invalid name, or a value that is not
    /// printable ASCII (no line breaks). The value is never quoted (it may be a secret).
    pub(crate) fn new(extra: &[(String, String)]) -> Result<CallHeaders> {
        let mut headers = HeaderMap::new();
        for (name, value) in extra {
            let parsed = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
                Error::invalid_argument(format!(
                    "extra header name {name:?} is not a valid HTTP header name (letters, digits \
                     and !#$%&'*+-.^_`|~ only)"
                ))
            })?;
            if RESERVED.contains(&parsed.as_str()) {
                return Err(Error::invalid_argument(format!(
                    "extra header {name:?} is set by the SDK and cannot be overridden (reserved: \
                     {})",
                    RESERVED.join(", ")
                )));
            }
            let value = Some(value.trim())
                .filter(|v| v.is_ascii())
                .and_then(|v| HeaderValue::from_str(v).ok())
                .ok_or_else(|| {
                    Error::invalid_argument(format!(
                        "the value of extra header {name:?} must be printable ASCII without line \
                     breaks"
                    ))
                })?;
            headers.append(parsed, value);
        }
        let own = headers
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        let request_id = match own {
            Some(id) => id,
            None => {
                let id = new_request_id();
                // Always a valid value (ASCII letters, digits and `_`).
                if let Ok(value) = HeaderValue::from_str(&id) {
                    headers.insert(REQUEST_ID, value);
                }
                id
            }
        };
        Ok(CallHeaders {
            headers,
            request_id,
        })
    }
}

/// A fresh request id: `req_` and 128 random bits in 32 lowercase hex digits.
pub(crate) fn new_request_id() -> String {
    use rand::Rng;
    format!("req_{:032x}", rand::rng().random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn ids_are_new_each_time_and_well_formed() {
        let a = CallHeaders::new(&[]).expect("headers");
        let b = CallHeaders::new(&[]).expect("headers");
        assert_ne!(a.request_id, b.request_id);
        assert_eq!(a.request_id.len(), 36);
        assert_eq!(
            a.headers.get(&REQUEST_ID).and_then(|v| v.to_str().ok()),
            Some(a.request_id.as_str())
        );
    }

    #[test]
    fn a_callers_id_is_kept_once() {
        let call = CallHeaders::new(&pairs(&[("X-Request-ID", "mine")])).expect("headers");
        assert_eq!(call.request_id, "mine");
        assert_eq!(call.headers.get_all(&REQUEST_ID).iter().count(), 1);
    }

    #[test]
    fn refusals_never_quote_the_value() {
        for (name, value) in [
            ("Authorization", "Bearer sk-secret"),
            ("X-Api-Key", "sk-secret\r\nX-Other: y"),
        ] {
            let err = CallHeaders::new(&pairs(&[(name, value)])).expect_err("refused");
            assert!(!err.to_string().contains("sk-secret"), "{err}");
        }
    }
}
