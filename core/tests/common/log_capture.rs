//! Test support: `tracing`'s text output captured into memory, to assert what the SDK logs.
#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};

/// A `tracing` writer into a shared buffer; clones share it.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// A subscriber writing plain text (no colours) at `level` and above into a new buffer.
    pub fn subscriber(level: tracing::Level) -> (Captured, impl tracing::Subscriber + Send + Sync) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (captured, subscriber)
    }

    /// Installs [`Captured::subscriber`] as the process-wide subscriber: only in a test binary
    /// of its own (a thread-scoped one misses events whose callsites other threads registered
    /// first).
    pub fn install_global(level: tracing::Level) -> Captured {
        let (captured, subscriber) = Captured::subscriber(level);
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        captured
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
