//! enjo-mock over real HTTP: the documented contract, auth, conversations, tickets per
//! platform, every fault, rate limits, introspection, and the binary's process contract.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use enjo_mock::{DEFAULT_TOKEN, MockConfig, MockServer, Quota};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Mock {
    server: MockServer,
    http: reqwest::Client,
}

impl Mock {
    fn start(config: MockConfig) -> Mock {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Mock {
            server: MockServer::start_background(config).expect("server starts"),
            http: reqwest::Client::new(),
        }
    }

    fn unlimited() -> Mock {
        Mock::start(MockConfig::default().without_rate_limit())
    }

    async fn post(&self, bot: &str, body: Value, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}/v1/bots/{bot}/message", self.server.url()))
            .bearer_auth(DEFAULT_TOKEN)
            .json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("response")
    }

    async fn send(&self, bot: &str, text: &str) -> (StatusCode, Value) {
        self.send_with(bot, json!({"message": {"text": text}}), &[])
            .await
    }

    async fn send_with(
        &self,
        bot: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let response = self.post(bot, body, headers).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.server.url()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("admin answers");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.expect("admin JSON")
    }
}

#[tokio::test]
async fn the_documented_200_shape() {
    let mock = Mock::unlimited();
    let response = mock
        .post(
            "faq-bot",
            json!({"message": {"text": "How do I reset my password?"}}),
            &[],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["success"], true);
    let data = &body["data"];
    assert!(
        data["answers"]
            .as_str()
            .is_some_and(|a| a.contains("Forgot password"))
    );
    assert!(
        data["conversationId"]
            .as_str()
            .is_some_and(|c| c.len() == 36),
        "a UUID"
    );
    let sources = data["sources"].as_array().expect("sources");
    assert!(!sources.is_empty());
    for source in sources {
        for key in ["type", "name", "url"] {
            assert!(source[key].is_string(), "{key} in {source}");
        }
        let score = source["score"].as_f64().expect("score");
        assert!((0.0..=1.0).contains(&score));
    }
    assert!(data.get("ticketDetails").is_none());
}

/// A client's `X-Request-Id` comes back as the reply's `x-request-id` (as gateways do), and
/// the request log keeps the headers, the token redacted.
#[tokio::test]
async fn the_clients_request_id_is_echoed_and_headers_are_logged() {
    let mock = Mock::unlimited();
    let text = json!({"message": {"text": "hi"}});
    let response = mock
        .post(
            "echo-bot",
            text.clone(),
            &[("X-Request-Id", "req_mine"), ("X-Tenant", "acme")],
        )
        .await;
    assert_eq!(response.headers()["x-request-id"], "req_mine");
    let response = mock.post("echo-bot", text, &[]).await;
    let own = response.headers()["x-request-id"].to_str().expect("ascii");
    assert!(own.starts_with("req_") && own != "req_mine", "{own}");
    let log = mock
        .admin(
            reqwest::Method::GET,
            "/_mock/requests?bot_id=echo-bot",
            None,
        )
        .await;
    let headers = &log[0]["headers"];
    assert_eq!(headers["x-request-id"], "req_mine");
    assert_eq!(headers["x-tenant"], "acme");
    assert_eq!(headers["authorization"], "[redacted]");
    assert!(!log.to_string().contains(DEFAULT_TOKEN), "{log}");
}

#[tokio::test]
async fn authentication_and_request_errors() {
    let mock = Mock::unlimited();
    let url = format!("{}/v1/bots/faq-bot/message", mock.server.url());
    let body = json!({"message": {"text": "hi"}});
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("enjo-mock-token"),
        Some("Basic enjo-mock-token"),
    ] {
        let mut request = mock.http.post(&url).json(&body);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.expect("response");
        assert_eq!(response.status(), 401, "{auth:?}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(
            body,
            json!({"code": "authentication_error", "error": "Authentication Error"})
        );
    }
    let (status, body) = mock.send("no-such-bot", "hi").await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"code": "invalid_request_error", "error": "botId not found"})
    );
    for bad in [
        json!({}),
        json!({"message": {"text": ""}}),
        json!({"message": {"text": 3}}),
        json!({"message": {"text": "x", "conversationId": 5}}),
        json!({"message": {"text": "x", "conversationId": null}}),
        json!({"message": {"text": "x", "conversationId": ""}}),
        json!({"message": {"text": "x", "conversationId": ["c1"]}}),
        json!({"message": {"text": "x", "conversationId": {"id": "c1"}}}),
    ] {
        let (status, body) = mock.send_with("faq-bot", bad.clone(), &[]).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["code"], "invalid_request_error");
    }
    let (status, body) = mock
        .send_with(
            "faq-bot",
            json!({"message": {"text": "x", "conversationId": 5}}),
            &[],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        "message.conversationId must be a non-empty string (leave it out to start a conversation)"
    );
    let raw = mock
        .http
        .post(&url)
        .bearer_auth(DEFAULT_TOKEN)
        .body("{not json")
        .send()
        .await;
    assert_eq!(raw.expect("response").status(), 400);
    for (method, path) in [
        ("GET", "/v1/bots/faq-bot/message"),
        ("POST", "/v1/bots"),
        ("GET", "/"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = mock
            .http
            .request(method.clone(), format!("{}{path}", mock.server.url()))
            .bearer_auth(DEFAULT_TOKEN)
            .send()
            .await
            .expect("response");
        assert_eq!(response.status(), 404, "{method} {path}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body, json!({"code": "not_found", "error": "Not Found"}));
    }
}

#[tokio::test]
async fn conversations_continue_and_get_one_ticket() {
    let mock = Mock::unlimited();
    let (_, first) = mock.send("support-bot", "Our SSO login fails").await;
    let id = first["data"]["conversationId"]
        .as_str()
        .expect("id")
        .to_owned();
    let follow = |text: &str| json!({"message": {"text": text, "conversationId": id}});
    let (_, second) = mock
        .send_with("support-bot", follow("please open a ticket"), &[])
        .await;
    assert_eq!(second["data"]["conversationId"], id.as_str());
    let ticket = &second["data"]["ticketDetails"];
    let description = ticket["Description"].as_str().expect("description");
    assert!(description.contains("Our SSO login fails") && description.contains("open a ticket"));
    let (_, third) = mock
        .send_with("support-bot", follow("any news on my ticket?"), &[])
        .await;
    assert_eq!(
        third["data"]["ticketDetails"]["CaseNumber"],
        ticket["CaseNumber"]
    );
    let tickets = mock
        .admin(reqwest::Method::GET, "/_mock/tickets", None)
        .await;
    assert_eq!(
        tickets.as_array().map(Vec::len),
        Some(1),
        "one ticket per conversation"
    );
    assert_eq!(tickets[0]["conversation_id"], id.as_str());
    assert_eq!(tickets[0]["platform"], "salesforce");
    // An unknown conversation id given by the client starts a conversation under that id.
    let (_, own) = mock
        .send_with(
            "faq-bot",
            json!({"message": {"text": "hi", "conversationId": "mine-1"}}),
            &[],
        )
        .await;
    assert_eq!(own["data"]["conversationId"], "mine-1");
}

/// `conversationId` is read inside `message` only, where the vendor's samples put it. A
/// top-level one is an unknown key: ignored, whatever its type, so the request starts a NEW
/// conversation, as it would on the real API.
#[tokio::test]
async fn a_top_level_conversation_id_is_ignored_and_starts_a_new_conversation() {
    let mock = Mock::unlimited();
    let (_, first) = mock.send("faq-bot", "What does it cost?").await;
    let id = first["data"]["conversationId"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, misplaced) = mock
        .send_with(
            "faq-bot",
            json!({"message": {"text": "and per year?"}, "conversationId": id}),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    let new_id = misplaced["data"]["conversationId"].as_str().expect("id");
    assert_ne!(
        new_id, id,
        "a top-level conversationId must not continue the conversation"
    );
    // Ignored whatever its type: an unknown key is never an error.
    for ignored in [json!(5), json!(null), json!(""), json!({"id": "x"})] {
        let (status, body) = mock
            .send_with(
                "faq-bot",
                json!({"message": {"text": "hi"}, "conversationId": ignored}),
                &[],
            )
            .await;
        assert_eq!(status, 200, "{ignored}");
        assert_ne!(body["data"]["conversationId"], id.as_str());
    }
    let log = mock.server.requests();
    assert_eq!(log[1].conversation_id, None, "the log records no id either");
    // The placed id continues it.
    let (_, placed) = mock
        .send_with(
            "faq-bot",
            json!({"message": {"text": "and per year?", "conversationId": id}}),
            &[],
        )
        .await;
    assert_eq!(placed["data"]["conversationId"], id.as_str());
}

/// The request log keeps each body exactly as received (its JSON, or null when it is not
/// JSON), in `MockServer::requests` and `GET /_mock/requests`, so that every suite can check
/// what a client put on the wire.
#[tokio::test]
async fn the_request_log_keeps_the_body_as_received() {
    let mock = Mock::unlimited();
    let sent = json!({"message": {"text": "hi", "conversationId": "c-1"}, "extra": [1, null]});
    mock.send_with("faq-bot", sent.clone(), &[]).await;
    let raw = mock
        .http
        .post(format!("{}/v1/bots/faq-bot/message", mock.server.url()))
        .bearer_auth(DEFAULT_TOKEN)
        .body("{not json")
        .send()
        .await
        .expect("response");
    assert_eq!(raw.status(), 400);
    // Refused before the body is checked (no token): still logged as received.
    let unauthorized = mock
        .http
        .post(format!("{}/v1/bots/faq-bot/message", mock.server.url()))
        .json(&json!({"message": {"text": "no token"}}))
        .send()
        .await
        .expect("response");
    assert_eq!(unauthorized.status(), 401);
    let log = mock.server.requests();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].body, sent);
    assert_eq!(log[0].conversation_id.as_deref(), Some("c-1"));
    assert_eq!(log[1].body, Value::Null);
    assert_eq!(log[2].body, json!({"message": {"text": "no token"}}));
    let over_http = mock
        .admin(reqwest::Method::GET, "/_mock/requests", None)
        .await;
    assert_eq!(over_http[0]["body"], sent);
    assert_eq!(over_http[1]["body"], Value::Null);
}

#[tokio::test]
async fn tickets_in_each_platform_shape() {
    let mock = Mock::unlimited();
    let ask = "This is urgent: please create a ticket, the VPN is down";
    let (_, sf) = mock.send("support-bot", ask).await;
    let sf = &sf["data"]["ticketDetails"];
    assert_eq!(sf["attributes"]["type"], "Case");
    assert!(sf["CaseNumber"].as_str().is_some_and(|n| n.len() == 8));
    for key in [
        "Id",
        "url",
        "Status",
        "Priority",
        "Description",
        "CreatedDate",
        "LastModifiedDate",
        "SuppliedEmail",
    ] {
        assert!(sf[key].is_string(), "salesforce {key}");
    }
    assert_eq!(sf["Priority"], "High");
    let (_, jira) = mock.send("jira-bot", ask).await;
    let jira = &jira["data"]["ticketDetails"];
    assert!(jira["key"].as_str().is_some_and(|k| k.starts_with("SUP-")));
    assert_eq!(jira["fields"]["status"]["name"], "To Do");
    assert_eq!(jira["fields"]["priority"]["name"], "High");
    let (_, snow) = mock.send("servicenow-bot", ask).await;
    let snow = &snow["data"]["ticketDetails"];
    assert!(
        snow["number"]
            .as_str()
            .is_some_and(|n| n.starts_with("INC"))
    );
    assert_eq!(snow["state"], "New");
    let (_, faq) = mock.send("faq-bot", ask).await;
    assert!(faq["data"].get("ticketDetails").is_none());
    assert!(
        faq["data"]["answers"]
            .as_str()
            .is_some_and(|a| a.contains("no ticket was created"))
    );
    let (_, plain) = mock.send("jira-bot", "How do I deploy to staging?").await;
    assert!(
        plain["data"].get("ticketDetails").is_none(),
        "no ticket unless asked"
    );
}

#[tokio::test]
async fn echo_bot_returns_the_text_exactly() {
    let mock = Mock::unlimited();
    let text = "Grüße 世界 🎫 \"quotes\" \\ and\nnewlines";
    let (_, body) = mock.send("echo-bot", text).await;
    assert_eq!(body["data"]["answers"], text);
}

#[tokio::test]
async fn every_fault_through_the_header() {
    let mock = Mock::unlimited();
    let body = || json!({"message": {"text": "fault test"}});
    let status_of = |response: &reqwest::Response| response.status().as_u16();

    for (spec, status, code) in [
        ("500", 500, "server_error"),
        ("status=400", 400, "invalid_request_error"),
        ("status=404", 404, "not_found"),
        ("status=503", 503, "server_error"),
        ("status=418", 418, "api_error"),
    ] {
        let response = mock
            .post("faq-bot", body(), &[("x-enjo-mock-fault", spec)])
            .await;
        assert_eq!(status_of(&response), status, "{spec}");
        let json: Value = response.json().await.expect("json");
        assert_eq!(json["code"], code, "{spec}");
        assert!(
            json["error"].is_string(),
            "{spec}: the {{code, error}} shape"
        );
    }
    let response = mock
        .post(
            "faq-bot",
            body(),
            &[(
                "x-enjo-mock-fault",
                "status=429;shape=message;retry-after-ms=1500",
            )],
        )
        .await;
    assert_eq!(status_of(&response), 429);
    assert_eq!(response.headers()["retry-after"], "2");
    assert_eq!(response.headers()["retry-after-ms"], "1500");
    let json: Value = response.json().await.expect("json");
    assert_eq!(
        json,
        json!({"code": "rate_limit_error", "message": "Rate limit exceeded", "status": 429})
    );
    let response = mock
        .post("faq-bot", body(), &[("x-enjo-mock-fault", "429")])
        .await;
    assert_eq!(response.headers()["retry-after"], "1");
    let response = mock
        .post(
            "faq-bot",
            body(),
            &[("x-enjo-mock-fault", "status=429;retry-after=none")],
        )
        .await;
    assert!(!response.headers().contains_key("retry-after"));

    let response = mock
        .post(
            "faq-bot",
            body(),
            &[("x-enjo-mock-fault", "malformed-json")],
        )
        .await;
    assert_eq!(status_of(&response), 200);
    let text = response.text().await.expect("text");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    let response = mock
        .post("faq-bot", body(), &[("x-enjo-mock-fault", "html-502")])
        .await;
    assert_eq!(status_of(&response), 502);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.contains("html"))
    );

    let response = mock
        .post(
            "faq-bot",
            body(),
            &[("x-enjo-mock-fault", "empty-body=503")],
        )
        .await;
    assert_eq!(status_of(&response), 503);
    assert!(response.bytes().await.expect("body").is_empty());

    let (status, json) = mock
        .send_with("faq-bot", body(), &[("x-enjo-mock-fault", "success-false")])
        .await;
    assert_eq!((status.as_u16(), &json["success"]), (200, &json!(false)));
    let (_, json) = mock
        .send_with(
            "faq-bot",
            body(),
            &[("x-enjo-mock-fault", "missing-fields")],
        )
        .await;
    assert_eq!(json, json!({"success": true, "data": {}}));
    let (_, json) = mock
        .send_with(
            "support-bot",
            json!({"message": {"text": "open a ticket"}}),
            &[("x-enjo-mock-fault", "extra-fields")],
        )
        .await;
    assert!(json["x_mock_extra"].is_object() && json["data"]["x_mock_extra"].is_object());
    assert!(json["data"]["ticketDetails"]["x_mock_extra"].is_object());
    let (_, json) = mock
        .send_with(
            "faq-bot",
            body(),
            &[("x-enjo-mock-fault", "huge-body=123456")],
        )
        .await;
    assert_eq!(
        json["data"]["answers"].as_str().map(str::len),
        Some(123_456)
    );
    let (status, _) = mock
        .send_with("faq-bot", body(), &[("x-enjo-mock-fault", "delay=50")])
        .await;
    assert_eq!(status, 200);

    let reset = mock
        .http
        .post(format!("{}/v1/bots/faq-bot/message", mock.server.url()))
        .bearer_auth(DEFAULT_TOKEN)
        .header("x-enjo-mock-fault", "reset")
        .json(&body())
        .send()
        .await;
    assert!(reset.is_err(), "a reset connection gives no response");

    let (status, _) = mock
        .send_with(
            "support-bot",
            json!({"message": {"text": "create a ticket please"}}),
            &[("x-enjo-mock-fault", "500-after-ticket")],
        )
        .await;
    assert_eq!(status, 500);
    let tickets = mock
        .admin(reqwest::Method::GET, "/_mock/tickets", None)
        .await;
    assert_eq!(
        tickets.as_array().map(Vec::len),
        Some(2),
        "extra-fields and 500-after-ticket both created one"
    );

    let (status, json) = mock
        .send_with("faq-bot", body(), &[("x-enjo-mock-fault", "no-such-fault")])
        .await;
    assert_eq!(status, 400);
    assert!(
        json["error"]
            .as_str()
            .is_some_and(|e| e.contains("unknown fault"))
    );

    let log = mock
        .admin(reqwest::Method::GET, "/_mock/requests?bot_id=faq-bot", None)
        .await;
    let faults: Vec<&str> = log
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|r| r["fault"].as_str())
        .collect();
    assert!(
        faults.contains(&"reset") && faults.contains(&"delay=50") && faults.contains(&"html-502")
    );
    let reset_entry = log
        .as_array()
        .expect("log")
        .iter()
        .find(|r| r["fault"] == "reset")
        .expect("logged");
    assert_eq!(reset_entry["status"], 0, "never answered");
}

#[tokio::test]
async fn queued_faults_apply_the_given_number_of_times() {
    let mock = Mock::unlimited();
    mock.admin(
        reqwest::Method::POST,
        "/_mock/faults",
        Some(json!({"bot_id": "faq-bot", "fault": "500", "times": 2})),
    )
    .await;
    let (other, _) = mock.send("echo-bot", "another bot is not affected").await;
    assert_eq!(other, 200);
    let statuses = [
        mock.send("faq-bot", "a").await.0,
        mock.send("faq-bot", "b").await.0,
        mock.send("faq-bot", "c").await.0,
    ];
    assert_eq!(statuses.map(|s| s.as_u16()), [500, 500, 200]);
    let refused = mock
        .http
        .post(format!("{}/_mock/faults", mock.server.url()))
        .json(&json!({"fault": "bogus"}))
        .send()
        .await
        .expect("response");
    assert_eq!(refused.status(), 400);
    mock.admin(reqwest::Method::POST, "/_mock/reset", None)
        .await;
    let log = mock
        .admin(reqwest::Method::GET, "/_mock/requests", None)
        .await;
    assert_eq!(log, json!([]));
}

#[tokio::test]
async fn rate_limits_per_ip_with_the_documented_body() {
    // A window long enough that six back-to-back requests surely fall inside it.
    let window = Duration::from_secs(2);
    let mock = Mock::start(MockConfig::default().with_rate_limit(vec![Quota {
        requests: 5,
        window,
    }]));
    for i in 0..5 {
        assert_eq!(mock.send("echo-bot", &format!("r{i}")).await.0, 200);
    }
    let response = mock
        .post("echo-bot", json!({"message": {"text": "r5"}}), &[])
        .await;
    assert_eq!(response.status(), 429);
    let wait_ms: u64 = response.headers()["retry-after-ms"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("ms");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("s");
    assert!(wait_ms <= window.as_millis() as u64);
    assert!(retry_after >= 1 && retry_after * 1000 >= wait_ms);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"code": "rate_limit_error", "message": "Rate limit exceeded", "status": 429})
    );
    // Admin endpoints are not limited; refused requests are not counted.
    mock.admin(reqwest::Method::GET, "/_mock/requests", None)
        .await;
    tokio::time::sleep(Duration::from_millis(wait_ms + 20)).await;
    assert_eq!(mock.send("echo-bot", "after the window").await.0, 200);
}

#[tokio::test]
async fn the_token_is_never_logged() {
    let mock = Mock::unlimited();
    mock.send("faq-bot", "with the right token").await;
    let secret = "sk-should-never-appear";
    mock.http
        .post(format!("{}/v1/bots/faq-bot/message", mock.server.url()))
        .bearer_auth(secret)
        .json(&json!({"message": {"text": "with a wrong token"}}))
        .send()
        .await
        .expect("response");
    let log = mock
        .http
        .get(format!("{}/_mock/requests", mock.server.url()))
        .send()
        .await
        .expect("log")
        .text()
        .await
        .expect("text");
    assert!(
        !log.contains(secret) && !log.contains(DEFAULT_TOKEN),
        "{log}"
    );
    let log: Value = serde_json::from_str(&log).expect("json");
    assert_eq!(log[0]["authorized"], true);
    assert_eq!(log[1]["authorized"], false);
    assert_eq!(log[1]["status"], 401);
}

fn read_listening(child: &mut std::process::Child) -> u16 {
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    line.strip_prefix("LISTENING ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("first line was {line:?}"))
}

#[tokio::test]
async fn the_binary_prints_its_port_first_and_exits_when_stdin_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_enjo-mock"))
        .args([
            "--port",
            "0",
            "--exit-on-stdin-close",
            "--quiet",
            "--rate-limit",
            "off",
            "--token",
            "t1",
            "--token",
            "t2",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let port = read_listening(&mut child);
    let http = reqwest::Client::new();
    for token in ["t1", "t2"] {
        let status = http
            .post(format!("http://127.0.0.1:{port}/v1/bots/faq-bot/message"))
            .bearer_auth(token)
            .json(&json!({"message": {"text": "hi"}}))
            .send()
            .await
            .expect("response")
            .status();
        assert_eq!(status, 200, "token {token}");
    }
    drop(child.stdin.take());
    let status = child.wait().expect("exits");
    assert!(status.success(), "{status}");
}

#[test]
fn print_config_loads_back_with_config() {
    let output = Command::new(env!("CARGO_BIN_EXE_enjo-mock"))
        .arg("--print-config")
        .output()
        .expect("runs");
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).expect("utf8");
    let bots = enjo_mock::config::bots_from_toml(&printed).expect("parses");
    assert_eq!(bots, enjo_mock::default_bots());
    let path = std::env::temp_dir().join(format!("enjo-mock-bots-{}.toml", std::process::id()));
    let custom = printed.replace("id = \"faq-bot\"", "id = \"custom-bot\"");
    std::fs::write(&path, custom).expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_enjo-mock"))
        .args(["--exit-on-stdin-close", "--quiet", "--config"])
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let port = read_listening(&mut child);
    let post = |bot: &str| {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let body = r#"{"message":{"text":"pricing"}}"#;
        let request = format!(
            "POST /v1/bots/{bot}/message HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {DEFAULT_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        std::io::Write::write_all(&mut stream, request.as_bytes()).expect("write");
        let mut reply = String::new();
        std::io::Read::read_to_string(&mut stream, &mut reply).expect("read");
        reply.lines().next().unwrap_or_default().to_owned()
    };
    assert!(post("custom-bot").contains("200"), "the file's bot exists");
    assert!(
        post("faq-bot").contains("400"),
        "the file replaced the defaults"
    );
    drop(child.stdin.take());
    assert!(child.wait().expect("exits").success());
    let _ = std::fs::remove_file(path);
    let bad = Command::new(env!("CARGO_BIN_EXE_enjo-mock"))
        .args(["--config", "/nonexistent/bots.toml"])
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot read"));
}

#[tokio::test]
async fn huge_bodies_with_and_without_content_length_and_their_cap() {
    let mock = Mock::unlimited();
    let body = || json!({"message": {"text": "please open a ticket"}});
    let response = mock
        .post(
            "support-bot",
            body(),
            &[("x-enjo-mock-fault", "huge-body=200000")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let length: Option<u64> = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let json: Value = response.json().await.expect("json");
    let answers = json["data"]["answers"].as_str().expect("answers");
    assert_eq!(answers.len(), 200_000);
    assert!(answers.bytes().all(|b| b == b'x'));
    assert!(
        length.is_some_and(|l| l > 200_000),
        "huge-body has a Content-Length: {length:?}"
    );
    assert!(json["data"]["ticketDetails"]["CaseNumber"].is_string());

    // Chunked: no Content-Length, the size is only known by reading; still the documented JSON.
    let size = 3 * 1024 * 1024 + 7;
    let response = mock
        .post(
            "support-bot",
            body(),
            &[("x-enjo-mock-fault", &format!("huge-body-chunked={size}"))],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(!response.headers().contains_key("content-length"));
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    assert_eq!(response.headers()["content-type"], "application/json");
    let json: Value = response.json().await.expect("json");
    assert_eq!(json["success"], true);
    assert_eq!(json["data"]["answers"].as_str().map(str::len), Some(size));
    assert!(json["data"]["conversationId"].is_string());
    assert!(json["data"]["sources"].is_array());
    assert!(json["data"]["ticketDetails"]["CaseNumber"].is_string());

    // Over the cap (256 MiB): a clear 400, through the header, the queue and a bot's config.
    for spec in ["huge-body=268435457", "huge-body-chunked=999999999999"] {
        let (status, json) = mock
            .send_with("faq-bot", body(), &[("x-enjo-mock-fault", spec)])
            .await;
        assert_eq!(status, 400, "{spec}");
        assert_eq!(json["code"], "invalid_request_error");
        assert!(
            json["error"]
                .as_str()
                .is_some_and(|e| e.contains("over the limit of 268435456 bytes")),
            "{json}"
        );
    }
    let refused = mock
        .http
        .post(format!("{}/_mock/faults", mock.server.url()))
        .json(&json!({"fault": "huge-body=268435457"}))
        .send()
        .await
        .expect("response");
    assert_eq!(refused.status(), 400);
    let bot = r#"[[bots]]
id = "big"
fault = "huge-body-chunked=268435457"
"#;
    let err = enjo_mock::config::bots_from_toml(bot).expect_err("over the cap");
    assert!(err.contains("over the limit"), "{err}");
    let log = mock.server.requests();
    let faults: Vec<_> = log.iter().filter_map(|r| r.fault.as_deref()).collect();
    assert_eq!(
        faults,
        ["huge-body=200000", &format!("huge-body-chunked={size}")]
    );
}

#[tokio::test]
async fn a_bots_own_fault_from_the_config_file() {
    let path = std::env::temp_dir().join(format!("enjo-mock-faulty-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        r#"
[[bots]]
id = "flaky-bot"
ticketing = "jira"
fault = "status=503;shape=message"

[[bots.articles]]
title = "Deploys"
url = "https://kb.example/deploys"
body = "Merging to main deploys to staging."

[[bots]]
id = "steady-bot"
echo = true
"#,
    )
    .expect("write");
    let config = MockConfig::default()
        .without_rate_limit()
        .with_bots_file(&path)
        .expect("the file loads");
    let _ = std::fs::remove_file(&path);
    let mock = Mock::start(config);
    let (status, body) = mock.send("flaky-bot", "How do I deploy?").await;
    assert_eq!(status, 503);
    assert_eq!(
        body,
        json!({"code": "server_error", "message": "Service Unavailable", "status": 503})
    );
    let (status, body) = mock.send("steady-bot", "unaffected").await;
    assert_eq!(
        (status.as_u16(), &body["data"]["answers"]),
        (200, &json!("unaffected"))
    );
    // A queued fault comes first, then the header; the bot's own fault applies otherwise.
    mock.server
        .add_fault(enjo_mock::FaultRule {
            bot_id: Some("flaky-bot".into()),
            fault: "status=409".into(),
            times: Some(1),
        })
        .expect("queued");
    assert_eq!(mock.send("flaky-bot", "queued").await.0, 409);
    let (status, body) = mock
        .send_with(
            "flaky-bot",
            json!({"message": {"text": "How do I deploy?"}}),
            &[("x-enjo-mock-fault", "extra-fields")],
        )
        .await;
    assert_eq!(status, 200, "the header replaces the bot's fault");
    assert!(body["x_mock_extra"].is_object());
    assert_eq!(mock.send("flaky-bot", "again").await.0, 503);
    let faults: Vec<_> = mock
        .server
        .requests()
        .into_iter()
        .map(|r| (r.bot_id.unwrap_or_default(), r.fault, r.status))
        .collect();
    assert_eq!(
        faults,
        [
            ("flaky-bot".into(), Some("status=503".into()), 503),
            ("steady-bot".into(), None, 200),
            ("flaky-bot".into(), Some("status=409".into()), 409),
            ("flaky-bot".into(), Some("extra-fields".into()), 200),
            ("flaky-bot".into(), Some("status=503".into()), 503),
        ]
    );
    // A bad fault in a bot's config is refused when the file loads, naming the bot.
    let bad = enjo_mock::config::bots_from_toml("[[bots]]\nid = \"b\"\nfault = \"nope\"\n")
        .expect_err("unknown fault");
    assert!(
        bad.contains("bot b") && bad.contains("unknown fault"),
        "{bad}"
    );
}

#[tokio::test]
async fn two_quotas_at_once_each_bind() {
    // 3 per second and 5 per minute: the fourth request of a burst is refused by the short
    // quota alone (the long one allows 5); once the short window has passed, two more fit and
    // the next is refused by the long quota, with a wait no short window could explain.
    let quotas = enjo_mock::parse_rate_limit("3/1s,5/60s")
        .expect("spec")
        .expect("on");
    let mock = Mock::start(MockConfig::default().with_rate_limit(quotas));
    let wait_ms = |response: &reqwest::Response| -> u64 {
        response.headers()["retry-after-ms"]
            .to_str()
            .ok()
            .and_then(|v| v.parse().ok())
            .expect("retry-after-ms")
    };
    for i in 0..3 {
        assert_eq!(mock.send("echo-bot", &format!("burst {i}")).await.0, 200);
    }
    let refused = mock
        .post("echo-bot", json!({"message": {"text": "burst 3"}}), &[])
        .await;
    assert_eq!(refused.status(), 429, "the 3/1s quota binds");
    let short_wait = wait_ms(&refused);
    assert!(short_wait <= 1000, "{short_wait}");
    tokio::time::sleep(Duration::from_millis(short_wait + 50)).await;
    for i in 0..2 {
        assert_eq!(mock.send("echo-bot", &format!("later {i}")).await.0, 200);
    }
    let refused = mock
        .post("echo-bot", json!({"message": {"text": "later 2"}}), &[])
        .await;
    assert_eq!(refused.status(), 429, "the 5/60s quota binds");
    assert!(
        wait_ms(&refused) > 1000,
        "the wait is the long window's: {}",
        wait_ms(&refused)
    );
    assert_eq!(
        refused.headers()["retry-after"]
            .to_str()
            .ok()
            .map(|s| s.parse::<u64>().is_ok_and(|s| s > 1)),
        Some(true)
    );
    let statuses: Vec<u16> = mock.server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 200, 429, 200, 200, 429]);
}

#[tokio::test]
async fn rate_limited_requests_log_whether_the_token_was_valid() {
    let mock = Mock::start(MockConfig::default().with_rate_limit(vec![Quota {
        requests: 1,
        window: Duration::from_secs(60),
    }]));
    assert_eq!(mock.send("echo-bot", "first").await.0, 200);
    assert_eq!(mock.send("echo-bot", "valid token, over").await.0, 429);
    let response = mock
        .http
        .post(format!("{}/v1/bots/echo-bot/message", mock.server.url()))
        .bearer_auth("wrong-token")
        .json(&json!({"message": {"text": "bad token, over"}}))
        .send()
        .await
        .expect("response");
    assert_eq!(
        response.status(),
        429,
        "the per-IP limit is in front of authentication"
    );
    let log: Vec<_> = mock
        .server
        .requests()
        .into_iter()
        .map(|r| (r.status, r.authorized))
        .collect();
    assert_eq!(log, [(200, true), (429, true), (429, false)]);
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let mock = Mock::unlimited();
    let url = format!("{}/v1/bots/echo-bot/message", mock.server.url());
    for (auth, status) in [
        ("Bearer enjo-mock-token", 200),
        ("bearer enjo-mock-token", 200),
        ("BEARER enjo-mock-token", 200),
        ("  bEaReR   enjo-mock-token ", 200),
        ("Bearer\tenjo-mock-token", 200),
        ("Bearer ENJO-MOCK-TOKEN", 401),
        ("Bearerenjo-mock-token", 401),
        ("Token enjo-mock-token", 401),
        ("Bearer", 401),
    ] {
        let response = mock
            .http
            .post(&url)
            .header("authorization", auth)
            .json(&json!({"message": {"text": "hi"}}))
            .send()
            .await
            .expect("response");
        assert_eq!(response.status(), status, "{auth:?}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_gets_a_json_413() {
    let mock = Mock::unlimited();
    let url = format!("{}/v1/bots/echo-bot/message", mock.server.url());
    let text = "x".repeat(enjo_mock::routes::MAX_REQUEST_BODY);
    let response = mock
        .http
        .post(&url)
        .bearer_auth(DEFAULT_TOKEN)
        .json(&json!({"message": {"text": text}}))
        .send()
        .await
        .expect("a response, not a reset");
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"code": "api_error", "error": "The request body is over the limit of 2 MiB"})
    );
    // Just under the limit is fine.
    let text = "y".repeat(enjo_mock::routes::MAX_REQUEST_BODY - 100);
    let (status, body) = mock.send("echo-bot", &text).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["answers"].as_str().map(str::len),
        Some(text.len())
    );
    // Authentication is still checked first; the log has both.
    let response = mock
        .http
        .post(&url)
        .bearer_auth("wrong")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 401);
    let statuses: Vec<u16> = mock.server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [413, 200, 401]);
}

#[tokio::test]
async fn ticket_keywords_are_whole_words_and_phrases() {
    let mock = Mock::unlimited();
    for text in [
        "What can the AI agent do?",
        "Where is the human resources policy?",
        "Which ticketing systems do you support?",
    ] {
        let (_, body) = mock.send("support-bot", text).await;
        assert!(body["data"].get("ticketDetails").is_none(), "{text}");
    }
    assert!(mock.server.tickets().is_empty());
    for text in ["I need a human", "can I talk to someone?", "open a ticket"] {
        let (_, body) = mock.send("support-bot", text).await;
        assert!(
            body["data"]["ticketDetails"]["CaseNumber"].is_string(),
            "{text}"
        );
    }
    assert_eq!(mock.server.tickets().len(), 3);
}

#[tokio::test]
async fn in_process_start_serves_and_stop_closes_the_port() {
    let mut server = MockServer::start(MockConfig::default().without_rate_limit())
        .await
        .expect("starts on the test's runtime");
    let url = format!("{}/v1/bots/echo-bot/message", server.url());
    assert_eq!(server.url(), format!("http://127.0.0.1:{}", server.port()));
    let http = reqwest::Client::new();
    let body: Value = http
        .post(&url)
        .bearer_auth(DEFAULT_TOKEN)
        .json(&json!({"message": {"text": "in process"}}))
        .send()
        .await
        .expect("response")
        .json()
        .await
        .expect("json");
    assert_eq!(body["data"]["answers"], "in process");
    assert_eq!(server.requests().len(), 1);
    server.stop();
    // The accept loop runs on this runtime: let it see the stop, then the port is closed.
    let mut refused = false;
    for _ in 0..200 {
        tokio::task::yield_now().await;
        if tokio::net::TcpStream::connect(("127.0.0.1", server.port()))
            .await
            .is_err()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "still accepting connections after stop()");
}

#[test]
fn sigterm_right_after_listening_is_a_clean_exit() {
    // The signal follows the first line as fast as a fixture can send it (kill(2) directly,
    // not a `kill` process), so a handler installed after printing would lose the race.
    for _ in 0..20 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_enjo-mock"))
            .args(["--port", "0", "--quiet"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        read_listening(&mut child);
        let pid = libc::pid_t::try_from(child.id()).expect("pid");
        // SAFETY: kill(2) on our own child, which has not been waited for yet.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let status = child.wait().expect("exits");
        assert_eq!(
            status.code(),
            Some(0),
            "{status}: handled, not killed by the signal"
        );
    }
}

/// Sends `head` and, after a pause, `body` on `stream`, and reads one response (head and a
/// `Content-Length` body); `None` when the server closed the connection instead of answering.
fn exchange_in_two_writes(
    stream: &mut std::net::TcpStream,
    head: &str,
    body: &str,
) -> Option<String> {
    use std::io::{Read, Write};
    stream.write_all(head.as_bytes()).ok()?;
    std::thread::sleep(Duration::from_millis(50));
    stream.write_all(body.as_bytes()).ok()?;
    let mut received = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                return Some(text);
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
        }
    }
}

#[test]
fn a_connection_stays_usable_when_a_body_arrives_after_its_head() {
    // Java's HttpClient writes a request's head and its body separately; hyper closes a
    // connection whose request body the handler left unread and that had not arrived yet, so
    // the client's next request on it (a pooled connection) got no answer. Every route reads
    // its body, so each request below is answered on the one connection.
    let mock = Mock::unlimited();
    let address = mock.server.url().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let post = |path: &str, body: &str| {
        (
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {DEFAULT_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ),
            body.to_owned(),
        )
    };
    let requests = [
        post("/_mock/reset", "{}"),
        post(
            "/_mock/faults",
            r#"{"fault":"500","bot_id":"faq-bot","times":1}"#,
        ),
        post("/_mock/reset", "{}"),
        post("/no/such/route", "{}"),
        post(
            "/v1/bots/faq-bot/message",
            r#"{"message":{"text":"pricing"}}"#,
        ),
    ];
    for (i, (head, body)) in requests.iter().enumerate() {
        let reply = exchange_in_two_writes(&mut stream, head, body).unwrap_or_else(|| {
            panic!(
                "request {i} ({}) got no answer",
                head.lines().next().unwrap_or_default()
            )
        });
        assert!(reply.starts_with("HTTP/1.1 "), "request {i}: {reply}");
        assert!(
            !reply.to_ascii_lowercase().contains("connection: close"),
            "request {i} closed the connection: {reply}"
        );
    }
}
