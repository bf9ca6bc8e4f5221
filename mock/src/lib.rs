//! # enjo-mock — a local Enjo-compatible server
//!
//! Speaks the documented contract of `POST /v1/bots/{id}/message` (bearer auth, both error
//! body shapes, `conversationId`, `ticketDetails`), with stateful conversations, answers by
//! BM25 retrieval over each bot's knowledge base (retrieval, not a language model), tickets in
//! Salesforce, Jira and ServiceNow shapes, Enjo's per-IP rate limits, fault injection and a
//! `/_mock` introspection API. Used by every test suite of the SDK, by its demo, and by users'
//! own tests.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let server = enjo_mock::MockServer::start(enjo_mock::MockConfig::default()).await?;
//! println!("{} with token {}", server.url(), enjo_mock::DEFAULT_TOKEN);
//! # Ok(()) }
//! ```

pub mod cli;
pub mod config;
pub mod faults;
pub mod kit;
pub mod ratelimit;
pub mod retrieval;
pub mod routes;
pub mod server;
pub mod state;
pub mod tickets;

pub use config::{
    Article, BotConfig, DEFAULT_BOTS_TOML, DEFAULT_TOKEN, MockConfig, Quota, Ticketing,
    default_bots, parse_rate_limit,
};
pub use faults::{Fault, FaultRule};
pub use kit::{Kit, KitOptions};
pub use server::MockServer;
pub use state::{RecordedRequest, TicketRecord};
