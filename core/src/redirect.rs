//! Which redirects are followed, and where to.
//!
//! reqwest's own redirect following is off: it turns a POST into a GET on 301, 302 and 303 (the
//! message is dropped and a GET's reply may even read as a success), and its hops bypass the
//! rate limiter although the server counts each one. Instead a redirect comes back from
//! [`send_once`](crate::http::send_once) as an error carrying its `Location`, and [`follow`]
//! sends the request again, unchanged (POST, same body, same token), when and only when:
//! - the status is 307 or 308 (the statuses that keep the method and body),
//! - the `Location` is on the base URL's origin (the token never goes to another one),
//! - fewer than [`MAX_HOPS`] redirects were followed for this attempt.
//!
//! Each hop is a request of its own: it takes its own rate-limiter permit (same limiter and
//! quotas as the call) and its own timeout. Any other redirect is an
//! [`ErrorKind::Api`](crate::ErrorKind::Api) error with the status and the `Location`.

use std::future::Future;

use url::Url;

use crate::error::{Error, Result};
use crate::models::MessageResponse;
use crate::validate::redact_credentials;

/// Most redirects followed for one attempt.
pub(crate) const MAX_HOPS: u32 = 5;

/// Follows the redirects in `first`, the outcome of POSTing to `url`: each allowed hop is sent
/// by `hop(next_url)`; whatever is not followed becomes the error returned.
pub(crate) async fn follow<F, Fut>(
    first: Result<MessageResponse>,
    url: &str,
    origin: &str,
    mut hop: F,
) -> Result<MessageResponse>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<MessageResponse>>,
{
    let mut outcome = first;
    let mut current = url.to_owned();
    let mut hops = 0;
    loop {
        let err = match outcome {
            Err(err) if err.status().is_some_and(|s| (300..400).contains(&s)) => err,
            done => return done,
        };
        match next_hop(&err, &current, origin, hops) {
            Ok(next) => {
                tracing::debug!(
                    target: "enjo",
                    status = err.status(),
                    hop = hops + 1,
                    max_hops = MAX_HOPS,
                    "following a redirect on the same origin"
                );
                hops += 1;
                current = next;
                outcome = hop(current.clone()).await;
            }
            Err(why) => return Err(refused(err, why)),
        }
    }
}

/// Where the redirect `err` (after `hops` followed ones, from `current`) may be followed to,
/// or why not.
fn next_hop(err: &Error, current: &str, origin: &str, hops: u32) -> Result<String, String> {
    if !matches!(err.status(), Some(307 | 308)) {
        return Err(
            "only 307 and 308 redirects are followed (they keep the POST and its body; \
                    a 301, 302 or 303 would turn it into a GET without the message)"
                .into(),
        );
    }
    let Some(location) = err.location() else {
        return Err("the reply has no Location header".into());
    };
    let next = Url::parse(current)
        .and_then(|base| base.join(location))
        .map_err(|e| format!("the Location is not a valid URL ({e})"))?;
    if next.origin().ascii_serialization() != origin {
        return Err(format!(
            "it leads to another origin than {origin}, and the token is never sent elsewhere; \
             set base_url to the new address if it is trusted"
        ));
    }
    if hops >= MAX_HOPS {
        return Err(format!("more than {MAX_HOPS} redirects in a row"));
    }
    Ok(next.into())
}

/// The error for a redirect that is not followed: status, body and ids kept, the message
/// naming the `Location` and the reason.
fn refused(err: Error, why: String) -> Error {
    let status = err.status().unwrap_or_default();
    let location = err
        .location()
        .map_or_else(|| "(no Location)".to_owned(), redact_credentials);
    let message = format!(
        "the server redirected (HTTP {status}) to {location}, which is not followed: {why}"
    );
    err.with_message(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirect(status: u16, location: Option<&str>) -> Error {
        Error::from_response(status, None, "x".into(), String::new(), None, None)
            .with_location(location.map(str::to_owned))
    }

    const URL: &str = "https://h/api/v1/bots/b/message";
    const ORIGIN: &str = "https://h";

    #[test]
    fn only_307_and_308_on_the_same_origin_within_the_hop_limit() {
        for status in [307, 308] {
            assert_eq!(
                next_hop(&redirect(status, Some("/x")), URL, ORIGIN, 0),
                Ok("https://h/x".to_owned())
            );
            assert_eq!(
                next_hop(&redirect(status, Some("other/message")), URL, ORIGIN, 4),
                Ok("https://h/api/v1/bots/b/other/message".to_owned())
            );
            assert!(next_hop(&redirect(status, Some("/x")), URL, ORIGIN, MAX_HOPS).is_err());
            for elsewhere in ["https://other/x", "http://h/x", "https://h:8443/x", "//o/x"] {
                let why = next_hop(&redirect(status, Some(elsewhere)), URL, ORIGIN, 0);
                assert!(
                    why.is_err_and(|w| w.contains("another origin")),
                    "{elsewhere}"
                );
            }
            assert!(next_hop(&redirect(status, None), URL, ORIGIN, 0).is_err());
        }
        for status in [300, 301, 302, 303, 304, 305, 306] {
            assert!(next_hop(&redirect(status, Some("/x")), URL, ORIGIN, 0).is_err());
        }
    }

    #[test]
    fn a_refused_redirect_names_status_and_location_without_credentials() {
        let err = refused(
            redirect(301, Some("https://u:pw@h/new")),
            "because".to_owned(),
        );
        assert_eq!(err.status(), Some(301));
        assert_eq!(
            err.message(),
            "the server redirected (HTTP 301) to https://***@h/new, which is not followed: \
             because"
        );
    }
}
