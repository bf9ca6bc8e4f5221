//! The `enjo` binary against a real `enjo-mock`: output, `--json`, exit codes, chat over piped
//! stdin, the token file, completions and `enjo mock`.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use assert_cmd::Command;
use enjo_mock::{DEFAULT_TOKEN, MockConfig, MockServer};
use predicates::prelude::*;
use serde_json::Value;

#[path = "../../core/tests/common/vendor_body.rs"]
mod vendor_body;
use vendor_body::assert_vendor_shape;

fn mock() -> MockServer {
    MockServer::start_background(MockConfig::default().without_rate_limit()).expect("mock")
}

/// Queues `fault` for the next request to `bot`.
fn fault(server: &MockServer, bot: &str, fault: &str) {
    server
        .add_fault(enjo_mock::FaultRule {
            bot_id: Some(bot.into()),
            fault: fault.into(),
            times: Some(1),
        })
        .expect("fault");
}

/// A loopback URL where nothing listens.
fn closed_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    format!("http://127.0.0.1:{port}")
}

/// `enjo` aimed at `server`, with a clean environment.
fn enjo(server: &MockServer) -> Command {
    let mut cmd = Command::cargo_bin("enjo").expect("binary");
    cmd.env_clear()
        .env("ENJO_BASE_URL", server.url())
        .env("ENJO_API_TOKEN", DEFAULT_TOKEN);
    cmd
}

#[test]
fn send_prints_answer_sources_and_conversation() {
    let server = mock();
    enjo(&server)
        .args(["send", "faq-bot", "How do I reset my password?"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("Use Forgot password"))
        .stdout(predicate::str::contains("Sources:\n  ["))
        .stdout(predicate::str::contains(
            "https://acme.example/faq/password",
        ))
        .stdout(predicate::str::is_match(r"Conversation: [0-9a-f-]{36}\n$").expect("regex"))
        // No spinner or other noise when stderr is not a terminal.
        .stderr(predicate::str::is_empty());
}

#[test]
fn send_shows_the_ticket_and_continues_a_conversation() {
    let server = mock();
    let first = enjo(&server)
        .args(["send", "servicenow-bot", "My VPN disconnects all the time"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&first.get_output().stdout).into_owned();
    let id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Conversation: "))
        .expect("conversation line")
        .to_owned();
    enjo(&server)
        .args([
            "send",
            "servicenow-bot",
            "-c",
            &id,
            "Please open a ticket, it is urgent",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Ticket INC"))
        .stdout(predicate::str::contains("status New, priority 2 - High"))
        .stdout(predicate::str::contains(format!("Conversation: {id}")));
    // What the server received: the vendor's sample body, the id inside `message` on the
    // follow-up, which the server threaded into the first message's conversation.
    let log = server.requests();
    assert_eq!(log.len(), 2);
    assert_vendor_shape(&log[0].body, false);
    assert_vendor_shape(&log[1].body, true);
    assert_eq!(log[1].body["message"]["conversationId"], id.as_str());
    assert_eq!(log[1].conversation_id.as_deref(), Some(id.as_str()));
}

#[test]
fn json_prints_the_documented_body() {
    let server = mock();
    let output = enjo(&server)
        .args([
            "send",
            "--json",
            "support-bot",
            "I need a human: create a ticket",
        ])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let body: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(body["success"], true);
    assert!(body["data"]["ticketDetails"]["CaseNumber"].is_string());
}

#[test]
fn exit_codes_per_error_kind() {
    let server = mock();
    // 401: a wrong token (never printed).
    enjo(&server)
        .env("ENJO_API_TOKEN", "sk-wrong-secret")
        .args(["send", "faq-bot", "hi"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("ENJO_API_TOKEN"))
        .stderr(predicate::str::contains("sk-wrong-secret").not());
    // 400: unknown bot.
    enjo(&server)
        .args(["send", "no-such-bot", "hi"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("botId not found"));
    // Invalid arguments: nothing is sent.
    enjo(&server)
        .args(["send", "faq-bot", " "])
        .assert()
        .code(3);
    enjo(&server)
        .args(["send", "--timeout", "0", "faq-bot", "hi"])
        .assert()
        .code(3);
    enjo(&server)
        .env_remove("ENJO_API_TOKEN")
        .args(["send", "faq-bot", "hi"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("ENJO_API_TOKEN"));
    // Faults: server error and malformed reply.
    fault(&server, "faq-bot", "500");
    enjo(&server)
        .args(["send", "faq-bot", "hi"])
        .assert()
        .code(8);
    fault(&server, "faq-bot", "malformed-json");
    enjo(&server)
        .args(["send", "faq-bot", "hi"])
        .assert()
        .code(12);
    // Connection refused (a closed port), after the safe retries.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    enjo(&server)
        .env("ENJO_BASE_URL", format!("http://127.0.0.1:{port}"))
        .args([
            "send",
            "--max-retries",
            "0",
            "--no-rate-limit",
            "faq-bot",
            "hi",
        ])
        .assert()
        .code(11);
    // Usage errors are clap's.
    enjo(&server).args(["send"]).assert().code(2);
}

#[test]
fn json_errors_are_json_on_stdout() {
    let server = mock();
    let output = enjo(&server)
        .args(["send", "--json", "no-such-bot", "hi"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(5));
    let body: Value = serde_json::from_slice(&output.stdout).expect("JSON error");
    assert_eq!(body["error"]["kind"], "invalid_request");
    assert_eq!(body["error"]["status"], 400);
    assert_eq!(body["error"]["code"], "invalid_request_error");
}

#[test]
fn chat_over_piped_stdin_keeps_the_conversation() {
    let server = mock();
    let chat = enjo(&server)
        .args(["chat", "jira-bot"])
        .write_stdin("How do I deploy to staging?\n\nI need a human\nany update on my ticket?\n/new\nhello again\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("Merging to main deploys to staging"))
        .stdout(predicate::str::is_match(r"(?m)^Ticket SUP-\d+: status").expect("regex").count(1))
        .stderr(predicate::str::contains("Conversation: ").not());
    let log = server.requests();
    assert_eq!(log.len(), 4, "the blank line and /new are not sent");
    let first = log[1].conversation_id.clone().expect("continued");
    // On stdout, as `enjo send` prints it: the finished conversation's id (the one with the
    // ticket) at /new, then the last one's at the end.
    let stdout = String::from_utf8_lossy(&chat.get_output().stdout).into_owned();
    let ids: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("Conversation: "))
        .collect();
    assert_eq!(ids.len(), 2, "{stdout}");
    assert_eq!(ids[0], first, "{stdout}");
    assert_ne!(ids[1], first, "{stdout}");
    assert!(
        stdout
            .trim_end()
            .ends_with(&format!("Conversation: {}", ids[1]))
    );
    assert_eq!(log[2].conversation_id.as_deref(), Some(first.as_str()));
    assert_eq!(log[3].conversation_id, None, "/new starts over");
    assert_eq!(server.tickets().len(), 1);
    for (entry, continued) in log.iter().zip([false, true, true, false]) {
        assert_vendor_shape(&entry.body, continued);
    }
}

#[test]
fn token_file_is_read_and_trimmed() {
    let server = mock();
    let path = std::env::temp_dir().join(format!("enjo-token-{}", std::process::id()));
    std::fs::write(&path, format!("{DEFAULT_TOKEN}\n")).expect("write");
    enjo(&server)
        .env_remove("ENJO_API_TOKEN")
        .args(["send", "echo-bot", "from a file", "--token-file"])
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("from a file\n"));
    let _ = std::fs::remove_file(&path);
    enjo(&server)
        .args([
            "send",
            "--token-file",
            "/nonexistent/token",
            "echo-bot",
            "x",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("cannot read --token-file"));
}

#[test]
fn completions_and_help() {
    let mut cmd = Command::cargo_bin("enjo").expect("binary");
    cmd.args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("_enjo()"));
    let mut cmd = Command::cargo_bin("enjo").expect("binary");
    cmd.arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"));
}

#[test]
fn completions_for_every_shell_and_the_man_page() {
    for (shell, marker) in [
        ("bash", "complete -F _enjo"),
        ("zsh", "#compdef enjo"),
        ("fish", "complete -c enjo"),
    ] {
        let out = Command::cargo_bin("enjo")
            .expect("binary")
            .args(["completions", shell])
            .output()
            .expect("run");
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell} script lacks {marker:?}");
        // Every subcommand is offered.
        for sub in ["send", "chat", "mock", "man"] {
            assert!(script.contains(sub), "{shell} script lacks {sub}");
        }
    }
    let out = Command::cargo_bin("enjo")
        .expect("binary")
        .arg("man")
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH enjo 1"), "not a man page: {page}");
    assert!(
        page.contains(".SH NAME") && page.contains(".SH SUBCOMMANDS"),
        "{page}"
    );
    assert!(
        page.contains("ENJO_API_TOKEN"),
        "the page should name the token's variable"
    );
}

#[test]
fn enjo_mock_subcommand_serves_the_api() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("enjo"))
        .args(["mock", "--port", "0", "--exit-on-stdin-close", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    let port = line
        .trim()
        .strip_prefix("LISTENING ")
        .expect("LISTENING")
        .to_owned();
    Command::cargo_bin("enjo")
        .expect("binary")
        .env_clear()
        .env("ENJO_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("ENJO_API_TOKEN", DEFAULT_TOKEN)
        .args(["send", "echo-bot", "through enjo mock"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("through enjo mock\n"));
    drop(child.stdin.take());
    assert!(child.wait().expect("exits").success());
}

/// Runs `enjo <args>` against `server` on a pseudo-terminal (`script`, util-linux, essential on
/// Debian), asserts it succeeded and returns what the terminal showed.
fn on_a_terminal(server: &MockServer, args: &str) -> String {
    let enjo = assert_cmd::cargo::cargo_bin("enjo");
    let output = std::process::Command::new("script")
        .args(["-q", "-e", "-c"])
        .arg(format!("{} {args}", enjo.display()))
        .arg("/dev/null")
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("TERM", "xterm")
        .env("ENJO_BASE_URL", server.url())
        .env("ENJO_API_TOKEN", DEFAULT_TOKEN)
        .output()
        .expect("script runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_spinner_shows_on_a_terminal_while_waiting() {
    let server = mock();
    fault(&server, "echo-bot", "delay=600");
    let terminal = on_a_terminal(&server, "send echo-bot slow");
    assert!(terminal.contains("waiting for the bot"), "{terminal}");
    assert!(terminal.contains("slow"), "the answer follows: {terminal}");
}

#[test]
fn the_spinner_words_a_rate_limit_wait_as_the_logs_do() {
    // A 429 with `Retry-After: 1`: the client waits for it before sending again, and the
    // spinner shows core's `Event` text for that wait, the line every binding logs.
    let server = mock();
    fault(&server, "echo-bot", "429");
    let terminal = on_a_terminal(&server, "send echo-bot after-429");
    assert!(
        terminal.contains("server rate limit (HTTP 429), waiting "),
        "{terminal}"
    );
    assert!(
        !terminal.contains("the server answered 429"),
        "the old wording: {terminal}"
    );
    assert!(
        terminal.contains("after-429"),
        "the answer follows: {terminal}"
    );
}

#[test]
fn exit_codes_for_404_429_other_statuses_and_timeouts() {
    let server = mock();
    fault(&server, "faq-bot", "status=404");
    enjo(&server)
        .args(["send", "faq-bot", "not found"])
        .assert()
        .code(6);
    // 429 with retries off: the server's refusal is final.
    fault(&server, "faq-bot", "429");
    enjo(&server)
        .args(["send", "--max-retries", "0", "faq-bot", "rate limited"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("429").or(predicate::str::contains("rate")));
    fault(&server, "faq-bot", "status=409");
    enjo(&server)
        .args(["send", "faq-bot", "conflict"])
        .assert()
        .code(9);
    fault(&server, "faq-bot", "success-false");
    enjo(&server)
        .args(["send", "faq-bot", "success false"])
        .assert()
        .code(9);
    // A reply slower than --timeout; a timeout after sending is not retried by default.
    fault(&server, "faq-bot", "delay=5000");
    enjo(&server)
        .args(["send", "--timeout", "0.3", "faq-bot", "too slow"])
        .assert()
        .code(10);
    let sent: Vec<(String, u16)> = server
        .requests()
        .into_iter()
        .map(|r| (r.text.unwrap_or_default(), r.status))
        .collect();
    assert_eq!(
        sent,
        [
            ("not found".to_owned(), 404),
            ("rate limited".to_owned(), 429),
            ("conflict".to_owned(), 409),
            ("success false".to_owned(), 200),
            // Logged on arrival; the client gave up before the delayed answer.
            ("too slow".to_owned(), 0),
        ]
    );
}

#[test]
fn client_options_before_or_after_the_subcommand() {
    let server = mock();
    let enjo_without_url = || {
        let mut cmd = enjo(&server);
        cmd.env_remove("ENJO_BASE_URL");
        cmd
    };
    // Before the subcommand.
    enjo_without_url()
        .args(["--base-url", server.url(), "send", "echo-bot", "before"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("before\n"));
    // After it, as before.
    enjo_without_url()
        .args(["send", "--base-url", server.url(), "echo-bot", "after"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("after\n"));
    enjo_without_url()
        .args(["--base-url", server.url(), "chat", "echo-bot"])
        .write_stdin("chat before\n")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("chat before\n"));
    // Both: the subcommand's value wins; a flag before it still beats the environment.
    enjo_without_url()
        .args([
            "--base-url",
            &closed_url(),
            "send",
            "--base-url",
            server.url(),
        ])
        .args(["echo-bot", "the subcommand's wins"])
        .assert()
        .success();
    enjo(&server)
        .env("ENJO_BASE_URL", closed_url())
        .args([
            "--base-url",
            server.url(),
            "send",
            "echo-bot",
            "flag beats env",
        ])
        .assert()
        .success();
    enjo(&server)
        .args(["--base-url", &closed_url(), "--max-retries", "0"])
        .args(["send", "--base-url", server.url(), "echo-bot", "x"])
        .assert()
        .success();
    // The token, the timeout, retries and the limiter, before the subcommand.
    let path = std::env::temp_dir().join(format!("enjo-token-top-{}", std::process::id()));
    std::fs::write(&path, DEFAULT_TOKEN).expect("write");
    enjo(&server)
        .env("ENJO_API_TOKEN", "wrong")
        .arg("--token-file")
        .arg(&path)
        .args(["send", "echo-bot", "token file before"])
        .assert()
        .success();
    // ...and a token given after the subcommand replaces the one before.
    enjo(&server)
        .arg("--token-file")
        .arg(&path)
        .args(["send", "--token", "sk-after", "echo-bot", "token after"])
        .assert()
        .code(4);
    let _ = std::fs::remove_file(&path);
    fault(&server, "echo-bot", "delay=5000");
    enjo(&server)
        .args(["--timeout", "0.3", "send", "echo-bot", "top timeout"])
        .assert()
        .code(10);
    fault(&server, "echo-bot", "delay=5000");
    enjo(&server)
        .args([
            "--timeout",
            "60",
            "send",
            "--timeout",
            "0.3",
            "echo-bot",
            "sub timeout",
        ])
        .assert()
        .code(10);
    fault(&server, "echo-bot", "429");
    enjo(&server)
        .args([
            "--max-retries",
            "0",
            "--no-rate-limit",
            "-v",
            "send",
            "echo-bot",
            "top retries",
        ])
        .assert()
        .code(7);
    // A refused token is logged without the text (it is read only once authorized).
    let texts: Vec<String> = server
        .requests()
        .into_iter()
        .map(|r| r.text.unwrap_or_else(|| format!("({})", r.status)))
        .collect();
    assert_eq!(
        texts,
        [
            "before",
            "after",
            "chat before",
            "the subcommand's wins",
            "flag beats env",
            "x",
            "token file before",
            "(401)",
            "top timeout",
            "sub timeout",
            "top retries",
        ]
    );
}

#[test]
fn client_options_before_mock_or_completions_are_usage_errors() {
    for args in [
        &["--base-url", "http://127.0.0.1:9", "mock", "--port", "0"][..],
        &["--token", "t", "mock"],
        &["--timeout", "5", "mock"],
        &["--no-rate-limit", "completions", "bash"],
        &["-v", "completions", "bash"],
    ] {
        Command::cargo_bin("enjo")
            .expect("binary")
            .env_clear()
            .args(args)
            .write_stdin("")
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains("is a client option"))
            .stderr(predicate::str::contains("Usage: enjo"));
    }
    // The environment is not a usage error: ENJO_BASE_URL is often set for everything.
    Command::cargo_bin("enjo")
        .expect("binary")
        .env_clear()
        .env("ENJO_BASE_URL", "http://127.0.0.1:9")
        .args(["completions", "bash"])
        .assert()
        .success();
    // `enjo mock --token` is the server's accepted token, as before.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("enjo"))
        .args([
            "mock",
            "--token",
            "mine",
            "--exit-on-stdin-close",
            "--quiet",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    let port = line
        .trim()
        .strip_prefix("LISTENING ")
        .expect("LISTENING")
        .to_owned();
    let url = format!("http://127.0.0.1:{port}");
    for (token, code) in [("mine", 0), (DEFAULT_TOKEN, 4)] {
        Command::cargo_bin("enjo")
            .expect("binary")
            .env_clear()
            .env("ENJO_API_TOKEN", token)
            .args(["--base-url", &url, "send", "echo-bot", "hi"])
            .assert()
            .code(code);
    }
    drop(child.stdin.take());
    assert!(child.wait().expect("exits").success());
}

#[test]
fn enjo_mock_errors_keep_their_cause() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    Command::cargo_bin("enjo")
        .expect("binary")
        .env_clear()
        .args(["mock", "--quiet", "--port", &port])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "enjo mock: cannot listen on 127.0.0.1:{port}: "
        )))
        .stderr(predicate::str::contains("in use"));
}

#[test]
fn completions_into_a_closed_pipe_do_not_panic() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("enjo"))
        .args(["completions", "zsh"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("exits");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("panicked"),
        "{output:?}"
    );
}

#[test]
fn verbose_logs_are_plain_text_in_a_pipe() {
    let server = mock();
    enjo(&server)
        .args(["send", "-v", "echo-bot", "logged"])
        .assert()
        .success()
        .stderr(predicate::str::contains("attempt"))
        .stderr(predicate::str::contains("\u{1b}[").not())
        .stderr(predicate::str::contains(DEFAULT_TOKEN).not());
}

#[test]
fn extra_headers_are_sent_and_sdk_headers_refused() {
    let server = mock();
    enjo(&server)
        .args([
            "send",
            "echo-bot",
            "with headers",
            "--header",
            "X-Tenant: acme",
            "-H",
            "X-Request-Id:  trace-7 ",
            "-v",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("request id: trace-7\n"))
        .stderr(predicate::str::contains("enjo.request_id=\"trace-7\""))
        .stderr(predicate::str::contains("with headers").not());
    let log = server.requests();
    let headers = &log.last().expect("one request").headers;
    assert_eq!(headers.get("x-tenant").map(String::as_str), Some("acme"));
    assert_eq!(
        headers.get("x-request-id").map(String::as_str),
        Some("trace-7")
    );

    enjo(&server)
        .args([
            "send",
            "echo-bot",
            "refused",
            "--header",
            "authorization: x",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("cannot be overridden"));
    enjo(&server)
        .args(["send", "echo-bot", "refused", "--header", "no colon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'Name: value'"));
    assert_eq!(server.requests().len(), 1, "nothing refused was sent");
}
