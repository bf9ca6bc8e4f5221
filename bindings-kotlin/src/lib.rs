//! The native half of the Kotlin/JVM package: exports the `enjo` core through uniffi, which
//! generates the Kotlin in `src/main/kotlin/ai/enjo/ffi/` (package `ai.enjo.ffi`, internal to
//! the package). The public Kotlin API (`ai.enjo.Enjo`, `EnjoException`, ...) is a thin layer
//! over it; this crate converts types and errors and nothing else.
//!
//! Shape of the boundary:
//! - [`NativeClient::new`] takes the options as the Kotlin layer has them (durations in seconds
//!   and counts as `f64`, the retry policy's camelCase name); core's [`enjo::options`] converts
//!   and checks them, with messages naming the option as a Kotlin caller spells it, and puts
//!   `kotlin/<version>` into the `User-Agent`.
//! - Sends are `async` (Kotlin `suspend`): each runs as a task on core's process-wide runtime
//!   ([`enjo::process::spawn`]), and the future uniffi polls only waits for its outcome. When
//!   the coroutine is cancelled, uniffi drops that future, which aborts the task (the request
//!   is dropped, its limiter place and its conversation's turn given up).
//! - Every error is one [`NativeError::Failure`] carrying core's [`enjo::ErrorView`] as data;
//!   Kotlin picks the `EnjoException` subclass from its `kind`. A new core kind needs no change
//!   here.
//! - A panic on the task is caught by [`enjo::process::spawn`] and reported as the `internal`
//!   kind; uniffi catches one in the glue itself. None unwinds into the JVM.

#![deny(clippy::unwrap_used, clippy::expect_used)]
// `NativeError` carries the error's fields by value because uniffi lowers it field by field
// into Kotlin; it is built once per failed call, so its size costs nothing that matters.
#![allow(clippy::result_large_err)]

use std::future::Future;
use std::sync::Arc;

use enjo::options::{CallOptions, ClientOptions, Host, QuotaValue, RateLimitValue, TimeUnit};

uniffi::setup_scaffolding!();

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/// One client-side quota: at most `requests` requests in any window of `window_secs` seconds.
#[derive(uniffi::Record, Debug, Clone)]
pub struct NativeQuota {
    /// Requests allowed per window (a positive whole number).
    pub requests: f64,
    /// The window's length in seconds.
    pub window_secs: f64,
}

/// Client-side rate limiting.
#[derive(uniffi::Enum, Debug, Clone)]
pub enum NativeRateLimit {
    /// Enjo's documented limits (20 per minute, 10 per 5 seconds).
    Documented,
    /// No client-side limiting.
    Off,
    /// These quotas, all enforced at once.
    Custom {
        /// The quotas.
        quotas: Vec<NativeQuota>,
    },
}

/// Options of a client, as the Kotlin layer passes them (durations in seconds, counts as
/// numbers, the retry policy in camelCase): `None` keeps core's default. Core's
/// [`enjo::options`] checks them, naming each option as Kotlin spells it.
#[derive(uniffi::Record, Default)]
pub struct NativeOptions {
    /// Personal access token (default: env `ENJO_API_TOKEN`).
    pub token: Option<String>,
    /// Base URL (default: env `ENJO_BASE_URL`, else the vendor's).
    pub base_url: Option<String>,
    /// Timeout of each attempt, in seconds.
    pub timeout_secs: Option<f64>,
    /// Connect timeout, in seconds.
    pub connect_timeout_secs: Option<f64>,
    /// Retries after the first attempt.
    pub max_retries: Option<f64>,
    /// `safe` or `atLeastOnce` (Kotlin's `RetryPolicy` enum, spelled as core's camel names).
    pub retry_policy: Option<String>,
    /// Client-side rate limiting.
    pub rate_limit: Option<NativeRateLimit>,
    /// Longest wait for the limiter, in seconds, before a rate-limit error without sending.
    pub rate_limit_max_wait_secs: Option<f64>,
    /// Whole-call deadline (limiter wait, attempts and backoff), in seconds.
    pub deadline_secs: Option<f64>,
    /// The caller's `User-Agent` suffix.
    pub user_agent: Option<String>,
    /// Proxy URL for every request.
    pub proxy: Option<String>,
    /// An extra trusted root certificate, PEM.
    pub root_certificate_pem: Option<String>,
    /// Allow a plain-http base URL that is not loopback.
    pub allow_insecure_http: Option<bool>,
    /// Largest accepted response body, in bytes.
    pub max_response_bytes: Option<f64>,
    /// Where the rate-limit log lives (`memory`, `file:/path`, `redis://…`).
    pub rate_limit_store: Option<String>,
    /// The shared log's name in a Redis store.
    pub rate_limit_key: Option<String>,
    /// Use this process's own limiter while the store is unreachable.
    pub rate_limit_store_fallback: Option<bool>,
    /// The Kotlin version, for the `User-Agent` (`kotlin/<version>`).
    pub kotlin_version: String,
}

/// Per-call options, as [`NativeOptions`].
#[derive(uniffi::Record, Default)]
pub struct NativeSendOptions {
    /// Continue this conversation.
    pub conversation_id: Option<String>,
    /// Timeout of each attempt of this call, in seconds.
    pub timeout_secs: Option<f64>,
    /// Retries after the first attempt, for this call.
    pub max_retries: Option<f64>,
    /// Retry policy for this call (`safe` or `atLeastOnce`).
    pub retry_policy: Option<String>,
    /// Whole-call deadline, in seconds.
    pub deadline_secs: Option<f64>,
    /// Extra headers for every attempt of this call, in order, as `(name, value)` pairs.
    pub headers: Vec<NativeHeader>,
}

/// One extra request header.
#[derive(uniffi::Record)]
pub struct NativeHeader {
    /// The header's name.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// Kotlin's spelling and unit: camelCase names, durations in seconds (`kotlin.time.Duration`
/// and `java.time.Duration` are converted to seconds by the Kotlin layer).
fn host() -> Host {
    Host::new(enjo::Spelling::Camel, TimeUnit::Seconds)
}

fn build_client(options: NativeOptions) -> enjo::Result<enjo::Client> {
    let host = host().with_language("kotlin", &options.kotlin_version);
    let rate_limit = options.rate_limit.map(|limit| match limit {
        NativeRateLimit::Documented => RateLimitValue::On,
        NativeRateLimit::Off => RateLimitValue::Off,
        NativeRateLimit::Custom { quotas } => RateLimitValue::Quotas(
            quotas
                .iter()
                .map(|q| QuotaValue {
                    requests: q.requests,
                    window: q.window_secs,
                })
                .collect(),
        ),
    });
    ClientOptions {
        token: options.token,
        base_url: options.base_url,
        timeout: options.timeout_secs,
        connect_timeout: options.connect_timeout_secs,
        max_retries: options.max_retries,
        retry_policy: options.retry_policy,
        rate_limit,
        rate_limit_max_wait: options.rate_limit_max_wait_secs,
        deadline: options.deadline_secs,
        user_agent: options.user_agent,
        proxy: options.proxy,
        root_certificate_pem: options.root_certificate_pem,
        allow_insecure_http: options.allow_insecure_http,
        max_response_bytes: options.max_response_bytes,
        rate_limit_store: options.rate_limit_store,
        rate_limit_key: options.rate_limit_key,
        rate_limit_store_fallback: options.rate_limit_store_fallback,
    }
    .builder(&host)?
    .build()
}

fn send_options(options: NativeSendOptions) -> enjo::Result<enjo::SendOptions> {
    CallOptions {
        conversation_id: options.conversation_id,
        timeout: options.timeout_secs,
        max_retries: options.max_retries,
        retry_policy: options.retry_policy,
        deadline: options.deadline_secs,
        headers: options
            .headers
            .into_iter()
            .map(|h| (h.name, h.value))
            .collect(),
    }
    .send_options(&host())
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

/// One source the bot used for its answer.
#[derive(uniffi::Record)]
pub struct NativeSource {
    /// The source's type, e.g. `jira` or `knowledge base`.
    pub source_type: Option<String>,
    /// Name or title of the source.
    pub name: Option<String>,
    /// Relevance score.
    pub score: Option<f64>,
    /// Link to the source.
    pub url: Option<String>,
}

/// A ticket the bot created; common fields read whatever the platform's casing.
#[derive(uniffi::Record)]
pub struct NativeTicket {
    /// Platform id.
    pub id: Option<String>,
    /// Link to the ticket.
    pub url: Option<String>,
    /// Kind of issue.
    pub ticket_type: Option<String>,
    /// Current status.
    pub status: Option<String>,
    /// Priority level.
    pub priority: Option<String>,
    /// Description of the issue.
    pub description: Option<String>,
    /// Creation timestamp, as sent.
    pub created_date: Option<String>,
    /// Last modification timestamp, as sent.
    pub last_modified_date: Option<String>,
    /// The human-facing number (Salesforce `CaseNumber`, ServiceNow `number`, Jira `key`).
    pub case_number: Option<String>,
    /// The ticket exactly as the server sent it, as JSON text.
    pub raw_json: String,
}

/// A bot's reply.
#[derive(uniffi::Record)]
pub struct NativeResponse {
    /// The bot's answer.
    pub answers: Option<String>,
    /// The sources the bot used.
    pub sources: Vec<NativeSource>,
    /// The conversation id to continue with.
    pub conversation_id: Option<String>,
    /// The ticket the bot created.
    pub ticket: Option<NativeTicket>,
    /// The whole response body, as JSON text.
    pub raw_json: String,
    /// The call's request id (sent as `X-Request-Id`).
    pub request_id: Option<String>,
    /// The server's own request id, when it sent one.
    pub server_request_id: Option<String>,
    /// The HTTP status of the reply.
    pub status: u16,
}

impl From<enjo::Source> for NativeSource {
    fn from(s: enjo::Source) -> NativeSource {
        NativeSource {
            source_type: s.source_type,
            name: s.name,
            score: s.score,
            url: s.url,
        }
    }
}

impl From<enjo::Ticket> for NativeTicket {
    fn from(t: enjo::Ticket) -> NativeTicket {
        NativeTicket {
            id: t.id,
            url: t.url,
            ticket_type: t.ticket_type,
            status: t.status,
            priority: t.priority,
            description: t.description,
            created_date: t.created_date,
            last_modified_date: t.last_modified_date,
            case_number: t.case_number,
            raw_json: t.raw.to_string(),
        }
    }
}

impl From<enjo::MessageResponse> for NativeResponse {
    fn from(r: enjo::MessageResponse) -> NativeResponse {
        NativeResponse {
            answers: r.answers,
            sources: r.sources.into_iter().map(NativeSource::from).collect(),
            conversation_id: r.conversation_id,
            ticket: r.ticket.map(NativeTicket::from),
            // The server's own text (no parse); Kotlin parses it when `raw` is read.
            raw_json: r.raw.json_text().into_owned(),
            request_id: r.request_id,
            server_request_id: r.server_request_id,
            status: r.status,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Core's [`enjo::ErrorView`] as data. Never holds the token.
#[derive(uniffi::Record, Debug)]
pub struct ErrorInfo {
    /// The stable kind name shared by every binding: `rate_limited`, `timeout`, ...
    pub kind: String,
    /// The message alone.
    pub message: String,
    /// The full text for users: status, message, delay, request ids, what to do next.
    pub display: String,
    /// The HTTP status, for errors from a response.
    pub status: Option<u16>,
    /// The server's error code.
    pub code: Option<String>,
    /// The raw response body (cut at 64 KiB).
    pub body: Option<String>,
    /// Seconds to wait before trying again.
    pub retry_after: Option<f64>,
    /// The call's request id.
    pub request_id: Option<String>,
    /// The server's own request id.
    pub server_request_id: Option<String>,
    /// False when the request provably never reached the server.
    pub may_have_been_sent: bool,
}

/// Every failure of the native layer; Kotlin turns it into an `EnjoException` subclass.
#[derive(uniffi::Error, Debug)]
pub enum NativeError {
    /// An SDK error, described by core.
    Failure {
        /// What happened.
        info: ErrorInfo,
    },
}

impl std::fmt::Display for NativeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let NativeError::Failure { info } = self;
        f.write_str(&info.display)
    }
}

impl std::error::Error for NativeError {}

impl From<enjo::Error> for NativeError {
    fn from(err: enjo::Error) -> NativeError {
        let view = err.view();
        NativeError::Failure {
            info: ErrorInfo {
                kind: view.kind_name.to_owned(),
                message: view.message,
                display: view.display,
                status: view.status,
                code: view.code,
                body: view.body,
                retry_after: view.retry_after,
                request_id: view.request_id,
                server_request_id: view.server_request_id,
                may_have_been_sent: view.may_have_been_sent,
            },
        }
    }
}

/// The stable names of every core error kind (`ErrorKind::ALL`), for the Kotlin test that
/// checks each has its `EnjoException` subclass.
#[uniffi::export]
pub fn error_kinds() -> Vec<String> {
    enjo::ErrorKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect()
}

/// Always fails, with an `internal` error: lets the Kotlin test check the mapping of the one
/// kind that no server reply can produce (a bug in enjo).
#[uniffi::export]
pub fn sample_internal_error() -> Result<(), NativeError> {
    Err(enjo::Error::internal("a sample internal error (test aid)").into())
}

// ---------------------------------------------------------------------------------------------
// Running core futures
// ---------------------------------------------------------------------------------------------

/// Aborts a request spawned on core's runtime when dropped: uniffi drops the future of a
/// cancelled coroutine, and with it this guard.
struct AbortOnDrop(Option<tokio::task::AbortHandle>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = &self.0 {
            handle.abort();
        }
    }
}

/// Runs `request` on core's runtime ([`enjo::process::spawn`]: a panic becomes an `internal`
/// error) and waits for its outcome.
async fn on_runtime<F>(request: F) -> Result<NativeResponse, NativeError>
where
    F: Future<Output = enjo::Result<enjo::MessageResponse>> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let _abort = AbortOnDrop(enjo::process::spawn(request, move |outcome| {
        // The receiver is gone only when the call was cancelled: nobody wants the outcome.
        let _ = tx.send(outcome);
    }));
    match rx.await {
        Ok(Ok(Ok(reply))) => Ok(reply.into()),
        Ok(Ok(Err(err)) | Err(err)) => Err(err.into()),
        Err(_) => Err(enjo::Error::internal("the request's task ended without an outcome").into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Client and conversation
// ---------------------------------------------------------------------------------------------

/// The native client; `ai.enjo.Enjo` wraps it.
#[derive(uniffi::Object)]
pub struct NativeClient {
    inner: enjo::Client,
}

#[uniffi::export]
impl NativeClient {
    /// Builds a client; bad options are an `invalid_argument` error naming the option.
    #[uniffi::constructor]
    pub fn new(options: NativeOptions) -> Result<Arc<NativeClient>, NativeError> {
        Ok(Arc::new(NativeClient {
            inner: build_client(options)?,
        }))
    }

    /// The base URL requests go to (normalised, no trailing slash).
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// The client's settings without secrets.
    pub fn describe(&self) -> String {
        format!("{:?}", self.inner)
    }

    /// Closes the client for every handle and conversation (core's `Client::close`): calls
    /// running finish, later ones fail with `invalid_argument` without sending. Idempotent.
    pub fn close_client(&self) {
        self.inner.close();
    }

    /// Whether the client was closed.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Sends `text` to `bot_id`.
    pub async fn send_message(
        &self,
        bot_id: String,
        text: String,
        options: NativeSendOptions,
    ) -> Result<NativeResponse, NativeError> {
        let client = self.inner.clone();
        let options = send_options(options)?;
        on_runtime(async move { client.send_message_with(&bot_id, &text, &options).await }).await
    }

    /// A conversation with `bot_id`, continuing `conversation_id` when given.
    pub fn conversation(
        &self,
        bot_id: String,
        conversation_id: Option<String>,
    ) -> Arc<NativeConversation> {
        let inner = match conversation_id {
            Some(id) => self.inner.resume_conversation(bot_id, id),
            None => self.inner.conversation(bot_id),
        };
        Arc::new(NativeConversation {
            inner: Arc::new(inner),
        })
    }
}

/// A conversation: each `send` continues it; `ai.enjo.Conversation` wraps it.
#[derive(uniffi::Object)]
pub struct NativeConversation {
    inner: Arc<enjo::Conversation>,
}

#[uniffi::export]
impl NativeConversation {
    /// The bot this conversation talks to.
    pub fn bot_id(&self) -> String {
        self.inner.bot_id().to_owned()
    }

    /// The conversation id, once the first reply gave one.
    pub fn id(&self) -> Option<String> {
        self.inner.id()
    }

    /// Sends `text` in this conversation (the conversation id is its own).
    pub async fn send(
        &self,
        text: String,
        options: NativeSendOptions,
    ) -> Result<NativeResponse, NativeError> {
        let conversation = Arc::clone(&self.inner);
        let options = send_options(options)?;
        on_runtime(async move { conversation.send_with(&text, options).await }).await
    }
}
