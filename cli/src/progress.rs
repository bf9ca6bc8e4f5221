//! A spinner on stderr while a request (or a rate-limit wait) is under way, only when stderr is
//! a terminal: pipes and logs get nothing extra.

use std::io::IsTerminal;
use std::time::Duration;

use enjo::Event;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The spinner; a no-op when stderr is not a terminal.
#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A spinner if stderr is a terminal, else nothing.
    pub fn for_stderr() -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed:.dim}") {
            bar.set_style(style);
        }
        bar.finish_and_clear();
        Progress { bar: Some(bar) }
    }

    /// Shows the spinner with `message`.
    pub fn start(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.reset();
            bar.set_message(message.to_owned());
            bar.enable_steady_tick(Duration::from_millis(100));
        }
    }

    /// Hides the spinner.
    pub fn stop(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Updates the message from an SDK event: rate-limit waits, retries and later attempts
    /// show the event's own text (`Event`'s `Display`, the line every binding logs), so the
    /// spinner and the logs word them alike. The first attempt shows "waiting for the bot";
    /// an attempt's end changes nothing (what follows it is shown).
    pub fn on_event(&self, event: &Event) {
        let Some(bar) = &self.bar else { return };
        if let Some(message) = spinner_text(event) {
            bar.set_message(message);
        }
    }
}

/// The spinner's text for `event`, `None` to keep the current one.
fn spinner_text(event: &Event) -> Option<String> {
    match event {
        Event::Attempt { attempt: 1, .. } => Some(WAITING.to_owned()),
        Event::AttemptEnded { .. } => None,
        _ => Some(event.to_string()),
    }
}

/// The spinner's text while a request is under way.
pub const WAITING: &str = "waiting for the bot";

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use enjo::{Event, Quota, WaitReason};

    use super::*;

    #[test]
    fn the_spinner_words_events_as_the_logs_do() {
        let wait = Event::RateLimitWait {
            wait: Duration::from_millis(4900),
            reason: WaitReason::Quota(Quota::new(10, Duration::from_secs(5))),
        };
        assert_eq!(
            spinner_text(&wait).as_deref(),
            Some("client-side rate limit, waiting 4.900s (quota: 10 requests per 5s)")
        );
        let retry = Event::Retry {
            attempt: 1,
            delay: Duration::from_millis(500),
            reason: "HTTP 429".into(),
        };
        assert_eq!(spinner_text(&retry), Some(retry.to_string()));
        let second = Event::Attempt {
            attempt: 2,
            max_attempts: 3,
        };
        assert_eq!(spinner_text(&second), Some(second.to_string()));
        let first = Event::Attempt {
            attempt: 1,
            max_attempts: 3,
        };
        assert_eq!(spinner_text(&first).as_deref(), Some(WAITING));
        let ended = Event::AttemptEnded {
            attempt: 1,
            max_attempts: 3,
            status: Some(200),
            elapsed: Duration::from_millis(3),
            error: None,
        };
        assert_eq!(spinner_text(&ended), None);
    }
}
