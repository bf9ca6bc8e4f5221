//! # enjo — the Rust SDK for the Enjo API
//!
//! [Enjo](https://enjo.ai) runs AI support agents ("bots"). This crate sends a message to a bot
//! and returns its answer, the sources it used, the conversation id and, when the bot is wired
//! to Jira, ServiceNow or Salesforce, the ticket it created. It is also the single
//! implementation behind the Python, Node, C and R packages and the `enjo` command.
//!
//! ```no_run
//! # async fn demo() -> enjo::Result<()> {
//! let client = enjo::Client::builder()
//!     .token("your-personal-access-token") // default: ENJO_API_TOKEN
//!     .build()?;
//! let reply = client.send_message("support-bot", "I need a ticket: VPN is down", None).await?;
//! println!("{}", reply.answers.as_deref().unwrap_or(""));
//! if let Some(ticket) = &reply.ticket {
//!     println!("ticket {:?} is {:?}", ticket.case_number, ticket.status);
//! }
//! # Ok(()) }
//! ```
//!
//! What it does for you:
//! - **Rate limits**: a client-side [sliding log](ratelimit) keeps the process within Enjo's
//!   documented 20 requests per minute and 10 per 5 seconds, shared by every client talking to
//!   the same host. Callers wait their turn instead of getting 429s.
//! - **Safe retries**: 429s and requests that never reached the server are retried with
//!   backoff; a request that may have created a ticket is never sent twice unless you opt in
//!   ([`RetryPolicy::AtLeastOnce`]).
//! - **One error type**: [`Error`] with an [`ErrorKind`] shared by every language binding.
//! - **Security**: the token never appears in `Debug`, logs or errors; it is only sent over
//!   https (or to loopback), never across a redirect to another origin.
//! - **Fork-safe blocking client**: [`blocking::Client`] works in a child after `fork()`.

#![forbid(unsafe_op_in_unsafe_fn)]

pub mod blocking;
mod client;
mod config;
mod conversation;
mod deadline;
mod decode;
mod error;
mod fork;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod headers;
mod http;
mod models;
pub mod options;
pub mod process;
pub mod ratelimit;
mod raw;
mod redirect;
pub mod retry;
mod telemetry;
pub mod unwind;
pub mod validate;

pub use client::{Client, ClientBuilder};
pub use config::{
    DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT, ENV_BASE_URL, ENV_TOKEN, Event, EventLevel, Observer, SendOptions, VERSION,
};
pub use conversation::Conversation;
pub use error::{Error, ErrorKind, ErrorView, MAX_ERROR_BODY, Result};
pub use models::{MessageResponse, Source, Ticket};
pub use process::runtime;
pub use ratelimit::{Quota, RateLimit, RateLimiter};
pub use raw::RawJson;
pub use retry::{RetryPolicy, Spelling};
pub use telemetry::{WAIT_LOG_THRESHOLD, WaitReason};
