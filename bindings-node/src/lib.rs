//! The native half of the Node package `enjo`: converts options, replies and errors between
//! JavaScript and the `enjo` core crate, nothing else.
//!
//! Shape of the boundary (the JavaScript layer in `index.js` builds the public API on it):
//! - [`create_client`] returns a [`NativeClient`] or, for bad options, an [`ErrorInfo`];
//! - `sendMessage` / `send` return a Promise that always resolves, with a [`SendOutcome`]
//!   holding either the reply or an [`ErrorInfo`]; JavaScript turns the latter into an instance
//!   of the matching error class, so that `instanceof` works (made after an `await`, its stack
//!   is V8's async stack trace of the awaiting callers, with `index.js`'s frames removed);
//! - requests run on the core's process-wide runtime ([`enjo::runtime`]); the Promise is settled
//!   through a napi deferred, whose threadsafe function keeps the event loop alive only while a
//!   request is pending;
//! - a [`CancelToken`] (fired by the caller's `AbortSignal`) drops the request's future, which
//!   closes its connection or gives up its place in the rate limiter's queue;
//! - a panic is caught at the boundary and reported as an `InternalError`, never unwinding into Node.

#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

// Durations (milliseconds) and counts are converted by the core, the one place every binding
// shares; only the option names, as a Node caller spells them, are this crate's.
use enjo::validate::{count, millis};
use napi::bindgen_prelude::{Either, Object};
use napi::{Env, JsDeferred};
use napi_derive::napi;
use tokio::sync::Notify;

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/// One client-side quota: at most `requests` requests in any window of `windowMs` milliseconds.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct RateLimitQuota {
    /// Requests allowed per window (a positive integer).
    pub requests: f64,
    /// The window's length in milliseconds.
    pub window_ms: f64,
}

/// Options of `new Enjo(options)`. Durations are in milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct ClientOptions {
    /// Personal access token. Default: `process.env.ENJO_API_TOKEN`.
    pub token: Option<String>,
    /// Base URL of the API; a path is kept as a prefix. Default: `process.env.ENJO_BASE_URL`,
    /// else `https://api.enjo.ai`.
    pub base_url: Option<String>,
    /// Timeout of each attempt, in milliseconds. Default 60000.
    pub timeout: Option<f64>,
    /// Timeout for establishing a connection, in milliseconds. Default 10000.
    pub connect_timeout: Option<f64>,
    /// Attempts after the first one, for failures the retry policy allows. Default 2.
    pub max_retries: Option<f64>,
    /// `"safe"` (default: never resend a request that may have created a ticket) or
    /// `"atLeastOnce"` (also retry 5xx and timeouts; may create duplicate tickets).
    #[napi(ts_type = "'safe' | 'atLeastOnce'")]
    pub retry_policy: Option<String>,
    /// Client-side rate limiting: `true` (default: Enjo's documented 20/min and 10/5 s),
    /// `false` (off), or your own quotas, all enforced at once.
    pub rate_limit: Option<Either<bool, Vec<RateLimitQuota>>>,
    /// Longest wait for the rate limiter, in milliseconds, before failing with a
    /// `RateLimitError` without sending. Default: no bound.
    pub rate_limit_max_wait: Option<f64>,
    /// Text appended to the `User-Agent` header.
    pub user_agent: Option<String>,
}

/// Per-call options of `sendMessage`. Durations are in milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct NativeSendOptions {
    /// Continue this conversation.
    pub conversation_id: Option<String>,
    /// Timeout of each attempt of this call, in milliseconds.
    pub timeout: Option<f64>,
    /// Retries after the first attempt, for this call.
    pub max_retries: Option<f64>,
    /// Retry policy for this call.
    #[napi(ts_type = "'safe' | 'atLeastOnce'")]
    pub retry_policy: Option<String>,
}

fn invalid(message: impl Into<String>) -> enjo::Error {
    enjo::Error::invalid_argument(message)
}

fn rate_limit(value: Either<bool, Vec<RateLimitQuota>>) -> enjo::Result<enjo::RateLimit> {
    Ok(match value {
        Either::A(true) => enjo::RateLimit::Documented,
        Either::A(false) => enjo::RateLimit::Off,
        Either::B(quotas) => enjo::RateLimit::Custom(
            quotas
                .iter()
                .map(|q| {
                    let window = millis("rateLimit[].windowMs", q.window_ms, false)?;
                    enjo::Quota::from_count("rateLimit[].requests", q.requests, window)
                })
                .collect::<enjo::Result<Vec<_>>>()?,
        ),
    })
}

/// `ENJO_API_TOKEN` and `ENJO_BASE_URL` as the caller's `process.env` has them (a worker
/// thread's own `env`, and changes made after the package was loaded, included). The core
/// applies them as defaults under its own rule: blank values count as unset.
#[napi(object)]
#[derive(Default)]
pub struct EnvDefaults {
    /// `process.env.ENJO_API_TOKEN`.
    pub token: Option<String>,
    /// `process.env.ENJO_BASE_URL`.
    pub base_url: Option<String>,
}

fn build_client(options: ClientOptions, env: EnvDefaults) -> enjo::Result<enjo::Client> {
    // Node's environment is `process.env`, not the process's (they differ in worker threads).
    let mut builder = enjo::Client::builder().env_values(env.token, env.base_url);
    if let Some(token) = options.token {
        builder = builder.token(token);
    }
    if let Some(url) = options.base_url {
        builder = builder.base_url(url);
    }
    if let Some(ms) = options.timeout {
        builder = builder.timeout(millis("timeout", ms, false)?);
    }
    if let Some(ms) = options.connect_timeout {
        builder = builder.connect_timeout(millis("connectTimeout", ms, false)?);
    }
    if let Some(n) = options.max_retries {
        builder = builder.max_retries(count("maxRetries", n)?);
    }
    if let Some(policy) = options.retry_policy {
        builder = builder.retry_policy(enjo::RetryPolicy::parse(
            &policy,
            enjo::Spelling::Camel,
            "retryPolicy",
        )?);
    }
    if let Some(limit) = options.rate_limit {
        builder = builder.rate_limit(rate_limit(limit)?);
    }
    if let Some(ms) = options.rate_limit_max_wait {
        builder = builder.rate_limit_max_wait(millis("rateLimitMaxWait", ms, true)?);
    }
    if let Some(suffix) = options.user_agent {
        builder = builder.user_agent(suffix);
    }
    builder.build()
}

fn send_options(options: Option<NativeSendOptions>) -> enjo::Result<enjo::SendOptions> {
    let mut out = enjo::SendOptions::new();
    let Some(options) = options else {
        return Ok(out);
    };
    if let Some(id) = options.conversation_id {
        out = out.conversation_id(id);
    }
    if let Some(ms) = options.timeout {
        out = out.timeout(millis("timeout", ms, false)?);
    }
    if let Some(n) = options.max_retries {
        out = out.max_retries(count("maxRetries", n)?);
    }
    if let Some(policy) = options.retry_policy {
        out = out.retry_policy(enjo::RetryPolicy::parse(
            &policy,
            enjo::Spelling::Camel,
            "retryPolicy",
        )?);
    }
    Ok(out)
}

/// [`send_options`] for `Conversation.send`, which supplies the conversation id itself.
fn conversation_send_options(
    options: Option<NativeSendOptions>,
) -> enjo::Result<enjo::SendOptions> {
    match options {
        Some(NativeSendOptions {
            conversation_id: Some(_),
            ..
        }) => Err(invalid(
            "conversationId is set by the conversation itself; use \
             client.conversation(botId, { conversationId }) to resume another one",
        )),
        options => send_options(options),
    }
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

/// One source the bot used for its answer.
#[napi(object)]
pub struct Source {
    /// The source's type, e.g. `jira` or `knowledge base`.
    #[napi(js_name = "type")]
    pub source_type: Option<String>,
    /// Name or title of the source.
    pub name: Option<String>,
    /// Relevance score, usually in `[0, 1]`.
    pub score: Option<f64>,
    /// Link to the source.
    pub url: Option<String>,
}

/// A ticket the bot created in Salesforce, Jira, ServiceNow, ... Common fields are read
/// whatever the platform's casing; `raw` is the platform's whole record.
#[napi(object)]
pub struct Ticket {
    /// Platform id (`id`, Salesforce `Id`, ServiceNow `sys_id`).
    pub id: Option<String>,
    /// Link to the ticket in the external system.
    pub url: Option<String>,
    /// Kind of issue (`type`, Jira `issuetype.name`, ServiceNow `category`).
    #[napi(js_name = "type")]
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
    /// The human-facing number: Salesforce `CaseNumber`, ServiceNow `number`, Jira `key`.
    pub case_number: Option<String>,
    /// The ticket exactly as the server sent it.
    #[napi(ts_type = "Record<string, any>")]
    pub raw: serde_json::Value,
}

/// A bot's reply.
#[napi(object)]
pub struct MessageResponse {
    /// The bot's answer.
    pub answers: Option<String>,
    /// The sources the bot used (empty when none).
    pub sources: Vec<Source>,
    /// Pass it back (`conversationId`) to continue the conversation.
    pub conversation_id: Option<String>,
    /// The ticket the bot created, when its bot is wired to ticketing.
    pub ticket: Option<Ticket>,
    /// The whole response body, unknown fields included.
    #[napi(ts_type = "Record<string, any>")]
    pub raw: serde_json::Value,
    /// The call's request id (sent as `X-Request-Id` on each attempt), to quote to Enjo's support.
    pub request_id: Option<String>,
    /// The HTTP status of the reply (a 2xx, usually 200).
    pub status: u32,
}

impl From<enjo::Source> for Source {
    fn from(s: enjo::Source) -> Source {
        Source {
            source_type: s.source_type,
            name: s.name,
            score: s.score,
            url: s.url,
        }
    }
}

impl From<enjo::Ticket> for Ticket {
    fn from(t: enjo::Ticket) -> Ticket {
        Ticket {
            id: t.id,
            url: t.url,
            ticket_type: t.ticket_type,
            status: t.status,
            priority: t.priority,
            description: t.description,
            created_date: t.created_date,
            last_modified_date: t.last_modified_date,
            case_number: t.case_number,
            raw: t.raw,
        }
    }
}

impl From<enjo::MessageResponse> for MessageResponse {
    fn from(r: enjo::MessageResponse) -> MessageResponse {
        MessageResponse {
            answers: r.answers,
            sources: r.sources.into_iter().map(Source::from).collect(),
            conversation_id: r.conversation_id,
            ticket: r.ticket.map(Ticket::from),
            raw: r.raw,
            request_id: r.request_id,
            status: u32::from(r.status),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// An SDK error as data (core's [`enjo::ErrorView`]); the JavaScript layer makes it an instance
/// of the class `className`.
#[napi(object)]
pub struct ErrorInfo {
    /// The error class: `RateLimitError`, `APITimeoutError`, ... (`InternalError` for a bug).
    pub class_name: String,
    /// The kind shared by every binding: `rate_limited`, `timeout`, ... (`internal` for a bug).
    pub kind: String,
    /// What happened and what to do next. Never holds the token.
    pub message: String,
    /// The HTTP status, for errors that come from a response.
    pub status: Option<u32>,
    /// The server's error code, e.g. `rate_limit_error`.
    pub code: Option<String>,
    /// The raw response body (cut at 64 KiB).
    pub body: Option<String>,
    /// Seconds to wait before trying again.
    pub retry_after: Option<f64>,
    /// The call's request id (sent as `X-Request-Id`).
    pub request_id: Option<String>,
    /// The server's own request id.
    pub server_request_id: Option<String>,
    /// False when the request provably never reached the server.
    pub may_have_been_sent: bool,
}

impl From<enjo::Error> for ErrorInfo {
    fn from(err: enjo::Error) -> ErrorInfo {
        let view = err.view();
        ErrorInfo {
            class_name: view.class_name.to_owned(),
            kind: view.kind_name.to_owned(),
            message: view.display,
            status: view.status.map(u32::from),
            code: view.code,
            body: view.body,
            retry_after: view.retry_after,
            request_id: view.request_id,
            server_request_id: view.server_request_id,
            may_have_been_sent: view.may_have_been_sent,
        }
    }
}

/// The error for a bug in enjo that JavaScript caught (an unexpected error out of the addon),
/// worded as core words every internal error.
#[napi(catch_unwind)]
pub fn internal_error(what: String) -> ErrorInfo {
    enjo::Error::internal(what).into()
}

/// One of core's error kinds, for the test that checks `index.js` has a class for each.
#[napi(object)]
pub struct ErrorKindInfo {
    /// The class name, e.g. `RateLimitError`.
    pub class_name: String,
    /// The kind, e.g. `rate_limited`.
    pub kind: String,
    /// Whether it comes from an HTTP response (then the class derives from `APIError`).
    pub is_api: bool,
}

/// Every kind of core's `ErrorKind::ALL`.
#[napi(catch_unwind)]
pub fn error_kinds() -> Vec<ErrorKindInfo> {
    enjo::ErrorKind::ALL
        .iter()
        .map(|k| ErrorKindInfo {
            class_name: k.class_name().to_owned(),
            kind: k.as_str().to_owned(),
            is_api: k.is_api(),
        })
        .collect()
}

/// How a request ended: exactly one of `response`, `error` is set, or `aborted` is true.
#[napi(object)]
pub struct SendOutcome {
    /// The reply.
    pub response: Option<MessageResponse>,
    /// The failure.
    pub error: Option<ErrorInfo>,
    /// The caller's signal aborted the request (its future was dropped).
    pub aborted: Option<bool>,
}

impl SendOutcome {
    fn from_result(result: enjo::Result<enjo::MessageResponse>) -> SendOutcome {
        match result {
            Ok(reply) => SendOutcome {
                response: Some(reply.into()),
                error: None,
                aborted: None,
            },
            Err(err) => SendOutcome::failed(err.into()),
        }
    }

    fn failed(error: ErrorInfo) -> SendOutcome {
        SendOutcome {
            response: None,
            error: Some(error),
            aborted: None,
        }
    }

    fn aborted() -> SendOutcome {
        SendOutcome {
            response: None,
            error: None,
            aborted: Some(true),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cancellation and panics
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct CancelState {
    cancelled: AtomicBool,
    notify: Notify,
}

impl CancelState {
    async fn cancelled(&self) {
        // Registered before the flag is read: a `cancel()` in between still wakes us.
        let notified = self.notify.notified();
        if self.cancelled.load(Ordering::Acquire) {
            return;
        }
        notified.await;
    }
}

/// Fired by the JavaScript layer when the caller's `AbortSignal` aborts: the request's Rust
/// future is dropped, closing its connection or leaving the rate limiter's queue.
#[napi]
pub struct CancelToken {
    state: Arc<CancelState>,
}

#[napi]
impl CancelToken {
    /// A token that has not fired.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> CancelToken {
        CancelToken {
            state: Arc::new(CancelState::default()),
        }
    }

    /// Cancels every request given this token (idempotent).
    #[napi]
    pub fn cancel(&self) {
        self.state.cancelled.store(true, Ordering::Release);
        self.state.notify.notify_waiters();
    }

    /// Whether `cancel()` was called.
    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.state.cancelled.load(Ordering::Acquire)
    }
}

type OutcomeDeferred = JsDeferred<SendOutcome, Box<dyn FnOnce(Env) -> napi::Result<SendOutcome>>>;

/// Whether a JavaScript environment (the main thread's, or a worker's) still exists.
///
/// A request can outlive its environment: `worker.terminate()` tears the worker down while the
/// request runs on the SDK's threads. Node frees a threadsafe function (a deferred Promise's
/// channel back to JavaScript) during that teardown, and calling it afterwards is a
/// use-after-free that aborts the process. So every environment gets a guard, cleared by an
/// environment cleanup hook, and a request settles its Promise only under the guard's lock
/// while the environment is alive. The hook runs in the same cleanup pass that starts closing
/// the threadsafe functions, before any of them is freed.
struct EnvGuard {
    alive: Mutex<bool>,
}

impl EnvGuard {
    /// This environment's guard, made (and its cleanup hook registered) on first use.
    fn of(env: &Env) -> napi::Result<Arc<EnvGuard>> {
        if let Some(guard) = env.get_instance_data::<Arc<EnvGuard>>()? {
            return Ok(guard.clone());
        }
        let guard = Arc::new(EnvGuard {
            alive: Mutex::new(true),
        });
        env.set_instance_data(guard.clone(), (), |_| {})?;
        env.add_env_cleanup_hook(guard.clone(), |guard| *guard.lock() = false)?;
        Ok(guard)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, bool> {
        self.alive
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Runs `request` on the core's runtime and returns a Promise of its [`SendOutcome`]. The
/// Promise always resolves: errors, aborts and panics are outcomes too.
fn spawn_request<'env, F>(
    env: &'env Env,
    cancel: Option<Arc<CancelState>>,
    request: F,
) -> napi::Result<Object<'env>>
where
    F: Future<Output = SendOutcome> + Send + 'static,
{
    let guard = EnvGuard::of(env)?;
    let (deferred, promise): (OutcomeDeferred, Object<'env>) = env.create_deferred()?;
    let settle = move |outcome: SendOutcome| {
        let alive = guard.lock();
        if *alive {
            deferred.resolve(Box::new(move |_env| Ok(outcome)));
        }
        // Otherwise the environment is gone, and with it the Promise: nothing to settle.
    };
    let runtime = match enjo::runtime() {
        Ok(runtime) => runtime,
        Err(err) => {
            settle(SendOutcome::failed(err.into()));
            return Ok(promise);
        }
    };
    runtime.spawn(async move {
        let guarded = enjo::unwind::catch_unwind_future(request);
        let outcome = match cancel {
            None => guarded.await,
            Some(cancel) => tokio::select! {
                biased;
                () = cancel.cancelled() => Ok(SendOutcome::aborted()),
                outcome = guarded => outcome,
            },
        };
        settle(outcome.unwrap_or_else(|panic| SendOutcome::failed(panic.into())));
    });
    Ok(promise)
}

// ---------------------------------------------------------------------------------------------
// Client and conversation
// ---------------------------------------------------------------------------------------------

/// The native client; `Enjo` in `index.js` wraps it.
#[napi]
pub struct NativeClient {
    inner: enjo::Client,
}

/// Builds a client, or describes why the options are wrong. `env` holds the defaults from
/// `process.env`.
#[napi(catch_unwind)]
pub fn create_client(
    options: Option<ClientOptions>,
    env: Option<EnvDefaults>,
) -> Either<NativeClient, ErrorInfo> {
    match build_client(options.unwrap_or_default(), env.unwrap_or_default()) {
        Ok(inner) => Either::A(NativeClient { inner }),
        Err(err) => Either::B(err.into()),
    }
}

#[napi]
impl NativeClient {
    /// The base URL requests go to (normalised, no trailing slash).
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// The client's settings without secrets (for `util.inspect`).
    #[napi]
    pub fn describe(&self) -> String {
        format!("{:?}", self.inner)
    }

    /// Sends `text` to `botId`; see `Enjo.sendMessage`.
    #[napi(catch_unwind, ts_return_type = "Promise<SendOutcome>")]
    pub fn send_message<'env>(
        &self,
        env: &'env Env,
        bot_id: String,
        text: String,
        options: Option<NativeSendOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<Object<'env>> {
        let client = self.inner.clone();
        let options = send_options(options);
        spawn_request(env, cancel.map(|c| c.state.clone()), async move {
            match options {
                Ok(options) => SendOutcome::from_result(
                    client.send_message_with(&bot_id, &text, &options).await,
                ),
                Err(err) => SendOutcome::failed(err.into()),
            }
        })
    }

    /// A conversation with `botId`, continuing `conversationId` when given.
    #[napi(catch_unwind)]
    pub fn conversation(
        &self,
        bot_id: String,
        conversation_id: Option<String>,
    ) -> NativeConversation {
        let inner = match conversation_id {
            Some(id) => self.inner.resume_conversation(bot_id, id),
            None => self.inner.conversation(bot_id),
        };
        NativeConversation {
            inner: Arc::new(inner),
        }
    }
}

/// The native conversation; `Conversation` in `index.js` wraps it.
#[napi]
pub struct NativeConversation {
    inner: Arc<enjo::Conversation>,
}

#[napi]
impl NativeConversation {
    /// The bot this conversation talks to.
    #[napi(getter)]
    pub fn bot_id(&self) -> String {
        self.inner.bot_id().to_owned()
    }

    /// The conversation id, once a reply has given one (or when resumed).
    #[napi(getter)]
    pub fn conversation_id(&self) -> Option<String> {
        self.inner.id()
    }

    /// Sends `text` in this conversation, which supplies the conversation id: a per-call
    /// `conversationId` is refused (an `InvalidArgumentError`), as `Conversation.send` does.
    #[napi(catch_unwind, ts_return_type = "Promise<SendOutcome>")]
    pub fn send<'env>(
        &self,
        env: &'env Env,
        text: String,
        options: Option<NativeSendOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<Object<'env>> {
        let conversation = self.inner.clone();
        let options = conversation_send_options(options);
        spawn_request(env, cancel.map(|c| c.state.clone()), async move {
            match options {
                Ok(options) => {
                    SendOutcome::from_result(conversation.send_with(&text, options).await)
                }
                Err(err) => SendOutcome::failed(err.into()),
            }
        })
    }
}

/// The SDK's version (the core crate's).
#[napi]
pub fn version() -> String {
    enjo::VERSION.to_owned()
}

/// The environment variable that arms [`test_panic`], read at each call.
const TEST_HOOKS_ENV: &str = "ENJO_NODE_TEST_HOOKS";

/// Test hook, not public API (the package's entry points do not export it): panics
/// synchronously (`"sync"`) or inside a request's future (`"async"`), to prove that neither
/// crashes the process. Does nothing but fail unless `ENJO_NODE_TEST_HOOKS=1` is in the
/// process environment at the time of the call.
#[napi(
    js_name = "__testPanic",
    catch_unwind,
    ts_return_type = "Promise<SendOutcome>"
)]
pub fn test_panic<'env>(env: &'env Env, mode: String) -> napi::Result<Object<'env>> {
    if std::env::var_os(TEST_HOOKS_ENV).is_none_or(|v| v != "1") {
        return Err(napi::Error::new(
            napi::Status::InvalidArg,
            format!("__testPanic is a test hook: set {TEST_HOOKS_ENV}=1 to arm it"),
        ));
    }
    if mode == "sync" {
        panic!("test panic (sync)");
    }
    spawn_request(env, None, async move {
        tokio::task::yield_now().await;
        panic!("test panic (async)")
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn options(token: &str) -> ClientOptions {
        ClientOptions {
            token: Some(token.to_owned()),
            base_url: Some("http://127.0.0.1:9".to_owned()),
            ..ClientOptions::default()
        }
    }

    fn message_of(result: enjo::Result<enjo::Client>) -> String {
        match result {
            Ok(_) => "accepted".to_owned(),
            Err(err) => {
                assert_eq!(err.kind(), enjo::ErrorKind::InvalidArgument, "{err}");
                err.message().to_owned()
            }
        }
    }

    #[test]
    fn bad_values_are_invalid_arguments_named_as_node_spells_them() {
        let env = EnvDefaults::default;
        let cases: [(ClientOptions, &str); 6] = [
            (
                ClientOptions {
                    timeout: Some(0.0),
                    ..options("t")
                },
                "timeout must be",
            ),
            (
                ClientOptions {
                    connect_timeout: Some(f64::NAN),
                    ..options("t")
                },
                "connectTimeout must be",
            ),
            (
                ClientOptions {
                    max_retries: Some(1.5),
                    ..options("t")
                },
                "maxRetries must be",
            ),
            (
                ClientOptions {
                    rate_limit_max_wait: Some(-1.0),
                    ..options("t")
                },
                "rateLimitMaxWait must be",
            ),
            (
                ClientOptions {
                    rate_limit: Some(Either::B(vec![RateLimitQuota {
                        requests: 2.5,
                        window_ms: 100.0,
                    }])),
                    ..options("t")
                },
                "rateLimit[].requests must be",
            ),
            (
                ClientOptions {
                    rate_limit: Some(Either::B(vec![RateLimitQuota {
                        requests: 5.0,
                        window_ms: f64::INFINITY,
                    }])),
                    ..options("t")
                },
                "rateLimit[].windowMs must be",
            ),
        ];
        for (options, expected) in cases {
            let message = message_of(build_client(options, env()));
            assert!(message.starts_with(expected), "{expected:?}: {message}");
        }
        // A quota of zero requests is refused too (by the core's `Quota::from_count`).
        let empty = ClientOptions {
            rate_limit: Some(Either::B(vec![RateLimitQuota {
                requests: 0.0,
                window_ms: 100.0,
            }])),
            ..options("t")
        };
        assert!(message_of(build_client(empty, env())).contains("empty"));
        // Zero is a valid bound for the limiter's wait.
        let zero_wait = ClientOptions {
            rate_limit_max_wait: Some(0.0),
            ..options("t")
        };
        assert_eq!(message_of(build_client(zero_wait, env())), "accepted");
    }

    #[test]
    fn env_defaults_follow_the_core_rule_blank_is_unset() -> enjo::Result<()> {
        let none = ClientOptions::default;
        let env = |token: &str, base_url: &str| EnvDefaults {
            token: Some(token.to_owned()),
            base_url: Some(base_url.to_owned()),
        };
        let client = build_client(none(), env("t", "   "))?;
        assert_eq!(client.base_url(), "https://api.enjo.ai");
        let client = build_client(none(), env("t", "http://127.0.0.1:9/x/"))?;
        assert_eq!(client.base_url(), "http://127.0.0.1:9/x");
        // What the caller passes wins over the environment.
        let client = build_client(options("t"), env("other", "https://example.com"))?;
        assert_eq!(client.base_url(), "http://127.0.0.1:9");
        // A blank token in the environment is no token.
        let message = message_of(build_client(none(), env(" \t", "")));
        assert!(message.contains("token"), "{message}");
        Ok(())
    }

    #[test]
    fn rate_limit_spellings() -> enjo::Result<()> {
        assert_eq!(rate_limit(Either::A(true))?, enjo::RateLimit::Documented);
        assert_eq!(rate_limit(Either::A(false))?, enjo::RateLimit::Off);
        let quota = RateLimitQuota {
            requests: 5.0,
            window_ms: 200.0,
        };
        assert_eq!(
            rate_limit(Either::B(vec![quota]))?,
            enjo::RateLimit::Custom(vec![enjo::Quota::new(5, Duration::from_millis(200))])
        );
        Ok(())
    }

    #[test]
    fn a_conversation_refuses_a_per_call_conversation_id() {
        let with_id = NativeSendOptions {
            conversation_id: Some("other".to_owned()),
            timeout: Some(1000.0),
            ..NativeSendOptions::default()
        };
        let Err(err) = conversation_send_options(Some(with_id)) else {
            panic!("a per-call conversationId was accepted");
        };
        assert_eq!(err.kind(), enjo::ErrorKind::InvalidArgument);
        assert!(
            err.message()
                .starts_with("conversationId is set by the conversation")
        );
        let without = NativeSendOptions {
            timeout: Some(1000.0),
            ..NativeSendOptions::default()
        };
        assert!(conversation_send_options(Some(without)).is_ok());
        assert!(conversation_send_options(None).is_ok());
        // sendMessage takes one.
        let with_id = NativeSendOptions {
            conversation_id: Some("c".to_owned()),
            ..NativeSendOptions::default()
        };
        assert!(send_options(Some(with_id)).is_ok());
    }

    #[tokio::test]
    async fn cancel_wakes_a_waiter_registered_before_or_after() {
        let token = CancelToken::new();
        let state = token.state.clone();
        let waiter = tokio::spawn(async move { state.cancelled().await });
        tokio::task::yield_now().await;
        token.cancel();
        assert!(waiter.await.is_ok());
        // Already cancelled: returns at once.
        token.state.cancelled().await;
        assert!(token.cancelled());
    }
}
