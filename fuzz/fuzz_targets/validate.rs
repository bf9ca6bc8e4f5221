//! Base-URL, bot-id, conversation-id and text validation (`enjo::validate`).
//!
//! Properties: a validated base URL re-parses to itself, is `origin` + path with no trailing
//! slash, and is https unless plain http was allowed or the host is loopback; the message URL
//! built on it parses back with the bot id as exactly one path segment that decodes to the
//! bot id; a base URL with credentials is refused and the password never appears in the
//! message; the id and text checks accept exactly what their documentation says.
#![no_main]

use enjo::validate::{self, BaseUrl, MAX_ID_BYTES, MAX_TEXT_BYTES};
use libfuzzer_sys::fuzz_target;

const PASSWORD: &str = "pw-FUZZ-8d1e5b";

/// The input as text (a seed is readable): base URL, bot id and conversation id on the first
/// three lines, the text after them (it may hold newlines). Each check runs with and without
/// `allow_insecure_http`.
struct Input {
    base_url: String,
    insecure: bool,
    bot_id: String,
    conversation_id: String,
    text: String,
}

fn id_rule(id: &str) -> bool {
    !id.trim().is_empty()
        && id.len() <= MAX_ID_BYTES
        && !id.chars().any(char::is_control)
        && id.trim() == id
}

fuzz_target!(|data: &str| {
    let mut parts = data.splitn(4, '\n');
    let mut next = || parts.next().unwrap_or_default().to_owned();
    let (base_url, bot_id, conversation_id, text) = (next(), next(), next(), next());
    for insecure in [false, true] {
        check(&Input {
            base_url: base_url.clone(),
            insecure,
            bot_id: bot_id.clone(),
            conversation_id: conversation_id.clone(),
            text: text.clone(),
        });
    }
});

fn check(input: &Input) {
    let bot_ok = validate::bot_id(&input.bot_id).is_ok();
    assert_eq!(
        bot_ok,
        id_rule(&input.bot_id) && input.bot_id != "." && input.bot_id != ".."
    );
    assert_eq!(
        validate::conversation_id(&input.conversation_id).is_ok(),
        id_rule(&input.conversation_id)
    );
    assert_eq!(
        validate::text(&input.text).is_ok(),
        !input.text.trim().is_empty() && input.text.len() <= MAX_TEXT_BYTES
    );
    for result in [
        validate::bot_id(&input.bot_id),
        validate::conversation_id(&input.conversation_id),
    ] {
        if let Err(e) = result {
            assert!(
                e.message().contains("_id"),
                "message names no argument: {}",
                e.message()
            );
        }
    }

    if let Ok(base) = BaseUrl::parse(&input.base_url, input.insecure) {
        match BaseUrl::parse(base.as_str(), input.insecure) {
            Ok(again) => assert_eq!(again, base, "re-parse"),
            Err(e) => panic!("{base:?} does not re-parse: {e}"),
        }
        let prefix = base.as_str();
        assert!(prefix.starts_with(base.origin()));
        assert!(!prefix.ends_with('/'));
        let parsed = url::Url::parse(prefix).expect("prefix is a URL");
        assert!(parsed.query().is_none() && parsed.fragment().is_none());
        assert!(parsed.username().is_empty() && parsed.password().is_none());
        if parsed.scheme() == "http" && !input.insecure {
            let host = parsed.host_str().unwrap_or_default();
            assert!(
                host == "localhost" || host == "[::1]" || host.starts_with("127."),
                "plain http to {host}"
            );
        } else {
            assert!(matches!(parsed.scheme(), "https" | "http"));
        }
        if bot_ok {
            let message_url = base.message_url(&input.bot_id);
            let url = url::Url::parse(&message_url).expect("message URL parses");
            assert_eq!(
                url.as_str(),
                message_url,
                "the URL parser rewrote the message URL"
            );
            assert_eq!(url.origin().ascii_serialization(), base.origin());
            let segments: Vec<&str> = url.path_segments().expect("a path").collect();
            let n = segments.len();
            assert!(n >= 4);
            assert_eq!(&segments[n - 4..n - 2], &["v1", "bots"]);
            assert_eq!(segments[n - 1], "message");
            let decoded = percent_decode(segments[n - 2]);
            assert_eq!(decoded, input.bot_id.as_bytes(), "bot id segment");
            assert_eq!(base.path_of(&message_url), url.path());
        }
    }

    // Credentials in a base URL: refused, and the password is never quoted.
    if !input.base_url.contains(PASSWORD) {
        for scheme in ["https", "http"] {
            let with_password = format!("{scheme}://user:{PASSWORD}@{}", input.base_url);
            match BaseUrl::parse(&with_password, input.insecure) {
                Ok(base) => assert!(!base.as_str().contains(PASSWORD), "password kept: {base:?}"),
                Err(e) => assert!(!e.to_string().contains(PASSWORD), "password quoted: {e}"),
            }
        }
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}
