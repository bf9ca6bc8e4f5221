//! One contender of `make bench-report` (benchmarks/report): `report_client KIND URL SEQ CONC
//! WARMUP`, KIND one of `reqwest`, `enjo-async`, `enjo-blocking`. Makes WARMUP calls, then SEQ
//! sequential calls (each one timed), then CONC calls with 64 in flight, against URL (a base
//! URL: the POST goes to `URL/v1/bots/$BENCH_BOT/message`, `bench-bot` by default), and prints one JSON line:
//! `{"seq_us": [...], "conc_calls": N, "conc_s": seconds}`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use enjo::RateLimit;
use serde::Deserialize;

const TOKEN: &str = "enjo-mock-token";
/// The bot every request goes to: report.py sets `BENCH_BOT` (`enjo mock` knows only its own
/// bots).
static BOT: LazyLock<String> = LazyLock::new(|| {
    std::env::var("BENCH_BOT")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "bench-bot".to_owned())
});
const TEXT: &str = "Request for ticket generation";
const IN_FLIGHT: usize = 64;

/// What a user of plain reqwest + serde would declare: the fields they read.
#[derive(Deserialize)]
struct Reply {
    success: bool,
    data: Option<Data>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    answers: Option<String>,
    #[allow(dead_code)]
    conversation_id: Option<String>,
}

#[derive(serde::Serialize)]
struct Request<'a> {
    message: Message<'a>,
}

#[derive(serde::Serialize)]
struct Message<'a> {
    text: &'a str,
}

type Call = Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

fn enjo_client(base: &str) -> Result<enjo::Client, String> {
    enjo::Client::builder()
        .ignore_env()
        .token(TOKEN)
        .base_url(base)
        .rate_limit(RateLimit::Off)
        .max_retries(0)
        .build()
        .map_err(|e| e.to_string())
}

fn make_call(kind: &str, base: &str) -> Result<Call, String> {
    match kind {
        "reqwest" => {
            // reqwest is built here as enjo builds it (rustls without a default provider): the
            // first enjo client installs ring as the process's provider, as an application
            // using both would see.
            enjo_client(base)?;
            let client = reqwest::Client::builder()
                .tcp_nodelay(true)
                .build()
                .map_err(|e| e.to_string())?;
            let url: Arc<str> = format!("{base}/v1/bots/{}/message", BOT.as_str()).into();
            Ok(Arc::new(move || {
                let client = client.clone();
                let url = url.clone();
                Box::pin(async move {
                    let body = match serde_json::to_vec(&Request {
                        message: Message { text: TEXT },
                    }) {
                        Ok(b) => b,
                        Err(_) => return false,
                    };
                    let Ok(response) = client
                        .post(&*url)
                        .bearer_auth(TOKEN)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                    else {
                        return false;
                    };
                    if !response.status().is_success() {
                        return false;
                    }
                    let Ok(bytes) = response.bytes().await else {
                        return false;
                    };
                    match serde_json::from_slice::<Reply>(&bytes) {
                        Ok(r) => r.success && r.data.and_then(|d| d.answers).is_some(),
                        Err(_) => false,
                    }
                })
            }))
        }
        "enjo-async" => {
            let client = enjo_client(base)?;
            Ok(Arc::new(move || {
                let client = client.clone();
                Box::pin(async move {
                    client
                        .send_message(BOT.as_str(), TEXT, None)
                        .await
                        .is_ok_and(|r| r.answers.is_some())
                })
            }))
        }
        other => Err(format!("unknown contender {other}")),
    }
}

fn print(seq: &[f64], conc_calls: usize, conc_s: f64) {
    let seq: Vec<String> = seq.iter().map(|v| format!("{v:.2}")).collect();
    println!(
        "{{\"seq_us\": [{}], \"conc_calls\": {conc_calls}, \"conc_s\": {conc_s:.6}}}",
        seq.join(",")
    );
}

fn blocking(base: &str, seq: usize, conc: usize, warmup: usize) -> Result<(), String> {
    let client = enjo::blocking::Client::from_async(enjo_client(base)?);
    let call = |c: &enjo::blocking::Client| {
        c.send_message(BOT.as_str(), TEXT, None)
            .is_ok_and(|r| r.answers.is_some())
    };
    for _ in 0..warmup {
        if !call(&client) {
            return Err("warm-up call failed".into());
        }
    }
    let mut lat = Vec::with_capacity(seq);
    for _ in 0..seq {
        let start = Instant::now();
        if !call(&client) {
            return Err("call failed".into());
        }
        lat.push(start.elapsed().as_secs_f64() * 1e6);
    }
    // 64 in flight from a blocking client means 64 threads sharing it.
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..IN_FLIGHT {
            s.spawn(|| {
                while next.fetch_add(1, Ordering::Relaxed) < conc {
                    if !call(&client) {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let elapsed = start.elapsed().as_secs_f64();
    if failed.load(Ordering::Relaxed) > 0 {
        return Err("a concurrent call failed".into());
    }
    print(&lat, conc, elapsed);
    Ok(())
}

async fn run_async(
    kind: &str,
    base: &str,
    seq: usize,
    conc: usize,
    warmup: usize,
) -> Result<(), String> {
    let call = make_call(kind, base)?;
    for _ in 0..warmup {
        if !call().await {
            return Err("warm-up call failed".into());
        }
    }
    let mut lat = Vec::with_capacity(seq);
    for _ in 0..seq {
        let start = Instant::now();
        if !call().await {
            return Err("call failed".into());
        }
        lat.push(start.elapsed().as_secs_f64() * 1e6);
    }
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let lanes: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let call = call.clone();
            let next = next.clone();
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < conc {
                    if !call().await {
                        return false;
                    }
                }
                true
            })
        })
        .collect();
    for lane in lanes {
        if !lane.await.unwrap_or(false) {
            return Err("a concurrent call failed".into());
        }
    }
    print(&lat, conc, start.elapsed().as_secs_f64());
    Ok(())
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        return Err("usage: report_client KIND URL SEQ CONC WARMUP".into());
    }
    let num = |i: usize| args[i].parse::<usize>().map_err(|e| e.to_string());
    let (kind, base) = (args[1].as_str(), args[2].as_str());
    let (seq, conc, warmup) = (num(3)?, num(4)?, num(5)?);
    if kind == "enjo-blocking" {
        return blocking(base, seq, conc, warmup);
    }
    // What a user's `#[tokio::main]` gives: the multi-threaded runtime; `REPORT_RUNTIME=
    // current_thread` runs the same code on tokio's single-threaded one (the profile's question:
    // how much of the async path's cost is the scheduler's cross-thread wake-ups).
    let runtime = match std::env::var("REPORT_RUNTIME").as_deref() {
        Ok("current_thread") => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    }
    .map_err(|e| e.to_string())?;
    runtime.block_on(run_async(kind, base, seq, conc, warmup))
}
