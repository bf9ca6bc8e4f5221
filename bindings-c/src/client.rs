//! `enjo_client` and `enjo_conversation`: sending messages.

use std::ffi::{CString, c_char};
use std::future::Future;
use std::time::Duration;

use enjo_core::blocking::{Client, Interruptible, block_on, block_on_interruptible};
use enjo_core::{Conversation, MessageResponse, Result as CoreResult};

use crate::enjo_status;
use crate::error::{CError, enjo_error};
use crate::options::{
    Interrupt, build_client, enjo_options, enjo_send_options, send_defaults, send_options,
};
use crate::response::enjo_response;
use crate::util::{arg_str, c_string, call, guard, opt_str};

/// A client: token, base URL, timeouts, retry policy and a connection pool.
///
/// Thread-safe: one client may be used by any number of threads at once (share it rather than
/// making one per thread: they would share the rate limit anyway). Fork-safe: a client made
/// before `fork()` keeps working in the parent and in the child (the child builds its own I/O
/// threads and connections on first use). Opaque; free it with `enjo_client_free`.
pub struct enjo_client {
    inner: Client,
    base_url: CString,
}

/// A conversation with one bot: each `enjo_conversation_send` continues the conversation id
/// of the previous reply. Holds its own reference to the client (freeing the client first is
/// fine). Safe to use from several threads, but messages sent at once race for the id: send
/// one at a time. Opaque; free it with `enjo_conversation_free`.
pub struct enjo_conversation {
    inner: Conversation,
    bot_id: CString,
}

/// How often a blocking call asks the caller's `interrupt_check` whether to stop.
const INTERRUPT_EVERY: Duration = Duration::from_millis(100);

/// Runs a core call to its end on the calling thread, or until `interrupt` asks to stop.
fn run(
    future: impl Future<Output = CoreResult<MessageResponse>> + Send,
    interrupt: Option<Interrupt>,
) -> Result<MessageResponse, CError> {
    let Some(interrupt) = interrupt else {
        return Ok(block_on(future)?);
    };
    // The core runs the check on the calling thread only (as the header promises), also when
    // the call is made from inside a tokio runtime (a Rust host calling the C ABI).
    match block_on_interruptible(future, INTERRUPT_EVERY, || {
        interrupt.asks_to_stop().then_some(())
    }) {
        Interruptible::Finished(reply) => Ok(reply?),
        Interruptible::Interrupted(()) => Err(CError::Interrupted),
    }
}

/// Writes `reply` (or the error) to the out-parameters of a send function.
///
/// # Safety
/// `response` is a writable `enjo_response *` slot (checked non-NULL by the caller).
unsafe fn deliver(
    reply: Result<MessageResponse, CError>,
    response: *mut *mut enjo_response,
) -> Result<(), CError> {
    let reply = enjo_response::new(reply?);
    // SAFETY: the caller's contract.
    unsafe { *response = Box::into_raw(Box::new(reply)) };
    Ok(())
}

/// Checks and clears the `response` out-parameter.
///
/// # Safety
/// `response` is NULL or a writable `enjo_response *` slot.
unsafe fn take_out(response: *mut *mut enjo_response) -> Result<(), CError> {
    if response.is_null() {
        return Err(CError::invalid(
            "response is NULL; pass the address of an `enjo_response *` variable",
        ));
    }
    // SAFETY: non-NULL and writable by the caller's contract.
    unsafe { *response = std::ptr::null_mut() };
    Ok(())
}

/// # Safety
/// `client` is NULL or a live `enjo_client`.
unsafe fn client_ref<'a>(client: *const enjo_client) -> Result<&'a enjo_client, CError> {
    // SAFETY: the caller's contract.
    unsafe { client.as_ref() }.ok_or_else(|| CError::invalid("client is NULL"))
}

/// Creates a client. `options` may be NULL (every default: token from `ENJO_API_TOKEN`, base
/// URL from `ENJO_BASE_URL` or the vendor's). Fails with `ENJO_ERR_INVALID_ARGUMENT` on a
/// missing token, a bad base URL or a bad option; nothing is sent.
///
/// Out-parameters: on success `*client` is the new client and `*error` (if `error` is not NULL)
/// is set to NULL; on failure `*client` is NULL and `*error` a new error. `*error` is
/// overwritten, never freed: pass the address of a NULL `enjo_error *`.
///
/// Ownership: the caller frees `*client` with `enjo_client_free` and `*error` with
/// `enjo_error_free`. Strings in `options` are copied.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_client_new(
    options: *const enjo_options,
    client: *mut *mut enjo_client,
    error: *mut *mut enjo_error,
) -> enjo_status {
    call(error, || {
        if client.is_null() {
            return Err(CError::invalid(
                "client is NULL; pass the address of an `enjo_client *` variable",
            ));
        }
        // SAFETY: non-NULL and writable by the caller's contract.
        unsafe { *client = std::ptr::null_mut() };
        // SAFETY: the caller's contract on `options`.
        let inner = unsafe { build_client(options) }?;
        let base_url = c_string(inner.base_url());
        let boxed = Box::into_raw(Box::new(enjo_client { inner, base_url }));
        // SAFETY: as above.
        unsafe { *client = boxed };
        Ok(())
    })
}

/// Frees a client. Accepts NULL. Must not run while another thread still uses the client.
/// Conversations made from it stay usable (unless the client was closed: `enjo_client_close`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_client_free(client: *mut enjo_client) {
    if client.is_null() {
        return;
    }
    guard((), || {
        // SAFETY: the client came from `Box::into_raw` in `enjo_client_new` (documented).
        drop(unsafe { Box::from_raw(client) });
    });
}

/// Closes the client: every later send through it, through another thread's use of it, or
/// through a conversation made from it fails with `ENJO_ERR_INVALID_ARGUMENT` ("this enjo
/// client is closed") and sends nothing; a call in flight finishes. Unlike `enjo_client_free`
/// it may run while other threads use the client, and it reaches the conversations (which
/// otherwise outlive a freed client). Closing twice is fine; NULL is ignored. The client still
/// needs `enjo_client_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_client_close(client: *const enjo_client) {
    // SAFETY: the caller's contract.
    if let Some(c) = unsafe { client.as_ref() } {
        guard((), || c.inner.close());
    }
}

/// Whether `enjo_client_close` was called on the client (false for NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_client_is_closed(client: *const enjo_client) -> bool {
    // SAFETY: the caller's contract.
    match unsafe { client.as_ref() } {
        Some(c) => guard(false, || c.inner.is_closed()),
        None => false,
    }
}

/// The base URL the client sends to, normalised (no trailing slash). NULL for a NULL client.
///
/// Ownership: borrowed from `client`; valid until `enjo_client_free(client)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_client_base_url(client: *const enjo_client) -> *const c_char {
    // SAFETY: the caller's contract.
    match unsafe { client.as_ref() } {
        Some(c) => guard(std::ptr::null(), || c.base_url.as_ptr()),
        None => std::ptr::null(),
    }
}

/// Sends `text` to the bot `bot_id` and waits for the reply (blocking the calling thread;
/// other threads may use the same client meanwhile). Continues `conversation_id` when it is
/// not NULL. Waits for the rate limiter and retries what the retry policy allows.
///
/// `bot_id` and `text` must be non-NULL, non-empty UTF-8; `conversation_id` NULL or non-empty
/// UTF-8; otherwise `ENJO_ERR_INVALID_ARGUMENT` and nothing is sent.
///
/// Out-parameters: on success `*response` is the reply and `*error` (if `error` is not NULL)
/// NULL; on failure `*response` is NULL and `*error` a new error. `response` must not be NULL;
/// `error` may be NULL when you only need the status.
///
/// Ownership: the caller frees `*response` with `enjo_response_free` and `*error` with
/// `enjo_error_free`. The arguments are only read during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_send_message(
    client: *const enjo_client,
    bot_id: *const c_char,
    text: *const c_char,
    conversation_id: *const c_char,
    response: *mut *mut enjo_response,
    error: *mut *mut enjo_error,
) -> enjo_status {
    // One path: the same call with only a conversation id as override.
    let options = enjo_send_options {
        conversation_id,
        ..send_defaults()
    };
    // SAFETY: the same contract; `options` lives until the call returns.
    unsafe { enjo_send_message_with(client, bot_id, text, &options, response, error) }
}

/// Like `enjo_send_message`, with per-call overrides (conversation id, timeout, retries,
/// retry policy, deadline, extra headers) and an optional interrupt check (see
/// `enjo_interrupt_check`: when it returns non-zero the call is abandoned with
/// `ENJO_ERR_INTERRUPTED`). `options` may be NULL (no override), or an `enjo_send_options` of
/// version 1, 2 or 3. Same out-parameters and ownership
/// as `enjo_send_message`; `options` and its strings are only read during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_send_message_with(
    client: *const enjo_client,
    bot_id: *const c_char,
    text: *const c_char,
    options: *const enjo_send_options,
    response: *mut *mut enjo_response,
    error: *mut *mut enjo_error,
) -> enjo_status {
    call(error, || {
        // SAFETY (whole block): the caller's documented contract on every pointer.
        unsafe {
            take_out(response)?;
            let client = client_ref(client)?;
            let bot_id = arg_str(bot_id, "bot_id")?;
            let text = arg_str(text, "text")?;
            let options = send_options(options)?;
            let future = client
                .inner
                .as_async()
                .send_message_with(bot_id, text, &options.send);
            deliver(run(future, options.interrupt), response)
        }
    })
}

/// Starts a conversation with `bot_id`, or resumes `conversation_id` when it is not NULL.
/// Nothing is sent until `enjo_conversation_send`.
///
/// Out-parameters: on success `*conversation` is the new handle and `*error` (if not NULL)
/// NULL; on failure `*conversation` is NULL and `*error` a new error.
///
/// Ownership: the caller frees `*conversation` with `enjo_conversation_free` (the client may
/// be freed before it) and `*error` with `enjo_error_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_conversation_new(
    client: *const enjo_client,
    bot_id: *const c_char,
    conversation_id: *const c_char,
    conversation: *mut *mut enjo_conversation,
    error: *mut *mut enjo_error,
) -> enjo_status {
    call(error, || {
        if conversation.is_null() {
            return Err(CError::invalid(
                "conversation is NULL; pass the address of an `enjo_conversation *` variable",
            ));
        }
        // SAFETY (whole block): the caller's documented contract on every pointer.
        unsafe {
            *conversation = std::ptr::null_mut();
            let client = client_ref(client)?;
            let bot_id = arg_str(bot_id, "bot_id")?;
            enjo_core::validate::bot_id(bot_id)?;
            let inner = match opt_str(conversation_id, "conversation_id")? {
                Some(id) => {
                    enjo_core::validate::conversation_id(id)?;
                    client.inner.as_async().resume_conversation(bot_id, id)
                }
                None => client.inner.as_async().conversation(bot_id),
            };
            let handle = enjo_conversation {
                inner,
                bot_id: c_string(bot_id),
            };
            *conversation = Box::into_raw(Box::new(handle));
        }
        Ok(())
    })
}

/// Sends `text` in the conversation (passing the id of the previous reply) and remembers the
/// reply's conversation id. Same out-parameters and ownership as `enjo_send_message`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_conversation_send(
    conversation: *const enjo_conversation,
    text: *const c_char,
    response: *mut *mut enjo_response,
    error: *mut *mut enjo_error,
) -> enjo_status {
    // SAFETY: the same contract; NULL options mean no override.
    unsafe { enjo_conversation_send_with(conversation, text, std::ptr::null(), response, error) }
}

/// Like `enjo_conversation_send`, with per-call overrides (timeout, retries, retry policy) and
/// an optional interrupt check (see `enjo_interrupt_check`; `ENJO_ERR_INTERRUPTED` when it
/// stops the call, and the conversation id stays what it was). `options` may be NULL, or an
/// `enjo_send_options` of version 1, 2 or 3 whose `conversation_id` is NULL (the conversation
/// sends its own id; a non-NULL one is `ENJO_ERR_INVALID_ARGUMENT`). Same out-parameters and
/// ownership as `enjo_send_message`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_conversation_send_with(
    conversation: *const enjo_conversation,
    text: *const c_char,
    options: *const enjo_send_options,
    response: *mut *mut enjo_response,
    error: *mut *mut enjo_error,
) -> enjo_status {
    call(error, || {
        // SAFETY (whole block): the caller's documented contract on every pointer.
        unsafe {
            take_out(response)?;
            let conversation = conversation
                .as_ref()
                .ok_or_else(|| CError::invalid("conversation is NULL"))?;
            let text = arg_str(text, "text")?;
            let options = send_options(options)?;
            let future = conversation.inner.send_with(text, options.send);
            deliver(run(future, options.interrupt), response)
        }
    })
}

/// The conversation id so far (set by the first reply, or the one resumed), or NULL when none
/// is known yet (or `conversation` is NULL).
///
/// Ownership: a new string; the caller frees it with `enjo_string_free` (not `free`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_conversation_id(
    conversation: *const enjo_conversation,
) -> *mut c_char {
    // SAFETY: the caller's contract.
    let Some(conversation) = (unsafe { conversation.as_ref() }) else {
        return std::ptr::null_mut();
    };
    guard(std::ptr::null_mut(), || {
        conversation
            .inner
            .id()
            .map_or(std::ptr::null_mut(), |id| c_string(&id).into_raw())
    })
}

/// The bot this conversation talks to. NULL for a NULL conversation.
///
/// Ownership: borrowed; valid until `enjo_conversation_free(conversation)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_conversation_bot_id(
    conversation: *const enjo_conversation,
) -> *const c_char {
    // SAFETY: the caller's contract.
    match unsafe { conversation.as_ref() } {
        Some(c) => guard(std::ptr::null(), || c.bot_id.as_ptr()),
        None => std::ptr::null(),
    }
}

/// Frees a conversation. Accepts NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_conversation_free(conversation: *mut enjo_conversation) {
    if conversation.is_null() {
        return;
    }
    guard((), || {
        // SAFETY: came from `Box::into_raw` in `enjo_conversation_new` (documented).
        drop(unsafe { Box::from_raw(conversation) });
    });
}
