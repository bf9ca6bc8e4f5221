//! The Rust soak of `benchmarks/soak/bench.sh`: SOAK_CALLS (default 100,000) sequential calls
//! of the async client against enjo mock (limits off) at ENJO_BASE_URL, in the mix every soak
//! program uses (`benchmarks/soak/README.md`): per 200 calls, 1 timeout, 16 4xx, 16 5xx and
//! 167 successes, the faults asked for with the mock's `X-Enjo-Mock-Fault` header. Prints
//! `calls,rss_kb,fds` every SOAK_EVERY (10,000) calls, from /proc/self.

use std::time::Duration;

use enjo::{Client, ErrorKind, RateLimit, SendOptions};

/// The fault (and per-call timeout) of call `i`: the one mix every soak program uses.
fn mix(i: u64) -> (Option<&'static str>, Option<f64>) {
    let k = i % 200;
    match k {
        0 => (Some("delay=100"), Some(0.02)),
        1..=16 => (
            Some(["status=400", "status=404", "status=401"][(k % 3) as usize]),
            None,
        ),
        17..=32 => (
            Some(["500", "html-502", "empty-body=503"][(k % 3) as usize]),
            None,
        ),
        _ => (None, None),
    }
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn fds() -> usize {
    // The directory handle of the listing itself is one entry: leave it out.
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count().saturating_sub(1))
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let calls = env_u64("SOAK_CALLS", 100_000);
    let every = env_u64("SOAK_EVERY", 10_000).max(1);
    let base_url = std::env::var("ENJO_BASE_URL")?;
    let client = Client::builder()
        .ignore_env()
        .token("enjo-mock-token")
        .base_url(base_url)
        .rate_limit(RateLimit::Off)
        .max_retries(0)
        .timeout(Duration::from_secs(10))
        .build()?;
    let mut counts = [0u64; 5]; // ok, 4xx, 5xx, timeout, other
    println!("calls,rss_kb,fds");
    println!("0,{},{}", rss_kb(), fds());
    for i in 0..calls {
        let (fault, timeout) = mix(i);
        let mut options = SendOptions::default();
        if let Some(fault) = fault {
            options = options.header("X-Enjo-Mock-Fault", fault);
        }
        if let Some(secs) = timeout {
            options = options.timeout(Duration::from_secs_f64(secs));
        }
        let text = format!("soak {i}");
        let slot = match client.send_message_with("echo-bot", &text, &options).await {
            Ok(_) => 0,
            Err(e) => match e.kind() {
                ErrorKind::InvalidRequest | ErrorKind::NotFound | ErrorKind::Authentication => 1,
                ErrorKind::Server => 2,
                ErrorKind::Timeout => 3,
                _ => 4,
            },
        };
        counts[slot] += 1;
        if (i + 1) % every == 0 {
            println!("{},{},{}", i + 1, rss_kb(), fds());
        }
    }
    eprintln!(
        "rust: ok {} 4xx {} 5xx {} timeout {} other {}",
        counts[0], counts[1], counts[2], counts[3], counts[4]
    );
    Ok(())
}
