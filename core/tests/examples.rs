//! The examples in `core/examples/` run against a real enjo-mock (built next to the test
//! binaries, in `target/<profile>/examples/`).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Once;

use common::Mock;
use common::vendor_body::assert_vendor_shape;

fn example(name: &str) -> PathBuf {
    // `cargo test` builds examples, but `cargo test --test examples` does not: build them once.
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        let mut cargo = Command::new(env!("CARGO"));
        cargo.args([
            "build",
            "--quiet",
            "--locked",
            "--package",
            "enjo",
            "--examples",
        ]);
        if !cfg!(debug_assertions) {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("cargo runs");
        assert!(status.success(), "building the examples failed");
    });
    let mut dir = std::env::current_exe().expect("test binary path");
    dir.pop(); // the test binary
    dir.pop(); // deps/
    let path = dir.join("examples").join(name);
    assert!(path.exists(), "{} is built by cargo test", path.display());
    path
}

fn run(mock: &Mock, name: &str, args: &[&str]) -> String {
    let output = Command::new(example(name))
        .args(args)
        .env("ENJO_BASE_URL", mock.url())
        .env("ENJO_API_TOKEN", enjo_mock::DEFAULT_TOKEN)
        .output()
        .expect("example runs");
    assert!(output.status.success(), "{name}: {output:?}");
    String::from_utf8(output.stdout).expect("utf8")
}

#[test]
fn send_message_example() {
    let mock = Mock::start();
    let out = run(
        &mock,
        "send_message",
        &["support-bot", "Request for ticket generation"],
    );
    assert!(out.contains("ticket 00012345 (New)"), "{out}");
    // What the server received is the vendor's sample body (a first message: no id).
    let log = mock.server.requests();
    assert_eq!(log.len(), 1);
    assert_vendor_shape(&log[0].body, false);
    assert_eq!(
        log[0].body["message"]["text"],
        "Request for ticket generation"
    );
}

#[test]
fn conversation_example() {
    let mock = Mock::start();
    let out = run(&mock, "conversation", &["jira-bot"]);
    assert!(out.contains("ticket SUP-"), "{out}");
    let id = out
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("conversation "))
        .expect("id");
    let tickets = mock.server.tickets();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].conversation_id, id);
    // The first message starts the conversation; every follow-up carries its id inside
    // `message`, as the vendor's sample does, and the server threads it.
    let log = mock.server.requests();
    assert!(log.len() >= 2, "{log:?}");
    assert_vendor_shape(&log[0].body, false);
    for entry in &log[1..] {
        assert_vendor_shape(&entry.body, true);
        assert_eq!(entry.body["message"]["conversationId"], id);
        assert_eq!(entry.conversation_id.as_deref(), Some(id));
    }
}
