//! The blocking client: many threads on one client, and `fork()`.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use common::Mock;
use enjo::blocking::{Interruptible, block_on_interruptible};
use enjo::{Quota, RateLimit};

#[test]
fn sixteen_threads_share_one_client_and_every_reply_matches_its_request() {
    let mock = Mock::start();
    let client = mock.client().build_blocking().expect("client");
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let text = format!("thread {t} call {i}");
                    let reply = client
                        .send_message("echo-bot", &text, None)
                        .unwrap_or_else(|e| panic!("{text}: {e}"));
                    assert_eq!(reply.answers.as_deref(), Some(text.as_str()));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("thread");
    }
}

/// Waits for `pid` at most a minute; a child that hangs is killed and fails the test.
fn wait_for_child(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    for _ in 0..600 {
        // SAFETY: polling the child we forked.
        let waited = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if waited == pid {
            assert!(libc::WIFEXITED(status), "child crashed: {status}");
            return libc::WEXITSTATUS(status);
        }
        assert_eq!(waited, 0, "waitpid failed");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // SAFETY: killing and reaping our own hung child.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, &mut status, 0);
    }
    panic!("the child hung after fork()");
}

#[test]
fn a_client_made_before_fork_works_in_the_child_and_the_parent() {
    let mock = Mock::start();
    // The limiter on (generous quotas): its shared per-origin state must be rebuilt too.
    let limits = RateLimit::Custom(vec![Quota::new(1000, Duration::from_secs(1))]);
    let client = Arc::new(
        mock.client()
            .rate_limit(limits)
            .build_blocking()
            .expect("client"),
    );
    // Used before the fork: the thread's runtime and pool, the process runtime, and the
    // limiter all exist in the parent.
    let before = client
        .send_message("echo-bot", "before fork", None)
        .expect("before");
    assert_eq!(before.answers.as_deref(), Some("before fork"));
    let async_before = enjo::runtime()
        .expect("runtime")
        .block_on(
            client
                .as_async()
                .send_message("echo-bot", "async before fork", None),
        );
    assert!(async_before.is_ok(), "{async_before:?}");

    // SAFETY: the child only uses the SDK (which rebuilds its per-process state) and exits
    // with `_exit`, never returning into the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = client
            .send_message("echo-bot", "in the child", None)
            .map(|r| r.answers.as_deref() == Some("in the child"))
            .unwrap_or(false);
        let conversation = client.conversation("support-bot");
        let ok = ok && conversation.send("hello from the child").is_ok();
        let ok = ok
            && enjo::runtime().is_ok_and(|rt| {
                rt.block_on(
                    client
                        .as_async()
                        .send_message("echo-bot", "async in the child", None),
                )
                .is_ok()
            });
        // SAFETY: terminating the child without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    assert_eq!(wait_for_child(pid), 0, "the child's requests failed");

    let after = client
        .send_message("echo-bot", "after fork", None)
        .expect("after");
    assert_eq!(after.answers.as_deref(), Some("after fork"));
    let counted = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            (
                mock.count_text("echo-bot", "in the child").await,
                mock.count_text("echo-bot", "async in the child").await,
            )
        });
    assert_eq!(
        counted,
        (1, 1),
        "the server saw the child's requests once each"
    );
}

/// Sends `text` to `faq-bot` (whose reply the caller delayed), with a check (every 20 ms)
/// that must run on this thread and stops the call on its third run; returns the outcome and
/// the number of checks.
fn interrupt_on_third_check(
    client: &enjo::blocking::Client,
    text: &str,
) -> (Interruptible<enjo::MessageResponse, &'static str>, u32) {
    let caller = std::thread::current().id();
    let mut checks = 0;
    let outcome = block_on_interruptible(
        client.as_async().send_message("faq-bot", text, None),
        Duration::from_millis(20),
        || {
            assert_eq!(
                std::thread::current().id(),
                caller,
                "checked on the caller's thread"
            );
            checks += 1;
            (checks == 3).then_some("stop")
        },
    );
    (outcome, checks)
}

/// Waits can be interrupted from the calling thread (how Python's and R's Ctrl-C get in).
#[test]
fn a_blocking_call_can_be_interrupted_by_its_check() {
    let mock = Mock::start();
    let client = mock.client().build_blocking().expect("client");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(mock.fault("faq-bot", "delay=30000", Some(1)));
    let (outcome, checks) = interrupt_on_third_check(&client, "interrupt me");
    assert!(
        matches!(outcome, Interruptible::Interrupted("stop")),
        "{outcome:?}"
    );
    assert_eq!(checks, 3);
    // The abandoned request reached the server, and nothing was sent again.
    assert_eq!(
        runtime.block_on(mock.count_text("faq-bot", "interrupt me")),
        1
    );

    // Called from inside an async runtime (the call then runs on a helper thread), the check
    // still runs on the calling thread only.
    let inner = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(mock.fault("faq-bot", "delay=30000", Some(1)));
    let (outcome, checks) =
        inner.block_on(async { interrupt_on_third_check(&client, "interrupt me nested") });
    assert!(
        matches!(outcome, Interruptible::Interrupted("stop")),
        "{outcome:?}"
    );
    assert_eq!(checks, 3);

    let outcome = block_on_interruptible(
        client
            .as_async()
            .send_message("echo-bot", "not interrupted", None),
        Duration::from_millis(20),
        || None::<()>,
    );
    match outcome {
        Interruptible::Finished(Ok(reply)) => {
            assert_eq!(reply.answers.as_deref(), Some("not interrupted"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn blocking_calls_work_inside_an_async_runtime_too() {
    let mock = Mock::start();
    let client = mock.client().build_blocking().expect("client");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let reply = runtime.block_on(async { client.send_message("echo-bot", "nested", None) });
    assert_eq!(reply.expect("reply").answers.as_deref(), Some("nested"));
}

/// A keep-alive server that closes each connection after answering, as nginx, load balancers
/// and Node servers do once their keep-alive timeout passes, and says so on the channel.
fn idle_closing_server() -> (String, std::sync::mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (closed_tx, closed_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let closed = closed_tx.clone();
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut buf = [0u8; 16 * 1024];
                // Read one request: its head, then Content-Length bytes of body.
                loop {
                    let n = match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    request.extend_from_slice(&buf[..n]);
                    let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
                let body = r#"{"success":true,"data":{"answers":"ok"}}"#;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: keep-alive\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes());
                // Past the keep-alive timeout (its length does not matter: the client is idle).
                std::thread::sleep(Duration::from_millis(20));
                let _ = stream.shutdown(std::net::Shutdown::Both);
                let _ = closed.send(());
            });
        }
    });
    (url, closed_rx)
}

/// Each thread's runtime sleeps between blocking calls; a pooled connection that the server
/// closed meanwhile must not be picked for the next request (it would fail, and a POST that
/// may have been sent is not retried).
#[test]
fn a_connection_closed_by_the_server_while_idle_is_not_reused() {
    let (url, closed) = idle_closing_server();
    let client = enjo::Client::builder()
        .ignore_env()
        .token("t")
        .base_url(url)
        .rate_limit(RateLimit::Off)
        .max_retries(0)
        .build_blocking()
        .expect("client");
    for call in 0..6 {
        if let Err(err) = client.send_message("b", "hi", None) {
            panic!("call {call} after an idle period: {err}");
        }
        // The server has closed the connection (and its FIN had time to arrive) before the
        // next call: no race with the server's timing, whatever the machine's load.
        closed
            .recv_timeout(Duration::from_secs(30))
            .expect("the server closed the connection");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `enjo::blocking::Client::builder()` ends in `build()` like every builder, and what it builds
/// is the blocking client (as with `reqwest::blocking::Client::builder().build()`).
#[test]
fn the_blocking_builder_builds_a_blocking_client() -> enjo::Result<()> {
    let mock = Mock::start();
    let client: enjo::blocking::Client = enjo::blocking::Client::builder()
        .ignore_env()
        .token(enjo_mock::DEFAULT_TOKEN)
        .base_url(mock.url())
        .rate_limit(RateLimit::Off)
        .build()?;
    let reply = client.send_message("echo-bot", "built blocking", None)?;
    assert_eq!(reply.answers.as_deref(), Some("built blocking"));
    // The convenience on the async builder still works.
    let client = mock.client().build_blocking()?;
    assert!(client.send_message("echo-bot", "also", None).is_ok());
    Ok(())
}
