//! `enjo_response`: a bot's reply, read through accessors.

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

use enjo_core::{MessageResponse, Source, Ticket};

use crate::util::{c_string, guard, opt_c_string, ptr_of};

/// A C copy of one of the reply's strings, made the first time it is asked for: most callers
/// read two or three fields, and copying all of them (about 15 allocations for the documented
/// body) cost every call. Once made, it stays put until the response is freed, so the pointer
/// handed out stays valid; `OnceLock` makes the first read safe from several threads.
#[derive(Default)]
struct LazyCString(OnceLock<Option<CString>>);

impl LazyCString {
    fn get(&self, text: Option<&str>) -> *const c_char {
        ptr_of(self.0.get_or_init(|| opt_c_string(text)))
    }
}

#[derive(Default)]
struct CSource {
    source_type: LazyCString,
    name: LazyCString,
    url: LazyCString,
}

#[derive(Default)]
struct CTicket {
    id: LazyCString,
    url: LazyCString,
    ticket_type: LazyCString,
    status: LazyCString,
    priority: LazyCString,
    description: LazyCString,
    created_date: LazyCString,
    last_modified_date: LazyCString,
    case_number: LazyCString,
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
    answers: LazyCString,
    conversation_id: LazyCString,
    request_id: LazyCString,
    server_request_id: LazyCString,
    /// One per source of `reply` (same order).
    sources: Box<[CSource]>,
    ticket: CTicket,
    reply: MessageResponse,
    json: OnceLock<CString>,
}

impl enjo_response {
    pub(crate) fn new(reply: MessageResponse) -> enjo_response {
        enjo_response {
            answers: LazyCString::default(),
            conversation_id: LazyCString::default(),
            request_id: LazyCString::default(),
            server_request_id: LazyCString::default(),
            sources: reply.sources.iter().map(|_| CSource::default()).collect(),
            ticket: CTicket::default(),
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
    field: impl FnOnce(&CSource, &Source) -> *const c_char,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe {
        with(response, std::ptr::null(), |r| {
            match (r.sources.get(index), r.reply.sources.get(index)) {
                (Some(c), Some(source)) => field(c, source),
                _ => std::ptr::null(),
            }
        })
    }
}

/// # Safety
/// As [`with`].
unsafe fn ticket_field(
    response: *const enjo_response,
    field: impl FnOnce(&CTicket, &Ticket) -> *const c_char,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe {
        with(response, std::ptr::null(), |r| {
            r.reply
                .ticket
                .as_ref()
                .map_or(std::ptr::null(), |t| field(&r.ticket, t))
        })
    }
}

/// The bot's answer (`data.answers`; a list is joined with blank lines), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_answers(response: *const enjo_response) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe {
        with(response, std::ptr::null(), |r| {
            r.answers.get(r.reply.answers.as_deref())
        })
    }
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
    unsafe {
        with(response, std::ptr::null(), |r| {
            r.conversation_id.get(r.reply.conversation_id.as_deref())
        })
    }
}

/// The call's request id (sent as `X-Request-Id` on each attempt), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_request_id(response: *const enjo_response) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe {
        with(response, std::ptr::null(), |r| {
            r.request_id.get(r.reply.request_id.as_deref())
        })
    }
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
    unsafe {
        with(response, std::ptr::null(), |r| {
            r.server_request_id
                .get(r.reply.server_request_id.as_deref())
        })
    }
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
    unsafe {
        source_field(response, index, |c, s| {
            c.source_type.get(s.source_type.as_deref())
        })
    }
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
    unsafe { source_field(response, index, |c, s| c.name.get(s.name.as_deref())) }
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
    unsafe { source_field(response, index, |c, s| c.url.get(s.url.as_deref())) }
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
            r.reply
                .sources
                .get(index)
                .and_then(|s| s.score)
                .unwrap_or(f64::NAN)
        })
    }
}

/// Whether the bot created a ticket (`data.ticketDetails` was a non-empty object). When false,
/// every `enjo_response_ticket_*` accessor returns NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_has_ticket(response: *const enjo_response) -> bool {
    // SAFETY: forwarded contract.
    unsafe { with(response, false, |r| r.reply.ticket.is_some()) }
}

/// Ticket id in its platform (`id`, Salesforce `Id`, ServiceNow `sys_id`), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_id(response: *const enjo_response) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |c, t| c.id.get(t.id.as_deref())) }
}

/// Link to the ticket in the external system, or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_url(response: *const enjo_response) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |c, t| c.url.get(t.url.as_deref())) }
}

/// Kind of issue (`type`, Jira `issuetype`, ServiceNow `category`), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_type(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |c, t| c.ticket_type.get(t.ticket_type.as_deref())) }
}

/// Current status (`status` in any casing, ServiceNow `state`), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_status(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |c, t| c.status.get(t.status.as_deref())) }
}

/// Priority level, or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_priority(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |c, t| c.priority.get(t.priority.as_deref())) }
}

/// Description (else `short_description` / `summary` / `subject`), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_description(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { ticket_field(response, |c, t| c.description.get(t.description.as_deref())) }
}

/// Creation timestamp as sent (`createdDate`, `created`, `sys_created_on`), or NULL.
///
/// Ownership: borrowed; valid until `enjo_response_free(response)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn enjo_response_ticket_created_date(
    response: *const enjo_response,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe {
        ticket_field(response, |c, t| {
            c.created_date.get(t.created_date.as_deref())
        })
    }
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
    unsafe {
        ticket_field(response, |c, t| {
            c.last_modified_date.get(t.last_modified_date.as_deref())
        })
    }
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
    unsafe { ticket_field(response, |c, t| c.case_number.get(t.case_number.as_deref())) }
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
            r.reply.ticket.as_ref().map_or(std::ptr::null(), |ticket| {
                r.ticket
                    .json
                    .get_or_init(|| c_string(&ticket.raw.to_string()))
                    .as_ptr()
            })
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

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;

    const DOCS_BODY: &[u8] = br#"{"success":true,"data":{"answers":"hi","sources":[{"type":"jira","name":"n","score":0.5}],
        "conversationId":"c1","ticketDetails":{"Id":"7","CaseNumber":"00012345","Status":"Open"}}}"#;

    fn read(ptr: *const c_char) -> Option<String> {
        // SAFETY: the accessors return NULL or a NUL-terminated string owned by the response.
        (!ptr.is_null()).then(|| {
            unsafe { CStr::from_ptr(ptr) }
                .to_string_lossy()
                .into_owned()
        })
    }

    #[test]
    fn lazy_strings_are_made_once_and_stay_put() -> Result<(), Box<dyn std::error::Error>> {
        let reply = MessageResponse::from_body(DOCS_BODY, 200, None)?;
        let response = Box::into_raw(Box::new(enjo_response::new(reply)));
        // SAFETY (whole test): `response` is live until the `enjo_response_free` at the end.
        unsafe {
            // First reads from several threads at once: one string each, the same pointer.
            let ptr = response as usize;
            let pointers: Vec<(usize, usize)> = std::thread::scope(|s| {
                let readers: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(move || {
                            let r = ptr as *const enjo_response;
                            (
                                enjo_response_answers(r) as usize,
                                enjo_response_ticket_case_number(r) as usize,
                            )
                        })
                    })
                    .collect();
                readers.into_iter().filter_map(|h| h.join().ok()).collect()
            });
            assert_eq!(pointers.len(), 8);
            assert!(pointers.iter().all(|p| *p == pointers[0]), "{pointers:?}");
            assert_eq!(enjo_response_answers(response) as usize, pointers[0].0);
            assert_eq!(read(enjo_response_answers(response)).as_deref(), Some("hi"));
            assert_eq!(
                read(enjo_response_conversation_id(response)).as_deref(),
                Some("c1")
            );
            assert_eq!(read(enjo_response_request_id(response)), None);
            assert_eq!(enjo_response_source_count(response), 1);
            assert_eq!(
                read(enjo_response_source_type(response, 0)).as_deref(),
                Some("jira")
            );
            assert_eq!(read(enjo_response_source_url(response, 0)), None);
            assert_eq!(read(enjo_response_source_name(response, 1)), None);
            assert_eq!(enjo_response_source_score(response, 0), 0.5);
            assert!(enjo_response_source_score(response, 1).is_nan());
            assert!(enjo_response_has_ticket(response));
            assert_eq!(
                read(enjo_response_ticket_id(response)).as_deref(),
                Some("7")
            );
            assert_eq!(
                read(enjo_response_ticket_status(response)).as_deref(),
                Some("Open")
            );
            assert_eq!(read(enjo_response_ticket_priority(response)), None);
            assert_eq!(
                read(enjo_response_ticket_json(response)).as_deref(),
                Some(r#"{"Id":"7","CaseNumber":"00012345","Status":"Open"}"#)
            );
            enjo_response_free(response);
        }
        Ok(())
    }
}
