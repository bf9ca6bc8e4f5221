//! What a new user meets first (issue 19): the missing-token message names the CLI's own
//! ways to give a token, ENJO_BASE_URL does not make `--base-url` look required, and the
//! insecure-http hint names a flag the CLI has.

use assert_cmd::Command;
use enjo_mock::{DEFAULT_TOKEN, MockConfig, MockServer};
use predicates::prelude::*;

fn enjo() -> Command {
    let mut cmd = Command::cargo_bin("enjo").expect("binary");
    cmd.env_clear();
    cmd
}

#[test]
fn a_missing_token_names_the_flags_and_the_variable() {
    let server =
        MockServer::start_background(MockConfig::default().without_rate_limit()).expect("mock");
    for sub in ["send", "chat"] {
        let mut cmd = enjo();
        cmd.env("ENJO_BASE_URL", server.url())
            .arg(sub)
            .arg("faq-bot");
        if sub == "send" {
            cmd.arg("hello");
        }
        cmd.assert()
            .failure()
            .stderr(predicate::str::contains("--token-file"))
            .stderr(predicate::str::contains("--token "))
            .stderr(predicate::str::contains("ENJO_API_TOKEN"))
            .stderr(predicate::str::contains("pass a token to the client").not());
    }
    assert!(server.requests().is_empty(), "nothing sent without a token");
    // An empty variable is no token either.
    enjo()
        .env("ENJO_BASE_URL", server.url())
        .env("ENJO_API_TOKEN", "")
        .args(["send", "faq-bot", "hello"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--token-file"));
}

#[test]
fn with_enjo_base_url_set_usage_does_not_show_base_url_as_required() {
    let usage = |with_env: bool| {
        let mut cmd = enjo();
        if with_env {
            cmd.env("ENJO_BASE_URL", "http://127.0.0.1:9");
        }
        let out = cmd.arg("send").assert().failure().code(2);
        String::from_utf8_lossy(&out.get_output().stderr).into_owned()
    };
    let plain = usage(false);
    let with_env = usage(true);
    assert!(plain.contains("Usage: enjo send"), "{plain}");
    assert!(!with_env.contains("--base-url"), "{with_env}");
    assert_eq!(
        plain, with_env,
        "the environment changes nothing in the usage"
    );
}

#[test]
fn enjo_base_url_still_applies_without_the_flag() {
    let server =
        MockServer::start_background(MockConfig::default().without_rate_limit()).expect("mock");
    enjo()
        .env("ENJO_BASE_URL", server.url())
        .env("ENJO_API_TOKEN", DEFAULT_TOKEN)
        .args(["send", "faq-bot", "How do I reset my password?"])
        .assert()
        .success();
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn the_insecure_http_hint_names_a_flag_that_exists() {
    let out = enjo()
        .env("ENJO_API_TOKEN", DEFAULT_TOKEN)
        .args(["send", "--base-url", "http://enjo.invalid", "faq-bot", "hi"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "set --allow-insecure-http explicitly",
        ))
        .stderr(predicate::str::contains(
            "--base-url \"http://enjo.invalid\"",
        ));
    let code = out.get_output().status.code();
    // With the flag it names, the URL is accepted: the call now fails to connect (`.invalid`
    // never resolves), a different error with a different exit code.
    let out = enjo()
        .env("ENJO_API_TOKEN", DEFAULT_TOKEN)
        .args([
            "send",
            "--allow-insecure-http",
            "--max-retries",
            "0",
            "--base-url",
            "http://enjo.invalid",
            "faq-bot",
            "hi",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("allow-insecure-http").not());
    assert_ne!(out.get_output().status.code(), code);
}
