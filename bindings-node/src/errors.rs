//! Errors as data (core's [`enjo::ErrorView`]): `index.js` makes each an instance of its class.

use napi_derive::napi;

/// An SDK error as data (core's [`enjo::ErrorView`]); the JavaScript layer makes it an instance
/// of the class `className`.
#[napi(object)]
pub struct ErrorInfo {
    /// The error class: `RateLimitError`, `APITimeoutError`, ... (`InternalError` for a bug).
    pub class_name: String,
    /// The kind shared by every binding: `rate_limited`, `timeout`, ... (`internal` for a bug).
    pub kind: String,
    /// What happened and what to do next. Never holds the token.
    pub message: String,
    /// The HTTP status, for errors that come from a response.
    pub status: Option<u32>,
    /// The server's error code, e.g. `rate_limit_error`.
    pub code: Option<String>,
    /// The raw response body (cut at 64 KiB).
    pub body: Option<String>,
    /// Seconds to wait before trying again.
    pub retry_after: Option<f64>,
    /// The call's request id (sent as `X-Request-Id`).
    pub request_id: Option<String>,
    /// The server's own request id.
    pub server_request_id: Option<String>,
    /// False when the request provably never reached the server.
    pub may_have_been_sent: bool,
}

impl From<enjo::Error> for ErrorInfo {
    fn from(err: enjo::Error) -> ErrorInfo {
        let view = err.view();
        ErrorInfo {
            class_name: view.class_name.to_owned(),
            kind: view.kind_name.to_owned(),
            message: view.display,
            status: view.status.map(u32::from),
            code: view.code,
            body: view.body,
            retry_after: view.retry_after,
            request_id: view.request_id,
            server_request_id: view.server_request_id,
            may_have_been_sent: view.may_have_been_sent,
        }
    }
}

/// The error for a bug in enjo that JavaScript caught (an unexpected error out of the addon),
/// worded as core words every internal error.
#[napi(catch_unwind)]
pub fn internal_error(what: String) -> ErrorInfo {
    enjo::Error::internal(what).into()
}

/// One of core's error kinds, for the test that checks `index.js` has a class for each.
#[napi(object)]
pub struct ErrorKindInfo {
    /// The class name, e.g. `RateLimitError`.
    pub class_name: String,
    /// The kind, e.g. `rate_limited`.
    pub kind: String,
    /// Whether it comes from an HTTP response (then the class derives from `APIError`).
    pub is_api: bool,
}

/// Every kind of core's `ErrorKind::ALL`.
#[napi(catch_unwind)]
pub fn error_kinds() -> Vec<ErrorKindInfo> {
    enjo::ErrorKind::ALL
        .iter()
        .map(|k| ErrorKindInfo {
            class_name: k.class_name().to_owned(),
            kind: k.as_str().to_owned(),
            is_api: k.is_api(),
        })
        .collect()
}
