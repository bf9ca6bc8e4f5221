//! [`StoreSpec`]: the one parser of the `rate_limit_store` option, in every language.

use std::fmt;
use std::path::PathBuf;

use crate::error::{Error, Result};

/// The environment variable read when `rate_limit_store` is not set.
pub const ENV_STORE: &str = "ENJO_RATE_LIMIT_STORE";
/// The environment variable read when `rate_limit_key` is not set.
pub const ENV_KEY: &str = "ENJO_RATE_LIMIT_KEY";

/// Where a client's rate-limit log lives, parsed from the `rate_limit_store` option.
///
/// Accepted spellings: `memory` (the default: one log per host in the process),
/// `file:/abs/path` or a bare absolute path (every process of the machine naming the file
/// shares one quota), `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS) and
/// `redis+unix:///path/to.sock` (every process of every host naming the same Redis and key
/// shares one quota). `Debug` and `Display` never show a password.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// In-process (the default).
    Memory,
    /// A state file, locked with an OS advisory lock.
    File(PathBuf),
    /// A Redis server.
    Redis(RedisUrl),
}

/// A Redis URL, kept whole for connecting and shown with its password replaced by `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    url: String,
    shown: String,
}

impl RedisUrl {
    /// The URL to connect with (it may hold a password: never log it).
    pub(crate) fn secret_url(&self) -> &str {
        &self.url
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> &str {
        &self.shown
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl StoreSpec {
    /// Parses a `rate_limit_store` value. `option` is how the caller spells the option (e.g.
    /// `rate_limit_store`, `--rate-limit-store`, `ENJO_RATE_LIMIT_STORE`), for the error
    /// message, which never repeats a password.
    pub fn parse(option: &str, value: &str) -> Result<StoreSpec> {
        let value = value.trim();
        let bad = |why: &str| {
            Error::invalid_argument(format!(
                "{option}: {why}; expected `memory`, `file:/absolute/path`, an absolute path, \
                 `redis://host:port/db`, `rediss://…` or `redis+unix:///path/to.sock`"
            ))
        };
        if value.is_empty() || value.eq_ignore_ascii_case("memory") {
            return Ok(StoreSpec::Memory);
        }
        let lower = value.to_ascii_lowercase();
        if let Some(path) = value
            .strip_prefix("file:")
            .or_else(|| std::path::Path::new(value).is_absolute().then_some(value))
        {
            // `file:///abs` and `file:/abs` both name `/abs`.
            let path = path.strip_prefix("//").unwrap_or(path);
            let path = PathBuf::from(path);
            if !path.is_absolute() {
                return Err(bad("the state file's path must be absolute"));
            }
            if path.file_name().is_none() {
                return Err(bad("the state file's path names a directory"));
            }
            return Ok(StoreSpec::File(path));
        }
        if lower.starts_with("redis://")
            || lower.starts_with("rediss://")
            || lower.starts_with("redis+unix://")
            || lower.starts_with("unix://")
        {
            let shown = redact(value).ok_or_else(|| bad("not a valid URL"))?;
            let url = url::Url::parse(value).map_err(|_| bad(&format!("{shown} is not a URL")))?;
            if url.scheme().ends_with("unix") {
                if url.path().is_empty() || url.path() == "/" {
                    return Err(bad(&format!("{shown} names no socket path")));
                }
            } else if url.host_str().is_none_or(str::is_empty) {
                return Err(bad(&format!("{shown} names no host")));
            }
            // Let the driver check what it will use (database number, parameters).
            if let Err(err) = redis::Client::open(value) {
                let _ = err; // its text may repeat the URL: never show it
                return Err(bad(&format!(
                    "{shown} is not a Redis URL the driver accepts"
                )));
            }
            return Ok(StoreSpec::Redis(RedisUrl {
                url: value.to_owned(),
                shown,
            }));
        }
        Err(bad(&format!(
            "unknown store {:?}",
            redact(value).unwrap_or_else(|| "(unprintable)".into())
        )))
    }

    /// The store for people: `memory`, `file:/path` or the Redis URL without its password.
    pub fn describe(&self) -> String {
        match self {
            StoreSpec::Memory => "memory".into(),
            StoreSpec::File(path) => format!("file:{}", path.display()),
            StoreSpec::Redis(url) => url.shown.clone(),
        }
    }
}

impl fmt::Debug for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreSpec({})", self.describe())
    }
}

impl fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// `value` with the password of its userinfo (`user:password@`, or `:password@`) and any
/// `password=` query parameter replaced by `***`.
fn redact(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once("://")?;
    let (authority, tail) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            // `redis://secret@host`: the driver reads a lone userinfo as the password.
            None => format!("***@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _))
                        if k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("pass") =>
                    {
                        format!("{k}=***")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    Some(format!("{scheme}://{authority}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() -> Result<()> {
        let p = |v: &str| StoreSpec::parse("rate_limit_store", v);
        assert_eq!(p("memory")?, StoreSpec::Memory);
        assert_eq!(p("")?, StoreSpec::Memory);
        assert_eq!(
            p("file:/tmp/enjo.state")?,
            StoreSpec::File("/tmp/enjo.state".into())
        );
        assert_eq!(
            p("/tmp/enjo.state")?,
            StoreSpec::File("/tmp/enjo.state".into())
        );
        assert_eq!(p("file:///tmp/x")?, StoreSpec::File("/tmp/x".into()));
        assert!(matches!(
            p("redis://127.0.0.1:6379/0")?,
            StoreSpec::Redis(_)
        ));
        assert!(matches!(p("rediss://h:6380")?, StoreSpec::Redis(_)));
        assert!(matches!(
            p("redis+unix:///tmp/r.sock")?,
            StoreSpec::Redis(_)
        ));
        for bad in [
            "file:relative",
            "relative/path",
            "mysql://h",
            "redis://",
            "file:/",
        ] {
            let err = p(bad).err().ok_or_else(|| Error::invalid_argument(bad))?;
            assert!(err.to_string().contains("rate_limit_store"), "{err}");
        }
        Ok(())
    }

    #[test]
    fn a_password_is_never_shown() -> Result<()> {
        for url in [
            "redis://user:hunter2secret@h:6379/0",
            "redis://:hunter2secret@h:6379",
            "rediss://hunter2secret@h",
            "redis+unix:///tmp/s.sock?db=1&password=hunter2secret",
        ] {
            let spec = StoreSpec::parse("rate_limit_store", url)?;
            for shown in [format!("{spec:?}"), spec.to_string(), spec.describe()] {
                assert!(!shown.contains("hunter2secret"), "{shown}");
                assert!(shown.contains("***"), "{shown}");
            }
        }
        let err = StoreSpec::parse("rate_limit_store", "redis://u:hunter2secret@")
            .err()
            .ok_or_else(|| Error::invalid_argument("accepted"))?;
        assert!(!err.to_string().contains("hunter2secret"), "{err}");
        Ok(())
    }
}
