//! How replies and errors are printed: for people by default, as JSON with `--json`.

use std::io::{self, Write};

use enjo::{Error, MessageResponse, Ticket};
use serde_json::{Value, json};

/// The reply for a person: answer, sources with scores, conversation id, ticket summary.
pub fn human(reply: &MessageResponse, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{}", reply.answers.as_deref().unwrap_or("(no answer)"))?;
    if !reply.sources.is_empty() {
        writeln!(out, "\nSources:")?;
        for source in &reply.sources {
            let score = source
                .score
                .map(|s| format!("{s:.2}"))
                .unwrap_or_else(|| "  - ".to_owned());
            let name = source.name.as_deref().unwrap_or("(untitled)");
            write!(out, "  [{score}] {name}")?;
            if let Some(kind) = &source.source_type {
                write!(out, " ({kind})")?;
            }
            if let Some(url) = &source.url {
                write!(out, " {url}")?;
            }
            writeln!(out)?;
        }
    }
    if let Some(ticket) = &reply.ticket {
        writeln!(out)?;
        ticket_summary(ticket, out)?;
    }
    if let Some(id) = &reply.conversation_id {
        writeln!(out, "\nConversation: {id}")?;
    }
    Ok(())
}

/// One block describing a ticket.
pub fn ticket_summary(ticket: &Ticket, out: &mut impl Write) -> io::Result<()> {
    let number = ticket
        .case_number
        .as_deref()
        .or(ticket.id.as_deref())
        .unwrap_or("(no number)");
    write!(out, "Ticket {number}")?;
    let facts: Vec<String> = [
        ticket.status.as_deref().map(|s| format!("status {s}")),
        ticket.priority.as_deref().map(|p| format!("priority {p}")),
        ticket.ticket_type.as_deref().map(|t| format!("type {t}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !facts.is_empty() {
        write!(out, ": {}", facts.join(", "))?;
    }
    writeln!(out)?;
    if let Some(url) = &ticket.url {
        writeln!(out, "  {url}")?;
    }
    Ok(())
}

/// The documented JSON body, as the server sent it.
pub fn json_reply(reply: &MessageResponse, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &reply.raw)?;
    writeln!(out)
}

/// An error as JSON, for `--json`: `{"error": {"kind", "message", "status", ...}}`.
pub fn json_error(err: &Error) -> Value {
    json!({
        "error": {
            "kind": err.kind().as_str(),
            "message": err.message(),
            "status": err.status(),
            "code": err.code(),
            "retry_after": err.retry_after().map(|d| d.as_secs_f64()),
            "request_id": err.request_id(),
            "hint": err.hint(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(body: &str) -> MessageResponse {
        MessageResponse::from_body(body.as_bytes(), 200, None).expect("valid body")
    }

    #[test]
    fn human_output_lists_everything() {
        let r = reply(
            r#"{"success":true,"data":{"answers":"Reset it here.","conversationId":"c-1",
            "sources":[{"type":"knowledge base","name":"Passwords","score":0.9,"url":"https://kb/1"}],
            "ticketDetails":{"CaseNumber":"00001","Status":"New","Priority":"High","url":"https://t/1"}}}"#,
        );
        let mut out = Vec::new();
        human(&r, &mut out).expect("write");
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.starts_with("Reset it here.\n"), "{text}");
        assert!(
            text.contains("[0.90] Passwords (knowledge base) https://kb/1"),
            "{text}"
        );
        assert!(
            text.contains("Ticket 00001: status New, priority High"),
            "{text}"
        );
        assert!(text.contains("Conversation: c-1"), "{text}");
    }

    #[test]
    fn empty_reply_is_still_readable() {
        let mut out = Vec::new();
        human(&reply(r#"{"success":true,"data":{}}"#), &mut out).expect("write");
        assert_eq!(String::from_utf8(out).expect("utf8"), "(no answer)\n");
    }
}
