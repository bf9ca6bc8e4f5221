//! A blocking call made from inside an async runtime works, and warns once per process that
//! it blocks a worker thread. (A test binary of its own: the warning is once per process.)

use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn blocking_inside_a_runtime_warns_once() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    for _ in 0..3 {
        let value = enjo::blocking::block_on(async { Ok(7) }).expect("runs");
        assert_eq!(value, 7);
    }
    let log = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
    let warnings = log.matches("blocks a worker thread").count();
    assert_eq!(warnings, 1, "{log}");
    assert!(log.contains("WARN"), "{log}");
}
