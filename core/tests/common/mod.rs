//! Test support: an `enjo-mock` server in this process, over real HTTP on 127.0.0.1:0.
#![allow(dead_code)]

pub mod log_capture;
pub mod redis_server;
pub mod vendor_body;

use std::time::Duration;

use enjo::{ClientBuilder, RateLimit};
use enjo_mock::{DEFAULT_TOKEN, MockConfig, MockServer, Quota as MockQuota};
use serde_json::{Value, json};

/// A running mock plus a plain HTTP client for its admin API.
pub struct Mock {
    pub server: MockServer,
    admin: reqwest::Client,
}

impl Mock {
    /// A mock without rate limits (the tests that need limits say so).
    pub fn start() -> Mock {
        Mock::with_config(MockConfig::default().without_rate_limit())
    }

    /// A mock enforcing `quotas` per client IP.
    pub fn with_rate_limit(quotas: &[(u32, Duration)]) -> Mock {
        let quotas = quotas
            .iter()
            .map(|&(requests, window)| MockQuota { requests, window })
            .collect();
        Mock::with_config(MockConfig::default().with_rate_limit(quotas))
    }

    pub fn with_config(config: MockConfig) -> Mock {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let server = MockServer::start_background(config).expect("mock server starts");
        Mock {
            server,
            admin: reqwest::Client::new(),
        }
    }

    pub fn url(&self) -> String {
        self.server.url().to_owned()
    }

    /// A client builder aimed at this mock: its token, no env, no client-side limits.
    pub fn client(&self) -> ClientBuilder {
        enjo::Client::builder()
            .ignore_env()
            .token(DEFAULT_TOKEN)
            .base_url(self.url())
            .rate_limit(RateLimit::Off)
    }

    /// Queues a fault for `bot_id` (`times` requests, or until reset).
    pub async fn fault(&self, bot_id: &str, spec: &str, times: Option<u32>) {
        let mut rule = json!({"bot_id": bot_id, "fault": spec});
        if let Some(times) = times {
            rule["times"] = json!(times);
        }
        let status = self
            .admin
            .post(format!("{}/_mock/faults", self.url()))
            .json(&rule)
            .send()
            .await
            .expect("admin API answers")
            .status();
        assert!(status.is_success(), "fault {spec:?} refused: {status}");
    }

    /// The request log for `bot_id`.
    pub async fn requests(&self, bot_id: &str) -> Vec<Value> {
        self.get_list(&format!("/_mock/requests?bot_id={bot_id}"))
            .await
    }

    /// A JSON list from the admin API.
    async fn get_list(&self, path: &str) -> Vec<Value> {
        self.admin
            .get(format!("{}{path}", self.url()))
            .send()
            .await
            .expect("admin API answers")
            .json::<Vec<Value>>()
            .await
            .expect("admin API answers a JSON list")
    }

    /// Requests whose text is `text`.
    pub async fn count_text(&self, bot_id: &str, text: &str) -> usize {
        self.requests(bot_id)
            .await
            .iter()
            .filter(|r| r["text"] == text)
            .count()
    }

    /// Every ticket the mock created.
    pub async fn tickets(&self) -> Vec<Value> {
        self.get_list("/_mock/tickets").await
    }
}
