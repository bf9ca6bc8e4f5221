//! A call's deadline: one bound on the limiter wait, every attempt and every backoff.
//!
//! - The limiter may wait only for what is left; if the expected wait (the callers ahead in
//!   line counted) is longer, the call fails at once with a local `RateLimited` error whose
//!   `retry_after` is that wait (nothing was sent).
//! - Each attempt's timeout is capped by what is left; an attempt cut by the deadline is a
//!   `Timeout` error that says so.
//! - A retry whose backoff would end past the deadline is not made: the call returns the last
//!   attempt's error (the real cause, e.g. a 429 with its `retry_after`), not a timeout.

use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result};

/// When a call must be over (on tokio's clock), if it has a deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    limit: Option<(Instant, Duration)>,
}

impl Deadline {
    /// Starts the clock of a call bounded by `limit` (none when `None`).
    pub(crate) fn start(limit: Option<Duration>) -> Result<Deadline> {
        if limit.is_some_and(|d| d.is_zero()) {
            return Err(Error::invalid_argument("deadline must be above zero"));
        }
        let now = Instant::now();
        // A deadline too far to add to an instant is no deadline.
        let limit = limit.and_then(|d| now.checked_add(d).map(|at| (at, d)));
        Ok(Deadline { limit })
    }

    /// What is left (`None`: no deadline).
    pub(crate) fn left(&self) -> Option<Duration> {
        self.limit
            .map(|(at, _)| at.saturating_duration_since(Instant::now()))
    }

    /// The bound on a limiter wait: `max_wait` or what is left, whichever is shorter.
    pub(crate) fn bound(&self, max_wait: Option<Duration>) -> Option<Duration> {
        match (max_wait, self.left()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// An attempt's timeout: `timeout`, capped by what is left (and whether it was capped).
    /// Fails when nothing is left.
    pub(crate) fn cap(&self, timeout: Duration) -> Result<(Duration, bool)> {
        match self.left() {
            None => Ok((timeout, false)),
            Some(left) if left.is_zero() => Err(self.passed()),
            Some(left) if left < timeout => Ok((left, true)),
            Some(_) => Ok((timeout, false)),
        }
    }

    /// Whether a backoff of `delay` ends before the deadline.
    pub(crate) fn allows(&self, delay: Duration) -> bool {
        self.left().is_none_or(|left| delay < left)
    }

    /// The error of an attempt whose timeout the deadline cut short (other errors unchanged).
    pub(crate) fn explain(&self, err: Error, capped: bool) -> Error {
        if !capped || err.kind() != ErrorKind::Timeout {
            return err;
        }
        let sent = err.may_have_been_sent();
        let mut passed = self.passed();
        if sent {
            passed = Error::new(
                ErrorKind::Timeout,
                format!("{} (the request may have been processed)", passed.message()),
            );
        }
        passed
            .with_maybe_sent(sent)
            .with_request_id(err.request_id().map(str::to_owned))
    }

    fn passed(&self) -> Error {
        let total = self.limit.map(|(_, d)| d).unwrap_or_default();
        Error::new(
            ErrorKind::Timeout,
            format!(
                "the call's deadline of {:.1}s has passed; raise `deadline` or send less often",
                total.as_secs_f64()
            ),
        )
        .with_maybe_sent(false)
    }
}
