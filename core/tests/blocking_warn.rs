//! A blocking call made from inside an async runtime works, and warns once per process that
//! it blocks a worker thread. (A test binary of its own: the warning is once per process.)

#[path = "common/log_capture.rs"]
mod log_capture;

use log_capture::Captured;

#[tokio::test]
async fn blocking_inside_a_runtime_warns_once() {
    let (captured, subscriber) = Captured::subscriber(tracing::Level::INFO);
    let _guard = tracing::subscriber::set_default(subscriber);
    for _ in 0..3 {
        let value = enjo::blocking::block_on(async { Ok(7) }).expect("runs");
        assert_eq!(value, 7);
    }
    let log = captured.text();
    let warnings = log.matches("blocks a worker thread").count();
    assert_eq!(warnings, 1, "{log}");
    assert!(log.contains("WARN"), "{log}");
}
