//! A fleet of `enjo send` processes sharing one rate-limit store (a state file, then a real
//! `redis-server`) against `enjo-mock` enforcing scaled quotas per client IP: no 429 in the
//! server's log, at least 95 % of the allowed rate used over three long windows, and a worker
//! killed with SIGKILL mid-run does not make the others overrun. Each `enjo send` is a new
//! process, so nothing but the store coordinates them.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use enjo_mock::{DEFAULT_TOKEN, MockConfig, MockServer, Quota};

#[path = "../../core/tests/common/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;
use redis_server::{RedisServer, fresh_dir};

const WORKERS: usize = 8;
/// Ten times Enjo's pace, or so: 10 per 0.5 s and 20 per 3 s.
const SHORT: (u32, Duration) = (10, Duration::from_millis(500));
const LONG: (u32, Duration) = (20, Duration::from_secs(3));
const SPEC: &str = "10/500ms,20/3s";

fn mock() -> MockServer {
    MockServer::start_background(MockConfig::default().with_rate_limit(vec![
        Quota {
            requests: SHORT.0,
            window: SHORT.1,
        },
        Quota {
            requests: LONG.0,
            window: LONG.1,
        },
    ]))
    .expect("mock")
}

fn send(server: &MockServer, store: &str, text: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_enjo"));
    cmd.env_clear()
        .env("ENJO_BASE_URL", server.url())
        .env("ENJO_API_TOKEN", DEFAULT_TOKEN)
        .args(["send", "echo-bot", text, "--max-retries", "0"])
        .args(["--rate-limit", SPEC, "--rate-limit-store", store])
        .args(["--rate-limit-key", "fleet"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Runs the fleet for `run`; with `kill_one`, one process is SIGKILLed mid-run. Returns the
/// exit codes seen.
fn fleet(server: &MockServer, store: &str, run: Duration, kill_one: bool) -> Vec<i32> {
    let stop = Arc::new(AtomicBool::new(false));
    let codes = Arc::new(Mutex::new(Vec::new()));
    let victim: Arc<Mutex<Option<Child>>> = Arc::new(Mutex::new(None));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (stop, codes, victim) = (stop.clone(), codes.clone(), victim.clone());
            let server_url = server.url().to_owned();
            let store = store.to_owned();
            std::thread::spawn(move || {
                let server = server_url;
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let mut cmd = Command::new(env!("CARGO_BIN_EXE_enjo"));
                    cmd.env_clear()
                        .env("ENJO_BASE_URL", &server)
                        .env("ENJO_API_TOKEN", DEFAULT_TOKEN)
                        .args([
                            "send",
                            "echo-bot",
                            &format!("w{w}-{n}"),
                            "--max-retries",
                            "0",
                        ])
                        .args(["--rate-limit", SPEC, "--rate-limit-store", &store])
                        .args(["--rate-limit-key", "fleet"])
                        .stdout(Stdio::null())
                        .stderr(Stdio::null());
                    let child = cmd.spawn().expect("enjo runs");
                    if kill_one && w == 0 && n == 3 {
                        // This one is killed by the main thread while it waits or sends.
                        *victim.lock().expect("victim") = Some(child);
                        while victim.lock().expect("victim").is_some() {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        continue;
                    }
                    let status = child.wait_with_output().expect("waits").status;
                    codes
                        .lock()
                        .expect("codes")
                        .push(status.code().unwrap_or(-9));
                }
            })
        })
        .collect();
    let started = Instant::now();
    if kill_one {
        loop {
            if let Some(mut child) = victim.lock().expect("victim").take() {
                std::thread::sleep(Duration::from_millis(30));
                child.kill().expect("SIGKILL");
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    std::thread::sleep(run.saturating_sub(started.elapsed()));
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().expect("worker");
    }
    Arc::try_unwrap(codes)
        .map(|m| m.into_inner().expect("codes"))
        .unwrap_or_default()
}

/// 0 × 429, and the long quota filled to at least 95 % over the three long windows from the
/// first request.
fn check(server: &MockServer, label: &str) {
    let log = server.requests();
    let rejected = log.iter().filter(|r| r.status == 429).count();
    assert_eq!(
        rejected, 0,
        "{label}: the server answered 429 {rejected} times"
    );
    let first = log.iter().map(|r| r.at_ms).min().expect("requests");
    let windows = 3;
    let span = LONG.1.as_millis() as u64 * windows;
    let inside = log
        .iter()
        .filter(|r| r.at_ms < first + span && r.status == 200)
        .count();
    let allowed = LONG.0 as usize * windows as usize;
    assert!(
        inside * 100 >= allowed * 95,
        "{label}: {inside} of the {allowed} allowed in {windows} long windows"
    );
    eprintln!("{label}: {inside}/{allowed} admitted in {windows} long windows, 0 × 429");
}

fn long_run() -> Duration {
    LONG.1 * 3 + Duration::from_millis(1500)
}

#[test]
fn a_fleet_sharing_a_file_store_never_overruns_and_fills_the_quota() {
    let server = mock();
    let dir = fresh_dir();
    let store = format!("file:{}", dir.join("fleet.state").display());
    let codes = fleet(&server, &store, long_run(), false);
    assert!(codes.iter().all(|&c| c == 0), "{codes:?}");
    check(&server, "file store");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_fleet_sharing_redis_never_overruns_and_fills_the_quota() {
    let redis = RedisServer::tcp();
    let server = mock();
    let codes = fleet(&server, &redis.url(), long_run(), false);
    assert!(codes.iter().all(|&c| c == 0), "{codes:?}");
    check(&server, "redis store");
}

#[test]
fn a_worker_killed_mid_run_does_not_make_the_others_overrun() {
    for store in ["file", "redis"] {
        let redis = RedisServer::unix();
        let dir = fresh_dir();
        let spec = match store {
            "file" => format!("file:{}", dir.join("kill.state").display()),
            _ => redis.url(),
        };
        let server = mock();
        let codes = fleet(&server, &spec, LONG.1 * 2, true);
        assert!(codes.iter().all(|&c| c == 0), "{store}: {codes:?}");
        assert!(
            codes.len() >= 20,
            "{store}: the others went on: {}",
            codes.len()
        );
        let rejected = server.requests().iter().filter(|r| r.status == 429).count();
        assert_eq!(rejected, 0, "{store}: 429s after a SIGKILL");
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn without_a_shared_store_the_same_fleet_gets_429s() {
    // The control: each process alone thinks it has the whole quota.
    let server = mock();
    let stop = Instant::now() + Duration::from_secs(2);
    let mut children = Vec::new();
    while Instant::now() < stop && children.len() < 40 {
        children.push(send(&server, "memory", "solo").spawn().expect("runs"));
    }
    for child in children {
        let _ = child.wait_with_output();
    }
    let rejected = server.requests().iter().filter(|r| r.status == 429).count();
    assert!(
        rejected > 0,
        "the mock's limits must bite without a shared store"
    );
}

#[test]
fn an_unreachable_store_exits_14_and_sends_nothing() {
    let server = mock();
    let mut redis = RedisServer::tcp();
    let url = redis.url();
    redis.stop();
    let out = send(&server, &url, "down").output().expect("runs");
    assert_eq!(out.status.code(), Some(14), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rate limit store redis://127.0.0.1"),
        "{stderr}"
    );
    // The hint names this CLI's flags, not the library's option names.
    assert!(
        stderr.contains("(--rate-limit-store / ENJO_RATE_LIMIT_STORE)")
            && stderr.contains("opt into --rate-limit-store-fallback"),
        "{stderr}"
    );
    assert!(server.requests().is_empty());
    let out = send(&server, &url, "fallback")
        .arg("--rate-limit-store-fallback")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = send(&server, "nonsense:x", "bad").output().expect("runs");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--rate-limit-store"));
}

#[test]
fn a_bad_store_is_refused_naming_the_flag_or_the_variable() {
    let server = mock();
    let run = |flag: Option<&str>, env: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_enjo"));
        cmd.env_clear()
            .env("ENJO_BASE_URL", server.url())
            .env("ENJO_API_TOKEN", DEFAULT_TOKEN)
            .args(["send", "echo-bot", "bad store"]);
        if let Some(store) = flag {
            cmd.args(["--rate-limit-store", store]);
        }
        if let Some(store) = env {
            cmd.env("ENJO_RATE_LIMIT_STORE", store);
        }
        let out = cmd.output().expect("runs");
        assert_eq!(out.status.code(), Some(3), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = run(Some("file:relative/path"), None);
    assert!(
        stderr.starts_with("error: --rate-limit-store: the state file's path must be absolute"),
        "{stderr}"
    );
    assert!(!stderr.contains("rate_limit_store"), "{stderr}");
    let stderr = run(Some("nonsense:x"), Some("memory"));
    assert!(
        stderr.contains("--rate-limit-store: unknown store"),
        "{stderr}"
    );
    let stderr = run(None, Some("nonsense:x"));
    assert!(
        stderr.starts_with("error: ENJO_RATE_LIMIT_STORE: unknown store"),
        "names the variable: {stderr}"
    );
    assert!(server.requests().is_empty(), "nothing sent");
}

#[test]
fn a_store_with_the_limiter_off_is_refused_and_sends_nothing() {
    let server = mock();
    let dir = fresh_dir();
    let state = dir.join("off.state");
    let out = Command::new(env!("CARGO_BIN_EXE_enjo"))
        .env_clear()
        .env("ENJO_BASE_URL", server.url())
        .env("ENJO_API_TOKEN", DEFAULT_TOKEN)
        .args([
            "send",
            "echo-bot",
            "off",
            "--no-rate-limit",
            "--rate-limit-store",
        ])
        .arg(format!("file:{}", state.display()))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--rate-limit-store needs the rate limiter on"),
        "names the flag: {stderr}"
    );
    assert!(!stderr.contains("rate_limit_store"), "{stderr}");
    assert!(server.requests().is_empty(), "nothing sent");
    assert!(!state.exists(), "the store was not touched");
    // The environment's store is a default: `--no-rate-limit` simply does without it.
    let out = Command::new(env!("CARGO_BIN_EXE_enjo"))
        .env_clear()
        .env("ENJO_BASE_URL", server.url())
        .env("ENJO_API_TOKEN", DEFAULT_TOKEN)
        .env("ENJO_RATE_LIMIT_STORE", format!("file:{}", state.display()))
        .args(["send", "echo-bot", "off-env", "--no-rate-limit"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(!state.exists(), "the store was not used");
    let _ = std::fs::remove_dir_all(dir);
}
