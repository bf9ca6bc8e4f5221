//! Tickets in each platform's own shape: Salesforce Cases (the vendor's documented example),
//! Jira issues and ServiceNow incidents.

use std::time::SystemTime;

use serde_json::{Value, json};

use crate::config::Ticketing;

/// What a ticket is made from.
pub struct TicketInput<'a> {
    /// Sequence number (1, 2, ...), per server.
    pub seq: u64,
    /// The conversation's messages, oldest first.
    pub messages: &'a [String],
    /// High priority (the user said urgent, outage...).
    pub urgent: bool,
}

/// Builds a ticket for `platform`; `None` for a bot without ticketing.
pub fn create(platform: Ticketing, input: &TicketInput<'_>) -> Option<Value> {
    let now = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
    let summary: String = input
        .messages
        .first()
        .map(|m| m.chars().take(80).collect())
        .unwrap_or_default();
    let description = format!(
        "Created by the AI agent from this conversation:\n{}",
        input
            .messages
            .iter()
            .map(|m| format!("- {m}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let seq = input.seq;
    Some(match platform {
        Ticketing::Salesforce => {
            let id = format!("5005g0000{:09}", seq);
            json!({
                "url": format!("https://acme.lightning.force.example/lightning/r/Case/{id}/view"),
                "attributes": {"type": "Case", "url": format!("/services/data/v61.0/sobjects/Case/{id}")},
                "Id": id,
                "CaseNumber": format!("{:08}", 12344 + seq),
                "SuppliedName": "Mock User",
                "SuppliedEmail": "user@example.com",
                "SuppliedPhone": "123-456-7890",
                "SuppliedCompany": "Example Corp",
                "Type": "Support Inquiry",
                "Status": "New",
                "Priority": if input.urgent { "High" } else { "Medium" },
                "Subject": summary,
                "Description": description,
                "CreatedDate": now,
                "LastModifiedDate": now,
            })
        }
        Ticketing::Jira => {
            let id = 10041 + seq;
            let key = format!("SUP-{}", 41 + seq);
            let jira_time = now.replace('Z', "+0000");
            json!({
                "id": id.to_string(),
                "key": key,
                "self": format!("https://acme.atlassian.example/rest/api/2/issue/{id}"),
                "url": format!("https://acme.atlassian.example/browse/{key}"),
                "fields": {
                    "summary": summary,
                    "description": description,
                    "issuetype": {"name": "Service Request"},
                    "status": {"name": "To Do"},
                    "priority": {"name": if input.urgent { "High" } else { "Medium" }},
                    "created": jira_time,
                    "updated": jira_time,
                }
            })
        }
        Ticketing::ServiceNow => {
            let sys_id = uuid::Uuid::new_v4().simple().to_string();
            let snow_time = now.get(..19).unwrap_or(&now).replace('T', " ");
            json!({
                "sys_id": sys_id,
                "number": format!("INC{:07}", 10041 + seq),
                "url": format!("https://acme.service-now.example/nav_to.do?uri=incident.do?sys_id={sys_id}"),
                "state": "New",
                "priority": if input.urgent { "2 - High" } else { "3 - Moderate" },
                "short_description": summary,
                "description": description,
                "category": "inquiry",
                "sys_created_on": snow_time,
                "sys_updated_on": snow_time,
            })
        }
        Ticketing::None => return None,
    })
}

/// The documented keyword rules: a message asks for a ticket or a human when its words
/// (lowercased, split at anything but letters and digits) contain one of these phrases as
/// consecutive whole words. Whole words, so that "ticketing" or "the AI agent" do not count;
/// phrases, so that "human resources" does not either.
const TICKET_PHRASES: &[&[&str]] = &[
    &["ticket"],
    &["escalate"],
    &["support", "case"],
    &["create", "a", "case"],
    &["open", "a", "case"],
    &["need", "a", "human"],
    &["want", "a", "human"],
    &["human", "agent"],
    &["live", "agent"],
    &["real", "person"],
];

/// `talk`/`speak` + `to`/`with` + one of these: "talk to someone", "speak with a human"...
const CONTACT_VERBS: [&str; 2] = ["talk", "speak"];
const CONTACT_PREPOSITIONS: [&str; 2] = ["to", "with"];
const CONTACTS: &[&[&str]] = &[
    &["someone"],
    &["somebody"],
    &["a", "human"],
    &["a", "person"],
    &["an", "agent"],
];

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn starts_with_phrase(words: &[String], phrase: &[&str]) -> bool {
    words.len() >= phrase.len() && words.iter().zip(phrase).all(|(w, p)| w == p)
}

/// Whether `text` asks for a ticket or a human (the documented keyword rules).
pub fn wants_ticket(text: &str) -> bool {
    let words = words(text);
    (0..words.len()).any(|i| {
        let rest = &words[i..];
        TICKET_PHRASES.iter().any(|p| starts_with_phrase(rest, p))
            || (rest.len() > 2
                && CONTACT_VERBS.contains(&rest[0].as_str())
                && CONTACT_PREPOSITIONS.contains(&rest[1].as_str())
                && CONTACTS.iter().any(|c| starts_with_phrase(&rest[2..], c)))
    })
}

/// Whether `text` sounds urgent (High priority).
pub fn is_urgent(text: &str) -> bool {
    const WORDS: [&str; 6] = ["urgent", "asap", "outage", "down", "critical", "emergency"];
    words(text)
        .iter()
        .any(|word| WORDS.contains(&word.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_rules() {
        // Every documented phrase fires, in any case and with punctuation around it.
        for asks in [
            "Please open a TICKET",
            "«ticket» please",
            "escalate this",
            "I have a support case",
            "Create a case for me",
            "can you open a case?",
            "I need a human",
            "I want a human!",
            "Is there a human agent?",
            "live agent please",
            "let me talk to a real person",
            "can I talk to someone?",
            "I'd like to speak to someone",
            "talk to somebody",
            "speak with a human",
            "talk to a person",
            "speak to an agent",
        ] {
            assert!(wants_ticket(asks), "{asks:?} asks for a ticket");
        }
        // Substrings and unrelated uses of the same words do not.
        for plain in [
            "How do I reset my password?",
            "What can the AI agent do?",
            "Where is the human resources policy?",
            "Which ticketing systems do you support?",
            "Is the agent available in French?",
            "What does a human-readable export look like?",
            "talk to me about SSO",
            "someone changed my password",
            "in case of an outage, what happens?",
        ] {
            assert!(!wants_ticket(plain), "{plain:?} does not ask for a ticket");
        }
        assert!(is_urgent("the site is down"));
        assert!(is_urgent("URGENT: help"));
        assert!(!is_urgent("download my invoice"));
    }

    #[test]
    fn shapes() {
        let messages = vec!["VPN drops".to_owned(), "please open a ticket".to_owned()];
        let input = TicketInput {
            seq: 1,
            messages: &messages,
            urgent: true,
        };
        let sf = create(Ticketing::Salesforce, &input).expect("sf");
        assert_eq!(sf["CaseNumber"], "00012345");
        assert_eq!(sf["attributes"]["type"], "Case");
        assert_eq!(sf["Priority"], "High");
        assert!(
            sf["Description"]
                .as_str()
                .is_some_and(|d| d.contains("VPN drops"))
        );
        let jira = create(Ticketing::Jira, &input).expect("jira");
        assert_eq!(jira["key"], "SUP-42");
        assert_eq!(jira["fields"]["status"]["name"], "To Do");
        let snow = create(Ticketing::ServiceNow, &input).expect("snow");
        assert_eq!(snow["number"], "INC0010042");
        assert_eq!(snow["sys_id"].as_str().map(str::len), Some(32));
        assert!(create(Ticketing::None, &input).is_none());
    }
}
