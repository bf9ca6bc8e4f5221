//! Checks made before anything is sent, and the construction of the endpoint URL.
//!
//! Everything here returns [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
//! errors whose message names the offending argument.

use std::net::IpAddr;
use std::time::Duration;

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
    /// `prefix` parsed (once: a request's URL is built from it, not parsed again).
    parsed: Url,
}

impl BaseUrl {
    /// Parses and checks a base URL: `https`, or plain `http` only to a loopback host unless
    /// `allow_insecure_http` is set (the token must never cross a network in clear text). A
    /// path is kept as a prefix; queries, fragments and credentials are refused.
    pub fn parse(input: &str, allow_insecure_http: bool) -> Result<BaseUrl> {
        BaseUrl::parse_named(input, allow_insecure_http, &UrlOptionNames::of(None))
    }

    /// [`BaseUrl::parse`], with messages naming the options as `names` spell them.
    pub fn parse_named(
        input: &str,
        allow_insecure_http: bool,
        names: &UrlOptionNames,
    ) -> Result<BaseUrl> {
        let UrlOptionNames { base_url, insecure } = names;
        // Messages quote the URL without any credentials it may (wrongly) hold.
        let shown = redact_credentials(input.trim());
        let url = Url::parse(input.trim()).map_err(|e| {
            Error::invalid_argument(format!(
                "{base_url} {shown:?} is not a valid URL ({e}); expected e.g. https://api.enjo.ai"
            ))
        })?;
        let host = url
            .host()
            .ok_or_else(|| Error::invalid_argument(format!("{base_url} {shown:?} has no host")))?;
        match url.scheme() {
            "https" => {}
            "http" if allow_insecure_http || is_loopback(&host) => {}
            "http" => {
                return Err(Error::invalid_argument(format!(
                    "{base_url} {shown:?} uses plain http to a non-loopback host: the bearer \
                     token would travel in clear text. Use https, or set {insecure} explicitly \
                     (trusted networks only)"
                )));
            }
            other => {
                return Err(Error::invalid_argument(format!(
                    "{base_url} {shown:?} has scheme {other:?}; only https (and http to \
                     loopback) are supported"
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
                "base_url {shown:?} must not have a query or fragment"
            )));
        }
        let origin = url.origin().ascii_serialization();
        let path = url.path().trim_end_matches('/').to_owned();
        let prefix = format!("{origin}{path}");
        // Its path is replaced for each request; no query, fragment or credentials. Kept
        // with the prefix's path, so that equal prefixes make equal `BaseUrl`s.
        let mut parsed = url;
        parsed.set_path(&path);
        Ok(BaseUrl {
            parsed,
            prefix,
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

    /// The path part of a URL made by this base (what follows the origin), e.g. a
    /// [`message_url`](BaseUrl::message_url)'s `/api/v1/bots/x/message`: what logs show.
    pub fn path_of<'a>(&self, url: &'a str) -> &'a str {
        url.get(self.origin.len()..).unwrap_or(url)
    }

    /// `url` (a [`message_url`](BaseUrl::message_url) of this base) as a parsed URL, made from
    /// the base parsed once: only its path is parsed, not the scheme and host (whose IDNA
    /// processing made parsing the whole URL on every call cost ~9 % of a call).
    pub fn request_url(&self, url: &str) -> Url {
        let mut parsed = self.parsed.clone();
        parsed.set_path(self.path_of(url));
        parsed
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

/// Loopback for the plain-http exemption and the proxy bypass: IP loopback literals
/// (127.0.0.0/8, `::1`) and exactly `localhost`. Not `*.localhost`: a resolver may send such a
/// name to DNS, which could answer with any address.
fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Whether `origin` (`scheme://host:port`) is on a loopback host (see [`BaseUrl::parse`]).
pub(crate) fn is_loopback_origin(origin: &str) -> bool {
    Url::parse(origin)
        .ok()
        .is_some_and(|url| url.host().is_some_and(|host| is_loopback(&host)))
}

/// Checks an explicit `proxy` against the base URL: through a proxy, a plain-http request and
/// its bearer token reach the proxy in clear text, so that needs `allow_insecure_http`.
pub(crate) fn proxy(
    base: &BaseUrl,
    proxy: Option<&str>,
    allow_insecure_http: bool,
    names: &UrlOptionNames,
) -> Result<()> {
    if proxy.is_some() && base.origin.starts_with("http://") && !allow_insecure_http {
        return Err(Error::invalid_argument(format!(
            "a proxy is set but {} {:?} is plain http: the request and its bearer token \
             would reach the proxy in clear text. Use an https base URL, drop the proxy, or \
             set {} explicitly",
            names.base_url, base.prefix, names.insecure
        )));
    }
    Ok(())
}

/// The names of `base_url` and `allow_insecure_http` as the user spells them, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlOptionNames {
    /// `base_url`, `baseUrl`, `options.base_url`, `--base-url`.
    pub base_url: String,
    /// `allow_insecure_http`, `allowInsecureHttp`, `--allow-insecure-http`.
    pub insecure: String,
}

impl UrlOptionNames {
    /// The names `host` gives the two options; core's own (`base_url`, `allow_insecure_http`)
    /// without one.
    pub fn of(host: Option<&crate::options::Host>) -> UrlOptionNames {
        let name = |n: &str| host.map_or_else(|| n.to_owned(), |h| h.name(n));
        UrlOptionNames {
            base_url: name("base_url"),
            insecure: name("allow_insecure_http"),
        }
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

/// Longest duration any option accepts (a year): beyond it, arithmetic on instants could
/// overflow, and no sensible timeout or wait is that long.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// A duration given as a number of seconds (Python, R and C spell durations so): finite,
/// above 0 (or exactly 0 when `allow_zero`), at most [`MAX_DURATION`]. `name` is the option's
/// name in the caller's language, for the error message.
pub fn seconds(name: &str, secs: f64, allow_zero: bool) -> Result<Duration> {
    duration(name, secs, 1.0, "seconds", allow_zero)
}

/// A duration given as a number of milliseconds (Node spells durations so); see [`seconds`].
pub fn millis(name: &str, ms: f64, allow_zero: bool) -> Result<Duration> {
    duration(name, ms, 0.001, "milliseconds", allow_zero)
}

fn duration(name: &str, value: f64, scale: f64, unit: &str, allow_zero: bool) -> Result<Duration> {
    let in_range = value.is_finite() && (value > 0.0 || (allow_zero && value == 0.0));
    let duration = in_range
        .then(|| Duration::try_from_secs_f64(value * scale).ok())
        .flatten()
        .filter(|d| *d <= MAX_DURATION);
    duration.ok_or_else(|| {
        let bound = if allow_zero { "0 or more" } else { "above 0" };
        Error::invalid_argument(format!(
            "{name} must be a finite number of {unit}, {bound} and at most a year (got {value})"
        ))
    })
}

/// A count such as `max_retries` given as a number (JavaScript and R have no integers): a
/// whole number from 0 to `u32::MAX`.
pub fn count(name: &str, value: f64) -> Result<u32> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= f64::from(u32::MAX) {
        Ok(value as u32)
    } else {
        Err(not_a_count(name, value))
    }
}

/// Like [`count`], for languages with integers (Python, C).
pub fn count_int(name: &str, value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|_| not_a_count(name, value))
}

fn not_a_count(name: &str, value: impl std::fmt::Display) -> Error {
    Error::invalid_argument(format!(
        "{name} must be a whole number from 0 to {} (got {value})",
        u32::MAX
    ))
}

/// Replaces the user-info part of a URL (`https://user:secret@host` → `https://***@host`) so
/// that a proxy or base URL can be quoted in an error message without its credentials.
pub fn redact_credentials(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let redacted = match rest[..authority_end].rfind('@') {
        Some(at) => format!("***{}", &rest[at..]),
        None => rest.to_owned(),
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{redacted}"),
        None => redacted,
    }
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
    fn paths_keep_the_prefix_and_drop_the_origin() {
        for (base, bot, path) in [
            ("https://api.enjo.ai", "a b", "/v1/bots/a%20b/message"),
            (
                "http://127.0.0.1:8080/api/v2/",
                "x",
                "/api/v2/v1/bots/x/message",
            ),
            ("http://[::1]:9/p", "x", "/p/v1/bots/x/message"),
        ] {
            let b = BaseUrl::parse(base, false).expect("valid base");
            assert_eq!(b.path_of(&b.message_url(bot)), path, "{base}");
        }
    }

    #[test]
    fn a_trailing_slash_makes_the_same_base_url() {
        // Found by the `validate` fuzz target: the parsed URL kept "/api/" beside the
        // prefix's "/api", so parsing a base URL's own text gave an unequal base.
        for (with, without) in [
            ("http://127.0.0.1:8080/api/", "http://127.0.0.1:8080/api"),
            ("https://example.com/", "https://example.com"),
            ("https://example.com/a//", "https://example.com/a"),
        ] {
            let a = BaseUrl::parse(with, false).expect("a valid base URL");
            let b = BaseUrl::parse(without, false).expect("a valid base URL");
            assert_eq!(a, b, "{with} vs {without}");
            assert_eq!(
                BaseUrl::parse(a.as_str(), false).expect("its own text parses"),
                a
            );
        }
    }

    #[test]
    fn request_url_is_the_message_url_parsed() {
        for base in [
            "https://api.enjo.ai",
            "https://API.Enjo.AI:443/",
            "https://bücher.example/api/v2/",
            "http://127.0.0.1:8080/api/",
            "http://[::1]:9/p",
        ] {
            let b = BaseUrl::parse(base, false).expect("valid base");
            for bot in ["x", "a b", "..", ".", "ü/?#%2F", "bot%", "-_.~"] {
                let url = b.message_url(bot);
                let expected = Url::parse(&url).expect("parses");
                assert_eq!(b.request_url(&url), expected, "{base} {bot:?}");
            }
        }
    }

    #[test]
    fn http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:1",
            "http://localhost:8080",
            "http://[::1]:9",
            "http://LocalHost:1",
            "http://127.8.9.10",
        ] {
            assert!(BaseUrl::parse(ok, false).is_ok(), "{ok}");
            assert!(is_loopback_origin(
                BaseUrl::parse(ok, false).expect(ok).origin()
            ));
        }
        for bad in [
            "http://a.localhost",
            "http://localhost.",
            "http://localhost.example.com",
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
        assert!(!is_loopback_origin("http://a.localhost"));
        assert!(!is_loopback_origin("https://api.enjo.ai"));
    }

    #[test]
    fn a_proxy_for_plain_http_needs_consent() {
        let plain = base("http://127.0.0.1:1");
        assert!(proxy(&plain, None, false, &UrlOptionNames::of(None)).is_ok());
        let err = proxy(
            &plain,
            Some("http://p:3128"),
            false,
            &UrlOptionNames::of(None),
        )
        .expect_err("clear text");
        assert!(err.message().contains("allow_insecure_http"), "{err}");
        assert!(
            proxy(
                &plain,
                Some("http://p:3128"),
                true,
                &UrlOptionNames::of(None)
            )
            .is_ok()
        );
        assert!(
            proxy(
                &base("https://h"),
                Some("http://p:3128"),
                false,
                &UrlOptionNames::of(None)
            )
            .is_ok()
        );
    }

    #[test]
    fn credentials_never_reach_messages() {
        assert_eq!(
            redact_credentials("http://u:s3cret@proxy:8080/x@y"),
            "http://***@proxy:8080/x@y"
        );
        assert_eq!(redact_credentials("https://h/p"), "https://h/p");
        assert_eq!(redact_credentials("u:s3cret@h"), "***@h");
        for bad in [
            "https://u:s3cret@h",
            "https://u:s3cret@[bad",
            "ftp://u:s3cret@h",
        ] {
            let err = BaseUrl::parse(bad, false).expect_err(bad);
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
    }

    #[test]
    fn numbers_from_other_languages() {
        assert_eq!(
            seconds("t", 1.5, false).ok(),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            millis("t", 250.0, false).ok(),
            Some(Duration::from_millis(250))
        );
        assert_eq!(seconds("w", 0.0, true).ok(), Some(Duration::ZERO));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300, 366.0 * 86400.0] {
            let err = seconds("timeout", bad, false).expect_err("out of range");
            assert!(err.to_string().contains("timeout"), "{err}");
        }
        assert_eq!(count("n", 3.0).ok(), Some(3));
        for bad in [-1.0, 1.5, f64::NAN, 5e9] {
            assert!(count("n", bad).is_err(), "{bad}");
        }
        assert_eq!(count_int("n", 7).ok(), Some(7));
        assert!(count_int("n", -1).is_err());
        assert!(count_int("n", i64::from(u32::MAX) + 1).is_err());
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
