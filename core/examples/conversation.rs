//! An async conversation: a question, a follow-up in the same conversation, then a ticket,
//! with the error kinds a program usually tells apart.
//!
//! ```sh
//! ENJO_API_TOKEN=... cargo run -p enjo --example conversation -- support-bot
//! ```

use enjo::{Client, ErrorKind};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bot_id = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "support-bot".to_owned());
    let client = Client::new()?;
    let chat = client.conversation(bot_id);
    for text in [
        "Our Okta single sign-on login fails for everyone",
        "Do we still need two-factor authentication with SSO?",
        "This is urgent, please create a ticket",
    ] {
        match chat.send(text).await {
            Ok(reply) => {
                println!("> {text}\n{}", reply.answers.as_deref().unwrap_or(""));
                if let Some(ticket) = reply.ticket {
                    println!(
                        "ticket {} {}",
                        ticket.case_number.unwrap_or_default(),
                        ticket.url.unwrap_or_default()
                    );
                }
            }
            Err(err) if err.kind() == ErrorKind::RateLimited => {
                eprintln!("rate limited; retry in {:?}", err.retry_after());
                return Err(err.into());
            }
            Err(err) => return Err(err.into()),
        }
    }
    println!("conversation {}", chat.id().unwrap_or_default());
    Ok(())
}
