//! The server's state: bots and their indexes, conversations, tickets, the request log and the
//! queue of injected faults.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use serde::Serialize;
use serde_json::{Value, json};

use crate::config::{BotConfig, MockConfig, Ticketing};
use crate::faults::{Fault, FaultRule};
use crate::ratelimit::IpLimiter;
use crate::retrieval::Index;
use crate::tickets::{self, TicketInput};

/// Most requests kept in the log (the oldest are dropped).
const MAX_LOGGED_REQUESTS: usize = 100_000;
/// Most conversations remembered (the oldest are forgotten).
const MAX_CONVERSATIONS: usize = 100_000;

/// One request as seen by the server. The token is never stored, only whether it matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// Milliseconds since the server started.
    pub at_ms: u64,
    /// HTTP method.
    pub method: String,
    /// The raw request path (percent-encoding kept).
    pub path: String,
    /// The decoded bot id, for message requests.
    pub bot_id: Option<String>,
    /// The `message.conversationId` sent, if any (a top-level `conversationId` is ignored).
    pub conversation_id: Option<String>,
    /// The message text sent, if any.
    pub text: Option<String>,
    /// The request body as received: its JSON, or `null` when it was not JSON (or not read,
    /// e.g. over the size limit). Lets a test check exactly what a client sent.
    pub body: Value,
    /// The status answered (0 when the connection was reset).
    pub status: u16,
    /// The fault applied, if any.
    pub fault: Option<String>,
    /// Whether the bearer token was accepted.
    pub authorized: bool,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The client's IP address.
    pub remote_ip: String,
    /// The request's headers, names lowercased, repeated values joined with `, `;
    /// `authorization` is redacted (`[redacted]`).
    pub headers: BTreeMap<String, String>,
}

/// A ticket created by a bot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketRecord {
    /// The bot that created it.
    pub bot_id: String,
    /// `salesforce`, `jira` or `servicenow`.
    pub platform: String,
    /// The conversation it belongs to.
    pub conversation_id: String,
    /// The ticket in the platform's shape (as sent in `ticketDetails`).
    pub ticket: Value,
}

/// A bot ready to answer.
pub struct Bot {
    /// Its configuration.
    pub config: BotConfig,
    /// Its knowledge-base index.
    pub index: Index,
    /// The fault applied to each of its requests, if configured.
    pub fault: Option<Fault>,
}

/// What a bot answers to one message.
pub struct Reply {
    /// The conversation id (minted or continued).
    pub conversation_id: String,
    /// The answer.
    pub answers: String,
    /// Sources as documented: `type`, `name`, `score`, `url`.
    pub sources: Vec<Value>,
    /// The conversation's ticket, if one exists.
    pub ticket: Option<Value>,
}

struct Conversation {
    messages: Vec<String>,
    ticket: Option<Value>,
}

struct QueuedFault {
    bot_id: Option<String>,
    fault: Fault,
    remaining: Option<u32>,
}

#[derive(Default)]
struct Inner {
    seq: u64,
    requests: VecDeque<RecordedRequest>,
    conversations: HashMap<String, Conversation>,
    conversation_order: VecDeque<String>,
    tickets: Vec<TicketRecord>,
    faults: Vec<QueuedFault>,
}

/// Everything the handlers share.
pub struct AppState {
    tokens: Vec<String>,
    bots: HashMap<String, Bot>,
    /// Per-IP limits, when on.
    pub limiter: Option<IpLimiter>,
    started: Instant,
    inner: Mutex<Inner>,
}

impl AppState {
    /// Builds the state (and every bot's index) from a configuration.
    pub fn new(config: &MockConfig) -> Result<AppState, String> {
        let mut bots = HashMap::new();
        for bot in &config.bots {
            let fault = bot.fault.as_deref().map(Fault::parse).transpose()?;
            bots.insert(
                bot.id.clone(),
                Bot {
                    config: bot.clone(),
                    index: Index::new(bot.articles.clone()),
                    fault,
                },
            );
        }
        Ok(AppState {
            tokens: config.tokens.clone(),
            bots,
            limiter: config.rate_limit.clone().map(IpLimiter::new),
            started: Instant::now(),
            inner: Mutex::new(Inner::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `authorization` (the header's value) carries an accepted bearer token. The
    /// scheme is case-insensitive (RFC 7235: `Bearer`, `bearer`, `BEARER`); the token is not.
    pub fn authorized(&self, authorization: Option<&str>) -> bool {
        authorization
            .map(str::trim)
            .and_then(|h| h.split_once([' ', '\t']))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .is_some_and(|(_, token)| self.tokens.iter().any(|t| t == token.trim()))
    }

    /// The bot `id`.
    pub fn bot(&self, id: &str) -> Option<&Bot> {
        self.bots.get(id)
    }

    /// The next queued fault for `bot_id`, consumed.
    pub fn take_fault(&self, bot_id: &str) -> Option<Fault> {
        let mut inner = self.lock();
        let index = inner
            .faults
            .iter()
            .position(|f| f.bot_id.as_deref().is_none_or(|b| b == bot_id))?;
        let rule = &mut inner.faults[index];
        let fault = rule.fault.clone();
        if let Some(remaining) = &mut rule.remaining {
            *remaining -= 1;
            if *remaining == 0 {
                inner.faults.remove(index);
            }
        }
        Some(fault)
    }

    /// Queues a fault rule.
    pub fn add_fault(&self, rule: FaultRule) -> Result<(), String> {
        let fault = Fault::parse(&rule.fault)?;
        if rule.times == Some(0) {
            return Err("times must be at least 1 (omit it for: until reset)".into());
        }
        self.lock().faults.push(QueuedFault {
            bot_id: rule.bot_id,
            fault,
            remaining: rule.times,
        });
        Ok(())
    }

    /// Milliseconds since start.
    pub fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Appends to the request log, numbering the entry; returns its number.
    pub fn record(&self, mut request: RecordedRequest) -> u64 {
        let mut inner = self.lock();
        inner.seq += 1;
        request.seq = inner.seq;
        if inner.requests.len() == MAX_LOGGED_REQUESTS {
            inner.requests.pop_front();
        }
        inner.requests.push_back(request);
        inner.seq
    }

    /// Sets the answered status of the logged request `seq`.
    pub fn set_status(&self, seq: u64, status: u16) {
        let mut inner = self.lock();
        if let Some(entry) = inner.requests.iter_mut().rev().find(|r| r.seq == seq) {
            entry.status = status;
        }
    }

    /// The request log, optionally for one bot.
    pub fn requests(&self, bot_id: Option<&str>) -> Vec<RecordedRequest> {
        self.lock()
            .requests
            .iter()
            .filter(|r| bot_id.is_none_or(|b| r.bot_id.as_deref() == Some(b)))
            .cloned()
            .collect()
    }

    /// Every ticket created so far.
    pub fn tickets(&self) -> Vec<TicketRecord> {
        self.lock().tickets.clone()
    }

    /// Forgets requests, tickets, conversations, faults and rate-limit windows.
    pub fn reset(&self) {
        *self.lock() = Inner::default();
        if let Some(limiter) = &self.limiter {
            limiter.reset();
        }
    }

    /// Handles one message: continues or starts the conversation, retrieves an answer, and
    /// creates the conversation's ticket when asked for one.
    pub fn converse(&self, bot: &Bot, conversation_id: Option<&str>, text: &str) -> Reply {
        let wants_ticket = !bot.config.echo && tickets::wants_ticket(text);
        // Retrieval uses the conversation: a message is searched on its own first and, when
        // that finds nothing, together with the previous (non-ticket) message; a ticket request
        // is searched with everything said before it, so its sources describe the issue.
        let history: Vec<String> = conversation_id
            .and_then(|id| {
                self.lock()
                    .conversations
                    .get(id)
                    .map(|c| c.messages.clone())
            })
            .unwrap_or_default();
        let hits = if bot.config.echo {
            Vec::new()
        } else if wants_ticket && !history.is_empty() {
            bot.index.search(&history.join(" "))
        } else {
            let own = bot.index.search(text);
            let previous = history.iter().rev().find(|m| !tickets::wants_ticket(m));
            match previous {
                Some(previous) if own.is_empty() => bot.index.search(&format!("{previous} {text}")),
                _ => own,
            }
        };
        let sources: Vec<Value> = hits
            .iter()
            .map(|h| {
                json!({"type": h.article.kind, "name": h.article.title,
                       "score": h.score, "url": h.article.url})
            })
            .collect();

        let mut guard = self.lock();
        let inner = &mut *guard;
        let id = conversation_id
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if !inner.conversations.contains_key(&id) {
            if inner.conversation_order.len() == MAX_CONVERSATIONS {
                if let Some(oldest) = inner.conversation_order.pop_front() {
                    inner.conversations.remove(&oldest);
                }
            }
            inner.conversation_order.push_back(id.clone());
        }
        let next_ticket = inner.tickets.len() as u64 + 1;
        let conversation = inner
            .conversations
            .entry(id.clone())
            .or_insert_with(|| Conversation {
                messages: Vec::new(),
                ticket: None,
            });
        conversation.messages.push(text.to_owned());

        let mut created = None;
        let answers = if bot.config.echo {
            text.to_owned()
        } else if wants_ticket && bot.config.ticketing != Ticketing::None {
            if conversation.ticket.is_none() {
                let input = TicketInput {
                    seq: next_ticket,
                    messages: &conversation.messages,
                    urgent: conversation.messages.iter().any(|m| tickets::is_urgent(m)),
                };
                conversation.ticket = tickets::create(bot.config.ticketing, &input);
                created = conversation.ticket.clone();
            }
            let number = conversation
                .ticket
                .as_ref()
                .and_then(|t| {
                    ["CaseNumber", "key", "number"]
                        .iter()
                        .find_map(|k| t[*k].as_str())
                })
                .unwrap_or("(unknown)")
                .to_owned();
            if created.is_some() {
                format!(
                    "I have created ticket {number} with a summary of our conversation. A member \
                     of the support team will follow up with you."
                )
            } else {
                format!("Ticket {number} is already open for this conversation; the team is on it.")
            }
        } else {
            let answer = match hits.first() {
                Some(hit) => hit.article.body.clone(),
                None => format!(
                    "I could not find anything about \u{201c}{text}\u{201d} in the knowledge base. \
                     Ask me to create a ticket to reach a person."
                ),
            };
            if wants_ticket {
                format!(
                    "{answer}\n\nThis assistant is not connected to a ticketing system, so no \
                     ticket was created."
                )
            } else {
                answer
            }
        };
        let ticket = conversation.ticket.clone();
        if let Some(ticket) = created {
            inner.tickets.push(TicketRecord {
                bot_id: bot.config.id.clone(),
                platform: bot.config.ticketing.as_str().to_owned(),
                conversation_id: id.clone(),
                ticket,
            });
        }
        Reply {
            conversation_id: id,
            answers,
            sources,
            ticket,
        }
    }
}
