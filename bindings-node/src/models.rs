//! Replies: core's [`enjo::MessageResponse`] and its parts as JavaScript objects.

use napi_derive::napi;

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
    /// The server's own request id (its `x-request-id` header), when the reply had one.
    pub server_request_id: Option<String>,
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
            server_request_id: r.server_request_id,
            status: u32::from(r.status),
        }
    }
}
