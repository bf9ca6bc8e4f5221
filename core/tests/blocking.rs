//! The blocking client: many threads on one client, and `fork()`.

mod common;

use std::sync::Arc;

use common::Mock;

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

#[test]
fn a_client_made_before_fork_works_in_the_child_and_the_parent() {
    let mock = Mock::start();
    let client = Arc::new(mock.client().build_blocking().expect("client"));
    // Used before the fork: the runtime, the pool and the limiter exist in the parent.
    let before = client
        .send_message("echo-bot", "before fork", None)
        .expect("before");
    assert_eq!(before.answers.as_deref(), Some("before fork"));

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
        // SAFETY: terminating the child without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waiting for the child we just forked.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(libc::WIFEXITED(status), "child crashed or hung: {status}");
    assert_eq!(libc::WEXITSTATUS(status), 0, "the child's requests failed");

    let after = client
        .send_message("echo-bot", "after fork", None)
        .expect("after");
    assert_eq!(after.answers.as_deref(), Some("after fork"));
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
