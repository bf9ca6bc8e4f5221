//! `enjo_response`: a bot's reply, read through accessors.

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

use enjo_core::MessageResponse;

use crate::util::{c_string, guard, opt_c_string, ptr_of};

struct CSource {
    source_type: Option<CString>,
    name: Option<CString>,
    url: Option<CString>,
    score: f64,
}

struct CTicket {
    id: Option<CString>,
    url: Option<CString>,
    ticket_type: Option<CString>,
    status: Option<CString>,
    priority: Option<CString>,
    description: Option<CString>,
    created_date: Option<CString>,
    last_modified_date: Option<CString>,
    case_number: Option<CString>,
    json: OnceLock<CString>,
}

/// A successful reply from a bot.
///
/// Ownership: the caller owns it and frees it with `enjo_response_free`. Every string returned
/// by its accessors is borrowed: valid until `enjo_response_free`, never to be freed by the
/// caller. Absent fields are NULL (strings) or NaN (numbers). Immutable, so it may be read from
/// several threads. A NUL character inside a value (JSON `\u0000`) is returned as U+FFFD; the
/// exact value is in `enjo_response_json`.
pub struct enjo_response {
    answers: Option<CString>,
    conversation_id: Option<CString>,
    request_id: Option<CString>,
    server_request_id: Option<CString>,
    sources: Vec<CSource>,
    ticket: Option<CTicket>,
    reply: MessageResponse,
    json: OnceLock<CString>,
}

impl enjo_response {
    pub(crate) fn new(reply: MessageResponse) -> enjo_response {
        let sources = reply
            .sources
            .iter()
            .map(|s| CSource {
                source_type: opt_c_string(s.source_type.as_deref()),
                name: opt_c_string(s.name.as_deref()),
                url: opt_c_string(s.url.as_deref()),
                score: s.score.unwrap_or(f64::NAN),
            })
            .collect();
        let ticket = reply.ticket.as_ref().map(|t| CTicket {
            id: opt_c_string(t.id.as_deref()),
            url: opt_c_string(t.url.as_deref()),
            ticket_type: opt_c_string(t.ticket_type.as_deref()),
            status: opt_c_string(t.status.as_deref()),
            priority: opt_c_string(t.priority.as_deref()),
            description: opt_c_string(t.description.as_deref()),
            created_date: opt_c_string(t.created_date.as_deref()),
            last_modified_date: opt_c_string(t.last_modified_date.as_deref()),
            case_number: opt_c_string(t.case_number.as_deref()),
            json: OnceLock::new(),
        });
        enjo_response {
            answers: opt_c_string(reply.answers.as_deref()),
            conversation_id: opt_c_string(reply.conversation_id.as_deref()),
            request_id: opt_c_string(reply.request_id.as_deref()),
            server_request_id: opt_c_string(reply.server_request_id.as_deref()),
            sources,
            ticket,
            reply,
            json: OnceLock::new(),
        }
    }
}

/// Reads a response field; NULL response → `fallback`.
///
/// # Safety
/// `response` is NULL or a live `enjo_response` from this library.
unsafe fn with<T>(
    response: *const enjo_response,
    fallback: T,
    read: impl FnOnce(&enjo_response) -> T,
) -> T {
    // SAFETY: the caller's contract.
    match unsafe { response.as_ref() } {
        Some(r) => guard(fallback, || read(r)),
        None => fallback,
    }
}

/// # Safety
/// As [`with`].
unsafe fn source_field(
    response: *const enjo_response,
    index: usize,
    field: impl FnOnce(&CSource) -> *const c_char,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe {
        with(response, std::ptr::null(), |r| {
            r.sources.get(index).map_or(std::ptr::null(), field)
        })
    }
}

/// # Safety
/// As [`with`].
unsafe fn ticket_field(
    response: *const enjo_response,
    field: impl FnOnce(&CTicket) -> &Option<CString>,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe {
        with(response, std::ptr::null(), |r| {
            r.ticket
                .as_ref()
                .map_or(std::ptr::null(), |t| ptr_of(field(t)))
        })
    }
}

/// The bot's answer (`data.answers`; a list is joined with blank lines), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_answers(response: *const enjo_response) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { with(response, std::ptr::null(), |r| ptr_of(&r.answers)) }
}

/// The conversation id (`data.conversationId`): pass it back to continue the conversation.
/// NULL when the reply had none.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_conversation_id(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { with(response, std::ptr::null(), |r| ptr_of(&r.conversation_id)) }
}

/// The call's request id (sent as `X-Request-Id` on each attempt), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_request_id(response: *const enjo_response) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { with(response, std::ptr::null(), |r| ptr_of(&r.request_id)) }
}

/// The server's own request id (its `x-request-id`, `request-id` or `x-amzn-requestid` reply
/// header), or NULL when the reply had none.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_server_request_id(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { with(response, std::ptr::null(), |r| ptr_of(&r.server_request_id)) }
}

/// The whole response body as compact JSON, unknown fields included. Never NULL for a
/// non-NULL response.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_json(response: *const enjo_response) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe {
        with(response, std::ptr::null(), |r| {
            r.json
                .get_or_init(|| c_string(&r.reply.raw.to_string()))
                .as_ptr()
        })
    }
}

/// Number of sources the bot used (0 for none or a NULL response). Valid indexes for the
/// `enjo_response_source_*` accessors are `0 .. count-1`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_source_count(response: *const enjo_response) -> usize {
    // SAFETY: forwarded contract.
    unsafe { with(response, 0, |r| r.sources.len()) }
}

/// Type of source `index` (e.g. `"jira"`, `"knowledge base"`), or NULL (absent field, index
/// out of range).
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_source_type(
    response: *const enjo_response,
    index: usize,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { source_field(response, index, |s| ptr_of(&s.source_type)) }
}

/// Name or title of source `index`, or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_source_name(
    response: *const enjo_response,
    index: usize,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { source_field(response, index, |s| ptr_of(&s.name)) }
}

/// Link to source `index`, or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_source_url(
    response: *const enjo_response,
    index: usize,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { source_field(response, index, |s| ptr_of(&s.url)) }
}

/// Relevance score of source `index` (usually in [0, 1]), or NaN when absent or out of range.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_source_score(
    response: *const enjo_response,
    index: usize,
) -> f64 {
    // SAFETY: forwarded contract.
    unsafe {
        with(response, f64::NAN, |r| {
            r.sources.get(index).map_or(f64::NAN, |s| s.score)
        })
    }
}

/// Whether the bot created a ticket (`data.ticketDetails` was a non-empty object). When false,
/// every `enjo_response_ticket_*` accessor returns NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_has_ticket(response: *const enjo_response) -> bool {
    // SAFETY: forwarded contract.
    unsafe { with(response, false, |r| r.ticket.is_some()) }
}

/// Ticket id in its platform (`id`, Salesforce `Id`, ServiceNow `sys_id`), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_id(response: *const enjo_response) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |t| &t.id) }
}

/// Link to the ticket in the external system, or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_url(response: *const enjo_response) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |t| &t.url) }
}

/// Kind of issue (`type`, Jira `issuetype`, ServiceNow `category`), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_type(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |t| &t.ticket_type) }
}

/// Current status (`status` in any casing, ServiceNow `state`), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_status(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |t| &t.status) }
}

/// Priority level, or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_priority(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |t| &t.priority) }
}

/// Description (else `short_description` / `summary` / `subject`), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_description(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |t| &t.description) }
}

/// Creation timestamp as sent (`createdDate`, `created`, `sys_created_on`), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_created_date(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |t| &t.created_date) }
}

/// Last modification timestamp as sent (`lastModifiedDate`, `updated`, `sys_updated_on`), or
/// NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_last_modified_date(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |t| &t.last_modified_date) }
}

/// The human-facing ticket number (Salesforce `CaseNumber`, ServiceNow `number`, Jira `key`),
/// or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_case_number(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |t| &t.case_number) }
}

/// The ticket exactly as the server sent it (`data.ticketDetails`, platform casing and every
/// field), as compact JSON; NULL when there is no ticket.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_json(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe {
        with(response, std::ptr::null(), |r| {
            match (&r.ticket, &r.reply.ticket) {
                (Some(t), Some(ticket)) => t
                    .json
                    .get_or_init(|| c_string(&ticket.raw.to_string()))
                    .as_ptr(),
                _ => std::ptr::null(),
            }
        })
    }
}

/// Frees a response and every string borrowed from it. Accepts NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_free(response: *mut enjo_response) {
    if response.is_null() {
        return;
    }
    guard((), || {
        // SAFETY: came from `Box::into_raw` in a send function (documented).
        drop(unsafe { Box::from_raw(response) });
    });
}
