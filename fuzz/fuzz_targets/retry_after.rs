//! `Retry-After` / `retry-after-ms` parsing (`enjo::retry::parse_retry_after`).
//!
//! The input is text (a seed is a header value as servers send it): the first line is a
//! `Retry-After` value, the second, if any, a `retry-after-ms` value.
//!
//! Properties: never a panic; a later `now` never gives a longer delay, and a date already
//! passed gives zero; whole seconds and HTTP dates (made from the input's first bytes)
//! round-trip exactly; `retry-after-ms` wins over any `Retry-After` when it parses; a
//! `Retry-After` that parses as seconds gives those seconds.
#![no_main]

use std::time::{Duration, SystemTime};

use enjo::retry::parse_retry_after;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_bytes(value) {
            map.insert(*name, v);
        }
    }
    map
}

fuzz_target!(|data: &[u8]| {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_760_000_000);
    let mut lines = data.splitn(2, |&b| b == b'\n');
    let retry_after = lines.next().unwrap_or_default();
    let retry_after_ms = lines.next();
    let mut pairs = vec![("retry-after", retry_after)];
    if let Some(ms) = retry_after_ms {
        pairs.push(("retry-after-ms", ms));
    }
    let map = headers(&pairs);

    // As time passes, a delay never grows.
    let first = parse_retry_after(&map, now);
    for later in [1, 59, 3600, 86_400 * 365 * 50] {
        let second = parse_retry_after(&map, now + Duration::from_secs(later));
        assert_eq!(first.is_some(), second.is_some());
        if let (Some(a), Some(b)) = (first, second) {
            assert!(b <= a, "delay grew from {a:?} to {b:?} as time passed");
        }
    }
    // Seconds as sent (when no retry-after-ms takes precedence). Only for ASCII: a header
    // value's other bytes are RFC 9110's obs-text, not text (`8` and two U+00A0 is no delay).
    let value = std::str::from_utf8(retry_after)
        .map(str::trim)
        .unwrap_or("");
    if let (true, Ok(secs)) = (
        retry_after.is_ascii()
            && map.get("retry-after-ms").is_none()
            && map.contains_key("retry-after"),
        value.parse::<f64>(),
    ) {
        assert_eq!(first, Duration::try_from_secs_f64(secs).ok(), "{value:?}");
    }

    // Round trips with a delay taken from the input.
    let mut four = [0u8; 4];
    for (i, b) in data.iter().take(4).enumerate() {
        four[i] = *b;
    }
    let delay = Duration::from_secs(u32::from_le_bytes(four).into());
    let secs = delay.as_secs().to_string();
    assert_eq!(
        parse_retry_after(&headers(&[("retry-after", secs.as_bytes())]), now),
        Some(delay)
    );
    let date = httpdate::fmt_http_date(now + delay);
    assert_eq!(
        parse_retry_after(&headers(&[("retry-after", date.as_bytes())]), now),
        Some(delay)
    );
    assert_eq!(
        parse_retry_after(
            &headers(&[("retry-after", date.as_bytes())]),
            now + delay + Duration::from_secs(1)
        ),
        Some(Duration::ZERO)
    );
    // retry-after-ms takes precedence over whatever Retry-After says.
    let ms = u16::from_le_bytes([four[0], four[1]]);
    assert_eq!(
        parse_retry_after(
            &headers(&[
                ("retry-after", retry_after),
                ("retry-after-ms", ms.to_string().as_bytes())
            ]),
            now
        ),
        Some(Duration::from_millis(ms.into()))
    );
});
