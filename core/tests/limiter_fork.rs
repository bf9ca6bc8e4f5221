//! The limiter across `fork()`: a child neither inherits a place in line nor the parent's
//! requests in flight (which it could never complete), and starts from the parent's recent
//! log rather than an empty one, for a user-supplied limiter and for the shared ones alike.

use std::sync::Arc;
use std::time::Duration;

use enjo::ratelimit::{CANCEL_GRACE, Permit};
use enjo::{ErrorKind, Quota, RateLimiter};

const MINUTE: Duration = Duration::from_secs(60);
const ORIGIN: &str = "http://enjo-fork-test.invalid:1";

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
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: killing and reaping our own hung child.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, &mut status, 0);
    }
    panic!("the child hung after fork()");
}

/// The child's checks; 0 when all hold, else which one failed.
fn child(own: &Arc<RateLimiter>) -> i32 {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return 10;
    };
    let one_per_minute = [Quota::new(1, MINUTE)];
    runtime.block_on(async {
        // The parent's request in flight counts as completed a grace period after the fork,
        // and its waiting caller holds no place here: the wait is exactly the log's.
        match own
            .acquire(&one_per_minute, Some(Duration::from_millis(1)))
            .await
        {
            Err(e) if e.kind() == ErrorKind::RateLimited => {
                let wait = e.retry_after().unwrap_or_default();
                let expected = CANCEL_GRACE + MINUTE;
                if wait + Duration::from_secs(1) < expected || wait > expected {
                    eprintln!("child: expected wait {expected:?}, got {wait:?}");
                    return 1;
                }
            }
            Err(e) => {
                eprintln!("child: {e}");
                return 2;
            }
            Ok(_) => return 3,
        }
        // A quota with room in the parent's log is granted at once: nothing stuck in line.
        match own
            .acquire(&[Quota::new(5, MINUTE)], Some(Duration::ZERO))
            .await
        {
            Ok(permit) => permit.complete(),
            Err(e) => {
                eprintln!("child: {e}");
                return 4;
            }
        }
        // The shared limiter of the origin (another spelling of it) remembers the parent's
        // request: no fresh quota for the child.
        let shared = RateLimiter::shared("HTTP://ENJO-FORK-TEST.invalid:1/");
        match shared.acquire(&one_per_minute, Some(Duration::ZERO)).await {
            Err(e) if e.kind() == ErrorKind::RateLimited => 0,
            Err(e) => {
                eprintln!("child: {e}");
                5
            }
            Ok(_) => 6,
        }
    })
}

#[test]
fn a_forked_child_starts_from_its_parents_log_and_holds_no_place() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let one_per_minute = [Quota::new(1, MINUTE)];
    // A user-supplied limiter with a request in flight and a caller waiting behind it.
    let own = Arc::new(RateLimiter::in_memory());
    let in_flight = runtime
        .block_on(own.acquire(&one_per_minute, None))
        .expect("free");
    let waiting = runtime.spawn({
        let own = own.clone();
        async move {
            own.acquire(&one_per_minute, None)
                .await
                .map(Permit::complete)
        }
    });
    // Give the waiter time to take its place (nothing depends on how long this takes).
    std::thread::sleep(Duration::from_millis(200));
    // The shared limiter of an origin, with one completed request.
    runtime
        .block_on(RateLimiter::shared(ORIGIN).acquire(&one_per_minute, None))
        .expect("free")
        .complete();

    // SAFETY: the child only runs `child` on a runtime of its own, then `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| child(&own))).unwrap_or(20);
        // SAFETY: leaving the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    assert_eq!(wait_for_child(pid), 0, "a check failed in the child");

    // The parent is unaffected: its waiter is still in line behind the request in flight.
    assert!(!waiting.is_finished());
    waiting.abort();
    in_flight.complete();
}
