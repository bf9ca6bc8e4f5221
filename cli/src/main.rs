//! `enjo`: the command-line client for the Enjo API.
//!
//! `enjo send BOT "text"` replaces the vendor's curl sample; `enjo chat BOT` is an interactive
//! (or piped) conversation; `enjo mock` runs a local Enjo-compatible server.

// Doc comments here double as `--help` text, where URLs are plain text.
#![allow(rustdoc::bare_urls)]

mod exit;
mod output;
mod progress;

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use enjo::{Error, RateLimit, SendOptions, blocking};

use progress::Progress;

#[derive(Parser)]
#[command(
    name = "enjo",
    version,
    about = "Talk to Enjo AI agents (bots) from the shell: the curl of the Enjo API",
    long_about = "Talk to Enjo AI agents (bots) from the shell.\n\n\
        The token comes from ENJO_API_TOKEN (or --token-file). Client-side rate limiting keeps \
        you within Enjo's 20 requests/minute and 10/5 seconds; retries never duplicate a ticket.",
    after_help = exit::HELP
)]
struct Cli {
    /// Client options before the subcommand (`enjo --base-url URL send ...`); those after
    /// `send`/`chat` win when both are given.
    #[command(flatten)]
    client: Global,
    #[command(subcommand)]
    command: Command,
}

/// How to reach the API: accepted both before `send`/`chat` and after them (see
/// [`Global::merged`]), so never `global = true`: `enjo mock` has a `--token` of its own.
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Client options (before or after send/chat)")]
struct Global {
    /// API base URL (default: the ENJO_BASE_URL environment variable, else
    /// https://api.enjo.ai; use `enjo mock`'s URL to work offline)
    // Not `env = ...`: clap would then show the flag in usage lines as if it were required;
    // the SDK reads ENJO_BASE_URL itself when the flag is absent.
    #[arg(long)]
    base_url: Option<String>,
    /// Allow a plain-http base URL to a host that is not loopback (the token then travels in
    /// clear text: trusted networks only)
    #[arg(long)]
    allow_insecure_http: bool,
    /// Read the bearer token from this file (default: the ENJO_API_TOKEN environment variable)
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// The bearer token itself. Prefer ENJO_API_TOKEN or --token-file: a flag is visible to
    /// other users in `ps` and lands in shell history
    #[arg(long, hide_env_values = true)]
    token: Option<String>,
    /// Timeout of each attempt, in seconds
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    timeout: f64,
    /// Retries of what is safe to retry (429s, connections that never reached the server)
    #[arg(long, default_value_t = enjo::DEFAULT_MAX_RETRIES)]
    max_retries: u32,
    /// Turn off client-side rate limiting (the server's 429s are still retried)
    #[arg(long)]
    no_rate_limit: bool,
    /// Client-side quotas instead of the documented ones, e.g. `10/5s,20/60s` (a share of
    /// your IP's budget, or a test server's scaled limits)
    #[arg(long, value_name = "SPEC", conflicts_with = "no_rate_limit")]
    rate_limit: Option<String>,
    /// Share the rate limit with other processes: `memory` (this process only, the default),
    /// `file:/abs/path` (every process of this machine naming the file), `redis://host:6379/0`,
    /// `rediss://…` or `redis+unix:///path.sock` (every host naming the same Redis and key).
    /// Default: the ENJO_RATE_LIMIT_STORE environment variable
    #[arg(long, value_name = "STORE")]
    rate_limit_store: Option<String>,
    /// The shared log's name in a Redis store (default: ENJO_RATE_LIMIT_KEY, else the base
    /// URL's origin)
    #[arg(long, value_name = "KEY")]
    rate_limit_key: Option<String>,
    /// When the rate limit store is unavailable, limit this process alone (with a warning)
    /// instead of failing with exit code 14
    #[arg(long)]
    rate_limit_store_fallback: bool,
    /// Log each attempt, wait and retry to stderr (the token is never logged)
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Send one message to a bot and print its answer, sources, conversation id and ticket
    Send {
        /// The bot's id, from your Enjo dashboard
        bot_id: String,
        /// The message (use quotes)
        text: String,
        /// Continue this conversation
        #[arg(long, short = 'c')]
        conversation_id: Option<String>,
        /// Print the API's JSON reply (and errors as JSON) instead of text
        #[arg(long)]
        json: bool,
        /// Send an extra header on every attempt, as `'Name: value'` (repeatable).
        /// Authorization, Content-Type, Host and the other headers the SDK sets are refused;
        /// `X-Request-Id` replaces the generated request id
        #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", value_parser = parse_header)]
        headers: Vec<(String, String)>,
        #[command(flatten)]
        client: Global,
    },
    /// Chat with a bot: one message per line (interactive, or piped on stdin); the conversation
    /// id is kept. `/new` starts a new conversation, `/quit` or end of input stops
    Chat {
        /// The bot's id, from your Enjo dashboard
        bot_id: String,
        /// Resume this conversation
        #[arg(long, short = 'c')]
        conversation_id: Option<String>,
        #[command(flatten)]
        client: Global,
    },
    /// Run a local Enjo-compatible server (for tests, demos and offline work)
    Mock(enjo_mock::cli::MockArgs),
    /// Print a shell completion script
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `enjo man > enjo.1`, then `man ./enjo.1`
    Man,
}

/// The ids of [`Global`]'s arguments (its field names).
const CLIENT_ARGS: [&str; 12] = [
    "base_url",
    "allow_insecure_http",
    "token_file",
    "token",
    "timeout",
    "max_retries",
    "no_rate_limit",
    "rate_limit",
    "rate_limit_store",
    "rate_limit_key",
    "rate_limit_store_fallback",
    "verbose",
];

fn given(matches: &ArgMatches, id: &str) -> bool {
    matches.value_source(id) == Some(ValueSource::CommandLine)
}

impl Global {
    /// The options of `send`/`chat`: each one given after the subcommand (`sub`) wins over the
    /// same one given before it (`top`); either wins over the environment and defaults. The
    /// token is one choice: `--token`/`--token-file` after the subcommand replace both before.
    fn merged(
        top: &Global,
        top_matches: &ArgMatches,
        sub: Global,
        sub_matches: &ArgMatches,
    ) -> Global {
        let from_top = |id: &str| given(top_matches, id) && !given(sub_matches, id);
        let mut merged = sub;
        if from_top("base_url") {
            merged.base_url = top.base_url.clone();
        }
        if !given(sub_matches, "token") && !given(sub_matches, "token_file") {
            merged.token = top.token.clone();
            merged.token_file = top.token_file.clone();
        }
        if from_top("timeout") {
            merged.timeout = top.timeout;
        }
        if from_top("max_retries") {
            merged.max_retries = top.max_retries;
        }
        if from_top("rate_limit") {
            merged.rate_limit = top.rate_limit.clone();
        }
        if from_top("rate_limit_store") {
            merged.rate_limit_store = top.rate_limit_store.clone();
        }
        if from_top("rate_limit_key") {
            merged.rate_limit_key = top.rate_limit_key.clone();
        }
        merged.no_rate_limit |= top.no_rate_limit;
        merged.allow_insecure_http |= top.allow_insecure_http;
        merged.rate_limit_store_fallback |= top.rate_limit_store_fallback;
        merged.verbose |= top.verbose;
        merged
    }
}

fn main() -> ExitCode {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|matches| Ok((Cli::from_arg_matches(&matches)?, matches)))
        .and_then(|(cli, matches)| resolve(cli, &matches));
    match parsed {
        Ok(command) => ExitCode::from(run(command)),
        Err(err) => {
            let _ = err.print();
            ExitCode::from(if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            })
        }
    }
}

/// Folds the client options given before the subcommand into it; a usage error when that
/// subcommand does not talk to the API (`enjo --base-url X mock` would silently ignore them).
fn resolve(cli: Cli, matches: &ArgMatches) -> Result<Command, clap::Error> {
    let sub_matches = matches.subcommand().map(|(_, m)| m);
    let Cli {
        client: top,
        command,
    } = cli;
    Ok(match (command, sub_matches) {
        (
            Command::Send {
                bot_id,
                text,
                conversation_id,
                json,
                headers,
                client,
            },
            Some(sub),
        ) => Command::Send {
            bot_id,
            text,
            conversation_id,
            json,
            headers,
            client: Global::merged(&top, matches, client, sub),
        },
        (
            Command::Chat {
                bot_id,
                conversation_id,
                client,
            },
            Some(sub),
        ) => Command::Chat {
            bot_id,
            conversation_id,
            client: Global::merged(&top, matches, client, sub),
        },
        (command, _) => {
            if let Some(id) = CLIENT_ARGS.iter().find(|id| given(matches, id)) {
                let flag = format!("--{}", id.replace('_', "-"));
                let name = matches.subcommand_name().unwrap_or("this command");
                return Err(Cli::command().error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!(
                        "{flag} is a client option (of `send` and `chat`); `enjo {name}` does \
                         not take it{}",
                        if name == "mock" {
                            ": the server's own flags follow `mock`, e.g. `enjo mock --token T` \
                             sets the token it accepts"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            command
        }
    })
}

fn run(command: Command) -> u8 {
    let code = run_command(command);
    // A shared rate-limit store hears of the last request's completion in the background:
    // give it a moment before the process ends.
    enjo::RateLimiter::settle_blocking(Duration::from_secs(2));
    code
}

fn run_command(command: Command) -> u8 {
    match command {
        Command::Send {
            bot_id,
            text,
            conversation_id,
            json,
            headers,
            client,
        } => {
            let mut options = SendOptions::new();
            options.conversation_id = conversation_id;
            options.headers = headers;
            send(&client, &bot_id, &text, &options, json)
        }
        Command::Chat {
            bot_id,
            conversation_id,
            client,
        } => chat(&client, bot_id, conversation_id),
        Command::Mock(args) => match enjo_mock::cli::run(args) {
            Ok(()) => exit::OK,
            Err(err) => {
                eprintln!("enjo mock: {err:#}");
                exit::FAILURE
            }
        },
        Command::Completions { shell } => {
            // Generated into memory first: clap_complete panics when its writer fails, and
            // `enjo completions bash | head` closes the pipe early.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "enjo", &mut script);
            print_generated(&script, "the completions")
        }
        Command::Man => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => print_generated(&page, "the manual page"),
                Err(err) => {
                    eprintln!("error: cannot render the manual page: {err}");
                    exit::FAILURE
                }
            }
        }
    }
}

/// Writes a generated script or page to stdout; a reader that closed the pipe early
/// (`enjo man | head`) is not an error.
fn print_generated(bytes: &[u8], what: &str) -> u8 {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => exit::OK,
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => exit::OK,
        Err(err) => {
            eprintln!("error: cannot write {what}: {err}");
            exit::FAILURE
        }
    }
}

/// Builds the client from the command's flags, reporting the spinner's events.
fn client(global: &Global, progress: &Progress) -> Result<blocking::Client, Error> {
    if global.verbose {
        let _ = tracing_subscriber::fmt()
            .with_writer(io::stderr)
            .with_ansi(io::stderr().is_terminal())
            .with_env_filter("enjo=debug")
            .with_target(false)
            .try_init();
    }
    let mut builder = blocking::Client::builder()
        .option_names(flag_names())
        .allow_insecure_http(global.allow_insecure_http)
        .max_retries(global.max_retries)
        .user_agent(concat!("enjo-cli/", env!("CARGO_PKG_VERSION")));
    let timeout = Duration::try_from_secs_f64(global.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| Error::invalid_argument("--timeout must be a number of seconds above 0"))?;
    builder = builder.timeout(timeout);
    if let Some(url) = &global.base_url {
        builder = builder.base_url(url);
    }
    if let Some(path) = &global.token_file {
        let token = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid_argument(format!("cannot read --token-file {}: {e}", path.display()))
        })?;
        builder = builder.token(token.trim());
    } else if let Some(token) = &global.token {
        builder = builder.token(token);
    } else if std::env::var_os(enjo::ENV_TOKEN).is_none_or(|t| t.is_empty()) {
        return Err(Error::invalid_argument(format!(
            "no API token: set {}, or pass --token-file PATH (or --token TOKEN, which other \
             users can see in `ps`). Create one under Settings → Personal Access Token in Enjo; \
             `enjo mock` accepts enjo-mock-token by default",
            enjo::ENV_TOKEN
        )));
    }
    if global.no_rate_limit {
        builder = builder.rate_limit(RateLimit::Off);
    } else if let Some(spec) = &global.rate_limit {
        builder = builder.rate_limit(RateLimit::Custom(enjo::Quota::parse_list(spec)?));
    }
    // The store goes through core's options layer, which parses it once and names it as the
    // flag in its messages (`ENJO_RATE_LIMIT_STORE` when the environment gave it).
    let store = enjo::options::ClientOptions {
        rate_limit_store: global.rate_limit_store.clone(),
        rate_limit_key: global.rate_limit_key.clone(),
        rate_limit_store_fallback: Some(global.rate_limit_store_fallback),
        ..enjo::options::ClientOptions::default()
    };
    builder = store.apply(&flag_names(), builder)?;
    let progress = progress.clone();
    builder
        .observer(move |event| progress.on_event(event))
        .build()
}

/// Core's options as this CLI's flags, in messages: `--allow-insecure-http`, `--base-url`.
fn flag_names() -> enjo::options::Host {
    enjo::options::Host::new(enjo::Spelling::Snake, enjo::options::TimeUnit::Seconds).with_aliases(
        &[
            ("allow_insecure_http", "--allow-insecure-http"),
            ("base_url", "--base-url"),
            ("rate_limit_store", "--rate-limit-store"),
            ("rate_limit_store_fallback", "--rate-limit-store-fallback"),
        ],
    )
}

/// Prints an error to stderr (or as JSON on stdout) and returns its exit code.
fn report(err: &Error, json: bool) -> u8 {
    if json {
        println!("{}", output::json_error(err));
    } else {
        eprintln!("error: {err}");
    }
    exit::for_kind(err.kind())
}

/// `Name: value` (as curl's `-H`) into a header pair; the SDK checks the name and value.
fn parse_header(arg: &str) -> Result<(String, String), String> {
    match arg.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err("expected 'Name: value', e.g. --header 'X-Tenant: acme'".to_owned()),
    }
}

fn send(global: &Global, bot_id: &str, text: &str, options: &SendOptions, json: bool) -> u8 {
    let progress = Progress::for_stderr();
    let client = match client(global, &progress) {
        Ok(client) => client,
        Err(err) => return report(&err, json),
    };
    progress.start(progress::WAITING);
    let result = client.send_message_with(bot_id, text, options);
    progress.stop();
    let reply = match result {
        Ok(reply) => reply,
        Err(err) => return report(&err, json),
    };
    if global.verbose
        && let Some(id) = &reply.request_id
    {
        eprintln!("request id: {id}");
    }
    let mut out = io::stdout().lock();
    let written = if json {
        output::json_reply(&reply, &mut out)
    } else {
        output::human(&reply, &mut out)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => exit::OK,
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => exit::OK,
        Err(err) => {
            eprintln!("error: cannot write the reply: {err}");
            exit::FAILURE
        }
    }
}

fn chat(global: &Global, bot_id: String, conversation_id: Option<String>) -> u8 {
    let progress = Progress::for_stderr();
    let client = match client(global, &progress) {
        Ok(client) => client,
        Err(err) => return report(&err, false),
    };
    let interactive = io::stdin().is_terminal();
    let new_conversation = |id: Option<String>| match id {
        Some(id) => client.resume_conversation(bot_id.clone(), id),
        None => client.conversation(bot_id.clone()),
    };
    let mut conversation = new_conversation(conversation_id);
    let mut shown_ticket: Option<String> = None;
    let mut status = exit::OK;
    if interactive {
        eprintln!("Chatting with {bot_id}. /new starts over, /quit (or Ctrl-D) ends.");
    }
    let mut lines = io::stdin().lock().lines();
    loop {
        if interactive {
            eprint!("you> ");
            let _ = io::stderr().flush();
        }
        let line = match lines.next() {
            Some(Ok(line)) => line,
            Some(Err(err)) => {
                eprintln!("error: cannot read input: {err}");
                return exit::FAILURE;
            }
            None => break,
        };
        let text = line.trim();
        match text {
            "" => continue,
            "/quit" | "/exit" => break,
            "/new" => {
                // The finished conversation's id (the one a ticket belongs to) before it goes.
                show_conversation(conversation.id());
                conversation = new_conversation(None);
                shown_ticket = None;
                eprintln!("(new conversation)");
                continue;
            }
            _ => {}
        }
        progress.start(progress::WAITING);
        let result = conversation.send(text);
        progress.stop();
        match result {
            Ok(reply) => {
                let mut out = io::stdout().lock();
                let _ = writeln!(out, "{}", reply.answers.as_deref().unwrap_or("(no answer)"));
                if let Some(ticket) = &reply.ticket {
                    let key = ticket.case_number.clone().or_else(|| ticket.id.clone());
                    if key != shown_ticket {
                        let _ = output::ticket_summary(ticket, &mut out);
                        shown_ticket = key;
                    }
                }
                let _ = out.flush();
            }
            Err(err) => {
                // Keep chatting after an error; remember it for the exit code.
                status = report(&err, false);
                if !interactive && err.kind() == enjo::ErrorKind::Authentication {
                    return status;
                }
            }
        }
    }
    show_conversation(conversation.id());
    status
}

/// `Conversation: <id>` on stdout, as `enjo send` prints it, for a conversation that has one.
fn show_conversation(id: Option<String>) {
    if let Some(id) = id {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "Conversation: {id}").and_then(|()| out.flush());
    }
}
