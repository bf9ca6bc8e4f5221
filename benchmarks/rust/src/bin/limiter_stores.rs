//! Admission latency of the rate limiter per store: `limiter_stores SPEC...` (each a
//! `rate_limit_store` value: `memory`, `file:/path`, `redis://…`, `redis+unix://…`), with one
//! caller and with 64 concurrent callers, quotas so high that nothing ever waits (1,000,000
//! per 1 ms: the log stays as small as with the documented limits). One admission is an
//! acquire plus the completion of its permit (the store's background update included: the
//! run ends when every update has landed). Prints µs per admission and the ratio to the first
//! store given (run it with `memory` first).

use std::sync::Arc;
use std::time::{Duration, Instant};

use enjo::ratelimit::{Quota, RateLimiter, StoreSpec};

const CONCURRENT: usize = 64;

fn limiter(spec: &str) -> Result<Arc<RateLimiter>, String> {
    let parsed = StoreSpec::parse("store", spec).map_err(|e| e.to_string())?;
    match parsed {
        StoreSpec::Memory => Ok(Arc::new(RateLimiter::in_memory())),
        other => RateLimiter::for_store(&other, "bench", false, Some(Duration::ZERO))
            .map_err(|e| e.to_string()),
    }
}

async fn run(limiter: &Arc<RateLimiter>, callers: usize, total: usize) -> Result<f64, String> {
    let quotas = [Quota::new(1_000_000, Duration::from_millis(1))];
    // Warm up: connect, load the script, create the file.
    for _ in 0..20 {
        limiter
            .acquire(&quotas, None)
            .await
            .map_err(|e| e.to_string())?
            .complete();
    }
    RateLimiter::settle(Duration::from_secs(10)).await;
    let start = Instant::now();
    let per_caller = total / callers;
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                for _ in 0..per_caller {
                    limiter.acquire(&quotas, None).await?.complete();
                }
                Ok::<(), enjo::Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    }
    RateLimiter::settle(Duration::from_secs(60)).await;
    Ok(start.elapsed().as_secs_f64() * 1e6 / (per_caller * callers) as f64)
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let specs: Vec<String> = std::env::args().skip(1).collect();
    if specs.is_empty() {
        return Err(
            "usage: limiter_stores SPEC... (e.g. memory file:/tmp/s redis://127.0.0.1:6379)".into(),
        );
    }
    let mut base: Option<(f64, f64)> = None;
    println!(
        "{:<44} {:>14} {:>8} {:>14} {:>8}",
        "store", "1 caller µs", "ratio", "64 callers µs", "ratio"
    );
    for spec in &specs {
        let limiter = limiter(spec)?;
        let total = if spec == "memory" { 200_000 } else { 5_000 };
        let one = run(&limiter, 1, total).await?;
        let many = run(&limiter, CONCURRENT, total).await?;
        let (b1, bn) = *base.get_or_insert((one, many));
        let shown = StoreSpec::parse("store", spec)
            .map_err(|e| e.to_string())?
            .describe();
        println!(
            "{shown:<44} {one:>14.2} {:>8.1} {many:>14.2} {:>8.1}",
            one / b1,
            many / bn
        );
    }
    Ok(())
}
