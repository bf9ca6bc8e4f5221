//! The C API's entry points (bindings-c's `extern "C"` functions, compiled from its own
//! sources by `fuzz/enjo-c-rlib`) fed arbitrary bytes as C strings and arbitrary option values.
//!
//! - `enjo_client_new` with every `enjo_options` field arbitrary (strings are the input's
//!   bytes up to the first NUL, or NULL; quotas an arbitrary array and count);
//! - `enjo_send_message` / `enjo_conversation_*` with arbitrary bot ids, texts and
//!   conversation ids, through a client whose base URL is a closed loopback port (limiter off,
//!   no retries, 2 s timeout);
//! - every error and response accessor on NULL and on the errors that come back.
//!
//! Properties: no panic reaches the harness (every status is a documented one, never
//! `ENJO_ERR_INTERNAL`); out-parameters are set exactly on the documented outcome; an error's
//! message and display are non-empty and never contain the token; invalid arguments are
//! reported as `ENJO_ERR_INVALID_ARGUMENT` before anything is sent; a send to a closed port
//! with valid arguments is `ENJO_ERR_CONNECTION` and was not sent.
#![no_main]

use std::ffi::{CStr, CString, c_char};
use std::net::TcpListener;
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use enjo_c::*;
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "tok-FUZZ-4f9a2c7e1b";

#[derive(Debug, Arbitrary)]
struct Options {
    version: u32,
    token_tail: Option<Vec<u8>>,
    base_url: Option<Vec<u8>>,
    timeout_secs: f64,
    connect_timeout_secs: f64,
    max_retries: u32,
    retry_policy: i32,
    rate_limit: bool,
    quotas: Option<Vec<(u32, f64)>>,
    quota_count: u8,
    rate_limit_max_wait_secs: f64,
    user_agent: Option<Vec<u8>>,
    proxy: Option<Vec<u8>>,
    root_certificate_pem: Option<Vec<u8>>,
    allow_insecure_http: bool,
    max_response_bytes: usize,
}

#[derive(Debug, Arbitrary)]
struct Input {
    options: Options,
    bot_id: Option<Vec<u8>>,
    text: Option<Vec<u8>>,
    conversation_id: Option<Vec<u8>>,
}

/// A C string of `bytes` up to the first NUL (what C would see), or NULL.
fn c_str(bytes: &Option<Vec<u8>>) -> Option<CString> {
    bytes.as_ref().map(|b| {
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        CString::new(&b[..end]).expect("no NUL before end")
    })
}

fn ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(null(), |s| s.as_ptr())
}

/// A loopback port with nothing listening (bound once, then closed).
fn closed_port() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.local_addr().expect("local addr").port()
    })
}

const STATUSES: [enjo_status; 13] = [
    enjo_status::ENJO_OK,
    enjo_status::ENJO_ERR_INVALID_ARGUMENT,
    enjo_status::ENJO_ERR_INVALID_REQUEST,
    enjo_status::ENJO_ERR_AUTHENTICATION,
    enjo_status::ENJO_ERR_NOT_FOUND,
    enjo_status::ENJO_ERR_RATE_LIMITED,
    enjo_status::ENJO_ERR_SERVER,
    enjo_status::ENJO_ERR_API,
    enjo_status::ENJO_ERR_TIMEOUT,
    enjo_status::ENJO_ERR_CONNECTION,
    enjo_status::ENJO_ERR_DECODE,
    enjo_status::ENJO_ERR_INTERNAL,
    enjo_status::ENJO_ERR_INTERRUPTED,
];

/// Checks an error object against the status returned with it, then frees it.
unsafe fn check_error(status: enjo_status, error: *mut enjo_error) {
    unsafe {
        assert!(STATUSES.contains(&status));
        assert_ne!(
            status,
            enjo_status::ENJO_ERR_INTERNAL,
            "a panic was caught inside libenjo"
        );
        if status == enjo_status::ENJO_OK {
            assert!(error.is_null(), "an error with ENJO_OK");
            return;
        }
        assert!(!error.is_null(), "no error object for {status:?}");
        assert_eq!(enjo_error_status(error), status);
        for text in [enjo_error_message(error), enjo_error_display(error)] {
            assert!(!text.is_null());
            let text = CStr::from_ptr(text).to_string_lossy();
            assert!(!text.is_empty());
            assert!(!text.contains(SECRET), "token in error text: {text}");
        }
        for text in [
            enjo_error_code(error),
            enjo_error_body(error),
            enjo_error_request_id(error),
            enjo_error_server_request_id(error),
        ] {
            if !text.is_null() {
                assert!(!CStr::from_ptr(text).to_string_lossy().contains(SECRET));
            }
        }
        let _ = (
            enjo_error_http_status(error),
            enjo_error_retry_after(error),
            enjo_error_may_have_been_sent(error),
        );
        let name = enjo_status_name(status as i32);
        assert!(!name.is_null());
        enjo_error_free(error);
    }
}

/// Every accessor on NULL: neutral answers, no crash.
unsafe fn null_accessors() {
    unsafe {
        assert_eq!(
            enjo_error_status(null()),
            enjo_status::ENJO_ERR_INVALID_ARGUMENT
        );
        assert!(enjo_error_message(null()).is_null());
        assert!(enjo_error_display(null()).is_null());
        assert!(enjo_error_code(null()).is_null());
        assert!(enjo_error_body(null()).is_null());
        assert!(enjo_error_request_id(null()).is_null());
        assert!(enjo_error_server_request_id(null()).is_null());
        assert_eq!(enjo_error_http_status(null()), 0);
        assert!(enjo_error_retry_after(null()).is_nan());
        assert!(!enjo_error_may_have_been_sent(null()));
        enjo_error_free(null_mut());
        assert!(enjo_response_answers(null()).is_null());
        assert!(enjo_response_conversation_id(null()).is_null());
        assert!(enjo_response_request_id(null()).is_null());
        assert!(enjo_response_json(null()).is_null());
        assert_eq!(enjo_response_source_count(null()), 0);
        assert!(enjo_response_source_type(null(), 0).is_null());
        assert!(enjo_response_source_name(null(), 0).is_null());
        assert!(enjo_response_source_url(null(), 0).is_null());
        assert!(enjo_response_source_score(null(), 0).is_nan());
        assert!(!enjo_response_has_ticket(null()));
        for accessor in [
            enjo_response_ticket_id,
            enjo_response_ticket_url,
            enjo_response_ticket_type,
            enjo_response_ticket_status,
            enjo_response_ticket_priority,
            enjo_response_ticket_description,
            enjo_response_ticket_created_date,
            enjo_response_ticket_last_modified_date,
            enjo_response_ticket_case_number,
        ] {
            assert!(accessor(null()).is_null());
        }
        enjo_response_free(null_mut());
        assert!(enjo_client_base_url(null()).is_null());
        enjo_client_free(null_mut());
        assert!(enjo_conversation_id(null()).is_null());
        assert!(enjo_conversation_bot_id(null()).is_null());
        enjo_conversation_free(null_mut());
        enjo_string_free(null_mut());
        enjo_options_init(null_mut());
        enjo_send_options_init(null_mut());
        // NULL out-parameters and options.
        let mut error = null_mut();
        let status = enjo_client_new(null(), null_mut(), &mut error);
        check_error(status, error);
    }
}

fuzz_target!(|input: Input| unsafe {
    null_accessors();

    // 1. enjo_client_new with arbitrary options.
    let o = &input.options;
    let token = o.token_tail.as_ref().map(|tail| {
        let mut t = SECRET.as_bytes().to_vec();
        t.extend(tail.iter().take_while(|&&c| c != 0));
        CString::new(t).expect("no NUL")
    });
    let (base_url, user_agent, proxy, pem) = (
        c_str(&o.base_url),
        c_str(&o.user_agent),
        c_str(&o.proxy),
        c_str(&o.root_certificate_pem),
    );
    let quotas: Vec<enjo_quota> = o
        .quotas
        .iter()
        .flatten()
        .map(|&(requests, window_secs)| enjo_quota {
            requests,
            window_secs,
        })
        .collect();
    let mut options = std::mem::MaybeUninit::<enjo_options>::uninit();
    enjo_options_init(options.as_mut_ptr());
    let mut options = options.assume_init();
    // The version is the input's only half of the time, so that the rest is reached.
    if o.version % 2 == 1 {
        options.version = o.version;
    }
    options.token = ptr(&token);
    options.base_url = ptr(&base_url);
    options.timeout_secs = o.timeout_secs;
    options.connect_timeout_secs = o.connect_timeout_secs;
    options.max_retries = o.max_retries;
    options.retry_policy = o.retry_policy;
    options.rate_limit = o.rate_limit;
    if o.quotas.is_some() {
        options.rate_limit_quotas = quotas.as_ptr();
        // Never past the array: a count beyond it is the caller's undefined behaviour.
        options.rate_limit_quota_count = usize::from(o.quota_count).min(quotas.len());
    }
    options.rate_limit_max_wait_secs = o.rate_limit_max_wait_secs;
    options.user_agent = ptr(&user_agent);
    options.proxy = ptr(&proxy);
    options.root_certificate_pem = ptr(&pem);
    options.allow_insecure_http = o.allow_insecure_http;
    options.max_response_bytes = o.max_response_bytes;
    let mut client = null_mut();
    let mut error = null_mut();
    let status = enjo_client_new(&options, &mut client, &mut error);
    assert_eq!(status == enjo_status::ENJO_OK, !client.is_null());
    if status != enjo_status::ENJO_OK {
        assert!(
            matches!(status, enjo_status::ENJO_ERR_INVALID_ARGUMENT),
            "enjo_client_new failed with {status:?}"
        );
    } else {
        assert!(!enjo_client_base_url(client).is_null());
    }
    check_error(status, error);
    enjo_client_free(client);

    // 2. Sends with arbitrary arguments through a client that reaches nothing.
    let url = CString::new(format!("http://127.0.0.1:{}", closed_port())).expect("no NUL");
    let token = CString::new(SECRET).expect("no NUL");
    let mut options = std::mem::MaybeUninit::<enjo_options>::uninit();
    enjo_options_init(options.as_mut_ptr());
    let mut options = options.assume_init();
    options.token = token.as_ptr();
    options.base_url = url.as_ptr();
    options.rate_limit = false;
    options.max_retries = 0;
    options.timeout_secs = 2.0;
    options.connect_timeout_secs = 2.0;
    let mut client = null_mut();
    let mut error = null_mut();
    let status = enjo_client_new(&options, &mut client, &mut error);
    assert_eq!(status, enjo_status::ENJO_OK);
    check_error(status, error);

    let (bot, text, conv) = (
        c_str(&input.bot_id),
        c_str(&input.text),
        c_str(&input.conversation_id),
    );
    let valid = |s: &Option<CString>, check: fn(&str) -> enjo::Result<()>| {
        s.as_ref()
            .and_then(|s| s.to_str().ok())
            .is_some_and(|s| check(s).is_ok())
    };
    let args_valid = valid(&bot, enjo::validate::bot_id)
        && valid(&text, enjo::validate::text)
        && (conv.is_none() || valid(&conv, enjo::validate::conversation_id));
    let mut response = null_mut();
    let mut error = null_mut();
    let status = enjo_send_message(
        client,
        ptr(&bot),
        ptr(&text),
        ptr(&conv),
        &mut response,
        &mut error,
    );
    assert!(response.is_null(), "a response from a closed port");
    if args_valid {
        assert_eq!(status, enjo_status::ENJO_ERR_CONNECTION);
        assert!(
            !enjo_error_may_have_been_sent(error),
            "refused, yet maybe sent"
        );
    } else {
        assert_eq!(status, enjo_status::ENJO_ERR_INVALID_ARGUMENT);
    }
    check_error(status, error);
    // The error out-parameter may be NULL when only the status matters.
    let status2 = enjo_send_message(
        client,
        ptr(&bot),
        ptr(&text),
        ptr(&conv),
        &mut response,
        null_mut(),
    );
    assert_eq!(status2, status);

    // A conversation on the same arguments.
    let mut conversation = null_mut();
    let mut error = null_mut();
    let status =
        enjo_conversation_new(client, ptr(&bot), ptr(&conv), &mut conversation, &mut error);
    assert_eq!(status == enjo_status::ENJO_OK, !conversation.is_null());
    check_error(status, error);
    if !conversation.is_null() {
        let mut error = null_mut();
        let status = enjo_conversation_send(conversation, ptr(&text), &mut response, &mut error);
        assert!(response.is_null());
        assert!(matches!(
            status,
            enjo_status::ENJO_ERR_CONNECTION | enjo_status::ENJO_ERR_INVALID_ARGUMENT
        ));
        check_error(status, error);
        assert!(!enjo_conversation_bot_id(conversation).is_null());
        enjo_conversation_free(conversation);
    }
    enjo_client_free(client);
});
