//! Replies: core's [`enjo::MessageResponse`] and its parts as JavaScript objects.
//!
//! These structs declare the reply's TypeScript shape (native.d.ts), but a reply crosses to
//! JavaScript as JSON text (`ReplyJson`), which `index.js` turns into the same plain object
//! with one `JSON.parse`: building it through napi took two native calls per property (about
//! 40 for the documented body). `raw` (and the ticket's `raw`) cross as their own JSON text,
//! parsed only when first read.

use napi_derive::napi;
use serde::Serialize;

/// One source the bot used for its answer.
#[napi(object)]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// The source's type, e.g. `jira` or `knowledge base`.
    #[napi(js_name = "type")]
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub source_type: Option<String>,
    /// Name or title of the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Relevance score, usually in `[0, 1]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Link to the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A ticket the bot created in Salesforce, Jira, ServiceNow, ... Common fields are read
/// whatever the platform's casing; `raw` is the platform's whole record.
#[napi(object)]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    /// Platform id (`id`, Salesforce `Id`, ServiceNow `sys_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Link to the ticket in the external system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Kind of issue (`type`, Jira `issuetype.name`, ServiceNow `category`).
    #[napi(js_name = "type")]
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub ticket_type: Option<String>,
    /// Current status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Priority level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Description of the issue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Creation timestamp, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    /// Last modification timestamp, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<String>,
    /// The human-facing number: Salesforce `CaseNumber`, ServiceNow `number`, Jira `key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_number: Option<String>,
    /// The ticket exactly as the server sent it.
    #[napi(ts_type = "Record<string, any>")]
    #[serde(serialize_with = "placeholder")]
    pub raw: serde_json::Value,
}

/// A bot's reply.
#[napi(object)]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageResponse {
    /// The bot's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers: Option<String>,
    /// The sources the bot used (empty when none).
    pub sources: Vec<Source>,
    /// Pass it back (`conversationId`) to continue the conversation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    /// The ticket the bot created, when its bot is wired to ticketing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<Ticket>,
    /// The whole response body, unknown fields included.
    #[napi(ts_type = "Record<string, any>")]
    #[serde(serialize_with = "placeholder")]
    pub raw: serde_json::Value,
    /// The call's request id (sent as `X-Request-Id` on each attempt), to quote to Enjo's support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The server's own request id (its `x-request-id` header), when the reply had one.
    #[serde(skip_serializing_if = "Option::is_none")]
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
            raw: r.raw.into_value(),
            request_id: r.request_id,
            server_request_id: r.server_request_id,
            status: u32::from(r.status),
        }
    }
}

/// `raw` in the reply's JSON text: `null`, holding its place among the keys (so that the
/// object's key order is the one napi gave), replaced by a lazy getter in `index.js`.
fn placeholder<S: serde::Serializer>(_: &serde_json::Value, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_unit()
}

/// A reply as it crosses to JavaScript: three strings instead of an object graph.
pub(crate) struct ReplyJson {
    /// [`MessageResponse`] as JSON, its `raw` fields `null`.
    pub(crate) reply: String,
    /// The whole body (`raw`) as JSON.
    pub(crate) raw: String,
    /// The ticket's `raw` as JSON, when there is a ticket.
    pub(crate) ticket_raw: Option<String>,
}

impl ReplyJson {
    /// Serializes `reply`. Cannot fail for what core builds (string keys, finite numbers
    /// from JSON), but a failure is an error, never a panic.
    pub(crate) fn new(mut reply: enjo::MessageResponse) -> Result<ReplyJson, serde_json::Error> {
        // The body crosses as the server's own text, never parsed here (JavaScript parses it
        // if `raw` is read); the object's `raw` is only a placeholder in `reply`'s JSON.
        let raw = reply.raw.json_text().into_owned();
        reply.raw = enjo::RawJson::from_value(serde_json::Value::Null);
        let reply = MessageResponse::from(reply);
        Ok(ReplyJson {
            reply: serde_json::to_string(&reply)?,
            raw,
            ticket_raw: reply
                .ticket
                .as_ref()
                .map(|t| serde_json::to_string(&t.raw))
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_json_has_napis_names_and_leaves_out_what_is_absent()
    -> Result<(), Box<dyn std::error::Error>> {
        let body =
            br#"{"success":true,"data":{"answers":"a","sources":[{"type":"jira","score":0.5}],
            "ticketDetails":{"Id":"7","Type":"Case","Status":"Open"},"extra":1}}"#;
        let reply = enjo::MessageResponse::from_body(body, 200, Some("rid".into()))?;
        let json = ReplyJson::new(reply)?;
        let value: serde_json::Value = serde_json::from_str(&json.reply)?;
        assert_eq!(
            value,
            serde_json::json!({
                "answers": "a",
                "sources": [{"type": "jira", "score": 0.5}],
                "ticket": {"id": "7", "type": "Case", "status": "Open", "raw": null},
                "raw": null,
                "requestId": "rid",
                "status": 200
            })
        );
        let raw: serde_json::Value = serde_json::from_str(&json.raw)?;
        assert_eq!(raw["data"]["extra"], 1);
        assert_eq!(
            json.ticket_raw.as_deref(),
            Some(r#"{"Id":"7","Type":"Case","Status":"Open"}"#)
        );
        Ok(())
    }
}
