//! The server's rate limiting: a strict sliding window per client IP, every quota at once.
//! A request is accepted only if, counting it, no window of length W ending now holds more
//! than N accepted requests; refused requests are not counted.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::Quota;

/// Per-IP request logs.
#[derive(Debug)]
pub struct IpLimiter {
    quotas: Vec<Quota>,
    horizon: Duration,
    logs: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl IpLimiter {
    /// A limiter enforcing `quotas`.
    pub fn new(quotas: Vec<Quota>) -> IpLimiter {
        let horizon = quotas.iter().map(|q| q.window).max().unwrap_or_default();
        IpLimiter {
            quotas,
            horizon,
            logs: Mutex::new(HashMap::new()),
        }
    }

    /// Accepts (and records) a request from `ip` at `now`, or says how long until one would be
    /// accepted.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut logs = self.logs.lock().unwrap_or_else(|p| p.into_inner());
        let log = logs.entry(ip).or_default();
        while log
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= self.horizon)
        {
            log.pop_front();
        }
        let mut wait = Duration::ZERO;
        for quota in &self.quotas {
            let in_window: Vec<Instant> = log
                .iter()
                .copied()
                .filter(|&t| now.saturating_duration_since(t) < quota.window)
                .collect();
            let limit = quota.requests as usize;
            if in_window.len() >= limit {
                // The request that must leave the window before one more fits.
                let leaving = in_window[in_window.len() - limit];
                wait = wait.max((leaving + quota.window).saturating_duration_since(now));
            }
        }
        if wait.is_zero() {
            log.push_back(now);
            Ok(())
        } else {
            Err(wait)
        }
    }

    /// Forgets every window.
    pub fn reset(&self) {
        self.logs.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn strict_window_per_ip() {
        let ms = Duration::from_millis;
        let limiter = IpLimiter::new(vec![Quota {
            requests: 2,
            window: ms(100),
        }]);
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let t0 = Instant::now();
        assert_eq!(limiter.check(a, t0), Ok(()));
        assert_eq!(limiter.check(a, t0 + ms(10)), Ok(()));
        assert_eq!(limiter.check(a, t0 + ms(20)), Err(ms(80)));
        assert_eq!(limiter.check(b, t0 + ms(20)), Ok(()), "per IP");
        assert_eq!(limiter.check(a, t0 + ms(99)), Err(ms(1)));
        assert_eq!(
            limiter.check(a, t0 + ms(100)),
            Ok(()),
            "the first left the window"
        );
        assert_eq!(limiter.check(a, t0 + ms(105)), Err(ms(5)));
    }

    #[test]
    fn every_quota_binds() {
        let ms = Duration::from_millis;
        let limiter = IpLimiter::new(vec![
            Quota {
                requests: 3,
                window: ms(200),
            },
            Quota {
                requests: 5,
                window: ms(1000),
            },
        ]);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let t0 = Instant::now();
        for t in [0, 10, 20] {
            assert_eq!(limiter.check(ip, t0 + ms(t)), Ok(()));
        }
        // 3 in 200 ms: the short quota refuses although the long one has room.
        assert_eq!(limiter.check(ip, t0 + ms(30)), Err(ms(170)));
        assert_eq!(limiter.check(ip, t0 + ms(200)), Ok(()));
        assert_eq!(limiter.check(ip, t0 + ms(210)), Ok(()));
        // 5 in 1 s: the long quota refuses although the short one has room (2 in its window),
        // until the first request leaves the long window.
        assert_eq!(limiter.check(ip, t0 + ms(500)), Err(ms(500)));
        assert_eq!(limiter.check(ip, t0 + ms(999)), Err(ms(1)));
        assert_eq!(limiter.check(ip, t0 + ms(1000)), Ok(()));
        // Full again: until the second request leaves the long window.
        assert_eq!(limiter.check(ip, t0 + ms(1005)), Err(ms(5)));
    }
}
