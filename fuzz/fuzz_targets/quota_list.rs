//! The rate limiter's quota grammar (`Quota::parse_list`: `20/60s,10/5s`, units ms, s, m).
//!
//! Properties: never a panic; every parsed quota is valid (`Quota::validate`); there is one
//! quota per non-empty comma-separated part; printing the quotas back as `N/<secs>s` and
//! parsing again gives the same quotas (to within the rounding of an f64 of seconds); an error
//! is an invalid-argument error with a message.
#![no_main]

use std::time::Duration;

use enjo::{ErrorKind, Quota};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|spec: &str| {
    match Quota::parse_list(spec) {
        Ok(quotas) => {
            let parts = spec.split(',').filter(|p| !p.trim().is_empty()).count();
            assert_eq!(quotas.len(), parts);
            for q in &quotas {
                assert!(q.validate().is_ok(), "{q} accepted but invalid");
                let _ = q.to_string();
            }
            let printed: Vec<String> = quotas
                .iter()
                .map(|q| format!("{}/{}s", q.requests, q.window.as_secs_f64()))
                .collect();
            let again = Quota::parse_list(&printed.join(","))
                .unwrap_or_else(|e| panic!("{printed:?} does not re-parse: {e}"));
            assert_eq!(again.len(), quotas.len());
            for (a, b) in quotas.iter().zip(&again) {
                assert_eq!(a.requests, b.requests);
                let diff = a.window.abs_diff(b.window);
                assert!(diff <= Duration::from_nanos(16), "{a} became {b}");
            }
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(!e.message().is_empty());
        }
    }
});
