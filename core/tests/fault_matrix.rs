//! The fault matrix (issue 21, item 4) for the Rust core: every row of
//! `spec/fault-matrix.json` against a real enjo-mock over HTTP, with the async and the blocking
//! client. Each row's outcome is written to `$ENJO_FAULT_MATRIX_RESULTS` (default
//! `target/fault-matrix/`) for `scripts/fault-matrix.py`, and a row whose outcome differs from
//! the data file fails the test.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::Mock;
use enjo::{ClientBuilder, RetryPolicy};
use serde_json::{Map, Value, json};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("core/ has a parent")
        .to_path_buf()
}

fn spec() -> Value {
    let text = std::fs::read_to_string(repo().join("spec/fault-matrix.json"))
        .expect("spec/fault-matrix.json is readable");
    serde_json::from_str(&text).expect("spec/fault-matrix.json is JSON")
}

/// The row's options over the defaults.
fn options(spec: &Value, row: &Value) -> Map<String, Value> {
    let mut merged = spec["defaults"].as_object().cloned().unwrap_or_default();
    if let Some(own) = row["options"].as_object() {
        merged.extend(own.clone());
    }
    merged
}

fn configure(mut builder: ClientBuilder, options: &Map<String, Value>) -> ClientBuilder {
    for (name, value) in options {
        builder = match name.as_str() {
            "timeout" => builder.timeout(Duration::from_secs_f64(value.as_f64().expect("seconds"))),
            "max_retries" => builder.max_retries(value.as_u64().expect("a count") as u32),
            "retry_policy" => builder.retry_policy(match value.as_str() {
                Some("at_least_once") => RetryPolicy::AtLeastOnce,
                _ => RetryPolicy::Safe,
            }),
            "max_response_bytes" => {
                builder.max_response_bytes(value.as_u64().expect("bytes") as usize)
            }
            other => panic!("spec/fault-matrix.json: option {other} is not known here"),
        };
    }
    builder
}

/// What one call gave, in the data file's terms.
fn observed(result: &enjo::Result<enjo::MessageResponse>) -> Map<String, Value> {
    let mut seen = Map::new();
    match result {
        Ok(reply) => {
            seen.insert("outcome".into(), json!("ok"));
            seen.insert("answers".into(), json!(reply.answers));
            seen.insert(
                "answers_length".into(),
                json!(reply.answers.as_ref().map(|a| a.chars().count())),
            );
            seen.insert("conversation_id".into(), json!(reply.conversation_id));
            seen.insert("sources".into(), json!(reply.sources.len()));
        }
        Err(error) => {
            seen.insert("outcome".into(), json!(error.kind().as_str()));
            seen.insert("status".into(), json!(error.status()));
            seen.insert("code".into(), json!(error.code()));
            seen.insert(
                "retry_after".into(),
                json!(error.retry_after().map(|d| d.as_secs_f64())),
            );
        }
    }
    seen
}

/// The differences between `expect` and what was seen (empty: the row passes).
fn mismatches(expect: &Value, seen: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for (key, want) in expect.as_object().into_iter().flatten() {
        let got = seen.get(key).unwrap_or(&Value::Null);
        let same = match (want.as_f64(), got.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            _ => want == got,
        };
        if !same {
            let shown = |v: &Value| {
                let s = v.to_string();
                if s.len() > 80 {
                    format!("{}…", s.chars().take(80).collect::<String>())
                } else {
                    s
                }
            };
            out.push(format!(
                "{key}: expected {}, got {}",
                shown(want),
                shown(got)
            ));
        }
    }
    out
}

async fn admin(mock: &Mock, path: &str, body: Option<Value>) -> Value {
    let http = reqwest::Client::new();
    let url = format!("{}{path}", mock.url());
    let request = match body {
        Some(body) => http.post(url).json(&body),
        None => http.get(url),
    };
    let response = request.send().await.expect("the admin API answers");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.expect("the admin API answers JSON")
}

/// Runs every row with `call` (one client per row) and writes `<binding>.json`.
async fn run_matrix<F, Fut>(binding: &str, call: F)
where
    F: Fn(Mock, Map<String, Value>) -> Fut,
    Fut: Future<Output = (Mock, enjo::Result<enjo::MessageResponse>)>,
{
    let spec = spec();
    let bot = spec["bot"].as_str().expect("bot");
    let mut mock = Mock::start();
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for row in spec["rows"].as_array().expect("rows") {
        let id = row["id"].as_str().expect("row id");
        admin(&mock, "/_mock/reset", Some(json!({}))).await;
        if let Some(fault) = row["fault"].as_str() {
            let mut rule = json!({"bot_id": bot, "fault": fault});
            if let Some(times) = row.get("times") {
                rule["times"] = times.clone();
            }
            admin(&mock, "/_mock/faults", Some(rule)).await;
        }
        let (back, result) = call(mock, options(&spec, row)).await;
        mock = back;
        let mut seen = observed(&result);
        let log = admin(&mock, &format!("/_mock/requests?bot_id={bot}"), None).await;
        let requests = log.as_array().map_or(0, Vec::len);
        seen.insert("requests".into(), json!(requests));
        let problems = mismatches(&row["expect"], &seen);
        let known = row["known_failures"][binding].as_str();
        let pass = problems.is_empty();
        if !pass && known.is_none() {
            failures.push(format!("{id}: {}", problems.join("; ")));
        }
        results.push(json!({
            "binding": binding,
            "fault": id,
            "outcome": seen["outcome"],
            "requests": requests,
            "pass": pass,
            "detail": problems.join("; "),
        }));
    }
    write_results(binding, &results);
    assert!(
        failures.is_empty(),
        "{binding}: rows differ from spec/fault-matrix.json:\n{}",
        failures.join("\n")
    );
}

fn write_results(binding: &str, results: &[Value]) {
    let dir = std::env::var_os("ENJO_FAULT_MATRIX_RESULTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/fault-matrix"));
    std::fs::create_dir_all(&dir).expect("the results directory can be created");
    let text = serde_json::to_string_pretty(results).expect("results serialize");
    std::fs::write(dir.join(format!("{binding}.json")), text + "\n")
        .expect("the results file can be written");
}

/// A guard far past every row's own timeout: a hang fails the row instead of the whole run.
const HANG_GUARD: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_matrix_async_client() {
    let spec = spec();
    let text = spec["text"].as_str().expect("text").to_owned();
    let bot = spec["bot"].as_str().expect("bot").to_owned();
    run_matrix("rust", |mock, options| {
        let (text, bot) = (text.clone(), bot.clone());
        async move {
            let client = configure(mock.client(), &options)
                .build()
                .expect("client builds");
            let result = tokio::time::timeout(HANG_GUARD, client.send_message(&bot, &text, None))
                .await
                .expect("the call ends within its own timeout");
            (mock, result)
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_matrix_blocking_client() {
    let spec = spec();
    let text = spec["text"].as_str().expect("text").to_owned();
    let bot = spec["bot"].as_str().expect("bot").to_owned();
    run_matrix("rust-blocking", |mock, options| {
        let (text, bot) = (text.clone(), bot.clone());
        async move {
            let builder = configure(mock.client(), &options);
            let call = tokio::task::spawn_blocking(move || {
                let client = builder.build_blocking().expect("client builds");
                client.send_message(&bot, &text, None)
            });
            let result = tokio::time::timeout(HANG_GUARD, call)
                .await
                .expect("the call ends within its own timeout")
                .expect("no panic");
            (mock, result)
        }
    })
    .await;
}
