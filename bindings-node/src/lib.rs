//! The native half of the Node package `enjo`: converts options, replies and errors between
//! JavaScript and the `enjo` core crate, nothing else. `index.js` builds the public API on it.
//!
//! - [`options`]: `new Enjo()` and per-call options into core's `enjo::options`;
//! - [`models`]: replies as JavaScript objects;
//! - [`errors`]: errors as data, made instances of their classes by `index.js`;
//! - [`tasks`]: a request's Promise, its cancellation (`AbortSignal`), worker teardown;
//! - [`logging`]: `ENJO_LOG` records of a call;
//! - [`client`]: the native client and conversation;
//! - [`testing`]: the testing kit's in-process mock server (`enjo/testing`).

#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod client;
pub mod errors;
pub mod logging;
pub mod models;
pub mod options;
pub mod tasks;
pub mod testing;

use napi::Env;
use napi::bindgen_prelude::Object;
use napi_derive::napi;

use crate::tasks::spawn_request;

/// The SDK's version (the core crate's).
#[napi]
pub fn version() -> String {
    enjo::VERSION.to_owned()
}

/// The environment variable that arms [`test_panic`], read at each call.
const TEST_HOOKS_ENV: &str = "ENJO_NODE_TEST_HOOKS";

/// Test hook, not public API (the package's entry points do not export it): panics
/// synchronously (`"sync"`) or inside a request's future (`"async"`), to prove that neither
/// crashes the process. Does nothing but fail unless `ENJO_NODE_TEST_HOOKS=1` is in the
/// process environment at the time of the call.
#[napi(
    js_name = "__testPanic",
    catch_unwind,
    ts_return_type = "Promise<SendOutcome>"
)]
pub fn test_panic<'env>(env: &'env Env, mode: String) -> napi::Result<Object<'env>> {
    if std::env::var_os(TEST_HOOKS_ENV).is_none_or(|v| v != "1") {
        return Err(napi::Error::new(
            napi::Status::InvalidArg,
            format!("__testPanic is a test hook: set {TEST_HOOKS_ENV}=1 to arm it"),
        ));
    }
    if mode == "sync" {
        panic!("test panic (sync)");
    }
    spawn_request(env, None, None, async move {
        tokio::task::yield_now().await;
        panic!("test panic (async)")
    })
}
