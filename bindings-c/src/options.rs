//! `enjo_options` (client options) and `enjo_send_options` (per-call overrides).

use std::ffi::{c_char, c_int, c_void};
use std::time::Duration;

use enjo_core::blocking::Client;
use enjo_core::{Quota, RateLimit, RetryPolicy, SendOptions};

use crate::error::CError;
use crate::util::{guard, opt_str};

/// The layout version of `enjo_options` written by `enjo_options_init`.
pub const ENJO_OPTIONS_VERSION: u32 = 1;

/// The layout version of `enjo_send_options` written by `enjo_send_options_init`. Version 2
/// added `interrupt_check` and `interrupt_user_data` at the end. The send functions also accept
/// version 1 (the layout without them, from enjo.h of libenjo 0.1.0): a program built against
/// an older header keeps working, without interruption.
pub const ENJO_SEND_OPTIONS_VERSION: u32 = 2;

/// Most quotas accepted in `enjo_options.rate_limit_quotas`.
pub const ENJO_MAX_QUOTAS: usize = 64;

/// At most `requests` requests in any window of `window_secs` seconds (one custom rate-limit
/// quota).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct enjo_quota {
    /// Requests allowed per window (at least 1).
    pub requests: u32,
    /// The window's length in seconds (above 0).
    pub window_secs: f64,
}

/// Options of a client. Initialise with `enjo_options_init`, change the fields you need, pass
/// to `enjo_client_new`. Strings are copied by `enjo_client_new`: they need to live only until
/// it returns. After `enjo_options_init` every field holds the default written beside it.
///
/// ```c
/// enjo_options opts;
/// enjo_options_init(&opts);
/// opts.base_url = "http://127.0.0.1:8080";
/// opts.timeout_secs = 30.0;
/// opts.rate_limit = false;
/// ```
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct enjo_options {
    /// Set by `enjo_options_init` to `ENJO_OPTIONS_VERSION`; `enjo_client_new` refuses any
    /// other value (it catches an options struct that was never initialised).
    pub version: u32,
    /// Bearer token (a personal access token). NULL: the `ENJO_API_TOKEN` environment variable.
    pub token: *const c_char,
    /// API base URL; a path is kept as a prefix. NULL: `ENJO_BASE_URL`, else
    /// `https://api.enjo.ai`. Plain `http://` is accepted for loopback hosts only, unless
    /// `allow_insecure_http` is set.
    pub base_url: *const c_char,
    /// Whole-attempt timeout in seconds, connect to end of body (default 60). Above 0, at most
    /// a year (as every duration).
    pub timeout_secs: f64,
    /// Connection timeout in seconds (default 10). Above 0.
    pub connect_timeout_secs: f64,
    /// Attempts after the first, for failures the retry policy allows (default 2).
    pub max_retries: u32,
    /// An `enjo_retry_policy` value (default `ENJO_RETRY_SAFE`).
    pub retry_policy: i32,
    /// Client-side rate limiting (default true: Enjo's documented 20/minute and 10/5 s, shared
    /// by every client of the process that talks to the same host). false turns it off.
    pub rate_limit: bool,
    /// With `rate_limit` true: custom quotas instead of the documented ones, all enforced at
    /// once; NULL (default) for the documented limits. Copied by `enjo_client_new`.
    pub rate_limit_quotas: *const enjo_quota,
    /// Number of entries in `rate_limit_quotas`: 1 to `ENJO_MAX_QUOTAS` when it is not NULL
    /// (0 with a non-NULL array is `ENJO_ERR_INVALID_ARGUMENT`, not "documented limits"), 0
    /// when it is NULL.
    pub rate_limit_quota_count: usize,
    /// Longest wait for the rate limiter, in seconds (0 to a year), before failing with
    /// `ENJO_ERR_RATE_LIMITED` without sending. Negative or infinite (default -1): no bound;
    /// NaN is `ENJO_ERR_INVALID_ARGUMENT`.
    pub rate_limit_max_wait_secs: f64,
    /// Suffix of the `User-Agent` header (`enjo-rust/<version> <suffix>`). NULL: `"c"`.
    pub user_agent: *const c_char,
    /// Proxy URL (`http://`, `https://`, `socks5://`) for every request. NULL: the
    /// `HTTPS_PROXY` / `NO_PROXY` environment variables apply.
    pub proxy: *const c_char,
    /// Extra trusted root certificate(s), PEM text (e.g. a TLS-inspecting proxy's). NULL: none.
    pub root_certificate_pem: *const c_char,
    /// Allow plain `http://` to a non-loopback host (the token then travels in clear text).
    /// Default false.
    pub allow_insecure_http: bool,
    /// Largest response body accepted, in bytes; a larger one is `ENJO_ERR_DECODE`.
    /// 0 (default): 16 MiB.
    pub max_response_bytes: usize,
}

/// Fills `options` with the defaults (see each field) and sets its `version`. Does nothing when
/// `options` is NULL. Allocates nothing: there is nothing to free.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_options_init(options: *mut enjo_options) {
    if options.is_null() {
        return;
    }
    let defaults = enjo_options {
        version: ENJO_OPTIONS_VERSION,
        token: std::ptr::null(),
        base_url: std::ptr::null(),
        timeout_secs: enjo_core::DEFAULT_TIMEOUT.as_secs_f64(),
        connect_timeout_secs: enjo_core::DEFAULT_CONNECT_TIMEOUT.as_secs_f64(),
        max_retries: enjo_core::DEFAULT_MAX_RETRIES,
        retry_policy: crate::enjo_retry_policy::ENJO_RETRY_SAFE as i32,
        rate_limit: true,
        rate_limit_quotas: std::ptr::null(),
        rate_limit_quota_count: 0,
        rate_limit_max_wait_secs: -1.0,
        user_agent: std::ptr::null(),
        proxy: std::ptr::null(),
        root_certificate_pem: std::ptr::null(),
        allow_insecure_http: false,
        max_response_bytes: 0,
    };
    // SAFETY: non-NULL and writable by the caller's contract; `write` does not read the old
    // (possibly uninitialised) value.
    guard((), || unsafe { options.write(defaults) });
}

/// A callback that lets the caller interrupt a blocking call (`enjo_send_options.interrupt_check`):
/// return non-zero to abandon the call, 0 to keep waiting.
///
/// Rules:
/// - libenjo calls it about every 100 ms while a blocking call waits (for the rate limiter, the
///   connection, the reply or a retry delay), **on the thread that made the call**, never on
///   another thread and never after the call has returned; a call that finishes within 100 ms
///   may not call it at all. One call at a time per blocking call, so the function needs no
///   locking unless its `user_data` is shared with other threads.
/// - It must return normally: no `longjmp` out of it (in R, wrap `R_CheckUserInterrupt` in
///   `R_ToplevelExec`), no C++ exception through it. It should be quick; it must not call
///   libenjo's blocking functions.
/// - A non-zero return abandons the call: the request in flight is cancelled (it may already
///   have reached the server), a place in the rate limiter's line is given up, and the call
///   returns `ENJO_ERR_INTERRUPTED`.
pub type enjo_interrupt_check = Option<unsafe extern "C" fn(user_data: *mut c_void) -> c_int>;

/// Per-call overrides for `enjo_send_message_with` and `enjo_conversation_send_with`.
/// Initialise with `enjo_send_options_init` (every field then means "as the client says", and
/// no interrupt check).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct enjo_send_options {
    /// Set by `enjo_send_options_init` to `ENJO_SEND_OPTIONS_VERSION` (versions 1 and 2 are
    /// accepted; see there).
    pub version: u32,
    /// Continue this conversation; NULL (default) starts a new one. Must be NULL for
    /// `enjo_conversation_send_with` (a conversation sends its own id).
    pub conversation_id: *const c_char,
    /// Whole-attempt timeout in seconds for this call; 0 (default): the client's.
    pub timeout_secs: f64,
    /// Retries for this call; negative (default -1): the client's.
    pub max_retries: i32,
    /// An `enjo_retry_policy` for this call; negative (default -1): the client's.
    pub retry_policy: i32,
    /// (Version 2.) Called about every 100 ms on the calling thread while this call waits;
    /// non-zero abandons the call with `ENJO_ERR_INTERRUPTED`. See `enjo_interrupt_check` for
    /// the rules. NULL (default): the call cannot be interrupted.
    pub interrupt_check: enjo_interrupt_check,
    /// (Version 2.) Passed unchanged to `interrupt_check`; libenjo never reads nor frees it.
    /// It must stay valid until the call returns. Default NULL.
    pub interrupt_user_data: *mut c_void,
}

/// The layout of `enjo_send_options` version 1 (libenjo 0.1.0), still accepted.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct SendOptionsV1 {
    version: u32,
    conversation_id: *const c_char,
    timeout_secs: f64,
    max_retries: i32,
    retry_policy: i32,
}

/// Fills `options` with "no override", no interrupt check, and sets its `version`. Does nothing
/// when NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_send_options_init(options: *mut enjo_send_options) {
    if options.is_null() {
        return;
    }
    let defaults = enjo_send_options {
        version: ENJO_SEND_OPTIONS_VERSION,
        conversation_id: std::ptr::null(),
        timeout_secs: 0.0,
        max_retries: -1,
        retry_policy: -1,
        interrupt_check: None,
        interrupt_user_data: std::ptr::null_mut(),
    };
    // SAFETY: as in `enjo_options_init`.
    guard((), || unsafe { options.write(defaults) });
}

/// A duration option in seconds, checked by the core (finite, above 0, at most a year); the
/// message names the C field.
fn seconds(name: &str, value: f64, allow_zero: bool) -> Result<Duration, CError> {
    Ok(enjo_core::validate::seconds(name, value, allow_zero)?)
}

/// An `enjo_retry_policy` value: its index in core's [`RetryPolicy::ALL`].
pub(crate) fn retry_policy(value: i32, name: &str) -> Result<RetryPolicy, CError> {
    usize::try_from(value)
        .ok()
        .and_then(|i| RetryPolicy::ALL.get(i).copied())
        .ok_or_else(|| {
            CError::invalid(format!(
                "{name} is {value}; use ENJO_RETRY_SAFE (0) or ENJO_RETRY_AT_LEAST_ONCE (1)"
            ))
        })
}

/// Builds a blocking client from C options (NULL: every default).
///
/// # Safety
/// `options` is NULL or points to an `enjo_options` whose pointers follow its documentation.
pub(crate) unsafe fn build_client(options: *const enjo_options) -> Result<Client, CError> {
    let mut builder = Client::builder();
    // SAFETY: the caller's contract.
    let Some(o) = (unsafe { options.as_ref() }) else {
        return Ok(builder.user_agent("c").build()?);
    };
    if o.version != ENJO_OPTIONS_VERSION {
        return Err(CError::invalid(format!(
            "options.version is {}, expected {ENJO_OPTIONS_VERSION}: initialise the options with \
             enjo_options_init before setting fields",
            o.version
        )));
    }
    // SAFETY (all `opt_str` calls): documented as NULL or NUL-terminated strings.
    if let Some(token) = unsafe { opt_str(o.token, "options.token") }? {
        builder = builder.token(token);
    }
    if let Some(url) = unsafe { opt_str(o.base_url, "options.base_url") }? {
        builder = builder.base_url(url);
    }
    builder = builder
        .timeout(seconds("options.timeout_secs", o.timeout_secs, false)?)
        .connect_timeout(seconds(
            "options.connect_timeout_secs",
            o.connect_timeout_secs,
            false,
        )?)
        .max_retries(o.max_retries)
        .retry_policy(retry_policy(o.retry_policy, "options.retry_policy")?);
    let rate_limit = if !o.rate_limit {
        RateLimit::Off
    } else if o.rate_limit_quotas.is_null() && o.rate_limit_quota_count == 0 {
        RateLimit::Documented
    } else {
        if o.rate_limit_quotas.is_null() {
            return Err(CError::invalid(
                "options.rate_limit_quotas is NULL but options.rate_limit_quota_count is not 0",
            ));
        }
        if o.rate_limit_quota_count == 0 {
            // Almost certainly a forgotten count: silently using the documented limits would
            // hide the caller's quotas.
            return Err(CError::invalid(
                "options.rate_limit_quota_count is 0 but options.rate_limit_quotas is not NULL; \
                 set the count, or leave rate_limit_quotas NULL for Enjo's documented limits",
            ));
        }
        if o.rate_limit_quota_count > ENJO_MAX_QUOTAS {
            return Err(CError::invalid(format!(
                "options.rate_limit_quota_count is {}; at most {ENJO_MAX_QUOTAS} quotas",
                o.rate_limit_quota_count
            )));
        }
        // SAFETY: non-NULL, and the caller promises `count` readable entries.
        let quotas =
            unsafe { std::slice::from_raw_parts(o.rate_limit_quotas, o.rate_limit_quota_count) };
        let quotas = quotas
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let name = format!("options.rate_limit_quotas[{i}]");
                let window = seconds(&format!("{name}.window_secs"), q.window_secs, false)?;
                if q.requests == 0 {
                    return Err(CError::invalid(format!(
                        "{name}.requests is 0; a quota allows at least 1 request"
                    )));
                }
                Ok(Quota::from_count(
                    &format!("{name}.requests"),
                    f64::from(q.requests),
                    window,
                )?)
            })
            .collect::<Result<Vec<_>, _>>()?;
        RateLimit::Custom(quotas)
    };
    builder = builder.rate_limit(rate_limit);
    let max_wait = o.rate_limit_max_wait_secs;
    if max_wait.is_nan() {
        return Err(CError::invalid(
            "options.rate_limit_max_wait_secs is NaN; use a negative value for no bound",
        ));
    }
    // Negative or infinite: no bound (documented); otherwise at most a year, like every
    // duration.
    if (0.0..f64::INFINITY).contains(&max_wait) {
        builder = builder.rate_limit_max_wait(seconds(
            "options.rate_limit_max_wait_secs",
            max_wait,
            true,
        )?);
    }
    let user_agent = unsafe { opt_str(o.user_agent, "options.user_agent") }?;
    builder = builder.user_agent(user_agent.unwrap_or("c"));
    if let Some(proxy) = unsafe { opt_str(o.proxy, "options.proxy") }? {
        builder = builder.proxy(proxy);
    }
    if let Some(pem) = unsafe { opt_str(o.root_certificate_pem, "options.root_certificate_pem") }? {
        builder = builder.add_root_certificate_pem(pem.as_bytes().to_vec());
    }
    builder = builder.allow_insecure_http(o.allow_insecure_http);
    if o.max_response_bytes > 0 {
        builder = builder.max_response_bytes(o.max_response_bytes);
    }
    Ok(builder.build()?)
}

/// The caller's interrupt check: a C function and its `user_data`.
#[derive(Clone, Copy)]
pub(crate) struct Interrupt {
    check: unsafe extern "C" fn(*mut c_void) -> c_int,
    user_data: *mut c_void,
}

// SAFETY: `block_on_interruptible` wants a `Send` check; the check is only ever invoked on the
// thread that made the call (client.rs compares thread ids before calling it), which is the
// thread the caller gave it to, so neither the function nor `user_data` changes threads.
unsafe impl Send for Interrupt {}

impl Interrupt {
    /// Asks the caller's function whether to stop.
    pub(crate) fn asks_to_stop(&self) -> bool {
        // SAFETY: the caller's contract on `interrupt_check` (a valid function that returns
        // normally) and on `interrupt_user_data` (valid until the call returns).
        unsafe { (self.check)(self.user_data) != 0 }
    }
}

/// Per-call options as the core and this binding use them.
pub(crate) struct CallOptions {
    pub(crate) send: SendOptions,
    pub(crate) conversation_id_given: bool,
    pub(crate) interrupt: Option<Interrupt>,
}

/// Reads per-call overrides (NULL: none), of either layout version.
///
/// # Safety
/// `options` is NULL or points to an `enjo_send_options` following its documentation (of the
/// version its `version` field says: a version-1 struct is shorter).
pub(crate) unsafe fn send_options(
    options: *const enjo_send_options,
) -> Result<CallOptions, CError> {
    let mut call = CallOptions {
        send: SendOptions::new(),
        conversation_id_given: false,
        interrupt: None,
    };
    if options.is_null() {
        return Ok(call);
    }
    // SAFETY: non-NULL; every layout starts with the `u32` version (and is aligned for it).
    let version = unsafe { options.cast::<u32>().read() };
    let o = match version {
        // SAFETY: the caller's contract: a full struct of the version it says.
        ENJO_SEND_OPTIONS_VERSION => unsafe { options.read() },
        1 => {
            // SAFETY: as above; a version-1 struct ends after `retry_policy`.
            let v1 = unsafe { options.cast::<SendOptionsV1>().read() };
            enjo_send_options {
                version: v1.version,
                conversation_id: v1.conversation_id,
                timeout_secs: v1.timeout_secs,
                max_retries: v1.max_retries,
                retry_policy: v1.retry_policy,
                interrupt_check: None,
                interrupt_user_data: std::ptr::null_mut(),
            }
        }
        other => {
            return Err(CError::invalid(format!(
                "send_options.version is {other}, expected {ENJO_SEND_OPTIONS_VERSION} (or 1): \
                 initialise them with enjo_send_options_init"
            )));
        }
    };
    // SAFETY: documented as NULL or a NUL-terminated string.
    if let Some(id) = unsafe { opt_str(o.conversation_id, "send_options.conversation_id") }? {
        call.send = call.send.conversation_id(id);
        call.conversation_id_given = true;
    }
    if o.timeout_secs != 0.0 {
        call.send = call
            .send
            .timeout(seconds("send_options.timeout_secs", o.timeout_secs, false)?);
    }
    if o.max_retries >= 0 {
        let retries =
            enjo_core::validate::count_int("send_options.max_retries", i64::from(o.max_retries))?;
        call.send = call.send.max_retries(retries);
    }
    if o.retry_policy >= 0 {
        call.send = call
            .send
            .retry_policy(retry_policy(o.retry_policy, "send_options.retry_policy")?);
    }
    call.interrupt = o.interrupt_check.map(|check| Interrupt {
        check,
        user_data: o.interrupt_user_data,
    });
    Ok(call)
}
