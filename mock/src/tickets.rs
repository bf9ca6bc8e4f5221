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

/// Whether `text` asks for a ticket or a human (the documented keyword rules).
pub fn wants_ticket(text: &str) -> bool {
    const PHRASES: [&str; 9] = [
        "ticket",
        "human",
        "escalate",
        "agent",
        "support case",
        "create a case",
        "open a case",
        "talk to someone",
        "speak to someone",
    ];
    let text = text.to_lowercase();
    PHRASES.iter().any(|p| text.contains(p))
}

/// Whether `text` sounds urgent (High priority).
pub fn is_urgent(text: &str) -> bool {
    const WORDS: [&str; 6] = ["urgent", "asap", "outage", "down", "critical", "emergency"];
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| WORDS.contains(&word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_rules() {
        assert!(wants_ticket("Please open a TICKET"));
        assert!(wants_ticket("can I talk to someone?"));
        assert!(wants_ticket("I need a human"));
        assert!(!wants_ticket("How do I reset my password?"));
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
