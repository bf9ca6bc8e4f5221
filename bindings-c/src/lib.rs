//! The C ABI of the Enjo SDK: `libenjo.so`, `libenjo.a` and the header `include/enjo.h`
//! (generated from this crate by cbindgen; see `tests/header.rs`).
//!
//! The binding converts types and errors and nothing else: HTTP, JSON, retries, rate limiting
//! and validation are the core's (`enjo::blocking::Client`). Rules every entry point follows:
//!
//! - no panic crosses the boundary: each body runs under `catch_unwind`, and a panic becomes
//!   `ENJO_ERR_INTERNAL` (or a NULL / neutral return for accessors);
//! - NULL pointers, invalid UTF-8 and empty strings are `ENJO_ERR_INVALID_ARGUMENT` errors
//!   whose message names the argument;
//! - everything the library allocates is freed by the matching `enjo_*_free`, which accepts
//!   NULL; strings borrowed from a response or an error live as long as that object.
//!
//! Rust names here are the C names (cbindgen copies them), hence the lint exceptions.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)] // every function's safety contract is in its C doc comment

mod client;
mod error;
mod logging;
#[cfg(feature = "mock")]
mod mock;
mod options;
mod response;
mod util;

pub use client::*;
pub use error::*;
#[cfg(feature = "mock")]
pub use mock::*;
pub use options::*;
pub use response::*;
pub use util::{enjo_status_name, enjo_string_free, enjo_version};

/// Outcome of every fallible `enjo_` function. The error codes are the SDK's error taxonomy,
/// the same in every language binding (Python's `RateLimitError` is `ENJO_ERR_RATE_LIMITED`).
/// `ENJO_ERR_INTERNAL` (100) means a bug in the library was caught: it never aborts the process
/// and never unwinds into C. `ENJO_ERR_INTERRUPTED` (101) means the caller's interrupt check
/// stopped the call. Values never change between releases; new ones may be added.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum enjo_status {
    /// Success.
    ENJO_OK = 0,
    /// Rejected before sending: NULL or empty argument, invalid UTF-8, bad base URL, missing
    /// token, bad option.
    ENJO_ERR_INVALID_ARGUMENT = 1,
    /// HTTP 400: the server refused the request (for example `botId not found`).
    ENJO_ERR_INVALID_REQUEST = 2,
    /// HTTP 401: the token is missing, wrong or revoked.
    ENJO_ERR_AUTHENTICATION = 3,
    /// HTTP 404: no such endpoint (usually a wrong base URL).
    ENJO_ERR_NOT_FOUND = 4,
    /// HTTP 429, or the client-side rate limiter would wait longer than
    /// `rate_limit_max_wait_secs` (then nothing was sent). See `enjo_error_retry_after`.
    ENJO_ERR_RATE_LIMITED = 5,
    /// HTTP 5xx. The request may have been processed (a ticket may exist).
    ENJO_ERR_SERVER = 6,
    /// Any other non-2xx status (a redirect that is not followed included: anything but a
    /// 307/308 to the same origin), or a 2xx body saying `"success": false`.
    ENJO_ERR_API = 7,
    /// No complete answer within the timeout.
    ENJO_ERR_TIMEOUT = 8,
    /// DNS failure, connection refused or reset, TLS failure.
    ENJO_ERR_CONNECTION = 9,
    /// A 2xx whose body is not the documented JSON (malformed, not an object, over the cap).
    ENJO_ERR_DECODE = 10,
    /// The shared rate-limit store (a state file, Redis) could not be used: nothing was sent.
    /// The message says which store and why.
    ENJO_ERR_RATE_LIMIT_STORE = 11,
    /// A bug inside libenjo was caught (a Rust panic). The process is intact; please report it.
    ENJO_ERR_INTERNAL = 100,
    /// The caller's `enjo_send_options.interrupt_check` asked to stop: the call was abandoned
    /// before its reply (a request in flight was cancelled and may have reached the server;
    /// `enjo_error_may_have_been_sent` is then true). Not an SDK error kind: libenjo's own,
    /// like `ENJO_ERR_INTERNAL`.
    ENJO_ERR_INTERRUPTED = 101,
}

/// Which failures a client sends again (`enjo_options.retry_policy`).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum enjo_retry_policy {
    /// Only 429s and requests that provably never reached the server: never a duplicate ticket.
    /// The default.
    ENJO_RETRY_SAFE = 0,
    /// Also 500, 502-504 and timeouts after sending: a message may be processed twice.
    ENJO_RETRY_AT_LEAST_ONCE = 1,
}
