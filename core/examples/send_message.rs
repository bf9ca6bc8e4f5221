//! The vendor's sample (one POST, print the reply) on the blocking client.
//!
//! ```sh
//! ENJO_API_TOKEN=... cargo run -p enjo --example send_message -- support-bot "Request for ticket generation"
//! ```
//! `ENJO_BASE_URL` points it at `enjo mock` for offline use.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let bot_id = args.next().unwrap_or_else(|| "botId".to_owned());
    let text = args
        .next()
        .unwrap_or_else(|| "Request for ticket generation".to_owned());
    let client = match enjo::blocking::Client::new() {
        Ok(client) => client,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    match client.send_message(&bot_id, &text, None) {
        Ok(reply) => {
            println!("{}", reply.answers.as_deref().unwrap_or("(no answer)"));
            if let Some(ticket) = &reply.ticket {
                println!(
                    "ticket {} ({})",
                    ticket.case_number.as_deref().unwrap_or("?"),
                    ticket.status.as_deref().unwrap_or("?")
                );
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error ({}): {err}", err.kind());
            ExitCode::FAILURE
        }
    }
}
