//! Process exit codes, one per error kind, so that scripts can branch on them.

use enjo::ErrorKind;

/// Success.
pub const OK: u8 = 0;
/// Something outside the API failed (writing to stdout, reading a file...).
pub const FAILURE: u8 = 1;
/// Bad command-line usage (clap's own code).
pub const USAGE: u8 = 2;

/// The exit code for an SDK error. Documented in the CLI's README and `--help`.
pub fn for_kind(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidArgument => 3,
        ErrorKind::Authentication => 4,
        ErrorKind::InvalidRequest => 5,
        ErrorKind::NotFound => 6,
        ErrorKind::RateLimited => 7,
        ErrorKind::Server => 8,
        ErrorKind::Api => 9,
        ErrorKind::Timeout => 10,
        ErrorKind::Connection => 11,
        ErrorKind::Decode => 12,
        ErrorKind::Internal => 13,
        ErrorKind::RateLimitStore => 14,
        _ => FAILURE,
    }
}

/// The table printed at the end of `enjo --help`.
pub const HELP: &str = "\
Exit codes:
  0 success            5 invalid request (400)   9 other API error
  1 other failure      6 not found (404)        10 timeout
  2 usage error        7 rate limited (429)     11 connection failed
  3 invalid argument   8 server error (5xx)     12 malformed reply
  4 authentication (401)                        13 bug in enjo (report it)
                                                14 rate limit store unavailable";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_code() {
        let mut codes: Vec<u8> = ErrorKind::ALL.iter().map(|&k| for_kind(k)).collect();
        assert!(codes.iter().all(|&c| c > USAGE));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
    }
}
