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

    /// Updates the message from an SDK event (rate-limit waits and retries are shown).
    pub fn on_event(&self, event: &Event) {
        let Some(bar) = &self.bar else { return };
        let message = match event {
            Event::RateLimitWait { wait, reason } => match reason {
                enjo::WaitReason::Quota(quota) => format!(
                    "waiting {:.1}s for the rate limit ({} per {:?})",
                    wait.as_secs_f64(),
                    quota.requests,
                    quota.window
                ),
                enjo::WaitReason::SharedStore => format!(
                    "waiting {:.1}s for the shared rate limit (other processes)",
                    wait.as_secs_f64()
                ),
                _ => format!(
                    "waiting {:.1}s: the server answered 429 (rate limited)",
                    wait.as_secs_f64()
                ),
            },
            Event::Attempt { attempt: 1, .. } => "waiting for the bot".to_owned(),
            Event::Attempt {
                attempt,
                max_attempts,
            } => format!("waiting for the bot (attempt {attempt}/{max_attempts})"),
            Event::Retry { delay, .. } => {
                format!("retrying in {:.1}s", delay.as_secs_f64())
            }
            _ => return,
        };
        bar.set_message(message);
    }
}
