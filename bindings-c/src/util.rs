//! Panic guards, argument conversion and the small free-standing functions.

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::enjo_status;
use crate::error::{CError, enjo_error};

/// Runs the body of a fallible entry point: clears `*error`, catches panics, and stores a new
/// `enjo_error` in `*error` (when `error` is not NULL) on failure.
pub(crate) fn call(
    error: *mut *mut enjo_error,
    body: impl FnOnce() -> Result<(), CError>,
) -> enjo_status {
    if !error.is_null() {
        // SAFETY: the caller passes NULL or a writable `enjo_error *` slot (documented).
        unsafe { *error = std::ptr::null_mut() };
    }
    let result = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|p| Err(CError::panic(&*p)));
    match result {
        Ok(()) => enjo_status::ENJO_OK,
        Err(err) => {
            let status = err.status();
            if !error.is_null() {
                let boxed = Box::into_raw(Box::new(enjo_error::from(err)));
                // SAFETY: as above.
                unsafe { *error = boxed };
            }
            status
        }
    }
}

/// Runs an infallible entry point (an accessor), returning `fallback` on a panic.
pub(crate) fn guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A required string argument: not NULL, valid UTF-8 (emptiness is checked by the core, whose
/// messages say what the argument is for).
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, CError> {
    if ptr.is_null() {
        return Err(CError::invalid(format!("{name} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map_err(|e| {
        CError::invalid(format!(
            "{name} is not valid UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// An optional string argument: NULL means absent; otherwise as [`arg_str`].
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn opt_str<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, CError> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { arg_str(ptr, name) }.map(Some)
    }
}

/// A C string for `text`. A NUL inside (JSON `\u0000`) becomes U+FFFD, so the C string is the
/// whole value; the exact value stays in the JSON.
pub(crate) fn c_string(text: &str) -> CString {
    CString::new(text)
        .unwrap_or_else(|_| CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default())
}

pub(crate) fn opt_c_string(text: Option<&str>) -> Option<CString> {
    text.map(c_string)
}

pub(crate) fn ptr_of(text: &Option<CString>) -> *const c_char {
    text.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// The library's version, e.g. `"0.1.0"` (the version of the Rust core it was built from).
///
/// Ownership: a static string; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn enjo_version() -> *const c_char {
    const VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    // Under the panic guard like every entry point (nothing here can panic today).
    guard(c"unknown".as_ptr(), || VERSION.as_ptr())
}

/// The name of a status code: `"ENJO_OK"`, `"ENJO_ERR_RATE_LIMITED"`, ...; `"ENJO_UNKNOWN"` for
/// a value that is not an `enjo_status`.
///
/// Ownership: a static string; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn enjo_status_name(status: i32) -> *const c_char {
    guard(c"ENJO_UNKNOWN".as_ptr(), || status_name(status).as_ptr())
}

fn status_name(status: i32) -> &'static CStr {
    match status {
        0 => c"ENJO_OK",
        1 => c"ENJO_ERR_INVALID_ARGUMENT",
        2 => c"ENJO_ERR_INVALID_REQUEST",
        3 => c"ENJO_ERR_AUTHENTICATION",
        4 => c"ENJO_ERR_NOT_FOUND",
        5 => c"ENJO_ERR_RATE_LIMITED",
        6 => c"ENJO_ERR_SERVER",
        7 => c"ENJO_ERR_API",
        8 => c"ENJO_ERR_TIMEOUT",
        9 => c"ENJO_ERR_CONNECTION",
        10 => c"ENJO_ERR_DECODE",
        11 => c"ENJO_ERR_RATE_LIMIT_STORE",
        100 => c"ENJO_ERR_INTERNAL",
        101 => c"ENJO_ERR_INTERRUPTED",
        _ => c"ENJO_UNKNOWN",
    }
}

/// Frees a string that libenjo returned as `char *` (today: `enjo_conversation_id`).
///
/// Ownership: takes the string; accepts NULL. Never pass it a string from anywhere else, nor
/// a `const char *` borrowed from a response or an error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_string_free(string: *mut c_char) {
    if string.is_null() {
        return;
    }
    guard((), || {
        // SAFETY: the string came from `CString::into_raw` in this library (documented).
        drop(unsafe { CString::from_raw(string) });
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{enjo_error_free, enjo_error_message, enjo_error_status};

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let mut err: *mut enjo_error = std::ptr::null_mut();
        let status = call(&mut err, || panic!("boom"));
        assert_eq!(status, enjo_status::ENJO_ERR_INTERNAL);
        assert!(!err.is_null());
        // SAFETY: `err` was just produced by `call`.
        unsafe {
            assert_eq!(enjo_error_status(err), enjo_status::ENJO_ERR_INTERNAL);
            let message = CStr::from_ptr(enjo_error_message(err)).to_string_lossy();
            assert_eq!(message, "internal error in enjo: panic: boom");
            let display = CStr::from_ptr(crate::error::enjo_error_display(err)).to_string_lossy();
            assert!(
                display.contains("this is a bug in enjo, please report it"),
                "{display}"
            );
            enjo_error_free(err);
        }
        // With no error slot, only the status.
        assert_eq!(
            call(std::ptr::null_mut(), || panic!("quiet")),
            enjo_status::ENJO_ERR_INTERNAL
        );
    }

    #[test]
    fn accessors_fall_back_on_a_panic() {
        let value: i32 = guard(-1, || panic!("accessor bug"));
        assert_eq!(value, -1);
    }

    #[test]
    fn success_clears_the_error_slot() {
        let mut err: *mut enjo_error = std::ptr::NonNull::dangling().as_ptr();
        assert_eq!(call(&mut err, || Ok(())), enjo_status::ENJO_OK);
        assert!(err.is_null());
    }

    #[test]
    fn strings_are_checked() {
        // SAFETY: NULL and literals are valid inputs.
        unsafe {
            assert!(arg_str(std::ptr::null(), "bot_id").is_err());
            assert!(opt_str(std::ptr::null(), "id").is_ok_and(|s| s.is_none()));
            assert!(arg_str(c"\xff\xfe".as_ptr(), "text").is_err());
            assert_eq!(arg_str(c"ok".as_ptr(), "text").ok(), Some("ok"));
        }
        assert_eq!(c_string("a\0b").to_str().ok(), Some("a\u{FFFD}b"));
    }

    #[test]
    fn every_core_kind_has_its_status() {
        // Walks core's ErrorKind::ALL: a kind added there fails here until enjo_status has it.
        for kind in enjo_core::ErrorKind::ALL {
            let status = crate::error::status_of(kind) as i32;
            assert_eq!(
                status_name(status).to_str().ok(),
                Some(kind.c_status_name().as_str())
            );
        }
    }

    #[test]
    fn retry_policy_values_follow_core_order() {
        use crate::enjo_retry_policy::{ENJO_RETRY_AT_LEAST_ONCE, ENJO_RETRY_SAFE};
        use crate::options::retry_policy;
        assert_eq!(
            retry_policy(ENJO_RETRY_SAFE as i32, "p").ok(),
            Some(enjo_core::RetryPolicy::Safe)
        );
        let at_least_once = retry_policy(ENJO_RETRY_AT_LEAST_ONCE as i32, "p").ok();
        assert_eq!(at_least_once, Some(enjo_core::RetryPolicy::AtLeastOnce));
        for bad in [-1, 2] {
            assert!(retry_policy(bad, "p").is_err());
        }
    }

    #[test]
    fn status_names() {
        // SAFETY: static strings.
        let name = |s: i32| unsafe { CStr::from_ptr(enjo_status_name(s)) }.to_str().ok();
        assert_eq!(name(0), Some("ENJO_OK"));
        assert_eq!(name(5), Some("ENJO_ERR_RATE_LIMITED"));
        assert_eq!(name(100), Some("ENJO_ERR_INTERNAL"));
        assert_eq!(name(101), Some("ENJO_ERR_INTERRUPTED"));
        assert_eq!(name(-1), Some("ENJO_UNKNOWN"));
        // SAFETY: static string.
        let version = unsafe { CStr::from_ptr(enjo_version()) }.to_str().ok();
        assert_eq!(version, Some(env!("CARGO_PKG_VERSION")));
    }
}
