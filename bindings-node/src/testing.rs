//! The testing kit's native half (`NativeMock`, `mockMain`): the `enjo-mock` server
//! in-process, on a runtime thread of its own (`enjo_mock::Kit`). `testing.js`
//! (`enjo/testing`) and the `enjo-mock` bin wrap it.

use std::collections::HashMap;

use enjo_mock::{Kit, KitOptions};
use napi_derive::napi;

/// What `startMock()` passes down (already checked and converted by `testing.js`).
#[napi(object)]
pub struct NativeMockOptions {
    /// `off`, `documented` or a `--rate-limit` spec such as `5/200ms`.
    pub rate_limit: Option<String>,
    /// Bots from this TOML file.
    pub bots_file: Option<String>,
    /// Extra bots failing every request: bot id → fault spec.
    pub fault_bots: Option<HashMap<String, String>>,
    /// The accepted token.
    pub token: Option<String>,
}

fn invalid(message: String) -> napi::Error {
    napi::Error::new(napi::Status::InvalidArg, message)
}

/// A running mock server (see `startMock` in `testing.js`).
#[napi]
pub struct NativeMock {
    kit: Kit,
}

/// Starts the server on 127.0.0.1 and a free port (`startMock()` calls it).
#[napi(catch_unwind)]
pub fn start_native_mock(options: Option<NativeMockOptions>) -> napi::Result<NativeMock> {
    let options = options.map_or_else(KitOptions::default, |o| KitOptions {
        rate_limit: o.rate_limit,
        bots_file: o.bots_file.map(Into::into),
        fault_bots: o
            .fault_bots
            .map(|m| m.into_iter().collect())
            .unwrap_or_default(),
        token: o.token,
    });
    options.config().map_err(invalid)?;
    let kit = Kit::start(&options)
        .map_err(|message| napi::Error::new(napi::Status::GenericFailure, message))?;
    Ok(NativeMock { kit })
}

#[napi]
impl NativeMock {
    /// `http://127.0.0.1:PORT`.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.kit.url().to_owned()
    }

    /// The accepted token.
    #[napi(getter)]
    pub fn token(&self) -> String {
        self.kit.token().to_owned()
    }

    /// The port.
    #[napi(getter)]
    pub fn port(&self) -> u32 {
        u32::from(self.kit.port())
    }

    /// The requests received, as a JSON array.
    #[napi(catch_unwind)]
    pub fn requests_json(&self) -> String {
        self.kit.requests_json()
    }

    /// The tickets created, as a JSON array.
    #[napi(catch_unwind)]
    pub fn tickets_json(&self) -> String {
        self.kit.tickets_json()
    }

    /// Queues a fault for `times` requests (all when absent) to `botId` (any bot when absent).
    #[napi(catch_unwind)]
    pub fn add_fault(
        &self,
        fault: String,
        bot_id: Option<String>,
        times: Option<u32>,
    ) -> napi::Result<()> {
        self.kit
            .add_fault(&fault, bot_id.as_deref(), times)
            .map_err(invalid)
    }

    /// Forgets requests, tickets, conversations, faults and rate-limit windows.
    #[napi(catch_unwind)]
    pub fn reset(&self) {
        self.kit.reset()
    }

    /// Stops the server (idempotent).
    #[napi(catch_unwind)]
    pub fn stop(&mut self) {
        self.kit.stop()
    }
}

/// Runs the mock as a command (the `enjo-mock` bin) until SIGINT/SIGTERM; returns the exit
/// status.
#[napi(catch_unwind)]
pub fn mock_main(name: String, args: Vec<String>) -> i32 {
    enjo_mock::kit::main_with_args(&name, args)
}
