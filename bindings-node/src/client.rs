//! The native client and conversation, which `Enjo` and `Conversation` in `index.js` wrap.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{Either, Object};
use napi_derive::napi;

use crate::errors::ErrorInfo;
use crate::logging::{self, CallLog};
use crate::options::{self, ClientOptions, EnvDefaults, NativeSendOptions};
use crate::tasks::{CancelToken, spawn_request};

/// The native client; `Enjo` in `index.js` wraps it.
#[napi]
pub struct NativeClient {
    inner: enjo::Client,
}

fn build_client(options: ClientOptions, env: EnvDefaults) -> enjo::Result<enjo::Client> {
    let host = options::host(env.node_version.as_deref());
    options
        .into_core()
        .builder(&host)?
        // Node's environment is `process.env`, not the process's (they differ in workers).
        .env_values(env.token, env.base_url)
        .env_store_values(env.rate_limit_store, env.rate_limit_key)
        .observer(logging::observe)
        .build()
}

/// Builds a client, or describes why the options are wrong. `env` holds the defaults from
/// `process.env` and the Node version.
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

    /// Closes the client (and every conversation of it): later calls fail, nothing is sent.
    #[napi]
    pub fn close(&self) {
        self.inner.close();
    }

    /// Whether `close()` was called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Sends `text` to `botId`; see `Enjo.sendMessage`. `logLevel`: 0 off, 1 info, 2 debug.
    #[napi(catch_unwind, ts_return_type = "Promise<SendOutcome>")]
    pub fn send_message<'env>(
        &self,
        env: &'env Env,
        bot_id: String,
        text: String,
        options: Option<NativeSendOptions>,
        cancel: Option<&CancelToken>,
        log_level: Option<u32>,
    ) -> napi::Result<Object<'env>> {
        let client = self.inner.clone();
        let log = CallLog::new(log_level, self.inner.message_path(&bot_id));
        let options = options::send_options(options);
        spawn_request(env, cancel.map(|c| c.state.clone()), log, async move {
            client.send_message_with(&bot_id, &text, &options?).await
        })
    }

    /// A conversation with `botId`, continuing `conversationId` when given.
    #[napi(catch_unwind)]
    pub fn conversation(
        &self,
        bot_id: String,
        conversation_id: Option<String>,
    ) -> NativeConversation {
        let path = self.inner.message_path(&bot_id);
        let inner = match conversation_id {
            Some(id) => self.inner.resume_conversation(bot_id, id),
            None => self.inner.conversation(bot_id),
        };
        NativeConversation {
            inner: Arc::new(inner),
            path,
        }
    }
}

/// The native conversation; `Conversation` in `index.js` wraps it.
#[napi]
pub struct NativeConversation {
    inner: Arc<enjo::Conversation>,
    path: String,
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

    /// Sends `text` in this conversation, which supplies the conversation id (core refuses a
    /// per-call one). `logLevel`: 0 off, 1 info, 2 debug.
    #[napi(catch_unwind, ts_return_type = "Promise<SendOutcome>")]
    pub fn send<'env>(
        &self,
        env: &'env Env,
        text: String,
        options: Option<NativeSendOptions>,
        cancel: Option<&CancelToken>,
        log_level: Option<u32>,
    ) -> napi::Result<Object<'env>> {
        let conversation = self.inner.clone();
        let log = CallLog::new(log_level, self.path.clone());
        let options = options::send_options(options);
        spawn_request(env, cancel.map(|c| c.state.clone()), log, async move {
            conversation.send_with(&text, options?).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(token: &str) -> ClientOptions {
        ClientOptions {
            token: Some(token.to_owned()),
            base_url: Some("http://127.0.0.1:9".to_owned()),
            ..ClientOptions::default()
        }
    }

    #[test]
    fn env_defaults_follow_the_core_rule_blank_is_unset() -> enjo::Result<()> {
        let none = ClientOptions::default;
        let env = |token: &str, base_url: &str| EnvDefaults {
            token: Some(token.to_owned()),
            base_url: Some(base_url.to_owned()),
            ..EnvDefaults::default()
        };
        let client = build_client(none(), env("t", "   "))?;
        assert_eq!(client.base_url(), "https://api.enjo.ai");
        let client = build_client(none(), env("t", "http://127.0.0.1:9/x/"))?;
        assert_eq!(client.base_url(), "http://127.0.0.1:9/x");
        // What the caller passes wins over the environment.
        let client = build_client(options("t"), env("other", "https://example.com"))?;
        assert_eq!(client.base_url(), "http://127.0.0.1:9");
        // A blank token in the environment is no token.
        let Err(err) = build_client(none(), env(" \t", "")) else {
            panic!("a blank token was accepted");
        };
        assert!(err.message().contains("token"), "{err}");
        Ok(())
    }

    #[test]
    fn messages_name_options_as_node_spells_them() {
        let quota = |requests, window_ms| {
            Either::B(vec![options::RateLimitQuota {
                requests,
                window_ms,
            }])
        };
        let cases = [
            (
                ClientOptions {
                    rate_limit_max_wait: Some(-1.0),
                    ..options("t")
                },
                "rateLimitMaxWait must be",
            ),
            (
                ClientOptions {
                    rate_limit: Some(quota(5.0, f64::INFINITY)),
                    ..options("t")
                },
                "rateLimit[0].windowMs must be",
            ),
            (
                ClientOptions {
                    rate_limit: Some(quota(2.5, 100.0)),
                    ..options("t")
                },
                "rateLimit[0].requests must be",
            ),
        ];
        for (options, expected) in cases {
            let Err(err) = build_client(options, EnvDefaults::default()) else {
                panic!("{expected}: accepted");
            };
            assert!(err.message().starts_with(expected), "{expected:?}: {err}");
        }
    }
}
