//! Entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`, off by default):
//! the crate-internal steps of a call, reached through the very functions the client runs.
//! Not part of the supported API: names and signatures may change in any release.

use std::time::SystemTime;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::error::Error;

/// What a call returns for a non-2xx reply (`status`, `headers`, the body as read, cut at
/// [`MAX_ERROR_BODY`](crate::MAX_ERROR_BODY)), after the client has scrubbed `token` out of it:
/// the steps of `send_once` for such a reply (the error parser, the server's request id, the
/// redaction). `None` for a status outside 100..=999.
pub fn error_reply(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
    token: &str,
) -> Option<Error> {
    let status = StatusCode::from_u16(status).ok()?;
    let server_id = crate::http::server_request_id(headers);
    Some(
        crate::http::error_from_parts(status, headers, body, now)
            .with_server_request_id(server_id)
            .redact(token),
    )
}

/// `err` with `token` scrubbed out of everything the server sent back, as the client does to
/// every error of an attempt.
pub fn redact(err: Error, token: &str) -> Error {
    err.redact(token)
}
