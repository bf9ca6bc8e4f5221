//! Checks made before anything is sent, and the construction of the endpoint URL.
//!
//! Everything here returns [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
//! errors whose message names the offending argument.

use std::net::IpAddr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::{Host, Url};

use crate::error::{Error, Result};

/// Largest message text accepted, in bytes of UTF-8 (a guard against accidental huge payloads).
pub const MAX_TEXT_BYTES: usize = 128 * 1024;
/// Largest bot id or conversation id accepted, in bytes.
pub const MAX_ID_BYTES: usize = 256;

/// Everything but RFC 3986 "unreserved" characters is percent-encoded, so a bot id is always
/// exactly one path segment (`/`, `?`, `#`, `%` and spaces cannot change the path).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A validated base URL, kept as a string prefix without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    prefix: String,
    origin: String,
}

impl BaseUrl {
    /// Parses and checks a base URL: `https`, or plain `http` only to a loopback host unless
    /// `allow_insecure_http` is set (the token must never cross a network in clear text). A
    /// path is kept as a prefix; queries, fragments and credentials are refused.
    pub fn parse(input: &str, allow_insecure_http: bool) -> Result<BaseUrl> {
        let url = Url::parse(input.trim()).map_err(|e| {
            Error::invalid_argument(format!(
                "base_url {input:?} is not a valid URL ({e}); expected e.g. https://api.enjo.ai"
            ))
        })?;
        let host = url
            .host()
            .ok_or_else(|| Error::invalid_argument(format!("base_url {input:?} has no host")))?;
        match url.scheme() {
            "https" => {}
            "http" if allow_insecure_http || is_loopback(&host) => {}
            "http" => {
                return Err(Error::invalid_argument(format!(
                    "base_url {input:?} uses plain http to a non-loopback host: the bearer token \
                     would travel in clear text. Use https, or enable allow_insecure_http \
                     explicitly"
                )));
            }
            other => {
                return Err(Error::invalid_argument(format!(
                    "base_url {input:?} has scheme {other:?}; only https (and http to loopback) \
                     are supported"
                )));
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::invalid_argument(
                "base_url must not contain credentials; pass the token separately",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::invalid_argument(format!(
                "base_url {input:?} must not have a query or fragment"
            )));
        }
        let origin = url.origin().ascii_serialization();
        let path = url.path().trim_end_matches('/');
        Ok(BaseUrl {
            prefix: format!("{origin}{path}"),
            origin,
        })
    }

    /// The base URL as given, normalised (no trailing slash).
    pub fn as_str(&self) -> &str {
        &self.prefix
    }

    /// `scheme://host:port` of the base URL: the key of the shared rate limiter, and the only
    /// origin that redirects may go to.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `{base}/v1/bots/{bot_id}/message`, with the bot id encoded as one path segment.
    pub fn message_url(&self, bot_id: &str) -> String {
        let mut url = String::with_capacity(self.prefix.len() + bot_id.len() + 24);
        url.push_str(&self.prefix);
        url.push_str("/v1/bots/");
        url.extend(utf8_percent_encode(bot_id, SEGMENT));
        url.push_str("/message");
        url
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
        }
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Checks a bot id: non-empty, at most [`MAX_ID_BYTES`], no control characters, no
/// surrounding whitespace, and not `.` or `..` (which URL parsers would resolve away).
pub fn bot_id(id: &str) -> Result<()> {
    check_id("bot_id", id)?;
    if id == "." || id == ".." {
        return Err(Error::invalid_argument(format!(
            "bot_id {id:?} is not a valid bot id; copy the id from your Enjo dashboard"
        )));
    }
    Ok(())
}

/// Checks a conversation id passed back to the API (same rules as a bot id).
pub fn conversation_id(id: &str) -> Result<()> {
    check_id("conversation_id", id)
}

fn check_id(what: &str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::invalid_argument(format!(
            "{what} is empty; pass the id from your Enjo dashboard"
        )));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(Error::invalid_argument(format!(
            "{what} is {} bytes long; ids are at most {MAX_ID_BYTES} bytes",
            id.len()
        )));
    }
    if id.chars().any(char::is_control) {
        return Err(Error::invalid_argument(format!(
            "{what} {id:?} contains control characters"
        )));
    }
    if id.trim() != id {
        return Err(Error::invalid_argument(format!(
            "{what} {id:?} has leading or trailing whitespace"
        )));
    }
    Ok(())
}

/// Checks message text: not empty or blank, at most [`MAX_TEXT_BYTES`].
pub fn text(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::invalid_argument(
            "text is empty; send the user's message as text",
        ));
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(Error::invalid_argument(format!(
            "text is {} bytes; the SDK accepts at most {MAX_TEXT_BYTES} bytes per message",
            text.len()
        )));
    }
    Ok(())
}

/// Checks a bearer token: present, and made only of visible ASCII (it goes in a header).
pub fn token(token: Option<&str>) -> Result<()> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(Error::invalid_argument(
            "no API token: set ENJO_API_TOKEN or pass a token to the client (create one under \
             Settings → Personal Access Token in Enjo)",
        ));
    };
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid_argument(
            "the API token contains spaces, control or non-ASCII characters; copy it again \
             from Enjo's settings",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn base(s: &str) -> BaseUrl {
        BaseUrl::parse(s, false).expect("valid base")
    }

    #[test]
    fn base_url_keeps_a_path_prefix() {
        assert_eq!(
            base("https://h/api/").message_url("b"),
            "https://h/api/v1/bots/b/message"
        );
        assert_eq!(
            base("https://api.enjo.ai").message_url("b"),
            "https://api.enjo.ai/v1/bots/b/message"
        );
        assert_eq!(base("https://H:8443/x").origin(), "https://h:8443");
    }

    #[test]
    fn http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:1",
            "http://localhost:8080",
            "http://[::1]:9",
            "http://a.localhost",
        ] {
            assert!(BaseUrl::parse(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com",
            "ftp://x",
            "not a url",
            "https://u:p@h",
            "https://h?x=1",
        ] {
            let err = BaseUrl::parse(bad, false).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        }
        assert!(BaseUrl::parse("http://example.com", true).is_ok());
    }

    #[test]
    fn bot_id_is_one_segment() {
        let b = base("https://h");
        assert_eq!(b.message_url("../x"), "https://h/v1/bots/..%2Fx/message");
        assert_eq!(
            b.message_url("a/b?c#d"),
            "https://h/v1/bots/a%2Fb%3Fc%23d/message"
        );
        assert_eq!(b.message_url("é 1"), "https://h/v1/bots/%C3%A9%201/message");
        for id in ["../x", "a/b", "?", "é 1", "%2F"] {
            let url = Url::parse(&b.message_url(id)).expect("url");
            let segments: Vec<_> = url.path_segments().expect("segments").collect();
            assert_eq!(segments.len(), 4, "{id}: {url}");
            assert_eq!(segments[0], "v1");
            assert_eq!(segments[3], "message");
        }
    }

    #[test]
    fn bad_ids_and_text_are_rejected() {
        for id in [
            "",
            "  ",
            ".",
            "..",
            "a\nb",
            " a",
            &"x".repeat(MAX_ID_BYTES + 1),
        ] {
            assert!(bot_id(id).is_err(), "{id:?}");
        }
        assert!(bot_id("support-bot").is_ok());
        assert!(text("").is_err());
        assert!(text(" \n").is_err());
        assert!(text(&"x".repeat(MAX_TEXT_BYTES + 1)).is_err());
        assert!(text("héllo").is_ok());
        assert!(token(None).is_err());
        assert!(token(Some("")).is_err());
        assert!(token(Some("a b")).is_err());
        assert!(token(Some("abc.DEF-123")).is_ok());
    }
}
