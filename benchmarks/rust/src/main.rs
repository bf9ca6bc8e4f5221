//! `cargo run --release -p enjo-bench`: the core client against raw reqwest doing the same
//! POST and JSON parse, against one `enjo-mock` process (limits off), and the rate limiter's
//! uncontended acquire cost against a tokio semaphore. Prints medians and ratios.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use enjo::{Quota, RateLimit, RateLimiter};

const CALLS: usize = 2000;
const IN_FLIGHT: usize = 64;
const TOKEN: &str = "enjo-mock-token";

struct Mock {
    child: Child,
    url: String,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_mock() -> Result<Mock, String> {
    let bin = std::env::var("ENJO_MOCK_BIN").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/release/enjo-mock"
        )
        .to_owned()
    });
    let mut child = Command::new(&bin)
        .args([
            "--port",
            "0",
            "--rate-limit",
            "off",
            "--quiet",
            "--exit-on-stdin-close",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {bin}: {e} (cargo build --release -p enjo-mock)"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let port = line
        .strip_prefix("LISTENING ")
        .map(str::trim)
        .ok_or_else(|| format!("unexpected first line {line:?}"))?;
    Ok(Mock {
        url: format!("http://127.0.0.1:{port}"),
        child,
    })
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn sequential<F, Fut>(mut call: F) -> Duration
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for i in 0..100 {
        call(i).await; // warm-up: connections, caches
    }
    let mut samples = Vec::with_capacity(CALLS);
    for i in 0..CALLS {
        let start = Instant::now();
        call(i).await;
        samples.push(start.elapsed());
    }
    median(samples)
}

async fn concurrent<F, Fut>(call: F) -> f64
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let call = Arc::new(call);
    let start = Instant::now();
    let per_task = CALLS / IN_FLIGHT;
    let tasks: Vec<_> = (0..IN_FLIGHT)
        .map(|t| {
            let call = call.clone();
            tokio::spawn(async move {
                for i in 0..per_task {
                    call(t * per_task + i).await;
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    (per_task * IN_FLIGHT) as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), String> {
    let mock = start_mock()?;
    let url = format!("{}/v1/bots/echo-bot/message", mock.url);
    let enjo = enjo::Client::builder()
        .ignore_env()
        .token(TOKEN)
        .base_url(&mock.url)
        .rate_limit(RateLimit::Off)
        .build()
        .map_err(|e| e.to_string())?;
    let raw = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .map_err(|e| e.to_string())?;

    let enjo_call = {
        let enjo = enjo.clone();
        move |i: usize| {
            let enjo = enjo.clone();
            async move {
                let reply = enjo
                    .send_message("echo-bot", &format!("hello {i}"), None)
                    .await;
                assert!(reply.is_ok(), "{reply:?}");
            }
        }
    };
    let raw_call = {
        let raw = raw.clone();
        let url = url.clone();
        move |i: usize| {
            let raw = raw.clone();
            let url = url.clone();
            async move {
                let body = serde_json::json!({"message": {"text": format!("hello {i}")}});
                let response = raw
                    .post(&url)
                    .bearer_auth(TOKEN)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await
                    .expect("reqwest send");
                let bytes = response.bytes().await.expect("reqwest body");
                let value: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
                assert!(value["data"]["answers"].is_string());
            }
        }
    };

    println!("enjo core vs raw reqwest, {CALLS} calls against enjo-mock (limits off)");
    let enjo_seq = sequential(&enjo_call).await;
    let raw_seq = sequential(&raw_call).await;
    println!(
        "  sequential median latency: enjo {:.1} µs, reqwest {:.1} µs, ratio {:.2} (per-call overhead {:+.1} µs)",
        us(enjo_seq),
        us(raw_seq),
        us(enjo_seq) / us(raw_seq),
        us(enjo_seq) - us(raw_seq)
    );
    let enjo_tp = concurrent(enjo_call).await;
    let raw_tp = concurrent(raw_call).await;
    println!(
        "  {IN_FLIGHT} in flight throughput: enjo {enjo_tp:.0} req/s, reqwest {raw_tp:.0} req/s, ratio {:.2}",
        enjo_tp / raw_tp
    );

    // The limiter alone: uncontended acquire + release, with quotas that never bind.
    let limiter = Arc::new(RateLimiter::in_memory());
    let quotas = [
        Quota::new(u32::MAX, Duration::from_secs(60)),
        Quota::new(u32::MAX, Duration::from_secs(5)),
    ];
    let n = 200_000;
    let start = Instant::now();
    for _ in 0..n {
        let permit = limiter
            .acquire(&quotas, None)
            .await
            .map_err(|e| e.to_string())?;
        permit.complete();
    }
    let limiter_ns = start.elapsed().as_secs_f64() * 1e9 / n as f64;
    let semaphore = tokio::sync::Semaphore::new(1);
    let start = Instant::now();
    for _ in 0..n {
        let permit = semaphore.acquire().await.map_err(|e| e.to_string())?;
        drop(permit);
    }
    let semaphore_ns = start.elapsed().as_secs_f64() * 1e9 / n as f64;
    println!(
        "rate limiter uncontended acquire+release: {limiter_ns:.0} ns (tokio Semaphore {semaphore_ns:.0} ns, ratio {:.1}); {:.4}% of one call",
        limiter_ns / semaphore_ns,
        limiter_ns / (us(enjo_seq) * 1000.0) * 100.0
    );
    Ok(())
}
