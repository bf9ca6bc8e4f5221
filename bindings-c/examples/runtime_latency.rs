//! Where libenjo's per-call time goes, for the benchmark in `benchmarks/c/` (libenjo vs
//! libcurl). Sends the same message to the echo bot of a release `enjo-mock` four ways:
//!
//! 1. `enjo::blocking::Client::send_message` from a plain thread: what `enjo_send_message`
//!    does (the request future runs on the calling thread, the connection on the core's
//!    runtime workers: two cross-thread wake-ups per call);
//! 2. the async client in `Runtime::block_on` on the core's runtime (same split);
//! 3. the async client inside a task spawned on that runtime (all on one worker);
//! 4. the async client on a current-thread runtime owned by the calling thread (everything on
//!    the caller's thread, like libcurl).
//!
//! `cargo run --release -p enjo-c --example runtime_latency` (after
//! `cargo build --release -p enjo-mock`). Prints the median of each.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

const TEXT: &str = "How do I reset my VPN password? Please answer briefly.";
const ROUNDS: usize = 20;
const PER_ROUND: usize = 100;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

async fn timed(client: &enjo_core::Client, calls: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(calls);
    for _ in 0..calls {
        let start = Instant::now();
        let reply = client.send_message("echo-bot", TEXT, None).await;
        assert!(
            matches!(&reply, Ok(r) if r.answers.as_deref() == Some(TEXT)),
            "{reply:?}"
        );
        out.push(start.elapsed().as_secs_f64() * 1e6);
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bin = std::env::var("ENJO_MOCK_BIN").unwrap_or_else(|_| "target/release/enjo-mock".into());
    let mut mock = Command::new(&bin)
        .args(["--port", "0", "--rate-limit", "off", "--quiet"])
        .arg("--exit-on-stdin-close")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(mock.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    let port = line
        .trim()
        .strip_prefix("LISTENING ")
        .ok_or("no LISTENING line")?;
    let url = format!("http://127.0.0.1:{port}");
    let builder = || {
        enjo_core::Client::builder()
            .ignore_env()
            .token("enjo-mock-token")
            .base_url(&url)
            .rate_limit(enjo_core::RateLimit::Off)
            .max_retries(0)
    };
    let blocking = builder().build_blocking()?;
    let runtime = enjo_core::runtime()?;
    let (mut from_thread, mut in_block_on, mut in_task) = (vec![], vec![], vec![]);
    for round in 0..ROUNDS {
        let warm = round < 2;
        for _ in 0..PER_ROUND {
            let start = Instant::now();
            let reply = blocking.send_message("echo-bot", TEXT, None)?;
            assert_eq!(reply.answers.as_deref(), Some(TEXT));
            if !warm {
                from_thread.push(start.elapsed().as_secs_f64() * 1e6);
            }
        }
        let client = blocking.as_async().clone();
        let v = runtime.block_on(async { timed(&client, PER_ROUND).await });
        if !warm {
            in_block_on.extend(v);
        }
        let v = runtime.block_on(runtime.spawn(async move { timed(&client, PER_ROUND).await }))?;
        if !warm {
            in_task.extend(v);
        }
    }
    let local = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let own = builder().build()?;
    let mut current = local.block_on(async { timed(&own, (ROUNDS - 2) * PER_ROUND + 200).await });
    current.drain(..200);
    println!(
        "median per call, echo bot, {} calls each:",
        from_thread.len()
    );
    println!(
        "  blocking client from a plain thread  {:7.1} us",
        median(from_thread)
    );
    println!(
        "  async client in Runtime::block_on    {:7.1} us",
        median(in_block_on)
    );
    println!(
        "  async client in a spawned task       {:7.1} us",
        median(in_task)
    );
    println!(
        "  async client, current-thread runtime {:7.1} us",
        median(current)
    );
    drop(mock.stdin.take());
    mock.wait()?;
    Ok(())
}
