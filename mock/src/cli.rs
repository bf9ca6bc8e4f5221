//! The command line of `enjo-mock` and of `enjo mock` (same flags, same behaviour).

use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Context;

use crate::config::{DEFAULT_BOTS_TOML, DEFAULT_TOKEN, MockConfig, parse_rate_limit};
use crate::server::MockServer;

/// Flags of the mock server.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "The first line on stdout is `LISTENING <port>`. \
    Default token: enjo-mock-token. Faults, bots and the /_mock API: see mock/README.md.")]
pub struct MockArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on (0: a free port, printed on the first line of stdout)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Accepted bearer token (repeat for several) [default: enjo-mock-token]
    #[arg(long = "token", value_name = "TOKEN")]
    pub tokens: Vec<String>,
    /// Bots from this TOML file instead of the built-in ones (see --print-config)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the built-in bots as TOML and exit
    #[arg(long)]
    pub print_config: bool,
    /// Per-IP limits, e.g. `20/60s,10/5s` (the documented ones, the default), or `off`
    #[arg(long, default_value = "20/60s,10/5s", value_name = "SPEC")]
    pub rate_limit: String,
    /// Exit when stdin reaches end of file (lets a test fixture own the process)
    #[arg(long)]
    pub exit_on_stdin_close: bool,
    /// Do not log requests to stderr
    #[arg(long, short)]
    pub quiet: bool,
}

impl MockArgs {
    /// The server configuration these flags describe.
    pub fn config(&self) -> anyhow::Result<MockConfig> {
        let mut config = MockConfig {
            host: self.host,
            port: self.port,
            ..MockConfig::default()
        };
        if !self.tokens.is_empty() {
            config.tokens = self.tokens.clone();
        }
        if let Some(path) = &self.config {
            config = config.with_bots_file(path).map_err(anyhow::Error::msg)?;
        }
        config.rate_limit = parse_rate_limit(&self.rate_limit).map_err(anyhow::Error::msg)?;
        Ok(config)
    }
}

/// Runs the server until SIGINT/SIGTERM (or end of stdin with `--exit-on-stdin-close`).
pub fn run(args: MockArgs) -> anyhow::Result<()> {
    if args.print_config {
        print!("{DEFAULT_BOTS_TOML}");
        return Ok(());
    }
    let config = args.config()?;
    if !args.quiet {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter("enjo_mock=info")
            .with_target(false)
            .try_init();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let stdin_closed = args.exit_on_stdin_close.then(watch_stdin);
    runtime.block_on(async move {
        // Signal handlers first: a fixture that stops the server as soon as it reads
        // `LISTENING` must get a clean exit, not the default action of SIGTERM.
        let signals = StopSignals::install();
        let server = MockServer::start(config.clone())
            .await
            .with_context(|| format!("cannot listen on {}:{}", config.host, config.port))?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "LISTENING {}", server.port())?;
        stdout.flush()?;
        drop(stdout);
        let bots: Vec<&str> = config.bots.iter().map(|b| b.id.as_str()).collect();
        let tokens = if config.tokens == [DEFAULT_TOKEN] {
            format!("{DEFAULT_TOKEN} (the default test token)")
        } else {
            format!("{} configured", config.tokens.len())
        };
        let limits = match &config.rate_limit {
            Some(q) => q
                .iter()
                .map(|q| format!("{}/{:?}", q.requests, q.window))
                .collect::<Vec<_>>()
                .join(", "),
            None => "off".to_owned(),
        };
        eprintln!(
            "enjo mock listening on {}\n  token: {tokens}\n  bots: {}\n  rate limits per IP: {limits}",
            server.url(),
            bots.join(", ")
        );
        signals.wait(stdin_closed).await;
        drop(server);
        anyhow::Ok(())
    })?;
    runtime.shutdown_background();
    Ok(())
}

/// A receiver that completes when stdin reaches end of file (read on a plain thread, so that
/// shutting the runtime down never waits for it).
fn watch_stdin() -> tokio::sync::oneshot::Receiver<()> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        let _ = tx.send(());
    });
    rx
}

/// SIGINT and SIGTERM, caught from the moment they are installed.
struct StopSignals {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Installs the handlers (must run inside the runtime). A handler that cannot be
    /// installed leaves that signal's default action in place.
    fn install() -> StopSignals {
        use tokio::signal::unix::{SignalKind, signal};
        StopSignals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    /// Completes on SIGINT, SIGTERM, or end of stdin when watched.
    async fn wait(mut self, stdin_closed: Option<tokio::sync::oneshot::Receiver<()>>) {
        async fn on(signal: Option<&mut tokio::signal::unix::Signal>) {
            match signal {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        let stdin = async {
            match stdin_closed {
                Some(rx) => {
                    let _ = rx.await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = on(self.interrupt.as_mut()) => {}
            () = on(self.terminate.as_mut()) => {}
            () = stdin => {}
        }
    }
}
