//! The typed reply of `POST /v1/bots/{id}/message`, read leniently.
//!
//! The documented body is `{"success": true, "data": {"answers", "sources", "conversationId",
//! "ticketDetails"}}`. Every field of `data` may be missing, unknown keys are ignored, and
//! `ticketDetails` arrives in the ticketing platform's own casing, so fields are looked up
//! case-insensitively (ignoring `_` and `-`) under several platform names. The whole body and
//! the ticket are also kept as raw JSON.

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};

/// A successful reply from a bot.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MessageResponse {
    /// The bot's answer (`data.answers`). A list of strings is joined with blank lines.
    pub answers: Option<String>,
    /// The sources the bot used (`data.sources`); empty when there were none.
    pub sources: Vec<Source>,
    /// The conversation id (`data.conversationId`): pass it back to continue the conversation.
    pub conversation_id: Option<String>,
    /// The ticket the bot created (`data.ticketDetails`), when its bot is wired to ticketing.
    pub ticket: Option<Ticket>,
    /// The whole response body as JSON, unknown fields included.
    pub raw: Value,
    /// The server's request id (`x-request-id` header), when it sent one.
    pub request_id: Option<String>,
    /// The HTTP status of the reply (200, or another 2xx).
    pub status: u16,
}

/// One source the bot used for its answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Source {
    /// The source's type, e.g. `jira` or `knowledge base` (JSON `type`).
    pub source_type: Option<String>,
    /// Name or title of the source.
    pub name: Option<String>,
    /// Relevance score, usually in `[0, 1]`.
    pub score: Option<f64>,
    /// Link to the source.
    pub url: Option<String>,
}

/// A ticket created in the bot's ticketing system (Salesforce, Jira, ServiceNow, ...).
///
/// Common fields are read case-insensitively whatever the platform's casing; `raw` keeps the
/// platform's whole record.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Ticket {
    /// Platform id (`id`, Salesforce `Id`, ServiceNow `sys_id`).
    pub id: Option<String>,
    /// Link to the ticket in the external system.
    pub url: Option<String>,
    /// Kind of issue (`type`, Jira `issuetype.name`, ServiceNow `category`).
    pub ticket_type: Option<String>,
    /// Current status (`status`, ServiceNow `state`; object values use their `name`).
    pub status: Option<String>,
    /// Priority level.
    pub priority: Option<String>,
    /// Description (`description`, else `short_description` / `summary` / `subject`).
    pub description: Option<String>,
    /// Creation timestamp, as sent (`createdDate`, `created`, `sys_created_on`).
    pub created_date: Option<String>,
    /// Last modification timestamp, as sent (`lastModifiedDate`, `updated`, `sys_updated_on`).
    pub last_modified_date: Option<String>,
    /// The human-facing ticket number: Salesforce `CaseNumber`, ServiceNow `number`, Jira `key`.
    pub case_number: Option<String>,
    /// The ticket exactly as the server sent it.
    pub raw: Value,
}

impl MessageResponse {
    /// Reads a 2xx body. A body that is not a JSON object is a decode error; `"success": false`
    /// is an API error; anything else is accepted, missing fields becoming `None`/empty.
    pub fn from_body(body: &[u8], status: u16, request_id: Option<String>) -> Result<Self> {
        let raw: Value = serde_json::from_slice(body).map_err(|e| {
            Error::new(
                ErrorKind::Decode,
                format!("the {status} reply is not valid JSON ({e})"),
            )
            .with_status(status)
            .with_body(String::from_utf8_lossy(body).into_owned())
            .with_request_id(request_id.clone())
        })?;
        Self::from_json(raw, status, request_id)
    }

    /// Reads an already-parsed 2xx body (see [`MessageResponse::from_body`]).
    pub fn from_json(raw: Value, status: u16, request_id: Option<String>) -> Result<Self> {
        let Some(top) = raw.as_object() else {
            return Err(Error::new(
                ErrorKind::Decode,
                format!("the {status} reply is JSON but not an object"),
            )
            .with_status(status)
            .with_body(raw.to_string())
            .with_request_id(request_id));
        };
        if top.get("success") == Some(&Value::Bool(false)) {
            let (code, message) = crate::http::error_fields(top);
            return Err(Error::new(
                ErrorKind::Api,
                message.unwrap_or_else(|| "the server answered \"success\": false".to_owned()),
            )
            .with_status(status)
            .with_code(code)
            .with_body(raw.to_string())
            .with_request_id(request_id));
        }
        let data = top.get("data").and_then(Value::as_object);
        let get = |key: &str| data.and_then(|d| d.get(key));
        let answers = get("answers").and_then(answer_text);
        let sources = get("sources")
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Source::from_json).collect())
            .unwrap_or_default();
        let conversation_id = get("conversationId").and_then(scalar_text);
        let ticket = get("ticketDetails").and_then(Ticket::from_json);
        Ok(MessageResponse {
            answers,
            sources,
            conversation_id,
            ticket,
            raw,
            request_id,
            status,
        })
    }
}

impl Source {
    /// Reads one entry of `sources`; entries that are not objects are skipped.
    pub fn from_json(value: &Value) -> Option<Source> {
        let obj = value.as_object()?;
        Some(Source {
            source_type: lookup(obj, &["type"]),
            name: lookup(obj, &["name", "title"]),
            score: obj.get("score").and_then(number),
            url: lookup(obj, &["url", "link"]),
        })
    }
}

impl Ticket {
    /// Reads `ticketDetails`; anything but a non-empty object means "no ticket".
    pub fn from_json(value: &Value) -> Option<Ticket> {
        let obj = value.as_object().filter(|o| !o.is_empty())?;
        // Jira keeps most fields under `fields`.
        let nested = obj
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("fields"))
            .and_then(|(_, v)| v.as_object());
        let find =
            |names: &[&str]| lookup(obj, names).or_else(|| nested.and_then(|n| lookup(n, names)));
        Some(Ticket {
            id: find(&["id", "sysid", "ticketid"]),
            url: find(&["url", "link", "htmlurl", "browseurl", "ticketurl"]),
            ticket_type: find(&["type", "issuetype", "tickettype", "category"]),
            status: find(&["status", "state"]),
            priority: find(&["priority"]),
            description: find(&["description", "shortdescription", "summary", "subject"]),
            created_date: find(&["createddate", "created", "createdat", "syscreatedon"]),
            last_modified_date: find(&[
                "lastmodifieddate",
                "lastmodified",
                "updated",
                "updatedat",
                "sysupdatedon",
            ]),
            case_number: find(&["casenumber", "number", "key", "ticketnumber"]),
            raw: value.clone(),
        })
    }
}

/// `name` without case, `_` or `-`: `CaseNumber`, `case_number` and `caseNumber` all match.
fn normalized_eq(key: &str, name: &str) -> bool {
    let mut key = key
        .bytes()
        .filter(|b| *b != b'_' && *b != b'-')
        .map(|b| b.to_ascii_lowercase());
    let mut name = name.bytes();
    loop {
        match (key.next(), name.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// The first of `names` present in `obj` with a usable text value.
fn lookup(obj: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| {
        obj.iter()
            .filter(|(k, _)| normalized_eq(k, name))
            .find_map(|(_, v)| text(v))
    })
}

/// A scalar as text; objects give their display name (`{"name": "High"}` → `High`).
fn text(value: &Value) -> Option<String> {
    match value {
        Value::Object(obj) => lookup(obj, &["name", "displayvalue", "value", "displayname"]),
        other => scalar_text(other),
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn answer_text(value: &Value) -> Option<String> {
    match value {
        Value::Array(parts) => {
            let parts: Vec<String> = parts.iter().filter_map(text).collect();
            (!parts.is_empty()).then(|| parts.join("\n\n"))
        }
        other => text(other),
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The vendor's documented 200 body, verbatim apart from the flattening of the docs.
    const DOCUMENTED: &str = r#"{
      "success": true,
      "data": {
        "answers": "The response to the user's question or query.",
        "sources": [
          {"type": "jira", "name": "Source Name (e.g., Jira Ticket, Knowledge Base Article)",
           "score": 0.95, "url": "https://source-link.com"}
        ],
        "conversationId": "unique-conversation-id",
        "ticketDetails": {
          "url": "https://ticket-system.com/ticket/123456",
          "attributes": {"type": "Case", "url": "/services/data/v1.0/sobjects/Case/123456"},
          "id": "123456",
          "CaseNumber": "00012345",
          "SuppliedName": "User's Name",
          "SuppliedEmail": "user@example.com",
          "SuppliedPhone": "123-456-7890",
          "SuppliedCompany": "Company Name",
          "type": "Type of issue (e.g., Support, Inquiry)",
          "status": "Open",
          "priority": "High",
          "description": "Detailed description of the issue or ticket.",
          "createdDate": "2024-10-10T12:00:00.000Z",
          "lastModifiedDate": "2024-10-10T12:00:00.000Z"
        }
      }
    }"#;

    #[test]
    fn reads_the_documented_body() -> Result<()> {
        let r = MessageResponse::from_body(DOCUMENTED.as_bytes(), 200, None)?;
        assert_eq!(
            r.answers.as_deref(),
            Some("The response to the user's question or query.")
        );
        assert_eq!(r.conversation_id.as_deref(), Some("unique-conversation-id"));
        assert_eq!(r.sources.len(), 1);
        assert_eq!(r.sources[0].source_type.as_deref(), Some("jira"));
        assert_eq!(r.sources[0].score, Some(0.95));
        let t = r.ticket.expect("ticket");
        assert_eq!(t.id.as_deref(), Some("123456"));
        assert_eq!(t.case_number.as_deref(), Some("00012345"));
        assert_eq!(t.status.as_deref(), Some("Open"));
        assert_eq!(t.priority.as_deref(), Some("High"));
        assert_eq!(t.created_date.as_deref(), Some("2024-10-10T12:00:00.000Z"));
        assert_eq!(
            t.last_modified_date.as_deref(),
            Some("2024-10-10T12:00:00.000Z")
        );
        assert_eq!(t.raw["SuppliedEmail"], "user@example.com");
        Ok(())
    }

    #[test]
    fn salesforce_casing() {
        let t = Ticket::from_json(&json!({
            "Id": "5003x", "CaseNumber": "00000042", "Status": "New", "Priority": "Medium",
            "Type": "Problem", "Description": "d", "CreatedDate": "c", "LastModifiedDate": "m"
        }))
        .expect("ticket");
        assert_eq!(t.id.as_deref(), Some("5003x"));
        assert_eq!(t.case_number.as_deref(), Some("00000042"));
        assert_eq!(t.status.as_deref(), Some("New"));
        assert_eq!(t.ticket_type.as_deref(), Some("Problem"));
        assert_eq!(t.last_modified_date.as_deref(), Some("m"));
    }

    #[test]
    fn jira_shape() {
        let t = Ticket::from_json(&json!({
            "id": "10042", "key": "SUP-42", "url": "https://x/browse/SUP-42",
            "fields": {"summary": "s", "issuetype": {"name": "Service Request"},
                       "status": {"name": "To Do"}, "priority": {"name": "High"},
                       "created": "c", "updated": "u"}
        }))
        .expect("ticket");
        assert_eq!(t.case_number.as_deref(), Some("SUP-42"));
        assert_eq!(t.status.as_deref(), Some("To Do"));
        assert_eq!(t.priority.as_deref(), Some("High"));
        assert_eq!(t.ticket_type.as_deref(), Some("Service Request"));
        assert_eq!(t.description.as_deref(), Some("s"));
        assert_eq!(t.last_modified_date.as_deref(), Some("u"));
    }

    #[test]
    fn servicenow_shape() {
        let t = Ticket::from_json(&json!({
            "sys_id": "abc", "number": "INC0010042", "state": "New", "priority": 3,
            "short_description": "sd", "sys_created_on": "c", "sys_updated_on": "u"
        }))
        .expect("ticket");
        assert_eq!(t.id.as_deref(), Some("abc"));
        assert_eq!(t.case_number.as_deref(), Some("INC0010042"));
        assert_eq!(t.status.as_deref(), Some("New"));
        assert_eq!(t.priority.as_deref(), Some("3"));
        assert_eq!(t.description.as_deref(), Some("sd"));
        assert_eq!(t.created_date.as_deref(), Some("c"));
    }

    #[test]
    fn missing_and_odd_fields_are_tolerated() -> Result<()> {
        for body in [
            r#"{"success": true}"#,
            r#"{"success": true, "data": null}"#,
            r#"{"data": {}}"#,
            r#"{"success": true, "data": {"sources": "nope", "ticketDetails": {}, "answers": 7}}"#,
            r#"{"success": true, "data": {"sources": [1, {"score": "0.5"}], "extra": {"a": [1]}}}"#,
        ] {
            let r = MessageResponse::from_body(body.as_bytes(), 200, None)?;
            assert!(r.ticket.is_none(), "{body}");
        }
        let r = MessageResponse::from_body(
            br#"{"data": {"sources": [1, {"score": "0.5"}], "answers": ["a", "b"]}}"#,
            200,
            None,
        )?;
        assert_eq!(r.sources.len(), 1);
        assert_eq!(r.sources[0].score, Some(0.5));
        assert_eq!(r.answers.as_deref(), Some("a\n\nb"));
        Ok(())
    }

    #[test]
    fn success_false_is_an_api_error() {
        let err = MessageResponse::from_body(
            br#"{"success": false, "code": "bot_error", "error": "bot offline"}"#,
            200,
            Some("r1".into()),
        )
        .expect_err("must fail");
        assert_eq!(err.kind(), ErrorKind::Api);
        assert_eq!(err.code(), Some("bot_error"));
        assert_eq!(err.message(), "bot offline");
        assert_eq!(err.request_id(), Some("r1"));
    }

    #[test]
    fn non_json_is_a_decode_error() {
        for body in [
            &b"<html>"[..],
            b"",
            b"{\"success\": tr",
            b"[1,2]",
            b"\xff\xfe",
        ] {
            let err = MessageResponse::from_body(body, 200, None).expect_err("must fail");
            assert_eq!(err.kind(), ErrorKind::Decode);
        }
    }
}
