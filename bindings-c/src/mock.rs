//! The testing kit for C (cargo feature `mock`, off in the installed library): the `enjo-mock`
//! server in-process, on a runtime thread of its own (`enjo_mock::Kit`), so a C program's own
//! tests need no other process. Built with `cargo build -p enjo-c --features mock`; the header
//! declares these functions only when `ENJO_MOCK` is defined.

use std::ffi::{CString, c_char};

use ::enjo_mock::{Kit, KitOptions};

use crate::enjo_status;
use crate::error::{CError, enjo_error};
use crate::util::{c_string, call, guard, opt_str};

/// A running mock server; from `enjo_mock_start`, stopped and freed by `enjo_mock_stop`.
pub struct enjo_mock {
    kit: Kit,
    url: CString,
    token: CString,
}

/// Starts an Enjo-compatible mock server on 127.0.0.1 and a free port, on a thread of its own.
///
/// `rate_limit`: NULL or `"off"` for no limit, `"documented"` for the real API's (20 per
/// minute, 10 per 5 s), or quotas as `"5/200ms,10/1s"`. `bots_file`: NULL for the built-in
/// bots (`support-bot`, `jira-bot`, `servicenow-bot`, `faq-bot`, `echo-bot`), else a TOML file
/// of bots (`enjo mock --print-config` prints the built-in ones). The token it accepts is
/// `enjo_mock_token()`'s.
///
/// Ownership: `*out` is set to a new server (NULL on failure), stopped and freed with
/// `enjo_mock_stop`. `ENJO_ERR_INVALID_ARGUMENT` for a bad option (the message says which).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_mock_start(
    rate_limit: *const c_char,
    bots_file: *const c_char,
    out: *mut *mut enjo_mock,
    error: *mut *mut enjo_error,
) -> enjo_status {
    call(error, || {
        if out.is_null() {
            return Err(CError::invalid("out is NULL"));
        }
        // SAFETY: `out` is a writable slot (documented, checked non-NULL).
        unsafe { *out = std::ptr::null_mut() };
        // SAFETY: NULL or NUL-terminated strings (documented).
        let rate_limit = unsafe { opt_str(rate_limit, "rate_limit") }?;
        // SAFETY: as above.
        let bots_file = unsafe { opt_str(bots_file, "bots_file") }?;
        let options = KitOptions {
            rate_limit: rate_limit.map(str::to_owned),
            bots_file: bots_file.map(Into::into),
            ..KitOptions::default()
        };
        options.config().map_err(CError::invalid)?;
        let kit = Kit::start(&options)
            .map_err(|message| CError::Local(enjo_status::ENJO_ERR_CONNECTION, message.into()))?;
        let mock = enjo_mock {
            url: c_string(kit.url()),
            token: c_string(kit.token()),
            kit,
        };
        // SAFETY: as above.
        unsafe { *out = Box::into_raw(Box::new(mock)) };
        Ok(())
    })
}

/// The server's base URL, `http://127.0.0.1:PORT` (pass it as the client's `base_url`).
///
/// Ownership: borrowed from `mock`, valid until `enjo_mock_stop`. NULL when `mock` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_mock_url(mock: *const enjo_mock) -> *const c_char {
    guard(std::ptr::null(), || {
        // SAFETY: NULL or a live server from `enjo_mock_start` (documented).
        unsafe { mock.as_ref() }.map_or(std::ptr::null(), |m| m.url.as_ptr())
    })
}

/// The token the server accepts (`enjo-mock-token`).
///
/// Ownership: borrowed from `mock`, valid until `enjo_mock_stop`. NULL when `mock` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_mock_token(mock: *const enjo_mock) -> *const c_char {
    guard(std::ptr::null(), || {
        // SAFETY: as in `enjo_mock_url`.
        unsafe { mock.as_ref() }.map_or(std::ptr::null(), |m| m.token.as_ptr())
    })
}

/// The requests the server received, oldest first, as a JSON array of objects (`bot_id`,
/// `conversation_id`, `text`, `body`, `status`, `fault`, `headers` with `authorization`
/// redacted...).
///
/// Ownership: a new string, freed with `enjo_string_free`. NULL when `mock` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_mock_requests_json(mock: *const enjo_mock) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        // SAFETY: as in `enjo_mock_url`.
        unsafe { mock.as_ref() }.map_or(std::ptr::null_mut(), |m| {
            c_string(&m.kit.requests_json()).into_raw()
        })
    })
}

/// The tickets the server created, as a JSON array of `{bot_id, platform, conversation_id,
/// ticket}`.
///
/// Ownership: a new string, freed with `enjo_string_free`. NULL when `mock` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_mock_tickets_json(mock: *const enjo_mock) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        // SAFETY: as in `enjo_mock_url`.
        unsafe { mock.as_ref() }.map_or(std::ptr::null_mut(), |m| {
            c_string(&m.kit.tickets_json()).into_raw()
        })
    })
}

/// Makes the next `times` requests (every one when 0) to `bot_id` (any bot when NULL) fail
/// with `fault`: `"500"`, `"429"`, `"status=404"`, `"malformed-json"`, `"delay=200"`... (the
/// fault specs of the mock's README). `ENJO_ERR_INVALID_ARGUMENT` for an unknown spec.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_mock_add_fault(
    mock: *const enjo_mock,
    fault: *const c_char,
    bot_id: *const c_char,
    times: u32,
    error: *mut *mut enjo_error,
) -> enjo_status {
    call(error, || {
        // SAFETY: as in `enjo_mock_url`.
        let mock = unsafe { mock.as_ref() }.ok_or_else(|| CError::invalid("mock is NULL"))?;
        // SAFETY: NULL or NUL-terminated strings (documented).
        let fault =
            unsafe { opt_str(fault, "fault") }?.ok_or_else(|| CError::invalid("fault is NULL"))?;
        // SAFETY: as above.
        let bot_id = unsafe { opt_str(bot_id, "bot_id") }?;
        mock.kit
            .add_fault(fault, bot_id, (times > 0).then_some(times))
            .map_err(CError::invalid)
    })
}

/// Forgets requests, tickets, conversations, queued faults and rate-limit windows. Accepts
/// NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_mock_reset(mock: *const enjo_mock) {
    guard((), || {
        // SAFETY: as in `enjo_mock_url`.
        if let Some(mock) = unsafe { mock.as_ref() } {
            mock.kit.reset();
        }
    })
}

/// Stops the server (waiting for its thread) and frees it. Accepts NULL.
///
/// Ownership: takes `mock`; strings borrowed from it are invalid afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_mock_stop(mock: *mut enjo_mock) {
    if mock.is_null() {
        return;
    }
    guard((), || {
        // SAFETY: a server from `enjo_mock_start`, not yet stopped (documented).
        let mut mock = unsafe { Box::from_raw(mock) };
        mock.kit.stop();
    })
}
