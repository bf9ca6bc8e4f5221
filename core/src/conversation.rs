//! A conversation with one bot: each message continues the previous one's conversation id.

use std::fmt;
use std::sync::Mutex;

use crate::client::Client;
use crate::config::SendOptions;
use crate::error::{Error, Result};
use crate::models::MessageResponse;

/// A conversation with one bot. [`Conversation::send`] passes the conversation id of the
/// previous reply, so the bot keeps the context (and a ticket it creates covers the whole
/// exchange). Created by [`Client::conversation`].
///
/// Messages of one conversation are sent one at a time, in the order `send` was called: a
/// second `send` started while the first is pending waits for its reply, so that it continues
/// the conversation the first one opened.
pub struct Conversation {
    client: Client,
    bot_id: String,
    id: Mutex<Option<String>>,
    /// Held while a message is in flight (first come, first served; cancel-safe).
    turn: tokio::sync::Mutex<()>,
}

impl Conversation {
    pub(crate) fn new(client: Client, bot_id: String, id: Option<String>) -> Conversation {
        Conversation {
            client,
            bot_id,
            id: Mutex::new(id),
            turn: tokio::sync::Mutex::new(()),
        }
    }

    /// The bot this conversation talks to.
    pub fn bot_id(&self) -> &str {
        &self.bot_id
    }

    /// The conversation id, once the first reply has given one (or when resumed).
    pub fn id(&self) -> Option<String> {
        self.lock().clone()
    }

    /// Sends `text` in this conversation and remembers the conversation id of the reply.
    pub async fn send(&self, text: &str) -> Result<MessageResponse> {
        self.send_with(text, SendOptions::default()).await
    }

    /// Like [`Conversation::send`], with per-call overrides. The conversation sends its own
    /// id: overrides that carry a `conversation_id` are refused with
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) (to continue another
    /// conversation, [resume](crate::Client::resume_conversation) it).
    pub async fn send_with(&self, text: &str, mut options: SendOptions) -> Result<MessageResponse> {
        if options.conversation_id.is_some() {
            return Err(Error::invalid_argument(
                "a conversation sends its own conversation id: leave conversation_id unset, or \
                 resume the other conversation from the client (resume_conversation) to \
                 continue it",
            ));
        }
        let _turn = self.turn.lock().await;
        options.conversation_id = self.id();
        let reply = self
            .client
            .send_message_with(&self.bot_id, text, &options)
            .await?;
        if let Some(id) = &reply.conversation_id {
            *self.lock() = Some(id.clone());
        }
        Ok(reply)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.id
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for Conversation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conversation")
            .field("bot_id", &self.bot_id)
            .field("id", &self.id())
            .finish()
    }
}
