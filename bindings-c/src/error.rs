//! `enjo_error`: what went wrong, with every field of the core's error as C values.

use std::any::Any;
use std::ffi::{CString, c_char};

use enjo_core::{Error, ErrorKind};

use crate::enjo_status;
use crate::util::{c_string, guard, opt_c_string, ptr_of};

/// An error inside the library, before it is handed to C: the core's, or the binding's own
/// (invalid argument caught here, caught panic). Small, so `Result`s stay cheap.
pub(crate) enum CError {
    Core(Error),
    Local(enjo_status, Box<str>),
    /// The caller's interrupt check stopped the call.
    Interrupted,
}

impl CError {
    /// An invalid argument caught by the binding itself (NULL, invalid UTF-8, bad option).
    pub(crate) fn invalid(message: impl Into<String>) -> CError {
        CError::Local(
            enjo_status::ENJO_ERR_INVALID_ARGUMENT,
            message.into().into_boxed_str(),
        )
    }

    /// A caught panic (core's [`Error::from_panic`]: `ENJO_ERR_INTERNAL`).
    pub(crate) fn panic(payload: &(dyn Any + Send)) -> CError {
        CError::Core(Error::from_panic(payload))
    }

    pub(crate) fn status(&self) -> enjo_status {
        match self {
            CError::Core(err) => status_of(err.kind()),
            CError::Local(status, _) => *status,
            CError::Interrupted => enjo_status::ENJO_ERR_INTERRUPTED,
        }
    }
}

impl From<Error> for CError {
    fn from(err: Error) -> CError {
        CError::Core(err)
    }
}

/// The C status of a core error kind.
pub(crate) fn status_of(kind: ErrorKind) -> enjo_status {
    match kind {
        ErrorKind::InvalidArgument => enjo_status::ENJO_ERR_INVALID_ARGUMENT,
        ErrorKind::InvalidRequest => enjo_status::ENJO_ERR_INVALID_REQUEST,
        ErrorKind::Authentication => enjo_status::ENJO_ERR_AUTHENTICATION,
        ErrorKind::NotFound => enjo_status::ENJO_ERR_NOT_FOUND,
        ErrorKind::RateLimited => enjo_status::ENJO_ERR_RATE_LIMITED,
        ErrorKind::Server => enjo_status::ENJO_ERR_SERVER,
        ErrorKind::Timeout => enjo_status::ENJO_ERR_TIMEOUT,
        ErrorKind::Connection => enjo_status::ENJO_ERR_CONNECTION,
        ErrorKind::Decode => enjo_status::ENJO_ERR_DECODE,
        ErrorKind::Internal => enjo_status::ENJO_ERR_INTERNAL,
        ErrorKind::RateLimitStore => enjo_status::ENJO_ERR_RATE_LIMIT_STORE,
        // `Api`, and any kind a later core adds before this binding knows it.
        _ => enjo_status::ENJO_ERR_API,
    }
}

/// An error returned through the `enjo_error **error` parameter of a fallible function.
///
/// Ownership: the caller owns it and frees it with `enjo_error_free`. Strings returned by its
/// accessors are borrowed: valid until `enjo_error_free`. Immutable, so it may be read from
/// several threads.
pub struct enjo_error {
    status: enjo_status,
    message: CString,
    display: CString,
    http_status: i32,
    code: Option<CString>,
    body: Option<CString>,
    request_id: Option<CString>,
    server_request_id: Option<CString>,
    retry_after: f64,
    may_have_been_sent: bool,
}

/// The message of `ENJO_ERR_INTERRUPTED`.
const INTERRUPTED: &str = "interrupted: interrupt_check asked to stop before the reply \
    arrived; the call was abandoned (a request in flight was cancelled and may have reached \
    the server)";

impl From<CError> for enjo_error {
    fn from(err: CError) -> enjo_error {
        let status = err.status();
        match err {
            CError::Local(_, message) => enjo_error {
                status,
                message: c_string(&message),
                display: c_string(&message),
                http_status: 0,
                code: None,
                body: None,
                request_id: None,
                server_request_id: None,
                retry_after: f64::NAN,
                may_have_been_sent: false,
            },
            CError::Interrupted => {
                enjo_error {
                    status,
                    message: c_string(INTERRUPTED),
                    display: c_string(INTERRUPTED),
                    http_status: 0,
                    code: None,
                    body: None,
                    request_id: None,
                    server_request_id: None,
                    retry_after: f64::NAN,
                    // libenjo cannot tell whether the request had left: assume it may have.
                    may_have_been_sent: true,
                }
            }
            CError::Core(err) => {
                let view = err.view();
                enjo_error {
                    status,
                    message: c_string(&view.message),
                    display: c_string(&view.display),
                    http_status: view.status.map_or(0, i32::from),
                    code: opt_c_string(view.code.as_deref()),
                    body: opt_c_string(view.body.as_deref()),
                    request_id: opt_c_string(view.request_id.as_deref()),
                    server_request_id: opt_c_string(view.server_request_id.as_deref()),
                    retry_after: view.retry_after.unwrap_or(f64::NAN),
                    may_have_been_sent: view.may_have_been_sent,
                }
            }
        }
    }
}

/// # Safety
/// `error` is NULL or a live `enjo_error` from this library.
unsafe fn with<T>(error: *const enjo_error, fallback: T, read: impl FnOnce(&enjo_error) -> T) -> T {
    // SAFETY: the caller's contract.
    match unsafe { error.as_ref() } {
        Some(e) => guard(fallback, || read(e)),
        None => fallback,
    }
}

/// The error's status (never `ENJO_OK`). `ENJO_ERR_INVALID_ARGUMENT` when `error` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_error_status(error: *const enjo_error) -> enjo_status {
    // SAFETY: forwarded contract.
    unsafe { with(error, enjo_status::ENJO_ERR_INVALID_ARGUMENT, |e| e.status) }
}

/// What happened, e.g. `"botId not found"`; never NULL for a non-NULL `error` (NULL for NULL).
/// The server's message for API errors; the library's own otherwise.
///
/// Ownership: borrowed from `error`; valid until `enjo_error_free(error)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_error_message(error: *const enjo_error) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { with(error, std::ptr::null(), |e| e.message.as_ptr()) }
}

/// One line for users and logs: HTTP status and code, message, retry delay, request id and what
/// to do next, e.g. `"HTTP 401 authentication_error: Authentication Error; check
/// ENJO_API_TOKEN ..."`. Never contains the token. NULL only for a NULL `error`.
///
/// Ownership: borrowed from `error`; valid until `enjo_error_free(error)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_error_display(error: *const enjo_error) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { with(error, std::ptr::null(), |e| e.display.as_ptr()) }
}

/// The HTTP status of the reply that caused the error (e.g. 429), or 0 when there was no reply
/// (invalid argument, timeout, connection, local rate limit).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_error_http_status(error: *const enjo_error) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { with(error, 0, |e| e.http_status) }
}

/// The server's error code, e.g. `"rate_limit_error"`, or NULL when it sent none.
///
/// Ownership: borrowed from `error`; valid until `enjo_error_free(error)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_error_code(error: *const enjo_error) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { with(error, std::ptr::null(), |e| ptr_of(&e.code)) }
}

/// The raw response body (at most 64 KiB) for errors that come from a reply, else NULL.
///
/// Ownership: borrowed from `error`; valid until `enjo_error_free(error)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_error_body(error: *const enjo_error) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { with(error, std::ptr::null(), |e| ptr_of(&e.body)) }
}

/// The call's request id (sent as `X-Request-Id` on each attempt), to quote to Enjo's support, or NULL.
///
/// Ownership: borrowed from `error`; valid until `enjo_error_free(error)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_error_request_id(error: *const enjo_error) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { with(error, std::ptr::null(), |e| ptr_of(&e.request_id)) }
}

/// The server's own request id (its `x-request-id`, `request-id` or `x-amzn-requestid` reply
/// header), or NULL when no reply came with one.
///
/// Ownership: borrowed from `error`; valid until `enjo_error_free(error)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_error_server_request_id(error: *const enjo_error) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { with(error, std::ptr::null(), |e| ptr_of(&e.server_request_id)) }
}

/// Seconds to wait before trying again (the server's `Retry-After`, or the local rate
/// limiter's estimate), or NaN when the error carries no delay (test with `isnan`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_error_retry_after(error: *const enjo_error) -> f64 {
    // SAFETY: forwarded contract.
    unsafe { with(error, f64::NAN, |e| e.retry_after) }
}

/// False when the request provably never reached the server (sending it again cannot create a
/// duplicate ticket); true when it may have been processed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_error_may_have_been_sent(error: *const enjo_error) -> bool {
    // SAFETY: forwarded contract.
    unsafe { with(error, false, |e| e.may_have_been_sent) }
}

/// Frees an error and every string borrowed from it. Accepts NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_error_free(error: *mut enjo_error) {
    if error.is_null() {
        return;
    }
    guard((), || {
        // SAFETY: the error came from `Box::into_raw` in this library (documented).
        drop(unsafe { Box::from_raw(error) });
    });
}
