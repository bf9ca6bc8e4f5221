//! `enjo_options` (client options) and `enjo_send_options` (per-call overrides): the C structs,
//! their versions, and the translation of their fields (sentinels included) into core's
//! [`enjo_core::options`], which checks every value.

use std::ffi::{c_char, c_int, c_void};
use std::mem::offset_of;

use enjo_core::blocking::Client;
use enjo_core::options::{
    CallOptions as HostCall, ClientOptions, Host, QuotaValue, RateLimitValue, TimeUnit,
};
use enjo_core::{RetryPolicy, SendOptions, Spelling};

use crate::error::CError;
use crate::util::{arg_str, guard, opt_str};

/// The layout version of `enjo_options` written by `enjo_options_init`. Version 2 added
/// `deadline_secs`, `option_names`, `language`, `language_version` and the shared rate-limit
/// store (`rate_limit_store`, `rate_limit_key`, `rate_limit_store_fallback`) at the end.
/// `enjo_client_new` also accepts version 1 (the layout without them, from enjo.h of libenjo
/// 0.1.0): a program built against an older header keeps working.
pub const ENJO_OPTIONS_VERSION: u32 = 2;

/// The layout version of `enjo_send_options` written by `enjo_send_options_init`. Version 2
/// added `interrupt_check` and `interrupt_user_data`; version 3 added `deadline_secs`,
/// `headers`, `header_count` and `option_names`, each at the end. The send functions also
/// accept versions 1 and 2: a program built against an older header keeps working.
pub const ENJO_SEND_OPTIONS_VERSION: u32 = 3;

/// Most quotas accepted in `enjo_options.rate_limit_quotas`.
pub const ENJO_MAX_QUOTAS: usize = 64;

/// Most headers accepted in `enjo_send_options.headers`.
pub const ENJO_MAX_HEADERS: usize = 64;

/// How libenjo's messages name the options (`enjo_options.option_names`,
/// `enjo_send_options.option_names`).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum enjo_option_names {
    /// As the C fields: `options.timeout_secs`, `send_options.max_retries`,
    /// `options.rate_limit_quotas[0].window_secs`. The default.
    ENJO_OPTION_NAMES_C = 0,
    /// Plain snake_case names without prefix nor unit suffix (`timeout`, `max_retries`,
    /// `rate_limit[0].window`): for a language binding built on libenjo (the R package), whose
    /// users name the options that way.
    ENJO_OPTION_NAMES_PLAIN = 1,
}

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

/// One extra header of a call (`enjo_send_options.headers`): a name and a value, NUL-terminated.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct enjo_header {
    /// The header's name, e.g. `"X-Tenant"`.
    pub name: *const c_char,
    /// Its value: printable ASCII.
    pub value: *const c_char,
}

/// Options of a client. Initialise with `enjo_options_init`, change the fields you need, pass
/// to `enjo_client_new`. Strings are copied by `enjo_client_new`: they need to live only until
/// it returns. After `enjo_options_init` every field holds the default written beside it.
/// Every value is checked by the Rust core (ranges, URLs, header text) with a message naming
/// the field.
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
    /// Set by `enjo_options_init` to `ENJO_OPTIONS_VERSION` (versions 1 and 2 are accepted;
    /// see there); `enjo_client_new` refuses any other value (it catches an options struct
    /// that was never initialised).
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
    /// Your suffix of the `User-Agent` header (`enjo-rust/<version> c/<version> <suffix>`).
    /// NULL: none.
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
    /// (Version 2.) Bound on each whole call in seconds: rate-limiter wait, every attempt and
    /// the delays between them; `ENJO_ERR_TIMEOUT` when it passes. 0 (default): no bound.
    pub deadline_secs: f64,
    /// (Version 2.) An `enjo_option_names` value: how error messages name the options
    /// (default `ENJO_OPTION_NAMES_C`).
    pub option_names: i32,
    /// (Version 2.) For a language binding built on libenjo: its language's name for the
    /// `User-Agent` (`"r"`), with `language_version`. NULL (default): `c` and libenjo's
    /// version.
    pub language: *const c_char,
    /// (Version 2.) The version of `language` (`"4.2.2"`); required when `language` is set.
    pub language_version: *const c_char,
    /// (Version 2.) Where the rate-limit log lives, so that processes share one quota:
    /// `"memory"` (this process), `"file:/path"` (this machine), `"redis://host:port/db"`
    /// (every host). NULL (default): `ENJO_RATE_LIMIT_STORE`, else `"memory"`. Copied.
    pub rate_limit_store: *const c_char,
    /// (Version 2.) The shared log's name in a Redis store. NULL (default):
    /// `ENJO_RATE_LIMIT_KEY`, else the base URL's origin. Copied.
    pub rate_limit_key: *const c_char,
    /// (Version 2.) `true`: use this process's own limiter while the store is unreachable
    /// (one warning) instead of failing with `ENJO_ERR_RATE_LIMIT_STORE`. Default `false`.
    pub rate_limit_store_fallback: bool,
}

/// Fills `options` with the defaults (see each field) and sets its `version`. Does nothing when
/// `options` is NULL. Allocates nothing: there is nothing to free.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_options_init(options: *mut enjo_options) {
    if options.is_null() {
        return;
    }
    // SAFETY: non-NULL and writable by the caller's contract; `write` does not read the old
    // (possibly uninitialised) value.
    guard((), || unsafe { options.write(client_defaults()) });
}

fn client_defaults() -> enjo_options {
    enjo_options {
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
        deadline_secs: 0.0,
        option_names: enjo_option_names::ENJO_OPTION_NAMES_C as i32,
        language: std::ptr::null(),
        language_version: std::ptr::null(),
        rate_limit_store: std::ptr::null(),
        rate_limit_key: std::ptr::null(),
        rate_limit_store_fallback: false,
    }
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
/// no interrupt check). Every value is checked by the Rust core.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct enjo_send_options {
    /// Set by `enjo_send_options_init` to `ENJO_SEND_OPTIONS_VERSION` (versions 1 to 3 are
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
    /// (Version 3.) Bound on this whole call in seconds (rate-limiter wait, attempts, retry
    /// delays); 0 (default): the client's.
    pub deadline_secs: f64,
    /// (Version 3.) Extra headers sent on every attempt of this call, in order (e.g. a tenant
    /// header a gateway needs); NULL (default): none. Reserved names (`Authorization`,
    /// `Content-Type`, `Host`, ...), invalid names and values that are not printable ASCII are
    /// `ENJO_ERR_INVALID_ARGUMENT`; an `X-Request-Id` becomes the call's request id.
    /// Ownership: the array and its strings stay the caller's; libenjo only reads them during
    /// the call (they may be on the stack).
    pub headers: *const enjo_header,
    /// (Version 3.) Number of entries in `headers`: 0 to `ENJO_MAX_HEADERS` (0 when `headers`
    /// is NULL).
    pub header_count: usize,
    /// (Version 3.) An `enjo_option_names` value: how error messages name these options
    /// (default `ENJO_OPTION_NAMES_C`).
    pub option_names: i32,
}

/// Fills `options` with "no override", no interrupt check, and sets its `version`. Does nothing
/// when NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_send_options_init(options: *mut enjo_send_options) {
    if options.is_null() {
        return;
    }
    // SAFETY: as in `enjo_options_init`.
    guard((), || unsafe { options.write(send_defaults()) });
}

pub(crate) fn send_defaults() -> enjo_send_options {
    enjo_send_options {
        version: ENJO_SEND_OPTIONS_VERSION,
        conversation_id: std::ptr::null(),
        timeout_secs: 0.0,
        max_retries: -1,
        retry_policy: -1,
        interrupt_check: None,
        interrupt_user_data: std::ptr::null_mut(),
        deadline_secs: 0.0,
        headers: std::ptr::null(),
        header_count: 0,
        option_names: enjo_option_names::ENJO_OPTION_NAMES_C as i32,
    }
}

/// Reads a versioned struct: the fields of the version the caller's struct has (`known`
/// bytes from its start, the offset of the first field a later version added), the rest from
/// `defaults`.
///
/// # Safety
/// `ptr` points to at least `known` readable bytes laid out as the start of a `T`.
unsafe fn read_versioned<T: Copy>(ptr: *const T, defaults: T, known: usize) -> T {
    let mut out = defaults;
    debug_assert!(known <= size_of::<T>());
    // SAFETY: the caller's contract; `out` is a whole `T`, and `known` never exceeds it.
    unsafe {
        std::ptr::copy_nonoverlapping(ptr.cast::<u8>(), (&raw mut out).cast::<u8>(), known);
    }
    out
}

/// The version of a struct whose first field is its `u32` version.
///
/// # Safety
/// `ptr` is non-NULL and points to such a struct.
unsafe fn version_of<T>(ptr: *const T) -> u32 {
    // SAFETY: every layout starts with the `u32` version (and is aligned for it).
    unsafe { ptr.cast::<u32>().read() }
}

/// How options are named and measured in messages, and what goes into the `User-Agent`.
fn host(names: i32, prefix: &'static str, language: Option<(&str, &str)>) -> Result<Host, CError> {
    let host = Host::new(Spelling::Snake, TimeUnit::Seconds);
    let host = match names {
        0 => host
            .with_prefix(prefix)
            .with_duration_suffix("_secs")
            .with_aliases(&[("rate_limit", "rate_limit_quotas")]),
        1 => host,
        other => {
            return Err(CError::invalid(format!(
                "{prefix}option_names is {other}; use ENJO_OPTION_NAMES_C (0) or \
                 ENJO_OPTION_NAMES_PLAIN (1)"
            )));
        }
    };
    Ok(match language {
        Some((name, version)) => host.with_language(name, version),
        None => host,
    })
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

/// The policy's name as core's snake-case host spells it.
fn policy_name(value: i32, name: String) -> Result<String, CError> {
    Ok(retry_policy(value, &name)?.name(Spelling::Snake).to_owned())
}

/// A string field as an owned `Option` (NULL: `None`).
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string.
unsafe fn owned(ptr: *const c_char, name: &str) -> Result<Option<String>, CError> {
    // SAFETY: forwarded contract.
    Ok(unsafe { opt_str(ptr, name) }?.map(str::to_owned))
}

/// Builds a blocking client from C options (NULL: every default).
///
/// # Safety
/// `options` is NULL or points to an `enjo_options` whose pointers follow its documentation
/// (of the version its `version` field says: a version-1 struct is shorter).
pub(crate) unsafe fn build_client(options: *const enjo_options) -> Result<Client, CError> {
    let o = if options.is_null() {
        client_defaults()
    } else {
        // SAFETY: non-NULL by the check above; the caller's contract on the layout.
        match unsafe { version_of(options) } {
            ENJO_OPTIONS_VERSION => unsafe { options.read() },
            1 => unsafe {
                read_versioned(
                    options,
                    client_defaults(),
                    offset_of!(enjo_options, deadline_secs),
                )
            },
            other => {
                return Err(CError::invalid(format!(
                    "options.version is {other}, expected {ENJO_OPTIONS_VERSION} (or 1): \
                     initialise the options with enjo_options_init before setting fields"
                )));
            }
        }
    };
    // SAFETY (all string reads): documented as NULL or NUL-terminated strings.
    let language = unsafe { opt_str(o.language, "options.language") }?;
    let language_version = unsafe { opt_str(o.language_version, "options.language_version") }?;
    let language = match (language, language_version) {
        (None, _) => ("c", env!("CARGO_PKG_VERSION")),
        (Some(name), Some(version)) => (name, version),
        (Some(_), None) => {
            return Err(CError::invalid(
                "options.language_version is NULL; set it with options.language",
            ));
        }
    };
    let host = host(o.option_names, "options.", Some(language))?;
    let values = ClientOptions {
        token: unsafe { owned(o.token, "options.token") }?,
        base_url: unsafe { owned(o.base_url, "options.base_url") }?,
        timeout: Some(o.timeout_secs),
        connect_timeout: Some(o.connect_timeout_secs),
        max_retries: Some(f64::from(o.max_retries)),
        retry_policy: Some(policy_name(o.retry_policy, host.name("retry_policy"))?),
        rate_limit: Some(unsafe { rate_limit(&o, &host) }?),
        // Negative or infinite: no bound (the C default); NaN goes on to be refused.
        rate_limit_max_wait: (!(o.rate_limit_max_wait_secs < 0.0
            || o.rate_limit_max_wait_secs == f64::INFINITY))
            .then_some(o.rate_limit_max_wait_secs),
        deadline: (o.deadline_secs != 0.0).then_some(o.deadline_secs),
        user_agent: unsafe { owned(o.user_agent, "options.user_agent") }?,
        proxy: unsafe { owned(o.proxy, "options.proxy") }?,
        root_certificate_pem: unsafe {
            owned(o.root_certificate_pem, "options.root_certificate_pem")
        }?,
        allow_insecure_http: Some(o.allow_insecure_http),
        max_response_bytes: (o.max_response_bytes > 0).then_some(o.max_response_bytes as f64),
        rate_limit_store: unsafe { owned(o.rate_limit_store, "options.rate_limit_store") }?,
        rate_limit_key: unsafe { owned(o.rate_limit_key, "options.rate_limit_key") }?,
        rate_limit_store_fallback: Some(o.rate_limit_store_fallback),
    };
    let builder = crate::logging::install(values.apply(&host, Client::builder())?);
    Ok(builder.build()?)
}

/// The rate-limit fields (`rate_limit`, the quota array and its count) as core's value.
///
/// # Safety
/// `o.rate_limit_quotas` is NULL or has `o.rate_limit_quota_count` readable entries.
unsafe fn rate_limit(o: &enjo_options, host: &Host) -> Result<RateLimitValue, CError> {
    let name = host.name("rate_limit");
    let (quotas, count) = (o.rate_limit_quotas, o.rate_limit_quota_count);
    if !o.rate_limit {
        return Ok(RateLimitValue::Off);
    }
    if quotas.is_null() && count == 0 {
        return Ok(RateLimitValue::On);
    }
    if quotas.is_null() {
        return Err(CError::invalid(format!(
            "{name} is NULL but its count ({count}) is not 0"
        )));
    }
    if count == 0 {
        // Almost certainly a forgotten count: silently using the documented limits would
        // hide the caller's quotas.
        return Err(CError::invalid(format!(
            "rate_limit_quota_count is 0 but {name} is not NULL; set the count, or leave \
             {name} NULL for Enjo's documented limits"
        )));
    }
    if count > ENJO_MAX_QUOTAS {
        return Err(CError::invalid(format!(
            "{name}: {count} quotas given (rate_limit_quota_count); at most {ENJO_MAX_QUOTAS}"
        )));
    }
    // SAFETY: non-NULL, and the caller promises `count` readable entries.
    let quotas = unsafe { std::slice::from_raw_parts(quotas, count) };
    Ok(RateLimitValue::Quotas(
        quotas
            .iter()
            .map(|q| QuotaValue {
                requests: f64::from(q.requests),
                window: q.window_secs,
            })
            .collect(),
    ))
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
    pub(crate) interrupt: Option<Interrupt>,
}

/// Reads per-call overrides (NULL: none), of any accepted layout version.
///
/// # Safety
/// `options` is NULL or points to an `enjo_send_options` following its documentation (of the
/// version its `version` field says: an older struct is shorter).
pub(crate) unsafe fn send_options(
    options: *const enjo_send_options,
) -> Result<CallOptions, CError> {
    if options.is_null() {
        return Ok(CallOptions {
            send: SendOptions::new(),
            interrupt: None,
        });
    }
    // SAFETY (the reads): non-NULL; the caller's contract: a struct of the version it says.
    let o = match unsafe { version_of(options) } {
        ENJO_SEND_OPTIONS_VERSION => unsafe { options.read() },
        1 => unsafe {
            read_versioned(
                options,
                send_defaults(),
                offset_of!(enjo_send_options, interrupt_check),
            )
        },
        2 => unsafe {
            read_versioned(
                options,
                send_defaults(),
                offset_of!(enjo_send_options, deadline_secs),
            )
        },
        other => {
            return Err(CError::invalid(format!(
                "send_options.version is {other}, expected {ENJO_SEND_OPTIONS_VERSION} (or 1 \
                 or 2): initialise them with enjo_send_options_init"
            )));
        }
    };
    let host = host(o.option_names, "send_options.", None)?;
    let values = HostCall {
        // SAFETY: documented as NULL or a NUL-terminated string.
        conversation_id: unsafe { owned(o.conversation_id, "send_options.conversation_id") }?,
        timeout: (o.timeout_secs != 0.0).then_some(o.timeout_secs),
        max_retries: (o.max_retries >= 0).then_some(f64::from(o.max_retries)),
        retry_policy: if o.retry_policy >= 0 {
            Some(policy_name(o.retry_policy, host.name("retry_policy"))?)
        } else {
            None
        },
        deadline: (o.deadline_secs != 0.0).then_some(o.deadline_secs),
        // SAFETY: the caller's contract on `headers` and `header_count`.
        headers: unsafe { headers(&o, &host) }?,
    };
    Ok(CallOptions {
        send: values.send_options(&host)?,
        interrupt: o.interrupt_check.map(|check| Interrupt {
            check,
            user_data: o.interrupt_user_data,
        }),
    })
}

/// The extra headers of a call, copied.
///
/// # Safety
/// `o.headers` is NULL or has `o.header_count` entries whose strings are NUL-terminated.
unsafe fn headers(o: &enjo_send_options, host: &Host) -> Result<Vec<(String, String)>, CError> {
    let name = host.name("headers");
    let (list, count) = (o.headers, o.header_count);
    if list.is_null() {
        if count != 0 {
            return Err(CError::invalid(format!(
                "{name} is NULL but header_count is {count}"
            )));
        }
        return Ok(Vec::new());
    }
    if count > ENJO_MAX_HEADERS {
        return Err(CError::invalid(format!(
            "{name}: {count} headers given (header_count); at most {ENJO_MAX_HEADERS}"
        )));
    }
    // SAFETY: non-NULL, and the caller promises `count` readable entries.
    let list = unsafe { std::slice::from_raw_parts(list, count) };
    list.iter()
        .enumerate()
        .map(|(i, h)| {
            // SAFETY: the caller's contract on each entry's strings.
            let key = unsafe { arg_str(h.name, &format!("{name}[{i}].name")) }?;
            let value = unsafe { arg_str(h.value, &format!("{name}[{i}].value")) }?;
            Ok((key.to_owned(), value.to_owned()))
        })
        .collect()
}
