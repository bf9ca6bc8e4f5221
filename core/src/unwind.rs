//! Keeping panics inside: what every language binding needs so that no panic ever crosses an
//! FFI boundary. A caught panic is an [`Error::from_panic`] ([`crate::ErrorKind::Internal`]),
//! which each binding shows as its `InternalError` (C: `ENJO_ERR_INTERNAL`).

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Error;

/// The message of a panic payload (`panic!("...")` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "unknown panic"
    }
}

/// Wraps `future` so that a panic while polling it becomes an [`Error::from_panic`].
pub fn catch_unwind_future<F: Future>(future: F) -> CatchUnwind<F> {
    CatchUnwind(Box::pin(future))
}

/// See [`catch_unwind_future`].
pub struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(Error::from_panic(payload.as_ref()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_of_both_payload_kinds() {
        let caught = catch_unwind(|| panic!("static")).expect_err("panics");
        assert_eq!(panic_message(caught.as_ref()), "static");
        let caught = catch_unwind(|| panic!("formatted {}", 7)).expect_err("panics");
        assert_eq!(panic_message(caught.as_ref()), "formatted 7");
        let caught = catch_unwind(|| std::panic::panic_any(5u8)).expect_err("panics");
        assert_eq!(panic_message(caught.as_ref()), "unknown panic");
    }

    #[test]
    fn a_panicking_future_gives_an_error() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let ok = runtime.block_on(catch_unwind_future(async { 3 }));
        assert!(matches!(ok, Ok(3)));
        let err = runtime.block_on(catch_unwind_future(async {
            if ok.is_ok() {
                panic!("inside");
            }
            4
        }));
        let err = err.expect_err("the panic is an error");
        assert_eq!(err.kind(), crate::ErrorKind::Internal);
        assert_eq!(err.message(), "internal error in enjo: panic: inside");
    }
}
