//! The testing kit's one entry point for the bindings: start the mock on a free loopback port on
//! a thread of its own, with the CLI's options given as plain values, read what it received,
//! stop it. Python's `enjo.testing`, Node's `enjo/testing`, C's `enjo_mock_*` and R's
//! `with_mock()` are thin wrappers over [`Kit`]; `python -m enjo.mock` and `npx enjo-mock` call
//! [`main_with_args`].

use std::path::PathBuf;

use clap::Parser;

use crate::config::{DEFAULT_TOKEN, MockConfig, Quota, parse_rate_limit};
use crate::faults::{Fault, FaultRule};
use crate::server::MockServer;

/// What a test asks of the mock. Every field is optional; the defaults are the built-in bots,
/// the token `enjo-mock-token` and **no rate limit** (a test opts into limits, scaled down).
#[derive(Debug, Clone, Default)]
pub struct KitOptions {
    /// `off` (the default when `None`), `documented` (20/60s,10/5s, as the real API), or
    /// quotas as the CLI's `--rate-limit` takes them, e.g. `5/200ms,10/1s`.
    pub rate_limit: Option<String>,
    /// Bots from this TOML file instead of the built-in ones (the CLI's `--config`).
    pub bots_file: Option<PathBuf>,
    /// Extra bots, `(bot id, fault spec)`, that answer every request with that fault, e.g.
    /// `("down-bot", "500")`; an id that is already a bot replaces it.
    pub fault_bots: Vec<(String, String)>,
    /// The accepted bearer token (default `enjo-mock-token`).
    pub token: Option<String>,
}

impl KitOptions {
    /// The server configuration these options describe; the error says which option is wrong.
    pub fn config(&self) -> Result<MockConfig, String> {
        let mut config = MockConfig::default().without_rate_limit();
        if let Some(token) = &self.token {
            if token.trim().is_empty() {
                return Err("token must not be empty: leave it out to use enjo-mock-token".into());
            }
            config.tokens = vec![token.clone()];
        }
        if let Some(path) = &self.bots_file {
            config = config
                .with_bots_file(path)
                .map_err(|e| format!("bots file: {e} (print the built-in bots with `enjo mock --print-config` for a starting point)"))?;
        }
        config.rate_limit = rate_limit(self.rate_limit.as_deref())?;
        for (id, spec) in &self.fault_bots {
            if id.trim().is_empty() {
                return Err("fault bot ids must not be empty".into());
            }
            Fault::parse(spec).map_err(|e| format!("fault bot {id:?}: {e}"))?;
            config.bots.retain(|bot| bot.id != *id);
            config.bots.push(crate::config::BotConfig {
                id: id.clone(),
                name: format!("fails with {spec}"),
                ticketing: crate::config::Ticketing::None,
                echo: true,
                fault: Some(spec.clone()),
                articles: Vec::new(),
            });
        }
        Ok(config)
    }
}

/// Reads a kit rate-limit value: `None`/`off` → no limit, `documented`/`on` → the real API's,
/// anything else → a `--rate-limit` spec.
fn rate_limit(spec: Option<&str>) -> Result<Option<Vec<Quota>>, String> {
    match spec.map(str::trim) {
        None => Ok(None),
        Some(s) if s.eq_ignore_ascii_case("documented") || s.eq_ignore_ascii_case("on") => {
            Ok(Some(Quota::DOCUMENTED.to_vec()))
        }
        Some(s) => parse_rate_limit(s),
    }
}

/// A running mock server for a test: its own runtime thread, a free loopback port. Dropping it
/// stops the server.
pub struct Kit {
    server: MockServer,
    token: String,
}

impl std::fmt::Debug for Kit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a test token, but a user may have passed a real-looking one: never shown.
        f.debug_struct("Kit").field("url", &self.url()).finish()
    }
}

impl Kit {
    /// Starts the server on 127.0.0.1 and a free port; the error says what to change.
    pub fn start(options: &KitOptions) -> Result<Kit, String> {
        let config = options.config()?;
        let token = config
            .tokens
            .first()
            .cloned()
            .unwrap_or_else(|| DEFAULT_TOKEN.to_owned());
        let server = MockServer::start_background(config)
            .map_err(|e| format!("cannot start the mock server on 127.0.0.1: {e}"))?;
        Ok(Kit { server, token })
    }

    /// `http://127.0.0.1:PORT`: the `base_url` to give a client.
    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// The token it accepts.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The requests received, oldest first, as a JSON array (the fields of
    /// `GET /_mock/requests`; the `authorization` header is redacted).
    pub fn requests_json(&self) -> String {
        serde_json::to_string(&self.server.requests()).unwrap_or_else(|_| "[]".to_owned())
    }

    /// The tickets created, as a JSON array of `{bot_id, platform, conversation_id, ticket}`.
    pub fn tickets_json(&self) -> String {
        serde_json::to_string(&self.server.tickets()).unwrap_or_else(|_| "[]".to_owned())
    }

    /// Queues a fault for the next `times` requests (all of them when `None`) to `bot_id` (any
    /// bot when `None`), as `POST /_mock/faults`; the error says what specs exist.
    pub fn add_fault(
        &self,
        fault: &str,
        bot_id: Option<&str>,
        times: Option<u32>,
    ) -> Result<(), String> {
        self.server.add_fault(FaultRule {
            bot_id: bot_id.map(str::to_owned),
            fault: fault.to_owned(),
            times,
        })
    }

    /// Forgets requests, tickets, conversations, queued faults and rate-limit windows.
    pub fn reset(&self) {
        self.server.reset()
    }

    /// Stops the server and waits for its thread (also done on drop). Idempotent.
    pub fn stop(&mut self) {
        self.server.stop()
    }
}

/// The flags of `enjo-mock`, under the name a package's standalone command has.
#[derive(Parser)]
#[command(version, about = "A local Enjo-compatible server for tests and demos")]
struct Standalone {
    #[command(flatten)]
    args: crate::cli::MockArgs,
}

/// Runs the mock as a command (`python -m enjo.mock`, `npx enjo-mock`): `args` are the words
/// after the program name, `name` the program name shown in help and errors. Blocks until
/// SIGINT/SIGTERM (or end of stdin with `--exit-on-stdin-close`); returns the exit status.
pub fn main_with_args(name: &str, args: Vec<String>) -> i32 {
    let argv = std::iter::once(name.to_owned()).chain(args);
    let cli = match Standalone::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return err.exit_code();
        }
    };
    match crate::cli::run(cli.args) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("{name}: {err:#}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_built_in_bots_without_limits() {
        let config = KitOptions::default().config().expect("defaults are valid");
        assert_eq!(config.rate_limit, None);
        assert_eq!(config.tokens, [DEFAULT_TOKEN]);
        assert!(config.bots.iter().any(|b| b.id == "support-bot"));
    }

    #[test]
    fn rate_limit_values() {
        assert_eq!(rate_limit(Some("off")), Ok(None));
        assert_eq!(
            rate_limit(Some("documented")),
            Ok(Some(Quota::DOCUMENTED.to_vec()))
        );
        assert_eq!(
            rate_limit(Some("5/200ms")),
            Ok(Some(vec![Quota {
                requests: 5,
                window: std::time::Duration::from_millis(200)
            }]))
        );
        assert!(rate_limit(Some("fast")).is_err());
    }

    #[test]
    fn fault_bots_are_checked_and_replace_a_bot_of_the_same_id() {
        let options = KitOptions {
            fault_bots: vec![("faq-bot".into(), "500".into())],
            ..KitOptions::default()
        };
        let config = options.config().expect("valid");
        let faq: Vec<_> = config.bots.iter().filter(|b| b.id == "faq-bot").collect();
        assert_eq!(faq.len(), 1);
        assert_eq!(faq[0].fault.as_deref(), Some("500"));
        let bad = KitOptions {
            fault_bots: vec![("x".into(), "explode".into())],
            ..KitOptions::default()
        };
        let err = bad.config().expect_err("unknown fault");
        assert!(err.contains("fault bot \"x\""), "{err}");
    }

    #[test]
    fn a_bad_bots_file_says_what_to_do() {
        let options = KitOptions {
            bots_file: Some("/nonexistent/bots.toml".into()),
            ..KitOptions::default()
        };
        let err = options.config().expect_err("missing file");
        assert!(err.contains("--print-config"), "{err}");
    }
}
