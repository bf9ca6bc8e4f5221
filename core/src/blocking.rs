//! A blocking client with the same surface as the async one, for scripts, threads, C and R.
//!
//! A call runs on a small runtime owned by the calling thread, with that thread's connection
//! pool, so its I/O never waits for another thread to wake up. Both are rebuilt in a child
//! process after `fork()`: a client made before `fork()` keeps working in the child and in the
//! parent. Safe to share between threads (each thread keeps its own connections).

use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::client::Client as AsyncClient;
use crate::config::SendOptions;
use crate::error::{Error, Result};
use crate::models::MessageResponse;

/// Builds a [blocking `Client`](Client): the same options as the async
/// [`ClientBuilder`](crate::ClientBuilder), with a [`build`](crate::ClientBuilder::build) that
/// returns the blocking client. Start one with [`Client::builder`].
pub type ClientBuilder = crate::ClientBuilder<Client>;

/// The blocking Enjo client. Cheap to clone; usable from many threads at once.
///
/// ```no_run
/// let client = enjo::blocking::Client::new()?; // token from ENJO_API_TOKEN
/// let reply = client.send_message("support-bot", "How do I reset my password?", None)?;
/// println!("{}", reply.answers.unwrap_or_default());
/// # Ok::<(), enjo::Error>(())
/// ```
///
/// With options:
///
/// ```no_run
/// use std::time::Duration;
///
/// let client = enjo::blocking::Client::builder()
///     .token("your-personal-access-token")
///     .timeout(Duration::from_secs(30))
///     .build()?; // an enjo::blocking::Client
/// let reply = client.send_message("support-bot", "VPN is down", None)?;
/// # Ok::<(), enjo::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: AsyncClient,
}

impl Client {
    /// A builder whose [`build`](crate::ClientBuilder::build) returns a blocking client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::with_options(Default::default())
    }

    /// A client with every option at its default (token from `ENJO_API_TOKEN`).
    pub fn new() -> Result<Client> {
        Client::builder().build()
    }

    /// Wraps an async client (they share connections and limits).
    pub fn from_async(inner: AsyncClient) -> Client {
        Client { inner }
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &AsyncClient {
        &self.inner
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.base_url()
    }

    /// Closes the client; see [`crate::Client::close`].
    pub fn close(&self) {
        self.inner.close();
    }

    /// Whether the client was closed; see [`crate::Client::is_closed`].
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Sends `text` to `bot_id` and waits for the reply. See
    /// [`crate::Client::send_message`].
    pub fn send_message(
        &self,
        bot_id: &str,
        text: &str,
        conversation_id: Option<&str>,
    ) -> Result<MessageResponse> {
        block_on(self.inner.send_message(bot_id, text, conversation_id))
    }

    /// Like [`Client::send_message`], with per-call overrides.
    pub fn send_message_with(
        &self,
        bot_id: &str,
        text: &str,
        options: &SendOptions,
    ) -> Result<MessageResponse> {
        block_on(self.inner.send_message_with(bot_id, text, options))
    }

    /// A conversation with `bot_id`.
    pub fn conversation(&self, bot_id: impl Into<String>) -> Conversation {
        Conversation {
            inner: self.inner.conversation(bot_id),
        }
    }

    /// Resumes the conversation `conversation_id` with `bot_id`.
    pub fn resume_conversation(
        &self,
        bot_id: impl Into<String>,
        conversation_id: impl Into<String>,
    ) -> Conversation {
        Conversation {
            inner: self.inner.resume_conversation(bot_id, conversation_id),
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// A blocking conversation; see [`crate::Conversation`].
#[derive(Debug)]
pub struct Conversation {
    inner: crate::Conversation,
}

impl Conversation {
    /// The bot this conversation talks to.
    pub fn bot_id(&self) -> &str {
        self.inner.bot_id()
    }

    /// The conversation id, once known.
    pub fn id(&self) -> Option<String> {
        self.inner.id()
    }

    /// Sends `text` in this conversation.
    pub fn send(&self, text: &str) -> Result<MessageResponse> {
        block_on(self.inner.send(text))
    }

    /// Sends `text` with per-call overrides.
    pub fn send_with(&self, text: &str, options: SendOptions) -> Result<MessageResponse> {
        block_on(self.inner.send_with(text, options))
    }
}

/// How an [interruptible](block_on_interruptible) blocking call ended.
#[derive(Debug)]
pub enum Interruptible<T, S> {
    /// The call ran to its end (successfully or not).
    Finished(Result<T>),
    /// The check asked to stop: the call was abandoned (its future dropped: a request in
    /// flight is cancelled, a place in the rate limiter's line given up). Carries what the
    /// check returned.
    Interrupted(S),
}

/// Like [`block_on`], calling `check` about every `every` while the call waits, always on the
/// calling thread. When `check` returns `Some`, the call is abandoned (its future is dropped:
/// a request in flight is cancelled, a place in the rate limiter's line given up) and that
/// value returned. This is how an interpreter's Ctrl-C reaches a long wait: Python checks its
/// signal handlers, R its pending interrupts (both only allowed on their own thread).
pub fn block_on_interruptible<T: Send, S>(
    future: impl Future<Output = Result<T>> + Send,
    every: Duration,
    mut check: impl FnMut() -> Option<S>,
) -> Interruptible<T, S> {
    let every = every.max(Duration::from_millis(1));
    if tokio::runtime::Handle::try_current().is_err() {
        // On this thread's own runtime: the check runs between polls, on this thread.
        let outcome = crate::process::block_on_this_thread(async move {
            let mut future = std::pin::pin!(future);
            let tick = tokio::time::sleep(every);
            let mut tick = std::pin::pin!(tick);
            loop {
                tokio::select! {
                    biased;
                    result = &mut future => return Interruptible::Finished(result),
                    () = &mut tick => {
                        if let Some(stop) = check() {
                            return Interruptible::Interrupted(stop);
                        }
                        tick.as_mut().reset(tokio::time::Instant::now() + every);
                    }
                }
            }
        });
        return outcome.unwrap_or_else(|err| Interruptible::Finished(Err(err)));
    }
    warn_inside_runtime();
    // Inside a tokio runtime the call runs on a helper thread (see `block_on`); this thread
    // waits for it in steps of `every` and runs the check in between, so the check still only
    // ever runs on the calling thread.
    let runtime = match crate::process::runtime() {
        Ok(runtime) => runtime,
        Err(err) => return Interruptible::Finished(Err(err)),
    };
    let cancel = tokio::sync::Notify::new();
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let cancel = &cancel;
        let helper = scope.spawn(move || {
            let result = runtime.block_on(async {
                tokio::select! {
                    result = future => Some(result),
                    () = cancel.notified() => None,
                }
            });
            let _ = done_tx.send(());
            result
        });
        while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = done_rx.recv_timeout(every) {
            if let Some(stop) = check() {
                // A permit is stored if the helper is not waiting yet.
                cancel.notify_one();
                let _ = helper.join();
                return Interruptible::Interrupted(stop);
            }
        }
        match helper.join() {
            Ok(Some(result)) => Interruptible::Finished(result),
            Ok(None) => Interruptible::Finished(Err(Error::internal(
                "the request's thread ended without a result",
            ))),
            Err(payload) => Interruptible::Finished(Err(Error::from_panic(payload.as_ref()))),
        }
    })
}

/// Runs `future` to completion from blocking code. Outside any tokio runtime (the usual case:
/// scripts, C, R, Python threads) it runs on the calling thread's own runtime, which keeps all
/// of a call's I/O on that thread. Called from inside a tokio runtime (where blocking the thread
/// would panic), it runs on a helper thread with the SDK's shared runtime instead.
pub fn block_on<T: Send>(future: impl Future<Output = Result<T>> + Send) -> Result<T> {
    if tokio::runtime::Handle::try_current().is_err() {
        return crate::process::block_on_this_thread(future)?;
    }
    warn_inside_runtime();
    let runtime = crate::process::runtime()?;
    std::thread::scope(|scope| {
        scope
            .spawn(|| runtime.block_on(future))
            .join()
            .unwrap_or_else(|payload| Err(Error::from_panic(payload.as_ref())))
    })
}

/// Warns, once per process, that a blocking call was made from inside an async runtime: it
/// works (the call runs on a helper thread), but it blocks one of the runtime's worker threads
/// for the whole call, limiter wait included. Returns whether this call warned.
fn warn_inside_runtime() -> bool {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return false;
    }
    tracing::warn!(
        target: "enjo",
        "enjo::blocking called from inside an async runtime: it blocks a worker thread for the \
         whole call (rate-limit wait included); use the async enjo::Client there instead"
    );
    true
}
