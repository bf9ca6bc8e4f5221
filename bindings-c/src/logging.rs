//! `ENJO_LOG=info|debug`: core's [`enjo::Event`]s as lines on stderr, read when a client is
//! made (C has no logging framework; R, over this library, gets the same lines).
//!
//! Each line is `[enjo] <level>: <event>` in core's wording (`Event`'s `Display`), at the
//! event's [`enjo::Event::level`]: `info` for retries and for rate-limit waits longer than a
//! second (written when the wait starts, with the quota or the server 429 that causes it),
//! `debug` also for each attempt's outcome and shorter waits. Never the host or the token.

use std::io::Write;

use enjo_core as enjo;

/// The level `ENJO_LOG` asks for: `None` (unset, empty or anything else), `Info` or `Debug`.
fn level_from_env() -> Option<enjo::EventLevel> {
    let value = std::env::var("ENJO_LOG").ok()?;
    match value.trim().to_ascii_lowercase().as_str() {
        "debug" => Some(enjo::EventLevel::Debug),
        "info" => Some(enjo::EventLevel::Info),
        _ => None,
    }
}

/// The line of `event` for a log at `threshold`, if it gets one.
fn line(threshold: enjo::EventLevel, event: &enjo::Event) -> Option<String> {
    let level = event.level().filter(|level| *level >= threshold)?;
    let name = match level {
        enjo::EventLevel::Debug => "debug",
        enjo::EventLevel::Info => "info",
    };
    Some(format!("[enjo] {name}: {event}"))
}

/// `builder` with a stderr observer when `ENJO_LOG` asks for one; unchanged otherwise.
pub(crate) fn install<C>(builder: enjo::ClientBuilder<C>) -> enjo::ClientBuilder<C> {
    let Some(threshold) = level_from_env() else {
        return builder;
    };
    builder.observer(move |event| {
        if let Some(line) = line(threshold, event) {
            // A closed or full stderr must not fail (or panic) a call.
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn info_keeps_long_waits_and_retries_debug_keeps_everything() {
        let long = enjo::Event::RateLimitWait {
            wait: Duration::from_millis(4950),
            reason: enjo::WaitReason::Quota(enjo::Quota::new(10, Duration::from_secs(5))),
        };
        let short = enjo::Event::RateLimitWait {
            wait: Duration::from_millis(300),
            reason: enjo::WaitReason::ServerRetryAfter,
        };
        assert_eq!(
            line(enjo::EventLevel::Info, &long).as_deref(),
            Some("[enjo] info: client-side rate limit, waiting 4.950s (quota: 10 requests per 5s)")
        );
        assert_eq!(line(enjo::EventLevel::Info, &short), None);
        assert!(
            line(enjo::EventLevel::Debug, &short).is_some_and(|l| l.starts_with("[enjo] debug: "))
        );
    }
}
